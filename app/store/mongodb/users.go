package mongodb

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"kynangso/app/store"
)

func (s *Store) users() *mongo.Collection { return s.coll("users") }

var usersIndexes = []mongo.IndexModel{
	unique("phone"),                        // one account per phone; UserByPhone
	index("team_id", "name_folded", "_id"), // TeamMembers, in its order; TeamCounts
	index("role"),                          // CountAdmins
}

// CreateUser inserts u; ErrDuplicate when the phone (or id) is taken.
func (s *Store) CreateUser(ctx context.Context, u *store.User) error {
	_, err := s.users().InsertOne(ctx, u)
	return wrap(duplicate(err), "create user")
}

// UserByID returns a user.
func (s *Store) UserByID(ctx context.Context, id string) (*store.User, error) {
	u, err := findOne[store.User](ctx, s.users(), bson.M{"_id": id})
	return u, wrap(err, "user %s", id)
}

// UserByPhone returns the user with a normalised phone number.
func (s *Store) UserByPhone(ctx context.Context, phone string) (*store.User, error) {
	u, err := findOne[store.User](ctx, s.users(), bson.M{"phone": phone})
	return u, wrap(err, "user by phone")
}

// UsersByIDs returns the users that exist among ids, in one query.
func (s *Store) UsersByIDs(ctx context.Context, ids []string) (map[string]*store.User, error) {
	out := map[string]*store.User{}
	if len(ids) == 0 {
		return out, nil
	}
	list, err := findAll[store.User](ctx, s.users(), bson.M{"_id": bson.M{"$in": ids}})
	if err != nil {
		return nil, fmt.Errorf("users by ids: %w", err)
	}
	for i := range list {
		out[list[i].ID] = &list[i]
	}
	return out, nil
}

// SetUserRole changes a user's role.
func (s *Store) SetUserRole(ctx context.Context, id, role string) error {
	return wrap(s.updateByID(ctx, s.users(), id, bson.M{"$set": bson.M{"role": role}}), "set role of %s", id)
}

// SetUserTeam puts a user in a team.
func (s *Store) SetUserTeam(ctx context.Context, id, teamID string) error {
	// Another team's household means nothing in this one.
	r, err := s.users().UpdateOne(ctx, bson.M{"_id": id, "team_id": bson.M{"$ne": teamID}},
		bson.M{"$set": bson.M{"team_id": teamID}, "$unset": bson.M{"household": ""}})
	if err == nil && r.MatchedCount == 0 {
		_, err = findOne[store.User](ctx, s.users(), bson.M{"_id": id})
	}
	return wrap(err, "set team of %s", id)
}

// LeaveTeam takes a person out of their team.
func (s *Store) LeaveTeam(ctx context.Context, id string) error {
	return wrap(s.updateByID(ctx, s.users(), id, bson.M{"$unset": bson.M{"team_id": "", "household": ""}}), "leave team %s", id)
}

// SetUserName corrects a user's name.
func (s *Store) SetUserName(ctx context.Context, id, name, folded string) error {
	return wrap(s.updateByID(ctx, s.users(), id, bson.M{"$set": bson.M{"name": name, "name_folded": folded}}), "set name of %s", id)
}

// SetPassword replaces a user's password hash.
func (s *Store) SetPassword(ctx context.Context, id, hash string) error {
	return wrap(s.updateByID(ctx, s.users(), id, bson.M{"$set": bson.M{"password_hash": hash}}), "set password of %s", id)
}

// TouchUser records activity; $max so that a slow request finishing late
// never moves LastActive backwards.
func (s *Store) TouchUser(ctx context.Context, id string, at time.Time) error {
	return wrap(s.updateByID(ctx, s.users(), id, bson.M{"$max": bson.M{"last_active": at}}), "touch user %s", id)
}

// TeamMembers lists a team's members by folded name, then id.
func (s *Store) TeamMembers(ctx context.Context, teamID string, p store.Page) ([]store.User, error) {
	l, err := findAll[store.User](ctx, s.users(), bson.M{"team_id": teamID},
		paged(p, bson.D{{Key: "name_folded", Value: 1}, {Key: "_id", Value: 1}}))
	return l, wrap(err, "members of team %s", teamID)
}

// CountAdmins counts administrators.
func (s *Store) CountAdmins(ctx context.Context) (int64, error) {
	n, err := s.users().CountDocuments(ctx, bson.M{"role": store.RoleAdmin})
	return n, wrap(err, "count admins")
}

// DeleteUserData erases a person's own records, the user record last so
// that a run cut short is found and finished by the next (the caller
// still knows the id). Certificates are ScrubCertificates' business.
func (s *Store) DeleteUserData(ctx context.Context, userID string) error {
	steps := []struct {
		coll   *mongo.Collection
		filter bson.M
	}{
		{s.sessions(), bson.M{"user_id": userID}},
		{s.progress(), bson.M{"user_id": userID}},
		{s.attempts(), bson.M{"user_id": userID}},
		{s.confirmations(), bson.M{"user_id": userID}},
		// A grading decision carries the answers given.
		{s.decisions(), bson.M{"user_id": userID, "kind": kindSubmit}},
		{s.resets(), bson.M{"_id": userID}},
		{s.users(), bson.M{"_id": userID}},
	}
	for i, st := range steps {
		if _, err := st.coll.DeleteMany(ctx, st.filter); err != nil {
			return fmt.Errorf("delete %s of %s: %w", st.coll.Name(), userID, err)
		}
		if i < len(steps)-1 {
			if err := store.Step(ctx, "mongodb.DeleteUserData."+st.coll.Name()); err != nil {
				return err
			}
		}
	}
	return nil
}
