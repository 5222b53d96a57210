package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/gofiber/fiber/v2"

	"kynangso/app/forms"
	"kynangso/app/locality"
	"kynangso/app/password"
	"kynangso/app/store"
)

// Registering with a leader beside you ("Đăng ký giúp", issue 10): many
// residents have never filled in a web form alone. Their team's leader
// (or an admin) types the resident's name, phone and commune on the team
// page; then she hands the phone over, and the resident herself reads the
// consent text, on a screen that says who is helping, and gives consent
// with her own tap (Luật 91/2025/QH15: her consent, not the leader's).
// The record keeps that the registration was assisted and by whom
// (store.Consent.AssistedBy), with the consent's version and time.
//
// The resident gets her own way in, which the leader never learns: she
// types a password herself on that screen, the leader looking away, or she
// gets a one-time code (the reset code of reset.go, shown once to be
// written down) to set one later on her own phone. The leader's browser
// is never signed in as her: the leader stays herself throughout, and has
// no power over the new member beyond what any leader has over a member.

// Ways the resident gets in.
const (
	assistWayPassword = "password" // she sets it now
	assistWayCode     = "code"     // a one-time code, to set it later
)

type assistForm struct {
	registerForm
	Way string
	// Attempt is the consent screen's own random id, so that a repeat of
	// its submit (a double tap) is told apart from another registration.
	Attempt string
}

func parseAssist(c *fiber.Ctx) assistForm {
	f := assistForm{registerForm: parseRegister(c), Way: c.FormValue("way"), Attempt: c.FormValue("attempt")}
	f.Team = ""
	if f.Way != assistWayCode {
		f.Way = assistWayPassword
	}
	if b, err := hex.DecodeString(f.Attempt); err != nil || len(b) != 16 {
		f.Attempt = newAttempt()
	}
	return f
}

func newAttempt() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func assistPath(t *store.Team) string { return "/teams/" + t.ID + "/assist" }

// assistForm: GET /teams/:code/assist, the leader's form. The team's own
// commune is filled in: most residents live where their team works.
func (s *Server) assistStart(c *fiber.Ctx) error {
	t, err := s.ledTeam(c)
	if err != nil {
		return err
	}
	f := assistForm{registerForm: registerForm{Province: t.Province}}
	if cm := s.places.Commune(t.Commune); cm != nil {
		f.Commune = cm.Name
	}
	return s.showAssist(c, t, f, forms.Errors{}, nil)
}

func (s *Server) showAssist(c *fiber.Ctx, t *store.Team, f assistForm, errs forms.Errors, choices []*locality.Commune) error {
	f.Password = ""
	data := fiber.Map{"Team": t, "Form": f, "Errors": errs, "Provinces": s.places.Provinces, "Choices": choices}
	if p := s.places.Province(f.Province); p != nil {
		data["Communes"] = p.Communes
	}
	return s.render(c, "assist", "assist.title", data)
}

// showAssistConsent is the screen the resident reads and taps herself.
func (s *Server) showAssistConsent(c *fiber.Ctx, t *store.Team, f assistForm, cm *locality.Commune, errs forms.Errors) error {
	f.Password = ""
	f.Province, f.CommuneCode, f.Commune = cm.Province.Code, cm.Code, cm.Name
	me := user(c)
	helper := s.msgs.T(s.lang(c), "assist.helper.leader", "Name", me.Name, "Team", t.Name)
	if t.LeaderID != me.ID {
		helper = s.msgs.T(s.lang(c), "assist.helper.admin", "Name", me.Name)
	}
	data := fiber.Map{"Team": t, "Form": f, "Errors": errs, "Helper": helper, "ConsentVersion": ConsentVersion,
		"Minutes": int(resetTTL.Minutes())}
	return s.render(c, "assist_consent", "assist.consent.title", data)
}

// checkAssisted validates what the leader typed: name, phone (returned
// normalised) and commune.
func (s *Server) checkAssisted(f assistForm, errs forms.Errors) (string, *locality.Commune, []*locality.Commune) {
	errs.Check("name", forms.Name(f.Name))
	phone, msg := forms.Phone(f.Phone)
	errs.Check("phone", msg)
	cm, choices := s.resolveCommune(f.registerForm, errs)
	return phone, cm, choices
}

// assistCheck: POST /teams/:code/assist, the leader's form sent. Right,
// it leads to the consent screen; "edit" on that screen comes back here
// to change what was typed.
func (s *Server) assistCheck(c *fiber.Ctx) error {
	t, err := s.ledTeam(c)
	if err != nil {
		return err
	}
	f := parseAssist(c)
	if c.FormValue("edit") == "1" {
		return s.showAssist(c, t, f, forms.Errors{}, nil)
	}
	errs := forms.Errors{}
	phone, cm, choices := s.checkAssisted(f, errs)
	if len(errs) > 0 {
		c.Status(fiber.StatusUnprocessableEntity)
		return s.showAssist(c, t, f, errs, choices)
	}
	if _, err := s.store.UserByPhone(c.UserContext(), phone); err == nil {
		errs.Check("phone", "assist.phone.taken")
		c.Status(fiber.StatusConflict)
		return s.showAssist(c, t, f, errs, nil)
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	f.Phone = phone
	return s.showAssistConsent(c, t, f, cm, forms.Errors{})
}

// assistRegister: POST /teams/:code/assist/consent, the resident's own
// tap. It makes her account in the team; the leader stays signed in as
// herself.
func (s *Server) assistRegister(c *fiber.Ctx) error {
	t, err := s.ledTeam(c)
	if err != nil {
		return err
	}
	me := user(c)
	f := parseAssist(c)
	errs := forms.Errors{}
	phone, cm, choices := s.checkAssisted(f, errs)
	if len(errs) > 0 {
		// What the leader typed, changed on the way: back to her form.
		c.Status(fiber.StatusUnprocessableEntity)
		return s.showAssist(c, t, f, errs, choices)
	}
	f.Phone = phone
	if !f.Consent {
		errs.Check("consent", "assist.consent.required")
	}
	if f.Way == assistWayPassword {
		errs.Check("password", forms.Password(f.Password))
	}
	if len(errs) > 0 {
		c.Status(fiber.StatusUnprocessableEntity)
		return s.showAssistConsent(c, t, f, cm, errs)
	}
	now := s.now()
	// Counted as any sign-up from this address (accounts.go).
	if over, err := s.over(c, "register:"+c.IP(), registerPerAddress, registerWindow, now); err != nil {
		return err
	} else if over {
		retryAfter(c, registerWindow, now)
		return fail(fiber.StatusTooManyRequests, "register.too_many")
	}
	// This consent screen was sent: a repeat of it finds the mark.
	if _, err := s.store.Hit(c.UserContext(), assistMark(phone, f.Attempt), markWindow, now); err != nil {
		return err
	}
	pw := f.Password
	if f.Way == assistWayCode {
		pw = newAttempt() + newAttempt() // known to no one: she sets hers with the code
	}
	u := &store.User{
		ID: store.NewID(), Name: f.Name, NameFolded: locality.Fold(f.Name), Phone: phone,
		PasswordHash: password.Hash(pw), Role: store.RoleLearner,
		Province: cm.Province.Code, Commune: cm.Code, TeamID: t.ID,
		Consent: store.Consent{Version: ConsentVersion, At: now, AssistedBy: me.ID}, Created: now, LastActive: now,
	}
	if err := s.store.CreateUser(c.UserContext(), u); err != nil {
		if !errors.Is(err, store.ErrDuplicate) {
			return err
		}
		// A double tap: the first tap made this very account.
		first, err := s.repeatedAssist(c, t, f, phone)
		if err != nil {
			return err
		}
		if first == nil {
			errs.Check("phone", "assist.phone.taken")
			c.Status(fiber.StatusConflict)
			return s.showAssist(c, t, f, errs, nil)
		}
		return s.assistDone(c, t, first, f)
	}
	// Who helped whom, into which team; its id writes a retry once.
	// Nothing that waited for this phone (a team to lead, an official's
	// role) is given here: she takes it up herself, later, with the claim
	// code the appointer gives her, which the leader beside her never
	// sees (claims.go).
	if err := s.store.Audit(c.UserContext(), &store.AuditEntry{ID: "assisted:" + u.ID, At: now, Actor: me.ID,
		Action: store.ActAssistedRegister, Target: u.ID, Detail: t.ID}); err != nil {
		return err
	}
	s.log.Info("registered with help", slog.String("user", u.ID), slog.String("team", t.ID), slog.String("helper", me.ID))
	return s.assistDone(c, t, u, f)
}

func assistMark(phone, attempt string) string {
	h := sha256.Sum256([]byte(phone + ":" + attempt))
	return "assist:" + hex.EncodeToString(h[:16])
}

// repeatedAssist finds the account a repeat of this consent screen's
// submit refers to: made moments ago by this helper, into this team, under
// this name, by a submit of this very screen. Nil for none.
func (s *Server) repeatedAssist(c *fiber.Ctx, t *store.Team, f assistForm, phone string) (*store.User, error) {
	u, err := s.store.UserByPhone(c.UserContext(), phone)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	now := s.now()
	if now.Sub(u.Created) > repeatWindow || u.Name != f.Name || u.TeamID != t.ID || u.Consent.AssistedBy != user(c).ID {
		return nil, nil
	}
	for _, at := range []time.Time{now, now.Add(-repeatWindow)} { // the mark may be in the window before
		n, err := s.store.Hits(c.UserContext(), assistMark(phone, f.Attempt), markWindow, at)
		if err != nil {
			return nil, err
		}
		if n > 0 {
			return u, nil
		}
	}
	return nil, nil
}

// assistCode is the one-time code of a registration: made from the
// consent screen's id and keyed by the helper's session, so that a repeat
// of the submit shows the very code the first made (and replaces nothing),
// while nobody can choose it.
func assistCode(c *fiber.Ctx, userID, attempt string) string {
	tok, _ := c.Locals(localSessionToken).(string)
	m := hmac.New(sha256.New, []byte(tok))
	m.Write([]byte("kynangso assist code v1|" + userID + "|" + attempt))
	return fmt.Sprintf("%06d", binary.BigEndian.Uint64(m.Sum(nil)[:8])%1_000_000)
}

const cookieAssist = "kns_assist"

func assistDonePath(t *store.Team, u *store.User) string { return assistPath(t) + "/" + u.ID }

// assistDone ends a registration, first or repeated, where the first did:
// on the page that says it is done, with the code when she chose one.
func (s *Server) assistDone(c *fiber.Ctx, t *store.Team, u *store.User, f assistForm) error {
	path := assistDonePath(t, u)
	if f.Way != assistWayCode {
		return c.Redirect(path+"?way="+assistWayPassword, fiber.StatusSeeOther)
	}
	code := assistCode(c, u.ID, f.Attempt)
	hash := resetHash(u.ID, code)
	r, err := s.liveReset(c, u.ID)
	if err != nil {
		return err
	}
	now := s.now()
	if r == nil {
		r = &store.Reset{UserID: u.ID, Hash: hash, Expires: now.Add(resetTTL), By: user(c).ID}
		if err := s.store.SetReset(c.UserContext(), r); err != nil {
			return err
		}
		// Audited as any reset code; its id writes a repeat once.
		if err := s.store.Audit(c.UserContext(), &store.AuditEntry{ID: "assist:" + u.ID + ":" + hash[:16], At: now, Actor: user(c).ID,
			Action: store.ActResetCode, Target: u.ID, Detail: t.ID}); err != nil {
			return err
		}
	}
	if r.Hash == hash {
		// Shown on the page the leader is sent to, kept for that page
		// alone: a reload shows the same code (as reset.go does).
		c.Cookie(&fiber.Cookie{Name: cookieAssist, Value: code, Path: path, MaxAge: int(resetTTL.Seconds()),
			HTTPOnly: true, SameSite: "Strict", Secure: s.cfg.Secure()})
	}
	return c.Redirect(path+"?way="+assistWayCode, fiber.StatusSeeOther)
}

// assistDonePage: GET /teams/:code/assist/:user. It names the new member
// and, while it is live, the code she writes down; nothing else of hers.
func (s *Server) assistDonePage(c *fiber.Ctx) error {
	t, err := s.ledTeam(c)
	if err != nil {
		return err
	}
	m, err := s.store.UserByID(c.UserContext(), c.Params("user"))
	if err != nil || m.TeamID != t.ID || m.Consent.AssistedBy == "" {
		return errNotFound
	}
	data := fiber.Map{"Team": t, "Member": m, "Minutes": int(resetTTL.Minutes()), "Way": c.Query("way")}
	code, err := s.shownCode(c, cookieAssist, m)
	if err != nil {
		return err
	}
	if code != "" {
		data["Code"] = code
	}
	return s.render(c, "assist_done", "assist.done.title", data)
}
