// Package testrig is the shared fixture of the platform's tests: one
// embedded database per test binary, a fresh database and a real server
// on loopback for each test, and an HTTP client that behaves like a
// browser (cookies, the CSRF field of forms). No mocks: tests drive the
// program as people do.
package testrig

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"kynangso/app/config"
	"kynangso/app/platform"
	"kynangso/app/store/mongodb/ferrettest"
)

// Main runs a package's tests. Each test's platform has a data folder of
// its own, so by default each runs on a fresh embedded database; with
// KNS_TEST_BACKEND=mongodb every platform runs on the MongoDB backend
// instead, against an embedded FerretDB (or KNS_TEST_MONGODB_URI).
func Main(m *testing.M) { os.Exit(m.Run()) }

var dbSeq atomic.Int64

// OnMongoDB tells whether the tests run on the MongoDB backend.
func OnMongoDB() bool { return os.Getenv("KNS_TEST_BACKEND") == "mongodb" }

// Rig is one running platform with its own empty database.
type Rig struct {
	URL string
	P   *platform.Platform

	mu sync.Mutex
	// claims are the claim codes shown to the admin of Team, by the
	// phone they were made for: the code the appointer gives the leader,
	// which Register then types for her.
	claims map[string]string
}

// Start runs a platform for one test; it stops when the test ends.
func Start(t testing.TB) *Rig {
	t.Helper()
	return StartWith(t, nil)
}

// StartWith is Start with settings changed by set.
func StartWith(t testing.TB, set func(*config.Config)) *Rig {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	cfg := &config.Config{
		Addr: ln.Addr().String(), DataDir: t.TempDir(),
		Database: fmt.Sprintf("kns_test_%d_%d", os.Getpid(), dbSeq.Add(1)), BaseURL: base,
		LogLevel: slog.LevelWarn, VerifyLimit: 30,
	}
	if OnMongoDB() {
		cfg.MongoURI = ferrettest.URI(t)
		cfg.SecretKey = "test secret that seals the signing keys"
	}
	if set != nil {
		set(cfg)
	}
	// Errors (a 500, a recovered panic) always reach the test output.
	level := slog.LevelError
	if testing.Verbose() {
		level = slog.LevelWarn
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	p, err := platform.Start(context.Background(), cfg, log)
	if err != nil {
		t.Fatalf("start platform: %v", err)
	}
	go func() { _ = p.App.Listener(ln) }()
	t.Cleanup(func() {
		_ = p.App.Shutdown()
		if d, ok := p.Store.(interface{ Drop(context.Context) error }); ok {
			_ = d.Drop(context.Background())
		}
		p.Close()
	})
	return &Rig{URL: base, P: p}
}

// Client is a browser-like HTTP client: it keeps cookies and does not
// follow redirects, so tests see them.
type Client struct {
	t      testing.TB
	r      *Rig
	http   *http.Client
	Lang   string      // sent as Accept-Language when set
	Header http.Header // more headers for GET requests
}

// Client returns a new client with no cookies.
func (r *Rig) Client(t testing.TB) *Client {
	jar, _ := cookiejar.New(nil)
	return &Client{t: t, r: r, http: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// Resp is a response, read whole.
type Resp struct {
	Status   int
	Body     string
	Header   http.Header
	Location string
}

func (c *Client) do(req *http.Request) *Resp {
	c.t.Helper()
	if c.Lang != "" {
		req.Header.Set("Accept-Language", c.Lang)
	}
	res, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return &Resp{Status: res.StatusCode, Body: string(b), Header: res.Header, Location: res.Header.Get("Location")}
}

// Get fetches a path.
func (c *Client) Get(path string) *Resp {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodGet, c.r.URL+path, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	for k, v := range c.Header {
		req.Header[k] = v
	}
	return c.do(req)
}

// Follow fetches a path and follows redirects, as a browser would.
func (c *Client) Follow(path string) *Resp {
	c.t.Helper()
	r := c.Get(path)
	for i := 0; i < 10 && r.Status >= 300 && r.Status < 400; i++ {
		loc := r.Location
		if strings.HasPrefix(loc, c.r.URL) {
			loc = strings.TrimPrefix(loc, c.r.URL)
		}
		r = c.Get(loc)
	}
	return r
}

var csrfField = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// CSRF returns a form token as a page of the site gives it: it reads the
// one in the sign-out or language form of a page.
func (c *Client) CSRF() string {
	c.t.Helper()
	r := c.Get("/v")
	if m := csrfField.FindStringSubmatch(r.Body); m != nil {
		return m[1]
	}
	r = c.Get("/login")
	if m := csrfField.FindStringSubmatch(r.Body); m != nil {
		return m[1]
	}
	c.t.Fatal("no page gave a form token")
	return ""
}

// Post sends a form with the client's CSRF token, as a page's form would.
func (c *Client) Post(path string, form url.Values) *Resp {
	c.t.Helper()
	f := url.Values{}
	for k, v := range form {
		f[k] = v
	}
	if !f.Has("_csrf") {
		f.Set("_csrf", c.CSRF())
	}
	return c.PostRaw(path, f)
}

// PostRaw sends a form as given, without adding a CSRF token.
func (c *Client) PostRaw(path string, form url.Values) *Resp {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodPost, c.r.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

// Register signs a new person up through the form and returns their
// client, signed in. commune is a name as typed; province a code.
func (r *Rig) Register(t testing.TB, name, phone string, extra url.Values) *Client {
	t.Helper()
	c := r.Client(t)
	form := url.Values{"name": {name}, "phone": {phone}, "password": {"mat-khau-123"}, "province": {"1"}, "commune": {"Ba Đình"}, "consent": {"yes"}}
	r.mu.Lock()
	if code := r.claims[phone]; code != "" && extra.Get("claim") == "" {
		form.Set("claim", code)
	}
	r.mu.Unlock()
	for k, v := range extra {
		form[k] = v
	}
	res := c.Post("/register", form)
	if res.Status != http.StatusSeeOther {
		t.Fatalf("register %s: status %d\n%s", name, res.Status, Text(res.Body))
	}
	return c
}

// Admin creates the first admin through the one-time setup link.
func (r *Rig) Admin(t testing.TB) *Client {
	t.Helper()
	tok, err := r.P.Store.SetupToken(context.Background())
	if err != nil || tok == "" {
		t.Fatalf("no setup token: %v", err)
	}
	c := r.Client(t)
	if page := c.Get("/setup/" + tok); page.Status != http.StatusOK || !strings.Contains(page.Body, `autocomplete="new-password"`) {
		t.Fatalf("setup page: status %d\n%s", page.Status, Text(page.Body))
	}
	res := c.Post("/setup/"+tok, url.Values{"name": {"Quản Trị Viên"}, "phone": {"0900000001"}, "password": {"quan-tri-123"}})
	if res.Status != http.StatusSeeOther || res.Location != "/admin" {
		t.Fatalf("setup: status %d location %q\n%s", res.Status, res.Location, Text(res.Body))
	}
	return c
}

var tags = regexp.MustCompile(`(?s)<script.*?</script>|<style.*?</style>|<[^>]+>`)
var spaces = regexp.MustCompile(`\s+`)

// Text is a page's visible text, for asserting what a person reads.
func Text(html string) string {
	s := tags.ReplaceAllString(html, " ")
	s = strings.NewReplacer("&#39;", "'", "&quot;", `"`, "&amp;", "&", "&lt;", "<", "&gt;", ">", "&#34;", `"`).Replace(s)
	return strings.TrimSpace(spaces.ReplaceAllString(s, " "))
}

// QuizAnswers fills in a quiz form for the attempt the client was sent
// to: right answers when right is true, wrong ones otherwise.
func (r *Rig) QuizAnswers(t testing.TB, c *Client, courseID string, right bool) (attemptPath string, form url.Values) {
	t.Helper()
	res := c.Get("/courses/" + courseID + "/quiz")
	if res.Status != http.StatusSeeOther {
		t.Fatalf("start quiz: status %d", res.Status)
	}
	return res.Location, r.AnswersFor(t, courseID, res.Location, right)
}

// AnswersFor fills in the quiz form of the attempt at attemptPath.
func (r *Rig) AnswersFor(t testing.TB, courseID, attemptPath string, right bool) url.Values {
	t.Helper()
	id := attemptPath[strings.LastIndex(attemptPath, "/")+1:]
	a, err := r.P.Store.AttemptByAnyUser(context.Background(), id)
	if err != nil {
		t.Fatalf("attempt %s: %v", id, err)
	}
	co := r.P.Courses.Get(courseID)
	form := url.Values{}
	for _, d := range a.Drawn {
		q := co.Question(d.QuestionID)
		key := "q_" + q.ID
		switch q.Kind {
		case "ordering":
			for i, o := range q.Options {
				pos := i + 1
				if !right {
					pos = len(q.Options) - i
				}
				form.Set(key+"_"+o.ID, fmt.Sprint(pos))
			}
		default:
			for _, o := range q.Options {
				if o.Correct == right {
					form.Add(key, o.ID)
					if q.Kind != "multiple" {
						break
					}
				}
			}
		}
	}
	return form
}

// PostJSON sends a JSON body, as another system would.
func (c *Client) PostJSON(path, body string) *Resp {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodPost, c.r.URL+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	return c.do(req)
}

// Cookie returns the value of a cookie the client holds.
func (c *Client) Cookie(name string) string {
	u, _ := url.Parse(c.r.URL)
	for _, ck := range c.http.Jar.Cookies(u) {
		if ck.Name == name {
			return ck.Value
		}
	}
	return ""
}

// Team has the admin create a team in Phường Ba Đình led by the person
// with leaderPhone (already signed up), and returns its join code.
//
// A leader with no account yet is awaited: the admin is shown the team's
// claim code, which the rig keeps and Register types for whoever signs up
// with leaderPhone, as the leader given the code would.
func (r *Rig) Team(t testing.TB, admin *Client, name, leaderPhone string) string {
	t.Helper()
	res := admin.Post("/admin/teams", url.Values{"name": {name}, "province": {"1"}, "commune": {"Ba Đình"}, "leader": {leaderPhone}})
	if rest, ok := strings.CutPrefix(res.Location, "/appointments/team:"); ok && res.Status == http.StatusSeeOther {
		code, _, _ := strings.Cut(rest, "/")
		claim := ShownClaimCode(t, admin, res.Location)
		r.mu.Lock()
		if r.claims == nil {
			r.claims = map[string]string{}
		}
		r.claims[strings.ReplaceAll(leaderPhone, " ", "")] = claim
		r.mu.Unlock()
		return code
	}
	code, ok := strings.CutPrefix(res.Location, "/admin?saved=")
	if res.Status != http.StatusSeeOther || !ok {
		t.Fatalf("create team %s: status %d\n%s", name, res.Status, Text(res.Body))
	}
	return code
}

var shownClaim = regexp.MustCompile(`class="bigcode" aria-label="(\d{4} \d{4})"`)

// ShownClaimCode reads the claim code on the appointer's page at path
// (where an appointment that waits sends her), digits only.
func ShownClaimCode(t testing.TB, appointer *Client, path string) string {
	t.Helper()
	page := appointer.Get(path)
	m := shownClaim.FindStringSubmatch(page.Body)
	if page.Status != http.StatusOK || m == nil {
		t.Fatalf("no claim code at %s: status %d\n%s", path, page.Status, Text(page.Body))
	}
	return strings.ReplaceAll(m[1], " ", "")
}

// StartErr starts a platform with cfg as given and returns why it did
// not start; one that starts is stopped at once.
func StartErr(t testing.TB, cfg *config.Config) error {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	p, err := platform.Start(context.Background(), cfg, log)
	if err == nil {
		p.Close()
	}
	return err
}

// SetCookies gives c the cookies of other, as the same browser talking
// to another instance behind one address.
func (c *Client) SetCookies(other *Client) {
	from, _ := url.Parse(other.r.URL)
	to, _ := url.Parse(c.r.URL)
	c.http.Jar.SetCookies(to, other.http.Jar.Cookies(from))
}
