package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Reasons for revoking a certificate. The public sees the reason by its
// fixed wording; an admin's free-text note goes to the audit log only, since
// it may name people.
const (
	ReasonError    = "error"
	ReasonFraud    = "fraud"
	ReasonRequest  = "request"
	ReasonOther    = "other"
	ReasonReplaced = "replaced"
)

// RevokeReasons are the reasons an admin may choose.
var RevokeReasons = []string{ReasonError, ReasonFraud, ReasonRequest, ReasonOther}

// Certificate statuses.
const (
	CertValid   = "valid"
	CertRevoked = "revoked"
)

// Certificate is an issued certificate. Its _id is its code, without dashes.
type Certificate struct {
	Code         string     `bson:"_id"`
	UserID       string     `bson:"user_id"`
	Course       string     `bson:"course"`
	Holder       string     `bson:"holder"` // the name as printed
	Score        int        `bson:"score"`
	IssuedAt     time.Time  `bson:"issued_at"`
	TeamID       string     `bson:"team_id,omitempty"`
	TeamName     string     `bson:"team_name,omitempty"`
	Commune      string     `bson:"commune,omitempty"` // commune code where earned
	Status       string     `bson:"status"`
	RevokedAt    *time.Time `bson:"revoked_at,omitempty"`
	RevokeReason string     `bson:"revoke_reason,omitempty"`
	ReplacedBy   string     `bson:"replaced_by,omitempty"`
	ShowFullName bool       `bson:"show_full_name"`
	StatusIndex  int        `bson:"status_index"`
}

func (s *Store) certificates() *mongoColl { return s.coll("certificates") }

// certSlot holds, per learner and course, the code of the certificate in
// force: its _id makes "once per learner and course" a unique key without
// a transaction.
type certSlot struct {
	ID      string    `bson:"_id"`
	Code    string    `bson:"code"`
	Created time.Time `bson:"created"`
}

// ErrBusy says another request is issuing the same certificate right now.
var ErrBusy = errors.New("certificate being issued")

// slotTakeover is how long a slot may point to a certificate that was
// never written (its issue failed half-way) before another issue takes it.
const slotTakeover = time.Minute

// IssueCertificate issues c unless the learner already holds one for the
// course, in which case it returns that one and false. A certificate
// revoked without replacement before earnedAt (a later pass) gives way to
// a new one; an older pass never brings a revoked certificate back.
func (s *Store) IssueCertificate(ctx context.Context, c *Certificate, earnedAt time.Time) (*Certificate, bool, error) {
	slots := s.coll("cert_slots")
	id := progressID(c.UserID, c.Course)
	for range 20 {
		_, err := slots.InsertOne(ctx, certSlot{ID: id, Code: c.Code, Created: c.IssuedAt})
		if err == nil {
			return c, true, s.insertCertificate(ctx, c)
		}
		if duplicate(err) != ErrDuplicate {
			return nil, false, err
		}
		slot, err := findOne[certSlot](ctx, slots, bson.M{"_id": id})
		if err != nil {
			return nil, false, err
		}
		got, err := s.Certificate(ctx, slot.Code)
		switch {
		case err == nil && (got.Status == CertValid || got.ReplacedBy != "" || !got.RevokedAt.Before(earnedAt)):
			return got, false, nil
		case err == nil, errors.Is(err, ErrNotFound) && c.IssuedAt.Sub(slot.Created) > slotTakeover:
			// Revoked before this pass, or abandoned: take the slot over,
			// only if no one else did meanwhile.
			won, err := s.claim(ctx, "slot:"+id+":"+slot.Code)
			if err != nil {
				return nil, false, err
			}
			if won {
				if _, err := slots.UpdateOne(ctx, bson.M{"_id": id}, bson.M{"$set": bson.M{"code": c.Code, "created": c.IssuedAt}}); err != nil {
					return nil, false, err
				}
				return c, true, s.insertCertificate(ctx, c)
			}
		case errors.Is(err, ErrNotFound):
			// Another request holds the slot and is writing its certificate.
			time.Sleep(25 * time.Millisecond)
		default:
			return nil, false, err
		}
	}
	return nil, false, ErrBusy
}

func (s *Store) insertCertificate(ctx context.Context, c *Certificate) error {
	idx, err := s.nextStatusIndex(ctx)
	if err != nil {
		return err
	}
	c.StatusIndex = idx
	_, err = s.certificates().InsertOne(ctx, c)
	return duplicate(err)
}

// Certificate returns a certificate by its code (no dashes).
func (s *Store) Certificate(ctx context.Context, code string) (*Certificate, error) {
	return findOne[Certificate](ctx, s.certificates(), bson.M{"_id": code})
}

// CertificatesOf lists a learner's certificates, newest first.
func (s *Store) CertificatesOf(ctx context.Context, userID string) ([]Certificate, error) {
	return findAll[Certificate](ctx, s.certificates(), bson.M{"user_id": userID},
		options.Find().SetSort(bson.D{{Key: "issued_at", Value: -1}}))
}

// TeamCertificates lists the certificates earned in a team.
func (s *Store) TeamCertificates(ctx context.Context, teamID string) ([]Certificate, error) {
	return findAll[Certificate](ctx, s.certificates(), bson.M{"team_id": teamID},
		options.Find().SetSort(bson.D{{Key: "issued_at", Value: 1}}))
}

// RevokedIndexes lists the status-list positions of revoked certificates.
func (s *Store) RevokedIndexes(ctx context.Context) ([]int, error) {
	list, err := findAll[Certificate](ctx, s.certificates(), bson.M{"status": CertRevoked},
		options.Find().SetProjection(bson.M{"status_index": 1}))
	if err != nil {
		return nil, err
	}
	out := make([]int, len(list))
	for i, c := range list {
		out[i] = c.StatusIndex
	}
	return out, nil
}

// RevokeCertificate marks a valid certificate revoked; ErrNotFound when it
// does not exist or is already revoked.
func (s *Store) RevokeCertificate(ctx context.Context, code, reason, replacedBy string, at time.Time) error {
	if ok, err := s.claim(ctx, "revoke:"+code); err != nil {
		return err
	} else if !ok {
		return ErrNotFound
	}
	set := bson.M{"status": CertRevoked, "revoked_at": at, "revoke_reason": reason}
	if replacedBy != "" {
		set["replaced_by"] = replacedBy
	}
	r, err := s.certificates().UpdateOne(ctx, bson.M{"_id": code, "status": CertValid}, bson.M{"$set": set})
	if err != nil {
		return err
	}
	if r.MatchedCount == 0 {
		return ErrNotFound
	}
	return nil
}

// ReplaceCertificate issues next in place of old, for a name correction.
// The old one is revoked first, on condition it is still valid, so a
// second click finds it revoked (ErrNotFound) and issues nothing.
func (s *Store) ReplaceCertificate(ctx context.Context, old *Certificate, next *Certificate, reason string, at time.Time) error {
	if err := s.RevokeCertificate(ctx, old.Code, reason, next.Code, at); err != nil {
		return err
	}
	if err := s.insertCertificate(ctx, next); err != nil {
		return err
	}
	_, err := s.coll("cert_slots").UpdateOne(ctx, bson.M{"_id": progressID(old.UserID, old.Course)}, bson.M{"$set": bson.M{"code": next.Code, "created": at}})
	return err
}

// SetShowFullName records the holder's choice for the verification page.
func (s *Store) SetShowFullName(ctx context.Context, userID, code string, show bool) error {
	r, err := s.certificates().UpdateOne(ctx, bson.M{"_id": code, "user_id": userID}, bson.M{"$set": bson.M{"show_full_name": show}})
	if err != nil {
		return err
	}
	if r.MatchedCount == 0 {
		return ErrNotFound
	}
	return nil
}

// nextStatusIndex allocates a position in the revocation status list that
// no other certificate holds. A counter suggests where to start; the claim
// makes the position this certificate's alone even when two issues race
// (the embedded store's $inc is not atomic under concurrency).
func (s *Store) nextStatusIndex(ctx context.Context) (int, error) {
	var doc struct {
		N int `bson:"n"`
	}
	err := s.coll("counters").FindOne(ctx, bson.M{"_id": "status_index"}).Decode(&doc)
	if err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
		return 0, err
	}
	for n := doc.N; ; n++ {
		won, err := s.claim(ctx, fmt.Sprintf("status_index:%d", n))
		if err != nil {
			return 0, err
		}
		if won {
			err := retryRace(func() error {
				_, err := s.coll("counters").UpdateOne(ctx, bson.M{"_id": "status_index"}, bson.M{"$max": bson.M{"n": n + 1}}, options.UpdateOne().SetUpsert(true))
				return err
			})
			return n, err
		}
	}
}
