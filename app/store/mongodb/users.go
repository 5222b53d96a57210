package store

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// Roles. A leader is a learner who leads a team; the role is stored so that
// route checks need no extra query.
const (
	RoleLearner = "learner"
	RoleLeader  = "leader"
	RoleAdmin   = "admin"
)

// User is a registered person.
type User struct {
	ID           string    `bson:"_id"`
	Name         string    `bson:"name"` // as typed, NFC
	NameFolded   string    `bson:"name_folded"`
	Phone        string    `bson:"phone"` // normalised 0xxxxxxxxx
	PasswordHash string    `bson:"password_hash"`
	Role         string    `bson:"role"`
	Province     string    `bson:"province"`
	Commune      string    `bson:"commune"`
	TeamID       string    `bson:"team_id,omitempty"`
	Consent      Consent   `bson:"consent"`
	Created      time.Time `bson:"created"`
	LastActive   time.Time `bson:"last_active"`
}

// Consent records what the person agreed to and when (Luật 91/2025/QH15).
type Consent struct {
	Version string    `bson:"version"`
	At      time.Time `bson:"at"`
}

func (s *Store) users() *mongoColl { return s.coll("users") }

// CreateUser inserts u; ErrDuplicate when the phone is taken.
func (s *Store) CreateUser(ctx context.Context, u *User) error {
	_, err := s.users().InsertOne(ctx, u)
	return duplicate(err)
}

// UserByID returns a user.
func (s *Store) UserByID(ctx context.Context, id string) (*User, error) {
	return findOne[User](ctx, s.users(), bson.M{"_id": id})
}

// UserByPhone returns the user with a normalised phone number.
func (s *Store) UserByPhone(ctx context.Context, phone string) (*User, error) {
	return findOne[User](ctx, s.users(), bson.M{"phone": phone})
}

// SetUserRole changes a user's role.
func (s *Store) SetUserRole(ctx context.Context, id, role string) error {
	return s.updateByID(ctx, s.users(), id, bson.M{"$set": bson.M{"role": role}})
}

// SetUserTeam puts a user in a team.
func (s *Store) SetUserTeam(ctx context.Context, id, teamID string) error {
	return s.updateByID(ctx, s.users(), id, bson.M{"$set": bson.M{"team_id": teamID}})
}

// SetUserName corrects a user's name.
func (s *Store) SetUserName(ctx context.Context, id, name, folded string) error {
	return s.updateByID(ctx, s.users(), id, bson.M{"$set": bson.M{"name": name, "name_folded": folded}})
}

// SetPassword replaces a user's password hash.
func (s *Store) SetPassword(ctx context.Context, id, hash string) error {
	return s.updateByID(ctx, s.users(), id, bson.M{"$set": bson.M{"password_hash": hash}})
}

// TouchUser records activity.
func (s *Store) TouchUser(ctx context.Context, id string, at time.Time) error {
	return s.updateByID(ctx, s.users(), id, bson.M{"$set": bson.M{"last_active": at}})
}

// TeamMembers lists a team's members by name.
func (s *Store) TeamMembers(ctx context.Context, teamID string) ([]User, error) {
	return findAll[User](ctx, s.users(), bson.M{"team_id": teamID})
}

// CountAdmins counts administrators.
func (s *Store) CountAdmins(ctx context.Context) (int64, error) {
	return s.users().CountDocuments(ctx, bson.M{"role": RoleAdmin})
}
