package mongodb

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"kynangso/app/store"
)

func (s *Store) certificates() *mongo.Collection { return s.coll("certificates") }
func (s *Store) slots() *mongo.Collection        { return s.coll("cert_slots") }

var certificatesIndexes = []mongo.IndexModel{
	index("user_id", "-issued_at"),                          // CertificatesOf, ScrubCertificates
	index("team_id", "status", "issued_at", "status_index"), // TeamCertificates, TeamCounts
	index("status", "status_index"),                         // RevokedIndexes
}

// certSlot is the learner's certificate for a course (its _id is
// store.ProgressID): a unique key makes "one per learner and course" hold
// without a transaction. It carries the whole certificate, so whoever
// finds the slot's certificate missing (an issue cut short between the two
// inserts) writes it from the slot, and the issue is finished rather than
// blocked.
type certSlot struct {
	ID   string            `bson:"_id"`
	Code string            `bson:"code"`
	Cert store.Certificate `bson:"cert"`
}

// IssueCertificate issues c unless the learner holds a certificate for
// the course already, which it then returns with false.
func (s *Store) IssueCertificate(ctx context.Context, c *store.Certificate, earnedAt time.Time) (*store.Certificate, bool, error) {
	id := store.ProgressID(c.UserID, c.Course)
	allocated := false
	allocate := func() error {
		if allocated {
			return nil
		}
		n, err := s.AllocateStatusIndex(ctx)
		if err != nil {
			return err
		}
		c.StatusIndex, allocated = n, true
		return nil
	}
	// Each turn either answers or moves the slot one step on (another
	// request's insert, a replacement, a takeover); a few turns suffice.
	for range 8 {
		slot, err := findOne[certSlot](ctx, s.slots(), bson.M{"_id": id})
		if errors.Is(err, store.ErrNotFound) {
			if err := allocate(); err != nil {
				return nil, false, err
			}
			_, err := s.slots().InsertOne(ctx, certSlot{ID: id, Code: c.Code, Cert: *c})
			if mongo.IsDuplicateKeyError(err) {
				continue // another request took the slot: read it
			}
			if err != nil {
				return nil, false, fmt.Errorf("certificate slot %s: %w", id, err)
			}
			if err := store.Step(ctx, "mongodb.IssueCertificate.slot"); err != nil {
				return nil, false, err
			}
			if err := s.insertCertificate(ctx, c); err != nil {
				return nil, false, err
			}
			out, err := asStored(c)
			return out, true, err
		}
		if err != nil {
			return nil, false, fmt.Errorf("certificate slot %s: %w", id, err)
		}
		held, err := s.slotCertificate(ctx, slot)
		if err != nil {
			return nil, false, err
		}
		switch {
		case held.Status == store.CertValid:
			return held, false, nil
		case held.ReplacedBy != "":
			// The revocation that replaced it was cut short before it
			// moved the slot: finish it, then look again.
			moved, err := s.followReplacement(ctx, slot, held)
			if err != nil {
				return nil, false, err
			}
			if !moved {
				return held, false, nil
			}
			continue
		case held.RevokedAt == nil || !held.RevokedAt.Before(earnedAt):
			// An older pass never brings a revoked certificate back.
			return held, false, nil
		}
		// Revoked without replacement before this pass: c takes the slot
		// over, decided once per revoked certificate.
		if err := allocate(); err != nil {
			return nil, false, err
		}
		next, first, err := decide(ctx, s, "slot:"+id+":"+held.Code, kindSlot, c.UserID, keepUntil(), *c)
		if err != nil {
			return nil, false, fmt.Errorf("take over certificate slot %s: %w", id, err)
		}
		if first {
			if err := store.Step(ctx, "mongodb.IssueCertificate.decided"); err != nil {
				return nil, false, err
			}
		}
		r, err := s.slots().UpdateOne(ctx, bson.M{"_id": id, "code": bson.M{"$in": bson.A{held.Code, next.Code}}},
			bson.M{"$set": bson.M{"code": next.Code, "cert": next}})
		if err != nil {
			return nil, false, fmt.Errorf("move certificate slot %s: %w", id, err)
		}
		if r.MatchedCount == 0 {
			continue // the slot moved on meanwhile: read it
		}
		if err := store.Step(ctx, "mongodb.IssueCertificate.moved"); err != nil {
			return nil, false, err
		}
		if err := s.insertCertificate(ctx, next); err != nil {
			return nil, false, err
		}
		return next, first, nil
	}
	return nil, false, fmt.Errorf("issue certificate %s: %w", id, store.ErrBusy)
}

// slotCertificate returns the certificate a slot points to, writing it
// from the slot if the issue that took the slot was cut short.
func (s *Store) slotCertificate(ctx context.Context, slot *certSlot) (*store.Certificate, error) {
	got, err := s.Certificate(ctx, slot.Code)
	if !errors.Is(err, store.ErrNotFound) {
		return got, err
	}
	if err := s.insertCertificate(ctx, &slot.Cert); err != nil {
		return nil, err
	}
	// Read it back: it was there after all if the insert was a duplicate.
	return s.Certificate(ctx, slot.Code)
}

// followReplacement moves a slot from a replaced certificate to its
// replacement: by finishing the recorded revocation, or, for data loaded
// without one, by pointing the slot to the replacement. False when there
// is nothing to move it to.
func (s *Store) followReplacement(ctx context.Context, slot *certSlot, held *store.Certificate) (bool, error) {
	r, err := readDecision[store.Revocation](ctx, s, "revoke:"+held.Code)
	if err == nil && r.Replacement != nil && r.Replacement.UserID != "" {
		return true, s.applyRevocation(ctx, r)
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return false, err
	}
	next, err := s.Certificate(ctx, held.ReplacedBy)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("replacement of %s: %w", held.Code, err)
	}
	_, err = s.slots().UpdateOne(ctx, bson.M{"_id": slot.ID, "code": held.Code},
		bson.M{"$set": bson.M{"code": next.Code, "cert": next}})
	return true, wrap(err, "move certificate slot %s", slot.ID)
}

// insertCertificate writes c; already there counts as done, since every
// writer of one code writes the same certificate (from one decision).
func (s *Store) insertCertificate(ctx context.Context, c *store.Certificate) error {
	_, err := s.certificates().InsertOne(ctx, c)
	return wrap(ignoreDuplicates(err), "insert certificate %s", c.Code)
}

// Certificate returns a certificate by its code (no dashes).
func (s *Store) Certificate(ctx context.Context, code string) (*store.Certificate, error) {
	c, err := findOne[store.Certificate](ctx, s.certificates(), bson.M{"_id": code})
	return c, wrap(err, "certificate %s", code)
}

// CertificatesOf lists a learner's certificates, newest first.
func (s *Store) CertificatesOf(ctx context.Context, userID string) ([]store.Certificate, error) {
	l, err := findAll[store.Certificate](ctx, s.certificates(), bson.M{"user_id": userID},
		options.Find().SetSort(bson.D{{Key: "issued_at", Value: -1}, {Key: "status_index", Value: -1}, {Key: "_id", Value: 1}}))
	return l, wrap(err, "certificates of %s", userID)
}

// TeamCertificates lists the certificates earned in a team, oldest
// first; at one instant, in the order they were issued (status indexes
// are allocated in that order).
func (s *Store) TeamCertificates(ctx context.Context, teamID string, validOnly bool, p store.Page) ([]store.Certificate, error) {
	filter := bson.M{"team_id": teamID}
	if validOnly {
		filter["status"] = store.CertValid
	}
	l, err := findAll[store.Certificate](ctx, s.certificates(), filter,
		paged(p, bson.D{{Key: "issued_at", Value: 1}, {Key: "status_index", Value: 1}, {Key: "_id", Value: 1}}))
	return l, wrap(err, "certificates of team %s", teamID)
}

// RevokedIndexes lists the status-list positions of revoked certificates,
// ascending.
func (s *Store) RevokedIndexes(ctx context.Context) ([]int, error) {
	list, err := findAll[store.Certificate](ctx, s.certificates(), bson.M{"status": store.CertRevoked},
		options.Find().SetProjection(bson.M{"status_index": 1}).SetSort(bson.D{{Key: "status_index", Value: 1}}))
	if err != nil {
		return nil, fmt.Errorf("revoked indexes: %w", err)
	}
	out := make([]int, len(list))
	for i, c := range list {
		out[i] = c.StatusIndex
	}
	return out, nil
}

// AllocateStatusIndex reserves a position in the revocation status list
// that no other certificate holds: the unique "status_index:n" decision
// makes it this caller's alone (kept for good); the counter only suggests
// where to start looking, so that it may lag or, on FerretDB whose $max
// is a read then a write, even step back.
func (s *Store) AllocateStatusIndex(ctx context.Context) (int, error) {
	var doc struct {
		N int `bson:"n"`
	}
	err := s.coll("counters").FindOne(ctx, bson.M{"_id": "status_index"}).Decode(&doc)
	if err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
		return 0, fmt.Errorf("status index counter: %w", err)
	}
	for n := doc.N; ; n++ {
		_, err := s.decisions().InsertOne(ctx, bson.M{"_id": statusIndexKey(n), "kind": kindStatusIndex})
		if mongo.IsDuplicateKeyError(err) {
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("claim status index %d: %w", n, err)
		}
		if err := store.Step(ctx, "mongodb.AllocateStatusIndex.claimed"); err != nil {
			return 0, err
		}
		return n, s.advanceStatusCounter(ctx, n+1)
	}
}

func statusIndexKey(n int) string { return fmt.Sprintf("status_index:%d", n) }

func (s *Store) advanceStatusCounter(ctx context.Context, next int) error {
	return wrap(retryRace(func() error {
		_, err := s.coll("counters").UpdateOne(ctx, bson.M{"_id": "status_index"},
			bson.M{"$max": bson.M{"n": next}}, options.UpdateOne().SetUpsert(true))
		return err
	}), "advance status index counter")
}

// RevokeCertificate records r as "revoke:"+code, then applies it. A
// second or concurrent call, or the retry after a crash, applies the
// stored revocation again and returns it with false.
func (s *Store) RevokeCertificate(ctx context.Context, r *store.Revocation) (*store.Revocation, bool, error) {
	cert, err := s.Certificate(ctx, r.Code)
	if err != nil {
		return nil, false, fmt.Errorf("revoke: %w", err)
	}
	key := "revoke:" + r.Code
	stored, err := readDecision[store.Revocation](ctx, s, key)
	switch {
	case err == nil:
		return stored, false, s.applyRevocation(ctx, stored)
	case !errors.Is(err, store.ErrNotFound):
		return nil, false, fmt.Errorf("revoke %s: %w", r.Code, err)
	case cert.Status != store.CertValid:
		// Revoked by other means (ScrubCertificates, or an import): there
		// is no decision to finish; tell what the certificate says.
		got, err := s.revocationOf(ctx, cert)
		return got, false, err
	}
	stored, first, err := decide(ctx, s, key, kindRevoke, cert.UserID, nil, *r)
	if err != nil {
		return nil, false, fmt.Errorf("revoke %s: %w", r.Code, err)
	}
	if first {
		if err := store.Step(ctx, "mongodb.RevokeCertificate.decided"); err != nil {
			return nil, false, err
		}
	}
	return stored, first, s.applyRevocation(ctx, stored)
}

// applyRevocation makes the certificates say what r decided. Every write
// is idempotent, so it may run any number of times, concurrently.
func (s *Store) applyRevocation(ctx context.Context, r *store.Revocation) error {
	set := bson.M{"status": store.CertRevoked, "revoked_at": r.At, "revoke_reason": r.Reason}
	if r.Replacement != nil {
		set["replaced_by"] = r.Replacement.Code
	}
	// Only a valid one: a certificate scrubbed meanwhile keeps its reason.
	if _, err := s.certificates().UpdateOne(ctx, bson.M{"_id": r.Code, "status": store.CertValid}, bson.M{"$set": set}); err != nil {
		return fmt.Errorf("revoke %s: %w", r.Code, err)
	}
	next := r.Replacement
	if next == nil {
		return nil
	}
	if err := store.Step(ctx, "mongodb.RevokeCertificate.revoked"); err != nil {
		return err
	}
	if err := s.insertCertificate(ctx, next); err != nil {
		return err
	}
	if next.UserID == "" {
		return nil // a holder erased meanwhile has no slot
	}
	if err := store.Step(ctx, "mongodb.RevokeCertificate.replaced"); err != nil {
		return err
	}
	id := store.ProgressID(next.UserID, next.Course)
	_, err := s.slots().UpdateOne(ctx, bson.M{"_id": id, "code": bson.M{"$in": bson.A{r.Code, next.Code}}},
		bson.M{"$set": bson.M{"code": next.Code, "cert": next}})
	return wrap(err, "move certificate slot %s", id)
}

// revocationOf describes a certificate revoked without a decision.
func (s *Store) revocationOf(ctx context.Context, c *store.Certificate) (*store.Revocation, error) {
	r := &store.Revocation{Code: c.Code, Reason: c.RevokeReason}
	if c.RevokedAt != nil {
		r.At = *c.RevokedAt
	}
	if c.ReplacedBy != "" {
		next, err := s.Certificate(ctx, c.ReplacedBy)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		r.Replacement = next
	}
	return r, nil
}

// ScrubCertificates revokes a person's valid certificates at their
// request and erases the name and the link to the person from all of
// them, and from the bookkeeping that copies them (slots, decisions). The
// link goes last: a run cut short is found again by it and finished.
func (s *Store) ScrubCertificates(ctx context.Context, userID string, at time.Time) ([]string, error) {
	if userID == "" {
		return nil, nil // "" is every scrubbed certificate's holder
	}
	valid, err := findAll[store.Certificate](ctx, s.certificates(), bson.M{"user_id": userID, "status": store.CertValid},
		options.Find().SetProjection(bson.M{"_id": 1}).SetSort(bson.D{{Key: "issued_at", Value: 1}, {Key: "_id", Value: 1}}))
	if err != nil {
		return nil, fmt.Errorf("certificates of %s: %w", userID, err)
	}
	codes := make([]string, len(valid))
	for i, c := range valid {
		codes[i] = c.Code
	}
	if len(codes) > 0 {
		if _, err := s.certificates().UpdateMany(ctx, bson.M{"_id": bson.M{"$in": codes}, "status": store.CertValid},
			bson.M{"$set": bson.M{"status": store.CertRevoked, "revoked_at": at, "revoke_reason": store.ReasonRequest}}); err != nil {
			return nil, fmt.Errorf("revoke certificates of %s: %w", userID, err)
		}
		if err := store.Step(ctx, "mongodb.ScrubCertificates.revoked"); err != nil {
			return nil, err
		}
	}
	// Decisions carrying the person's certificates (a replacement, a
	// takeover) go: every certificate of theirs is revoked now, and a
	// retried revocation is answered from the certificate instead.
	if _, err := s.decisions().DeleteMany(ctx, bson.M{"user_id": userID}); err != nil {
		return nil, fmt.Errorf("delete decisions of %s: %w", userID, err)
	}
	if err := store.Step(ctx, "mongodb.ScrubCertificates.decisions"); err != nil {
		return nil, err
	}
	// Slots' ids are "user/course": the range is the user's slots.
	if _, err := s.slots().DeleteMany(ctx, bson.M{"_id": bson.M{"$gte": userID + "/", "$lt": userID + "0"}}); err != nil {
		return nil, fmt.Errorf("delete certificate slots of %s: %w", userID, err)
	}
	if err := store.Step(ctx, "mongodb.ScrubCertificates.slots"); err != nil {
		return nil, err
	}
	if _, err := s.certificates().UpdateMany(ctx, bson.M{"user_id": userID},
		bson.M{"$set": bson.M{"holder": "", "show_full_name": false, "user_id": ""}}); err != nil {
		return nil, fmt.Errorf("scrub certificates of %s: %w", userID, err)
	}
	return codes, nil
}

// SetShowFullName records the holder's choice; ErrNotFound if c is not
// userID's.
func (s *Store) SetShowFullName(ctx context.Context, userID, code string, show bool) error {
	r, err := s.certificates().UpdateOne(ctx, bson.M{"_id": code, "user_id": userID}, bson.M{"$set": bson.M{"show_full_name": show}})
	if err != nil {
		return fmt.Errorf("show full name on %s: %w", code, err)
	}
	if r.MatchedCount == 0 {
		return fmt.Errorf("show full name on %s: %w", code, store.ErrNotFound)
	}
	return nil
}
