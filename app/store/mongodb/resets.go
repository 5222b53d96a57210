package mongodb

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"kynangso/app/store"
)

func (s *Store) resets() *mongo.Collection { return s.coll("resets") }

var resetsIndexes = []mongo.IndexModel{
	expiring("expires"),
}

// SetReset stores a person's reset code, replacing any earlier one.
func (s *Store) SetReset(ctx context.Context, r *store.Reset) error {
	return wrap(retryRace(func() error {
		_, err := s.resets().ReplaceOne(ctx, bson.M{"_id": r.UserID}, r, options.Replace().SetUpsert(true))
		return err
	}), "set reset code")
}

// ResetOf returns a person's reset code live at now.
func (s *Store) ResetOf(ctx context.Context, userID string, now time.Time) (*store.Reset, error) {
	r, err := findOne[store.Reset](ctx, s.resets(), bson.M{"_id": userID})
	if err != nil {
		return nil, wrap(err, "reset code")
	}
	if now.After(r.Expires) {
		return nil, wrap(store.ErrNotFound, "reset code expired")
	}
	return r, nil
}

// FailReset counts a wrong code. On FerretDB $inc is a read then a
// write, so concurrent failures may count once; on MongoDB each counts.
func (s *Store) FailReset(ctx context.Context, userID string) error {
	_, err := s.resets().UpdateOne(ctx, bson.M{"_id": userID}, bson.M{"$inc": bson.M{"failures": 1}})
	return wrap(err, "count failed reset")
}

// DeleteReset removes the code if it is still the one with hash, so a
// code used late cannot remove a newer one.
func (s *Store) DeleteReset(ctx context.Context, userID, hash string) error {
	_, err := s.resets().DeleteOne(ctx, bson.M{"_id": userID, "hash": hash})
	return wrap(err, "delete reset code")
}
