package web

import (
	"errors"
	"regexp"
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"

	"kynangso/app/certcode"
	"kynangso/app/forms"
	"kynangso/app/locality"
	"kynangso/app/store"
)

type teamForm struct {
	Name, Province, Commune, CommuneCode, Leader string
	// Code is the new team's join code, drawn when the form is shown: a
	// double click or a resend then meets the team it already made.
	Code string
}

var teamCode = regexp.MustCompile(`^[0-9A-HJKMNP-TV-Z]{6}$`)

func (s *Server) adminHome(c *fiber.Ctx) error {
	return s.showAdmin(c, teamForm{Code: certcode.Short(6)}, forms.Errors{}, nil)
}

func (s *Server) showAdmin(c *fiber.Ctx, f teamForm, errs forms.Errors, choices []*locality.Commune) error {
	teams, err := s.store.Teams(c.UserContext())
	if err != nil {
		return err
	}
	leaders := map[string]*store.User{}
	counts := map[string][2]int64{}
	for _, t := range teams {
		if u, err := s.store.UserByID(c.UserContext(), t.LeaderID); err == nil {
			leaders[t.ID] = u
		}
		m, n, err := s.store.TeamCounts(c.UserContext(), t.ID)
		if err != nil {
			return err
		}
		counts[t.ID] = [2]int64{m, n}
	}
	data := fiber.Map{"Teams": teams, "Leaders": leaders, "Counts": counts, "Form": f, "Errors": errs, "Provinces": s.places.Provinces, "Choices": choices, "Saved": c.Query("saved")}
	if p := s.places.Province(f.Province); p != nil {
		data["Communes"] = p.Communes
	}
	return s.render(c, "admin", "admin.title", data)
}

// leaderByPhone finds the registered person a leader's phone names.
func (s *Server) leaderByPhone(c *fiber.Ctx, typed string, errs forms.Errors) *store.User {
	phone, msg := forms.Phone(typed)
	if msg != "" {
		errs.Check("leader", msg)
		return nil
	}
	u, err := s.store.UserByPhone(c.UserContext(), phone)
	if err != nil {
		errs.Check("leader", "admin.leader.unknown")
		return nil
	}
	return u
}

func (s *Server) adminCreateTeam(c *fiber.Ctx) error {
	f := teamForm{
		Name: forms.Clean(c.FormValue("name")), Province: c.FormValue("province"),
		Commune: forms.Clean(c.FormValue("commune")), CommuneCode: c.FormValue("commune_code"),
		Leader: strings.TrimSpace(c.FormValue("leader")), Code: c.FormValue("code"),
	}
	if !teamCode.MatchString(f.Code) {
		f.Code = certcode.Short(6)
	}
	errs := forms.Errors{}
	errs.Check("name", forms.Text(f.Name, forms.TextMax))
	commune, choices := s.resolveCommune(registerForm{Province: f.Province, Commune: f.Commune, CommuneCode: f.CommuneCode}, errs)
	leader := s.leaderByPhone(c, f.Leader, errs)
	if len(errs) > 0 {
		c.Status(fiber.StatusUnprocessableEntity)
		return s.showAdmin(c, f, errs, choices)
	}
	t := &store.Team{ID: f.Code, Name: f.Name, Province: commune.Province.Code, Commune: commune.Code, LeaderID: leader.ID, Created: s.now()}
	for range 5 {
		err := s.store.CreateTeam(c.UserContext(), t)
		if err == nil {
			break
		}
		if !errors.Is(err, store.ErrDuplicate) {
			return err
		}
		if old, err := s.store.Team(c.UserContext(), t.ID); err == nil && old.Name == t.Name && old.Commune == t.Commune {
			return c.Redirect("/admin?saved="+t.ID, fiber.StatusSeeOther) // the same form, sent again
		}
		t.ID = certcode.Short(6) // a rare clash with another team's code
	}
	if err := s.appoint(c, t, leader); err != nil {
		return err
	}
	if err := s.store.Audit(c.UserContext(), store.AuditEntry{At: s.now(), Actor: user(c).ID, Action: store.ActTeamCreate, Target: t.ID, Detail: t.Name}); err != nil {
		return err
	}
	return c.Redirect("/admin?saved="+t.ID, fiber.StatusSeeOther)
}

// appoint makes u the team's leader, and a member of it.
func (s *Server) appoint(c *fiber.Ctx, t *store.Team, u *store.User) error {
	if err := s.store.SetTeamLeader(c.UserContext(), t.ID, u.ID); err != nil {
		return err
	}
	if u.Role == store.RoleLearner {
		if err := s.store.SetUserRole(c.UserContext(), u.ID, store.RoleLeader); err != nil {
			return err
		}
	}
	if u.TeamID == "" {
		return s.store.SetUserTeam(c.UserContext(), u.ID, t.ID)
	}
	return nil
}

func (s *Server) adminAppointLeader(c *fiber.Ctx) error {
	t, err := s.teamParam(c)
	if err != nil {
		return err
	}
	errs := forms.Errors{}
	leader := s.leaderByPhone(c, c.FormValue("leader"), errs)
	if leader == nil {
		c.Status(fiber.StatusUnprocessableEntity)
		return s.showAdmin(c, teamForm{}, forms.Errors{"appoint_" + t.ID: errs["leader"]}, nil)
	}
	if err := s.appoint(c, t, leader); err != nil {
		return err
	}
	if err := s.store.Audit(c.UserContext(), store.AuditEntry{At: s.now(), Actor: user(c).ID, Action: store.ActTeamLeader, Target: t.ID, Detail: leader.ID}); err != nil {
		return err
	}
	return c.Redirect("/admin?saved="+t.ID, fiber.StatusSeeOther)
}

func (s *Server) adminCertParam(c *fiber.Ctx) (*store.Certificate, error) {
	code, err := certcode.Parse(c.Params("code"))
	if err != nil {
		return nil, errNotFound
	}
	return s.store.Certificate(c.UserContext(), code)
}

// adminFindCertificate takes what the admin typed in the search box: a
// certificate code, or the phone number of the person who holds it (a
// name correction usually starts with a phone call, not with a code).
func (s *Server) adminFindCertificate(c *fiber.Ctx) error {
	q := c.Query("code")
	if code, err := certcode.Parse(q); err == nil {
		return c.Redirect("/admin/certificates/"+certcode.Format(code), fiber.StatusSeeOther)
	}
	phone, msg := forms.Phone(q)
	if msg != "" {
		return fail(fiber.StatusNotFound, "admin.find_cert.none")
	}
	u, err := s.store.UserByPhone(c.UserContext(), phone)
	if err != nil {
		return fail(fiber.StatusNotFound, "admin.leader.unknown")
	}
	certs, err := s.store.CertificatesOf(c.UserContext(), u.ID)
	if err != nil {
		return err
	}
	return s.render(c, "admin_person", "admin.person.title", fiber.Map{"Person": u, "Certificates": certs, "Courses": s.courses})
}

func (s *Server) adminCertificate(c *fiber.Ctx) error {
	ct, err := s.adminCertParam(c)
	if err != nil {
		return err
	}
	return s.showAdminCert(c, ct, forms.Errors{})
}

func (s *Server) showAdminCert(c *fiber.Ctx, ct *store.Certificate, errs forms.Errors) error {
	return s.render(c, "admin_cert", "admin.cert.title", fiber.Map{
		"Reasons": store.RevokeReasons, "Reason": c.FormValue("reason"), "Note": c.FormValue("note"),
		"Cert": ct, "Code": certcode.Format(ct.Code), "Course": s.courses.Get(ct.Course), "Errors": errs,
		"Replacement": certcode.Format(ct.ReplacedBy),
	})
}

// adminRevoke withdraws a certificate with a reason; every surface shows
// it revoked from then on, and the audit log records who and when.
func (s *Server) adminRevoke(c *fiber.Ctx) error {
	ct, err := s.adminCertParam(c)
	if err != nil {
		return err
	}
	reason, note := c.FormValue("reason"), forms.Clean(c.FormValue("note"))
	errs := forms.Errors{}
	if !slices.Contains(store.RevokeReasons, reason) {
		errs.Check("reason", "admin.cert.reason.required")
	}
	if len([]rune(note)) > forms.TextMax {
		errs.Check("note", "form.too_long")
	}
	if c.FormValue("confirm") != "yes" {
		errs.Check("confirm", "admin.cert.confirm.required")
	}
	if len(errs) > 0 {
		c.Status(fiber.StatusUnprocessableEntity)
		return s.showAdminCert(c, ct, errs)
	}
	if err := s.store.RevokeCertificate(c.UserContext(), ct.Code, reason, "", s.now()); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return fail(fiber.StatusConflict, "admin.cert.already_revoked")
		}
		return err
	}
	// Without its certificate the pass no longer stands: the team's table
	// and the learner's course page show the course as still to pass.
	if err := s.store.ClearPassed(c.UserContext(), ct.UserID, ct.Course); err != nil {
		return err
	}
	if err := s.store.Audit(c.UserContext(), store.AuditEntry{At: s.now(), Actor: user(c).ID, Action: store.ActCertRevoke, Target: ct.Code, Detail: strings.TrimSpace(reason + " " + note)}); err != nil {
		return err
	}
	return c.Redirect("/admin/certificates/"+certcode.Format(ct.Code), fiber.StatusSeeOther)
}

// adminRename corrects the holder's name: the person's name is fixed and
// the certificate re-issued under it, the old one revoked as replaced.
func (s *Server) adminRename(c *fiber.Ctx) error {
	ct, err := s.adminCertParam(c)
	if err != nil {
		return err
	}
	name := forms.Clean(c.FormValue("name"))
	if msg := forms.Name(name); msg != "" {
		c.Status(fiber.StatusUnprocessableEntity)
		return s.showAdminCert(c, ct, forms.Errors{"name": msg})
	}
	if ct.Status != store.CertValid {
		return fail(fiber.StatusConflict, "admin.cert.already_revoked")
	}
	now := s.now()
	next := *ct
	next.Code, next.Holder, next.IssuedAt = certcode.New(), name, now
	next.ShowFullName = false
	reason := store.ReasonReplaced
	if err := s.store.SetUserName(c.UserContext(), ct.UserID, name, locality.Fold(name)); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if err := s.store.ReplaceCertificate(c.UserContext(), ct, &next, reason, now); err != nil {
		if errors.Is(err, store.ErrNotFound) { // a second click: already replaced
			return fail(fiber.StatusConflict, "admin.cert.already_revoked")
		}
		return err
	}
	if err := s.store.Audit(c.UserContext(), store.AuditEntry{At: now, Actor: user(c).ID, Action: store.ActCertReplace, Target: ct.Code, Detail: next.Code}); err != nil {
		return err
	}
	return c.Redirect("/admin/certificates/"+certcode.Format(next.Code), fiber.StatusSeeOther)
}

// auditLine is an audit entry as a person reads it: names, not ids.
type auditLine struct {
	store.AuditEntry
	ActorName, TargetText, Reason, Note string
}

func (s *Server) adminAudit(c *fiber.Ctx) error {
	log, err := s.store.AuditLog(c.UserContext(), 200)
	if err != nil {
		return err
	}
	names := map[string]string{}
	name := func(id string) string {
		if n, ok := names[id]; ok {
			return n
		}
		n := id
		if u, err := s.store.UserByID(c.UserContext(), id); err == nil {
			n = u.Name + " (" + groupPhone(u.Phone) + ")"
		}
		names[id] = n
		return n
	}
	lines := make([]auditLine, len(log))
	for i, e := range log {
		l := auditLine{AuditEntry: e, ActorName: name(e.Actor), TargetText: e.Target, Note: e.Detail}
		switch e.Action {
		case store.ActCertRevoke:
			l.TargetText = certcode.Format(e.Target)
			reason, note, _ := strings.Cut(e.Detail, " ")
			if slices.Contains(store.RevokeReasons, reason) {
				l.Reason, l.Note = reason, note
			}
		case store.ActCertReplace:
			l.TargetText, l.Note = certcode.Format(e.Target)+" → "+certcode.Format(e.Detail), ""
		case store.ActResetCode, store.ActSetupAdmin:
			l.TargetText = name(e.Target)
		case store.ActTeamLeader:
			l.Note = name(e.Detail)
		}
		lines[i] = l
	}
	return s.render(c, "audit", "audit.title", fiber.Map{"Entries": lines})
}
