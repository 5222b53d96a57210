package sqlite

import (
	"encoding/json"
	"slices"
	"testing"
)

// plainList reads what it accepts exactly as encoding/json does, and
// leaves the rest to it.
func FuzzPlainList(f *testing.F) {
	for _, s := range []string{`[]`, `["a"]`, `["vneid-la-gi","tai-khoan"]`, `[""]`, `["a",""]`, `null`, ``, `[`, `]`, `["a",]`, `[,"a"]`,
		`["a" ,"b"]`, `[ "a"]`, `["a\"b"]`, `["a\u0041"]`, `["\u00e9"]`, `["é"]`, "[\"a\tb\"]", `["a"]x`, `x["a"]`, `["a""b"]`, `["a",1]`, `[1]`,
		`["a","b"`, `"a"]`, `["\xff"]`, `[""""]`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := plainList(s)
		if !ok {
			return
		}
		var want []string
		if err := json.Unmarshal([]byte(s), &want); err != nil {
			t.Fatalf("plainList(%q) = %q, but encoding/json fails: %v", s, got, err)
		}
		if got == nil || !slices.Equal(got, want) {
			t.Fatalf("plainList(%q) = %#v, encoding/json reads %#v", s, got, want)
		}
	})
}

func TestPlainListTakesWhatIsWritten(t *testing.T) {
	for _, s := range []string{`[]`, `["a"]`, `["vneid-la-gi","tai-khoan"]`} {
		if _, ok := plainList(s); !ok {
			t.Errorf("plainList(%q) left it to encoding/json", s)
		}
	}
}
