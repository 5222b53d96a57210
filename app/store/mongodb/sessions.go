package mongodb

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"kynangso/app/store"
)

func (s *Store) sessions() *mongo.Collection { return s.coll("sessions") }

var sessionsIndexes = []mongo.IndexModel{
	index("user_id"),    // DeleteUserSessions
	expiring("expires"), // MongoDB drops ended sessions itself
}

// CreateSession stores a session.
func (s *Store) CreateSession(ctx context.Context, ss *store.Session) error {
	_, err := s.sessions().InsertOne(ctx, ss)
	return wrap(duplicate(err), "create session")
}

// SessionByID returns a session live at now.
func (s *Store) SessionByID(ctx context.Context, id string, now time.Time) (*store.Session, error) {
	ss, err := findOne[store.Session](ctx, s.sessions(), bson.M{"_id": id})
	if err != nil {
		return nil, wrap(err, "session")
	}
	if now.After(ss.Expires) {
		return nil, wrap(store.ErrNotFound, "session expired")
	}
	return ss, nil
}

// SessionUser reads a live session, then its user (two reads: MongoDB
// keeps them apart, keyed for sharding by session and by person).
func (s *Store) SessionUser(ctx context.Context, id string, now time.Time) (*store.Session, *store.User, error) {
	ss, err := s.SessionByID(ctx, id, now)
	if err != nil {
		return nil, nil, err
	}
	u, err := s.UserByID(ctx, ss.UserID)
	if err != nil {
		return nil, nil, err
	}
	return ss, u, nil
}

// DeleteSession ends a session.
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	_, err := s.sessions().DeleteOne(ctx, bson.M{"_id": id})
	return wrap(err, "delete session")
}

// DeleteUserSessions ends every session of a user, after a password reset.
func (s *Store) DeleteUserSessions(ctx context.Context, userID string) error {
	_, err := s.sessions().DeleteMany(ctx, bson.M{"user_id": userID})
	return wrap(err, "delete sessions of %s", userID)
}
