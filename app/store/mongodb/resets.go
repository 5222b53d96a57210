package store

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Reset is a one-time code a team leader reads to a member who forgot
// their password. Only its hash is kept; one per person, the newest.
type Reset struct {
	UserID   string    `bson:"_id"`
	Hash     string    `bson:"hash"`
	Expires  time.Time `bson:"expires"`
	Failures int       `bson:"failures"`
	By       string    `bson:"by"` // who made the code
}

func (s *Store) resets() *mongoColl { return s.coll("resets") }

// SetReset stores a person's reset code, replacing any earlier one.
func (s *Store) SetReset(ctx context.Context, r *Reset) error {
	return retryRace(func() error {
		_, err := s.resets().ReplaceOne(ctx, bson.M{"_id": r.UserID}, r, options.Replace().SetUpsert(true))
		return err
	})
}

// ResetOf returns a person's live reset code.
func (s *Store) ResetOf(ctx context.Context, userID string, now time.Time) (*Reset, error) {
	r, err := findOne[Reset](ctx, s.resets(), bson.M{"_id": userID})
	if err != nil {
		return nil, err
	}
	if now.After(r.Expires) {
		return nil, ErrNotFound
	}
	return r, nil
}

// FailReset counts a wrong code.
func (s *Store) FailReset(ctx context.Context, userID string) error {
	_, err := s.resets().UpdateOne(ctx, bson.M{"_id": userID}, bson.M{"$inc": bson.M{"failures": 1}})
	return err
}

// UseReset consumes a reset code; false if someone else used it first.
func (s *Store) UseReset(ctx context.Context, r *Reset) (bool, error) {
	ok, err := s.claim(ctx, "reset:"+r.UserID+":"+r.Hash)
	if !ok || err != nil {
		return false, err
	}
	_, err = s.resets().DeleteOne(ctx, bson.M{"_id": r.UserID})
	return true, err
}
