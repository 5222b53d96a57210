package mongodb_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"kynangso/app/store"
	"kynangso/quiz"
)

var t0 = time.Date(2026, 11, 2, 8, 30, 0, 123_000_000, time.UTC)

var errCut = errors.New("cut short")

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// cutAt returns a context whose n-th step fails, and the names of the
// steps reached so far.
func cutAt(n int) (context.Context, *[]string) {
	var names []string
	return store.WithStepHook(context.Background(), func(name string) error {
		names = append(names, name)
		if len(names) == n {
			return errCut
		}
		return nil
	}), &names
}

func newUser(t *testing.T, s store.Store, phone string) *store.User {
	t.Helper()
	u := &store.User{ID: store.NewID(), Name: "An " + phone, NameFolded: "an " + phone, Phone: phone, Role: store.RoleLearner, Created: t0, LastActive: t0}
	must(t, s.CreateUser(context.Background(), u))
	return u
}

func newCert(u *store.User, course string, at time.Time) *store.Certificate {
	return &store.Certificate{Code: store.NewID()[:12], UserID: u.ID, Course: course, Holder: u.Name, Score: 90,
		IssuedAt: at, Status: store.CertValid}
}

func newAttempt(t *testing.T, s store.Store, u *store.User) *store.Attempt {
	t.Helper()
	a := &store.Attempt{ID: store.NewID(), UserID: u.ID, Course: "c1", Seed: 7, Created: t0}
	must(t, s.CreateAttempt(context.Background(), a))
	return a
}

func graded(a *store.Attempt, pass bool, at time.Time) *store.Attempt {
	g := *a
	g.Submitted, g.At, g.Passed = true, at, pass
	g.Result = &quiz.Result{Items: []quiz.Item{{QuestionID: "q1", Given: []string{"a"}, Correct: pass}}}
	return &g
}

func countCourse(l []store.Certificate, course string) int {
	n := 0
	for _, c := range l {
		if c.Course == course {
			n++
		}
	}
	return n
}
