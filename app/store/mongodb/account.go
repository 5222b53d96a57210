package store

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// AttemptsOf lists a learner's attempts, for their copy of their data.
func (s *Store) AttemptsOf(ctx context.Context, userID string) ([]Attempt, error) {
	return findAll[Attempt](ctx, s.attempts(), bson.M{"user_id": userID})
}

// DeleteUser erases a person at their request (Luật 91/2025/QH15): the
// account, sessions, progress, attempts and reset codes go; certificates
// are revoked "at the holder's request" and keep no name, so a paper
// already handed out reads as withdrawn rather than as never issued.
func (s *Store) DeleteUser(ctx context.Context, userID string, at time.Time) error {
	if _, err := s.certificates().UpdateMany(ctx, bson.M{"user_id": userID, "status": CertValid},
		bson.M{"$set": bson.M{"status": CertRevoked, "revoked_at": at, "revoke_reason": ReasonRequest}}); err != nil {
		return fmt.Errorf("revoke certificates: %w", err)
	}
	if _, err := s.certificates().UpdateMany(ctx, bson.M{"user_id": userID},
		bson.M{"$set": bson.M{"holder": "", "show_full_name": false, "user_id": ""}}); err != nil {
		return fmt.Errorf("scrub certificates: %w", err)
	}
	for _, c := range []struct {
		coll  string
		field string
	}{{"sessions", "user_id"}, {"progress", "user_id"}, {"attempts", "user_id"}, {"resets", "_id"}, {"users", "_id"}} {
		if _, err := s.coll(c.coll).DeleteMany(ctx, bson.M{c.field: userID}); err != nil {
			return fmt.Errorf("delete %s: %w", c.coll, err)
		}
	}
	_, err := s.coll("cert_slots").DeleteMany(ctx, bson.M{"_id": bson.M{"$regex": "^" + userID + "/"}})
	return err
}

// LeaveTeam takes a person out of their team.
func (s *Store) LeaveTeam(ctx context.Context, userID string) error {
	return s.updateByID(ctx, s.users(), userID, bson.M{"$unset": bson.M{"team_id": ""}})
}
