package web

import (
	"net/url"
	"regexp"
	"strings"
	"testing"
)

var schemeRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*:`)

// The next= of the sign-in form is anyone's to write (a link can carry
// it). Whatever it is, safeNext returns it unchanged or "/", and what it
// returns, read the way a browser reads a Location header (leading and
// trailing spaces and controls dropped, tabs and newlines removed, \ as
// /), stays on this site: a path, never a scheme or another host, and no
// byte that could end the header.
func FuzzSafeNext(f *testing.F) {
	for _, s := range []string{"/certificates", "/join/ABC123?x=1", "", "https://evil.example/", "//evil.example/", "/\\evil.example/", "\\/evil.example", "\t/evil.example", "/\t/evil.example", "/\n/evil.example", " //evil.example", "javascript:alert(1)", "/%09/evil.example", "certificates", "/\r\nSet-Cookie: a=b", "/.//evil.example", "/..//evil.example", "///evil.example", "/\x00/evil", "http:/evil.example", "/#//evil", "/?//evil", "/\u3000/evil", "/\uff0fevil"} {
		f.Add(s)
	}
	base, _ := url.Parse("https://kynangso.example/login?next=x")
	f.Fuzz(func(t *testing.T, next string) {
		got := safeNext(next)
		if got != "/" && got != next {
			t.Fatalf("safeNext(%q) = %q: neither the input nor /", next, got)
		}
		if strings.ContainsAny(got, "\r\n\x00") {
			t.Fatalf("safeNext(%q) = %q: could end the Location header", next, got)
		}
		// As a browser reads it.
		b := strings.TrimFunc(got, func(r rune) bool { return r <= 0x20 })
		b = strings.NewReplacer("\t", "", "\n", "", "\r", "", "\\", "/").Replace(b)
		if !strings.HasPrefix(b, "/") || strings.HasPrefix(b, "//") || schemeRE.MatchString(b) {
			t.Fatalf("safeNext(%q) = %q: a browser reads %q, which may leave the site", next, got, b)
		}
		u, err := url.Parse(b)
		if err != nil {
			t.Fatalf("safeNext(%q) = %q: does not parse: %v", next, got, err)
		}
		if r := base.ResolveReference(u); r.Scheme != base.Scheme || r.Host != base.Host || r.User != nil {
			t.Fatalf("safeNext(%q) = %q leads to %s", next, got, r)
		}
	})
}
