package store

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// Session is a signed-in browser. Its _id is the SHA-256 of the cookie
// value, so a leaked database does not hand out live sessions.
type Session struct {
	ID      string    `bson:"_id"`
	UserID  string    `bson:"user_id"`
	Created time.Time `bson:"created"`
	Expires time.Time `bson:"expires"`
}

func (s *Store) sessions() *mongoColl { return s.coll("sessions") }

// CreateSession stores a session.
func (s *Store) CreateSession(ctx context.Context, ss *Session) error {
	_, err := s.sessions().InsertOne(ctx, ss)
	return err
}

// SessionByID returns a live session.
func (s *Store) SessionByID(ctx context.Context, id string, now time.Time) (*Session, error) {
	ss, err := findOne[Session](ctx, s.sessions(), bson.M{"_id": id})
	if err != nil {
		return nil, err
	}
	if now.After(ss.Expires) {
		_, _ = s.sessions().DeleteOne(ctx, bson.M{"_id": id})
		return nil, ErrNotFound
	}
	return ss, nil
}

// DeleteSession ends a session.
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	_, err := s.sessions().DeleteOne(ctx, bson.M{"_id": id})
	return err
}

// DeleteUserSessions ends every session of a user, after a password reset.
func (s *Store) DeleteUserSessions(ctx context.Context, userID string) error {
	_, err := s.sessions().DeleteMany(ctx, bson.M{"user_id": userID})
	return err
}

// PruneSessions deletes expired sessions, so the collection stays small.
func (s *Store) PruneSessions(ctx context.Context, now time.Time) error {
	_, err := s.sessions().DeleteMany(ctx, bson.M{"expires": bson.M{"$lt": now}})
	return err
}
