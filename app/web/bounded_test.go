package web_test

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"kynangso/app/store"
	"kynangso/app/testrig"
)

// reads counts the queries a request makes, where the store counts them
// (the embedded one).
func reads(t *testing.T, rig *testrig.Rig, c *testrig.Client, path string) (int64, *testrig.Resp) {
	t.Helper()
	counter, ok := rig.P.Store.(interface{ Reads() int64 })
	if !ok {
		t.Skip("this backend does not count its queries")
	}
	before := counter.Reads()
	res := c.Get(path)
	if res.Status != http.StatusOK {
		t.Fatalf("%s: %d", path, res.Status)
	}
	return counter.Reads() - before, res
}

func addMembers(t *testing.T, st store.Store, team string, from, n int) {
	t.Helper()
	ctx := context.Background()
	for i := from; i < from+n; i++ {
		u := &store.User{ID: store.NewID(), Name: fmt.Sprintf("Thành Viên %03d", i), NameFolded: fmt.Sprintf("thanh vien %03d", i),
			Phone: fmt.Sprintf("097%07d", i), Role: store.RoleLearner, Province: "1", Commune: "4", TeamID: team,
			Created: time.Now(), LastActive: time.Now()}
		if err := st.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		if err := st.MarkLessonDone(ctx, u.ID, "vneid", "vneid-la-gi", time.Now()); err != nil {
			t.Fatal(err)
		}
	}
}

func addTeams(t *testing.T, st store.Store, from, n int) {
	t.Helper()
	for i := from; i < from+n; i++ {
		tm := &store.Team{ID: fmt.Sprintf("T%05d", i), Name: fmt.Sprintf("Tổ số %03d", i), Province: "1", Commune: "4",
			LeaderID: store.NewID(), Created: time.Now().Add(-time.Duration(i) * time.Minute)}
		if err := st.CreateTeam(context.Background(), tm); err != nil {
			t.Fatal(err)
		}
		addMembers(t, st, tm.ID, 1000+i*3, 2)
	}
}

var memberName = regexp.MustCompile(`Thành Viên \d{3}`)

// members counts the different seeded members a page names (the team
// page shows each as a card and as a table row).
func members(body string) int {
	seen := map[string]bool{}
	for _, m := range memberName.FindAllString(body, -1) {
		seen[m] = true
	}
	return len(seen)
}

// The admin home and the team page cost a fixed number of queries
// whatever the number of teams or members, and show the rest by pages.
func TestPagesDoBoundedWork(t *testing.T) {
	rig := testrig.Start(t)
	admin := rig.Admin(t)
	rig.Register(t, "Tổ Trưởng Một", "0911222000", nil)
	leader := rig.Client(t)
	if r := leader.Post("/login", map[string][]string{"phone": {"0911222000"}, "password": {"mat-khau-123"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("leader sign-in: %d", r.Status)
	}
	team := rig.Team(t, admin, "Tổ Công nghệ số thôn Đông", "0911222000")

	addTeams(t, rig.P.Store, 0, 3)
	addMembers(t, rig.P.Store, team, 0, 5)
	fewTeams, _ := reads(t, rig, admin, "/admin")
	fewMembers, _ := reads(t, rig, leader, "/teams/"+team)

	addTeams(t, rig.P.Store, 3, 70)
	addMembers(t, rig.P.Store, team, 5, 145)
	manyTeams, home := reads(t, rig, admin, "/admin")
	manyMembers, page := reads(t, rig, leader, "/teams/"+team)
	if manyTeams != fewTeams || manyMembers != fewMembers {
		t.Errorf("queries grow with the data: admin home %d → %d with 74 teams, team page %d → %d with 151 members",
			fewTeams, manyTeams, fewMembers, manyMembers)
	}

	if n := strings.Count(home.Body, `action="/admin/teams/`); n != 50 {
		t.Errorf("the admin home lists %d teams, want a page of 50", n)
	}
	mustContain(t, "admin home, page 1", home.Body, "Trang 1/2", "Trang sau")
	second := admin.Get("/admin?page=2")
	if n := strings.Count(second.Body, `action="/admin/teams/`); n != 24 {
		t.Errorf("the second page lists %d teams, want 24", n)
	}
	mustContain(t, "admin home, page 2", second.Body, "Trang 2/2", "Trang trước")

	mustContain(t, "team page", page.Body, "Tổ có 151 thành viên", "Trang 1/2")
	// The leader comes first, as the leader; then 99 members.
	if n := members(page.Body); n != 99 {
		t.Errorf("the team page shows %d members, want a page of 100 with the leader", n)
	}
	rest := leader.Get("/teams/" + team + "?page=2")
	if n := members(rest.Body); n != 51 {
		t.Errorf("the team's second page shows %d members, want the other 51", n)
	}
	// The file a leader downloads holds the whole team.
	csv := leader.Get("/teams/" + team + "/members.csv")
	if n := members(csv.Body); n != 150 {
		t.Errorf("the CSV holds %d members, want all 150", n)
	}
	mustStatus(t, "a page past the end", admin.Get("/admin?page=99"), http.StatusOK)
}
