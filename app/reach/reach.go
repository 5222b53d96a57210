// Package reach counts how far a place has come towards the national goal
// the community digital technology teams work for (Công văn
// 3240/BTTTT-CĐSQG, 2024): every household has at least one member with
// the five basic digital skills. It turns the store's people,
// certificates and teams into figures by province, commune or team, for
// officials' pages, their exports and the public ranking.
package reach

import (
	"context"
	"slices"
	"time"

	"kynangso/app/store"
	"kynangso/courses"
)

// Basic lists the five basic digital skills in the order pages show them.
var Basic = []string{"public-services", "shopping", "payment", "safety", "local-platforms"}

const allFive = 1<<5 - 1 // a bit per skill of Basic

// Skills tells which of the five basic skills each course teaches, as its
// metadata says.
type Skills map[string]uint8

// SkillsOf reads the catalogue's metadata.
func SkillsOf(cat *courses.Catalogue) Skills {
	out := Skills{}
	for _, c := range cat.Courses {
		for _, s := range c.Skills {
			if i := slices.Index(Basic, s); i >= 0 {
				out[c.ID] |= 1 << i
			}
		}
	}
	return out
}

// HasAll tells whether a person's skills are all five.
func HasAll(skills uint8) bool { return skills&allFive == allFive }

// Figures are one place's counts.
type Figures struct {
	Residents    int    // registered people
	Active       int    // of them, active since Options.ActiveSince
	Certificates int    // valid certificates they hold (issued since Options.IssuedSince)
	Skill        [5]int // people holding a valid certificate for each basic skill
	Households   int    // households the teams recorded
	Covered      int    // households with a member who holds all five
	Teams        int
}

// Share is the part of recorded households covered, at most 1; ok is
// false when no household is recorded.
func (f *Figures) Share() (share float64, ok bool) {
	if f.Households == 0 {
		return 0, false
	}
	return min(1, float64(f.Covered)/float64(f.Households)), true
}

func (f *Figures) add(g *Figures) {
	f.Residents += g.Residents
	f.Active += g.Active
	f.Certificates += g.Certificates
	for i := range f.Skill {
		f.Skill[i] += g.Skill[i]
	}
	f.Households += g.Households
	f.Covered += g.Covered
	f.Teams += g.Teams
}

// Level is what one row of a tally stands for.
type Level int

const (
	ByProvince Level = iota // a row per province
	ByCommune               // a row per commune
	ByTeam                  // a row per team
)

func (l Level) person(p *store.PersonFact) string {
	switch l {
	case ByProvince:
		return p.Province
	case ByCommune:
		return p.Commune
	}
	return p.TeamID
}

func (l Level) team(t *store.Team) string {
	switch l {
	case ByProvince:
		return t.Province
	case ByCommune:
		return t.Commune
	}
	return t.ID
}

// Week is one bar of the chart: what began in the week starting Start.
type Week struct {
	Start                  time.Time
	Learners, Certificates int
}

// Tally is the figures of a place's rows, their total and its weeks.
type Tally struct {
	Rows  map[string]*Figures
	Total Figures
	Weeks []Week
	At    time.Time // when it was counted

	// The same count seen from each commune, for its page: every team
	// with all its members (wherever they live), the commune's residents
	// in no team of it, and the commune's weeks (by residence).
	Teams        map[string]*Figures
	Unteamed     map[string]*Figures
	CommuneWeeks map[string][]Week
}

// CommuneRows are the figures of a commune's teams and of its residents
// in none of them (key ""), with their total.
func (t *Tally) CommuneRows(commune string, teams []store.Team) (rows map[string]*Figures, total Figures) {
	rows = map[string]*Figures{}
	for _, tm := range teams {
		if f := t.Teams[tm.ID]; f != nil {
			rows[tm.ID] = f
		} else {
			rows[tm.ID] = &Figures{Teams: 1, Households: tm.Households}
		}
	}
	if f := t.Unteamed[commune]; f != nil {
		rows[""] = f
	}
	for _, f := range rows {
		total.add(f)
	}
	return rows, total
}

// Row returns key's figures, zero if it has none.
func (t *Tally) Row(key string) *Figures {
	if f := t.Rows[key]; f != nil {
		return f
	}
	return &Figures{}
}

// Options say what to count.
type Options struct {
	Level Level
	// Province limits the count to one province; "" counts the country.
	Province string
	// Communes are the province's communes (nil for the country): the
	// certificates read are those earned there.
	Communes []string
	// Commune, when set, keeps only that commune's people and teams.
	Commune string
	// Teams are the teams counted: every team of Province (or Commune).
	Teams []store.Team
	// Until is when the count is taken: certificates issued after it and
	// people registered after it are not counted.
	Until time.Time
	// ActiveSince: a person counts as active when last seen at or after it.
	ActiveSince time.Time
	// IssuedSince: Certificates counts those issued at or after it.
	IssuedSince time.Time
	// Weeks is how many weeks the chart covers, back from Until.
	Weeks int
}

type person struct {
	row, team, household string
	skills               uint8
	also                 []*Figures // the commune views' rows she counts in
	commune              string
}

// Count reads the people and certificates of a place once and tallies
// them.
func Count(ctx context.Context, st store.Store, skills Skills, o Options) (*Tally, error) {
	t := &Tally{Rows: map[string]*Figures{}, At: o.Until}
	row := func(key string) *Figures {
		f := t.Rows[key]
		if f == nil {
			f = &Figures{}
			t.Rows[key] = f
		}
		return f
	}
	weekOf := weeks(o.Until, o.Weeks)
	t.Weeks = make([]Week, o.Weeks)
	for i := range t.Weeks {
		t.Weeks[i].Start = weekStart(o.Until).AddDate(0, 0, -7*(o.Weeks-1-i))
	}

	// A commune's teams count all their members, wherever they live; the
	// commune's residents in no team of it have the row "".
	here := map[string]bool{}
	for _, tm := range o.Teams {
		here[tm.ID] = o.Commune == "" || tm.Commune == o.Commune
	}
	teamCommune := map[string]string{}
	for _, tm := range o.Teams {
		teamCommune[tm.ID] = tm.Commune
	}
	t.Teams, t.Unteamed, t.CommuneWeeks = map[string]*Figures{}, map[string]*Figures{}, map[string][]Week{}
	in := func(m map[string]*Figures, key string) *Figures {
		f := m[key]
		if f == nil {
			f = &Figures{}
			m[key] = f
		}
		return f
	}
	communeWeek := func(commune string, w int) *Week {
		ws := t.CommuneWeeks[commune]
		if ws == nil {
			ws = make([]Week, len(t.Weeks))
			for i := range ws {
				ws[i].Start = t.Weeks[i].Start
			}
			t.CommuneWeeks[commune] = ws
		}
		return &ws[w]
	}
	people := map[string]*person{}
	err := st.ScanPeople(ctx, o.Province, func(p *store.PersonFact) error {
		if p.Created.After(o.Until) || (o.Commune != "" && p.Commune != o.Commune && !here[p.TeamID]) {
			return nil
		}
		key := o.Level.person(p)
		if o.Level == ByTeam && !here[p.TeamID] {
			key = ""
		}
		pp := &person{row: key, team: p.TeamID, household: p.Household, commune: p.Commune}
		tc, teamed := teamCommune[p.TeamID]
		if teamed {
			pp.also = append(pp.also, in(t.Teams, p.TeamID))
		}
		if !teamed || tc != p.Commune {
			pp.also = append(pp.also, in(t.Unteamed, p.Commune))
		}
		people[p.ID] = pp
		active := !p.LastActive.Before(o.ActiveSince)
		for _, f := range append(pp.also, row(key)) {
			f.Residents++
			if active {
				f.Active++
			}
		}
		if w := weekOf(p.Created); w >= 0 {
			t.Weeks[w].Learners++
			communeWeek(p.Commune, w).Learners++
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = st.ScanCertificates(ctx, o.Communes, func(c *store.CertFact) error {
		p := people[c.UserID]
		if p == nil || c.Status != store.CertValid || c.IssuedAt.After(o.Until) {
			return nil
		}
		p.skills |= skills[c.Course]
		if !c.IssuedAt.Before(o.IssuedSince) {
			row(p.row).Certificates++
			for _, f := range p.also {
				f.Certificates++
			}
		}
		if w := weekOf(c.IssuedAt); w >= 0 {
			t.Weeks[w].Certificates++
			communeWeek(p.commune, w).Certificates++
		}
		return nil
	})
	if err != nil {
		return nil, err
	}

	teamRow := map[string]string{}
	for i := range o.Teams {
		tm := &o.Teams[i]
		if o.Commune != "" && tm.Commune != o.Commune {
			continue
		}
		key := o.Level.team(tm)
		teamRow[tm.ID] = key
		for _, f := range []*Figures{row(key), in(t.Teams, tm.ID)} {
			f.Teams++
			f.Households += tm.Households
		}
	}
	// A household belongs to its team, so it is covered in the team's row
	// (a member may live in another commune than the team's).
	covered := map[string]bool{}
	for _, p := range people {
		for i := range Basic {
			if p.skills&(1<<i) != 0 {
				row(p.row).Skill[i]++
				for _, f := range p.also {
					f.Skill[i]++
				}
			}
		}
		key, ok := teamRow[p.team]
		if !ok || p.household == "" || p.skills != allFive || covered[p.household] {
			continue
		}
		covered[p.household] = true
		// A share is of households recorded: a team that has recorded
		// none, or fewer than it has covered, adds no more than it
		// recorded.
		if tf := in(t.Teams, p.team); tf.Covered < tf.Households {
			tf.Covered++
			row(key).Covered++
		}
	}
	for _, f := range t.Rows {
		t.Total.add(f)
	}
	return t, nil
}

// Vietnam keeps one time zone, UTC+7, all year.
var vnTime = time.FixedZone("ICT", 7*3600)

// weekStart is the Monday 00:00 (Vietnam time) of t's week.
func weekStart(t time.Time) time.Time {
	t = t.In(vnTime)
	d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, vnTime)
	return d.AddDate(0, 0, -((int(d.Weekday()) + 6) % 7))
}

// weeks returns the index of the chart's week a time falls in, or -1.
func weeks(until time.Time, n int) func(time.Time) int {
	first := weekStart(until).AddDate(0, 0, -7*(n-1))
	return func(at time.Time) int {
		if at.Before(first) || at.After(until) {
			return -1
		}
		i := int(at.Sub(first) / (7 * 24 * time.Hour))
		return min(i, n-1)
	}
}
