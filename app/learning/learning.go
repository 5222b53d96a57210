// Package learning is the learner's side of the records: lessons done,
// quiz attempts drawn and graded once, passes recorded, and the
// certificate a pass earns. Grading writes several records; on the
// embedded store it is one transaction, and on MongoDB every step after
// the grading is idempotent, so showing the result again finishes a
// grading a crash cut short.
package learning

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"kynangso/app/certify"
	"kynangso/app/store"
	"kynangso/courses"
	"kynangso/quiz"
)

// ErrNotFound: no such attempt of this learner's.
var ErrNotFound = errors.New("learning: no such attempt")

// ErrExpired: the attempt was drawn more than AnswerWindow ago and was
// never graded; its answers are no longer accepted.
var ErrExpired = errors.New("learning: attempt drawn too long ago")

// AnswerWindow is how long after it was drawn an attempt accepts its
// answers. A course saved for offline use keeps one drawn attempt on the
// phone, answered perhaps far from any network and sent days later;
// after this window a new attempt is drawn instead.
const AnswerWindow = 14 * 24 * time.Hour

// Expired says whether a, never graded, is past its AnswerWindow.
func (l *Service) Expired(a *store.Attempt) bool {
	return !a.Submitted && l.Now().Sub(a.Created) > AnswerWindow
}

// Service runs the learning workflows on a store.
type Service struct {
	Store   store.Store
	Certify *certify.Service
	Now     func() time.Time
}

// New returns a Service on s with the real clock.
func New(s store.Store, c *certify.Service) *Service {
	return &Service{Store: s, Certify: c, Now: time.Now}
}

// LessonDone records that u finished a lesson.
func (l *Service) LessonDone(ctx context.Context, u *store.User, course, lesson string) error {
	now := l.Now()
	return l.Store.Atomic(ctx, func(ctx context.Context, tx store.Store) error {
		if err := tx.MarkLessonDone(ctx, u.ID, course, lesson, now); err != nil {
			return err
		}
		if err := store.Step(ctx, "learning.lesson.marked"); err != nil {
			return err
		}
		return tx.TouchUser(ctx, u.ID, now)
	})
}

// Start continues u's open attempt at co or draws a new one.
func (l *Service) Start(ctx context.Context, u *store.User, co *courses.Course) (*store.Attempt, error) {
	a, err := l.Store.OpenAttempt(ctx, u.ID, co.ID)
	if err == nil && l.Expired(a) {
		err = store.ErrNotFound // too old to answer: draw a new one
	}
	if !errors.Is(err, store.ErrNotFound) {
		return a, err
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	// 63 bits: BSON has no unsigned integers.
	seed := binary.LittleEndian.Uint64(b[:]) &^ (1 << 63)
	a = &store.Attempt{
		ID: store.NewID(), UserID: u.ID, Course: co.ID, Seed: seed,
		Drawn: quiz.Draw(co.Pool(), co.QuestionsPerAttempt, seed), Created: l.Now(),
	}
	if err := l.Store.CreateAttempt(ctx, a); err != nil {
		return nil, err
	}
	return a, nil
}

// Submit grades a with answers, once: a double click, a resend or a
// retry after a failure finds the first grading and finishes it, counting
// nothing twice. It returns the attempt as graded.
func (l *Service) Submit(ctx context.Context, u *store.User, co *courses.Course, a *store.Attempt, answers quiz.Answers) (*store.Attempt, error) {
	if l.Expired(a) {
		return nil, ErrExpired
	}
	res := quiz.Grade(co.Pool(), a.Drawn, answers)
	g := *a
	g.UserID = u.ID // graded only as the learner's own
	g.Submitted, g.Result, g.Passed, g.At = true, &res, res.Passed(co.PassMark), l.Now()
	var out *store.Attempt
	err := l.Store.Atomic(ctx, func(ctx context.Context, tx store.Store) error {
		got, _, err := tx.SubmitAttempt(ctx, &g)
		if errors.Is(err, store.ErrNotFound) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("grade attempt: %w", err)
		}
		out = got
		if err := store.Step(ctx, "learning.submit.graded"); err != nil {
			return err
		}
		_, err = l.finish(ctx, tx, u, co, got)
		return err
	})
	return out, err
}

// Finish records a graded attempt in the learner's progress and, on a
// pass, issues the certificate; it returns the certificate (nil for a
// fail, or for a pass still waiting for practical tasks to be
// confirmed). Run any number of times, it changes nothing more, so the result
// page runs it to complete a grading that a failure cut short.
func (l *Service) Finish(ctx context.Context, u *store.User, co *courses.Course, a *store.Attempt) (*store.Certificate, error) {
	var ct *store.Certificate
	err := l.Store.Atomic(ctx, func(ctx context.Context, tx store.Store) error {
		var err error
		ct, err = l.finish(ctx, tx, u, co, a)
		return err
	})
	return ct, err
}

func (l *Service) finish(ctx context.Context, tx store.Store, u *store.User, co *courses.Course, a *store.Attempt) (*store.Certificate, error) {
	if !a.Submitted || a.Result == nil {
		return nil, nil
	}
	if err := tx.TouchUser(ctx, u.ID, a.At); err != nil {
		return nil, err
	}
	if err := store.Step(ctx, "learning.finish.touched"); err != nil {
		return nil, err
	}
	percent := a.Result.Percent()
	if !a.Passed {
		return nil, tx.RecordScore(ctx, u.ID, co.ID, percent, false, a.At)
	}
	// A course with practical tasks waits for the last of them: the pass
	// is recorded, and the last confirmation issues the certificate.
	if ok, err := allConfirmed(ctx, tx, u.ID, co); err != nil {
		return nil, err
	} else if !ok {
		revoked, err := revokedSince(ctx, tx, u.ID, co.ID, a.At)
		if err != nil {
			return nil, err
		}
		return nil, tx.RecordScore(ctx, u.ID, co.ID, percent, !revoked, a.At)
	}
	ct, err := l.Certify.IssueIn(ctx, tx, u, co.ID, percent, a.At)
	if err != nil {
		return nil, err
	}
	if err := store.Step(ctx, "learning.finish.issued"); err != nil {
		return nil, err
	}
	// A pass older than a revocation of its certificate no longer counts.
	return ct, tx.RecordScore(ctx, u.ID, co.ID, percent, ct.Status == store.CertValid, a.At)
}

// revokedSince reports whether a certificate of userID's for course was
// revoked after at: a pass older than that no longer counts.
func revokedSince(ctx context.Context, tx store.Store, userID, course string, at time.Time) (bool, error) {
	certs, err := tx.CertificatesOf(ctx, userID)
	if err != nil {
		return false, err
	}
	for _, c := range certs {
		if c.Course == course && c.Status != store.CertValid && c.RevokedAt != nil && c.RevokedAt.After(at) {
			return true, nil
		}
	}
	return false, nil
}
