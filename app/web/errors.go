package web

import (
	"errors"
	"log/slog"
	"net/url"
	"runtime/debug"
	"strings"

	"github.com/gofiber/fiber/v2"

	"kynangso/app/store"
)

// Error is an error with an HTTP status and a message safe to show, as an
// i18n id.
type Error struct {
	Status int
	Msg    string
}

func (e *Error) Error() string { return e.Msg }

func fail(status int, msg string) *Error { return &Error{Status: status, Msg: msg} }

var (
	errNotFound  = fail(fiber.StatusNotFound, "error.not_found")
	errForbidden = fail(fiber.StatusForbidden, "error.forbidden")
	errCSRF      = fail(fiber.StatusForbidden, "error.csrf")
)

// handleError is the one place errors become responses: it logs what is
// unexpected once and renders the error in the person's language, as JSON
// for the API.
func (s *Server) handleError(c *fiber.Ctx, err error) error {
	// fasthttp answers some requests (a body too large, headers too
	// large, a timeout) here, without the router or any middleware.
	s.securityHeaders(&c.Response().Header)
	s.hostCookies(c)
	var e *Error
	var fe *fiber.Error
	switch {
	case errors.As(err, &e):
	case errors.Is(err, store.ErrNotFound):
		e = errNotFound
	case errors.Is(err, store.ErrBusy):
		e = fail(fiber.StatusConflict, "error.busy")
	case errors.As(err, &fe) && fe.Code < 500:
		e = &Error{Status: fe.Code, Msg: "error.bad_request"}
		if fe.Code == fiber.StatusNotFound || fe.Code == fiber.StatusMethodNotAllowed {
			e = &Error{Status: fe.Code, Msg: "error.not_found"}
		}
		if fe.Code == fiber.StatusRequestEntityTooLarge {
			e = &Error{Status: fe.Code, Msg: "error.too_large"}
		}
	default:
		s.log.Error("request failed", slog.String("method", c.Method()), slog.String("path", c.Path()), slog.Any("err", err))
		e = &Error{Status: fiber.StatusInternalServerError, Msg: "error.internal"}
	}
	// A repeat of a form whose first submit did the work ends where the
	// first did (repeats.go).
	if loc, err := s.afterRepeat(c, e); err != nil {
		s.log.Error("repeat check failed", slog.String("path", c.Path()), slog.Any("err", err))
	} else if loc != "" {
		return c.Redirect(loc, fiber.StatusSeeOther)
	}
	lang := s.lang(c)
	if isAPI(c) {
		return c.Status(e.Status).JSON(fiber.Map{"error": s.msgs.T(lang, e.Msg)})
	}
	c.Status(e.Status)
	data := fiber.Map{"Message": e.Msg, "Status": e.Status}
	s.nextSteps(c, e, data)
	return s.render(c, "error", "error.title", data)
}

// nextLink is a way on from an error page, its text already translated.
type nextLink struct{ Href, Text string }

// nextSteps says, on an error page, what to do next: an error page is
// never a dead end. The first link is the likeliest way on; a hint says
// why when the message alone does not.
func (s *Server) nextSteps(c *fiber.Ctx, e *Error, data fiber.Map) {
	lang := s.lang(c)
	link := func(href, id string) nextLink { return nextLink{href, s.msgs.T(lang, id)} }
	home := link("/", "error.home")
	back := s.formPage(c)
	var hint string
	var links []nextLink
	switch {
	case (c.Path() == "/join" || strings.HasPrefix(c.Path(), "/join/")) && e.Status == fiber.StatusNotFound:
		// A mistyped or old poster: sign up without a team, or type the
		// team code printed under the QR code.
		hint = "join.unknown.hint"
		data["TeamForm"] = true
		if user(c) == nil {
			links = []nextLink{link("/register", "join.unknown.register"), link("/login", "nav.login")}
		} else {
			links = []nextLink{link("/", "join.unknown.learn")}
		}
	case e.Msg == "error.csrf":
		links = []nextLink{link(back, "error.next.form"), home}
	case e.Msg == "error.login_needed":
		links = []nextLink{link("/login?next="+urlQueryEscape(back), "nav.login"), link("/register", "nav.register")}
	case e.Status == fiber.StatusForbidden:
		hint = "error.hint.forbidden"
		links = []nextLink{home}
		if user(c) != nil {
			links = append(links, link("/account", "nav.account"))
		} else {
			links = append(links, link("/login?next="+urlQueryEscape(back), "nav.login"))
		}
	case e.Status == fiber.StatusNotFound || e.Status == fiber.StatusMethodNotAllowed:
		hint = "error.hint.not_found"
		links = []nextLink{home, link("/v", "nav.verify")}
	case e.Status == fiber.StatusTooManyRequests:
		links = []nextLink{home}
		if back != "/" {
			links = append(links, link(back, "error.next.back"))
		}
	case e.Status >= 500 || e.Msg == "error.busy":
		again := back
		if c.Method() == fiber.MethodGet {
			again = c.OriginalURL()
		}
		links = []nextLink{link(again, "error.next.retry"), home}
	default:
		if back != "/" {
			links = append(links, link(back, "error.next.back"))
		}
		links = append(links, home)
	}
	if hint != "" {
		data["Hint"] = s.msgs.T(lang, hint)
	}
	data["Next"] = links
}

// formPage is the page a request came from, when it is one of ours (the
// browser sends it: Referrer-Policy same-origin); else, for a form, the
// page that shows it (a form's address less its action: /account/delete
// is sent from /account); else the home page.
func (s *Server) formPage(c *fiber.Ctx) string {
	if ref := c.Get(fiber.HeaderReferer); ref != "" {
		if u, err := url.Parse(ref); err == nil && (u.Host == "" || strings.TrimPrefix(strings.TrimPrefix(s.cfg.BaseURL, "https://"), "http://") == u.Host || u.Host == string(c.Request().Host())) {
			if p := safeNext(u.RequestURI()); p != "/" || u.Path == "/" {
				return p
			}
		}
	}
	if c.Method() == fiber.MethodGet {
		return "/"
	}
	p := c.Path()
	switch {
	case p == "/logout":
		return "/"
	case p == "/admin/teams":
		return "/admin"
	}
	for _, action := range []string{"/delete", "/password", "/leave-team", "/privacy", "/name", "/revoke", "/rename", "/leader"} {
		if form, ok := strings.CutSuffix(p, action); ok && form != "" {
			return safeNext(form)
		}
	}
	return safeNext(p)
}

func (s *Server) logPanic(c *fiber.Ctx, e any) {
	s.log.Error("panic", slog.String("method", c.Method()), slog.String("path", c.Path()), slog.Any("panic", e), slog.String("stack", string(debug.Stack())))
}

func isAPI(c *fiber.Ctx) bool {
	p := c.Path()
	return len(p) >= 5 && p[:5] == "/api/"
}
