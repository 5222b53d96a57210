package web

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"kynangso/app/certpdf"
	"kynangso/app/forms"
	"kynangso/app/learning"
	"kynangso/app/reach"
	"kynangso/app/sheet"
	"kynangso/app/store"
)

func (s *Server) teamParam(c *fiber.Ctx) (*store.Team, error) {
	return s.store.Team(c.UserContext(), strings.ToUpper(c.Params("code")))
}

// ledTeam loads the team in the URL for its leader or an admin only: for
// what changes the team or prints full names.
func (s *Server) ledTeam(c *fiber.Ctx) (*store.Team, error) {
	t, err := s.teamParam(c)
	if err != nil {
		return nil, err
	}
	u := user(c)
	if t.LeaderID != u.ID && u.Role != store.RoleAdmin {
		return nil, errForbidden
	}
	return t, nil
}

// seenTeam loads the team in the URL for whoever may see it: its leader,
// an admin, and the officials of its commune and province.
func (s *Server) seenTeam(c *fiber.Ctx) (*store.Team, error) {
	t, err := s.teamParam(c)
	if err != nil {
		return nil, err
	}
	a, err := s.access(c)
	if err != nil {
		return nil, err
	}
	if !a.SeesTeam(t, s.places) {
		return nil, errForbidden
	}
	return t, nil
}

// leads tells whether the signed-in person runs the team's page: its
// leader or an admin (officials only look).
func leads(c *fiber.Ctx, t *store.Team) bool {
	u := user(c)
	return t.LeaderID == u.ID || u.Role == store.RoleAdmin
}

func (s *Server) joinURL(t *store.Team) string { return s.cfg.BaseURL + "/join/" + t.ID }

// joinPage is where a team's poster QR leads: sign up into the team, or,
// when signed in, join it.
func (s *Server) joinPage(c *fiber.Ctx) error {
	t, err := s.teamParam(c)
	if errors.Is(err, store.ErrNotFound) {
		return fail(fiber.StatusNotFound, "form.team.unknown")
	}
	if err != nil {
		return err
	}
	return s.render(c, "join", "join.title", fiber.Map{"Team": t, "Joined": c.Query("joined") == "1"})
}

// joinByCode takes a team code typed in a box (as printed under a
// poster's QR code, typed loosely) to that team's join page, which says
// when the code names no team; a code that cannot be one is told so here.
func (s *Server) joinByCode(c *fiber.Ctx) error {
	code := typedTeamCode(c.Query("team"))
	if !teamCode.MatchString(code) {
		return fail(fiber.StatusNotFound, "form.team.unknown")
	}
	return c.Redirect("/join/"+code, fiber.StatusSeeOther)
}

func (s *Server) join(c *fiber.Ctx) error {
	t, err := s.teamParam(c)
	if err != nil {
		return err
	}
	if err := s.store.SetUserTeam(c.UserContext(), user(c).ID, t.ID); err != nil {
		return err
	}
	return c.Redirect("/join/"+t.ID+"?joined=1", fiber.StatusSeeOther)
}

func (s *Server) joinQR(c *fiber.Ctx) error {
	t, err := s.teamParam(c)
	if err != nil {
		return err
	}
	png, err := certpdf.QRPNG(s.joinURL(t), 768)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "image/png")
	c.Set(fiber.HeaderCacheControl, "public, max-age=86400")
	return c.Send(png)
}

func (s *Server) poster(c *fiber.Ctx) error {
	t, err := s.ledTeam(c)
	if err != nil {
		return err
	}
	data := fiber.Map{"Team": t, "JoinURL": s.joinURL(t)}
	if l, err := s.store.UserByID(c.UserContext(), t.LeaderID); err == nil {
		data["Leader"] = l
	}
	return s.render(c, "poster", "poster.title", data)
}

// memberRow is one line of the leader's table: the same rows on screen and
// in the downloads.
type memberRow struct {
	User       store.User
	Cells      []memberCell
	Passed     int
	LastActive time.Time
	Leader     bool // the team's own leader, learning too
	Stuck      bool // nothing done in the last two weeks, and not everything passed
	New        bool // has not started any course yet
	Household  string
	Skills     uint8 // the basic skills her passed courses cover
}

type memberCell struct {
	Done, Total int
	Passed      bool
	Best        int
	Started     bool
	// Withdrawn: her certificate of the course was revoked and she holds
	// no other; Withdrawn is when.
	Withdrawn *time.Time
	// Text is the cell as it reads, on screen and in the downloads:
	// made once here, as a hundred members' cells formatted in the
	// template cost more than the rest of the page.
	Text string
}

const stuckAfter = 14 * 24 * time.Hour

// withdrawn finds the team's members' revoked certificates that nothing
// replaced, by user and course: a page of certificates at a time.
func (s *Server) withdrawn(c *fiber.Ctx, t *store.Team) (map[string]time.Time, error) {
	out := map[string]time.Time{}
	for off := 0; ; off += store.MaxLimit {
		certs, err := s.store.TeamCertificates(c.UserContext(), t.ID, false, store.Page{Limit: store.MaxLimit, Offset: off})
		if err != nil {
			return nil, err
		}
		for _, ct := range certs {
			if ct.Status == store.CertRevoked && ct.ReplacedBy == "" && ct.RevokedAt != nil {
				out[ct.UserID+"/"+ct.Course] = *ct.RevokedAt
			}
		}
		if len(certs) < store.MaxLimit {
			return out, nil
		}
	}
}

// memberRows builds the rows of members, in their order: one query for
// their progress, whatever their number.
func (s *Server) memberRows(c *fiber.Ctx, t *store.Team, members []store.User, withdrawn map[string]time.Time, labels map[string]string) ([]memberRow, error) {
	ids := make([]string, len(members))
	for i, m := range members {
		ids[i] = m.ID
	}
	prog, err := s.store.ProgressOfUsers(c.UserContext(), ids)
	if err != nil {
		return nil, err
	}
	now, lang := s.now(), s.lang(c)
	rows := make([]memberRow, 0, len(members))
	for _, m := range members {
		r := memberRow{User: m, LastActive: m.LastActive, Leader: m.ID == t.LeaderID, Household: labels[m.Household],
			Cells: make([]memberCell, 0, len(s.courses.Courses))}
		for _, co := range s.courses.Courses {
			k := card(co, prog[m.ID][co.ID])
			cell := memberCell{Done: k.Done, Total: k.Total, Passed: k.Passed}
			if p := prog[m.ID][co.ID]; p != nil {
				cell.Best, cell.Started = p.Best, true
				if p.Updated.After(r.LastActive) {
					r.LastActive = p.Updated
				}
			}
			if cell.Passed {
				r.Passed++
				r.Skills |= s.skills[co.ID]
			} else if at, ok := withdrawn[m.ID+"/"+co.ID]; ok {
				cell.Withdrawn = &at
			}
			cell.Text = s.cellText(lang, cell)
			r.Cells = append(r.Cells, cell)
		}
		r.New = len(prog[m.ID]) == 0 && !r.Leader
		r.Stuck = !r.Leader && r.Passed < len(s.courses.Courses) && now.Sub(r.LastActive) > stuckAfter
		rows = append(rows, r)
	}
	return rows, nil
}

// memberKey is what the team page keeps of every member: enough to order
// the team, count who is stuck and which households are covered, without
// holding the whole team's rows.
type memberKey struct {
	ID, Household string
	Leader, Stuck bool
	New           bool
	LastActive    time.Time
	Skills        uint8
	// row is the whole row, kept while the team fits in one read: the
	// page then needs no second one.
	row *memberRow
}

// teamOrder reads the whole team a large page at a time and orders it:
// the leader first; then who needs help: the stuck, then the longest idle.
func (s *Server) teamOrder(c *fiber.Ctx, t *store.Team, withdrawn map[string]time.Time, labels map[string]string) ([]memberKey, error) {
	var keys []memberKey
	for off := 0; ; off += store.MaxLimit {
		members, err := s.store.TeamMembers(c.UserContext(), t.ID, store.Page{Limit: store.MaxLimit, Offset: off})
		if err != nil {
			return nil, err
		}
		rows, err := s.memberRows(c, t, members, withdrawn, labels)
		if err != nil {
			return nil, err
		}
		whole := off == 0 && len(members) < store.MaxLimit
		for i, r := range rows {
			k := memberKey{ID: r.User.ID, Household: r.User.Household, Leader: r.Leader, Stuck: r.Stuck,
				New: r.New, LastActive: r.LastActive, Skills: r.Skills}
			if whole {
				k.row = &rows[i]
			}
			keys = append(keys, k)
		}
		if len(members) < store.MaxLimit {
			break
		}
	}
	slices.SortStableFunc(keys, func(a, b memberKey) int {
		if a.Leader != b.Leader {
			if a.Leader {
				return -1
			}
			return 1
		}
		if a.Stuck != b.Stuck {
			if a.Stuck {
				return -1
			}
			return 1
		}
		return a.LastActive.Compare(b.LastActive)
	})
	return keys, nil
}

// rowsOf builds the rows of some of the team's members, in keys' order.
func (s *Server) rowsOf(c *fiber.Ctx, t *store.Team, keys []memberKey, withdrawn map[string]time.Time, labels map[string]string) ([]memberRow, error) {
	if len(keys) > 0 && keys[0].row != nil {
		rows := make([]memberRow, len(keys))
		for i, k := range keys {
			rows[i] = *k.row
		}
		return rows, nil
	}
	ids := make([]string, len(keys))
	for i, k := range keys {
		ids[i] = k.ID
	}
	byID, err := s.store.UsersByIDs(c.UserContext(), ids)
	if err != nil {
		return nil, err
	}
	members := make([]store.User, 0, len(keys))
	for _, id := range ids {
		if u := byID[id]; u != nil && u.TeamID == t.ID {
			members = append(members, *u)
		}
	}
	return s.memberRows(c, t, members, withdrawn, labels)
}

// householdLine is one household as the team page lists it.
type householdLine struct {
	store.Household
	Members int
	Covered bool
}

// teamHouseholds reads the team's households and the labels members show.
func (s *Server) teamHouseholds(c *fiber.Ctx, t *store.Team) ([]store.Household, map[string]string, error) {
	hs, err := s.store.Households(c.UserContext(), t.ID)
	if err != nil {
		return nil, nil, err
	}
	labels := make(map[string]string, len(hs))
	for _, h := range hs {
		labels[h.ID] = h.Label
	}
	return hs, labels, nil
}

// householdLines counts members and coverage per household from the whole
// team: a household is covered when one member alone has all five skills.
func householdLines(hs []store.Household, keys []memberKey) []householdLine {
	byID := map[string]*householdLine{}
	lines := make([]householdLine, len(hs))
	for i, h := range hs {
		lines[i] = householdLine{Household: h}
		byID[h.ID] = &lines[i]
	}
	for _, k := range keys {
		if l := byID[k.Household]; l != nil {
			l.Members++
			l.Covered = l.Covered || reach.HasAll(k.Skills)
		}
	}
	return lines
}

func (s *Server) teamDashboard(c *fiber.Ctx) error {
	t, err := s.seenTeam(c)
	if err != nil {
		return err
	}
	return s.showTeam(c, t, forms.Errors{}, "")
}

func (s *Server) showTeam(c *fiber.Ctx, t *store.Team, errs forms.Errors, label string) error {
	withdrawn, err := s.withdrawn(c, t)
	if err != nil {
		return err
	}
	hs, labels, err := s.teamHouseholds(c, t)
	if err != nil {
		return err
	}
	// The summary and the households count the whole team (read whole
	// here, so its size needs no count of its own); the cards show one
	// page of it.
	keys, err := s.teamOrder(c, t, withdrawn, labels)
	if err != nil {
		return err
	}
	pg := pageOf(c, int64(len(keys)), membersPerPage)
	rows, err := s.rowsOf(c, t, keys[min(pg.Offset, len(keys)):min(pg.Offset+pg.Limit, len(keys))], withdrawn, labels)
	if err != nil {
		return err
	}
	stuck, fresh, covered := 0, 0, 0
	for _, k := range keys {
		switch {
		case k.Stuck:
			stuck++
		case k.New:
			fresh++
		}
	}
	lines := householdLines(hs, keys)
	for _, l := range lines {
		if l.Covered {
			covered++
		}
	}
	var leader *store.User
	if t.LeaderID != "" {
		leader, _ = s.store.UserByID(c.UserContext(), t.LeaderID)
	}
	// Practical tasks confirmed, for the members on this page (one read).
	practice, practiceTotal := map[string]int{}, 0
	for _, co := range s.practiceCourses() {
		practiceTotal += len(co.Tasks)
	}
	if practiceTotal > 0 && len(rows) > 0 {
		ids := make([]string, len(rows))
		for i := range rows {
			ids[i] = rows[i].User.ID
		}
		confs, err := s.store.Confirmations(c.UserContext(), ids)
		if err != nil {
			return err
		}
		for _, cf := range confs {
			if co := s.courses.Get(cf.Course); co != nil && co.Task(cf.Task) != nil {
				practice[cf.UserID]++
			}
		}
	}
	csrf, _ := c.Locals(localCSRF).(string)
	v := memberView{Lang: s.lang(c), Team: t, Viewer: user(c), CSRF: csrf, Leads: leads(c, t),
		Households: len(lines) > 0, Practice: practice, PracticeTotal: practiceTotal}
	cards, table := s.memberHTML(v, rows)
	return s.render(c, "team", "team.title", fiber.Map{"Team": t, "Rows": rows, "Cards": cards, "TableRows": table,
		"HouseholdCards": s.householdsHTML(v, lines, errs), "Courses": s.courses.Courses, "Stuck": stuck, "New": fresh,
		"JoinURL": s.joinURL(t), "Pager": pg, "Members": len(keys), "Leader": leader, "Leads": leads(c, t),
		"Households": lines, "Covered": covered, "Errors": errs, "Label": label, "HouseholdCode": store.NewID()[:12],
		"Withdrawn": len(withdrawn), "Practice": practice, "PracticeTotal": practiceTotal})
}

// cellText is how a member's progress in one course reads, on screen and
// in the downloads alike.
func (s *Server) cellText(lang string, m memberCell) string {
	switch {
	case m.Passed:
		return s.msgs.T(lang, "team.cell.passed", "Best", m.Best)
	case m.Withdrawn != nil:
		return s.msgs.T(lang, "team.cell.withdrawn", "Date", formatDate(lang, *m.Withdrawn))
	case !m.Started:
		return "—"
	}
	return fmt.Sprintf("%d/%d", m.Done, m.Total)
}

// memberCols are the columns of the members' table as a download.
func (s *Server) memberCols(lang string) []sheet.Column {
	cols := []sheet.Column{{Title: s.msgs.T(lang, "team.col.name"), Kind: sheet.Text}, {Title: s.msgs.T(lang, "team.col.phone"), Kind: sheet.Text},
		{Title: s.msgs.T(lang, "team.col.household"), Kind: sheet.Text}}
	for _, co := range s.courses.Courses {
		cols = append(cols, sheet.Column{Title: co.Title.In(lang), Kind: sheet.Text})
	}
	return append(cols, sheet.Column{Title: s.msgs.T(lang, "team.col.last_active"), Kind: sheet.Date},
		sheet.Column{Title: s.msgs.T(lang, "team.col.status"), Kind: sheet.Text})
}

func (s *Server) memberCells(lang string, r memberRow) []any {
	line := []any{r.User.Name, groupPhone(r.User.Phone), r.Household}
	for _, cell := range r.Cells {
		line = append(line, cell.Text)
	}
	return append(line, r.LastActive, s.msgs.T(lang, r.StatusID()))
}

// teamSheet gives the members' table, in the page's order, as a file
// Excel opens with Vietnamese intact: built a thousand rows at a time.
func (s *Server) teamSheet(format string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		t, err := s.seenTeam(c)
		if err != nil {
			return err
		}
		withdrawn, err := s.withdrawn(c, t)
		if err != nil {
			return err
		}
		_, labels, err := s.teamHouseholds(c, t)
		if err != nil {
			return err
		}
		keys, err := s.teamOrder(c, t, withdrawn, labels)
		if err != nil {
			return err
		}
		lang := s.lang(c)
		return streamSheet(c, format, "to-"+t.ID+"-tien-do", t.ID, s.memberCols(lang), func(emit func([]any) error) error {
			for len(keys) > 0 {
				n := min(len(keys), store.MaxLimit)
				rows, err := s.rowsOf(c, t, keys[:n], withdrawn, labels)
				if err != nil {
					return err
				}
				for _, r := range rows {
					if err := emit(s.memberCells(lang, r)); err != nil {
						return err
					}
				}
				keys = keys[n:]
			}
			return nil
		})
	}
}

// householdSheet gives the households' table.
func (s *Server) householdSheet(format string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		t, err := s.seenTeam(c)
		if err != nil {
			return err
		}
		hs, _, err := s.teamHouseholds(c, t)
		if err != nil {
			return err
		}
		keys, err := s.teamOrder(c, t, nil, nil)
		if err != nil {
			return err
		}
		lang := s.lang(c)
		g := &grid{Cols: []gridCol{{s.msgs.T(lang, "household.col.label"), sheet.Text}, {s.msgs.T(lang, "household.col.members"), sheet.Number},
			{s.msgs.T(lang, "household.col.covered"), sheet.Text}}}
		for _, l := range householdLines(hs, keys) {
			covered := s.msgs.T(lang, "household.not_covered")
			if l.Covered {
				covered = s.msgs.T(lang, "household.covered")
			}
			g.Rows = append(g.Rows, gridRow{Cells: []any{l.Label, l.Members, covered}})
		}
		return g.send(c, format, "to-"+t.ID+"-ho-gia-dinh", t.ID)
	}
}

// StatusID is the message of the member's state, on screen and in the CSV.
func (r memberRow) StatusID() string {
	switch {
	case r.Leader:
		return "team.status.leader"
	case r.Stuck:
		return "team.status.stuck"
	case r.New:
		return "team.status.new"
	}
	return "team.status.ok"
}

// groupPhone writes 0912345678 as 0912 345 678: easier to read aloud, and
// a spreadsheet keeps it as text, leading zero and all.
func groupPhone(p string) string {
	if len(p) != 10 {
		return p
	}
	return p[:4] + " " + p[4:7] + " " + p[7:]
}

func (s *Server) teamCertificatesPDF(c *fiber.Ctx) error {
	t, err := s.ledTeam(c)
	if err != nil {
		return err
	}
	// Only certificates in force go to print.
	certs, err := s.store.TeamCertificates(c.UserContext(), t.ID, true, store.Page{Limit: store.MaxLimit})
	if err != nil {
		return err
	}
	if len(certs) == 0 {
		return fail(fiber.StatusNotFound, "team.no_certificates")
	}
	lang := s.lang(c)
	// The holders' practice, in one read.
	var holders []string
	for i := range certs {
		if certs[i].UserID != "" {
			holders = append(holders, certs[i].UserID)
		}
	}
	confs, err := s.store.Confirmations(c.UserContext(), holders)
	if err != nil {
		return err
	}
	list := make([]certpdf.Certificate, len(certs))
	for i := range certs {
		co := s.courses.Get(certs[i].Course)
		list[i] = s.pdfData(&certs[i], lang, viewOf(learning.PracticeFrom(confs, &certs[i], co), co))
	}
	var buf bytes.Buffer
	if err := certpdf.RenderMany(&buf, list, pdfLabels(lang)); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/pdf")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="to-`+t.ID+`-chung-nhan.pdf"`)
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	return c.Send(buf.Bytes())
}

// myTeams lists the teams the person leads; an admin sees every team.
func (s *Server) myTeams(c *fiber.Ctx) error {
	u := user(c)
	var teams []store.Team
	var err error
	var pg *pager
	if u.Role == store.RoleAdmin {
		pg = pageOf(c, -1, teamsPerPage)
		teams, err = s.store.Teams(c.UserContext(), pg.Page)
		pg.more(len(teams))
	} else {
		teams, err = s.store.TeamsLedBy(c.UserContext(), u.ID)
	}
	if err != nil {
		return err
	}
	if len(teams) == 1 && u.Role != store.RoleAdmin {
		return c.Redirect("/teams/" + teams[0].ID)
	}
	return s.render(c, "teams", "nav.teams", fiber.Map{"Teams": teams, "Pager": pg})
}
