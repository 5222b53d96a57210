package store

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

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
	ID   string `bson:"_id"`
	Code string `bson:"code"`
}

// IssueCertificate issues c unless the learner already holds one for the
// course, in which case it returns the existing one and false.
func (s *Store) IssueCertificate(ctx context.Context, c *Certificate) (*Certificate, bool, error) {
	slot := progressID(c.UserID, c.Course)
	if _, err := s.coll("cert_slots").InsertOne(ctx, certSlot{ID: slot, Code: c.Code}); err != nil {
		if duplicate(err) != ErrDuplicate {
			return nil, false, err
		}
		existing, err := findOne[certSlot](ctx, s.coll("cert_slots"), bson.M{"_id": slot})
		if err != nil {
			return nil, false, err
		}
		got, err := s.Certificate(ctx, existing.Code)
		if err == ErrNotFound {
			// The slot was taken by an issue that failed before inserting the
			// certificate: finish it with this one.
			if _, err := s.coll("cert_slots").UpdateOne(ctx, bson.M{"_id": slot}, bson.M{"$set": bson.M{"code": c.Code}}); err != nil {
				return nil, false, err
			}
			return c, true, s.insertCertificate(ctx, c)
		}
		return got, false, err
	}
	return c, true, s.insertCertificate(ctx, c)
}

func (s *Store) insertCertificate(ctx context.Context, c *Certificate) error {
	idx, err := s.nextCounter(ctx, "status_index")
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

// ReplaceCertificate issues next in place of old (revoked as replaced), for
// a name correction. The slot points to the new code.
func (s *Store) ReplaceCertificate(ctx context.Context, old *Certificate, next *Certificate, reason string, at time.Time) error {
	if err := s.insertCertificate(ctx, next); err != nil {
		return err
	}
	if _, err := s.coll("cert_slots").UpdateOne(ctx, bson.M{"_id": progressID(old.UserID, old.Course)}, bson.M{"$set": bson.M{"code": next.Code}}); err != nil {
		return err
	}
	return s.RevokeCertificate(ctx, old.Code, reason, next.Code, at)
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

// nextCounter returns the next value of a named sequence, starting at 0.
func (s *Store) nextCounter(ctx context.Context, name string) (int, error) {
	var doc struct {
		N int `bson:"n"`
	}
	err := s.coll("counters").FindOneAndUpdate(ctx, bson.M{"_id": name}, bson.M{"$inc": bson.M{"n": 1}},
		options.FindOneAndUpdate().SetUpsert(true).SetReturnDocument(options.After)).Decode(&doc)
	return doc.N - 1, err
}
