// Package store keeps the platform's data in MongoDB, or in the embedded
// FerretDB that speaks the same protocol. One file per collection.
//
// The embedded server has no multi-document transactions and scans whole
// collections on every query, so: no transactions anywhere; every change is
// one atomic single-document update; uniqueness comes from unique indexes
// or from choosing the _id; hot lookups go by _id.
package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Sentinel errors, tested with errors.Is.
var (
	ErrNotFound  = errors.New("not found")
	ErrDuplicate = errors.New("already exists")
)

// Store is the database.
type Store struct {
	client *mongo.Client
	db     *mongo.Database
}

// Open connects to uri and makes sure the indexes exist.
func Open(ctx context.Context, uri, database string) (*Store, error) {
	client, err := mongo.Connect(options.Client().ApplyURI(uri).SetTimeout(10 * time.Second))
	if err != nil {
		return nil, fmt.Errorf("connect to database: %w", err)
	}
	s := &Store{client: client, db: client.Database(database)}
	if err := s.Ping(ctx); err != nil {
		_ = client.Disconnect(ctx)
		return nil, err
	}
	if err := s.ensureIndexes(ctx); err != nil {
		_ = client.Disconnect(ctx)
		return nil, err
	}
	return s, nil
}

// Close disconnects.
func (s *Store) Close(ctx context.Context) error { return s.client.Disconnect(ctx) }

// Ping tells whether the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.db.RunCommand(ctx, bson.D{{Key: "ping", Value: 1}}).Err(); err != nil {
		return fmt.Errorf("ping database: %w", err)
	}
	return nil
}

// Drop deletes the whole database; for tests.
func (s *Store) Drop(ctx context.Context) error { return s.db.Drop(ctx) }

func (s *Store) ensureIndexes(ctx context.Context) error {
	idx := []struct {
		coll   string
		keys   bson.D
		unique bool
	}{
		{"users", bson.D{{Key: "phone", Value: 1}}, true},
		{"users", bson.D{{Key: "team_id", Value: 1}}, false},
		{"progress", bson.D{{Key: "user_id", Value: 1}}, false},
		{"attempts", bson.D{{Key: "user_id", Value: 1}, {Key: "course", Value: 1}}, false},
		{"certificates", bson.D{{Key: "user_id", Value: 1}}, false},
		{"certificates", bson.D{{Key: "team_id", Value: 1}}, false},
		{"verifications", bson.D{{Key: "code", Value: 1}}, false},
		{"teams", bson.D{{Key: "leader_id", Value: 1}}, false},
	}
	for _, i := range idx {
		m := mongo.IndexModel{Keys: i.keys}
		if i.unique {
			m.Options = options.Index().SetUnique(true)
		}
		if _, err := s.db.Collection(i.coll).Indexes().CreateOne(ctx, m); err != nil {
			return fmt.Errorf("index on %s: %w", i.coll, err)
		}
	}
	return nil
}

// NewID returns a random id: 128 bits, hex.
func NewID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// notFound turns the driver's "no documents" into ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, mongo.ErrNoDocuments) {
		return ErrNotFound
	}
	return err
}

func duplicate(err error) error {
	if mongo.IsDuplicateKeyError(err) {
		return ErrDuplicate
	}
	return err
}

// findAll runs a query and decodes every result.
func findAll[T any](ctx context.Context, c *mongo.Collection, filter any, opts ...options.Lister[options.FindOptions]) ([]T, error) {
	cur, err := c.Find(ctx, filter, opts...)
	if err != nil {
		return nil, err
	}
	var out []T
	if err := cur.All(ctx, &out); err != nil {
		return nil, err
	}
	return out, nil
}

func findOne[T any](ctx context.Context, c *mongo.Collection, filter any) (*T, error) {
	var v T
	if err := c.FindOne(ctx, filter).Decode(&v); err != nil {
		return nil, notFound(err)
	}
	return &v, nil
}
