package reach

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"kynangso/app/locality"
	"kynangso/app/store"
	"kynangso/app/store/sqlite"
)

// Five courses, one per basic skill, and one that teaches two.
var skills = Skills{"ps": 1, "shop": 2, "pay": 4, "safe": 8, "local": 16, "shop+local": 2 | 16}

var now = time.Date(2026, 11, 20, 10, 0, 0, 0, vnTime)

type fixture struct {
	t  *testing.T
	st store.Store
	n  int
}

func newFixture(t *testing.T) *fixture {
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "kynangso.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close(context.Background()) })
	return &fixture{t: t, st: st}
}

func (f *fixture) must(err error) {
	f.t.Helper()
	if err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) team(id, commune string, households int) *store.Team {
	tm := &store.Team{ID: id, Name: "Tổ " + id, Province: "31", Commune: commune, Households: households, Created: now.AddDate(0, -6, 0)}
	f.must(f.st.CreateTeam(context.Background(), tm))
	return tm
}

func (f *fixture) household(tm *store.Team, label string) string {
	h := &store.Household{ID: tm.ID + "-" + label, TeamID: tm.ID, Label: label, Created: now}
	f.must(f.st.CreateHousehold(context.Background(), h))
	return h.ID
}

// person registers someone in tm (and household h) holding valid
// certificates in courses.
func (f *fixture) person(tm *store.Team, h string, courses ...string) *store.User {
	ctx := context.Background()
	f.n++
	u := &store.User{ID: store.NewID(), Name: "Người học", NameFolded: "nguoi hoc", Phone: fmt.Sprintf("09%08d", f.n),
		PasswordHash: "h", Role: store.RoleLearner, Province: tm.Province, Commune: tm.Commune, TeamID: tm.ID,
		Consent: store.Consent{Version: "1", At: now}, Created: now.AddDate(0, -1, 0), LastActive: now.AddDate(0, 0, -3)}
	f.must(f.st.CreateUser(ctx, u))
	if h != "" {
		f.must(f.st.SetUserHousehold(ctx, tm.ID, u.ID, h))
	}
	for _, co := range courses {
		c := &store.Certificate{Code: store.NewID()[:12], UserID: u.ID, Course: co, Holder: u.Name, Score: 90,
			IssuedAt: now.AddDate(0, 0, -10), TeamID: tm.ID, Commune: tm.Commune, Status: store.CertValid}
		_, _, err := f.st.IssueCertificate(ctx, c, c.IssuedAt)
		f.must(err)
	}
	return u
}

func (f *fixture) count(level Level) *Tally {
	teams, err := AllTeams(context.Background(), f.st)
	f.must(err)
	tl, err := Count(context.Background(), f.st, skills, Options{Level: level, Province: "31", Communes: []string{"10507", "10525"},
		Teams: teams, Until: now, ActiveSince: now.AddDate(0, 0, -30), Weeks: 12})
	f.must(err)
	return tl
}

func TestHouseholdCoverage(t *testing.T) {
	f := newFixture(t)
	a := f.team("AAAAAA", "10507", 40)

	none := f.household(a, "Hộ ông Ba, số 12")
	f.person(a, none)
	f.person(a, none)

	four := f.household(a, "Hộ bà Tư")
	f.person(a, four, "ps", "shop", "pay", "safe")

	// Together they hold all five; neither alone does.
	split := f.household(a, "Hộ chú Năm")
	f.person(a, split, "ps", "shop", "pay")
	f.person(a, split, "safe", "local")

	// Five skills from four courses, one of which teaches two.
	whole := f.household(a, "Hộ cô Sáu")
	f.person(a, whole, "ps", "pay", "safe", "shop+local")
	f.person(a, whole)

	// All five, but in no household: no household is covered by her.
	f.person(a, "", "ps", "shop", "pay", "safe", "local")

	tl := f.count(ByTeam)
	got := tl.Row("AAAAAA")
	if got.Covered != 1 || got.Households != 40 {
		t.Fatalf("covered %d of %d households, want 1 of 40 (only Hộ cô Sáu)", got.Covered, got.Households)
	}
	if got.Residents != 8 {
		t.Errorf("residents %d, want 8", got.Residents)
	}
	// public-services: four, five-split, cô Sáu, the one in no household.
	if want := [5]int{4, 4, 4, 4, 3}; got.Skill != want {
		t.Errorf("people per skill %v, want %v", got.Skill, want)
	}
	if got.Certificates != 18 {
		t.Errorf("certificates %d, want 18", got.Certificates)
	}
	if s, ok := got.Share(); !ok || s != 1.0/40 {
		t.Errorf("share %v %v, want 1/40", s, ok)
	}
}

func TestRevokedCertificateUncovers(t *testing.T) {
	f := newFixture(t)
	a := f.team("BBBBBB", "10507", 10)
	h := f.household(a, "Hộ 1")
	u := f.person(a, h, "ps", "shop", "pay", "safe", "local")
	if got := f.count(ByCommune).Row("10507").Covered; got != 1 {
		t.Fatalf("covered %d, want 1", got)
	}
	certs, err := f.st.CertificatesOf(context.Background(), u.ID)
	f.must(err)
	_, _, err = f.st.RevokeCertificate(context.Background(), &store.Revocation{Code: certs[0].Code, Reason: store.ReasonError, At: now})
	f.must(err)
	if got := f.count(ByCommune).Row("10507").Covered; got != 0 {
		t.Fatalf("covered %d after a revocation, want 0", got)
	}
}

func TestRankingSuppressesAndFreezes(t *testing.T) {
	f := newFixture(t)
	places, err := locality.Load()
	f.must(err)
	big := f.team("CCCCCC", "10507", 20)
	for i := range 12 {
		h := f.household(big, "Hộ "+string(rune('A'+i)))
		if i < 3 {
			f.person(big, h, "ps", "shop", "pay", "safe", "local")
		} else {
			f.person(big, h)
		}
	}
	small := f.team("DDDDDD", "10525", 5)
	for range 9 {
		f.person(small, "", "ps")
	}
	// With one commune hidden, the province's total minus the others
	// would give its figures: the smallest commune shown is hidden too.
	other := f.team("GGGGGG", "10532", 0)
	for range 11 {
		f.person(other, "")
	}
	r := &Ranker{Store: f.st, Skills: skills, Places: places}
	rk, err := r.Get(context.Background(), QuarterOf(now), now)
	f.must(err)
	byCode := map[string]Entry{}
	for _, e := range rk.Communes["31"] {
		byCode[e.Code] = e
	}
	b, s := byCode["10507"], byCode["10525"]
	if b.Suppressed || b.Share == nil || *b.Share != 3.0/20 || b.Rank != 1 || *b.Certificates != 15 {
		t.Errorf("commune with 12 learners: %+v, want ranked 1st with 3/20 covered and 15 certificates", b)
	}
	if !s.Suppressed || s.Learners != nil || s.Share != nil || s.Rank != 0 {
		t.Errorf("commune with 9 learners: %+v, want no figures", s)
	}
	if o := byCode["10532"]; !o.Suppressed || o.Learners != nil {
		t.Errorf("commune with 11 learners, the fewest shown beside a hidden one: %+v, want hidden too", o)
	}
	if rk.Final {
		t.Error("the current quarter is final")
	}

	// The quarter ends; asked for after, it is counted once as of its
	// end and then stays as it was published.
	later := QuarterOf(now).End().Add(48 * time.Hour)
	past, err := r.Get(context.Background(), QuarterOf(now), later)
	f.must(err)
	if !past.Final || *find(past, "10507").Covered != 3 {
		t.Fatalf("past quarter: final %v, covered %v; want final with 3", past.Final, find(past, "10507").Covered)
	}
	for i := range 3 {
		f.person(big, f.household(big, "Hộ mới "+string(rune('A'+i))), "ps", "shop", "pay", "safe", "local")
	}
	again, err := r.Get(context.Background(), QuarterOf(now), later.Add(time.Hour))
	f.must(err)
	if got := *find(again, "10507").Covered; got != 3 {
		t.Errorf("a frozen quarter changed: covered %d, want 3", got)
	}
	if _, err := r.Get(context.Background(), QuarterOf(later).Next(), later); err != ErrFuture {
		t.Errorf("a future quarter: %v, want ErrFuture", err)
	}
}

func find(rk *Ranking, code string) Entry {
	for _, es := range rk.Communes {
		for _, e := range es {
			if e.Code == code {
				return e
			}
		}
	}
	return Entry{}
}

func TestParseQuarter(t *testing.T) {
	for s, want := range map[string]Quarter{"2026-Q3": {2026, 3}, "2025-q1": {2025, 1}} {
		if q, err := ParseQuarter(s); err != nil || q != want || (q.String() != s && s[5] == 'Q') {
			t.Errorf("ParseQuarter(%q) = %v, %v", s, q, err)
		}
	}
	for _, s := range []string{"", "2026-Q5", "2026-Q0", "26-Q1", "2026Q1 ", "abcd-Q1"} {
		if _, err := ParseQuarter(s); err == nil {
			t.Errorf("ParseQuarter(%q) accepted", s)
		}
	}
}

// Seen from a commune: its teams with all their members, and its
// residents in no team of it.
func TestCommuneRows(t *testing.T) {
	f := newFixture(t)
	a := f.team("EEEEEE", "10507", 30)
	h := f.household(a, "Hộ 1")
	f.person(a, h, "ps", "shop", "pay", "safe", "local")
	// A member of the team who lives in the other commune.
	away := f.person(a, "", "ps")
	loner := &store.Team{ID: "FFFFFF", Name: "Tổ khác", Province: "31", Commune: "10525", Created: now}
	f.must(f.st.CreateTeam(context.Background(), loner))
	f.person(loner, "")
	// Move the member's home to 10525 (as if she had moved).
	f.must(f.st.DeleteUserData(context.Background(), away.ID))
	away.Commune = "10525"
	f.must(f.st.CreateUser(context.Background(), away))
	tl := f.count(ByCommune)

	rows, total := tl.CommuneRows("10507", []store.Team{*a})
	if got := rows["EEEEEE"]; got == nil || got.Residents != 2 || got.Covered != 1 || got.Households != 30 {
		t.Fatalf("team EEEEEE seen from its commune: %+v, want its 2 members, 1 of 30 households covered", got)
	}
	if total.Residents != 2 || rows[""] != nil {
		t.Errorf("Thành Đông's total %+v, no-team row %+v", total, rows[""])
	}
	rows, total = tl.CommuneRows("10525", []store.Team{*loner})
	if got := rows[""]; got == nil || got.Residents != 1 {
		t.Errorf("Hải Dương's residents in no team of it: %+v, want the member who lives there", got)
	}
	if total.Residents != 2 || rows["FFFFFF"].Residents != 1 {
		t.Errorf("Hải Dương's total %+v", total)
	}
	// By residence, the province rows count her in Hải Dương.
	if tl.Row("10507").Residents != 1 || tl.Row("10525").Residents != 2 {
		t.Errorf("by residence: %d and %d", tl.Row("10507").Residents, tl.Row("10525").Residents)
	}
}
