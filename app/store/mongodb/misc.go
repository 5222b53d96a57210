package store

import (
	"context"
	"errors"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// SetupToken returns the one-time token that creates the first admin,
// creating it if needed; empty once an admin exists.
func (s *Store) SetupToken(ctx context.Context) (string, error) {
	n, err := s.CountAdmins(ctx)
	if err != nil || n > 0 {
		return "", err
	}
	var doc struct {
		Token string `bson:"token"`
	}
	err = retryRace(func() error {
		return s.coll("settings").FindOneAndUpdate(ctx, bson.M{"_id": "setup"},
			bson.M{"$setOnInsert": bson.M{"token": NewID()}},
			options.FindOneAndUpdate().SetUpsert(true).SetReturnDocument(options.After)).Decode(&doc)
	})
	return doc.Token, err
}

// UseSetupToken consumes the token; false when it is wrong or used.
func (s *Store) UseSetupToken(ctx context.Context, token string) (bool, error) {
	if ok, err := s.claim(ctx, "setup:"+token); !ok || err != nil {
		return false, err
	}
	r, err := s.coll("settings").DeleteOne(ctx, bson.M{"_id": "setup", "token": token})
	if err != nil {
		return false, err
	}
	return r.DeletedCount == 1, nil
}

// CheckSetupToken tells whether the token is the live one, without using it.
func (s *Store) CheckSetupToken(ctx context.Context, token string) (bool, error) {
	n, err := s.coll("settings").CountDocuments(ctx, bson.M{"_id": "setup", "token": token})
	return n == 1, err
}

// Audit actions; each has a message "audit.action.<action>".
const (
	ActSetupAdmin  = "setup.admin"
	ActTeamCreate  = "team.create"
	ActTeamLeader  = "team.leader"
	ActCertRevoke  = "certificate.revoke"
	ActCertReplace = "certificate.replace"
	ActResetCode   = "password.reset_code"
)

// AuditActions lists every audit action.
var AuditActions = []string{ActSetupAdmin, ActTeamCreate, ActTeamLeader, ActCertRevoke, ActCertReplace, ActResetCode}

// AuditEntry records who did what to what, for accountability.
type AuditEntry struct {
	ID     string    `bson:"_id"`
	At     time.Time `bson:"at"`
	Actor  string    `bson:"actor"` // user id
	Action string    `bson:"action"`
	Target string    `bson:"target"`
	Detail string    `bson:"detail,omitempty"`
}

// Audit appends an entry.
func (s *Store) Audit(ctx context.Context, e AuditEntry) error {
	e.ID = NewID()
	_, err := s.coll("audit").InsertOne(ctx, e)
	return err
}

// AuditLog lists the newest entries.
func (s *Store) AuditLog(ctx context.Context, n int64) ([]AuditEntry, error) {
	return findAll[AuditEntry](ctx, s.coll("audit"), bson.M{}, options.Find().SetSort(bson.D{{Key: "at", Value: -1}}).SetLimit(n))
}

// Verification is one check of a certificate; nothing about who checked.
type Verification struct {
	ID      string    `bson:"_id"`
	Code    string    `bson:"code"`
	At      time.Time `bson:"at"`
	Channel string    `bson:"channel"` // page, json, credential
}

// RecordVerification counts a check.
func (s *Store) RecordVerification(ctx context.Context, code, channel string, at time.Time) error {
	_, err := s.coll("verifications").InsertOne(ctx, Verification{ID: NewID(), Code: code, At: at, Channel: channel})
	return err
}

// Verifications lists the checks of a certificate, newest first.
func (s *Store) Verifications(ctx context.Context, code string) ([]Verification, error) {
	return findAll[Verification](ctx, s.coll("verifications"), bson.M{"code": code},
		options.Find().SetSort(bson.D{{Key: "at", Value: -1}}))
}

// Hit counts one request of a client in a fixed window and returns the
// count so far. Counters live in the database so that every instance
// behind a load balancer shares them.
func (s *Store) Hit(ctx context.Context, key string, window time.Duration, now time.Time) (int, error) {
	start := now.Truncate(window)
	var doc struct {
		N int `bson:"n"`
	}
	err := retryRace(func() error {
		return s.coll("ratelimit").FindOneAndUpdate(ctx,
			bson.M{"_id": key + "@" + start.Format(time.RFC3339)},
			bson.M{"$inc": bson.M{"n": 1}, "$setOnInsert": bson.M{"expires": start.Add(window)}},
			options.FindOneAndUpdate().SetUpsert(true).SetReturnDocument(options.After)).Decode(&doc)
	})
	return doc.N, err
}

// Hits returns the count so far in the current window, without counting.
func (s *Store) Hits(ctx context.Context, key string, window time.Duration, now time.Time) (int, error) {
	var doc struct {
		N int `bson:"n"`
	}
	err := s.coll("ratelimit").FindOne(ctx, bson.M{"_id": key + "@" + now.Truncate(window).Format(time.RFC3339)}).Decode(&doc)
	if err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
		return 0, err
	}
	return doc.N, nil
}

// ClearHits forgets the current window's count.
func (s *Store) ClearHits(ctx context.Context, key string, window time.Duration, now time.Time) error {
	_, err := s.coll("ratelimit").DeleteOne(ctx, bson.M{"_id": key + "@" + now.Truncate(window).Format(time.RFC3339)})
	return err
}

// PruneRateLimits drops finished windows, so the collection stays small.
func (s *Store) PruneRateLimits(ctx context.Context, now time.Time) error {
	_, err := s.coll("ratelimit").DeleteMany(ctx, bson.M{"expires": bson.M{"$lt": now}})
	return err
}

// CountVerifications counts the checks of a certificate.
func (s *Store) CountVerifications(ctx context.Context, code string) (int64, error) {
	return s.coll("verifications").CountDocuments(ctx, bson.M{"code": code})
}
