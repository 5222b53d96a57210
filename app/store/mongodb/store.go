// Package mongodb keeps the platform's data in MongoDB: the scale-out
// backend, several instances sharing one replica set. It implements
// store.Store; one file per collection, each declaring the indexes its
// queries need.
//
// It uses no multi-document transaction, and it must stay correct on
// FerretDB too (the tests run on it), which applies a conditional update
// as a read then a write: of four concurrent updateOne({_id, status:
// "valid"}) two to four match. Only inserting a unique _id is atomic on
// both, so every once-only method records its decision as a unique insert
// that carries the whole decision (decisions.go), then applies it with
// idempotent writes; whoever loses the insert, or comes back after a crash,
// reads the stored decision and applies it too.
package mongodb

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/readconcern"
	"go.mongodb.org/mongo-driver/v2/mongo/writeconcern"

	"kynangso/app/store"
)

var _ store.Store = (*Store)(nil)

// Store is the database.
type Store struct {
	client *mongo.Client
	db     *mongo.Database
}

// collectionIndexes are the indexes of every collection, declared in each
// collection's file beside the queries that need them.
var collectionIndexes = map[string][]mongo.IndexModel{
	"users":         append(usersIndexes, placeUsersIndexes...),
	"sessions":      sessionsIndexes,
	"teams":         append(teamsIndexes, placeTeamsIndexes...),
	"households":    householdsIndexes,
	"grants":        grantsIndexes,
	"progress":      progressIndexes,
	"attempts":      attemptsIndexes,
	"confirmations": confirmationsIndexes,
	"certificates":  append(certificatesIndexes, placeCertificatesIndexes...),
	"verifications": verificationsIndexes,
	"audit":         auditIndexes,
	"resets":        resetsIndexes,
	"claim_codes":   claimCodesIndexes,
	"ratelimit":     ratelimitIndexes,
	"decisions":     decisionsIndexes,
}

// Open connects to uri, checks that the server answers and makes sure the
// indexes exist.
func Open(ctx context.Context, uri, database string) (*Store, error) {
	// On a replica set, a decision one instance inserted is what another
	// reads and applies: both sides go through the majority, so that a
	// failover cannot roll back a decision someone has already acted on.
	// A URI that names its own concerns overrides these.
	opts := options.Client().SetTimeout(10 * time.Second).
		SetWriteConcern(writeconcern.Majority()).
		SetReadConcern(readconcern.Majority()).
		ApplyURI(uri)
	client, err := mongo.Connect(opts)
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
	if err := s.holdLegacyGrants(ctx); err != nil {
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
func (s *Store) Drop(ctx context.Context) error {
	if err := s.db.Drop(ctx); err != nil {
		return fmt.Errorf("drop database %s: %w", s.db.Name(), err)
	}
	return nil
}

// Atomic runs fn as is: without multi-document transactions, every
// workflow is written so that running it again finishes it.
func (s *Store) Atomic(ctx context.Context, fn func(ctx context.Context, tx store.Store) error) error {
	return fn(ctx, s)
}

func (s *Store) ensureIndexes(ctx context.Context) error {
	// FerretDB v1.24.2 refuses expireAfterSeconds ("Index option
	// "expireAfterSeconds" is not implemented yet", createIndexes), so TTL
	// indexes are made on MongoDB only; on FerretDB, Sweep alone removes
	// what has expired.
	ferret, err := s.isFerretDB(ctx)
	if err != nil {
		return err
	}
	for coll, models := range collectionIndexes {
		var keep []mongo.IndexModel
		for _, m := range models {
			if ferret && isTTL(m) {
				continue
			}
			keep = append(keep, m)
		}
		// One at a time: FerretDB v1.24.2 panics on a createIndexes that
		// lists two or more indexes that exist already (its duplicate filter
		// deletes by the wrong position), which every start after the
		// first, or a second instance, sends.
		for _, m := range keep {
			if _, err := s.coll(coll).Indexes().CreateOne(ctx, m); err != nil {
				return fmt.Errorf("indexes on %s: %w", coll, err)
			}
		}
	}
	return nil
}

// isFerretDB tells FerretDB from MongoDB: its buildInfo names its own
// version besides the MongoDB version it imitates.
func (s *Store) isFerretDB(ctx context.Context) (bool, error) {
	var info bson.M
	if err := s.db.RunCommand(ctx, bson.D{{Key: "buildInfo", Value: 1}}).Decode(&info); err != nil {
		return false, fmt.Errorf("database build info: %w", err)
	}
	_, ok := info["ferretdbVersion"]
	return ok, nil
}

// expiring is a TTL index on field: MongoDB deletes a document once the
// time in field has passed (expireAfterSeconds 0).
func expiring(field string) mongo.IndexModel {
	return mongo.IndexModel{Keys: bson.D{{Key: field, Value: 1}}, Options: options.Index().SetExpireAfterSeconds(0)}
}

func isTTL(m mongo.IndexModel) bool {
	if m.Options == nil {
		return false
	}
	var o options.IndexOptions
	for _, set := range m.Options.Opts {
		if err := set(&o); err != nil {
			return false
		}
	}
	return o.ExpireAfterSeconds != nil
}

func index(keys ...string) mongo.IndexModel {
	d := bson.D{}
	for _, k := range keys {
		dir := 1
		if k[0] == '-' {
			k, dir = k[1:], -1
		}
		d = append(d, bson.E{Key: k, Value: dir})
	}
	return mongo.IndexModel{Keys: d}
}

func unique(keys ...string) mongo.IndexModel {
	m := index(keys...)
	m.Options = options.Index().SetUnique(true)
	return m
}

// notFound turns the driver's "no documents" into store.ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, mongo.ErrNoDocuments) {
		return store.ErrNotFound
	}
	return err
}

// duplicate turns a duplicate-key error into store.ErrDuplicate.
func duplicate(err error) error {
	if mongo.IsDuplicateKeyError(err) {
		return store.ErrDuplicate
	}
	return err
}

// wrap names what failed, keeping nil nil.
func wrap(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf(format+": %w", append(args, err)...)
}

// findAll runs a query and decodes every result.
func findAll[T any](ctx context.Context, c *mongo.Collection, filter any, opts ...options.Lister[options.FindOptions]) ([]T, error) {
	cur, err := c.Find(ctx, filter, opts...)
	if err != nil {
		return nil, err
	}
	out := []T{}
	if err := cur.All(ctx, &out); err != nil {
		return nil, err
	}
	return out, nil
}

func findOne[T any](ctx context.Context, c *mongo.Collection, filter any, opts ...options.Lister[options.FindOneOptions]) (*T, error) {
	var v T
	if err := c.FindOne(ctx, filter, opts...).Decode(&v); err != nil {
		return nil, notFound(err)
	}
	return &v, nil
}

// asStored returns v as the database gives it back: the driver keeps
// milliseconds and reads times as UTC, so a method that returns what it
// wrote returns what a later read would.
func asStored[T any](v *T) (*T, error) {
	b, err := bson.Marshal(v)
	if err != nil {
		return nil, err
	}
	out := new(T)
	return out, bson.Unmarshal(b, out)
}

// paged returns find options for one page, sorted by sort (which must
// end with a unique key, so that pages neither overlap nor skip).
func paged(p store.Page, sort bson.D) *options.FindOptionsBuilder {
	limit, offset := p.Bounds()
	return options.Find().SetSort(sort).SetLimit(int64(limit)).SetSkip(int64(offset))
}
