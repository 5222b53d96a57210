package mongodb

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"kynangso/app/store"
)

// kindCollections names the collection of each kind of record that is a
// document as is (the setup token is not: see Dump and Load).
var kindCollections = map[string]string{
	store.KindUser:         "users",
	store.KindTeam:         "teams",
	store.KindHousehold:    "households",
	store.KindGrant:        "grants",
	store.KindSnapshot:     "snapshots",
	store.KindSession:      "sessions",
	store.KindProgress:     "progress",
	store.KindAttempt:      "attempts",
	store.KindConfirmation: "confirmations",
	store.KindCertificate:  "certificates",
	store.KindVerification: "verifications",
	store.KindAudit:        "audit",
	store.KindReset:        "resets",
	store.KindClaimCode:    "claim_codes",
	store.KindSigningKey:   "signing_keys",
}

// Dump calls fn with every record, kind by kind (store.Kinds). The
// internal bookkeeping (decisions, slots, counters) is not a record: Load
// rebuilds what of it a store needs.
func (s *Store) Dump(ctx context.Context, fn func(store.Record) error) error {
	for _, kind := range store.Kinds {
		var err error
		switch kind {
		case store.KindUser:
			err = dumpKind[store.User](ctx, s, kind, fn, nil)
		case store.KindTeam:
			err = dumpKind[store.Team](ctx, s, kind, fn, nil)
		case store.KindHousehold:
			err = dumpKind[store.Household](ctx, s, kind, fn, nil)
		case store.KindGrant:
			err = dumpKind[store.Grant](ctx, s, kind, fn, nil)
		case store.KindSnapshot:
			err = dumpKind[store.Snapshot](ctx, s, kind, fn, nil)
		case store.KindSession:
			err = dumpKind[store.Session](ctx, s, kind, fn, nil)
		case store.KindProgress:
			err = dumpKind(ctx, s, kind, fn, func(p *store.Progress) { fixProgress(p) })
		case store.KindAttempt:
			err = dumpKind[store.Attempt](ctx, s, kind, fn, nil)
		case store.KindConfirmation:
			err = dumpKind(ctx, s, kind, fn, func(c *store.Confirmation) { c.At = c.At.UTC() })
		case store.KindCertificate:
			err = dumpKind[store.Certificate](ctx, s, kind, fn, nil)
		case store.KindVerification:
			err = dumpKind[store.Verification](ctx, s, kind, fn, nil)
		case store.KindAudit:
			err = dumpKind[store.AuditEntry](ctx, s, kind, fn, nil)
		case store.KindReset:
			err = dumpKind[store.Reset](ctx, s, kind, fn, nil)
		case store.KindClaimCode:
			err = dumpKind(ctx, s, kind, fn, func(c *store.ClaimCode) { c.Expires, c.Made = c.Expires.UTC(), c.Made.UTC() })
		case store.KindSigningKey:
			err = dumpKind[store.SigningKey](ctx, s, kind, fn, nil)
		case store.KindSetupToken:
			var tok string
			if tok, err = s.liveSetupToken(ctx); err == nil && tok != "" {
				err = fn(store.Record{Kind: kind, Value: &store.SetupTokenRecord{Token: tok}})
			}
		default:
			err = fmt.Errorf("no collection for kind %q", kind)
		}
		if err != nil {
			return fmt.Errorf("dump %s: %w", kind, err)
		}
	}
	return nil
}

// dumpKind streams one collection, in _id order so that two dumps of
// one store read alike.
func dumpKind[T any](ctx context.Context, s *Store, kind string, fn func(store.Record) error, fix func(*T)) error {
	cur, err := s.coll(kindCollections[kind]).Find(ctx, bson.M{}, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		return err
	}
	defer cur.Close(ctx)
	for cur.Next(ctx) {
		v := new(T)
		if err := cur.Decode(v); err != nil {
			return err
		}
		if fix != nil {
			fix(v)
		}
		if err := fn(store.Record{Kind: kind, Value: v}); err != nil {
			return err
		}
	}
	return cur.Err()
}

// Load writes records as they are, in bulk, then rebuilds the bookkeeping
// the loaded certificates need: their status-list positions claimed and
// the counter past them, and each learner's slot per course.
func (s *Store) Load(ctx context.Context, recs []store.Record) error {
	docs := map[string][]any{}
	var certs []*store.Certificate
	for _, r := range recs {
		switch v := r.Value.(type) {
		case *store.SetupTokenRecord:
			if err := retryRace(func() error {
				_, err := s.settings().ReplaceOne(ctx, bson.M{"_id": "setup"}, bson.M{"_id": "setup", "token": v.Token}, options.Replace().SetUpsert(true))
				return err
			}); err != nil {
				return fmt.Errorf("load setup token: %w", err)
			}
			continue
		case *store.Progress:
			fixProgress(v)
		case *store.Certificate:
			certs = append(certs, v)
		}
		if _, ok := kindCollections[r.Kind]; !ok {
			return fmt.Errorf("load: unknown record kind %q", r.Kind)
		}
		docs[r.Kind] = append(docs[r.Kind], r.Value)
	}
	for _, kind := range store.Kinds {
		if len(docs[kind]) == 0 {
			continue
		}
		if _, err := s.coll(kindCollections[kind]).InsertMany(ctx, docs[kind], options.InsertMany().SetOrdered(false)); err != nil {
			return fmt.Errorf("load %s: %w", kind, duplicate(err))
		}
	}
	return s.rebuildCertificates(ctx, certs)
}

func (s *Store) rebuildCertificates(ctx context.Context, certs []*store.Certificate) error {
	if len(certs) == 0 {
		return nil
	}
	claims := make([]any, 0, len(certs))
	slots := make([]mongo.WriteModel, 0, len(certs))
	top := 0
	for _, c := range certs {
		claims = append(claims, bson.M{"_id": statusIndexKey(c.StatusIndex), "kind": kindStatusIndex})
		top = max(top, c.StatusIndex+1)
		if c.UserID == "" {
			continue // scrubbed: no one holds it
		}
		slot := certSlot{ID: store.ProgressID(c.UserID, c.Course), Code: c.Code, Cert: *c}
		// The slot points to the valid certificate, or failing one to
		// the newest revoked (which a later pass may take over): a valid
		// one replaces whatever is there; a revoked one only an older
		// revoked one, and the upsert of a slot it may not replace fails
		// as a duplicate, which is ignored. The outcome is the same in
		// whatever order the writes run, so batches may come in any order
		// and the bulk write may be unordered.
		filter := bson.M{"_id": slot.ID}
		if c.Status != store.CertValid {
			filter["cert.status"] = store.CertRevoked
			filter["cert.issued_at"] = bson.M{"$lt": c.IssuedAt}
		}
		slots = append(slots, mongo.NewReplaceOneModel().SetFilter(filter).SetReplacement(slot).SetUpsert(true))
	}
	if _, err := s.decisions().InsertMany(ctx, claims, options.InsertMany().SetOrdered(false)); ignoreDuplicates(err) != nil {
		return fmt.Errorf("load status indexes: %w", err)
	}
	if err := s.advanceStatusCounter(ctx, top); err != nil {
		return err
	}
	if len(slots) == 0 {
		return nil
	}
	if _, err := s.slots().BulkWrite(ctx, slots, options.BulkWrite().SetOrdered(false)); ignoreDuplicates(err) != nil {
		return fmt.Errorf("load certificate slots: %w", err)
	}
	return nil
}
