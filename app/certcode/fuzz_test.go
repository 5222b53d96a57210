package certcode

import (
	"errors"
	"strings"
	"testing"
)

// Whatever is typed, Parse gives a canonical code that Format and Parse
// give back unchanged (however it is cased or spaced), or one of its
// errors; it never accepts a code whose check character is wrong.
func FuzzParse(f *testing.F) {
	good := New()
	for _, s := range []string{good, Format(good), strings.ToLower(Format(good)), " " + good[:4] + " " + good[4:] + " ", "K7QM-4TZ9-XH2P", "IIII-LLLL-OOOO", "", "-", "ABC", "0000-0000-0000", "ÀBCD-EFGH-JKMN", "K7QM\u00a04TZ9XH2P", "k7qm.4tz9.xh2p", strings.Repeat("Z", 100)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		code, err := Parse(s)
		switch {
		case err == nil, errors.Is(err, ErrMistyped):
			if len(code) != codeLen || strings.Trim(code, alphabet) != "" {
				t.Fatalf("Parse(%q) = %q: not a canonical code", s, code)
			}
			vals := make([]int, codeLen)
			for i := range code {
				vals[i] = strings.IndexByte(alphabet, code[i])
			}
			if ok := check(vals[:dataLen]) == vals[dataLen]; ok != (err == nil) {
				t.Fatalf("Parse(%q) = %q, %v: check character says %v", s, code, err, ok)
			}
			f := Format(code)
			for _, typed := range []string{f, code, strings.ToLower(f), strings.ReplaceAll(f, "-", " ")} {
				again, err2 := Parse(typed)
				if again != code || !errors.Is(err2, err) && err2 != err {
					t.Fatalf("Parse(%q) = %q, %v; but Parse(%q) = %q, %v", s, code, err, typed, again, err2)
				}
			}
		case errors.Is(err, ErrMalformed):
			if code != "" {
				t.Fatalf("Parse(%q) refused it but returned %q", s, code)
			}
		default:
			t.Fatalf("Parse(%q): unknown error %v", s, err)
		}
	})
}

// A code made from any 11 values passes, and every change of one of its
// characters to another is caught as mistyped.
func FuzzCheckCharacter(f *testing.F) {
	f.Add([]byte("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a"), uint8(3), uint8(7))
	f.Add([]byte("\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"), uint8(11), uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, pos, delta uint8) {
		if len(data) < dataLen {
			return
		}
		vals := make([]int, codeLen)
		var sb strings.Builder
		for i := range dataLen {
			vals[i] = int(data[i]) & 31
		}
		vals[dataLen] = check(vals[:dataLen])
		for _, v := range vals {
			sb.WriteByte(alphabet[v])
		}
		code := sb.String()
		if got, err := Parse(Format(code)); got != code || err != nil {
			t.Fatalf("Parse(Format(%q)) = %q, %v", code, got, err)
		}
		i, d := int(pos)%codeLen, int(delta)%31+1
		typo := []byte(code)
		typo[i] = alphabet[(vals[i]+d)%32]
		if got, err := Parse(string(typo)); !errors.Is(err, ErrMistyped) || got != string(typo) {
			t.Fatalf("one-character typo %q of %q: Parse = %q, %v, want mistyped", typo, code, got, err)
		}
	})
}
