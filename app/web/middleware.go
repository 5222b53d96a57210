package web

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"slices"
	"time"

	"github.com/gofiber/fiber/v2"

	"kynangso/app/store"
	"kynangso/i18n"
)

const (
	cookieSession = "kns_session"
	cookieCSRF    = "kns_csrf"
	cookieLang    = "lang"
	cookieSize    = "size"
	sessionTTL    = 30 * 24 * time.Hour
)

// Keys of c.Locals.
const (
	localUser = "user"
	localLang = "lang"
	localCSRF = "csrf"
	localSize = "size"
)

// Text sizes a reader can choose, for eyes that need bigger letters than
// the phone's own setting gives.
var textSizes = []string{"normal", "large", "xlarge"}

func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func hashToken(t string) string {
	h := sha256.Sum256([]byte(t))
	return hex.EncodeToString(h[:])
}

func (s *Server) cookie(c *fiber.Ctx, name, value string, ttl time.Duration, httpOnly bool) {
	ck := &fiber.Cookie{Name: name, Value: value, Path: "/", HTTPOnly: httpOnly, SameSite: "Lax", Secure: s.cfg.Secure()}
	if ttl < 0 {
		ck.Expires = time.Unix(1, 0)
		ck.MaxAge = -1
	} else if ttl > 0 {
		ck.MaxAge = int(ttl.Seconds())
	}
	c.Cookie(ck)
}

// withLocale picks the language and remembers a ?lang= choice.
func (s *Server) withLocale(c *fiber.Ctx) error {
	q := c.Query("lang")
	lang := i18n.Pick(q, c.Cookies(cookieLang), c.Get(fiber.HeaderAcceptLanguage))
	if i18n.Supported(q) && q != c.Cookies(cookieLang) {
		s.cookie(c, cookieLang, q, 365*24*time.Hour, true)
	}
	c.Locals(localLang, lang)
	size := c.Cookies(cookieSize)
	if q := c.Query("size"); slices.Contains(textSizes, q) {
		size = q
		s.cookie(c, cookieSize, q, 365*24*time.Hour, true)
	}
	if !slices.Contains(textSizes, size) {
		size = textSizes[0]
	}
	c.Locals(localSize, size)
	c.Set(fiber.HeaderContentLanguage, lang)
	c.Vary(fiber.HeaderAcceptLanguage, fiber.HeaderCookie)
	return c.Next()
}

func (s *Server) lang(c *fiber.Ctx) string {
	if l, ok := c.Locals(localLang).(string); ok {
		return l
	}
	return i18n.Pick(c.Query("lang"), c.Cookies(cookieLang), c.Get(fiber.HeaderAcceptLanguage))
}

// withSession loads the signed-in user, if any.
func (s *Server) withSession(c *fiber.Ctx) error {
	tok := c.Cookies(cookieSession)
	if tok == "" {
		return c.Next()
	}
	_, u, err := s.store.SessionUser(c.UserContext(), hashToken(tok), s.now())
	if errors.Is(err, store.ErrNotFound) {
		s.cookie(c, cookieSession, "", -1, true)
		return c.Next()
	}
	if err != nil {
		return err
	}
	c.Locals(localUser, u)
	return c.Next()
}

func user(c *fiber.Ctx) *store.User {
	u, _ := c.Locals(localUser).(*store.User)
	return u
}

// signIn starts a fresh session: a new id at every login, so a session id
// planted before login is worthless after it.
func (s *Server) signIn(c *fiber.Ctx, u *store.User) error {
	if old := c.Cookies(cookieSession); old != "" {
		_ = s.store.DeleteSession(c.UserContext(), hashToken(old))
	}
	tok := randomToken()
	now := s.now()
	if err := s.store.CreateSession(c.UserContext(), &store.Session{ID: hashToken(tok), UserID: u.ID, Created: now, Expires: now.Add(sessionTTL)}); err != nil {
		return err
	}
	s.cookie(c, cookieSession, tok, sessionTTL, true)
	// A new CSRF token too, so one seen before login is no use after it.
	s.cookie(c, cookieCSRF, "", -1, true)
	return nil
}

// withCSRF guards every form with a double-submit token: a cookie the
// site sets, which a form must echo in its _csrf field. Another site can
// make a browser post, but cannot read the cookie to fill in the field.
func (s *Server) withCSRF(c *fiber.Ctx) error {
	tok, err := base64.RawURLEncoding.DecodeString(c.Cookies(cookieCSRF))
	if err != nil || len(tok) != 32 {
		tok = make([]byte, 32)
		_, _ = rand.Read(tok)
		s.cookie(c, cookieCSRF, base64.RawURLEncoding.EncodeToString(tok), 0, true)
	}
	c.Locals(localCSRF, maskToken(tok))
	if c.Method() == fiber.MethodPost {
		sent, ok := unmaskToken(c.FormValue("_csrf"))
		if c.Cookies(cookieCSRF) == "" || !ok || subtle.ConstantTimeCompare(sent, tok) != 1 {
			return errCSRF
		}
	}
	return c.Next()
}

// maskToken hides the token under a fresh random pad on every page, so
// that compressed pages never repeat the same secret bytes (BREACH).
func maskToken(tok []byte) string {
	out := make([]byte, 2*len(tok))
	_, _ = rand.Read(out[:len(tok)])
	for i, b := range tok {
		out[len(tok)+i] = out[i] ^ b
	}
	return base64.RawURLEncoding.EncodeToString(out)
}

func unmaskToken(s string) ([]byte, bool) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) != 64 {
		return nil, false
	}
	tok := make([]byte, 32)
	for i := range tok {
		tok[i] = b[i] ^ b[32+i]
	}
	return tok, true
}

// needUser sends a visitor to the login page, and back here after it.
func needUser(c *fiber.Ctx) error {
	if user(c) == nil {
		if c.Method() == fiber.MethodGet {
			return c.Redirect("/login?next=" + urlQueryEscape(c.OriginalURL()))
		}
		return fail(fiber.StatusUnauthorized, "error.login_needed")
	}
	return c.Next()
}

func needAdmin(c *fiber.Ctx) error {
	u := user(c)
	if u == nil {
		return needUser(c)
	}
	if u.Role != store.RoleAdmin {
		return errForbidden
	}
	return c.Next()
}

// securityHeaders keep pages from being framed or sniffed, and allow only
// our own scripts, styles and images.
func securityHeaders(c *fiber.Ctx) error {
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set("X-Frame-Options", "DENY")
	c.Set("Referrer-Policy", "same-origin")
	c.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
	return c.Next()
}
