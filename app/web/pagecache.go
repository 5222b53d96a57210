package web

import (
	"bytes"
	"slices"
	"strings"
	"sync"

	"github.com/gofiber/fiber/v2"

	"kynangso/i18n"
)

// publicPages keeps the pages everyone signed out sees alike (the
// catalogue, course and lesson pages) as they were last sent, compressed,
// per language, text size and encoding. Course content is fixed while the
// program runs, and these pages show nothing of any one person's, so the
// hundredth reader in a commune hall costs what /healthz costs rather
// than a template and a compression. Anything that could differ — a
// query string, a session cookie, a form with a CSRF token, a status but
// 200 — is served fresh and not kept.
type publicPages struct {
	mu    sync.RWMutex
	pages map[string]*keptPage
}

type keptPage struct {
	header [][2]string
	body   []byte
}

// maxKeptPages bounds the cache: the built-in courses make a few hundred
// keys (pages × languages × text sizes × encodings); this leaves room for
// extra courses and stops there.
const maxKeptPages = 4096

const localNoKeep = "nokeep"

func (s *Server) keepPublicPages() fiber.Handler {
	pp := &publicPages{pages: map[string]*keptPage{}}
	return func(c *fiber.Ctx) error {
		key, ok := s.publicKey(c)
		if !ok {
			return c.Next()
		}
		pp.mu.RLock()
		kept := pp.pages[key]
		pp.mu.RUnlock()
		if kept != nil {
			for _, h := range kept.header {
				c.Set(h[0], h[1])
			}
			return c.Status(fiber.StatusOK).Send(kept.body)
		}
		if err := c.Next(); err != nil {
			return err
		}
		if c.Response().StatusCode() != fiber.StatusOK || c.Locals(localNoKeep) != nil {
			return nil
		}
		kept = &keptPage{body: bytes.Clone(c.Response().Body())}
		c.Response().Header.VisitAll(func(k, v []byte) {
			switch strings.ToLower(string(k)) {
			case "set-cookie", "content-length", "date":
				// A visitor's own cookie (the CSRF one a first visit gets)
				// is not everyone's; length and date are the server's.
			default:
				kept.header = append(kept.header, [2]string{string(k), string(v)})
			}
		})
		pp.mu.Lock()
		if len(pp.pages) < maxKeptPages {
			pp.pages[key] = kept
		}
		pp.mu.Unlock()
		return nil
	}
}

// publicKey says whether the request is for a page that may be kept, and
// under what key: what the page depends on for a signed-out reader.
func (s *Server) publicKey(c *fiber.Ctx) (string, bool) {
	if c.Method() != fiber.MethodGet || len(c.Request().URI().QueryString()) > 0 || c.Cookies(cookieSession) != "" {
		return "", false
	}
	path := c.Path()
	parts := strings.Split(strings.Trim(path, "/"), "/")
	switch {
	case path == "/":
	case len(parts) == 2 && parts[0] == "courses":
	case len(parts) == 4 && parts[0] == "courses" && parts[2] == "lessons":
	default:
		return "", false
	}
	lang := i18n.Pick("", c.Cookies(cookieLang), c.Get(fiber.HeaderAcceptLanguage))
	size := c.Cookies(cookieSize)
	if !slices.Contains(textSizes, size) {
		size = textSizes[0]
	}
	// The encoding the compress middleware would choose.
	enc, accept := "", c.Get(fiber.HeaderAcceptEncoding)
	for _, e := range []string{"br", "gzip", "deflate"} {
		if strings.Contains(accept, e) {
			enc = e
			break
		}
	}
	return lang + "|" + size + "|" + enc + "|" + path, true
}
