package web

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strconv"
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

// resetState is what a person's reset record holds: her live code, if
// any, and the resets made with someone's help that she is still to be
// told of. The store keeps one record per person (store.Reset); its Hash
// holds space-separated tokens, "code:<hash>:<expires ms>" and
// "done:<at ms>:<helper id>", its Expires the latest time any of them is
// needed, its By the maker of the live code. A record made before these
// tokens (a bare hash) is a live code that expires with the record.
type resetState struct {
	Code        string // hash of the live code, "" for none
	CodeExpires time.Time
	By          string // who made the live code
	Notices     []resetNotice
}

type resetNotice struct {
	At time.Time
	By string // who made the code that was used
}

func parseReset(r *store.Reset, now time.Time) resetState {
	var st resetState
	if r == nil {
		return st
	}
	st.By = r.By
	for _, tok := range strings.Fields(r.Hash) {
		kind, rest, _ := strings.Cut(tok, ":")
		a, b, _ := strings.Cut(rest, ":")
		switch {
		case len(tok) == 64 && !strings.Contains(tok, ":"):
			st.Code, st.CodeExpires = tok, r.Expires
		case kind == "code":
			if ms, err := strconv.ParseInt(b, 10, 64); err == nil {
				st.Code, st.CodeExpires = a, time.UnixMilli(ms).UTC()
			}
		case kind == "done":
			if ms, err := strconv.ParseInt(a, 10, 64); err == nil {
				st.Notices = append(st.Notices, resetNotice{At: time.UnixMilli(ms).UTC(), By: b})
			}
		}
	}
	if st.Code != "" && (now.After(st.CodeExpires) || r.Failures >= resetFailures) {
		st.Code = ""
	}
	st.Notices = slices.DeleteFunc(st.Notices, func(n resetNotice) bool { return now.Sub(n.At) > resetNoticeTTL })
	return st
}

// record is the store record of st, nil when there is nothing to keep.
func (st resetState) record(userID string) *store.Reset {
	var toks []string
	var expires time.Time
	by := st.By
	if st.Code != "" {
		toks = append(toks, "code:"+st.Code+":"+strconv.FormatInt(st.CodeExpires.UnixMilli(), 10))
		expires = st.CodeExpires
	}
	if len(st.Notices) > resetNotices {
		st.Notices = st.Notices[len(st.Notices)-resetNotices:]
	}
	for _, n := range st.Notices {
		toks = append(toks, "done:"+strconv.FormatInt(n.At.UnixMilli(), 10)+":"+n.By)
		if e := n.At.Add(resetNoticeTTL); e.After(expires) {
			expires = e
		}
		if st.Code == "" {
			by = n.By
		}
	}
	if len(toks) == 0 {
		return nil
	}
	return &store.Reset{UserID: userID, Hash: strings.Join(toks, " "), Expires: expires, By: by}
}

// resetState reads a person's reset record.
func (s *Server) resetState(c *fiber.Ctx, userID string) (resetState, error) {
	now := s.now()
	r, err := s.store.ResetOf(c.UserContext(), userID, now)
	if errors.Is(err, store.ErrNotFound) {
		return resetState{}, nil
	}
	if err != nil {
		return resetState{}, err
	}
	return parseReset(r, now), nil
}

// triesKey counts the tries of one code. The tries of a code all count in
// the window holding its expiry, which ends after it: one count for the
// code's whole life, whenever the tries come.
func triesKey(userID string, st resetState) (string, time.Duration, time.Time) {
	return "reset:" + userID + ":" + st.Code[:min(16, len(st.Code))], time.Hour, st.CodeExpires
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
	// The new code replaces any earlier one; resets still to be told are
	// kept.
	st, err := s.resetState(c, m.ID)
	if err != nil {
		return err
	}
	st.Code, st.CodeExpires, st.By = resetHash(m.ID, code), now.Add(resetTTL), user(c).ID
	if err := s.store.SetReset(c.UserContext(), st.record(m.ID)); err != nil {
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
	if code := c.Cookies(cookieReset); len(code) == 6 {
		st, err := s.resetState(c, m.ID)
		if err != nil {
			return err
		}
		if st.Code != "" && st.Code == resetHash(m.ID, code) {
			key, window, at := triesKey(m.ID, st)
			tries, err := s.store.Hits(c.UserContext(), key, window, at)
			if err != nil {
				return err
			}
			if tries < resetFailures {
				data["Code"] = code[:3] + " " + code[3:]
			}
		}
	}
	return s.render(c, "reset_code", "reset.code.title", data)
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
// with someone's help in the last resetNoticeTTL.
func (s *Server) resetNotices(c *fiber.Ctx, userID string) ([]shownNotice, error) {
	st, err := s.resetState(c, userID)
	if err != nil || len(st.Notices) == 0 {
		return nil, err
	}
	ids := make([]string, len(st.Notices))
	for i, n := range st.Notices {
		ids[i] = n.By
	}
	people, err := s.store.UsersByIDs(c.UserContext(), ids)
	if err != nil {
		return nil, err
	}
	lang := s.lang(c)
	out := make([]shownNotice, 0, len(st.Notices))
	for _, n := range slices.Backward(st.Notices) {
		helper := s.msgs.T(lang, "reset.notice.someone")
		if p := people[n.By]; p != nil {
			switch p.Role {
			case store.RoleAdmin:
				helper = s.msgs.T(lang, "reset.notice.admin", "Name", p.Name)
			case store.RoleLeader:
				helper = s.msgs.T(lang, "reset.notice.leader", "Name", p.Name)
			default:
				helper = p.Name
			}
		}
		out = append(out, shownNotice{At: n.At, Helper: helper})
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
	var st resetState
	if u != nil {
		if st, err = s.resetState(c, u.ID); err != nil {
			return err
		}
	}
	right := false
	if st.Code != "" {
		key, window, at := triesKey(u.ID, st)
		over, err := s.over(c, key, resetFailures, window, at)
		if err != nil {
			return err
		}
		if over {
			// Not compared: the code has had its five tries.
			return show(fiber.StatusUnauthorized, forms.Errors{"code": "reset.code.used_up"})
		}
		right = subtle.ConstantTimeCompare([]byte(resetHash(u.ID, code)), []byte(st.Code)) == 1
	}
	if !right {
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
	// The code goes; what stays is the notice for her next sign-in: when,
	// and with whose help.
	used := st.By
	st.Code, st.By = "", ""
	st.Notices = append(st.Notices, resetNotice{At: now, By: used})
	if err := s.store.SetReset(c.UserContext(), st.record(u.ID)); err != nil {
		return err
	}
	if err := s.signIn(c, u); err != nil {
		return err
	}
	return c.Redirect("/?reset=1", fiber.StatusSeeOther)
}
