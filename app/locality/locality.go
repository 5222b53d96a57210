// Package locality holds Vietnam's administrative units in force since
// 1 July 2025: 34 provinces and cities, and their 3,321 communes, wards and
// special zones (no district level). The list is the National Statistics
// Office's register, shipped in the binary.
package locality

import (
	"bytes"
	_ "embed"
	"encoding/csv"
	"fmt"
	"strings"
	"sync"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

//go:embed vn-divisions-2025.csv
var divisionsCSV []byte

// Province is a province or centrally governed city.
type Province struct {
	Code     string
	Name     string
	Communes []*Commune
}

// Commune is a commune (xã), ward (phường) or special zone (đặc khu).
type Commune struct {
	Code     string
	Name     string
	Province *Province
	folded   string
}

// Divisions is the whole list.
type Divisions struct {
	Provinces []*Province
	provinces map[string]*Province
	communes  map[string]*Commune
}

// Load parses the embedded list.
func Load() (*Divisions, error) {
	rows, err := csv.NewReader(bytes.NewReader(divisionsCSV)).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("locality list: %w", err)
	}
	d := &Divisions{provinces: map[string]*Province{}, communes: map[string]*Commune{}}
	for i, r := range rows[1:] {
		if len(r) < 6 {
			return nil, fmt.Errorf("locality list line %d: want 6 columns", i+2)
		}
		p := d.provinces[r[0]]
		if p == nil {
			p = &Province{Code: r[0], Name: r[1]}
			d.provinces[r[0]] = p
			d.Provinces = append(d.Provinces, p)
		}
		c := &Commune{Code: r[3], Name: r[4], Province: p, folded: Fold(r[4])}
		p.Communes = append(p.Communes, c)
		d.communes[c.Code] = c
	}
	return d, nil
}

// Province returns the province with code, or nil.
func (d *Divisions) Province(code string) *Province { return d.provinces[code] }

// Commune returns the commune with code, or nil.
func (d *Divisions) Commune(code string) *Commune { return d.communes[code] }

// Search finds the communes of a province whose names contain q, ignoring
// case and diacritics ("ba dinh" finds "Phường Ba Đình"). A whole name,
// with or without its "xã"/"phường" prefix, comes alone when it is the only
// one: "son ha" is both Sơn Hà and Sơn Hạ, so both are offered, while "Sơn
// Hạ" typed with its marks is only one.
func (p *Province) Search(q string) []*Commune {
	fq := Fold(q)
	if fq == "" {
		return nil
	}
	lq := strings.Join(strings.Fields(strings.ToLower(norm.NFC.String(q))), " ")
	var same, whole, part []*Commune
	for _, c := range p.Communes {
		lc := strings.ToLower(c.Name)
		switch {
		case lc == lq || stripKind(lc) == stripKind(lq):
			same = append(same, c)
		case c.folded == fq || stripKind(c.folded) == stripKind(fq):
			whole = append(whole, c)
		case strings.Contains(c.folded, fq):
			part = append(part, c)
		}
	}
	switch {
	case len(same) == 1 && lq != fq:
		// Typed with its diacritics: that commune. (Typed without any,
		// "thanh an" is Thanh An as much as Thạnh An: both are offered.)
		return same
	case len(same)+len(whole) > 0:
		return append(same, whole...)
	}
	return part
}

func stripKind(s string) string {
	for _, k := range []string{"xa ", "phuong ", "dac khu ", "xã ", "phường ", "đặc khu "} {
		if r, ok := strings.CutPrefix(s, k); ok {
			return r
		}
	}
	return s
}

// A transform.Chain keeps state between calls, so goroutines must not
// share one: each Fold takes its own from the pool.
var foldChains = sync.Pool{New: func() any {
	return transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
}}

var dBar = strings.NewReplacer("đ", "d", "Đ", "d")

// Fold lowers s, drops its diacritics (đ becomes d) and collapses spaces,
// for comparing what people type with names as registered. Safe for
// concurrent use.
func Fold(s string) string {
	s = dBar.Replace(s)
	chain := foldChains.Get().(transform.Transformer)
	defer foldChains.Put(chain)
	chain.Reset()
	out, _, err := transform.String(chain, s)
	if err != nil {
		out = s
	}
	return strings.Join(strings.Fields(strings.ToLower(out)), " ")
}
