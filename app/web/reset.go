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
// with a new password. Six digits are easy to read aloud; five wrong
// tries or thirty minutes end a code.
const (
	resetTTL      = 30 * time.Minute
	resetFailures = 5
)

func resetHash(userID, code string) string {
	h := sha256.Sum256([]byte(userID + ":" + code))
	return hex.EncodeToString(h[:])
}

// teamMember loads the member in the URL for the leader of the team, who
// may act for members only, never for an admin or another team's member.
func (s *Server) teamMember(c *fiber.Ctx) (*store.Team, *store.User, error) {
	t, err := s.ledTeam(c)
	if err != nil {
		return nil, nil, err
	}
	m, err := s.store.UserByID(c.UserContext(), c.Params("user"))
	if err != nil || m.TeamID != t.ID {
		return nil, nil, errNotFound
	}
	if m.Role == store.RoleAdmin || m.ID == user(c).ID {
		return nil, nil, errForbidden
	}
	return t, m, nil
}

func (s *Server) makeResetCode(c *fiber.Ctx) error {
	t, m, err := s.teamMember(c)
	if err != nil {
		return err
	}
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return err
	}
	code := fmt.Sprintf("%06d", n.Int64())
	now := s.now()
	r := &store.Reset{UserID: m.ID, Hash: resetHash(m.ID, code), Expires: now.Add(resetTTL), By: user(c).ID}
	if err := s.store.SetReset(c.UserContext(), r); err != nil {
		return err
	}
	if err := s.store.Audit(c.UserContext(), &store.AuditEntry{At: now, Actor: user(c).ID, Action: store.ActResetCode, Target: m.ID, Detail: t.ID}); err != nil {
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
	data := fiber.Map{"Team": t, "Member": m, "Minutes": int(resetTTL.Minutes())}
	if code := c.Cookies(cookieReset); len(code) == 6 {
		r, err := s.store.ResetOf(c.UserContext(), m.ID, s.now())
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if r != nil && r.Hash == resetHash(m.ID, code) && r.Failures < resetFailures {
			data["Code"] = code[:3] + " " + code[3:]
		}
	}
	return s.render(c, "reset_code", "reset.code.title", data)
}

func (s *Server) resetForm(c *fiber.Ctx) error {
	return s.render(c, "reset", "reset.title", fiber.Map{"Errors": forms.Errors{}})
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
	u, err := s.store.UserByPhone(c.UserContext(), phone)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	var r *store.Reset
	if u != nil {
		if r, err = s.store.ResetOf(c.UserContext(), u.ID, s.now()); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	if r == nil || r.Failures >= resetFailures || subtle.ConstantTimeCompare([]byte(resetHash(u.ID, code)), []byte(r.Hash)) != 1 {
		if r != nil {
			if err := s.store.FailReset(c.UserContext(), u.ID); err != nil {
				return err
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
	if err := s.store.DeleteReset(c.UserContext(), u.ID, r.Hash); err != nil {
		return err
	}
	if err := s.signIn(c, u); err != nil {
		return err
	}
	return c.Redirect("/?reset=1", fiber.StatusSeeOther)
}
