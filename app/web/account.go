package web

import (
	"encoding/json"
	"time"

	"github.com/gofiber/fiber/v2"

	"kynangso/app/forms"
	"kynangso/app/password"
	"kynangso/app/store"
)

// The account page is where a person uses the rights the consent text
// promises (Luật 91/2025/QH15): see their data, take a copy, leave their
// team, change their password, and withdraw consent by deleting the
// account.
func (s *Server) account(c *fiber.Ctx) error {
	return s.showAccount(c, forms.Errors{}, c.Query("saved"))
}

func (s *Server) showAccount(c *fiber.Ctx, errs forms.Errors, saved string) error {
	u := user(c)
	data := fiber.Map{"Me": u, "Errors": errs, "Saved": saved}
	if u.TeamID != "" {
		if t, err := s.store.Team(c.UserContext(), u.TeamID); err == nil {
			data["Team"] = t
			if l, err := s.store.UserByID(c.UserContext(), t.LeaderID); err == nil {
				data["Leader"] = l
			}
		}
	}
	if u.Consent.AssistedBy != "" {
		data["AssistedBy"] = s.assistedByName(c, u)
	}
	return s.render(c, "account", "account.title", data)
}

// assistedByName names who helped the person register (issue 10), for
// her own account page and data.
func (s *Server) assistedByName(c *fiber.Ctx, u *store.User) string {
	if h, err := s.store.UserByID(c.UserContext(), u.Consent.AssistedBy); err == nil {
		return h.Name
	}
	return s.msgs.T(s.lang(c), "account.assisted.someone")
}

func (s *Server) changePassword(c *fiber.Ctx) error {
	u := user(c)
	errs := forms.Errors{}
	if !password.Check(u.PasswordHash, c.FormValue("old")) {
		// A double tap: the first tap already set this very password.
		if nw := c.FormValue("new"); nw != "" && password.Check(u.PasswordHash, nw) {
			return c.Redirect("/account?saved=password", fiber.StatusSeeOther)
		}
		errs.Check("old", "account.password.wrong")
	}
	errs.Check("new", forms.Password(c.FormValue("new")))
	if len(errs) > 0 {
		c.Status(fiber.StatusUnprocessableEntity)
		return s.showAccount(c, errs, "")
	}
	if err := s.store.SetPassword(c.UserContext(), u.ID, password.Hash(c.FormValue("new"))); err != nil {
		return err
	}
	// Every other device signed in with the old password is signed out;
	// this one stays signed in under the same session, so a repeat of
	// this form (a double tap) finds it still signed in.
	if err := s.store.DeleteUserSessions(c.UserContext(), u.ID); err != nil {
		return err
	}
	if err := s.keepSession(c, u); err != nil {
		return err
	}
	return c.Redirect("/account?saved=password", fiber.StatusSeeOther)
}

func (s *Server) leaveTeam(c *fiber.Ctx) error {
	u := user(c)
	if teams, err := s.store.TeamsLedBy(c.UserContext(), u.ID); err != nil {
		return err
	} else if len(teams) > 0 {
		return fail(fiber.StatusConflict, "account.leader_cannot")
	}
	if err := s.store.LeaveTeam(c.UserContext(), u.ID); err != nil {
		return err
	}
	return c.Redirect("/account?saved=team", fiber.StatusSeeOther)
}

// myData is a copy of everything the platform keeps about the person.
func (s *Server) myData(c *fiber.Ctx) error {
	u := user(c)
	prog, err := s.store.ProgressOf(c.UserContext(), u.ID)
	if err != nil {
		return err
	}
	attempts, err := s.store.AttemptsOf(c.UserContext(), u.ID)
	if err != nil {
		return err
	}
	certs, err := s.store.CertificatesOf(c.UserContext(), u.ID)
	if err != nil {
		return err
	}
	type attempt struct {
		Course    string    `json:"course"`
		Started   time.Time `json:"started"`
		Submitted time.Time `json:"submitted,omitzero"`
		Points    int       `json:"points"`
		Total     int       `json:"total"`
		Passed    bool      `json:"passed"`
	}
	out := struct {
		Account      map[string]any             `json:"account"`
		Progress     map[string]*store.Progress `json:"progress"`
		Attempts     []attempt                  `json:"quiz_attempts"`
		Certificates []store.Certificate        `json:"certificates"`
	}{
		Account: map[string]any{
			"name": u.Name, "phone": u.Phone, "province": u.Province, "commune": u.Commune, "team": u.TeamID,
			"role": u.Role, "created": u.Created, "last_active": u.LastActive,
			"consent": map[string]any{"version": u.Consent.Version, "at": u.Consent.At},
		},
		Progress: prog, Certificates: certs,
	}
	if u.Consent.AssistedBy != "" {
		// Registered with someone's help: who, and that the consent
		// above is still her own (issue 10).
		name := s.assistedByName(c, u)
		out.Account["registered_with_help"] = map[string]any{"by": u.Consent.AssistedBy, "by_name": name, "at": u.Consent.At,
			"text": s.msgs.T(s.lang(c), "account.assisted.by", "Name", name, "Date", formatDate(s.lang(c), u.Consent.At))}
	}
	for _, a := range attempts {
		x := attempt{Course: a.Course, Started: a.Created, Passed: a.Passed}
		if a.Result != nil {
			x.Submitted, x.Points, x.Total = a.At, a.Result.Points, a.Result.Total
		}
		out.Attempts = append(out.Attempts, x)
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="du-lieu-cua-toi.json"`)
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	return c.Send(b)
}

// deleteAccount withdraws consent: the account and its learning record
// go, certificates are withdrawn at the holder's request.
func (s *Server) deleteAccount(c *fiber.Ctx) error {
	u := user(c)
	errs := forms.Errors{}
	if !password.Check(u.PasswordHash, c.FormValue("password")) {
		errs.Check("delete", "account.password.wrong")
	}
	if c.FormValue("confirm") != "yes" {
		errs.Check("delete", "account.delete.confirm_required")
	}
	if len(errs) > 0 {
		c.Status(fiber.StatusUnprocessableEntity)
		return s.showAccount(c, errs, "")
	}
	if u.Role != store.RoleLearner {
		return fail(fiber.StatusConflict, "account.leader_cannot")
	}
	if err := s.certify.Erase(c.UserContext(), u.ID); err != nil {
		return err
	}
	// A repeat of this form, sent with this session, ends here too.
	if err := s.markDone(c, "delete"); err != nil {
		return err
	}
	s.cookie(c, cookieSession, "", -1, true)
	return c.Redirect("/?deleted=1", fiber.StatusSeeOther)
}
