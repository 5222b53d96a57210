package mongodb

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"kynangso/app/store"
	"kynangso/quiz"
)

func (s *Store) attempts() *mongo.Collection { return s.coll("attempts") }

var attemptsIndexes = []mongo.IndexModel{
	index("user_id", "course", "submitted"), // OpenAttempt, AttemptsOf, DeleteUserData
}

// CreateAttempt stores a new attempt.
func (s *Store) CreateAttempt(ctx context.Context, a *store.Attempt) error {
	_, err := s.attempts().InsertOne(ctx, a)
	return wrap(duplicate(err), "create attempt")
}

// AttemptByID returns userID's attempt; another's is reported as not found.
func (s *Store) AttemptByID(ctx context.Context, userID, id string) (*store.Attempt, error) {
	a, err := findOne[store.Attempt](ctx, s.attempts(), bson.M{"_id": id, "user_id": userID})
	return a, wrap(err, "attempt %s", id)
}

// AttemptByAnyUser returns an attempt whoever took it; for tests and
// tools, never for a learner's request.
func (s *Store) AttemptByAnyUser(ctx context.Context, id string) (*store.Attempt, error) {
	a, err := findOne[store.Attempt](ctx, s.attempts(), bson.M{"_id": id})
	return a, wrap(err, "attempt %s", id)
}

// OpenAttempt returns the user's unsubmitted attempt at a course, the
// newest if there are several.
func (s *Store) OpenAttempt(ctx context.Context, userID, course string) (*store.Attempt, error) {
	a, err := findOne[store.Attempt](ctx, s.attempts(), bson.M{"user_id": userID, "course": course, "submitted": false},
		options.FindOne().SetSort(bson.D{{Key: "created", Value: -1}, {Key: "_id", Value: 1}}))
	return a, wrap(err, "open attempt at %s", course)
}

// AttemptsOf lists a learner's attempts, oldest first.
func (s *Store) AttemptsOf(ctx context.Context, userID string) ([]store.Attempt, error) {
	l, err := findAll[store.Attempt](ctx, s.attempts(), bson.M{"user_id": userID},
		options.Find().SetSort(bson.D{{Key: "created", Value: 1}, {Key: "_id", Value: 1}}))
	return l, wrap(err, "attempts of %s", userID)
}

// grading is what SubmitAttempt decides once.
type grading struct {
	At     time.Time    `bson:"submitted_at"`
	Result *quiz.Result `bson:"result,omitempty"`
	Passed bool         `bson:"passed"`
}

// SubmitAttempt records a's grading once. The grading is decided by a
// unique insert that carries it ("submit:"+id), then copied onto the
// attempt; a second or concurrent call, or the retry after a crash
// between the two, copies the stored grading and returns it.
func (s *Store) SubmitAttempt(ctx context.Context, a *store.Attempt) (*store.Attempt, bool, error) {
	// Whose it is is checked before deciding, so that no one else's
	// request can decide another learner's grading.
	cur, err := findOne[store.Attempt](ctx, s.attempts(), bson.M{"_id": a.ID, "user_id": a.UserID})
	if err != nil {
		return nil, false, wrap(err, "submit attempt %s", a.ID)
	}
	if cur.Submitted {
		// Graded already (its decision may have expired since).
		return cur, false, nil
	}
	g, first, err := decide(ctx, s, "submit:"+a.ID, kindSubmit, a.UserID, keepUntil(),
		grading{At: a.At, Result: a.Result, Passed: a.Passed})
	if err != nil {
		return nil, false, fmt.Errorf("submit attempt %s: %w", a.ID, err)
	}
	if first {
		if err := store.Step(ctx, "mongodb.SubmitAttempt.decided"); err != nil {
			return nil, false, err
		}
	}
	// Every caller writes the same stored grading: idempotent.
	if _, err := s.attempts().UpdateOne(ctx, bson.M{"_id": a.ID},
		bson.M{"$set": bson.M{"submitted": true, "submitted_at": g.At, "result": g.Result, "passed": g.Passed}}); err != nil {
		return nil, false, fmt.Errorf("grade attempt %s: %w", a.ID, err)
	}
	cur.Submitted, cur.At, cur.Result, cur.Passed = true, g.At, g.Result, g.Passed
	return cur, first, nil
}
