package web

import (
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"kynangso/app/forms"
	"kynangso/app/places"
	"kynangso/app/store"
)

// An appointment made for a phone with no account yet (an official's
// grant, a team to lead) waits for its claim code: phones are not
// verified, so signing up with the number is no proof of being the
// person appointed. The appointer is shown the code once and reads it to
// the appointee in person or on a call; she enters it when she signs up
// ("Mã nhận nhiệm vụ") or later on her account page, and only then takes
// the appointment up. The codes are made, kept and limited as the reset
// codes of reset.go are: only a hash (resetHash, keyed by the
// appointment), one per appointment (a new one voids the old), five tries
// counted before the code is compared, the same per-address limit, and
// every code made and used in the audit log. They live longer (two weeks:
// an appointment is given out at a meeting, taken up when she gets to
// it), so they have eight digits.
const (
	claimTTL      = 14 * 24 * time.Hour
	claimDigits   = 8
	claimFailures = resetFailures
	cookieClaim   = "kns_claim"
)

// claimCodePath is the appointer's page of an appointment's code.
func claimCodePath(id string) string { return "/appointments/" + id + "/code" }

// claimTriesKey counts the tries of one code for its whole life, as
// triesKey does for a reset code.
func claimTriesKey(cc *store.ClaimCode) (string, time.Duration, time.Time) {
	return "claim:" + cc.ID + ":" + cc.Hash[:min(16, len(cc.Hash))], time.Hour, cc.Expires
}

// typedClaim keeps the digits of a code as typed ("1234 5678").
func typedClaim(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		if r == ' ' || r == '-' || r == '.' {
			return -1
		}
		return 'x' // anything else makes it malformed
	}, strings.TrimSpace(s))
}

func groupClaim(code string) string { return code[:4] + " " + code[4:] }

// newClaimCode makes the appointment's code, replacing any earlier one,
// and sends the appointer to the page that shows it.
func (s *Server) newClaimCode(c *fiber.Ctx, ap *places.Appointment) error {
	n, err := rand.Int(rand.Reader, big.NewInt(100_000_000))
	if err != nil {
		return err
	}
	code := fmt.Sprintf("%0*d", claimDigits, n.Int64())
	now := s.now()
	me := user(c).ID
	cc := &store.ClaimCode{ID: ap.ID, Phone: ap.Phone, Hash: resetHash(ap.ID, code), Expires: now.Add(claimTTL), By: me, Made: now}
	if err := s.store.SetClaimCode(c.UserContext(), cc); err != nil {
		return err
	}
	if err := s.store.Audit(c.UserContext(), &store.AuditEntry{ID: "claim-code:" + ap.ID + ":" + cc.Hash[:16], At: now, Actor: me,
		Action: store.ActClaimCode, Target: ap.ID, Detail: ap.Phone}); err != nil {
		return err
	}
	// Shown on the page the appointer is sent to, kept for that page
	// alone: a reload shows the same code rather than voiding the one
	// already read out (as reset.go does).
	path := claimCodePath(ap.ID)
	c.Cookie(&fiber.Cookie{Name: cookieClaim, Value: code, Path: path, MaxAge: int(claimTTL.Seconds()),
		HTTPOnly: true, SameSite: "Strict", Secure: s.cfg.Secure()})
	return c.Redirect(path, fiber.StatusSeeOther)
}

// appointed ends an appointment form: a new appointment that waits gets
// its code at once (made by the first of a double tap only, so the code
// shown is the live one); anything else goes back to back.
func (s *Server) appointed(c *fiber.Ctx, id string, waitsNew bool, back string) error {
	if !waitsNew {
		return c.Redirect(back, fiber.StatusSeeOther)
	}
	ap, err := s.roles.Waiting(c.UserContext(), id)
	if errors.Is(err, store.ErrNotFound) {
		return c.Redirect(back, fiber.StatusSeeOther)
	}
	if err != nil {
		return err
	}
	if first, err := s.store.HitUpTo(c.UserContext(), "claim-auto:"+id+":"+ap.Phone, 1, markWindow, s.now()); err != nil {
		return err
	} else if first > 1 {
		return c.Redirect(claimCodePath(id), fiber.StatusSeeOther)
	}
	return s.newClaimCode(c, ap)
}

// waitingAppointment loads the appointment in the URL for someone who may
// give out its code.
func (s *Server) waitingAppointment(c *fiber.Ctx) (*places.Appointment, *places.Access, error) {
	a, err := s.access(c)
	if err != nil {
		return nil, nil, err
	}
	ap, err := s.roles.Waiting(c.UserContext(), c.Params("id"))
	if errors.Is(err, store.ErrNotFound) {
		return nil, a, err
	}
	if err != nil {
		return nil, nil, err
	}
	if !s.roles.MayCode(a, ap) {
		return nil, nil, errForbidden
	}
	return ap, a, nil
}

// claimCodePage: GET /appointments/:id/code, the code just made while it
// is live, or a button to make one.
func (s *Server) claimCodePage(c *fiber.Ctx) error {
	ap, _, err := s.waitingAppointment(c)
	if errors.Is(err, store.ErrNotFound) {
		return fail(fiber.StatusNotFound, "claim.page.gone")
	}
	if err != nil {
		return err
	}
	data := fiber.Map{"What": s.appointmentText(c, ap), "Phone": groupPhone(ap.Phone), "Days": int(claimTTL.Hours() / 24), "Back": s.appointmentPage(ap)}
	live, err := s.store.ClaimCodesByID(c.UserContext(), []string{ap.ID}, s.now())
	if err != nil {
		return err
	}
	if cc := live[ap.ID]; cc != nil && cc.Phone == ap.Phone {
		data["Expires"] = cc.Expires
		if code := c.Cookies(cookieClaim); len(code) == claimDigits && subtle.ConstantTimeCompare([]byte(resetHash(ap.ID, code)), []byte(cc.Hash)) == 1 {
			key, window, at := claimTriesKey(cc)
			tries, err := s.store.Hits(c.UserContext(), key, window, at)
			if err != nil {
				return err
			}
			if tries < claimFailures {
				data["Code"] = groupClaim(code)
			}
		}
	}
	return s.render(c, "claim_code", "claim.page.title", data)
}

// makeClaimCode: POST /appointments/:id/code, a new code that voids the
// old.
func (s *Server) makeClaimCode(c *fiber.Ctx) error {
	ap, _, err := s.waitingAppointment(c)
	if errors.Is(err, store.ErrNotFound) {
		return fail(fiber.StatusNotFound, "claim.page.gone")
	}
	if err != nil {
		return err
	}
	return s.newClaimCode(c, ap)
}

// appointmentText says what an appointment is: "cán bộ xã Phường Thành
// Đông, Thành phố Hải Phòng" or "tổ trưởng của Tổ thôn Đông".
func (s *Server) appointmentText(c *fiber.Ctx, ap *places.Appointment) string {
	lang := s.lang(c)
	if ap.Team != nil {
		return s.msgs.T(lang, "claim.what.team", "Team", ap.Team.Name)
	}
	where := ap.Grant.Place
	if p := s.places.Province(ap.Grant.Place); ap.Grant.Role == store.GrantProvince && p != nil {
		where = p.Name
	} else if cm := s.places.Commune(ap.Grant.Place); ap.Grant.Role == store.GrantCommune && cm != nil {
		where = cm.Name + ", " + cm.Province.Name
	}
	return s.msgs.T(lang, "place.role."+ap.Grant.Role) + " " + where
}

// appointmentPage is where the appointment is listed.
func (s *Server) appointmentPage(ap *places.Appointment) string {
	if ap.Team != nil {
		return "/places/" + ap.Team.Province + "/" + ap.Team.Commune + "#team-" + ap.Team.ID
	}
	if cm := s.places.Commune(ap.Grant.Place); ap.Grant.Role == store.GrantCommune && cm != nil {
		return "/places/" + cm.Province.Code + "/" + cm.Code + "#officials"
	}
	return "/places/" + ap.Grant.Place + "#officials"
}

// checkClaim counts a try of typed (digits only) as the code of one of
// phone's appointments, then compares it: by address first, then against
// each of the phone's live codes. It returns the code matched, or the
// message for the field and its status.
func (s *Server) checkClaim(c *fiber.Ctx, phone, typed string) (*store.ClaimCode, string, int, error) {
	if len(typed) != claimDigits {
		return nil, "claim.code.invalid", fiber.StatusUnprocessableEntity, nil
	}
	now := s.now()
	if over, err := s.over(c, "claim-ip:"+c.IP(), resetPerAddress, resetWindow, now); err != nil {
		return nil, "", 0, err
	} else if over {
		retryAfter(c, resetWindow, now)
		return nil, "claim.too_many", fiber.StatusTooManyRequests, nil
	}
	codes, err := s.store.ClaimCodes(c.UserContext(), phone, now)
	if err != nil {
		return nil, "", 0, err
	}
	usedUp := 0
	for i := range codes {
		cc := &codes[i]
		key, window, at := claimTriesKey(cc)
		over, err := s.over(c, key, claimFailures, window, at)
		if err != nil {
			return nil, "", 0, err
		}
		if over {
			usedUp++ // not compared: it has had its tries
			continue
		}
		if subtle.ConstantTimeCompare([]byte(resetHash(cc.ID, typed)), []byte(cc.Hash)) == 1 {
			return cc, "", 0, nil
		}
	}
	if usedUp > 0 && usedUp == len(codes) {
		return nil, "claim.code.used_up", fiber.StatusUnauthorized, nil
	}
	return nil, "claim.code.wrong", fiber.StatusUnauthorized, nil
}

// repeatedClaim tells whether u used the code typed moments ago to take
// up an appointment she now holds (a double tap): the audit entry of its
// use names the code's hash.
func (s *Server) repeatedClaim(c *fiber.Ctx, u *store.User, typed string) (bool, error) {
	ctx := c.UserContext()
	since := s.now().Add(-repeatWindow)
	type held struct{ id, target, action string }
	var mine []held
	gs, err := s.store.Grants(ctx, store.GrantQuery{Phone: u.Phone})
	if err != nil {
		return false, err
	}
	for _, g := range gs {
		if g.UserID == u.ID {
			mine = append(mine, held{store.ClaimOfGrant(g.ID), g.ID, store.ActGrantClaim})
		}
	}
	led, err := s.store.TeamsLedBy(ctx, u.ID)
	if err != nil {
		return false, err
	}
	for _, t := range led {
		mine = append(mine, held{store.ClaimOfTeam(t.ID), t.ID, store.ActTeamLeader})
	}
	for _, h := range mine {
		want := places.ClaimAuditID(&store.ClaimCode{ID: h.id, Hash: resetHash(h.id, typed)})
		done, err := s.store.AuditAbout(ctx, h.target, h.action, since, 5)
		if err != nil {
			return false, err
		}
		for _, e := range done {
			if e.ID == want && e.Actor == u.ID {
				return true, nil
			}
		}
	}
	return false, nil
}

// claimOnAccount: POST /account/claim, a code entered by a person signed
// in.
func (s *Server) claimOnAccount(c *fiber.Ctx) error {
	u := user(c)
	typed := typedClaim(c.FormValue("claim"))
	cc, msg, status, err := s.checkClaim(c, u.Phone, typed)
	if err != nil {
		return err
	}
	if cc == nil && status != fiber.StatusUnprocessableEntity {
		// A double tap: the first tap took the appointment up.
		if again, err := s.repeatedClaim(c, u, typed); err != nil {
			return err
		} else if again {
			return c.Redirect("/account?saved=claim", fiber.StatusSeeOther)
		}
	}
	if cc == nil {
		c.Status(status)
		return s.showAccount(c, forms.Errors{"claim": msg}, "")
	}
	if err := s.roles.TakeUp(c.UserContext(), u, cc); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			c.Status(fiber.StatusConflict)
			return s.showAccount(c, forms.Errors{"claim": "claim.code.gone"}, "")
		}
		return err
	}
	return c.Redirect("/account?saved=claim", fiber.StatusSeeOther)
}
