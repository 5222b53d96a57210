package store

import (
	"context"

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
