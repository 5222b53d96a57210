package mongodb_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"kynangso/app/store"
	"kynangso/app/store/mongodb/ferrettest"
)

// Each once-only method is cut short at each of its steps, as a crash or
// a lost connection would, and the next call finishes the same decision.
// cutEach runs try with the n-th step failing, for n = 1, 2, … until a run
// reaches no n-th step; it checks that the steps are named want.
func cutEach(t *testing.T, want []string, try func(t *testing.T, ctx context.Context, n int) error, check func(t *testing.T, n int)) {
	t.Helper()
	for n := 1; ; n++ {
		ctx, names := cutAt(n)
		err := try(t, ctx, n)
		if len(*names) < n {
			must(t, err)
			if !slices.Equal(*names, want) {
				t.Errorf("steps %v, want %v", *names, want)
			}
			return
		}
		if !errors.Is(err, errCut) {
			t.Fatalf("cut at step %d (%s): returned %v", n, (*names)[n-1], err)
		}
		t.Run(fmt.Sprintf("after_%s", (*names)[n-1]), func(t *testing.T) { check(t, n) })
	}
}

func TestSubmitAttemptCutShort(t *testing.T) {
	s, ctx := ferrettest.Database(t), context.Background()
	u := newUser(t, s, "0912000001")
	var a *store.Attempt
	cutEach(t, []string{"mongodb.SubmitAttempt.decided"}, func(t *testing.T, cctx context.Context, n int) error {
		a = newAttempt(t, s, u)
		_, _, err := s.SubmitAttempt(cctx, graded(a, true, t0.Add(time.Minute)))
		return err
	}, func(t *testing.T, n int) {
		// The retry brings other answers: the first grading is kept.
		got, first, err := s.SubmitAttempt(ctx, graded(a, false, t0.Add(2*time.Minute)))
		must(t, err)
		if first || !got.Passed || !got.At.Equal(t0.Add(time.Minute)) {
			t.Errorf("retry = %+v first=%v, want the first grading", got, first)
		}
		stored, _ := s.AttemptByID(ctx, u.ID, a.ID)
		if !stored.Submitted || !stored.Passed || stored.Result == nil || !stored.Result.Items[0].Correct {
			t.Errorf("stored attempt = %+v", stored)
		}
		if _, err := s.OpenAttempt(ctx, u.ID, "c1"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("still open: %v", err)
		}
	})
}

func TestIssueCertificateCutShort(t *testing.T) {
	s, ctx := ferrettest.Database(t), context.Background()
	u := newUser(t, s, "0912000001")
	var course string
	var c *store.Certificate
	cutEach(t, []string{"mongodb.AllocateStatusIndex.claimed", "mongodb.IssueCertificate.slot"}, func(t *testing.T, cctx context.Context, n int) error {
		course = fmt.Sprintf("c%d", n)
		c = newCert(u, course, t0)
		_, _, err := s.IssueCertificate(cctx, c, t0)
		return err
	}, func(t *testing.T, n int) {
		got, _, err := s.IssueCertificate(ctx, newCert(u, course, t0), t0)
		must(t, err)
		slotTaken := n >= 2
		if slotTaken && got.Code != c.Code {
			t.Errorf("the retry issued %s, want %s, which the slot carried", got.Code, c.Code)
		}
		stored, err := s.Certificate(ctx, got.Code)
		if err != nil || stored.Status != store.CertValid || stored.StatusIndex != got.StatusIndex {
			t.Errorf("stored = %+v, %v", stored, err)
		}
		l, _ := s.CertificatesOf(ctx, u.ID)
		if k := countCourse(l, course); k != 1 {
			t.Errorf("%d certificates for the course", k)
		}
		if next, _ := s.AllocateStatusIndex(ctx); next == got.StatusIndex {
			t.Errorf("status index %d given twice", next)
		}
	})
}

func TestIssueCertificateTakeoverCutShort(t *testing.T) {
	s, ctx := ferrettest.Database(t), context.Background()
	u := newUser(t, s, "0912000001")
	var course string
	var c *store.Certificate
	cutEach(t, []string{"mongodb.AllocateStatusIndex.claimed", "mongodb.IssueCertificate.decided", "mongodb.IssueCertificate.moved"}, func(t *testing.T, cctx context.Context, n int) error {
		course = fmt.Sprintf("c%d", n)
		old := newCert(u, course, t0)
		_, _, err := s.IssueCertificate(ctx, old, t0)
		must(t, err)
		_, _, err = s.RevokeCertificate(ctx, &store.Revocation{Code: old.Code, Reason: store.ReasonError, At: t0.Add(time.Hour)})
		must(t, err)
		c = newCert(u, course, t0.Add(2*time.Hour))
		_, _, err = s.IssueCertificate(cctx, c, t0.Add(2*time.Hour))
		return err
	}, func(t *testing.T, n int) {
		got, _, err := s.IssueCertificate(ctx, newCert(u, course, t0.Add(3*time.Hour)), t0.Add(3*time.Hour))
		must(t, err)
		if decided := n >= 2; decided && got.Code != c.Code {
			t.Errorf("the retry issued %s, want %s, which the decision carried", got.Code, c.Code)
		}
		if got.Status != store.CertValid {
			t.Errorf("retry gave %+v", got)
		}
		if stored, err := s.Certificate(ctx, got.Code); err != nil || stored.Status != store.CertValid {
			t.Errorf("stored = %+v, %v", stored, err)
		}
		l, _ := s.CertificatesOf(ctx, u.ID)
		if k := countCourse(l, course); k != 2 {
			t.Errorf("%d certificates for the course, want the revoked one and one new", k)
		}
	})
}

func TestRevokeCertificateCutShort(t *testing.T) {
	s, ctx := ferrettest.Database(t), context.Background()
	u := newUser(t, s, "0912000001")
	var course string
	var c, next *store.Certificate
	setup := func(t *testing.T, n int) {
		course = fmt.Sprintf("c%d", n)
		c = newCert(u, course, t0)
		_, _, err := s.IssueCertificate(ctx, c, t0)
		must(t, err)
		next = newCert(u, course, t0.Add(time.Hour))
		next.Holder = "An (corrected)"
		next.StatusIndex, err = s.AllocateStatusIndex(ctx)
		must(t, err)
	}
	finished := func(t *testing.T, r *store.Revocation) {
		t.Helper()
		// Issue first: in finished_by_issue it is what finishes.
		held, isNew, err := s.IssueCertificate(ctx, newCert(u, course, t0.Add(5*time.Hour)), t0.Add(5*time.Hour))
		if err != nil || isNew || held.Code != next.Code {
			t.Errorf("after the retry, issue gives %v new=%v %v; want the replacement", held, isNew, err)
		}
		old, _ := s.Certificate(ctx, c.Code)
		if old.Status != store.CertRevoked || old.ReplacedBy != next.Code || old.RevokeReason != store.ReasonReplaced {
			t.Errorf("old = %+v", old)
		}
		if r != nil && (r.Replacement == nil || r.Replacement.Code != next.Code) {
			t.Errorf("retry returned %+v, want the first decision", r)
		}
		nw, err := s.Certificate(ctx, next.Code)
		if err != nil || nw.Status != store.CertValid || nw.Holder != "An (corrected)" {
			t.Errorf("replacement = %+v, %v", nw, err)
		}
		l, _ := s.CertificatesOf(ctx, u.ID)
		if k := countCourse(l, course); k != 2 {
			t.Errorf("%d certificates for the course, want the old and one replacement", k)
		}
	}
	steps := []string{"mongodb.RevokeCertificate.decided", "mongodb.RevokeCertificate.revoked", "mongodb.RevokeCertificate.replaced"}
	t.Run("retried", func(t *testing.T) {
		cutEach(t, steps, func(t *testing.T, cctx context.Context, n int) error {
			setup(t, n)
			_, _, err := s.RevokeCertificate(cctx, &store.Revocation{Code: c.Code, Reason: store.ReasonReplaced, At: t0.Add(time.Hour), Replacement: next})
			return err
		}, func(t *testing.T, n int) {
			// The admin tries again with a fresh form: the first
			// decision is finished, not a second one.
			other := newCert(u, course, t0.Add(2*time.Hour))
			other.StatusIndex, _ = s.AllocateStatusIndex(ctx)
			r, first, err := s.RevokeCertificate(ctx, &store.Revocation{Code: c.Code, Reason: store.ReasonFraud, At: t0.Add(2 * time.Hour), Replacement: other})
			must(t, err)
			if first || r.Reason != store.ReasonReplaced {
				t.Errorf("retry = %+v first=%v", r, first)
			}
			finished(t, r)
		})
	})
	// No one retries the revocation, but the learner's next pass reads
	// the slot: that finishes it too.
	t.Run("finished_by_issue", func(t *testing.T) {
		cutEach(t, steps, func(t *testing.T, cctx context.Context, n int) error {
			setup(t, 10+n)
			_, _, err := s.RevokeCertificate(cctx, &store.Revocation{Code: c.Code, Reason: store.ReasonReplaced, At: t0.Add(time.Hour), Replacement: next})
			return err
		}, func(t *testing.T, n int) {
			if n == 1 {
				return // not revoked yet: nothing for an issue to finish
			}
			finished(t, nil)
		})
	})
	t.Run("without_replacement", func(t *testing.T) {
		cutEach(t, steps[:1], func(t *testing.T, cctx context.Context, n int) error {
			setup(t, 20+n)
			_, _, err := s.RevokeCertificate(cctx, &store.Revocation{Code: c.Code, Reason: store.ReasonError, At: t0.Add(time.Hour)})
			return err
		}, func(t *testing.T, n int) {
			r, first, err := s.RevokeCertificate(ctx, &store.Revocation{Code: c.Code, Reason: store.ReasonFraud, At: t0.Add(2 * time.Hour)})
			must(t, err)
			old, _ := s.Certificate(ctx, c.Code)
			if first || r.Reason != store.ReasonError || old.Status != store.CertRevoked || old.RevokeReason != store.ReasonError || !old.RevokedAt.Equal(t0.Add(time.Hour)) {
				t.Errorf("retry = %+v first=%v; old = %+v", r, first, old)
			}
		})
	})
}

func TestUseSetupTokenCutShort(t *testing.T) {
	s, ctx := ferrettest.Database(t), context.Background()
	var tok string
	cutEach(t, []string{"mongodb.UseSetupToken.decided"}, func(t *testing.T, cctx context.Context, n int) error {
		var err error
		tok, err = s.SetupToken(ctx)
		must(t, err)
		ok, err := s.UseSetupToken(cctx, tok, "0912000001")
		if err == nil && !ok {
			t.Fatal("the live token is refused")
		}
		return err
	}, func(t *testing.T, n int) {
		if ok, _ := s.CheckSetupToken(ctx, tok, "0999999999"); ok {
			t.Error("a token used by one phone checks out for another")
		}
		if ok, _ := s.UseSetupToken(ctx, tok, "0999999999"); ok {
			t.Error("a token used by one phone works for another")
		}
		if ok, err := s.UseSetupToken(ctx, tok, "0912000001"); err != nil || !ok {
			t.Errorf("the same person's retry: %v %v", ok, err)
		}
		if again, _ := s.SetupToken(ctx); again == tok {
			t.Error("the used token is handed out again")
		}
	})
}

func TestAllocateStatusIndexCutShort(t *testing.T) {
	s, ctx := ferrettest.Database(t), context.Background()
	var first int
	cutEach(t, []string{"mongodb.AllocateStatusIndex.claimed"}, func(t *testing.T, cctx context.Context, n int) error {
		var err error
		first, err = s.AllocateStatusIndex(ctx)
		must(t, err)
		_, err = s.AllocateStatusIndex(cctx)
		return err
	}, func(t *testing.T, n int) {
		// The position claimed before the cut stays taken although the
		// counter did not move past it.
		a, err := s.AllocateStatusIndex(ctx)
		must(t, err)
		b, err := s.AllocateStatusIndex(ctx)
		must(t, err)
		if a == first || b == first || a == b || a != first+2 {
			t.Errorf("after a cut: %d, then %d and %d", first, a, b)
		}
	})
}

func TestScrubCertificatesCutShort(t *testing.T) {
	s, ctx := ferrettest.Database(t), context.Background()
	var u *store.User
	var codes []string
	cutEach(t, []string{"mongodb.ScrubCertificates.revoked", "mongodb.ScrubCertificates.decisions", "mongodb.ScrubCertificates.slots"}, func(t *testing.T, cctx context.Context, n int) error {
		u = newUser(t, s, fmt.Sprintf("09120000%02d", n))
		codes = nil
		for _, course := range []string{"c1", "c2"} {
			c := newCert(u, course, t0)
			_, _, err := s.IssueCertificate(ctx, c, t0)
			must(t, err)
			codes = append(codes, c.Code)
		}
		_, err := s.ScrubCertificates(cctx, u.ID, t0.Add(time.Hour))
		return err
	}, func(t *testing.T, n int) {
		_, err := s.ScrubCertificates(ctx, u.ID, t0.Add(2*time.Hour))
		must(t, err)
		for _, code := range codes {
			c, _ := s.Certificate(ctx, code)
			if c.Status != store.CertRevoked || c.Holder != "" || c.UserID != "" || c.RevokeReason != store.ReasonRequest {
				t.Errorf("after the rerun: %+v", c)
			}
		}
	})
}

func TestDeleteUserDataCutShort(t *testing.T) {
	s, ctx := ferrettest.Database(t), context.Background()
	var u *store.User
	steps := []string{"mongodb.DeleteUserData.sessions", "mongodb.DeleteUserData.progress", "mongodb.DeleteUserData.attempts",
		"mongodb.DeleteUserData.confirmations", "mongodb.DeleteUserData.decisions", "mongodb.DeleteUserData.resets"}
	cutEach(t, steps, func(t *testing.T, cctx context.Context, n int) error {
		u = newUser(t, s, fmt.Sprintf("09120000%02d", n))
		must(t, s.CreateSession(ctx, &store.Session{ID: store.NewID(), UserID: u.ID, Created: t0, Expires: t0.Add(time.Hour)}))
		must(t, s.MarkLessonDone(ctx, u.ID, "c1", "l1", t0))
		a := newAttempt(t, s, u)
		_, _, err := s.SubmitAttempt(ctx, graded(a, true, t0))
		must(t, err)
		must(t, s.SetReset(ctx, &store.Reset{UserID: u.ID, Hash: "h", Expires: t0.Add(time.Hour)}))
		_, _, err = s.ConfirmTask(ctx, &store.Confirmation{ID: store.ConfirmationID(u.ID, "c1", "t1"), UserID: u.ID, Course: "c1", Task: "t1", At: t0})
		must(t, err)
		return s.DeleteUserData(cctx, u.ID)
	}, func(t *testing.T, n int) {
		if _, err := s.UserByID(ctx, u.ID); err != nil {
			t.Errorf("the user went before the rest: %v", err)
		}
		must(t, s.DeleteUserData(ctx, u.ID))
		left := 0
		must(t, s.Dump(ctx, func(r store.Record) error {
			switch v := r.Value.(type) {
			case *store.User:
				left += b2i(v.ID == u.ID)
			case *store.Session:
				left += b2i(v.UserID == u.ID)
			case *store.Progress:
				left += b2i(v.UserID == u.ID)
			case *store.Attempt:
				left += b2i(v.UserID == u.ID)
			case *store.Reset:
				left += b2i(v.UserID == u.ID)
			case *store.Confirmation:
				left += b2i(v.UserID == u.ID)
			}
			return nil
		}))
		if left != 0 {
			t.Errorf("%d records of the person left", left)
		}
	})
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
