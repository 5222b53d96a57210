package web

import (
	"errors"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"kynangso/app/certcode"
	"kynangso/app/password"
	"kynangso/app/store"
)

// Older users double-tap, and a slow answer is sent again. A form that
// makes or uses up something (an account, a reset code, a setup link, a
// certificate's validity) would then find its work done by the first
// request and say so as an error: "this number is already registered",
// "the code is wrong", "already revoked", "sign in first". The browser
// shows the answer to the last request sent, so that answer must be the
// one the first request got. Each form tells a repeat of itself apart from
// a different request by what the first one left: the account made moments
// ago with this very name and password, the audit entry of this very
// reset code, the certificate revoked moments ago for this very reason, a
// mark left by the session that deleted its account. (The quiz does the
// same with its attempt id; joining a team, setting up the first admin and
// re-issuing under a corrected name are repeatable as they are.)

// repeatWindow is how long after a form's first submit a repeat of it
// ends where the first did; the CSRF check keeps the form's token good
// for as long (csrfRepeat).
const repeatWindow = csrfRepeat

// repeatedSignUp tells whether a sign-up refused because its number is
// taken repeats the sign-up that took it: the account was made moments
// ago with this name and this password. It then signs in as the first
// did. The password is checked as a sign-in is, under the sign-in limits,
// so the form is no way round them.
func (s *Server) repeatedSignUp(c *fiber.Ctx, f registerForm, phone string, now time.Time) (bool, error) {
	u, err := s.store.UserByPhone(c.UserContext(), phone)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if now.Sub(u.Created) > repeatWindow || u.Name != f.Name {
		return false, nil
	}
	keys := keysOf(phone, c.IP())
	if why, err := s.loginAllowed(c, keys, now); err != nil || why != "" {
		return false, err
	}
	if !password.Check(u.PasswordHash, f.Password) {
		return false, nil
	}
	if err := s.loginSucceeded(c, keys, now); err != nil {
		return false, err
	}
	return true, s.signIn(c, u)
}

// repeatedReset tells whether a reset refused because its code is no
// longer live repeats the reset that used it: the audit entry of this
// code (its id names the code's hash) is moments old, and the password
// is the one it set. It then signs in as the first did.
func (s *Server) repeatedReset(c *fiber.Ctx, u *store.User, code, pw string, now time.Time) (bool, error) {
	ctx := c.UserContext()
	done, err := s.store.AuditAbout(ctx, u.ID, store.ActPasswordReset, now.Add(-repeatWindow), resetNotices)
	if err != nil {
		return false, err
	}
	id := "reset:" + u.ID + ":" + resetHash(u.ID, code)[:16]
	found := false
	for _, e := range done {
		found = found || e.ID == id
	}
	if !found {
		return false, nil
	}
	// Read again: the first request may have set the password since.
	if u, err = s.store.UserByID(ctx, u.ID); err != nil {
		return false, err
	}
	if !password.Check(u.PasswordHash, pw) {
		return false, nil
	}
	return true, s.signIn(c, u)
}

// awaitReset is the second of two requests using one reset code at once:
// it waits, a little, for the first to finish (its audit entry), then
// signs in as the first did. If the first has not finished by then (it
// failed), this request does the reset itself, as any retry would.
func (s *Server) awaitReset(c *fiber.Ctx, u *store.User, code, pw string) (bool, error) {
	for range 80 {
		if again, err := s.repeatedReset(c, u, code, pw, s.now()); err != nil || again {
			return again, err
		}
		time.Sleep(25 * time.Millisecond)
	}
	return false, nil
}

// Marks a form leaves when it ends its session for good (the account
// deleted), so that a repeat of it is told apart from a form whose
// session merely expired. A mark is keyed by the form's token (the one
// bound to the session it was shown in), which a repeat carries whether
// the browser sends it with the cookies from before the first answer or
// after. Marks are rate-limit counters in the database, so they hold
// across instances, and go by themselves.
const markWindow = 10 * time.Minute

func markKey(what string, formToken []byte) string {
	return "repeat:" + what + ":" + hashToken(string(formToken))[:32]
}

func (s *Server) markDone(c *fiber.Ctx, what string) error {
	tok, _ := c.Locals(localCSRFSent).([]byte)
	if len(tok) == 0 {
		return nil
	}
	_, err := s.store.Hit(c.UserContext(), markKey(what, tok), markWindow, s.now())
	return err
}

func (s *Server) markedDone(c *fiber.Ctx, what string) (bool, error) {
	tok, _ := c.Locals(localCSRFSent).([]byte)
	if len(tok) == 0 {
		return false, nil
	}
	now := s.now()
	for _, at := range []time.Time{now, now.Add(-repeatWindow)} { // the mark may be in the window before
		n, err := s.store.Hits(c.UserContext(), markKey(what, tok), markWindow, at)
		if err != nil || n > 0 {
			return n > 0, err
		}
	}
	return false, nil
}

// afterRepeat is asked, for a form refused with e, whether the form
// repeats one whose first submit did the work, and if so where the first
// submit led. It sees the refusals that happen outside the form's own
// handler (a session gone, a workflow's "already done").
func (s *Server) afterRepeat(c *fiber.Ctx, e *Error) (string, error) {
	if c.Method() != fiber.MethodPost {
		return "", nil
	}
	switch {
	case e.Msg == "error.login_needed" && c.Path() == "/account/delete":
		if ok, err := s.markedDone(c, "delete"); err != nil || !ok {
			return "", err
		}
		return "/?deleted=1", nil
	case e.Msg == "admin.cert.already_revoked" && strings.HasSuffix(c.Path(), "/revoke"):
		u := user(c)
		code, err := certcode.Parse(typedCode(c))
		if u == nil || u.Role != store.RoleAdmin || err != nil {
			return "", nil
		}
		ct, err := s.store.Certificate(c.UserContext(), code)
		if err != nil {
			return "", nil
		}
		if ct.Status != store.CertRevoked || ct.ReplacedBy != "" || ct.RevokedAt == nil ||
			ct.RevokeReason != c.FormValue("reason") || s.now().Sub(*ct.RevokedAt) > repeatWindow {
			return "", nil
		}
		return "/admin/certificates/" + certcode.Format(ct.Code), nil
	}
	return "", nil
}
