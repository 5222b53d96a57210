package store

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

type mongoColl = mongo.Collection

func (s *Store) coll(name string) *mongo.Collection { return s.db.Collection(name) }

// updateByID applies update to the document with id; ErrNotFound if none.
func (s *Store) updateByID(ctx context.Context, c *mongo.Collection, id string, update any) error {
	r, err := c.UpdateByID(ctx, id, update)
	if err != nil {
		return err
	}
	if r.MatchedCount == 0 {
		return ErrNotFound
	}
	return nil
}

// retryRace runs an upsert once more when it lost a race: two upserts of a
// new document both try to insert it, and the loser gets a duplicate-key
// error; run again, it finds the document and updates it.
func retryRace(f func() error) error {
	err := f()
	if mongo.IsDuplicateKeyError(err) {
		err = f()
	}
	return err
}

// claim records that the event named key happened, once: of any number of
// concurrent callers exactly one gets true. The embedded FerretDB applies a
// conditional update as a read, then a write, so two requests can both
// match the same condition (measured: 2 to 4 winners out of 4); inserting
// a unique _id is atomic there as on MongoDB, so every "only once" goes
// through here before its update.
func (s *Store) claim(ctx context.Context, key string) (bool, error) {
	_, err := s.coll("claims").InsertOne(ctx, bson.M{"_id": key, "at": time.Now()})
	if mongo.IsDuplicateKeyError(err) {
		return false, nil
	}
	return err == nil, err
}
