package web

import (
	"errors"
	"regexp"
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"

	"kynangso/app/certcode"
	"kynangso/app/certify"
	"kynangso/app/forms"
	"kynangso/app/locality"
	"kynangso/app/places"
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
	// A fixed number of queries whatever the number of teams: one page of
	// teams, their leaders at once, their counts at once.
	ctx := c.UserContext()
	total, err := s.store.CountTeams(ctx)
	if err != nil {
		return err
	}
	pg := pageOf(c, total, teamsPerPage)
	teams, err := s.store.Teams(ctx, pg.Page)
	if err != nil {
		return err
	}
	ids, leaderIDs := make([]string, len(teams)), make([]string, len(teams))
	for i, t := range teams {
		ids[i], leaderIDs[i] = t.ID, t.LeaderID
	}
	people, err := s.store.UsersByIDs(ctx, leaderIDs)
	if err != nil {
		return err
	}
	leaders := map[string]*store.User{}
	for _, t := range teams {
		if u := people[t.LeaderID]; u != nil {
			leaders[t.ID] = u
		}
	}
	counts, err := s.store.TeamCounts(ctx, ids)
	if err != nil {
		return err
	}
	data := fiber.Map{"Teams": teams, "Leaders": leaders, "Counts": counts, "Pager": pg, "Form": f, "Errors": errs, "Provinces": s.places.Provinces, "Choices": choices, "Saved": c.Query("saved")}
	if p := s.places.Province(f.Province); p != nil {
		data["Communes"] = p.Communes
	}
	return s.render(c, "admin", "admin.title", data)
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
	phone, msg := forms.Phone(f.Leader)
	errs.Check("leader", msg)
	if len(errs) > 0 {
		c.Status(fiber.StatusUnprocessableEntity)
		return s.showAdmin(c, f, errs, choices)
	}
	a, err := s.access(c)
	if err != nil {
		return err
	}
	t, waits, err := s.roles.CreateTeam(c.UserContext(), a, places.TeamForm{Code: f.Code, Name: f.Name, Commune: commune.Code, LeaderPhone: phone}, func() string { return certcode.Short(6) })
	if err != nil {
		return placesError(err)
	}
	s.figures.forget(t.Province)
	return s.appointed(c, store.ClaimOfTeam(t.ID), waits, "/admin?saved="+t.ID)
}

func (s *Server) adminAppointLeader(c *fiber.Ctx) error {
	t, err := s.teamParam(c)
	if err != nil {
		return err
	}
	phone, msg := forms.Phone(c.FormValue("leader"))
	if msg != "" {
		c.Status(fiber.StatusUnprocessableEntity)
		return s.showAdmin(c, teamForm{Code: certcode.Short(6)}, forms.Errors{"leader-" + t.ID: msg}, nil)
	}
	a, err := s.access(c)
	if err != nil {
		return err
	}
	waits, err := s.roles.AppointLeader(c.UserContext(), a, t, phone)
	if err != nil {
		return placesError(err)
	}
	s.figures.forget(t.Province)
	return s.appointed(c, store.ClaimOfTeam(t.ID), waits, "/admin?saved="+t.ID)
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
	if err := s.certify.Revoke(c.UserContext(), user(c).ID, ct.Code, reason, note); err != nil {
		return certError(err)
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
	next, err := s.certify.Replace(c.UserContext(), user(c).ID, ct.Code, name)
	if err != nil {
		return certError(err)
	}
	return c.Redirect("/admin/certificates/"+certcode.Format(next.Code), fiber.StatusSeeOther)
}

// auditLine is an audit entry as a person reads it: names, not ids.
type auditLine struct {
	store.AuditEntry
	ActorName, TargetText, Reason, Note string
}

func (s *Server) adminAudit(c *fiber.Ctx) error {
	// Pages of entries, newest first; the people they name in one query.
	pg := pageOf(c, -1, auditPerPage)
	log, err := s.store.AuditLog(c.UserContext(), pg.Page)
	if err != nil {
		return err
	}
	pg.more(len(log))
	var ids []string
	for _, e := range log {
		ids = append(ids, e.Actor, e.Target, e.Detail)
	}
	people, err := s.store.UsersByIDs(c.UserContext(), ids)
	if err != nil {
		return err
	}
	name := func(id string) string {
		if u := people[id]; u != nil {
			return u.Name + " (" + groupPhone(u.Phone) + ")"
		}
		return id
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
		case store.ActResetCode, store.ActPasswordReset, store.ActSetupAdmin:
			l.TargetText = name(e.Target)
		case store.ActTeamLeader:
			l.Note = name(e.Detail)
			if phone, ok := strings.CutPrefix(e.Detail, "phone:"); ok {
				l.Note = groupPhone(phone)
			}
		case store.ActGrant, store.ActUngrant:
			l.TargetText = s.grantText(c, e.Target)
		case store.ActGrantClaim:
			// Detail: who made the code she entered.
			l.TargetText, l.Note = s.grantText(c, e.Target), ""
			if e.Detail != "" {
				l.Note = s.msgs.T(s.lang(c), "audit.claim.code_by", "Name", name(e.Detail))
			}
		case store.ActClaimCode:
			l.Note = groupPhone(e.Detail)
			if gid, ok := strings.CutPrefix(e.Target, "grant:"); ok {
				l.TargetText = s.grantText(c, gid)
			} else {
				l.TargetText = s.msgs.T(s.lang(c), "audit.claim.team", "Team", strings.TrimPrefix(e.Target, "team:"))
			}
		case store.ActAssistedRegister:
			l.TargetText = name(e.Target)
		}
		lines[i] = l
	}
	return s.render(c, "audit", "audit.title", fiber.Map{"Entries": lines, "Pager": pg})
}

// grantText says whom a grant id names for what place: "Phường Thành
// Đông, Thành phố Hải Phòng: 0933 000 001".
func (s *Server) grantText(c *fiber.Ctx, id string) string {
	role, rest, _ := strings.Cut(id, ":")
	place, phone, _ := strings.Cut(rest, ":")
	where := place
	switch role {
	case store.GrantProvince:
		if p := s.places.Province(place); p != nil {
			where = p.Name
		}
	case store.GrantCommune:
		if cm := s.places.Commune(place); cm != nil {
			where = cm.Name + ", " + cm.Province.Name
		}
	}
	return s.msgs.T(s.lang(c), "audit.grant", "Role", s.msgs.T(s.lang(c), "place.role."+role), "Place", where, "Phone", groupPhone(phone))
}

// certError says what a certificate workflow's error means to the admin.
func certError(err error) error {
	switch {
	case errors.Is(err, certify.ErrAlreadyRevoked):
		return fail(fiber.StatusConflict, "admin.cert.already_revoked")
	case errors.Is(err, certify.ErrNotFound):
		return errNotFound
	case errors.Is(err, certify.ErrBadReason):
		return fail(fiber.StatusUnprocessableEntity, "admin.cert.reason.required")
	}
	return err
}
