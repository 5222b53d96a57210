package web

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"kynangso/app/certpdf"
	"kynangso/app/store"
)

func (s *Server) teamParam(c *fiber.Ctx) (*store.Team, error) {
	return s.store.Team(c.UserContext(), strings.ToUpper(c.Params("code")))
}

// ledTeam loads the team in the URL for its leader or an admin only.
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
// in the CSV file.
type memberRow struct {
	User       store.User
	Cells      []memberCell
	Passed     int
	LastActive time.Time
	Stuck      bool // nothing done in the last two weeks, and not everything passed
	New        bool // has not started any course yet
}

type memberCell struct {
	Done, Total int
	Passed      bool
	Best        int
	Started     bool
}

const stuckAfter = 14 * 24 * time.Hour

// memberRows builds the table for one page of a team's members: two
// queries, whatever the team's size.
func (s *Server) memberRows(c *fiber.Ctx, t *store.Team, pg store.Page) ([]memberRow, error) {
	members, err := s.store.TeamMembers(c.UserContext(), t.ID, pg)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(members))
	for i, m := range members {
		ids[i] = m.ID
	}
	prog, err := s.store.ProgressOfUsers(c.UserContext(), ids)
	if err != nil {
		return nil, err
	}
	now := s.now()
	rows := make([]memberRow, 0, len(members))
	for _, m := range members {
		r := memberRow{User: m, LastActive: m.LastActive}
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
			}
			r.Cells = append(r.Cells, cell)
		}
		r.New = len(prog[m.ID]) == 0
		r.Stuck = r.Passed < len(s.courses.Courses) && now.Sub(r.LastActive) > stuckAfter
		rows = append(rows, r)
	}
	// Who needs help first: the stuck, then the longest idle.
	slices.SortStableFunc(rows, func(a, b memberRow) int {
		if a.Stuck != b.Stuck {
			if a.Stuck {
				return -1
			}
			return 1
		}
		return a.LastActive.Compare(b.LastActive)
	})
	return rows, nil
}

func (s *Server) teamDashboard(c *fiber.Ctx) error {
	t, err := s.ledTeam(c)
	if err != nil {
		return err
	}
	counts, err := s.store.TeamCounts(c.UserContext(), []string{t.ID})
	if err != nil {
		return err
	}
	pg := pageOf(c, counts[t.ID].Members, membersPerPage)
	rows, err := s.memberRows(c, t, pg.Page)
	if err != nil {
		return err
	}
	stuck, fresh := 0, 0
	for _, r := range rows {
		switch {
		case r.Stuck:
			stuck++
		case r.New:
			fresh++
		}
	}
	return s.render(c, "team", "team.title", fiber.Map{"Team": t, "Rows": rows, "Courses": s.courses.Courses, "Stuck": stuck, "New": fresh, "JoinURL": s.joinURL(t), "Pager": pg, "Members": counts[t.ID].Members})
}

// cellText is how a member's progress in one course reads, on screen and
// in the CSV alike.
func (s *Server) cellText(lang string, m memberCell) string {
	switch {
	case m.Passed:
		return s.msgs.T(lang, "team.cell.passed", "Best", m.Best)
	case !m.Started:
		return "—"
	}
	return fmt.Sprintf("%d/%d", m.Done, m.Total)
}

// teamCSV gives the table as a file Excel opens with Vietnamese intact:
// UTF-8 with a byte-order mark.
func (s *Server) teamCSV(c *fiber.Ctx) error {
	t, err := s.ledTeam(c)
	if err != nil {
		return err
	}
	// The file holds the whole team, read a large page at a time.
	var rows []memberRow
	for off := 0; ; off += store.MaxLimit {
		page, err := s.memberRows(c, t, store.Page{Limit: store.MaxLimit, Offset: off})
		if err != nil {
			return err
		}
		rows = append(rows, page...)
		if len(page) < store.MaxLimit {
			break
		}
	}
	lang := s.lang(c)
	var buf bytes.Buffer
	buf.WriteString("\ufeff")
	w := csv.NewWriter(&buf)
	head := []string{s.msgs.T(lang, "team.col.name"), s.msgs.T(lang, "team.col.phone")}
	for _, co := range s.courses.Courses {
		head = append(head, co.Title.In(lang))
	}
	head = append(head, s.msgs.T(lang, "team.col.last_active"), s.msgs.T(lang, "team.col.status"))
	_ = w.Write(head)
	for _, r := range rows {
		line := []string{csvSafe(r.User.Name), groupPhone(r.User.Phone)}
		for _, cell := range r.Cells {
			line = append(line, s.cellText(lang, cell))
		}
		line = append(line, formatDate(lang, r.LastActive), s.msgs.T(lang, r.StatusID()))
		_ = w.Write(line)
	}
	w.Flush()
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="to-`+t.ID+`-tien-do.csv"`)
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	return c.Send(buf.Bytes())
}

// StatusID is the message of the member's state, on screen and in the CSV.
func (r memberRow) StatusID() string {
	switch {
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

// csvSafe keeps a spreadsheet from running a name that starts like a
// formula.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
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
	list := make([]certpdf.Certificate, len(certs))
	for i := range certs {
		list[i] = s.pdfData(&certs[i], lang)
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
