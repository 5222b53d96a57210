package web_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"kynangso/app/config"
	"kynangso/app/store"
	"kynangso/app/testrig"
)

const hsts = "max-age=31536000; includeSubDomains"

// rawResp is a response to a request sent as given: no cookie jar (the
// test client speaks plain HTTP, so a jar would keep Secure cookies
// back), no redirects followed.
type rawResp struct {
	*http.Response
	Body string
}

func raw(t *testing.T, method, u, cookies string, form url.Values, header http.Header) *rawResp {
	t.Helper()
	r, err := tryRaw(method, u, cookies, form, header)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	return r
}

// rawTooLarge sends a body over the server's limit. The server answers
// before it has read the body and closes the connection, so on a busy
// machine the client may still be writing and see a broken pipe instead
// of the answer: that is the client's luck, not the server's answer, and
// it is tried again.
func rawTooLarge(t *testing.T, u string, form url.Values) *rawResp {
	t.Helper()
	var err error
	for range 5 {
		var r *rawResp
		if r, err = tryRaw("POST", u, "", form, nil); err == nil {
			return r
		}
	}
	t.Fatalf("POST %s: %v", u, err)
	return nil
}

func tryRaw(method, u, cookies string, form url.Values, header http.Header) (*rawResp, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		return nil, err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if cookies != "" {
		req.Header.Set("Cookie", cookies)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	cl := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := cl.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return &rawResp{res, string(b)}, nil
}

// setCookie is the cookie of that name the response sets, if any.
func setCookie(r *http.Response, name string) *http.Cookie {
	for _, ck := range r.Cookies() {
		if ck.Name == name {
			return ck
		}
	}
	return nil
}

var formToken = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

func tokenOf(t *testing.T, page string) string {
	t.Helper()
	m := formToken.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no form token on the page:\n%s", testrig.Text(page))
	}
	return m[1]
}

func httpsRig(t *testing.T) *testrig.Rig {
	// The listener speaks plain HTTP, as behind the TLS-terminating proxy
	// the base URL says there is.
	return testrig.StartWith(t, func(c *config.Config) { c.BaseURL = "https://kynangso.example.vn" })
}

// Every response carries the security headers, HSTS too when the site is
// on https: pages, static files, 404s, the 403 of a forged form, a
// method nobody serves, an unknown method, a body too large (which
// fasthttp answers before any middleware runs) and a 500.
func TestSecurityHeadersOnEveryResponse(t *testing.T) {
	for _, secure := range []bool{false, true} {
		name := map[bool]string{false: "http", true: "https"}[secure]
		t.Run(name, func(t *testing.T) {
			var rig *testrig.Rig
			if secure {
				rig = httpsRig(t)
			} else {
				rig = testrig.Start(t)
			}
			home := raw(t, "GET", rig.URL+"/", "", nil, nil)
			css := regexp.MustCompile(`/static/[^"]+\.css`).FindString(home.Body)
			if css == "" {
				t.Fatal("no stylesheet on the home page")
			}
			big := url.Values{"phone": {strings.Repeat("9", 300<<10)}}
			cases := []struct {
				what   string
				status int
				r      func() *rawResp
			}{
				{"home", 200, func() *rawResp { return home }},
				{"static file", 200, func() *rawResp { return raw(t, "GET", rig.URL+css, "", nil, nil) }},
				{"health", 200, func() *rawResp { return raw(t, "GET", rig.URL+"/healthz", "", nil, nil) }},
				{"no such page", 404, func() *rawResp { return raw(t, "GET", rig.URL+"/no/such/page", "", nil, nil) }},
				{"no such static file", 404, func() *rawResp { return raw(t, "GET", rig.URL+"/static/none.css", "", nil, nil) }},
				{"API 404", 0, func() *rawResp { return raw(t, "GET", rig.URL+"/api/v1/verify/ZZZZ", "", nil, nil) }},
				{"method nobody serves", 0, func() *rawResp { return raw(t, "DELETE", rig.URL+"/login", "", nil, nil) }},
				{"unknown method", 400, func() *rawResp { return raw(t, "BREW", rig.URL+"/", "", nil, nil) }},
				{"forged form", 403, func() *rawResp { return raw(t, "POST", rig.URL+"/login", "", url.Values{"phone": {"0912345678"}}, nil) }},
				{"body too large", 413, func() *rawResp { return rawTooLarge(t, rig.URL+"/login", big) }},
				{"server error", 500, func() *rawResp {
					// The database gone: the session lookup fails.
					_ = rig.P.Store.Close(context.Background())
					return raw(t, "GET", rig.URL+"/account", "kns_session=x; __Host-kns_session=x", nil, nil)
				}},
			}
			for _, tc := range cases {
				r := tc.r()
				if tc.status != 0 && r.StatusCode != tc.status {
					t.Errorf("%s: status %d, want %d", tc.what, r.StatusCode, tc.status)
				}
				h := r.Header
				if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("X-Frame-Options") != "DENY" ||
					h.Get("Referrer-Policy") != "same-origin" || !strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
					t.Errorf("%s (%d): security headers missing: %v", tc.what, r.StatusCode, h)
				}
				if got := h.Get("Strict-Transport-Security"); secure && got != hsts || !secure && got != "" {
					t.Errorf("%s (%d): Strict-Transport-Security %q on %s", tc.what, r.StatusCode, got, name)
				}
			}
		})
	}
}

// Under https every cookie of the whole site has the __Host- prefix
// (Secure, Path=/, no Domain), so no other host can plant or overwrite
// one; a cookie from before the switch is moved (language, text size,
// and a session made before this server started) or dropped, never an
// error; a plain-named session cookie made since is not honoured. On
// http the plain names stay.
func TestHostCookiesUnderHTTPS(t *testing.T) {
	rig := httpsRig(t)
	isHost := func(what string, ck *http.Cookie) {
		t.Helper()
		if ck == nil {
			t.Fatalf("%s: not set", what)
		}
		if !ck.Secure || ck.Path != "/" || ck.Domain != "" || !ck.HttpOnly {
			t.Errorf("%s: %s", what, ck)
		}
	}
	login := raw(t, "GET", rig.URL+"/login", "", nil, nil)
	isHost("form cookie", setCookie(login.Response, "__Host-kns_csrf"))
	if ck := setCookie(login.Response, "kns_csrf"); ck != nil {
		t.Errorf("plain form cookie set under https: %s", ck)
	}
	en := raw(t, "GET", rig.URL+"/?lang=en&size=large", "", nil, nil)
	isHost("language cookie", setCookie(en.Response, "__Host-lang"))
	isHost("text size cookie", setCookie(en.Response, "__Host-size"))

	csrf := "__Host-kns_csrf=" + setCookie(login.Response, "__Host-kns_csrf").Value
	reg := raw(t, "POST", rig.URL+"/register", csrf, url.Values{
		"_csrf": {tokenOf(t, login.Body)}, "name": {"Trần Thị Mai"}, "phone": {"0912000010"}, "password": {"mat-khau-123"},
		"province": {"1"}, "commune": {"Ba Đình"}, "consent": {"yes"},
	}, nil)
	if reg.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-up under https: status %d\n%s", reg.StatusCode, testrig.Text(reg.Body))
	}
	sess := setCookie(reg.Response, "__Host-kns_session")
	isHost("session cookie", sess)
	if ck := setCookie(reg.Response, "kns_session"); ck != nil {
		t.Errorf("plain session cookie set under https: %s", ck)
	}
	if r := raw(t, "GET", rig.URL+"/account", "__Host-kns_session="+sess.Value, nil, nil); r.StatusCode != http.StatusOK {
		t.Fatalf("account with the __Host- session: status %d", r.StatusCode)
	}

	// The same session under the plain name, made since this server
	// started: planted, not ours. Not signed in, and removed.
	r := raw(t, "GET", rig.URL+"/account", "kns_session="+sess.Value, nil, nil)
	if r.StatusCode/100 != 3 || !strings.HasPrefix(r.Header.Get("Location"), "/login") {
		t.Errorf("a plain-named session made after start: status %d, location %q; want the sign-in page", r.StatusCode, r.Header.Get("Location"))
	}
	if ck := setCookie(r.Response, "kns_session"); !removed(ck) {
		t.Errorf("plain-named session cookie not removed: %v", ck)
	}

	// A session from before the upgrade, under the plain name: still
	// signed in, moved to the __Host- name, the plain one removed.
	ctx := context.Background()
	_, u, err := rig.P.Store.SessionUser(ctx, sha(sess.Value), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	old := "a-session-from-before-the-upgrade-0123456789"
	if err := rig.P.Store.CreateSession(ctx, &store.Session{ID: sha(old), UserID: u.ID, Created: time.Now().Add(-time.Hour), Expires: time.Now().Add(24 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	r = raw(t, "GET", rig.URL+"/account", "kns_session="+old+"; kns_csrf=oldtoken; lang=en", nil, nil)
	if r.StatusCode != http.StatusOK || !strings.Contains(r.Body, "Trần Thị Mai") {
		t.Fatalf("a session from before the upgrade: status %d\n%s", r.StatusCode, testrig.Text(r.Body))
	}
	moved := setCookie(r.Response, "__Host-kns_session")
	isHost("moved session cookie", moved)
	if moved.Value != old || moved.MaxAge <= 0 || moved.MaxAge > 24*3600 {
		t.Errorf("moved session cookie: %s", moved)
	}
	isHost("moved language cookie", setCookie(r.Response, "__Host-lang"))
	if r.Header.Get("Content-Language") != "en" {
		t.Errorf("language from the plain cookie not kept: %q", r.Header.Get("Content-Language"))
	}
	for _, name := range []string{"kns_session", "kns_csrf", "lang"} {
		if ck := setCookie(r.Response, name); !removed(ck) || !ck.Secure {
			t.Errorf("plain %s not removed: %v", name, ck)
		}
	}
	// Both names sent (a browser between the two): the __Host- one counts.
	r = raw(t, "GET", rig.URL+"/account", "kns_session=stale; __Host-kns_session="+sess.Value, nil, nil)
	if r.StatusCode != http.StatusOK {
		t.Errorf("both session names: status %d", r.StatusCode)
	}

	// On http, the plain names.
	plain := testrig.Start(t)
	l := raw(t, "GET", plain.URL+"/login?lang=en", "", nil, nil)
	if ck := setCookie(l.Response, "kns_csrf"); ck == nil || ck.Secure {
		t.Errorf("form cookie on http: %v", ck)
	}
	if ck := setCookie(l.Response, "__Host-kns_csrf"); ck != nil {
		t.Errorf("__Host- cookie on http: %s", ck)
	}
}

// removed tells whether a Set-Cookie takes the cookie away.
func removed(ck *http.Cookie) bool {
	return ck != nil && (ck.MaxAge < 0 || !ck.Expires.IsZero() && ck.Expires.Before(time.Now()))
}

func sha(tok string) string {
	h := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(h[:])
}

// The form token is read from the form (or the X-CSRF-Token header of a
// script's request), never from the query string, where it would end up
// in logs, history and Referer headers.
func TestCSRFTokenNeverFromQueryString(t *testing.T) {
	rig := testrig.Start(t)
	c := rig.Client(t)
	tok := c.CSRF()
	ck := "kns_csrf=" + c.Cookie("kns_csrf")
	// A path with no handler: past the form check it is a 404.
	if r := raw(t, "POST", rig.URL+"/no-such-form?_csrf="+url.QueryEscape(tok), ck, url.Values{}, nil); r.StatusCode != http.StatusForbidden {
		t.Errorf("token in the query string: status %d, want 403", r.StatusCode)
	}
	if r := raw(t, "POST", rig.URL+"/no-such-form", ck, url.Values{"_csrf": {tok}}, nil); r.StatusCode != http.StatusNotFound {
		t.Errorf("token in the form: status %d, want 404 (past the check)", r.StatusCode)
	}
	if r := raw(t, "POST", rig.URL+"/no-such-form", ck, url.Values{}, http.Header{"X-Csrf-Token": {tok}}); r.StatusCode != http.StatusNotFound {
		t.Errorf("token in X-CSRF-Token: status %d, want 404 (past the check)", r.StatusCode)
	}
}

// Signed in, a form's token belongs to the session: one from another
// session (another person's, or the same person's on another phone), a
// form cookie planted in the browser, or a token from before sign-in is
// refused with the friendly 403 page. The same form sent twice by the
// same session is not refused, nor a double tap on "sign in" or "sign
// out" that arrives after the first one changed the session.
func TestCSRFTokenBoundToSession(t *testing.T) {
	rig := testrig.Start(t)
	refused := func(what string, r *rawResp) {
		t.Helper()
		if r.StatusCode != http.StatusForbidden || !strings.Contains(r.Header.Get("Content-Type"), "text/html") || !strings.Contains(r.Body, "403") {
			t.Errorf("%s: status %d, want the 403 page\n%s", what, r.StatusCode, testrig.Text(r.Body))
		}
	}
	passed := func(what string, r *rawResp, want int) {
		t.Helper()
		if r.StatusCode != want {
			t.Errorf("%s: status %d, want %d\n%s", what, r.StatusCode, want, testrig.Text(r.Body))
		}
	}
	post := func(path, cookies, tok string) *rawResp {
		t.Helper()
		return raw(t, "POST", rig.URL+path, cookies, url.Values{"_csrf": {tok}}, nil)
	}

	hoa := rig.Register(t, "Lê Thị Hoa", "0912000001", nil)
	hoaCookies := "kns_session=" + hoa.Cookie("kns_session") + "; kns_csrf=" + hoa.Cookie("kns_csrf")
	tok := hoa.CSRF()
	// Past the form check, a path with no handler is a 404.
	passed("a form", post("/no-such-form", hoaCookies, tok), http.StatusNotFound)
	passed("the same form again", post("/no-such-form", hoaCookies, tok), http.StatusNotFound)

	// A form cookie and token planted in her browser (a double-submit
	// pair the attacker made on a visit of his own).
	other := rig.Client(t)
	otok, ock := other.CSRF(), other.Cookie("kns_csrf")
	refused("a planted form cookie", post("/no-such-form", "kns_session="+hoa.Cookie("kns_session")+"; kns_csrf="+ock, otok))

	lan := rig.Register(t, "Phạm Văn Lân", "0912000002", nil)
	refused("another person's token", post("/no-such-form", hoaCookies, lan.CSRF()))
	phone2 := rig.Client(t)
	if r := phone2.Post("/login", url.Values{"phone": {"0912000001"}, "password": {"mat-khau-123"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("sign in on a second phone: status %d", r.Status)
	}
	refused("her own token from another session", post("/no-such-form", hoaCookies, phone2.CSRF()))

	// Sign in with a double tap: the second arrives with the new session.
	c := rig.Client(t)
	pre := c.CSRF()
	form := url.Values{"_csrf": {pre}, "phone": {"0912000002"}, "password": {"mat-khau-123"}}
	if r := c.PostRaw("/login", form); r.Status != http.StatusSeeOther {
		t.Fatalf("sign in: status %d\n%s", r.Status, testrig.Text(r.Body))
	}
	if r := c.PostRaw("/login", form); r.Status != http.StatusSeeOther {
		t.Errorf("sign in again, the same form (a double tap): status %d, want 303\n%s", r.Status, testrig.Text(r.Body))
	}
	cookies := "kns_session=" + c.Cookie("kns_session") + "; kns_csrf=" + c.Cookie("kns_csrf")
	refused("the token from before sign-in, on another form", post("/no-such-form", cookies, pre))
	refused("the token from before sign-in, on sign-out", post("/logout", cookies, pre))

	// Sign out with a double tap, before and after the first answer.
	out := c.CSRF()
	if r := c.PostRaw("/logout", url.Values{"_csrf": {out}}); r.Status != http.StatusSeeOther {
		t.Fatalf("sign out: status %d", r.Status)
	}
	passed("sign out again, with the old cookies", post("/logout", cookies, out), http.StatusSeeOther)
	if r := c.PostRaw("/logout", url.Values{"_csrf": {out}}); r.Status != http.StatusSeeOther {
		t.Errorf("sign out again, the same form (a double tap): status %d, want 303\n%s", r.Status, testrig.Text(r.Body))
	}
	refused("the signed-in token after sign-out, on another form", post("/no-such-form", "kns_csrf="+c.Cookie("kns_csrf"), out))
}
