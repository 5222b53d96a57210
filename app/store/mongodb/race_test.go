package mongodb_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"kynangso/app/store"
	"kynangso/app/store/mongodb/ferrettest"
)

// Everything that must happen once does, under concurrency, on FerretDB
// whose conditional updates are a read then a write: the unique insert of
// the decision picks the winner, and every caller is given that decision.
func TestOnceUnderConcurrency(t *testing.T) {
	s, ctx := ferrettest.Database(t), context.Background()
	const n = 8
	u := newUser(t, s, "0912000001")
	for round := range 4 {
		a := newAttempt(t, s, u)
		var passed sync.Map
		if w := together(n, func(i int) bool {
			got, first, err := s.SubmitAttempt(ctx, graded(a, i%2 == 0, t0.Add(time.Duration(i)*time.Second)))
			if err != nil {
				t.Error(err)
				return false
			}
			passed.Store(fmt.Sprint(got.Passed, got.At.UnixMilli()), true)
			return first
		}); w != 1 {
			t.Errorf("round %d: an attempt was graded %d times", round, w)
		}
		if k := syncLen(&passed); k != 1 {
			t.Errorf("round %d: callers were given %d different gradings", round, k)
		}

		course := fmt.Sprintf("c%d", round)
		var codes sync.Map
		if w := together(n, func(int) bool {
			got, isNew, err := s.IssueCertificate(ctx, newCert(u, course, t0), t0)
			if err != nil {
				t.Error(err)
				return false
			}
			codes.Store(got.Code, true)
			return isNew
		}); w != 1 {
			t.Errorf("round %d: %d certificates issued for one learner and course", round, w)
		}
		if k := syncLen(&codes); k != 1 {
			t.Errorf("round %d: callers were given %d different certificates", round, k)
		}
		var code string
		codes.Range(func(k, _ any) bool { code = k.(string); return false })

		// Revoked with a replacement by several admins at once: one
		// decision, one replacement.
		var repl sync.Map
		if w := together(n, func(int) bool {
			next := newCert(u, course, t0.Add(time.Hour))
			var err error
			if next.StatusIndex, err = s.AllocateStatusIndex(ctx); err != nil {
				t.Error(err)
				return false
			}
			got, first, err := s.RevokeCertificate(ctx, &store.Revocation{Code: code, Reason: store.ReasonReplaced, At: t0.Add(time.Hour), Replacement: next})
			if err != nil {
				t.Error(err)
				return false
			}
			repl.Store(got.Replacement.Code, true)
			return first
		}); w != 1 {
			t.Errorf("round %d: revoked %d times", round, w)
		}
		if k := syncLen(&repl); k != 1 {
			t.Errorf("round %d: callers were given %d different replacements", round, k)
		}
		l, err := s.CertificatesOf(ctx, u.ID)
		must(t, err)
		if c := countCourse(l, course); c != 2 {
			t.Errorf("round %d: %d certificates for the course, want the revoked one and its replacement", round, c)
		}

		// The replacement revoked without one, then passed again later
		// by several requests at once: one takes the slot over.
		var held string
		repl.Range(func(k, _ any) bool { held = k.(string); return false })
		_, _, err = s.RevokeCertificate(ctx, &store.Revocation{Code: held, Reason: store.ReasonError, At: t0.Add(2 * time.Hour)})
		must(t, err)
		codes = sync.Map{}
		if w := together(n, func(int) bool {
			got, isNew, err := s.IssueCertificate(ctx, newCert(u, course, t0.Add(3*time.Hour)), t0.Add(3*time.Hour))
			if err != nil {
				t.Error(err)
				return false
			}
			codes.Store(got.Code, true)
			return isNew
		}); w != 1 {
			t.Errorf("round %d: %d certificates took over the revoked one's slot", round, w)
		}
		if k := syncLen(&codes); k != 1 {
			t.Errorf("round %d: takeover gave callers %d different certificates", round, k)
		}
	}

	// Status-list positions stay distinct when many learners pass at once.
	var seen sync.Map
	dups := together(2*n, func(i int) bool {
		v := newUser(t, s, fmt.Sprintf("09130000%02d", i))
		got, _, err := s.IssueCertificate(ctx, newCert(v, "c", t0), t0)
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

// The setup link works for one person, however many try at once.
func TestSetupTokenUnderConcurrency(t *testing.T) {
	s, ctx := ferrettest.Database(t), context.Background()
	tok, err := s.SetupToken(ctx)
	must(t, err)
	var phones sync.Map
	if w := together(8, func(i int) bool {
		phone := fmt.Sprintf("09140000%02d", i)
		ok, err := s.UseSetupToken(ctx, tok, phone)
		if err != nil {
			t.Error(err)
		}
		if ok {
			phones.Store(phone, true)
		}
		return ok
	}); w != 1 {
		t.Fatalf("the setup token was used by %d people", w)
	}
	phones.Range(func(k, _ any) bool {
		if ok, _ := s.UseSetupToken(ctx, tok, k.(string)); !ok {
			t.Error("the winner's retry is refused")
		}
		return false
	})
}

func syncLen(m *sync.Map) int {
	n := 0
	m.Range(func(_, _ any) bool { n++; return true })
	return n
}
