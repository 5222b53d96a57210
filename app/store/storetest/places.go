package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"kynangso/app/store"
)

// The contract of places: teams awaiting a leader by phone, teams by
// commune and province, households, officials' grants, the scans the
// place statistics read, and write-once snapshots.

func newTeam(t *testing.T, s store.Store, id, name, province, commune string) *store.Team {
	t.Helper()
	tm := &store.Team{ID: id, Name: name, Province: province, Commune: commune, Created: t0}
	must(t, s.CreateTeam(context.Background(), tm))
	return tm
}

func teamIDs(l []store.Team) []string {
	ids := make([]string, len(l))
	for i, tm := range l {
		ids[i] = tm.ID
	}
	return ids
}

func testAwaitLeader(t *testing.T, s store.Store) {
	ctx := context.Background()
	newTeam(t, s, "A", "Tổ A", "01", "00004")
	newTeam(t, s, "B", "Tổ B", "01", "00007")
	newTeam(t, s, "C", "Tổ C", "01", "00004")
	must(t, s.SetTeamLeader(ctx, "C", "L"))
	const phone = "0987000001"
	must(t, s.AwaitTeamLeader(ctx, "A", phone))
	must(t, s.AwaitTeamLeader(ctx, "B", phone))
	if err := s.AwaitTeamLeader(ctx, "nosuch", phone); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("AwaitTeamLeader of no team: %v, want ErrNotFound", err)
	}
	if tm, _ := s.Team(ctx, "A"); tm == nil || tm.LeaderID != "" || tm.LeaderPhone != phone || tm.Name != "Tổ A" {
		t.Errorf("a team awaiting a leader = %+v", tm)
	}
	// Awaiting a leader replaces the registered one.
	must(t, s.AwaitTeamLeader(ctx, "C", "0987000002"))
	if tm, _ := s.Team(ctx, "C"); tm == nil || tm.LeaderID != "" || tm.LeaderPhone != "0987000002" {
		t.Errorf("a team led, then awaiting a leader = %+v", tm)
	}
	if l, _ := s.TeamsLedBy(ctx, "L"); len(l) != 0 {
		t.Errorf("the former leader still leads %v", teamIDs(l))
	}
	// SetTeamLeader clears the leader awaited: her registration later
	// takes nothing.
	must(t, s.SetTeamLeader(ctx, "C", "M"))
	if tm, _ := s.Team(ctx, "C"); tm == nil || tm.LeaderID != "M" || tm.LeaderPhone != "" {
		t.Errorf("after SetTeamLeader, team = %+v, want leader M and no leader awaited", tm)
	}
	if l, err := s.ClaimTeams(ctx, "0987000002", "someone"); err != nil || len(l) != 0 {
		t.Errorf("a phone no longer awaited claimed %v, %v", teamIDs(l), err)
	}
	if tm, _ := s.Team(ctx, "C"); tm.LeaderID != "M" {
		t.Errorf("a stale claim took team C: leader %q", tm.LeaderID)
	}
	// Nothing awaits another phone, nor the empty one (teams that await
	// nobody must not be handed out).
	for _, p := range []string{"0987000009", ""} {
		l, err := s.ClaimTeams(ctx, p, "someone")
		must(t, err)
		if len(l) != 0 {
			t.Errorf("ClaimTeams(%q) = %v, want none", p, teamIDs(l))
		}
	}
	u := newUser(t, s, phone, "an", "")
	got, err := s.ClaimTeams(ctx, phone, u.ID)
	must(t, err)
	sort.Slice(got, func(i, j int) bool { return got[i].ID < got[j].ID })
	if !slices.Equal(teamIDs(got), []string{"A", "B"}) {
		t.Fatalf("ClaimTeams = %v, want A and B", teamIDs(got))
	}
	for _, tm := range got {
		if tm.LeaderID != u.ID || tm.LeaderPhone != "" || tm.Province != "01" || !tm.Created.Equal(t0) {
			t.Errorf("claimed team as returned = %+v", tm)
		}
		if st, _ := s.Team(ctx, tm.ID); st == nil || st.LeaderID != u.ID || st.LeaderPhone != "" {
			t.Errorf("claimed team as stored = %+v", st)
		}
	}
	if l, _ := s.TeamsLedBy(ctx, u.ID); len(l) != 2 {
		t.Errorf("TeamsLedBy the claimer = %v", teamIDs(l))
	}
	// Once only: neither she again nor anyone else gets them.
	for _, id := range []string{u.ID, "other"} {
		if l, err := s.ClaimTeams(ctx, phone, id); err != nil || len(l) != 0 {
			t.Errorf("a second claim by %s = %v, %v; want none", id, teamIDs(l), err)
		}
	}
	if tm, _ := s.Team(ctx, "A"); tm.LeaderID != u.ID {
		t.Errorf("after a second claim, team A is led by %q", tm.LeaderID)
	}
	// Awaited again (the same phone, another account after a deletion):
	// claimable again.
	must(t, s.AwaitTeamLeader(ctx, "A", phone))
	if l, err := s.ClaimTeams(ctx, phone, "again"); err != nil || !slices.Equal(teamIDs(l), []string{"A"}) {
		t.Errorf("a team awaited a second time: claim = %v, %v", teamIDs(l), err)
	}
	if tm, _ := s.Team(ctx, "A"); tm.LeaderID != "again" {
		t.Errorf("team awaited a second time is led by %q", tm.LeaderID)
	}
}

// Concurrent registrations claiming one phone (on FerretDB too, whose
// conditional updates are a read then a write): each team goes to exactly
// one of them, and it is the one the store made its leader.
func testClaimConcurrency(t *testing.T, s store.Store) {
	ctx := context.Background()
	const n = 8
	for round := range 4 {
		phone := fmt.Sprintf("098800000%d", round)
		teams := []string{fmt.Sprintf("R%d", round)}
		if round%2 == 1 { // two teams await the same phone
			teams = append(teams, fmt.Sprintf("R%db", round))
		}
		for _, id := range teams {
			newTeam(t, s, id, id, "01", "00004")
			must(t, s.AwaitTeamLeader(ctx, id, phone))
		}
		var mu sync.Mutex
		winners := map[string][]string{} // team → the callers it was given to
		AtOnce(n, func(i int) {
			who := fmt.Sprintf("claimer%d", i)
			if round == 0 {
				who = fmt.Sprintf("claimer%d", i%2) // two ids, each claiming several times
			}
			l, err := s.ClaimTeams(ctx, phone, who)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			for _, tm := range l {
				if tm.LeaderID != who {
					t.Errorf("round %d: %s was given team %s led by %q", round, who, tm.ID, tm.LeaderID)
				}
				winners[tm.ID] = append(winners[tm.ID], who)
			}
		})
		for _, id := range teams {
			w := winners[id]
			if round == 0 {
				// The same id claiming twice may be given the team twice;
				// two ids may not.
				w = slices.Compact(slices.Sorted(slices.Values(w)))
			}
			if len(w) != 1 {
				t.Errorf("round %d: team %s was given to %v, want exactly one", round, id, w)
				continue
			}
			tm, err := s.Team(ctx, id)
			must(t, err)
			if tm.LeaderID != w[0] || tm.LeaderPhone != "" {
				t.Errorf("round %d: team %s given to %s but stored %+v", round, id, w[0], tm)
			}
		}
	}
}

func testTeamsOfPlace(t *testing.T, s store.Store) {
	ctx := context.Background()
	// Created out of order; names tie so that the code decides.
	for _, tm := range []store.Team{
		{ID: "K3", Name: "Tổ 2", Province: "01", Commune: "00004"},
		{ID: "K1", Name: "Tổ 3", Province: "01", Commune: "00004"},
		{ID: "K4", Name: "Tổ 1", Province: "01", Commune: "00004"},
		{ID: "K2", Name: "Tổ 2", Province: "01", Commune: "00004"},
		{ID: "K5", Name: "Tổ 1", Province: "01", Commune: "00007"},
		{ID: "K6", Name: "Tổ 9", Province: "01", Commune: "00001"},
		{ID: "K7", Name: "Tổ 1", Province: "79", Commune: "26734"},
	} {
		tm.Created = t0
		must(t, s.CreateTeam(ctx, &tm))
	}
	p1, err := s.TeamsIn(ctx, "00004", store.Page{Limit: 3})
	must(t, err)
	p2, err := s.TeamsIn(ctx, "00004", store.Page{Limit: 3, Offset: 3})
	must(t, err)
	if got := teamIDs(append(p1, p2...)); !slices.Equal(got, []string{"K4", "K2", "K3", "K1"}) || len(p1) != 3 {
		t.Errorf("TeamsIn pages = %v, want K4 K2 K3 K1 (by name, then code)", got)
	}
	if l, err := s.TeamsIn(ctx, "99999", store.Page{}); err != nil || len(l) != 0 {
		t.Errorf("TeamsIn of a commune with none = %v, %v", l, err)
	}
	for c, want := range map[string]int64{"00004": 4, "00007": 1, "99999": 0} {
		if n, err := s.CountTeamsIn(ctx, c); err != nil || n != want {
			t.Errorf("CountTeamsIn(%s) = %d, %v; want %d", c, n, err, want)
		}
	}
	l, err := s.TeamsOfProvince(ctx, "01")
	must(t, err)
	if got := teamIDs(l); !slices.Equal(got, []string{"K6", "K4", "K2", "K3", "K1", "K5"}) {
		t.Errorf("TeamsOfProvince = %v, want K6 K4 K2 K3 K1 K5 (by commune, then name)", got)
	}
	if l, _ := s.TeamsOfProvince(ctx, "79"); !slices.Equal(teamIDs(l), []string{"K7"}) {
		t.Errorf("TeamsOfProvince(79) = %v", teamIDs(l))
	}
	if l, err := s.TeamsOfProvince(ctx, "99"); err != nil || len(l) != 0 {
		t.Errorf("TeamsOfProvince of a province with none = %v, %v", l, err)
	}

	// Households of the village, and the new fields kept by CreateTeam.
	must(t, s.SetTeamHouseholds(ctx, "K1", 120))
	must(t, s.SetTeamHouseholds(ctx, "K1", 125))
	must(t, s.SetTeamHouseholds(ctx, "K2", 0))
	if err := s.SetTeamHouseholds(ctx, "nosuch", 3); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("SetTeamHouseholds of no team: %v, want ErrNotFound", err)
	}
	if tm, _ := s.Team(ctx, "K1"); tm == nil || tm.Households != 125 || tm.Name != "Tổ 3" {
		t.Errorf("after SetTeamHouseholds: %+v", tm)
	}
	must(t, s.CreateTeam(ctx, &store.Team{ID: "K8", Name: "Tổ 8", Province: "01", Commune: "00004", LeaderPhone: "0987000008", Households: 40, Created: t0}))
	if tm, _ := s.Team(ctx, "K8"); tm == nil || tm.LeaderPhone != "0987000008" || tm.Households != 40 || tm.LeaderID != "" {
		t.Errorf("a team created awaiting a leader = %+v", tm)
	}
	if l, _ := s.ClaimTeams(ctx, "0987000008", "u8"); !slices.Equal(teamIDs(l), []string{"K8"}) {
		t.Errorf("a team created awaiting a leader: claim = %v", teamIDs(l))
	}
	if l, _ := s.TeamsIn(ctx, "00004", store.Page{}); len(l) != 5 || l[3].ID != "K1" || l[3].Households != 125 || l[4].ID != "K8" {
		t.Errorf("TeamsIn after updates = %+v", l)
	}
}

func testHouseholds(t *testing.T, s store.Store) {
	ctx := context.Background()
	newTeam(t, s, "T1", "Tổ 1", "01", "00004")
	newTeam(t, s, "T2", "Tổ 2", "01", "00004")
	h := func(id, team, label string) *store.Household {
		x := &store.Household{ID: id, TeamID: team, Label: label, Created: t0}
		must(t, s.CreateHousehold(ctx, x))
		return x
	}
	h("h3", "T1", "Hộ ông Ba, số 12")
	h("h1", "T1", "Hộ bà Tư")
	h("h2", "T1", "Hộ ông Ba, số 12") // same label: by id
	h("h9", "T2", "Hộ bà Năm")
	if err := s.CreateHousehold(ctx, &store.Household{ID: "h1", TeamID: "T2", Label: "x", Created: t0}); !errors.Is(err, store.ErrDuplicate) {
		t.Errorf("a household id taken twice: %v, want ErrDuplicate", err)
	}
	got, err := s.Household(ctx, "h1")
	must(t, err)
	if got.ID != "h1" || got.TeamID != "T1" || got.Label != "Hộ bà Tư" || !got.Created.Equal(t0) {
		t.Errorf("Household = %+v", got)
	}
	if _, err := s.Household(ctx, "nosuch"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Household of no id: %v, want ErrNotFound", err)
	}
	labels := func(team string) []string {
		l, err := s.Households(ctx, team)
		must(t, err)
		var out []string
		for _, x := range l {
			out = append(out, x.ID+" "+x.Label)
		}
		return out
	}
	if got := labels("T1"); !slices.Equal(got, []string{"h1 Hộ bà Tư", "h2 Hộ ông Ba, số 12", "h3 Hộ ông Ba, số 12"}) {
		t.Errorf("Households(T1) = %q, want by label, then id", got)
	}
	if l, err := s.Households(ctx, "T3"); err != nil || len(l) != 0 {
		t.Errorf("Households of a team with none = %v, %v", l, err)
	}

	must(t, s.RenameHousehold(ctx, "T1", "h3", "Hộ ông Ba, số 14"))
	if err := s.RenameHousehold(ctx, "T2", "h1", "stolen"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("renaming another team's household: %v, want ErrNotFound", err)
	}
	if err := s.RenameHousehold(ctx, "T1", "nosuch", "x"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("renaming no household: %v, want ErrNotFound", err)
	}
	if got := labels("T1"); !slices.Equal(got, []string{"h1 Hộ bà Tư", "h2 Hộ ông Ba, số 12", "h3 Hộ ông Ba, số 14"}) {
		t.Errorf("after renames, Households(T1) = %q", got)
	}

	a := newUser(t, s, "0912000001", "a", "T1")
	b := newUser(t, s, "0912000002", "b", "T1")
	c := newUser(t, s, "0912000003", "c", "T1")
	d := newUser(t, s, "0912000004", "d", "T2")
	household := func(u *store.User) string {
		t.Helper()
		got, err := s.UserByID(ctx, u.ID)
		must(t, err)
		return got.Household
	}
	must(t, s.SetUserHousehold(ctx, "T1", a.ID, "h1"))
	must(t, s.SetUserHousehold(ctx, "T1", b.ID, "h1"))
	must(t, s.SetUserHousehold(ctx, "T1", c.ID, "h2"))
	must(t, s.SetUserHousehold(ctx, "T2", d.ID, "h9"))
	must(t, s.SetUserHousehold(ctx, "T1", c.ID, "h2")) // again: no change, no error
	if household(a) != "h1" || household(c) != "h2" || household(d) != "h9" {
		t.Errorf("households = %q %q %q", household(a), household(c), household(d))
	}
	// The field comes back wherever a user is read.
	must(t, s.CreateSession(ctx, &store.Session{ID: "sa", UserID: a.ID, Created: t0, Expires: t0.Add(time.Hour)}))
	if _, su, err := s.SessionUser(ctx, "sa", t0); err != nil || su.Household != "h1" {
		t.Errorf("SessionUser household = %+v, %v", su, err)
	}
	if m, _ := s.UsersByIDs(ctx, []string{a.ID, c.ID}); m[a.ID] == nil || m[a.ID].Household != "h1" || m[c.ID].Household != "h2" {
		t.Errorf("UsersByIDs households = %v", m)
	}
	if l, _ := s.TeamMembers(ctx, "T1", store.Page{}); len(l) != 3 || l[0].Household != "h1" {
		t.Errorf("TeamMembers = %+v", l)
	}
	if u, _ := s.UserByPhone(ctx, c.Phone); u.Household != "h2" {
		t.Errorf("UserByPhone household = %q", u.Household)
	}

	// Refused: another team's household, a person of another team, no
	// such person or household; nothing changes.
	for _, tc := range []struct {
		what             string
		team, user, hold string
	}{
		{"a household of another team", "T1", a.ID, "h9"},
		{"a person of another team", "T1", d.ID, "h1"},
		{"a person of another team, out of her household", "T1", d.ID, ""},
		{"a person of the team, by another team's leader", "T2", a.ID, "h9"},
		{"no such household", "T1", a.ID, "nosuch"},
		{"no such person", "T1", "nobody", "h1"},
	} {
		if err := s.SetUserHousehold(ctx, tc.team, tc.user, tc.hold); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("SetUserHousehold of %s: %v, want ErrNotFound", tc.what, err)
		}
	}
	if household(a) != "h1" || household(d) != "h9" {
		t.Errorf("a refused SetUserHousehold changed households: %q %q", household(a), household(d))
	}
	must(t, s.SetUserHousehold(ctx, "T1", b.ID, ""))
	if household(b) != "" {
		t.Errorf("out of her household, b is in %q", household(b))
	}
	must(t, s.SetUserHousehold(ctx, "T1", b.ID, "h1"))

	// SetUserTeam keeps the household when the team is the same, clears
	// it when it changes; LeaveTeam clears it.
	must(t, s.SetUserTeam(ctx, a.ID, "T1"))
	if household(a) != "h1" {
		t.Errorf("SetUserTeam to the same team cleared the household: %q", household(a))
	}
	must(t, s.SetUserTeam(ctx, a.ID, "T2"))
	if u, _ := s.UserByID(ctx, a.ID); u.TeamID != "T2" || u.Household != "" {
		t.Errorf("moved to another team: team %q household %q, want T2 and none", u.TeamID, u.Household)
	}
	if err := s.SetUserTeam(ctx, "nobody", "T1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("SetUserTeam of no one: %v, want ErrNotFound", err)
	}
	must(t, s.SetUserHousehold(ctx, "T2", a.ID, "h9"))
	must(t, s.LeaveTeam(ctx, a.ID))
	if u, _ := s.UserByID(ctx, a.ID); u.TeamID != "" || u.Household != "" {
		t.Errorf("after LeaveTeam: team %q household %q", u.TeamID, u.Household)
	}
	must(t, s.SetUserTeam(ctx, a.ID, "T1"))
	must(t, s.SetUserHousehold(ctx, "T1", a.ID, "h1"))

	// DeleteHousehold: another team's is refused and its members keep it;
	// the team's own goes, and its members are in none, others untouched.
	if err := s.DeleteHousehold(ctx, "T2", "h1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleting another team's household: %v, want ErrNotFound", err)
	}
	if _, err := s.Household(ctx, "h1"); err != nil {
		t.Errorf("another team deleted h1: %v", err)
	}
	if household(a) != "h1" || household(b) != "h1" {
		t.Errorf("a refused DeleteHousehold emptied its members: %q %q", household(a), household(b))
	}
	must(t, s.DeleteHousehold(ctx, "T1", "h1"))
	if _, err := s.Household(ctx, "h1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleted household: %v, want ErrNotFound", err)
	}
	if household(a) != "" || household(b) != "" {
		t.Errorf("members of a deleted household are in %q %q, want none", household(a), household(b))
	}
	if household(c) != "h2" || household(d) != "h9" {
		t.Errorf("deleting h1 touched other households: %q %q", household(c), household(d))
	}
	if got := labels("T1"); len(got) != 2 {
		t.Errorf("after delete, Households(T1) = %q", got)
	}
	if err := s.DeleteHousehold(ctx, "T1", "h1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleting a deleted household: %v, want ErrNotFound", err)
	}
	if err := s.SetUserHousehold(ctx, "T1", a.ID, "h1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("putting a person in a deleted household: %v, want ErrNotFound", err)
	}
}

func testGrants(t *testing.T, s store.Store) {
	ctx := context.Background()
	const p1, p2 = "0977000001", "0977000002"
	grant := func(role, place, province, phone string, at time.Duration) *store.Grant {
		return &store.Grant{ID: store.GrantID(role, place, phone), Role: role, Place: place, Province: province,
			Phone: phone, By: "admin", At: t0.Add(at)}
	}
	all := []*store.Grant{
		grant(store.GrantProvince, "01", "01", p1, 4*time.Minute),
		grant(store.GrantCommune, "00004", "01", p1, time.Minute),
		grant(store.GrantCommune, "00007", "01", p2, 3*time.Minute),
		grant(store.GrantProvince, "79", "79", p2, 2*time.Minute),
		grant(store.GrantCommune, "26734", "79", p1, 2*time.Minute), // ties the one before: by id
	}
	for _, g := range all {
		isNew, err := s.PutGrant(ctx, g)
		must(t, err)
		if !isNew {
			t.Errorf("PutGrant of a new grant %s reported it not new", g.ID)
		}
	}
	// Stored again, even with another author and time: not new, and
	// nothing changes.
	again := *all[0]
	again.By, again.At = "someone else", t0.Add(time.Hour)
	for range 2 {
		isNew, err := s.PutGrant(ctx, &again)
		must(t, err)
		if isNew {
			t.Error("PutGrant of a stored grant reported it new")
		}
	}
	ids := func(q store.GrantQuery) []string {
		t.Helper()
		l, err := s.Grants(ctx, q)
		must(t, err)
		out := []string{}
		for _, g := range l {
			out = append(out, g.ID)
		}
		return out
	}
	id := func(i ...int) []string {
		out := []string{}
		for _, j := range i {
			out = append(out, all[j].ID)
		}
		return out
	}
	// Oldest first: 1 (1m), then 4 and 3 at 2m by id ("commune:…" before
	// "province:…"), 2 (3m), 0 (4m).
	for _, tc := range []struct {
		q    store.GrantQuery
		want []string
	}{
		{store.GrantQuery{}, id(1, 4, 3, 2, 0)},
		{store.GrantQuery{Role: store.GrantProvince}, id(3, 0)},
		{store.GrantQuery{Role: store.GrantCommune}, id(1, 4, 2)},
		{store.GrantQuery{Place: "00007"}, id(2)},
		{store.GrantQuery{Place: "79"}, id(3)},
		{store.GrantQuery{Province: "01"}, id(1, 2, 0)},
		{store.GrantQuery{Province: "79"}, id(4, 3)},
		{store.GrantQuery{Phone: p1}, id(1, 4, 0)},
		{store.GrantQuery{Phone: p2}, id(3, 2)},
		{store.GrantQuery{Role: store.GrantCommune, Province: "01"}, id(1, 2)},
		{store.GrantQuery{Role: store.GrantCommune, Province: "01", Phone: p1}, id(1)},
		{store.GrantQuery{Role: store.GrantCommune, Place: "00004", Province: "01", Phone: p1}, id(1)},
		{store.GrantQuery{Role: store.GrantCommune, Place: "00004", Phone: p2}, id()},
		{store.GrantQuery{Phone: "0000000000"}, id()},
	} {
		if got := ids(tc.q); !slices.Equal(got, tc.want) {
			t.Errorf("Grants(%+v) = %v, want %v", tc.q, got, tc.want)
		}
	}
	l, err := s.Grants(ctx, store.GrantQuery{Role: store.GrantProvince, Place: "01"})
	must(t, err)
	if len(l) != 1 || !sameGrant(l[0], *all[0]) {
		t.Errorf("stored grant = %+v, want %+v (the first PutGrant's)", l, all[0])
	}
	must(t, s.DeleteGrant(ctx, all[1].ID))
	if err := s.DeleteGrant(ctx, all[1].ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleting a deleted grant: %v, want ErrNotFound", err)
	}
	if err := s.DeleteGrant(ctx, "nosuch"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleting no grant: %v, want ErrNotFound", err)
	}
	if got := ids(store.GrantQuery{Phone: p1}); !slices.Equal(got, id(4, 0)) {
		t.Errorf("after DeleteGrant, Grants(p1) = %v", got)
	}
	// Deleted, it can be granted again, and is new again.
	if isNew, err := s.PutGrant(ctx, all[1]); err != nil || !isNew {
		t.Errorf("granting a deleted grant again: new=%v, %v", isNew, err)
	}
}

func testScanPeople(t *testing.T, s store.Store) {
	ctx := context.Background()
	newTeam(t, s, "T1", "Tổ 1", "01", "00004")
	must(t, s.CreateHousehold(ctx, &store.Household{ID: "h1", TeamID: "T1", Label: "Hộ 1", Created: t0}))
	mk := func(i int, province, commune, team string) *store.User {
		u := &store.User{ID: fmt.Sprintf("p%02d", i), Name: "x", NameFolded: "x", Phone: fmt.Sprintf("09660000%02d", i),
			PasswordHash: "h", Role: store.RoleLearner, Province: province, Commune: commune, TeamID: team,
			Consent: store.Consent{Version: "1", At: t0}, Created: t0.Add(time.Duration(i) * time.Hour),
			LastActive: t0.Add(time.Duration(i) * 24 * time.Hour)}
		must(t, s.CreateUser(ctx, u))
		return u
	}
	people := []*store.User{
		mk(1, "01", "00004", "T1"),
		mk(2, "01", "00004", ""),
		mk(3, "01", "00007", "T1"),
		mk(4, "79", "26734", ""),
		mk(5, "79", "26734", "T9"),
	}
	must(t, s.SetUserHousehold(ctx, "T1", "p01", "h1"))
	fact := func(u *store.User, household string) store.PersonFact {
		return store.PersonFact{ID: u.ID, Province: u.Province, Commune: u.Commune, TeamID: u.TeamID, Household: household,
			Created: u.Created, LastActive: u.LastActive}
	}
	want := map[string]store.PersonFact{}
	for _, u := range people {
		want[u.ID] = fact(u, "")
	}
	want["p01"] = fact(people[0], "h1")
	scan := func(province string) map[string]store.PersonFact {
		t.Helper()
		got := map[string]store.PersonFact{}
		must(t, s.ScanPeople(ctx, province, func(p *store.PersonFact) error {
			if _, dup := got[p.ID]; dup {
				t.Errorf("ScanPeople(%q) gave %s twice", province, p.ID)
			}
			got[p.ID] = *p
			return nil
		}))
		return got
	}
	check := func(province string, ids ...string) {
		t.Helper()
		got := scan(province)
		if len(got) != len(ids) {
			t.Errorf("ScanPeople(%q) gave %d people, want %v", province, len(got), ids)
		}
		for _, id := range ids {
			g, w := got[id], want[id]
			if g.ID != w.ID || g.Province != w.Province || g.Commune != w.Commune || g.TeamID != w.TeamID ||
				g.Household != w.Household || !g.Created.Equal(w.Created) || !g.LastActive.Equal(w.LastActive) {
				t.Errorf("ScanPeople(%q): %s = %+v, want %+v", province, id, g, w)
			}
		}
	}
	check("01", "p01", "p02", "p03")
	check("79", "p04", "p05")
	check("", "p01", "p02", "p03", "p04", "p05")
	check("99")
	// fn's error stops the scan and is returned.
	stop := errors.New("stop")
	calls := 0
	err := s.ScanPeople(ctx, "", func(*store.PersonFact) error { calls++; return stop })
	if !errors.Is(err, stop) || calls != 1 {
		t.Errorf("ScanPeople with fn failing: %v after %d calls, want fn's error after 1", err, calls)
	}
	// A person who left: in no team, in no household.
	must(t, s.LeaveTeam(ctx, "p01"))
	if g := scan("01")["p01"]; g.TeamID != "" || g.Household != "" {
		t.Errorf("after LeaveTeam, ScanPeople = %+v", g)
	}
}

func testScanCertificates(t *testing.T, s store.Store) {
	ctx := context.Background()
	type key struct{ user, course string }
	want := map[key]store.CertFact{}
	issue := func(u *store.User, course, commune, team string, at time.Time) *store.Certificate {
		t.Helper()
		c := newCert(u, course, at)
		c.Commune, c.TeamID = commune, team
		_, isNew, err := s.IssueCertificate(ctx, c, at)
		must(t, err)
		if !isNew {
			t.Fatalf("certificate %s/%s not new", u.ID, course)
		}
		want[key{u.ID, course}] = store.CertFact{UserID: u.ID, Course: course, Commune: commune, TeamID: team,
			Status: store.CertValid, IssuedAt: at}
		return c
	}
	a := newUser(t, s, "0955000001", "a", "T1")
	b := newUser(t, s, "0955000002", "b", "")
	z := newUser(t, s, "0955000003", "z", "")
	issue(a, "c1", "00004", "T1", t0)
	revoked := issue(a, "c2", "00004", "T1", t0.Add(time.Hour))
	issue(b, "c1", "00007", "", t0.Add(2*time.Hour))
	issue(b, "c2", "26734", "", t0.Add(3*time.Hour))
	scrubbed := issue(z, "c1", "00007", "", t0.Add(4*time.Hour))
	_, _, err := s.RevokeCertificate(ctx, &store.Revocation{Code: revoked.Code, Reason: store.ReasonError, At: t0.Add(5 * time.Hour)})
	must(t, err)
	w := want[key{a.ID, "c2"}]
	w.Status = store.CertRevoked
	want[key{a.ID, "c2"}] = w
	_, err = s.ScrubCertificates(ctx, z.ID, t0.Add(5*time.Hour))
	must(t, err)
	delete(want, key{z.ID, "c1"})
	want[key{"", "c1"}] = store.CertFact{Course: "c1", Commune: "00007", Status: store.CertRevoked, IssuedAt: scrubbed.IssuedAt}

	check := func(name string, communes []string, keys ...key) {
		t.Helper()
		got := map[key]store.CertFact{}
		must(t, s.ScanCertificates(ctx, communes, func(c *store.CertFact) error {
			k := key{c.UserID, c.Course}
			if _, dup := got[k]; dup {
				t.Errorf("ScanCertificates(%s) gave %v twice", name, k)
			}
			got[k] = *c
			return nil
		}))
		if len(got) != len(keys) {
			t.Errorf("ScanCertificates(%s) gave %d certificates, want %d: %v", name, len(got), len(keys), got)
		}
		for _, k := range keys {
			g, w := got[k], want[k]
			if g.UserID != w.UserID || g.Course != w.Course || g.Commune != w.Commune || g.TeamID != w.TeamID ||
				g.Status != w.Status || !g.IssuedAt.Equal(w.IssuedAt) {
				t.Errorf("ScanCertificates(%s): %v = %+v, want %+v", name, k, g, w)
			}
		}
	}
	a1, a2, b1, b2, z1 := key{a.ID, "c1"}, key{a.ID, "c2"}, key{b.ID, "c1"}, key{b.ID, "c2"}, key{"", "c1"}
	check("00004", []string{"00004"}, a1, a2)
	check("00004, 00007", []string{"00004", "00007"}, a1, a2, b1, z1)
	check("00007, 26734", []string{"00007", "26734", "99999"}, b1, z1, b2)
	check("nil", nil, a1, a2, b1, b2, z1)
	check("none", []string{})
	check("99999", []string{"99999"})
	// Many communes at once (a province has hundreds): each certificate
	// once.
	many := []string{"00004"}
	for i := range 1200 {
		many = append(many, fmt.Sprintf("9%04d", i))
	}
	many = append(many, "26734")
	check("1202 communes", many, a1, a2, b2)

	stop := errors.New("stop")
	calls := 0
	err = s.ScanCertificates(ctx, nil, func(*store.CertFact) error { calls++; return stop })
	if !errors.Is(err, stop) || calls != 1 {
		t.Errorf("ScanCertificates with fn failing: %v after %d calls, want fn's error after 1", err, calls)
	}
}

func testSnapshots(t *testing.T, s store.Store) {
	ctx := context.Background()
	if _, err := s.Snapshot(ctx, "2026-Q3/01"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Snapshot of no id: %v, want ErrNotFound", err)
	}
	first := &store.Snapshot{ID: "2026-Q3/01", Body: []byte(`{"people":12}`), At: t0}
	got, err := s.PutSnapshot(ctx, first)
	must(t, err)
	if got.ID != first.ID || !bytes.Equal(got.Body, first.Body) || !got.At.Equal(t0.Truncate(time.Millisecond)) {
		t.Errorf("PutSnapshot = %+v, want %+v", got, first)
	}
	got, err = s.PutSnapshot(ctx, &store.Snapshot{ID: "2026-Q3/01", Body: []byte(`{"people":13}`), At: t0.Add(time.Hour)})
	must(t, err)
	if !bytes.Equal(got.Body, first.Body) || !got.At.Equal(t0.Truncate(time.Millisecond)) {
		t.Errorf("a second PutSnapshot returned %s at %v, want the first body and time", got.Body, got.At)
	}
	stored, err := s.Snapshot(ctx, "2026-Q3/01")
	must(t, err)
	if stored.ID != first.ID || !bytes.Equal(stored.Body, first.Body) || !stored.At.Equal(t0.Truncate(time.Millisecond)) {
		t.Errorf("Snapshot = %+v, want the first", stored)
	}
	// Another id is another snapshot.
	if got, err := s.PutSnapshot(ctx, &store.Snapshot{ID: "2026-Q3/79", Body: []byte("79"), At: t0}); err != nil || string(got.Body) != "79" {
		t.Errorf("PutSnapshot of another id = %+v, %v", got, err)
	}
	// An empty body is a body.
	if got, err := s.PutSnapshot(ctx, &store.Snapshot{ID: "empty", At: t0}); err != nil || len(got.Body) != 0 {
		t.Errorf("PutSnapshot of an empty body = %+v, %v", got, err)
	}
	// Binary bodies come back byte for byte.
	bin := make([]byte, 4096)
	for i := range bin {
		bin[i] = byte(i * 7)
	}
	if got, err := s.PutSnapshot(ctx, &store.Snapshot{ID: "bin", Body: bin, At: t0}); err != nil || !bytes.Equal(got.Body, bin) {
		t.Errorf("a binary body came back changed: %v", err)
	}

	// Many instances closing the quarter at once: the first body is kept
	// and every one of them is given it.
	const n = 8
	for round := range 3 {
		id := fmt.Sprintf("2026-Q4/%d", round)
		var bodies sync.Map
		AtOnce(n, func(i int) {
			got, err := s.PutSnapshot(ctx, &store.Snapshot{ID: id, Body: []byte(fmt.Sprintf("body %d", i)), At: t0.Add(time.Duration(i) * time.Second)})
			if err != nil {
				t.Error(err)
				return
			}
			bodies.Store(string(got.Body)+"@"+got.At.String(), true)
		})
		if k := syncLen(&bodies); k != 1 {
			var l []string
			bodies.Range(func(k, _ any) bool { l = append(l, k.(string)); return true })
			t.Errorf("round %d: writers at once were given %d different snapshots: %q", round, k, l)
		}
		stored, err := s.Snapshot(ctx, id)
		must(t, err)
		if _, ok := bodies.Load(string(stored.Body) + "@" + stored.At.String()); !ok {
			t.Errorf("round %d: stored %q, which no writer was given", round, stored.Body)
		}
	}
}

func sameGrant(a, b store.Grant) bool {
	return a.ID == b.ID && a.Role == b.Role && a.Place == b.Place && a.Province == b.Province &&
		a.Phone == b.Phone && a.By == b.By && a.At.Equal(b.At)
}

// testPlacesCutShort cuts ClaimTeams and DeleteHousehold short at each
// of their steps and shows that the next call finishes them.
func testPlacesCutShort(t *testing.T, s store.Store) {
	ctx := context.Background()
	boom := errors.New("cut short")
	failAt := func(n int) (context.Context, *int) {
		seen := new(int)
		return store.WithStepHook(ctx, func(string) error {
			*seen++
			if *seen == n {
				return boom
			}
			return nil
		}), seen
	}
	for n := 1; ; n++ {
		phone := fmt.Sprintf("09440000%02d", n)
		teams := []string{fmt.Sprintf("C%da", n), fmt.Sprintf("C%db", n)}
		for _, id := range teams {
			newTeam(t, s, id, id, "01", "00004")
			must(t, s.AwaitTeamLeader(ctx, id, phone))
		}
		who := fmt.Sprintf("claimer%d", n)
		cctx, seen := failAt(n)
		_, err := s.ClaimTeams(cctx, phone, who)
		if *seen < n {
			must(t, err)
			break
		}
		if !errors.Is(err, boom) {
			t.Fatalf("ClaimTeams cut at step %d returned %v", n, err)
		}
		_, err = s.ClaimTeams(ctx, phone, who)
		must(t, err)
		for _, id := range teams {
			if tm, _ := s.Team(ctx, id); tm == nil || tm.LeaderID != who || tm.LeaderPhone != "" {
				t.Errorf("ClaimTeams cut at step %d, then retried: team %+v, want led by %s", n, tm, who)
			}
		}
	}
	for n := 1; ; n++ {
		team, hid := fmt.Sprintf("D%d", n), fmt.Sprintf("dh%d", n)
		newTeam(t, s, team, team, "01", "00004")
		must(t, s.CreateHousehold(ctx, &store.Household{ID: hid, TeamID: team, Label: "x", Created: t0}))
		u := newUser(t, s, fmt.Sprintf("09450000%02d", n), "u", team)
		must(t, s.SetUserHousehold(ctx, team, u.ID, hid))
		cctx, seen := failAt(n)
		err := s.DeleteHousehold(cctx, team, hid)
		if *seen < n {
			must(t, err)
			break
		}
		if !errors.Is(err, boom) {
			t.Fatalf("DeleteHousehold cut at step %d returned %v", n, err)
		}
		// The retry finishes it; having been removed already, the
		// household may be reported not found.
		if err := s.DeleteHousehold(ctx, team, hid); err != nil && !errors.Is(err, store.ErrNotFound) {
			t.Errorf("DeleteHousehold cut at step %d, then retried: %v", n, err)
		}
		if _, err := s.Household(ctx, hid); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("DeleteHousehold cut at step %d, then retried: the household remains (%v)", n, err)
		}
		if got, _ := s.UserByID(ctx, u.ID); got.Household != "" {
			t.Errorf("DeleteHousehold cut at step %d, then retried: the member is still in %q", n, got.Household)
		}
	}
}

// A household deleted while its leader puts people in it leaves no one
// in a household that is gone.
func testHouseholdDeletedWhileJoined(t *testing.T, s store.Store) {
	ctx := context.Background()
	const n = 8
	newTeam(t, s, "T1", "Tổ 1", "01", "00004")
	var people []*store.User
	for i := range n {
		people = append(people, newUser(t, s, fmt.Sprintf("09430000%02d", i), "p", "T1"))
	}
	for round := range 4 {
		hid := fmt.Sprintf("h%d", round)
		must(t, s.CreateHousehold(ctx, &store.Household{ID: hid, TeamID: "T1", Label: hid, Created: t0}))
		AtOnce(n+1, func(i int) {
			var err error
			if i == n {
				err = s.DeleteHousehold(ctx, "T1", hid)
			} else {
				err = s.SetUserHousehold(ctx, "T1", people[i].ID, hid)
			}
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				t.Error(err)
			}
		})
		for _, p := range people {
			if u, _ := s.UserByID(ctx, p.ID); u == nil || u.Household == hid {
				t.Errorf("round %d: %s is in the deleted household %s", round, p.ID, hid)
			}
		}
	}
}
