package web

import (
	"errors"
	"log/slog"
	"runtime/debug"

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
	return s.render(c, "error", "error.title", fiber.Map{"Message": e.Msg, "Status": e.Status})
}

func (s *Server) logPanic(c *fiber.Ctx, e any) {
	s.log.Error("panic", slog.String("method", c.Method()), slog.String("path", c.Path()), slog.Any("panic", e), slog.String("stack", string(debug.Stack())))
}

func isAPI(c *fiber.Ctx) bool {
	p := c.Path()
	return len(p) >= 5 && p[:5] == "/api/"
}
