package learning_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"kynangso/app/certify"
	"kynangso/app/learning"
	"kynangso/app/store"
	"kynangso/app/testrig"
	"kynangso/courses"
	"kynangso/quiz"
)

var t0 = time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)

func catalogue(t *testing.T) *courses.Course {
	t.Helper()
	cat, err := courses.LoadWith("")
	if err != nil {
		t.Fatal(err)
	}
	return cat.Courses[0]
}

// rightAnswers answers every drawn question correctly.
func rightAnswers(co *courses.Course, a *store.Attempt) quiz.Answers {
	ans := quiz.Answers{}
	for _, d := range a.Drawn {
		q := co.Question(d.QuestionID)
		for _, o := range q.Options {
			if o.Correct || q.Kind == quiz.Ordering {
				ans[q.ID] = append(ans[q.ID], o.ID)
			}
		}
	}
	return ans
}

type fixture struct {
	st   store.Store
	svc  *learning.Service
	user *store.User
	co   *courses.Course
	a    *store.Attempt
}

func newFixture(t *testing.T, b testrig.Backend, co *courses.Course) *fixture {
	t.Helper()
	ctx := context.Background()
	st := b.Open(t)
	now := func() time.Time { return t0 }
	f := &fixture{st: st, co: co, svc: &learning.Service{Store: st, Certify: &certify.Service{Store: st, Now: now}, Now: now}}
	f.user = &store.User{ID: store.NewID(), Name: "Lê Văn Tám", Phone: "0987654321", Role: store.RoleLearner,
		Province: "01", Commune: "00004", Created: t0.Add(-time.Hour), LastActive: t0.Add(-time.Hour)}
	if err := st.CreateUser(ctx, f.user); err != nil {
		t.Fatal(err)
	}
	var err error
	if f.a, err = f.svc.Start(ctx, f.user, co); err != nil {
		t.Fatal(err)
	}
	return f
}

// submit is what the learner's browser does: send the answers; a
// second send of a graded attempt lands on its result page, which
// finishes the grading.
func (f *fixture) submit(ctx context.Context) error {
	a, err := f.st.AttemptByID(ctx, f.user.ID, f.a.ID)
	if err != nil {
		return err
	}
	if a.Submitted {
		_, err := f.svc.Finish(ctx, f.user, f.co, a)
		return err
	}
	_, err = f.svc.Submit(ctx, f.user, f.co, a, rightAnswers(f.co, a))
	return err
}

var errCut = errors.New("cut short")

func TestPassCutShortThenFinished(t *testing.T) {
	co := catalogue(t)
	for _, b := range testrig.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			f := newFixture(t, b, co)
			steps := 0
			counting := store.WithStepHook(context.Background(), func(string) error { steps++; return nil })
			if err := f.submit(counting); err != nil {
				t.Fatal(err)
			}
			if steps == 0 {
				t.Fatal("grading marks no steps")
			}
			for i := 1; i <= steps; i++ {
				t.Run(fmt.Sprintf("cut at step %d of %d", i, steps), func(t *testing.T) {
					f := newFixture(t, b, co)
					seen := 0
					cut := store.WithStepHook(context.Background(), func(string) error {
						if seen++; seen == i {
							return errCut
						}
						return nil
					})
					if err := f.submit(cut); !errors.Is(err, errCut) {
						t.Fatalf("cut submit: %v", err)
					}
					if err := f.submit(context.Background()); err != nil {
						t.Fatalf("the learner's next try: %v", err)
					}
					if err := f.submit(context.Background()); err != nil {
						t.Fatalf("and once more: %v", err)
					}
					ctx := context.Background()
					a, _ := f.st.AttemptByID(ctx, f.user.ID, f.a.ID)
					if !a.Submitted || !a.Passed || a.Result.Percent() != 100 {
						t.Fatalf("attempt after retry: %+v", a)
					}
					p, _ := f.st.ProgressOf(ctx, f.user.ID)
					if p[co.ID] == nil || !p[co.ID].Passed || p[co.ID].Best != 100 {
						t.Errorf("progress after retry: %+v", p[co.ID])
					}
					certs, _ := f.st.CertificatesOf(ctx, f.user.ID)
					if len(certs) != 1 || certs[0].Status != store.CertValid || certs[0].Score != 100 {
						t.Errorf("certificates after retry: %+v", certs)
					}
					if u, _ := f.st.UserByID(ctx, f.user.ID); !u.LastActive.Equal(t0) {
						t.Errorf("last active %v, want %v", u.LastActive, t0)
					}
				})
			}
		})
	}
}

// A wrong set of answers sent after the first grading changes nothing.
func TestResendKeepsFirstGrading(t *testing.T) {
	co := catalogue(t)
	for _, b := range testrig.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			f := newFixture(t, b, co)
			ctx := context.Background()
			first, err := f.svc.Submit(ctx, f.user, co, f.a, rightAnswers(co, f.a))
			if err != nil {
				t.Fatal(err)
			}
			again, err := f.svc.Submit(ctx, f.user, co, f.a, quiz.Answers{})
			if err != nil {
				t.Fatal(err)
			}
			if !first.Passed || !again.Passed || again.Result.Percent() != first.Result.Percent() {
				t.Errorf("resend with no answers: first %v, then %v", first.Passed, again.Passed)
			}
			other := *f.user
			other.ID = "someone-else"
			if _, err := f.svc.Submit(ctx, &other, co, f.a, quiz.Answers{}); !errors.Is(err, learning.ErrNotFound) {
				t.Errorf("another learner's submit: %v, want ErrNotFound", err)
			}
		})
	}
}
