package web_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"kynangso/app/store"
	"kynangso/app/testrig"
)

// BenchmarkTeamXLSX100k downloads the members of a team of 100,000 as
// XLSX and reports how far the program's memory grew meanwhile: the heap
// in use at its peak over the heap before, and the same for the resident
// set (sampled every 5 ms).
//
//	go test ./app/web -run '^$' -bench TeamXLSX100k -benchtime 1x
func BenchmarkTeamXLSX100k(b *testing.B) {
	const n = 100_000
	rig := testrig.Start(b)
	admin := rig.Admin(b)
	rig.Register(b, "Tổ Trưởng", "0911111111", nil)
	team := rig.Team(b, admin, "Tổ rất đông", "0911111111")
	now := time.Now()
	recs := make([]store.Record, 0, 2*n)
	for i := range n {
		u := &store.User{ID: fmt.Sprintf("u%07d", i), Name: fmt.Sprintf("Thành Viên %06d", i), NameFolded: fmt.Sprintf("thanh vien %06d", i),
			Phone: fmt.Sprintf("098%07d", i), PasswordHash: "x", Role: store.RoleLearner, Province: "1", Commune: "4", TeamID: team,
			Created: now, LastActive: now.Add(-time.Duration(i) * time.Minute)}
		recs = append(recs, store.Record{Kind: store.KindUser, Value: u},
			store.Record{Kind: store.KindProgress, Value: &store.Progress{ID: store.ProgressID(u.ID, "vneid"), UserID: u.ID, Course: "vneid",
				Lessons: []string{"vneid-la-gi"}, Updated: now}})
	}
	for len(recs) > 0 {
		k := min(len(recs), 20000)
		if err := rig.P.Store.Load(context.Background(), recs[:k]); err != nil {
			b.Fatal(err)
		}
		recs = recs[k:]
	}
	recs = nil
	leader := rig.Client(b)
	leader.Post("/login", map[string][]string{"phone": {"0911111111"}, "password": {"mat-khau-123"}, "next": {"/"}})

	b.ResetTimer()
	for range b.N {
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		rssBefore := rss()
		var peakHeap, peakRSS atomic.Uint64
		stop := make(chan struct{})
		done := make(chan struct{})
		go func() {
			defer close(done)
			var m runtime.MemStats
			for {
				select {
				case <-stop:
					return
				case <-time.After(5 * time.Millisecond):
				}
				runtime.ReadMemStats(&m)
				peakHeap.Store(max(peakHeap.Load(), m.HeapInuse))
				peakRSS.Store(max(peakRSS.Load(), rss()))
			}
		}()
		t0 := time.Now()
		res := leader.Get("/teams/" + team + "/members.xlsx")
		took := time.Since(t0)
		close(stop)
		<-done
		if res.Status != 200 {
			b.Fatalf("status %d", res.Status)
		}
		f, err := excelize.OpenReader(strings.NewReader(res.Body))
		if err != nil {
			b.Fatal(err)
		}
		rows, err := f.Rows(f.GetSheetName(0))
		if err != nil {
			b.Fatal(err)
		}
		count := 0
		for rows.Next() {
			count++
		}
		if count != n+2 { // the header, the leader, the members
			b.Fatalf("the file has %d rows, want %d", count, n+2)
		}
		b.ReportMetric(float64(peakHeap.Load()-min(peakHeap.Load(), before.HeapInuse))/(1<<20), "heap-growth-MB")
		b.ReportMetric(float64(peakRSS.Load()-min(peakRSS.Load(), rssBefore))/(1<<20), "rss-growth-MB")
		b.ReportMetric(float64(len(res.Body))/(1<<20), "file-MB")
		b.ReportMetric(took.Seconds(), "s/download")
	}
}

// rss is the process's resident set in bytes (Linux).
func rss() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}
