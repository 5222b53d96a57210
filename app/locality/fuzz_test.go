package locality

import (
	"slices"
	"strings"
	"testing"
)

// Commune search takes what a person types (and what a script sends as
// they type). Whatever it is, Search answers only communes of the province
// asked, each once, the same answer every time; a commune's own name, as
// registered, folded, or upper-cased, finds it. Fold gives single-spaced,
// text without ASCII capitals, đ, or Vietnamese tone marks.
func FuzzSearch(f *testing.F) {
	d, err := Load()
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{"ba dinh", "Phường Ba Đình", "xã ", "son ha", "Sơn Hạ", "", " ", "%", "đ", "ĐẶC KHU", "a\u0300\u0300\u0300", "\xff", "İstanbul", "ǅ", strings.Repeat("a ", 100)} {
		f.Add(s, uint16(0), uint16(0))
		f.Add(s, uint16(7), uint16(123))
	}
	f.Fuzz(func(t *testing.T, q string, pi, ci uint16) {
		if len(q) > 200 {
			q = q[:200] // what a search box sends; longer only slows the fuzzer
		}
		p := d.Provinces[int(pi)%len(d.Provinces)]
		got := p.Search(q)
		seen := map[*Commune]bool{}
		for _, c := range got {
			if c.Province != p || !slices.Contains(p.Communes, c) {
				t.Fatalf("Search(%q) in %s answered %s of %s", q, p.Name, c.Name, c.Province.Name)
			}
			if seen[c] {
				t.Fatalf("Search(%q) in %s answered %s twice", q, p.Name, c.Name)
			}
			seen[c] = true
		}
		if again := p.Search(q); !slices.Equal(again, got) {
			t.Fatalf("Search(%q) in %s changed between two calls", q, p.Name)
		}
		fq := Fold(q)
		if fq != strings.Join(strings.Fields(fq), " ") {
			t.Fatalf("Fold(%q) = %q: not single-spaced", q, fq)
		}
		for _, r := range fq {
			if r >= 'A' && r <= 'Z' || r == 'đ' || r == 'Đ' || r == '\u0301' || r == '\u0323' {
				t.Fatalf("Fold(%q) = %q: holds %q", q, fq, r)
			}
		}
		if fq == "" && len(got) > 0 {
			t.Fatalf("Search(%q): %d answers to nothing", q, len(got))
		}
		c := p.Communes[int(ci)%len(p.Communes)]
		for _, typed := range []string{c.Name, Fold(c.Name), strings.ToUpper(c.Name), "  " + c.Name + " "} {
			if !slices.Contains(p.Search(typed), c) {
				t.Fatalf("Search(%q) in %s does not find %s", typed, p.Name, c.Name)
			}
		}
	})
}
