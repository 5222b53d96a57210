package places_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"kynangso/app/locality"
	"kynangso/app/places"
	"kynangso/app/store"
	"kynangso/app/testrig"
)

// leaderEntries lists the team's "leader appointed" entries, oldest first.
func leaderEntries(t *testing.T, st store.Store, team string) []store.AuditEntry {
	t.Helper()
	l, err := st.AuditAbout(context.Background(), team, store.ActTeamLeader, time.Time{}, 100)
	if err != nil {
		t.Fatal(err)
	}
	for i, j := 0, len(l)-1; i < j; i, j = i+1, j-1 {
		l[i], l[j] = l[j], l[i]
	}
	return l
}

// A leader appointment sent twice writes one entry, however the two sends
// interleave, while every real change keeps its own, on every backend.
func TestLeaderChangesAuditedOnceEach(t *testing.T) {
	divs, err := locality.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range testrig.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			st := b.Open(t)
			var mu sync.Mutex
			now := time.Date(2026, 3, 2, 8, 0, 0, 400_000, time.UTC) // within a millisecond, as clocks read
			tick := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
			svc := &places.Service{Store: st, Places: divs, Now: func() time.Time { mu.Lock(); defer mu.Unlock(); return now }}
			admin := &places.Access{User: &store.User{ID: "admin1", Role: store.RoleAdmin}, Admin: true}
			detailsOf := func(l []store.AuditEntry) []string {
				var d []string
				for _, e := range l {
					d = append(d, e.Detail)
				}
				return d
			}

			// The double tap that failed on MongoDB: the second send read the
			// new team before the first appointed its leader, and appoints
			// her most of a second after the first wrote its entry.
			form := places.TeamForm{Code: "T1", Name: "Tổ 1", Commune: "10507", LeaderPhone: "0944000001"}
			team, waits, err := svc.CreateTeam(ctx, admin, form, func() string { return "T2" })
			if err != nil || !waits || team.ID != "T1" {
				t.Fatalf("create: %+v %v %v", team, waits, err)
			}
			// The first send then gives out the code for the leader.
			code := &store.ClaimCode{ID: "team:T1", Phone: "0944000001", Hash: "h1", Expires: now.Add(72 * time.Hour), By: "admin1", Made: now}
			if err := st.SetClaimCode(ctx, code); err != nil {
				t.Fatal(err)
			}
			liveCode := func() *store.ClaimCode {
				t.Helper()
				m, err := st.ClaimCodesByID(ctx, []string{"team:T1"}, now)
				if err != nil {
					t.Fatal(err)
				}
				return m["team:T1"]
			}
			stale := &store.Team{ID: "T1", Name: "Tổ 1", Province: team.Province, Commune: "10507"}
			tick(766 * time.Millisecond)
			if _, err := svc.AppointLeader(ctx, admin, stale, "0944000001"); err != nil {
				t.Fatal(err)
			}
			if l := leaderEntries(t, st, "T1"); len(l) != 1 {
				t.Fatalf("after a double-tapped team creation, leader entries %v, want one", detailsOf(l))
			}
			if c := liveCode(); c == nil || c.Hash != "h1" {
				t.Fatalf("the code the first send gave out, after the second: %+v", c)
			}

			// Sent twice at once, by two instances on the same team read.
			read := func() *store.Team {
				t.Helper()
				tm, err := st.Team(ctx, "T1")
				if err != nil {
					t.Fatal(err)
				}
				return tm
			}
			first, second := read(), read()
			var wg sync.WaitGroup
			for i, tm := range []*store.Team{first, second} {
				wg.Go(func() {
					tick(time.Duration(i+1) * 300 * time.Millisecond)
					if _, err := svc.AppointLeader(ctx, admin, tm, "0944000002"); err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
			if l := leaderEntries(t, st, "T1"); len(l) != 2 {
				t.Fatalf("after an appointment sent twice at once, leader entries %v, want two", detailsOf(l))
			}
			if c := liveCode(); c != nil {
				t.Errorf("the code for the leader replaced still opens the team: %+v", c)
			}

			// Back and forth, with a clock that does not move (instances whose
			// clocks disagree): every change is kept, in the order made.
			for _, phone := range []string{"0944000003", "0944000002", "0944000003"} {
				if _, err := svc.AppointLeader(ctx, admin, read(), phone); err != nil {
					t.Fatal(err)
				}
			}
			l := leaderEntries(t, st, "T1")
			want := []string{"phone:0944000001", "phone:0944000002", "phone:0944000003", "phone:0944000002", "phone:0944000003"}
			if got := detailsOf(l); len(got) != len(want) {
				t.Fatalf("leader entries %v, want %v", got, want)
			} else {
				for i := range want {
					if got[i] != want[i] {
						t.Fatalf("leader entries %v, want %v", got, want)
					}
				}
			}
			if tm := read(); tm.LeaderPhone != "0944000003" || tm.LeaderID != "" {
				t.Errorf("the team after: %+v", tm)
			}
			// And the admin's log shows them newest first.
			log, err := st.AuditLog(ctx, store.Page{Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			if log[0].Action != store.ActTeamLeader || log[0].Detail != "phone:0944000003" || log[1].Detail != "phone:0944000002" {
				t.Errorf("audit log, newest first: %+v", log[:2])
			}
		})
	}
}
