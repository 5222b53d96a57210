package mongodb

import (
	"context"
	"errors"

	"go.mongodb.org/mongo-driver/v2/mongo"

	"kynangso/app/store"
)

func (s *Store) coll(name string) *mongo.Collection { return s.db.Collection(name) }

// updateByID applies update to the document with id; ErrNotFound if none.
func (s *Store) updateByID(ctx context.Context, c *mongo.Collection, id string, update any) error {
	r, err := c.UpdateByID(ctx, id, update)
	if err != nil {
		return err
	}
	if r.MatchedCount == 0 {
		return store.ErrNotFound
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

// ignoreDuplicates drops duplicate-key errors, also from a bulk write
// whose every failure is one: for inserts that may have been done before.
func ignoreDuplicates(err error) error {
	if err == nil {
		return nil
	}
	var bulk mongo.BulkWriteException
	if errors.As(err, &bulk) && bulk.WriteConcernError == nil {
		for _, we := range bulk.WriteErrors {
			if we.Code != 11000 && we.Code != 11001 && we.Code != 12582 { // duplicate key
				return err
			}
		}
		return nil
	}
	if mongo.IsDuplicateKeyError(err) {
		return nil
	}
	return err
}
