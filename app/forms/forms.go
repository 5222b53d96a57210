// Package forms validates what people type: names, phone numbers,
// passwords. Each check returns the i18n id of the message to show, or ""
// when the value is fine, so every form reports errors the same way.
package forms

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Limits of the fields.
const (
	NameMax     = 80
	PasswordMin = 8
	PasswordMax = 128
	TextMax     = 200
)

// Clean trims, NFC-normalises and collapses inner spaces.
func Clean(s string) string {
	// Control characters, invalid bytes and the marks that turn text
	// right to left have no place in a name or a label, and would show
	// garbled in a spreadsheet or a certificate.
	s = strings.Map(func(r rune) rune {
		switch {
		case r == utf8.RuneError, unicode.IsControl(r) && !unicode.IsSpace(r),
			r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069, r == 0x200E, r == 0x200F:
			return -1
		}
		return r
	}, s)
	return strings.Join(strings.Fields(norm.NFC.String(s)), " ")
}

// Name checks a person's full name: Latin letters with their diacritics
// (Vietnamese and the Latin scripts of Vietnam's ethnic languages),
// spaces, and the marks names use (' - .), with at least two letters.
// Certificates print names in a font that has these letters; a script it
// lacks would print as empty boxes.
func Name(s string) string {
	switch {
	case s == "":
		return "form.name.required"
	case utf8.RuneCountInString(s) > NameMax:
		return "form.name.too_long"
	case utf8.RuneCountInString(s) < 2:
		return "form.name.too_short"
	}
	letters := 0
	for _, r := range s {
		switch {
		case unicode.Is(unicode.Latin, r):
			letters++
		case unicode.Is(unicode.Mn, r) && letters > 0, r == ' ', r == '\'', r == '-', r == '.':
		default:
			return "form.name.invalid"
		}
	}
	if letters < 2 {
		return "form.name.invalid"
	}
	return ""
}

// Phone normalises a Vietnamese mobile number to 0xxxxxxxxx. It accepts the
// ways people write one: 0912 345 678, 0912.345.678, +84 912345678,
// 84912345678. It returns the number and a message id when it is not one.
func Phone(s string) (string, string) {
	if strings.TrimSpace(s) == "" {
		return "", "form.phone.required"
	}
	var digits strings.Builder
	for i, r := range strings.TrimSpace(s) {
		switch {
		case r >= '0' && r <= '9':
			digits.WriteRune(r)
		case r == '+' && i == 0, r == ' ', r == '.', r == '-', r == '(', r == ')':
		default:
			return "", "form.phone.invalid"
		}
	}
	d := digits.String()
	switch {
	case strings.HasPrefix(d, "84") && len(d) == 11:
		d = "0" + d[2:]
	case len(d) == 9 && d[0] != '0':
		d = "0" + d
	}
	if len(d) != 10 || d[0] != '0' || !strings.ContainsRune("35789", rune(d[1])) {
		return "", "form.phone.invalid"
	}
	return d, ""
}

// Password checks a new password's length; the hash does the rest.
func Password(s string) string {
	n := utf8.RuneCountInString(s)
	switch {
	case n == 0:
		return "form.password.required"
	case n < PasswordMin:
		return "form.password.too_short"
	case n > PasswordMax:
		return "form.password.too_long"
	}
	return ""
}

// Text checks a required free text, such as a team name or a reason.
func Text(s string, max int) string {
	switch {
	case s == "":
		return "form.required"
	case utf8.RuneCountInString(s) > max:
		return "form.too_long"
	}
	return ""
}

// Errors maps a field name to the i18n id of its message.
type Errors map[string]string

// Check records msg for field when msg is not empty.
func (e Errors) Check(field, msg string) {
	if msg != "" && e[field] == "" {
		e[field] = msg
	}
}
