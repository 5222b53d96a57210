package obs

import (
	"bytes"
	"context"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"kynangso/app/store"
)

// probe is what the store tells the middleware about one request: the
// status of the certificate a Certificate lookup found. Atomic, in case a
// handler reads the store from several goroutines.
type probe struct {
	cert atomic.Value // string
}

func (p *probe) certStatus() string {
	s, _ := p.cert.Load().(string)
	return s
}

type probeKey struct{}

// verifyChannels are the routes that check a certificate, by method and
// route pattern (app/web/routes.go), and the channel each is counted as.
var verifyChannels = map[string]string{
	"GET /v/:code":                    "page",
	"POST /v/:code/name":              "name_check",
	"GET /api/v1/verify/:code":        "json",
	"GET /credentials/:code.json":     "credential",
	"POST /api/v1/credentials/verify": "credential_check",
}

// Middleware measures and logs every request: one count and one latency
// by method, route pattern and status; one access-log line (method, route
// pattern, status, duration, bytes sent) at info on log, or nothing when
// log is nil. It must come first, so that it sees the status the error
// handler gives. Never the path, the query, a cookie or a form value: a
// path holds a certificate code or a join code.
func (m *Metrics) Middleware(log *slog.Logger) fiber.Handler {
	var (
		once   sync.Once
		routes []route
		own    map[*fiber.Handler]bool // the handlers of routes (not of middleware)
	)
	return func(c *fiber.Ctx) error {
		start := time.Now()
		m.inflight.Inc()
		defer m.inflight.Dec()
		pr := &probe{}
		c.SetUserContext(context.WithValue(c.UserContext(), probeKey{}, pr))
		if err := c.Next(); err != nil {
			// What the app's error handler makes of it is what the client
			// gets; run it here, so the status below is that one.
			if herr := c.App().ErrorHandler(c, err); herr != nil {
				_ = c.SendStatus(fiber.StatusInternalServerError)
			}
		}
		took := time.Since(start)
		status := c.Response().StatusCode()
		method := c.Method()
		once.Do(func() { routes, own = appRoutes(c.App()) })
		rt := c.Route()
		pattern := rt.Path
		if len(rt.Handlers) == 0 || !own[&rt.Handlers[0]] {
			// Answered by a middleware (a kept public page, a refused
			// form, the final 404): name the route the path would have.
			pattern = match(routes, method, c.Path())
		}
		code := strconv.Itoa(status)
		m.requests.WithLabelValues(method, pattern, code).Inc()
		m.duration.WithLabelValues(method, pattern, code).Observe(took.Seconds())
		if ch, ok := verifyChannels[method+" "+pattern]; ok && (status < 300 || status >= 400) {
			// (A redirect, to the code written as printed, is not a check:
			// the check is the request it leads to.)
			m.verified.WithLabelValues(ch, verifyResult(ch, status, pr, c.Response())).Inc()
		}
		if status == fiber.StatusTooManyRequests && pattern == "/v/:code/name" {
			m.refused.WithLabelValues("name_check").Inc()
		}
		if log != nil && log.Enabled(c.UserContext(), slog.LevelInfo) {
			log.LogAttrs(c.UserContext(), slog.LevelInfo, "request",
				slog.String("method", method),
				slog.String("route", pattern),
				slog.Int("status", status),
				slog.Float64("ms", float64(took.Microseconds())/1000),
				slog.Int("bytes", size(c.Response())),
			)
		}
		return nil
	}
}

// size is the body's length, without reading a streamed body (Body()
// would read it all into memory, and the streaming is there to avoid
// that): a streamed one's Content-Length, -1 when it has none.
func size(r *fasthttp.Response) int {
	if r.IsBodyStream() {
		return r.Header.ContentLength()
	}
	return len(r.Body())
}

// verifyResult is what a certificate check found.
func verifyResult(channel string, status int, pr *probe, res *fasthttp.Response) string {
	switch {
	case status == fiber.StatusTooManyRequests:
		return "rate_limited"
	case status >= 500:
		return "error"
	case channel == "credential_check":
		switch {
		case status == fiber.StatusOK:
			return "valid"
		case !res.IsBodyStream() && bytes.Contains(res.Body(), []byte(`"reason":"revoked"`)):
			return "revoked"
		case status == fiber.StatusUnprocessableEntity:
			return "invalid"
		}
		return "bad_request"
	case pr.certStatus() == store.CertRevoked:
		return "revoked"
	case pr.certStatus() != "" && status < 400:
		return "valid"
	case status == fiber.StatusNotFound:
		return "unknown"
	case status == fiber.StatusUnprocessableEntity:
		return "mistyped"
	}
	return "bad_request"
}

// route is a registered route's pattern, split at slashes.
type route struct {
	method, path string
	parts        []string
}

// appRoutes lists the app's routes (middleware left out), and the first
// handler of each by address: c.Route() is the middleware's own route
// (path "/") when a middleware answers, and a copy of a route shares its
// handlers.
func appRoutes(app *fiber.App) ([]route, map[*fiber.Handler]bool) {
	var out []route
	own := map[*fiber.Handler]bool{}
	for _, r := range app.GetRoutes(true) {
		out = append(out, route{method: r.Method, path: r.Path, parts: strings.Split(strings.Trim(r.Path, "/"), "/")})
		if len(r.Handlers) > 0 {
			own[&r.Handlers[0]] = true
		}
	}
	return out, own
}

// match names the route pattern a path falls under, as Fiber's router
// would match it: ":name" (optionally followed by a literal, ":code.json")
// takes one segment, "*" the rest. "unmatched" when none does: the path
// itself is never a label.
func match(routes []route, method, path string) string {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	for _, r := range routes {
		if r.method == method && matchParts(r.parts, parts) {
			return r.path
		}
	}
	return "unmatched"
}

func matchParts(pat, got []string) bool {
	for i, p := range pat {
		if p == "*" {
			return true
		}
		if i >= len(got) {
			return false
		}
		g := got[i]
		if strings.HasPrefix(p, ":") {
			if j := strings.IndexAny(p[1:], ".-"); j >= 0 {
				suffix := p[1+j:]
				if !strings.HasSuffix(g, suffix) || len(g) <= len(suffix) {
					return false
				}
			} else if g == "" {
				return false
			}
			continue
		}
		if p != g {
			return false
		}
	}
	return len(pat) == len(got)
}
