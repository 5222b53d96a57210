// Package certcode makes certificate codes a person can read aloud and
// type from paper: 11 secure-random Crockford base32 characters (55 bits)
// and one check character, written in three groups of four, e.g.
// K7QM-4TZ9-XH2P. Case and whatever separates the groups (spaces, dashes
// of any kind, dots, commas, slashes, underscores) don't matter when typed,
// and the letters I, L and O are read as 1, 1 and 0.
//
// The check character is the weighted sum of the values, with odd weights,
// modulo 32. An odd weight is invertible modulo 32, so changing any single
// character always changes the sum: every one-character typo is caught.
package certcode

import (
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
)

const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

const (
	dataLen = 11
	codeLen = dataLen + 1
)

// Errors of Parse.
var (
	ErrMalformed   = errors.New("not a certificate code")
	ErrWrongLength = fmt.Errorf("%w: characters of a code, but not 12 of them", ErrMalformed)
	ErrMistyped    = errors.New("check character does not match: mistyped")
)

// New returns a fresh code in its canonical form, without dashes.
func New() string {
	b := make([]byte, dataLen)
	_, _ = rand.Read(b)
	var sb strings.Builder
	vals := make([]int, dataLen)
	for i, x := range b {
		vals[i] = int(x) & 31
		sb.WriteByte(alphabet[vals[i]])
	}
	sb.WriteByte(alphabet[check(vals)])
	return sb.String()
}

func check(vals []int) int {
	sum := 0
	for i, v := range vals {
		sum += (2*i + 1) * v
	}
	return sum % 32
}

// Parse reads a typed code and returns its canonical form. It reports
// ErrMistyped when the code has the right shape but a wrong check
// character, and ErrMalformed when it is not a code at all.
func Parse(s string) (string, error) {
	var vals []int
	for _, r := range strings.ToUpper(s) {
		if separator(r) {
			continue
		}
		switch r {
		case 'I', 'L':
			r = '1'
		case 'O':
			r = '0'
		}
		i := strings.IndexRune(alphabet, r)
		if i < 0 {
			return "", ErrMalformed
		}
		vals = append(vals, i)
	}
	if len(vals) != codeLen {
		if len(vals) == 0 {
			return "", ErrMalformed
		}
		return "", ErrWrongLength
	}
	var sb strings.Builder
	for _, v := range vals {
		sb.WriteByte(alphabet[v])
	}
	if check(vals[:dataLen]) != vals[dataLen] {
		return sb.String(), ErrMistyped
	}
	return sb.String(), nil
}

// separator tells whether r only separates a code's groups as a person
// types or pastes it: a space of any width, a dash of any length (phones
// turn "--" into "–"), a dot, a comma, a slash, an underscore.
func separator(r rune) bool {
	switch r {
	case ' ', '\t', '\n', '\r', '\u00a0', '\u2007', '\u202f', '\u3000',
		'-', '\u2010', '\u2011', '\u2012', '\u2013', '\u2014', '\u2015', '\u2212',
		'.', '\u00b7', ',', '/', '_', '+':
		return true
	}
	return false
}

// Format writes a canonical code in groups of four: K7QM-4TZ9-XH2P.
func Format(code string) string {
	if len(code) != codeLen {
		return code
	}
	return code[0:4] + "-" + code[4:8] + "-" + code[8:12]
}

// Short makes a shorter random code of n characters without a check
// character, for team join codes.
func Short(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[b[i]&31]
	}
	return string(b)
}
