package certcode

import (
	"errors"
	"strings"
	"testing"
)

func TestCodesRoundTripAndAreDistinct(t *testing.T) {
	seen := map[string]bool{}
	for range 2000 {
		c := New()
		if seen[c] {
			t.Fatalf("duplicate code %s", c)
		}
		seen[c] = true
		typed := strings.ToLower(Format(c))
		got, err := Parse(" " + typed + " ")
		if err != nil || got != c {
			t.Fatalf("Parse(%q) = %q, %v; want %q", typed, got, err, c)
		}
	}
}

func TestEverySingleTypoIsCaught(t *testing.T) {
	for range 200 {
		c := New()
		for i := range len(c) {
			for _, r := range alphabet {
				if byte(r) == c[i] {
					continue
				}
				typo := c[:i] + string(r) + c[i+1:]
				if _, err := Parse(typo); !errors.Is(err, ErrMistyped) {
					t.Fatalf("typo %s of %s: got %v, want ErrMistyped", typo, c, err)
				}
			}
		}
	}
}

func TestConfusableLettersAndGarbage(t *testing.T) {
	c := New()
	// People read 0 as O and 1 as I or L; those must still verify.
	typed := strings.NewReplacer("0", "O", "1", "l").Replace(c)
	if got, err := Parse(typed); err != nil || got != c {
		t.Fatalf("Parse(%q) = %q, %v; want %q", typed, got, err, c)
	}
	if _, err := Parse("K7QM-4TZ9"); !errors.Is(err, ErrWrongLength) {
		t.Errorf("part of a code: %v, want ErrWrongLength", err)
	}
	for _, bad := range []string{"", "ABC", "K7QM-4TZ9-XH2P-XXXX", "K7QM-4TZ9-XH2*", "<script>"} {
		if _, err := Parse(bad); !errors.Is(err, ErrMalformed) {
			t.Errorf("Parse(%q) = %v, want ErrMalformed", bad, err)
		}
	}
}

// Codes as people type them from paper (issue 9): in the printed groups
// with spaces, dots or any dash, in lower case, with I, L and O for 1, 1
// and 0. Before: only spaces, tabs, dots and ASCII dashes were skipped.
func TestCodesTypedAsPrinted(t *testing.T) {
	for range 200 {
		c := New()
		g := [3]string{strings.ToLower(c[0:4]), c[4:8], strings.ToLower(c[8:12])}
		o := strings.NewReplacer("0", "o", "1", "I").Replace
		for _, typed := range []string{
			g[0] + " " + g[1] + " " + g[2],
			o(g[0]) + "." + o(g[1]) + "." + o(g[2]),
			g[0] + " – " + g[1] + " — " + g[2],
			g[0] + "\u00a0" + g[1] + "\u00a0" + g[2],
			g[0] + "_" + g[1] + "/" + g[2] + ",",
			" " + g[0] + "-" + g[1] + "-" + g[2] + "\n",
		} {
			if got, err := Parse(typed); err != nil || got != c {
				t.Fatalf("Parse(%q) = %q, %v; want %q", typed, got, err, c)
			}
		}
	}
}
