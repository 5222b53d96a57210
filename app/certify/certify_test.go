package certify_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"kynangso/app/certify"
	"kynangso/app/store"
	"kynangso/app/testrig"
)

var t0 = time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)

// fixture is a learner in a team who passed a course and holds its
// certificate.
type fixture struct {
	st   store.Store
	svc  *certify.Service
	user *store.User
	cert *store.Certificate
}

func newFixture(t *testing.T, b testrig.Backend) *fixture {
	t.Helper()
	ctx := context.Background()
	st := b.Open(t)
	f := &fixture{st: st, svc: &certify.Service{Store: st, Now: func() time.Time { return t0.Add(time.Hour) }}}
	f.user = &store.User{ID: store.NewID(), Name: "Nguyễn Thị Hoa", NameFolded: "nguyen thi hoa", Phone: "0912345678",
		Role: store.RoleLearner, Province: "01", Commune: "00004", TeamID: "ABC123", Created: t0, LastActive: t0}
	if err := st.CreateUser(ctx, f.user); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateTeam(ctx, &store.Team{ID: "ABC123", Name: "Tổ 1", Province: "01", Commune: "00007", LeaderID: "L", Created: t0}); err != nil {
		t.Fatal(err)
	}
	if err := st.RecordScore(ctx, f.user.ID, "c1", 90, true, t0); err != nil {
		t.Fatal(err)
	}
	issuer := &certify.Service{Store: st, Now: func() time.Time { return t0 }}
	var err error
	if f.cert, err = issuer.Issue(ctx, f.user, "c1", 90, t0); err != nil {
		t.Fatal(err)
	}
	return f
}

// stepsOf runs run once with a hook that only counts, and returns how
// many steps it has.
func stepsOf(t *testing.T, b testrig.Backend, run func(ctx context.Context, f *fixture) error) int {
	t.Helper()
	f := newFixture(t, b)
	n := 0
	ctx := store.WithStepHook(context.Background(), func(string) error { n++; return nil })
	if err := run(ctx, f); err != nil {
		t.Fatalf("uncut run: %v", err)
	}
	return n
}

var errCut = errors.New("cut short")

// cutAt returns a context whose n-th step fails, as a crash there would.
func cutAt(n int) context.Context {
	seen := 0
	return store.WithStepHook(context.Background(), func(string) error {
		seen++
		if seen == n {
			return errCut
		}
		return nil
	})
}

// eachCut cuts run short at each of its steps on every backend, runs it
// again, and checks what a person would see.
func eachCut(t *testing.T, run func(ctx context.Context, f *fixture) error, retryOK func(error) bool, check func(t *testing.T, f *fixture)) {
	for _, b := range testrig.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			n := stepsOf(t, b, run)
			if n == 0 {
				t.Fatal("the workflow marks no steps: nothing would be tested")
			}
			for i := 1; i <= n; i++ {
				t.Run(fmt.Sprintf("cut at step %d of %d", i, n), func(t *testing.T) {
					f := newFixture(t, b)
					if err := run(cutAt(i), f); !errors.Is(err, errCut) {
						t.Fatalf("cut run returned %v", err)
					}
					if err := run(context.Background(), f); err != nil && !retryOK(err) {
						t.Fatalf("the next try failed: %v", err)
					}
					check(t, f)
				})
			}
		})
	}
}

func auditCount(t *testing.T, st store.Store, action, target string) int {
	t.Helper()
	log, err := st.AuditLog(context.Background(), store.Page{Limit: store.MaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range log {
		if e.Action == action && e.Target == target {
			n++
		}
	}
	return n
}

func TestRevokeCutShortThenFinished(t *testing.T) {
	run := func(ctx context.Context, f *fixture) error {
		return f.svc.Revoke(ctx, "admin", f.cert.Code, store.ReasonError, "tên sai")
	}
	// A retry of a decision already recorded finishes it and says it was
	// revoked already: both are what the admin should see.
	retryOK := func(err error) bool { return errors.Is(err, certify.ErrAlreadyRevoked) }
	eachCut(t, run, retryOK, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		c, err := f.st.Certificate(ctx, f.cert.Code)
		if err != nil || c.Status != store.CertRevoked || c.RevokeReason != store.ReasonError {
			t.Fatalf("certificate after retry: %+v %v", c, err)
		}
		p, _ := f.st.ProgressOf(ctx, f.user.ID)
		if p["c1"].Passed {
			t.Error("the pass still counts after its certificate was revoked")
		}
		if n := auditCount(t, f.st, store.ActCertRevoke, f.cert.Code); n != 1 {
			t.Errorf("%d audit entries for the revocation, want 1", n)
		}
		if err := f.svc.Revoke(ctx, "admin", f.cert.Code, store.ReasonError, ""); !errors.Is(err, certify.ErrAlreadyRevoked) {
			t.Errorf("revoking again: %v, want ErrAlreadyRevoked", err)
		}
	})
}

func TestReplaceCutShortThenFinished(t *testing.T) {
	run := func(ctx context.Context, f *fixture) error {
		_, err := f.svc.Replace(ctx, "admin", f.cert.Code, "Nguyễn Thị Hòa")
		return err
	}
	eachCut(t, run, func(error) bool { return false }, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		old, err := f.st.Certificate(ctx, f.cert.Code)
		if err != nil || old.Status != store.CertRevoked || old.ReplacedBy == "" {
			t.Fatalf("old certificate after retry: %+v %v", old, err)
		}
		next, err := f.st.Certificate(ctx, old.ReplacedBy)
		if err != nil || next.Status != store.CertValid || next.Holder != "Nguyễn Thị Hòa" || next.TeamName != "Tổ 1" {
			t.Fatalf("replacement after retry: %+v %v", next, err)
		}
		if u, _ := f.st.UserByID(ctx, f.user.ID); u.Name != "Nguyễn Thị Hòa" {
			t.Errorf("the person's name is still %q", u.Name)
		}
		if l, _ := f.st.CertificatesOf(ctx, f.user.ID); len(l) != 2 {
			t.Errorf("%d certificates, want the old and one replacement", len(l))
		}
		if n := auditCount(t, f.st, store.ActCertReplace, f.cert.Code); n != 1 {
			t.Errorf("%d audit entries for the replacement, want 1", n)
		}
		// Passing again later finds the replacement, not a third certificate.
		got, err := f.svc.Issue(ctx, f.user, "c1", 95, t0.Add(48*time.Hour))
		if err != nil || got.Code != next.Code {
			t.Errorf("a later pass got %v (%v), want the replacement %s", got, err, next.Code)
		}
	})
}

func TestEraseCutShortThenFinished(t *testing.T) {
	run := func(ctx context.Context, f *fixture) error { return f.svc.Erase(ctx, f.user.ID) }
	eachCut(t, run, func(error) bool { return false }, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		if _, err := f.st.UserByPhone(ctx, f.user.Phone); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("the account is still there: %v", err)
		}
		c, err := f.st.Certificate(ctx, f.cert.Code)
		if err != nil || c.Status != store.CertRevoked || c.Holder != "" || c.UserID != "" || c.RevokeReason != store.ReasonRequest {
			t.Errorf("certificate after erasure: %+v %v", c, err)
		}
		if n := auditCount(t, f.st, store.ActCertRevoke, f.cert.Code); n != 1 {
			t.Errorf("%d audit entries for the withdrawal, want 1", n)
		}
		if n := auditCount(t, f.st, store.ActAccountDelete, f.user.ID); n != 1 {
			t.Errorf("%d audit entries for the deletion, want 1", n)
		}
	})
}

// A team that cannot be read is an error, not a certificate without its
// team; a team that is gone is a certificate of the learner's commune.
func TestIssueWithTeam(t *testing.T) {
	for _, b := range testrig.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			f := newFixture(t, b)
			if f.cert.TeamID != "ABC123" || f.cert.TeamName != "Tổ 1" || f.cert.Commune != "00007" {
				t.Errorf("certificate earned in a team: %+v", f.cert)
			}
			u := *f.user
			u.ID, u.Phone, u.TeamID = store.NewID(), "0912345679", "GONE99"
			if err := f.st.CreateUser(context.Background(), &u); err != nil {
				t.Fatal(err)
			}
			c, err := f.svc.Issue(context.Background(), &u, "c1", 80, t0)
			if err != nil || c.TeamID != "" || c.Commune != u.Commune {
				t.Errorf("team gone: %+v %v", c, err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			u.ID = store.NewID()
			if c, err := f.svc.Issue(ctx, &u, "c1", 80, t0); err == nil {
				t.Errorf("issued %+v while the store could not be read", c)
			}
		})
	}
}
