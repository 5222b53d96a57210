package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"kynangso/app/certcode"
	"kynangso/quiz"
)

// The routes measured, in order. Each says what answer it expects; any
// other is an error.

// route is one thing a visitor does.
type route struct {
	name string
	want int // the status every answer should have
	// request makes client c's i-th request (i counts that client's
	// requests). It may first send requests of its own, which are not
	// timed (the quiz to answer).
	request func(c *client, i int) (*http.Request, error)
	// check, if set, looks at an answer's body: "" when it is right.
	check func(body []byte) string
}

// The logout button is on every page of someone signed in.
var logoutForm = []byte(`action="/logout"`)

func signedIn(body []byte) string {
	if !bytes.Contains(body, logoutForm) {
		return "the page is not a signed-in one (no logout button)"
	}
	return ""
}

func signedOut(body []byte) string {
	if bytes.Contains(body, logoutForm) {
		return "the page is a signed-in one"
	}
	return ""
}

// client is one concurrent visitor: its own CSRF cookie, and the k-th
// share of the seeded accounts.
type client struct {
	k, of int
	hc    *http.Client
	base  string
	// csrf is the kns_csrf cookie; field the matching _csrf value (the
	// token under a pad, as the site's maskToken writes it).
	csrf, field string
}

func newClient(k, of int, hc *http.Client, base string) *client {
	tok, pad := make([]byte, 32), make([]byte, 32)
	_, _ = rand.Read(tok)
	_, _ = rand.Read(pad)
	masked := slices.Clone(pad)
	for i := range tok {
		masked = append(masked, pad[i]^tok[i])
	}
	return &client{k: k, of: of, hc: hc, base: base,
		csrf: base64.RawURLEncoding.EncodeToString(tok), field: base64.RawURLEncoding.EncodeToString(masked)}
}

// pick is the i-th of this client's share of n things, so that two
// clients never act as the same person at once.
func (c *client) pick(n, i int) int {
	per := n / c.of
	if per == 0 {
		return (c.k + i*c.of) % n
	}
	return c.k*per + i%per
}

func (c *client) get(path string, a *account) (*http.Request, error) {
	req, err := http.NewRequest(http.MethodGet, c.base+path, nil)
	if err != nil {
		return nil, err
	}
	c.cookies(req, a)
	return req, nil
}

func (c *client) post(path string, form url.Values, a *account) (*http.Request, error) {
	if form.Get("_csrf") == "" {
		// Signed out: the double-submit token of this client's cookie.
		form.Set("_csrf", c.field)
	}
	req, err := http.NewRequest(http.MethodPost, c.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	c.cookies(req, a)
	return req, nil
}

// cookies are those of app/web/middleware.go: the session cookie holds
// the token whose SHA-256 is the stored session id.
func (c *client) cookies(req *http.Request, a *account) {
	req.AddCookie(&http.Cookie{Name: "kns_csrf", Value: c.csrf})
	if a != nil {
		req.AddCookie(&http.Cookie{Name: "kns_session", Value: a.Token})
	}
}

// do sends an untimed request and returns its body if the status is want.
func (c *client) do(req *http.Request, want int) (*http.Response, []byte, error) {
	res, err := c.hc.Do(req)
	if err != nil {
		return nil, nil, err
	}
	body, err := io.ReadAll(io.LimitReader(res.Body, 8<<20))
	res.Body.Close()
	if err != nil {
		return nil, nil, err
	}
	if res.StatusCode != want {
		return nil, nil, fmt.Errorf("%s %s: status %d, want %d: %s", req.Method, req.URL.Path, res.StatusCode, want, snippet(body))
	}
	return res, body, nil
}

var csrfField = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

func routes(base string, sd *seeded) []route {
	cat := sd.Catalogue
	var lessons []string
	for _, co := range cat.Courses {
		for _, l := range co.Lessons {
			lessons = append(lessons, "/courses/"+co.ID+"/lessons/"+l.ID)
		}
	}
	prepared := prepareCourses(cat)
	learner := func(c *client, i int) *account { return &sd.Learner[c.pick(len(sd.Learner), i)] }
	return []route{
		{name: "healthz", want: http.StatusOK, request: func(c *client, i int) (*http.Request, error) {
			return http.NewRequest(http.MethodGet, c.base+"/healthz", nil)
		}},
		{name: "catalogue", want: http.StatusOK, check: signedOut, request: func(c *client, i int) (*http.Request, error) {
			return http.NewRequest(http.MethodGet, c.base+"/", nil)
		}},
		{name: "lesson_public", want: http.StatusOK, check: signedOut, request: func(c *client, i int) (*http.Request, error) {
			return http.NewRequest(http.MethodGet, c.base+lessons[(c.k+i*c.of)%len(lessons)], nil)
		}},
		{name: "lesson", want: http.StatusOK, check: signedIn, request: func(c *client, i int) (*http.Request, error) {
			return c.get(lessons[(c.k+i*c.of)%len(lessons)], learner(c, i))
		}},
		{name: "quiz_submit", want: http.StatusSeeOther, request: func(c *client, i int) (*http.Request, error) {
			a := learner(c, i)
			k := prepared[(c.k+i)%len(prepared)]
			// A fresh attempt: the quiz link draws one (or continues
			// the open one), and its page shows the questions drawn.
			req, err := c.get("/courses/"+k.c.ID+"/quiz", a)
			if err != nil {
				return nil, err
			}
			res, _, err := c.do(req, http.StatusSeeOther)
			if err != nil {
				return nil, fmt.Errorf("start the quiz: %w", err)
			}
			loc := res.Header.Get("Location")
			attempt, ok := strings.CutPrefix(loc, "/courses/"+k.c.ID+"/quiz/")
			if !ok || attempt == "" {
				return nil, fmt.Errorf("start the quiz: sent to %q", loc)
			}
			if req, err = c.get(loc, a); err != nil {
				return nil, err
			}
			_, body, err := c.do(req, http.StatusOK)
			if err != nil {
				return nil, fmt.Errorf("quiz page: %w", err)
			}
			// Three in four answer every question right (and pass);
			// the others answer every one wrong.
			right := i%4 != 3
			html := string(body)
			// Signed in, the form's token is bound to the session: taken
			// from the page, as a browser sends it.
			tok := csrfField.FindStringSubmatch(html)
			if tok == nil {
				return nil, fmt.Errorf("quiz page %s has no form token", loc)
			}
			form := url.Values{"idempotency_key": {attempt}, "_csrf": {tok[1]}}
			n := 0
			for _, q := range k.pool {
				key := "q_" + q.ID
				if !strings.Contains(html, `name="`+key+`"`) && !strings.Contains(html, `name="`+key+`_`) {
					continue
				}
				n++
				given := k.wrong[q.ID]
				if right {
					given = k.right[q.ID]
				}
				if q.Kind == quiz.Ordering {
					for p, id := range given {
						form.Set(key+"_"+id, strconv.Itoa(p+1))
					}
					continue
				}
				for _, id := range given {
					form.Add(key, id)
				}
			}
			if n == 0 {
				return nil, fmt.Errorf("quiz page %s shows none of the course's questions: %s", loc, snippet(body))
			}
			return c.post(loc, form, a)
		}},
		{name: "login", want: http.StatusSeeOther, request: func(c *client, i int) (*http.Request, error) {
			a := learner(c, i)
			return c.post("/login", url.Values{"phone": {a.Phone}, "password": {seedPassword}, "next": {"/"}}, nil)
		}},
		{name: "verify_found", want: http.StatusOK, request: func(c *client, i int) (*http.Request, error) {
			return http.NewRequest(http.MethodGet, c.base+"/v/"+certcode.Format(sd.Codes[(c.k+i*c.of)%len(sd.Codes)]), nil)
		}},
		{name: "verify_unknown", want: http.StatusNotFound, request: func(c *client, i int) (*http.Request, error) {
			return http.NewRequest(http.MethodGet, c.base+"/v/"+certcode.Format(sd.Unknown), nil)
		}},
		{name: "team", want: http.StatusOK, check: signedIn, request: func(c *client, i int) (*http.Request, error) {
			l := &sd.Leaders[c.pick(len(sd.Leaders), i)]
			return c.get("/teams/"+l.Team, l)
		}},
		{name: "admin_home", want: http.StatusOK, check: signedIn, request: func(c *client, i int) (*http.Request, error) {
			return c.get("/admin", &sd.Admin)
		}},
		// Officials' pages: a province's communes, a commune's teams, as
		// the admin (who sees every place); the figures are counted at
		// most once a minute per place, as the page says.
		{name: "province", want: http.StatusOK, check: signedIn, request: func(c *client, i int) (*http.Request, error) {
			p, _, _ := strings.Cut(sd.Communes[c.pick(len(sd.Communes), i)], "/")
			return c.get("/places/"+p, &sd.Admin)
		}},
		{name: "commune", want: http.StatusOK, check: signedIn, request: func(c *client, i int) (*http.Request, error) {
			return c.get("/places/"+sd.Communes[c.pick(len(sd.Communes), i)], &sd.Admin)
		}},
		{name: "ranking", want: http.StatusOK, check: signedOut, request: func(c *client, i int) (*http.Request, error) {
			return http.NewRequest(http.MethodGet, c.base+"/ranking", nil)
		}},
		{name: "ranking_province", want: http.StatusOK, check: signedOut, request: func(c *client, i int) (*http.Request, error) {
			p, _, _ := strings.Cut(sd.Communes[c.pick(len(sd.Communes), i)], "/")
			return http.NewRequest(http.MethodGet, c.base+"/ranking?province="+p, nil)
		}},
	}
}

func snippet(b []byte) string {
	s := strings.Join(strings.Fields(string(b)), " ")
	if len(s) > 160 {
		s = s[:160] + "…"
	}
	return s
}

type result struct {
	rate    float64
	lat     []time.Duration // sorted
	errors  int64
	size    int64 // mean body bytes, as read (decompressed)
	samples []string
}

// p is the q-th percentile latency in milliseconds.
func (r result) p(q int) float64 {
	if len(r.lat) == 0 {
		return 0
	}
	return float64(r.lat[(len(r.lat)-1)*q/100].Microseconds()) / 1000
}

// hammer runs rt from clients concurrent clients for d, and at most max
// requests in all. Only the request rt makes is timed; the rate is timed
// requests over the whole run, so for a route that prepares each request
// (quiz_submit) it counts the preparation's time too.
func hammer(ctx context.Context, base string, rt route, clients int, d time.Duration, max int) result {
	tr := &http.Transport{MaxIdleConns: clients, MaxIdleConnsPerHost: clients, IdleConnTimeout: 30 * time.Second}
	hc := &http.Client{Transport: tr, Timeout: 15 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	defer tr.CloseIdleConnections()
	var (
		mu      sync.Mutex
		all     []time.Duration
		samples []string
		errs    atomic.Int64
		size    atomic.Int64
		seq     atomic.Int64
		wg      sync.WaitGroup
	)
	fail := func(msg string) {
		errs.Add(1)
		mu.Lock()
		if len(samples) < 3 {
			samples = append(samples, msg)
		}
		mu.Unlock()
	}
	start := time.Now()
	cutoff := start.Add(d)
	for k := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := newClient(k, clients, hc, base)
			var lat []time.Duration
			for i := 0; time.Now().Before(cutoff) && ctx.Err() == nil && seq.Add(1) <= int64(max); i++ {
				req, err := rt.request(c, i)
				if err != nil {
					fail(err.Error())
					continue
				}
				// As a phone's browser asks, but like wrk the client does not
				// unpack what it gets: on a 2-core machine the load's own
				// gunzip would compete with the server it measures. Bytes
				// are then what went over the wire.
				req.Header.Set("Accept-Encoding", "gzip")
				t0 := time.Now()
				res, err := hc.Do(req)
				if err != nil {
					fail(err.Error())
					continue
				}
				body, err := io.ReadAll(res.Body)
				res.Body.Close()
				el := time.Since(t0)
				if err != nil {
					fail(err.Error())
					continue
				}
				lat = append(lat, el)
				size.Add(int64(len(body)))
				// Every response's status is checked; its content one in
				// ten times (and the first), unpacked.
				check := rt.check != nil && i%10 == 0
				if check || res.StatusCode != rt.want {
					if body, err = unpack(res, body); err != nil {
						fail(err.Error())
						continue
					}
				}
				if res.StatusCode != rt.want {
					fail(fmt.Sprintf("%s %s: status %d, want %d: %s", req.Method, req.URL.Path, res.StatusCode, rt.want, snippet(body)))
				} else if check {
					if msg := rt.check(body); msg != "" {
						fail(fmt.Sprintf("%s %s: %s", req.Method, req.URL.Path, msg))
					}
				}
			}
			mu.Lock()
			all = append(all, lat...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	slices.Sort(all)
	r := result{rate: float64(len(all)) / time.Since(start).Seconds(), lat: all, errors: errs.Load(), samples: samples}
	if len(all) > 0 {
		r.size = size.Load() / int64(len(all))
	}
	return r
}

// unpack returns body as sent before compression.
func unpack(res *http.Response, body []byte) ([]byte, error) {
	if res.Header.Get("Content-Encoding") != "gzip" {
		return body, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", res.Request.URL.Path, err)
	}
	return io.ReadAll(zr)
}
