package i18n

import (
	"fmt"
	"slices"
	"testing"
)

func TestEveryMessageInBothLanguages(t *testing.T) {
	b, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range Langs {
		for _, other := range Langs {
			for _, id := range b.IDs(l) {
				if !b.Has(other, id) {
					t.Errorf("%q is in %s but missing in %s", id, l, other)
				}
			}
		}
	}
	if len(b.IDs("vi")) < 100 {
		t.Fatalf("only %d messages loaded", len(b.IDs("vi")))
	}
}

func TestPick(t *testing.T) {
	cases := []struct{ q, cookie, accept, want string }{
		{"", "", "", "vi"},
		{"en", "", "", "en"},
		{"", "en", "vi", "en"},
		{"vi", "en", "en", "vi"},
		{"xx", "", "en-US,en;q=0.8", "en"},
		{"", "", "fr-FR, de;q=0.5", "vi"},
		{"", "", "vi-VN,vi;q=0.9,en;q=0.5", "vi"},
	}
	for _, c := range cases {
		if got := Pick(c.q, c.cookie, c.accept); got != c.want {
			t.Errorf("Pick(%q, %q, %q) = %s, want %s", c.q, c.cookie, c.accept, got, c.want)
		}
	}
}

func TestPlurals(t *testing.T) {
	b, _ := Load()
	if got := b.T("en", "certificate.checks.count", "Count", 1); got != "Checked 1 time." {
		t.Errorf("en one: %q", got)
	}
	if got := b.T("en", "certificate.checks.count", "Count", 3); got != "Checked 3 times." {
		t.Errorf("en other: %q", got)
	}
	for _, n := range []int{0, 1, 2, 21} {
		if got, want := b.T("vi", "certificate.checks.count", "Count", n), fmt.Sprintf("Đã được kiểm tra %d lần.", n); got != want {
			t.Errorf("vi %d: %q, want %q", n, got, want)
		}
	}
	if !slices.Contains(b.IDs("vi"), "app.name") {
		t.Error("app.name missing")
	}
}
