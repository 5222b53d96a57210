package store_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"kynangso/app/certcode"
	"kynangso/app/store"
	"kynangso/app/testrig"
)

// Everything that must happen once does, under concurrency, on the
// embedded store whose conditional updates are not atomic.
func TestOnceUnderConcurrency(t *testing.T) {
	rig := testrig.Start(t)
	s, ctx := rig.P.Store, context.Background()
	const n = 6
	together := func(f func(i int) bool) int {
		var wins atomic.Int32
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if f(i) {
					wins.Add(1)
				}
			}()
		}
		wg.Wait()
		return int(wins.Load())
	}
	for round := range 5 {
		a := &store.Attempt{ID: store.NewID(), UserID: "u", Course: "c", Created: time.Now()}
		if err := s.CreateAttempt(ctx, a); err != nil {
			t.Fatal(err)
		}
		if w := together(func(int) bool { ok, err := s.SubmitAttempt(ctx, a); return err == nil && ok }); w != 1 {
			t.Errorf("round %d: an attempt was graded %d times", round, w)
		}

		var indexes sync.Map
		user := store.NewID()
		issued := together(func(i int) bool {
			c := &store.Certificate{Code: certcode.New(), UserID: user, Course: "c", Holder: "A", IssuedAt: time.Now(), Status: store.CertValid}
			got, isNew, err := s.IssueCertificate(ctx, c, time.Now())
			if err != nil {
				t.Error(err)
				return false
			}
			indexes.Store(got.Code, got.StatusIndex)
			return isNew
		})
		if issued != 1 {
			t.Errorf("round %d: %d certificates issued for one learner and course", round, issued)
		}
		var code string
		indexes.Range(func(k, _ any) bool { code = k.(string); return false })
		if w := together(func(int) bool { return s.RevokeCertificate(ctx, code, "x", "", time.Now()) == nil }); w != 1 {
			t.Errorf("round %d: revoked %d times", round, w)
		}
	}
	// Status list positions stay distinct when many learners pass at once.
	seen := sync.Map{}
	dups := together(func(i int) bool {
		c := &store.Certificate{Code: certcode.New(), UserID: store.NewID(), Course: "c", Holder: "B", IssuedAt: time.Now(), Status: store.CertValid}
		got, _, err := s.IssueCertificate(ctx, c, time.Now())
		if err != nil {
			t.Error(err)
			return false
		}
		_, dup := seen.LoadOrStore(got.StatusIndex, true)
		return dup
	})
	if dups != 0 {
		t.Errorf("%d certificates share a status-list position", dups)
	}
}
