package locality

import (
	"sync"
	"testing"
)

func TestTheListIsComplete(t *testing.T) {
	d, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	communes := 0
	for _, p := range d.Provinces {
		communes += len(p.Communes)
	}
	if len(d.Provinces) != 34 || communes != 3321 {
		t.Fatalf("%d provinces and %d communes, want 34 and 3,321", len(d.Provinces), communes)
	}
}

func TestSearchWithoutDiacritics(t *testing.T) {
	d, _ := Load()
	hn := d.Province("1")
	for typed, want := range map[string]string{"ba dinh": "Phường Ba Đình", "BA ĐÌNH": "Phường Ba Đình", "phuong  hoan kiem": "Phường Hoàn Kiếm", "Hoàn Kiếm": "Phường Hoàn Kiếm"} {
		got := hn.Search(typed)
		if len(got) != 1 || got[0].Name != want {
			t.Errorf("Search(%q) = %v, want only %s", typed, got, want)
		}
	}
	if len(hn.Search("phu")) < 2 {
		t.Error("a partial name should offer several choices")
	}
	if len(hn.Search("khong co xa nay")) != 0 || len(hn.Search("  ")) != 0 {
		t.Error("nonsense matched")
	}
	if Fold("Đặng Thị Ngọc Ánh") != "dang thi ngoc anh" {
		t.Errorf("Fold: %q", Fold("Đặng Thị Ngọc Ánh"))
	}
}

func TestAmbiguousNamesAreOffered(t *testing.T) {
	d, _ := Load()
	var qn *Province
	for _, p := range d.Provinces {
		if p.Name == "Tỉnh Quảng Ngãi" {
			qn = p
		}
	}
	if qn == nil {
		t.Fatal("no Quảng Ngãi")
	}
	got := qn.Search("son ha")
	if len(got) != 2 {
		t.Fatalf("\"son ha\" must offer Sơn Hà and Sơn Hạ, got %v", names(got))
	}
	for _, typed := range []string{"Sơn Hạ", "xã sơn hạ", "XÃ SƠN HẠ"} {
		if got := qn.Search(typed); len(got) != 1 || got[0].Name != "Xã Sơn Hạ" {
			t.Errorf("%q: %v, want only Xã Sơn Hạ", typed, names(got))
		}
	}
}

func names(cs []*Commune) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Name)
	}
	return out
}

// Fold is called from every request at once (sign-up, search, the name
// check); it must give each the same answer as alone.
func TestFoldConcurrently(t *testing.T) {
	names := []string{"Nguyễn Thị Hoa", "Đặng Văn Đức", "Phường Ba Đình", "Xã Sơn Hạ", "Trần  Thu   Hà"}
	want := make([]string, len(names))
	for i, n := range names {
		want[i] = Fold(n)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 2000 {
				k := (g + i) % len(names)
				if got := Fold(names[k]); got != want[k] {
					t.Errorf("Fold(%q) = %q, want %q", names[k], got, want[k])
					return
				}
			}
		}()
	}
	wg.Wait()
}
