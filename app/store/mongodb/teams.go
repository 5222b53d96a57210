package store

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Team is a community digital technology team. Its _id is its join code.
type Team struct {
	ID       string    `bson:"_id"`
	Name     string    `bson:"name"`
	Province string    `bson:"province"`
	Commune  string    `bson:"commune"`
	LeaderID string    `bson:"leader_id"`
	Created  time.Time `bson:"created"`
}

func (s *Store) teams() *mongoColl { return s.coll("teams") }

// CreateTeam inserts a team; ErrDuplicate when its code is taken.
func (s *Store) CreateTeam(ctx context.Context, t *Team) error {
	_, err := s.teams().InsertOne(ctx, t)
	return duplicate(err)
}

// Team returns a team by its code.
func (s *Store) Team(ctx context.Context, id string) (*Team, error) {
	return findOne[Team](ctx, s.teams(), bson.M{"_id": id})
}

// Teams lists every team, newest first.
func (s *Store) Teams(ctx context.Context) ([]Team, error) {
	return findAll[Team](ctx, s.teams(), bson.M{}, options.Find().SetSort(bson.D{{Key: "created", Value: -1}}))
}

// TeamsLedBy lists the teams a user leads.
func (s *Store) TeamsLedBy(ctx context.Context, userID string) ([]Team, error) {
	return findAll[Team](ctx, s.teams(), bson.M{"leader_id": userID})
}

// SetTeamLeader appoints a leader.
func (s *Store) SetTeamLeader(ctx context.Context, teamID, userID string) error {
	return s.updateByID(ctx, s.teams(), teamID, bson.M{"$set": bson.M{"leader_id": userID}})
}

// TeamCounts returns a team's number of members and of valid certificates.
func (s *Store) TeamCounts(ctx context.Context, teamID string) (members, certs int64, err error) {
	if members, err = s.users().CountDocuments(ctx, bson.M{"team_id": teamID}); err != nil {
		return 0, 0, err
	}
	certs, err = s.certificates().CountDocuments(ctx, bson.M{"team_id": teamID, "status": CertValid})
	return members, certs, err
}
