package mongodb

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"kynangso/app/store"
)

func (s *Store) teams() *mongo.Collection { return s.coll("teams") }

var teamsIndexes = []mongo.IndexModel{
	index("leader_id"),       // TeamsLedBy
	index("-created", "_id"), // Teams, newest first
}

// CreateTeam inserts a team; ErrDuplicate when its code is taken.
func (s *Store) CreateTeam(ctx context.Context, t *store.Team) error {
	_, err := s.teams().InsertOne(ctx, t)
	return wrap(duplicate(err), "create team")
}

// Team returns a team by its code.
func (s *Store) Team(ctx context.Context, id string) (*store.Team, error) {
	t, err := findOne[store.Team](ctx, s.teams(), bson.M{"_id": id})
	return t, wrap(err, "team %s", id)
}

// Teams lists teams, newest first.
func (s *Store) Teams(ctx context.Context, p store.Page) ([]store.Team, error) {
	l, err := findAll[store.Team](ctx, s.teams(), bson.M{},
		paged(p, bson.D{{Key: "created", Value: -1}, {Key: "_id", Value: 1}}))
	return l, wrap(err, "teams")
}

// CountTeams counts teams.
func (s *Store) CountTeams(ctx context.Context) (int64, error) {
	n, err := s.teams().CountDocuments(ctx, bson.M{})
	return n, wrap(err, "count teams")
}

// TeamsLedBy lists the teams a user leads.
func (s *Store) TeamsLedBy(ctx context.Context, userID string) ([]store.Team, error) {
	l, err := findAll[store.Team](ctx, s.teams(), bson.M{"leader_id": userID},
		options.Find().SetSort(bson.D{{Key: "created", Value: 1}, {Key: "_id", Value: 1}}))
	return l, wrap(err, "teams led by %s", userID)
}

// SetTeamLeader appoints a leader and clears any leader awaited by phone.
func (s *Store) SetTeamLeader(ctx context.Context, teamID, userID string) error {
	return wrap(s.updateByID(ctx, s.teams(), teamID, bson.M{"$set": bson.M{"leader_id": userID},
		"$unset": bson.M{"leader_phone": "", "leader_await": ""}}), "set leader of %s", teamID)
}

// TeamCounts counts the members and valid certificates of the teams in
// ids: one aggregation per collection, whatever the number of teams.
func (s *Store) TeamCounts(ctx context.Context, ids []string) (map[string]store.TeamCounts, error) {
	out := map[string]store.TeamCounts{}
	if len(ids) == 0 {
		return out, nil
	}
	members, err := countByTeam(ctx, s.users(), bson.M{"team_id": bson.M{"$in": ids}})
	if err != nil {
		return nil, fmt.Errorf("count members: %w", err)
	}
	certs, err := countByTeam(ctx, s.certificates(), bson.M{"team_id": bson.M{"$in": ids}, "status": store.CertValid})
	if err != nil {
		return nil, fmt.Errorf("count certificates: %w", err)
	}
	for id, n := range members {
		c := out[id]
		c.Members = n
		out[id] = c
	}
	for id, n := range certs {
		c := out[id]
		c.Certificates = n
		out[id] = c
	}
	return out, nil
}

func countByTeam(ctx context.Context, c *mongo.Collection, match bson.M) (map[string]int64, error) {
	cur, err := c.Aggregate(ctx, mongo.Pipeline{
		{{Key: "$match", Value: match}},
		{{Key: "$group", Value: bson.D{{Key: "_id", Value: "$team_id"}, {Key: "n", Value: bson.D{{Key: "$sum", Value: 1}}}}}},
	})
	if err != nil {
		return nil, err
	}
	var rows []struct {
		Team string `bson:"_id"`
		N    int64  `bson:"n"`
	}
	if err := cur.All(ctx, &rows); err != nil {
		return nil, err
	}
	out := make(map[string]int64, len(rows))
	for _, r := range rows {
		out[r.Team] = r.N
	}
	return out, nil
}
