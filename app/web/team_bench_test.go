package web_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"testing"
	"time"

	"kynangso/app/store"
	"kynangso/app/testrig"
)

// seedTeam fills a team with n members the way a real one looks: some
// new, some stuck, most part-way through one to three courses, some with
// certificates (a few of them withdrawn), households and confirmed
// practical tasks. The same seed gives the same team.
func seedTeam(tb testing.TB, rig *testrig.Rig, team, leaderPhone string, n int, seed uint64) {
	tb.Helper()
	ctx := context.Background()
	leader, err := rig.P.Store.UserByPhone(ctx, leaderPhone)
	if err != nil {
		tb.Fatal(err)
	}
	r := rand.New(rand.NewPCG(seed, 1))
	// Whole days, so that the dates on the page do not move during a run.
	now := time.Now().UTC().Truncate(24 * time.Hour)
	cat := rig.P.Courses.Courses
	var recs []store.Record
	var hh []string
	for i := range n / 3 {
		h := &store.Household{ID: fmt.Sprintf("h%s%04d", team, i), TeamID: team, Label: fmt.Sprintf("Hộ %s <số %d>", []string{"ông Ba", "bà Tư", "chị Năm"}[i%3], i), Created: now}
		hh = append(hh, h.ID)
		recs = append(recs, store.Record{Kind: store.KindHousehold, Value: h})
	}
	given := []string{"An", "Bình", "Chi", "Dũng", "Giang", "Hà", "Hải", "Hạnh", "Hòa", "Hùng", "Hương", "Lan", "Mai & 'Cúc' <+1> \"Út\""}
	index := int(seed%1000) * 10_000
	for i := range n {
		created := now.Add(-time.Duration(30+r.IntN(200)) * 24 * time.Hour)
		u := &store.User{ID: fmt.Sprintf("m%s%05d", team, i), Name: fmt.Sprintf("Nguyễn Thị %s %d", given[i%len(given)], i),
			NameFolded: fmt.Sprintf("nguyen thi %d", i), Phone: fmt.Sprintf("09%08d", int(seed%100)*100_000+i), PasswordHash: "x",
			Role: store.RoleLearner, Province: "1", Commune: "4", TeamID: team, Created: created,
			LastActive: now.Add(-time.Duration(r.IntN(40*24)) * time.Hour)}
		if r.IntN(3) > 0 && len(hh) > 0 {
			u.Household = hh[r.IntN(len(hh))]
		}
		recs = append(recs, store.Record{Kind: store.KindUser, Value: u})
		if r.IntN(10) == 0 {
			continue // new: nothing started
		}
		for _, k := range r.Perm(len(cat))[:1+r.IntN(3)] {
			co := cat[k]
			done := 1 + r.IntN(len(co.Lessons))
			p := &store.Progress{ID: store.ProgressID(u.ID, co.ID), UserID: u.ID, Course: co.ID,
				Updated: now.Add(-time.Duration(r.IntN(30*24)) * time.Hour)}
			for _, l := range co.Lessons[:done] {
				p.Lessons = append(p.Lessons, l.ID)
			}
			if done == len(co.Lessons) && r.IntN(2) == 0 {
				p.Best = 70 + r.IntN(31)
				p.Passed = true
				ct := &store.Certificate{Code: fmt.Sprintf("C%s%05d%s", team, i, co.ID), UserID: u.ID, Course: co.ID, Holder: u.Name,
					Score: p.Best, IssuedAt: p.Updated, TeamID: team, Commune: "4", Status: store.CertValid, StatusIndex: index}
				index++
				if r.IntN(5) == 0 {
					// Withdrawn, and nothing replaced it.
					at := p.Updated.Add(24 * time.Hour)
					ct.Status, ct.RevokedAt, ct.RevokeReason = store.CertRevoked, &at, "sai sót"
					p.Passed = false
				}
				recs = append(recs, store.Record{Kind: store.KindCertificate, Value: ct})
			} else if done == len(co.Lessons) {
				p.Best = r.IntN(70)
			}
			recs = append(recs, store.Record{Kind: store.KindProgress, Value: p})
			for _, task := range co.Tasks {
				if r.IntN(2) == 0 {
					recs = append(recs, store.Record{Kind: store.KindConfirmation, Value: &store.Confirmation{
						ID: store.ConfirmationID(u.ID, co.ID, task.ID), UserID: u.ID, Course: co.ID, Task: task.ID,
						TeamID: team, By: leader.ID, At: p.Updated}})
				}
			}
		}
	}
	if err := rig.P.Store.Load(ctx, recs); err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkTeamPage opens the page of a team of 100 members as its
// leader, among 20 other teams of the same size.
//
//	go test ./app/web -run '^$' -bench TeamPage -cpuprofile /tmp/team.pprof
func BenchmarkTeamPage(b *testing.B) {
	rig := testrig.Start(b)
	admin := rig.Admin(b)
	rig.Register(b, "Tổ Trưởng", "0911111111", nil)
	team := rig.Team(b, admin, "Tổ Hoa Sen", "0911111111")
	seedTeam(b, rig, team, "0911111111", 100, 1)
	for i := range 20 {
		phone := fmt.Sprintf("09122222%02d", i)
		rig.Register(b, "Tổ Trưởng Khác", phone, nil)
		other := rig.Team(b, admin, fmt.Sprintf("Tổ %d", i), phone)
		seedTeam(b, rig, other, phone, 100, uint64(i+2))
	}
	leader := rig.Client(b)
	leader.Post("/login", map[string][]string{"phone": {"0911111111"}, "password": {"mat-khau-123"}, "next": {"/"}})
	if res := leader.Get("/teams/" + team); res.Status != http.StatusOK {
		b.Fatalf("status %d", res.Status)
	}
	b.ResetTimer()
	for range b.N {
		if res := leader.Get("/teams/" + team); res.Status != http.StatusOK {
			b.Fatalf("status %d", res.Status)
		}
	}
}
