package web

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"kynangso/app/certcode"
	"kynangso/app/forms"
	"kynangso/app/locality"
	"kynangso/app/places"
	"kynangso/app/reach"
	"kynangso/app/sheet"
	"kynangso/app/store"
)

const localAccess = "access"

// access is what the signed-in person may see and run, read once per
// request that asks.
func (s *Server) access(c *fiber.Ctx) (*places.Access, error) {
	if a, ok := c.Locals(localAccess).(*places.Access); ok {
		return a, nil
	}
	a, err := places.AccessOf(c.UserContext(), s.store, user(c))
	if err != nil {
		return nil, err
	}
	c.Locals(localAccess, a)
	return a, nil
}

// placesError says what a places workflow's error means.
func placesError(err error) error {
	switch {
	case errors.Is(err, places.ErrForbidden):
		return errForbidden
	case errors.Is(err, places.ErrNoPlace):
		return errNotFound
	}
	return err
}

// figuresCache keeps a place's tally for a minute: officials look at the
// same province again and again, and counting reads all its people. A
// change made through this instance forgets the province's tallies.
type figuresCache struct {
	mu sync.Mutex
	m  map[string]*cachedTally
}

type cachedTally struct {
	done chan struct{}
	t    *reach.Tally
	err  error
}

const figuresFor = time.Minute

func (fc *figuresCache) get(key string, now time.Time, count func() (*reach.Tally, error)) (*reach.Tally, error) {
	fc.mu.Lock()
	if fc.m == nil {
		fc.m = map[string]*cachedTally{}
	}
	e := fc.m[key]
	if e != nil {
		select {
		case <-e.done:
			if e.err != nil || now.Sub(e.t.At) > figuresFor {
				e = nil
			}
		default: // being counted: wait for it
		}
	}
	if e == nil {
		e = &cachedTally{done: make(chan struct{})}
		fc.m[key] = e
		fc.mu.Unlock()
		func() {
			// Whatever happens, those waiting are let go.
			defer close(e.done)
			e.err = errors.New("figures: the count did not finish")
			e.t, e.err = count()
		}()
		return e.t, e.err
	}
	fc.mu.Unlock()
	<-e.done
	return e.t, e.err
}

func (fc *figuresCache) forget(province string) {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	for k := range fc.m {
		if strings.HasPrefix(k, province+"/") {
			delete(fc.m, k)
		}
	}
}

const activeDays = 30

func (s *Server) provinceTally(ctx context.Context, p *locality.Province) (*reach.Tally, error) {
	return s.figures.get(p.Code+"/", s.now(), func() (*reach.Tally, error) {
		teams, err := s.store.TeamsOfProvince(ctx, p.Code)
		if err != nil {
			return nil, err
		}
		now := s.now()
		return reach.Count(ctx, s.store, s.skills, reach.Options{Level: reach.ByCommune, Province: p.Code,
			Communes: communeCodes(p), Teams: teams, Until: now, ActiveSince: now.AddDate(0, 0, -activeDays), Weeks: 12})
	})
}

// communeTally is the commune's share of its province's count: the
// province is counted once a minute, whichever of its pages asks.
func (s *Server) communeTally(ctx context.Context, cm *locality.Commune, teams []store.Team) (*reach.Tally, error) {
	pt, err := s.provinceTally(ctx, cm.Province)
	if err != nil {
		return nil, err
	}
	rows, total := pt.CommuneRows(cm.Code, teams)
	weeks := pt.CommuneWeeks[cm.Code]
	if weeks == nil {
		weeks = make([]reach.Week, len(pt.Weeks))
		for i := range weeks {
			weeks[i].Start = pt.Weeks[i].Start
		}
	}
	return &reach.Tally{Rows: rows, Total: total, Weeks: weeks, At: pt.At}, nil
}

func communeCodes(p *locality.Province) []string {
	out := make([]string, len(p.Communes))
	for i, c := range p.Communes {
		out[i] = c.Code
	}
	return out
}

// figureCols are the columns every place table shares after its first.
func (s *Server) figureCols(lang, first string, extra ...gridCol) []gridCol {
	cols := []gridCol{{s.msgs.T(lang, first), sheet.Text}}
	cols = append(cols, extra...)
	cols = append(cols,
		gridCol{s.msgs.T(lang, "place.col.residents"), sheet.Number},
		gridCol{s.msgs.T(lang, "place.col.active"), sheet.Number},
		gridCol{s.msgs.T(lang, "place.col.certificates"), sheet.Number})
	for _, sk := range reach.Basic {
		cols = append(cols, gridCol{s.msgs.T(lang, "skill."+sk), sheet.Number})
	}
	return append(cols,
		gridCol{s.msgs.T(lang, "place.col.households"), sheet.Number},
		gridCol{s.msgs.T(lang, "place.col.covered"), sheet.Number},
		gridCol{s.msgs.T(lang, "place.col.share"), sheet.Percent})
}

func figureCells(f *reach.Figures) []any {
	cells := []any{f.Residents, f.Active, f.Certificates}
	for _, n := range f.Skill {
		cells = append(cells, n)
	}
	var share any
	if v, ok := f.Share(); ok {
		share = v
	}
	return append(cells, f.Households, f.Covered, share)
}

// provinceGrid is the province's table: a row per commune.
func (s *Server) provinceGrid(c *fiber.Ctx, p *locality.Province, t *reach.Tally) *grid {
	lang := s.lang(c)
	g := &grid{Cols: s.figureCols(lang, "place.col.commune", gridCol{s.msgs.T(lang, "place.col.teams"), sheet.Number})}
	for _, cm := range p.Communes {
		f := t.Row(cm.Code)
		g.Rows = append(g.Rows, gridRow{Cells: append([]any{cm.Name, f.Teams}, figureCells(f)...), Link: "/places/" + p.Code + "/" + cm.Code})
	}
	g.filter(c.Query("q"))
	g.fromQuery(c, 0, false)
	g.Total = append([]any{s.msgs.T(lang, "place.total"), t.Total.Teams}, figureCells(&t.Total)...)
	return g
}

// communeGrid is the commune's table: a row per team, and one for the
// residents in no team of the commune.
func (s *Server) communeGrid(c *fiber.Ctx, cm *locality.Commune, t *reach.Tally, teams []store.Team, leaders map[string]*store.User) *grid {
	lang := s.lang(c)
	g := &grid{Cols: s.figureCols(lang, "place.col.team", gridCol{s.msgs.T(lang, "place.col.leader"), sheet.Text})}
	for _, tm := range teams {
		leader := s.msgs.T(lang, "place.leader.none")
		if u := leaders[tm.LeaderID]; u != nil {
			leader = u.Name
		} else if tm.LeaderPhone != "" {
			leader = s.msgs.T(lang, "place.leader.waiting", "Phone", groupPhone(tm.LeaderPhone))
		}
		g.Rows = append(g.Rows, gridRow{Cells: append([]any{tm.Name, leader}, figureCells(t.Row(tm.ID))...), Link: "/teams/" + tm.ID})
	}
	if f := t.Rows[""]; f != nil {
		g.Rows = append(g.Rows, gridRow{Cells: append([]any{s.msgs.T(lang, "place.no_team"), ""}, figureCells(f)...)})
	}
	g.filter(c.Query("q"))
	g.fromQuery(c, 0, false)
	g.Total = append([]any{s.msgs.T(lang, "place.total"), ""}, figureCells(&t.Total)...)
	return g
}

// myPlaces lists the places the person is an official of; an admin, every
// province.
func (s *Server) myPlaces(c *fiber.Ctx) error {
	a, err := s.access(c)
	if err != nil {
		return err
	}
	type link struct{ Name, URL, Role string }
	var links []link
	if a.Admin {
		for _, p := range s.places.Provinces {
			links = append(links, link{p.Name, "/places/" + p.Code, ""})
		}
	}
	for _, g := range a.Grants {
		switch g.Role {
		case store.GrantProvince:
			if p := s.places.Province(g.Place); p != nil {
				links = append(links, link{p.Name, "/places/" + p.Code, "place.role.province"})
			}
		case store.GrantCommune:
			if cm := s.places.Commune(g.Place); cm != nil {
				links = append(links, link{cm.Name + ", " + cm.Province.Name, "/places/" + cm.Province.Code + "/" + cm.Code, "place.role.commune"})
			}
		}
	}
	if len(links) == 0 {
		return errForbidden
	}
	if len(links) == 1 {
		return c.Redirect(links[0].URL)
	}
	return s.render(c, "places", "places.title", fiber.Map{"Links": links})
}

func (s *Server) provinceParam(c *fiber.Ctx) (*locality.Province, *places.Access, error) {
	p := s.places.Province(c.Params("province"))
	if p == nil {
		return nil, nil, errNotFound
	}
	a, err := s.access(c)
	if err != nil {
		return nil, nil, err
	}
	if !a.SeesProvince(p.Code) {
		return nil, nil, errForbidden
	}
	return p, a, nil
}

func (s *Server) communeParam(c *fiber.Ctx) (*locality.Commune, *places.Access, error) {
	cm := s.places.Commune(c.Params("commune"))
	if cm == nil || cm.Province.Code != c.Params("province") {
		return nil, nil, errNotFound
	}
	a, err := s.access(c)
	if err != nil {
		return nil, nil, err
	}
	if !a.SeesCommune(cm) {
		return nil, nil, errForbidden
	}
	return cm, a, nil
}

const placeRowsPerPage = 50

func (s *Server) provincePage(c *fiber.Ctx) error {
	p, a, err := s.provinceParam(c)
	if err != nil {
		return err
	}
	return s.showProvince(c, p, a, forms.Errors{}, "")
}

func (s *Server) showProvince(c *fiber.Ctx, p *locality.Province, a *places.Access, errs forms.Errors, phone string) error {
	t, err := s.provinceTally(c.UserContext(), p)
	if err != nil {
		return err
	}
	g := s.provinceGrid(c, p, t)
	pg := pageOf(c, int64(len(g.Rows)), placeRowsPerPage)
	officials, err := s.officials(c, store.GrantQuery{Role: store.GrantProvince, Place: p.Code})
	if err != nil {
		return err
	}
	return s.render(c, "province", "place.province.title", fiber.Map{
		"Province": p, "Table": s.gridHTML(s.lang(c), s.msgs.T(s.lang(c), "place.communes"), g, g.page(pg)), "Pager": pg, "Tally": t, "Chart": s.weekChart(s.lang(c), t.Weeks),
		"Q": c.Query("q"), "Officials": officials, "CanAppoint": a.Admin, "Errors": errs, "Phone": phone,
		"Skills": reach.Basic, "Saved": c.Query("saved"),
	})
}

func (s *Server) communePage(c *fiber.Ctx) error {
	cm, a, err := s.communeParam(c)
	if err != nil {
		return err
	}
	return s.showCommune(c, cm, a, teamForm{Code: certcode.Short(6)}, forms.Errors{}, "")
}

func (s *Server) communeTeams(c *fiber.Ctx, cm *locality.Commune) ([]store.Team, map[string]*store.User, error) {
	teams, err := s.store.TeamsIn(c.UserContext(), cm.Code, store.Page{Limit: store.MaxLimit})
	if err != nil {
		return nil, nil, err
	}
	ids := make([]string, len(teams))
	for i, t := range teams {
		ids[i] = t.LeaderID
	}
	leaders, err := s.store.UsersByIDs(c.UserContext(), ids)
	return teams, leaders, err
}

func (s *Server) showCommune(c *fiber.Ctx, cm *locality.Commune, a *places.Access, f teamForm, errs forms.Errors, phone string) error {
	teams, leaders, err := s.communeTeams(c, cm)
	if err != nil {
		return err
	}
	t, err := s.communeTally(c.UserContext(), cm, teams)
	if err != nil {
		return err
	}
	g := s.communeGrid(c, cm, t, teams, leaders)
	pg := pageOf(c, int64(len(g.Rows)), placeRowsPerPage)
	officials, err := s.officials(c, store.GrantQuery{Role: store.GrantCommune, Place: cm.Code})
	if err != nil {
		return err
	}
	return s.render(c, "commune", "place.commune.title", fiber.Map{
		"Commune": cm, "Table": s.gridHTML(s.lang(c), s.msgs.T(s.lang(c), "place.teams"), g, g.page(pg)), "Pager": pg, "Tally": t, "Chart": s.weekChart(s.lang(c), t.Weeks),
		"Q": c.Query("q"), "Teams": teams, "Leaders": leaders, "Officials": officials,
		"CanRun": a.RunsCommune(cm), "CanAppoint": a.AppointsIn(cm.Province.Code), "SeesProvince": a.SeesProvince(cm.Province.Code),
		"Form": f, "Errors": errs, "Phone": phone, "Saved": c.Query("saved"),
	})
}

func (s *Server) provinceSheet(format string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		p, _, err := s.provinceParam(c)
		if err != nil {
			return err
		}
		t, err := s.provinceTally(c.UserContext(), p)
		if err != nil {
			return err
		}
		return s.provinceGrid(c, p, t).send(c, format, "tinh-"+p.Code+"-xa-phuong", sheetTitle(p.Name))
	}
}

func (s *Server) communeSheet(format string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		cm, _, err := s.communeParam(c)
		if err != nil {
			return err
		}
		teams, leaders, err := s.communeTeams(c, cm)
		if err != nil {
			return err
		}
		t, err := s.communeTally(c.UserContext(), cm, teams)
		if err != nil {
			return err
		}
		return s.communeGrid(c, cm, t, teams, leaders).send(c, format, "xa-"+cm.Code+"-to", sheetTitle(cm.Name))
	}
}

// sheetTitle fits a name in Excel's 31 letters for a sheet, without the
// characters it refuses.
func sheetTitle(name string) string {
	name = strings.Map(func(r rune) rune {
		if strings.ContainsRune(`:\/?*[]`, r) {
			return ' '
		}
		return r
	}, name)
	if r := []rune(name); len(r) > 31 {
		name = string(r[:31])
	}
	return name
}

// official is a grant as a page lists it: who holds it, or that it waits
// for its claim code (and until when the code given out is good).
type official struct {
	store.Grant
	Name     string
	CodeURL  string     // the page of its claim code, while it waits
	CodeTill *time.Time // the live code's expiry; nil for none
}

func (s *Server) officials(c *fiber.Ctx, q store.GrantQuery) ([]official, error) {
	gs, err := s.store.Grants(c.UserContext(), q)
	if err != nil {
		return nil, err
	}
	var holders, waiting []string
	for _, g := range gs {
		holders = append(holders, g.UserID)
		if g.Waiting() {
			waiting = append(waiting, store.ClaimOfGrant(g.ID))
		}
	}
	people, err := s.store.UsersByIDs(c.UserContext(), holders)
	if err != nil {
		return nil, err
	}
	codes, err := s.store.ClaimCodesByID(c.UserContext(), waiting, s.now())
	if err != nil {
		return nil, err
	}
	out := make([]official, len(gs))
	for i, g := range gs {
		out[i] = official{Grant: g}
		if u := people[g.UserID]; u != nil {
			out[i].Name = u.Name
		}
		if g.Waiting() {
			id := store.ClaimOfGrant(g.ID)
			out[i].CodeURL = claimCodePath(id)
			if cc := codes[id]; cc != nil {
				out[i].CodeTill = &cc.Expires
			}
		}
	}
	return out, nil
}

// appointProvinceOfficial: an admin names a province official.
func (s *Server) appointProvinceOfficial(c *fiber.Ctx) error {
	p, a, err := s.provinceParam(c)
	if err != nil {
		return err
	}
	phone, msg := forms.Phone(c.FormValue("phone"))
	if msg != "" {
		c.Status(fiber.StatusUnprocessableEntity)
		return s.showProvince(c, p, a, forms.Errors{"phone": msg}, c.FormValue("phone"))
	}
	g, isNew, err := s.roles.Appoint(c.UserContext(), a, store.GrantProvince, p.Code, phone)
	if err != nil {
		return placesError(err)
	}
	return s.appointed(c, store.ClaimOfGrant(g.ID), isNew && g.Waiting(), "/places/"+p.Code+"?saved=official#officials")
}

// appointCommuneOfficial: a province official (or an admin) names a
// commune official.
func (s *Server) appointCommuneOfficial(c *fiber.Ctx) error {
	cm, a, err := s.communeParam(c)
	if err != nil {
		return err
	}
	phone, msg := forms.Phone(c.FormValue("phone"))
	if msg != "" {
		c.Status(fiber.StatusUnprocessableEntity)
		return s.showCommune(c, cm, a, teamForm{Code: certcode.Short(6)}, forms.Errors{"phone": msg}, c.FormValue("phone"))
	}
	g, isNew, err := s.roles.Appoint(c.UserContext(), a, store.GrantCommune, cm.Code, phone)
	if err != nil {
		return placesError(err)
	}
	return s.appointed(c, store.ClaimOfGrant(g.ID), isNew && g.Waiting(), "/places/"+cm.Province.Code+"/"+cm.Code+"?saved=official#officials")
}

// removeOfficial ends a grant and goes back to the page it was listed on.
func (s *Server) removeOfficial(c *fiber.Ctx) error {
	a, err := s.access(c)
	if err != nil {
		return err
	}
	id := c.FormValue("grant")
	g, err := s.roles.Remove(c.UserContext(), a, id)
	if errors.Is(err, store.ErrNotFound) {
		// Removed already, as a double tap finds it: the page the first
		// tap led to, for whoever could have removed it.
		if back := s.grantPage(a, id); back != "" && validGrantID(id) {
			return c.Redirect(back+"?saved=removed#officials", fiber.StatusSeeOther)
		}
		return fail(fiber.StatusNotFound, "place.official.gone")
	}
	if err != nil {
		return placesError(err)
	}
	return c.Redirect(s.grantPage(a, g.ID)+"?saved=removed#officials", fiber.StatusSeeOther)
}

// validGrantID: role:place:phone with a phone as the platform writes it.
func validGrantID(id string) bool {
	parts := strings.Split(id, ":")
	if len(parts) != 3 {
		return false
	}
	phone, msg := forms.Phone(parts[2])
	return msg == "" && phone == parts[2]
}

// grantPage is the page that lists a grant, when a may change it; "" if
// not.
func (s *Server) grantPage(a *places.Access, id string) string {
	role, rest, _ := strings.Cut(id, ":")
	place, _, _ := strings.Cut(rest, ":")
	switch role {
	case store.GrantProvince:
		if s.places.Province(place) != nil && a.Admin {
			return "/places/" + place
		}
	case store.GrantCommune:
		if cm := s.places.Commune(place); cm != nil && a.AppointsIn(cm.Province.Code) {
			return "/places/" + cm.Province.Code + "/" + cm.Code
		}
	}
	return ""
}

// createCommuneTeam: a commune official makes a team for a village or
// residential group, led by a phone number.
func (s *Server) createCommuneTeam(c *fiber.Ctx) error {
	cm, a, err := s.communeParam(c)
	if err != nil {
		return err
	}
	if !a.RunsCommune(cm) {
		return errForbidden
	}
	f := teamForm{Name: forms.Clean(c.FormValue("name")), Leader: strings.TrimSpace(c.FormValue("leader")), Code: c.FormValue("code")}
	if !teamCode.MatchString(f.Code) {
		f.Code = certcode.Short(6)
	}
	errs := forms.Errors{}
	errs.Check("name", forms.Text(f.Name, forms.TextMax))
	phone, msg := forms.Phone(f.Leader)
	errs.Check("leader", msg)
	if len(errs) > 0 {
		c.Status(fiber.StatusUnprocessableEntity)
		return s.showCommune(c, cm, a, f, errs, "")
	}
	t, waits, err := s.roles.CreateTeam(c.UserContext(), a, places.TeamForm{Code: f.Code, Name: f.Name, Commune: cm.Code, LeaderPhone: phone}, func() string { return certcode.Short(6) })
	if err != nil {
		return placesError(err)
	}
	s.figures.forget(cm.Province.Code)
	return s.appointed(c, store.ClaimOfTeam(t.ID), waits, "/places/"+cm.Province.Code+"/"+cm.Code+"?saved="+t.ID+"#teams")
}

// appointCommuneLeader: a commune official appoints or replaces a team's
// leader.
func (s *Server) appointCommuneLeader(c *fiber.Ctx) error {
	cm, a, err := s.communeParam(c)
	if err != nil {
		return err
	}
	t, err := s.teamParam(c)
	if err != nil {
		return err
	}
	if t.Commune != cm.Code {
		return errNotFound
	}
	phone, msg := forms.Phone(c.FormValue("leader"))
	if msg != "" {
		c.Status(fiber.StatusUnprocessableEntity)
		return s.showCommune(c, cm, a, teamForm{Code: certcode.Short(6)}, forms.Errors{"leader-" + t.ID: msg}, "")
	}
	waits, err := s.roles.AppointLeader(c.UserContext(), a, t, phone)
	if err != nil {
		return placesError(err)
	}
	s.figures.forget(cm.Province.Code)
	return s.appointed(c, store.ClaimOfTeam(t.ID), waits, "/places/"+cm.Province.Code+"/"+cm.Code+"?saved="+t.ID+"#team-"+t.ID)
}
