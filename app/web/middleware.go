package web

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

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

	localHostCookies   = "hostcookies"   // the __Host- cookies are read (hostCookies)
	localLegacySession = "legacysession" // the session came under its name from before __Host-
	localSessionToken  = "sessiontoken"  // the session cookie as sent, live or not
	localCSRFChecked   = "csrfchecked"   // withCSRF has run
	localCSRFSent      = "csrfsent"      // the token a POST carried, once accepted
)

// hostPrefix is the cookie prefix a browser accepts only from this very
// host, over https, with Path=/ and no Domain: no other host (a sibling
// subdomain, a network on plain http) can plant or overwrite such a
// cookie. These cookies take it when the base URL is https; on http
// (development, tests) they keep their plain names.
const hostPrefix = "__Host-"

var hostCookieNames = []string{cookieSession, cookieCSRF, cookieLang, cookieSize}

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

// cookie sets one of the site's cookies (Path=/, no Domain): under https
// by its __Host- name, Secure. ttl 0 is a browser-session cookie, below 0
// removes it. A change of the session cookie after the form check (sign-in,
// sign-out, a password change) also keeps the form just sent valid for a
// repeat of itself (see csrfAfterSessionChange).
func (s *Server) cookie(c *fiber.Ctx, name, value string, ttl time.Duration, httpOnly bool) {
	full := name
	if s.cfg.Secure() && slices.Contains(hostCookieNames, name) {
		full = hostPrefix + name
	}
	setCookie(c, full, value, ttl, httpOnly, s.cfg.Secure())
	if name == cookieSession && c.Locals(localCSRFChecked) != nil {
		s.csrfAfterSessionChange(c)
	}
}

func setCookie(c *fiber.Ctx, name, value string, ttl time.Duration, httpOnly, secure bool) {
	ck := &fiber.Cookie{Name: name, Value: value, Path: "/", HTTPOnly: httpOnly, SameSite: "Lax", Secure: secure}
	if ttl < 0 {
		ck.Expires = time.Unix(1, 0)
		ck.MaxAge = -1
	} else if ttl > 0 {
		ck.MaxAge = int(ttl.Seconds())
	}
	c.Cookie(ck)
}

// hostCookies, under https, reads the __Host- cookies under the plain
// names the handlers use, so c.Cookies(cookieSession) means the
// __Host- cookie everywhere. A cookie still under its plain name (set
// before the switch to __Host-) is removed from the browser; the language
// and text size carry over, the session carries over if it was made
// before this server started (withSession), and the form token is
// dropped: a signed-out form open across the upgrade asks for a reload.
// It runs once per request.
func (s *Server) hostCookies(c *fiber.Ctx) {
	if !s.cfg.Secure() || c.Locals(localHostCookies) != nil {
		return
	}
	c.Locals(localHostCookies, true)
	h := &c.Request().Header
	for _, name := range hostCookieNames {
		hv, pv := string(h.Cookie(hostPrefix+name)), string(h.Cookie(name))
		if pv != "" {
			setCookie(c, name, "", -1, true, true)
		}
		switch {
		case hv != "":
			h.SetCookie(name, hv)
		case pv == "":
		case name == cookieSession:
			c.Locals(localLegacySession, true)
		case name == cookieCSRF:
			h.DelCookie(name)
		default:
			s.cookie(c, name, pv, 365*24*time.Hour, true)
		}
	}
}

func (s *Server) withHostCookies(c *fiber.Ctx) error {
	s.hostCookies(c)
	return c.Next()
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

// withSession loads the signed-in user, if any. A session cookie from
// before the switch to __Host- names (hostCookies) is honoured, and moved
// to its __Host- name, only for a session made before this server
// started: after that, a plain-named one was planted, not ours.
func (s *Server) withSession() fiber.Handler {
	started := s.now()
	return func(c *fiber.Ctx) error {
		tok := c.Cookies(cookieSession)
		if tok == "" {
			return c.Next()
		}
		sess, u, err := s.store.SessionUser(c.UserContext(), hashToken(tok), s.now())
		if errors.Is(err, store.ErrNotFound) {
			c.Locals(localSessionToken, tok)
			s.cookie(c, cookieSession, "", -1, true)
			return c.Next()
		}
		if err != nil {
			return err
		}
		if c.Locals(localLegacySession) != nil {
			if !sess.Created.Before(started) {
				c.Request().Header.DelCookie(cookieSession)
				return c.Next()
			}
			s.cookie(c, cookieSession, tok, sess.Expires.Sub(s.now()), true)
		}
		c.Locals(localSessionToken, tok)
		c.Locals(localUser, u)
		return c.Next()
	}
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
	// Forms are now bound to the new session (withCSRF): a token seen
	// before login is no use after it, but for a repeat of this very form.
	s.cookie(c, cookieSession, tok, sessionTTL, true)
	return nil
}

// keepSession puts back the session of this request after all of u's
// sessions were ended (a password change signs out every other device),
// under the same cookie: the page's forms stay good.
func (s *Server) keepSession(c *fiber.Ctx, u *store.User) error {
	tok, _ := c.Locals(localSessionToken).(string)
	if tok == "" {
		return s.signIn(c, u)
	}
	now := s.now()
	err := s.store.CreateSession(c.UserContext(), &store.Session{ID: hashToken(tok), UserID: u.ID, Created: now, Expires: now.Add(sessionTTL)})
	if errors.Is(err, store.ErrDuplicate) {
		return nil // put back already, by a repeat of this request
	}
	return err
}

// withCSRF guards every form. Signed in, a form carries a token bound to
// the session: an HMAC of "csrf" keyed by the session cookie, which only
// this browser and the server know; a token from another session, or from
// before sign-in, is refused. Signed out, it is a double-submit token: a
// cookie the site sets (kns_csrf), which a form must echo. Another site
// can make a browser post, but cannot read either cookie to fill in the
// field. The same session always gets the same token (masked afresh on
// every page), so sending a form twice is never refused; and when a form
// signs in, out or changes the session, its token stays good for a
// repeat of that same form for a little while (csrfRepeat), so a double
// tap on "Đăng nhập" is not a 403 either.
//
// The token is read from the form field _csrf of a POST body, or the
// X-CSRF-Token header (for a script's fetch); never from the query
// string, which ends up in logs, history and Referer headers.
func (s *Server) withCSRF(c *fiber.Ctx) error {
	st := parseCSRFCookie(c.Cookies(cookieCSRF))
	sessTok, _ := c.Locals(localSessionToken).(string)
	signedIn := user(c) != nil
	var want []byte
	if signedIn {
		want = sessionCSRF(sessTok)
	} else {
		if st == nil {
			st = newCSRFState()
			s.cookie(c, cookieCSRF, st.encode(), 0, true)
		}
		want = st.key
	}
	c.Locals(localCSRF, maskToken(want))
	c.Locals(localCSRFChecked, true)
	if c.Method() == fiber.MethodPost {
		sent, ok := unmaskToken(sentCSRF(c))
		if !ok {
			return errCSRF
		}
		switch {
		case hmac.Equal(sent, want):
		case !signedIn && sessTok != "" && hmac.Equal(sent, sessionCSRF(sessTok)):
			// The session ended (signed out in another tab, expired, a
			// repeat of "sign out"): the form was this browser's; it is
			// handled as signed out.
		case st != nil && st.repeatOf(sent, c.Path(), s.now()):
		default:
			return errCSRF
		}
		c.Locals(localCSRFSent, sent)
	}
	return c.Next()
}

// csrfRepeat is how long a form that changed the session (sign-in,
// sign-out, password change) may be sent again with the token it had.
const csrfRepeat = 2 * time.Minute

// sessionCSRF is the form token of the session whose cookie is tok.
func sessionCSRF(tok string) []byte {
	m := hmac.New(sha256.New, []byte(tok))
	m.Write([]byte("kynangso csrf v1"))
	return m.Sum(nil)
}

// csrfState is the kns_csrf cookie: the signed-out token, and the token
// of the last form that changed the session, good until a time for a
// repeat of that form (its path) only.
type csrfState struct {
	key    []byte // 32 bytes
	prev   []byte // 32 bytes or none
	until  int64  // unix seconds
	prevAt []byte // 8 bytes of the SHA-256 of the form's path
}

func newCSRFState() *csrfState {
	st := &csrfState{key: make([]byte, 32)}
	_, _ = rand.Read(st.key)
	return st
}

func parseCSRFCookie(v string) *csrfState {
	b, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil {
		return nil
	}
	switch len(b) {
	case 32:
		return &csrfState{key: b}
	case 80:
		return &csrfState{key: b[:32], prev: b[32:64], until: int64(binary.BigEndian.Uint64(b[64:72])), prevAt: b[72:80]}
	}
	return nil
}

func (st *csrfState) encode() string {
	b := bytes.Clone(st.key)
	if len(st.prev) == 32 {
		b = append(b, st.prev...)
		b = binary.BigEndian.AppendUint64(b, uint64(st.until))
		b = append(b, st.prevAt...)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func pathTag(path string) []byte {
	h := sha256.Sum256([]byte(path))
	return h[:8]
}

func (st *csrfState) repeatOf(sent []byte, path string, now time.Time) bool {
	return len(st.prev) == 32 && now.Unix() < st.until &&
		subtle.ConstantTimeCompare(st.prevAt, pathTag(path)) == 1 && hmac.Equal(sent, st.prev)
}

// csrfAfterSessionChange runs when a handler sets or removes the session
// cookie: a fresh signed-out token (one seen before is no use after), and
// the token this request was accepted with kept for a repeat of it.
func (s *Server) csrfAfterSessionChange(c *fiber.Ctx) {
	st := newCSRFState()
	if sent, ok := c.Locals(localCSRFSent).([]byte); ok {
		st.prev, st.until, st.prevAt = sent, s.now().Add(csrfRepeat).Unix(), pathTag(c.Path())
	}
	s.cookie(c, cookieCSRF, st.encode(), 0, true)
}

// sentCSRF is the token a request carries: the X-CSRF-Token header, or
// the _csrf field of a form body (URL-encoded or multipart). Not
// c.FormValue, which looks in the query string first.
func sentCSRF(c *fiber.Ctx) string {
	if h := c.Get("X-CSRF-Token"); h != "" {
		return h
	}
	if v := c.Request().PostArgs().Peek("_csrf"); len(v) > 0 {
		return string(v)
	}
	if strings.HasPrefix(string(c.Request().Header.ContentType()), fiber.MIMEMultipartForm) {
		if f, err := c.MultipartForm(); err == nil && len(f.Value["_csrf"]) > 0 {
			return f.Value["_csrf"][0]
		}
	}
	return ""
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

// securityHeaders keep pages from being framed or sniffed, allow only our
// own scripts, styles and images, and, when the site is on https, tell
// browsers to come back only over https (HSTS). They go on every
// response: protectAll sets them before Fiber's router sees the request
// (so 404s, 405s, bad methods and panics have them), and handleError sets
// them again for what fasthttp answers without the router (413: a body
// too large, 431, timeouts). A handler may replace one for its response
// (learn.go's sandboxed SVG).
func (s *Server) securityHeaders(h *fasthttp.ResponseHeader) {
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
	if s.cfg.Secure() {
		h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
	}
}

// protectAll wraps the server's request handler so that every response
// starts with the security headers.
func (s *Server) protectAll(app *fiber.App) {
	srv := app.Server()
	next := srv.Handler
	srv.Handler = func(ctx *fasthttp.RequestCtx) {
		s.securityHeaders(&ctx.Response.Header)
		next(ctx)
	}
}
