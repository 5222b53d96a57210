package store

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// CopyTo copies every document of every collection into dst, replacing
// documents with the same _id, so a pilot on the embedded store can move
// to a MongoDB deployment without losing anything; running it twice is
// harmless. It returns the number of documents per collection.
func (s *Store) CopyTo(ctx context.Context, dst *Store) (map[string]int, error) {
	names, err := s.db.ListCollectionNames(ctx, bson.D{})
	if err != nil {
		return nil, fmt.Errorf("list collections: %w", err)
	}
	counts := map[string]int{}
	for _, name := range names {
		cur, err := s.db.Collection(name).Find(ctx, bson.D{})
		if err != nil {
			return counts, fmt.Errorf("read %s: %w", name, err)
		}
		for cur.Next(ctx) {
			doc := bson.Raw(append([]byte(nil), cur.Current...))
			id := doc.Lookup("_id")
			_, err := dst.db.Collection(name).ReplaceOne(ctx, bson.D{{Key: "_id", Value: id}}, doc, options.Replace().SetUpsert(true))
			if err != nil {
				_ = cur.Close(ctx)
				return counts, fmt.Errorf("write %s: %w", name, err)
			}
			counts[name]++
		}
		if err := cur.Err(); err != nil {
			return counts, err
		}
		_ = cur.Close(ctx)
	}
	return counts, dst.ensureIndexes(ctx)
}
