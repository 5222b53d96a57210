package store

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"kynangso/quiz"
)

// Attempt is one try at a course's final quiz. Its id doubles as the
// submission's idempotency key: it is graded at most once.
type Attempt struct {
	ID        string       `bson:"_id"`
	UserID    string       `bson:"user_id"`
	Course    string       `bson:"course"`
	Seed      uint64       `bson:"seed"`
	Drawn     []quiz.Drawn `bson:"drawn"`
	Created   time.Time    `bson:"created"`
	Submitted bool         `bson:"submitted"`
	At        time.Time    `bson:"submitted_at,omitempty"`
	Result    *quiz.Result `bson:"result,omitempty"`
	Passed    bool         `bson:"passed"`
}

func (s *Store) attempts() *mongoColl { return s.coll("attempts") }

// CreateAttempt stores a new attempt.
func (s *Store) CreateAttempt(ctx context.Context, a *Attempt) error {
	_, err := s.attempts().InsertOne(ctx, a)
	return err
}

// AttemptByID returns an attempt of the given user; another user's attempt
// is reported as not found.
func (s *Store) AttemptByID(ctx context.Context, userID, id string) (*Attempt, error) {
	return findOne[Attempt](ctx, s.attempts(), bson.M{"_id": id, "user_id": userID})
}

// OpenAttempt returns the user's unsubmitted attempt at a course, if any.
func (s *Store) OpenAttempt(ctx context.Context, userID, course string) (*Attempt, error) {
	return findOne[Attempt](ctx, s.attempts(), bson.M{"user_id": userID, "course": course, "submitted": false})
}

// SubmitAttempt grades an attempt once. It reports false when the attempt
// had already been submitted (a double click or a resend), and then
// changes nothing.
func (s *Store) SubmitAttempt(ctx context.Context, a *Attempt) (bool, error) {
	if ok, err := s.claim(ctx, "submit:"+a.ID); !ok || err != nil {
		return false, err
	}
	r, err := s.attempts().UpdateOne(ctx,
		bson.M{"_id": a.ID, "user_id": a.UserID, "submitted": false},
		bson.M{"$set": bson.M{"submitted": true, "submitted_at": a.At, "result": a.Result, "passed": a.Passed}})
	if err != nil {
		return false, err
	}
	return r.ModifiedCount == 1, nil
}

// AttemptByAnyUser returns an attempt whoever took it; for tests and
// admin tools, never for a learner's request.
func (s *Store) AttemptByAnyUser(ctx context.Context, id string) (*Attempt, error) {
	return findOne[Attempt](ctx, s.attempts(), bson.M{"_id": id})
}
