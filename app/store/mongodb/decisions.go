package mongodb

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"kynangso/app/store"
)

// The decisions collection records every once-only decision as a unique
// _id carrying the decision itself:
//
//	submit:<attempt>            the grading (expires)
//	slot:<user/course>:<code>   a certificate taking over a slot (expires)
//	revoke:<code>               the Revocation (kept)
//	setup:<token>               the phone that used the setup token (kept)
//	status_index:<n>            that status-list position is taken (kept)
//	claim:<team>:<phone>:<await> who claimed a team awaiting a leader (expires)
//
// A decision that guards a record only until that record is written
// expires some time after; MongoDB's TTL index or Sweep removes it. The
// kept ones are what a later call answers from (revoke, setup) or what
// makes a position unique forever (status_index).

func (s *Store) decisions() *mongo.Collection { return s.coll("decisions") }

var decisionsIndexes = []mongo.IndexModel{
	expiring("expires"),
	index("user_id", "kind"), // DeleteUserData, ScrubCertificates
}

const (
	kindSubmit      = "submit"
	kindSlot        = "slot"
	kindRevoke      = "revoke"
	kindSetup       = "setup"
	kindStatusIndex = "status_index"
	kindClaim       = "claim"
)

// decisionKeep is how long an expiring decision is kept: far longer than
// any request or retry takes, so the record it guards is written by then.
const decisionKeep = 7 * 24 * time.Hour

// keepUntil is when a decision made now may go.
func keepUntil() *time.Time {
	t := time.Now().Add(decisionKeep)
	return &t
}

type decision[T any] struct {
	ID   string `bson:"_id"`
	Kind string `bson:"kind"`
	// UserID names the person whose data the decision carries, so that
	// erasing the person erases it too.
	UserID  string     `bson:"user_id,omitempty"`
	Expires *time.Time `bson:"expires,omitempty"`
	Value   T          `bson:"value"`
}

// decide records v as the decision named key, unless one is recorded
// already. It returns the decision as stored, and whether this call
// recorded it.
func decide[T any](ctx context.Context, s *Store, key, kind, userID string, expires *time.Time, v T) (*T, bool, error) {
	d := &decision[T]{ID: key, Kind: kind, UserID: userID, Expires: expires, Value: v}
	for range 3 {
		_, err := s.decisions().InsertOne(ctx, d)
		if err == nil {
			got, err := asStored(d)
			if err != nil {
				return nil, false, fmt.Errorf("decision %s: %w", key, err)
			}
			return &got.Value, true, nil
		}
		if !mongo.IsDuplicateKeyError(err) {
			return nil, false, fmt.Errorf("record decision %s: %w", key, err)
		}
		got, err := readDecision[T](ctx, s, key)
		if err == nil {
			return got, false, nil
		}
		// Expired between the insert and the read: decide again.
		if !errors.Is(err, store.ErrNotFound) {
			return nil, false, err
		}
	}
	return nil, false, fmt.Errorf("decision %s: %w", key, store.ErrBusy)
}

// readDecision returns the decision named key; ErrNotFound if none.
func readDecision[T any](ctx context.Context, s *Store, key string) (*T, error) {
	d, err := findOne[decision[T]](ctx, s.decisions(), bson.M{"_id": key})
	if err != nil {
		return nil, wrap(err, "read decision %s", key)
	}
	return &d.Value, nil
}
