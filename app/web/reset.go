package web

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"kynangso/app/forms"
	"kynangso/app/password"
	"kynangso/app/store"
)

// A member who forgot their password asks their team leader, who makes a
// one-time code on the team page and reads it out; the member types it
// with a new password. Six digits are easy to read aloud; five tries or
// thirty minutes end a code. The tries are counted before the code is
// compared (see ratelimit.go), so of any number of guesses at once only
// five are ever compared.
//
// Who may make a code for whom: a team leader for the ordinary members
// (learners) of her own team only; leaders and admins have powers over
// other people's data, so a leader is reset only by an admin, and an
// admin by no one through the site (there is no official above another
// admin in the platform; the operator recovers an admin). Nobody makes a
// code for herself: she changes her password on her account page.
const (
	resetTTL      = 30 * time.Minute
	resetFailures = 5
	// Tries of /reset per address: 50 people each using all five tries
	// of a code stay under it; 658 guesses a second do not.
	resetWindow     = 15 * time.Minute
	resetPerAddress = 300
	// A reset made with someone's help is told at every sign-in for this
	// long: a session lasts as long, so she signs in about once in it,
	// and whoever else knows the new password cannot hide it from her.
	resetNoticeTTL = 30 * 24 * time.Hour
	resetNotices   = 3 // the latest resets told; older ones are in the audit log
)

func resetHash(userID, code string) string {
	h := sha256.Sum256([]byte(userID + ":" + code))
	return hex.EncodeToString(h[:])
}

// liveReset is a person's live reset code, nil for none.
func (s *Server) liveReset(c *fiber.Ctx, userID string) (*store.Reset, error) {
	r, err := s.store.ResetOf(c.UserContext(), userID, s.now())
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	return r, err
}

// triesKey counts the tries of one code. The tries of a code all count in
// the window holding its expiry, which ends after it: one count for the
// code's whole life, whenever the tries come.
func triesKey(r *store.Reset) (string, time.Duration, time.Time) {
	return "reset:" + r.UserID + ":" + r.Hash[:min(16, len(r.Hash))], time.Hour, r.Expires
}

// mayReset tells whether the signed-in person may make a reset code for
// m: a leader for a learner of her own team t (t nil: no team), an admin
// for anyone but an admin. Nobody for herself.
func (s *Server) mayReset(c *fiber.Ctx, t *store.Team, m *store.User) error {
	me := user(c)
	switch {
	case m.ID == me.ID:
		return errForbidden
	case me.Role == store.RoleAdmin:
		if m.Role == store.RoleAdmin {
			return errForbidden
		}
		return nil
	case t == nil || m.TeamID != t.ID || t.LeaderID != me.ID:
		return errNotFound
	case m.Role != store.RoleLearner:
		return errForbidden
	}
	// A learner who leads a team all the same (appointed while her role
	// said otherwise) is a leader here too.
	led, err := s.store.TeamsLedBy(c.UserContext(), m.ID)
	if err != nil {
		return err
	}
	if len(led) > 0 {
		return errForbidden
	}
	return nil
}

// teamMember loads the member in the URL for the leader of the team (or
// an admin) who may make her a reset code.
func (s *Server) teamMember(c *fiber.Ctx) (*store.Team, *store.User, error) {
	t, err := s.ledTeam(c)
	if err != nil {
		return nil, nil, err
	}
	m, err := s.store.UserByID(c.UserContext(), c.Params("user"))
	if err != nil || m.TeamID != t.ID {
		return nil, nil, errNotFound
	}
	if err := s.mayReset(c, t, m); err != nil {
		return nil, nil, err
	}
	return t, m, nil
}

// adminPerson loads the person in the URL for an admin who may make her a
// reset code, with a team to go back to.
func (s *Server) adminPerson(c *fiber.Ctx) (*store.Team, *store.User, error) {
	m, err := s.store.UserByID(c.UserContext(), c.Params("user"))
	if err != nil {
		return nil, nil, errNotFound
	}
	if err := s.mayReset(c, nil, m); err != nil {
		return nil, nil, err
	}
	t := &store.Team{ID: m.TeamID, Name: s.msgs.T(s.lang(c), "admin.title")}
	if m.TeamID != "" {
		if team, err := s.store.Team(c.UserContext(), m.TeamID); err == nil {
			t = team
		}
	}
	return t, m, nil
}

func (s *Server) makeResetCode(c *fiber.Ctx) error {
	t, m, err := s.teamMember(c)
	if err != nil {
		return err
	}
	return s.newResetCode(c, t.ID, m)
}

// adminMakeResetCode: POST /admin/people/:user/reset.
func (s *Server) adminMakeResetCode(c *fiber.Ctx) error {
	_, m, err := s.adminPerson(c)
	if err != nil {
		return err
	}
	return s.newResetCode(c, m.TeamID, m)
}

func (s *Server) newResetCode(c *fiber.Ctx, teamID string, m *store.User) error {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return err
	}
	code := fmt.Sprintf("%06d", n.Int64())
	now := s.now()
	// The new code replaces any earlier one.
	r := &store.Reset{UserID: m.ID, Hash: resetHash(m.ID, code), Expires: now.Add(resetTTL), By: user(c).ID}
	if err := s.store.SetReset(c.UserContext(), r); err != nil {
		return err
	}
	if err := s.store.Audit(c.UserContext(), &store.AuditEntry{At: now, Actor: user(c).ID, Action: store.ActResetCode, Target: m.ID, Detail: teamID}); err != nil {
		return err
	}
	// The code is shown on the page the leader is sent to, and kept for it
	// in a cookie of that page alone: a reload shows the same code rather
	// than making a new one that cancels the code already read out.
	c.Cookie(&fiber.Cookie{Name: cookieReset, Value: code, Path: c.Path(), MaxAge: int(resetTTL.Seconds()),
		HTTPOnly: true, SameSite: "Strict", Secure: s.cfg.Secure()})
	return c.Redirect(c.Path(), fiber.StatusSeeOther)
}

const cookieReset = "kns_reset"

// resetCodePage shows the code just made, while it is still the live one.
func (s *Server) resetCodePage(c *fiber.Ctx) error {
	t, m, err := s.teamMember(c)
	if err != nil {
		return err
	}
	return s.showResetCode(c, t, m)
}

// adminResetCodePage: GET /admin/people/:user/reset.
func (s *Server) adminResetCodePage(c *fiber.Ctx) error {
	t, m, err := s.adminPerson(c)
	if err != nil {
		return err
	}
	return s.showResetCode(c, t, m)
}

func (s *Server) showResetCode(c *fiber.Ctx, t *store.Team, m *store.User) error {
	data := fiber.Map{"Team": t, "Member": m, "Minutes": int(resetTTL.Minutes())}
	code, err := s.shownCode(c, cookieReset, m)
	if err != nil {
		return err
	}
	if code != "" {
		data["Code"] = code
	}
	return s.render(c, "reset_code", "reset.code.title", data)
}

// shownCode is the reset code this browser made for m (kept in cookie),
// grouped for reading aloud, while it is live and has tries left; "" if
// not.
func (s *Server) shownCode(c *fiber.Ctx, cookie string, m *store.User) (string, error) {
	code := c.Cookies(cookie)
	if len(code) != 6 {
		return "", nil
	}
	r, err := s.liveReset(c, m.ID)
	if err != nil || r == nil || r.Hash != resetHash(m.ID, code) {
		return "", err
	}
	key, window, at := triesKey(r)
	tries, err := s.store.Hits(c.UserContext(), key, window, at)
	if err != nil || tries >= resetFailures {
		return "", err
	}
	return code[:3] + " " + code[3:], nil
}

// resetNoticePath is where a person is told, after signing in, that her
// password was reset with someone's help (GET /reset, signed in).
const resetNoticePath = "/reset"

func (s *Server) resetForm(c *fiber.Ctx) error {
	if u := user(c); u != nil {
		notices, err := s.resetNotices(c, u.ID)
		if err != nil {
			return err
		}
		next := safeNext(c.Query("next"))
		if len(notices) > 0 {
			return s.render(c, "reset_notice", "reset.notice.title", fiber.Map{"Notices": notices, "Next": next})
		}
		if c.Query("next") != "" {
			return c.Redirect(next)
		}
	}
	return s.render(c, "reset", "reset.title", fiber.Map{"Errors": forms.Errors{}})
}

// shownNotice is one reset as the person reads it.
type shownNotice struct {
	At     time.Time
	Helper string
}

// resetNotices lists, newest first, the resets of userID's password made
// with someone's help in the last resetNoticeTTL, from the audit log.
func (s *Server) resetNotices(c *fiber.Ctx, userID string) ([]shownNotice, error) {
	done, err := s.store.AuditAbout(c.UserContext(), userID, store.ActPasswordReset, s.now().Add(-resetNoticeTTL), resetNotices)
	if err != nil || len(done) == 0 {
		return nil, err
	}
	ids := make([]string, len(done))
	for i, e := range done {
		ids[i] = e.Actor
	}
	people, err := s.store.UsersByIDs(c.UserContext(), ids)
	if err != nil {
		return nil, err
	}
	lang := s.lang(c)
	out := make([]shownNotice, 0, len(done))
	for _, e := range done {
		helper := s.msgs.T(lang, "reset.notice.someone")
		if p := people[e.Actor]; p != nil {
			switch p.Role {
			case store.RoleAdmin:
				helper = s.msgs.T(lang, "reset.notice.admin", "Name", p.Name)
			case store.RoleLeader:
				helper = s.msgs.T(lang, "reset.notice.leader", "Name", p.Name)
			default:
				helper = p.Name
			}
		}
		out = append(out, shownNotice{At: e.At, Helper: helper})
	}
	return out, nil
}

func (s *Server) reset(c *fiber.Ctx) error {
	typedPhone, typedCode, pw := c.FormValue("phone"), c.FormValue("code"), c.FormValue("password")
	code := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, typedCode)
	show := func(status int, errs forms.Errors) error {
		c.Status(status)
		return s.render(c, "reset", "reset.title", fiber.Map{"Errors": errs, "Phone": typedPhone})
	}
	errs := forms.Errors{}
	phone, msg := forms.Phone(typedPhone)
	errs.Check("phone", msg)
	if len(code) != 6 {
		errs.Check("code", "reset.code.invalid")
	}
	errs.Check("password", forms.Password(pw))
	if len(errs) > 0 {
		return show(fiber.StatusUnprocessableEntity, errs)
	}
	// Counted first, then checked: by address, then by code.
	now := s.now()
	if over, err := s.over(c, "reset-ip:"+c.IP(), resetPerAddress, resetWindow, now); err != nil {
		return err
	} else if over {
		retryAfter(c, resetWindow, now)
		return show(fiber.StatusTooManyRequests, forms.Errors{"code": "reset.too_many"})
	}
	u, err := s.store.UserByPhone(c.UserContext(), phone)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	var r *store.Reset
	if u != nil {
		if r, err = s.liveReset(c, u.ID); err != nil {
			return err
		}
	}
	right := false
	if r != nil {
		key, window, at := triesKey(r)
		over, err := s.over(c, key, resetFailures, window, at)
		if err != nil {
			return err
		}
		if over {
			// Not compared: the code has had its five tries.
			return show(fiber.StatusUnauthorized, forms.Errors{"code": "reset.code.used_up"})
		}
		right = subtle.ConstantTimeCompare([]byte(resetHash(u.ID, code)), []byte(r.Hash)) == 1
	}
	if right {
		// Of two taps at once with this code, one uses it up; the other
		// waits for it to finish, so that the first does not end the
		// session the second signs in with (repeats.go).
		if first, err := s.store.HitUpTo(c.UserContext(), "reset-use:"+u.ID+":"+r.Hash[:16], 1, time.Hour, r.Expires); err != nil {
			return err
		} else if first > 1 {
			if again, err := s.awaitReset(c, u, code, pw); err != nil {
				return err
			} else if again {
				return c.Redirect("/?reset=1", fiber.StatusSeeOther)
			}
		}
	}
	if !right {
		// A double tap: the first tap used this very code.
		if u != nil {
			if again, err := s.repeatedReset(c, u, code, pw, now); err != nil {
				return err
			} else if again {
				return c.Redirect("/?reset=1", fiber.StatusSeeOther)
			}
		}
		return show(fiber.StatusUnauthorized, forms.Errors{"code": "reset.code.wrong"})
	}
	// The code is used up last: a failure before that leaves it live, so
	// trying again finishes the reset.
	if err := s.store.SetPassword(c.UserContext(), u.ID, password.Hash(pw)); err != nil {
		return err
	}
	// Whoever knew the old password is signed out everywhere.
	if err := s.store.DeleteUserSessions(c.UserContext(), u.ID); err != nil {
		return err
	}
	// Audited as done with the help of whoever made the code: she is told
	// of it at her sign-ins (resetNotices). Its id makes a retry write it
	// once.
	if err := s.store.Audit(c.UserContext(), &store.AuditEntry{ID: "reset:" + u.ID + ":" + r.Hash[:16], At: now, Actor: r.By,
		Action: store.ActPasswordReset, Target: u.ID}); err != nil {
		return err
	}
	if err := s.store.DeleteReset(c.UserContext(), u.ID, r.Hash); err != nil {
		return err
	}
	if err := s.signIn(c, u); err != nil {
		return err
	}
	return c.Redirect("/?reset=1", fiber.StatusSeeOther)
}
