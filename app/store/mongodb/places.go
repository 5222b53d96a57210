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

// Teams awaited, by commune and province

var placeTeamsIndexes = []mongo.IndexModel{
	index("leader_phone"),                // ClaimTeams
	index("commune", "name", "_id"),      // TeamsIn
	index("province", "commune", "name"), // TeamsOfProvince
}

// AwaitTeamLeader appoints by phone a leader who has not signed up yet.
// Each appointment gets a fresh leader_await, which names the claim
// decision (ClaimTeams): a phone awaited again after a claim is claimed
// afresh.
func (s *Store) AwaitTeamLeader(ctx context.Context, teamID, phone string) error {
	return wrap(s.updateByID(ctx, s.teams(), teamID, bson.M{"$set": bson.M{"leader_id": "", "leader_phone": phone, "leader_await": store.NewID()}}),
		"await leader of %s", teamID)
}

// awaitingTeam is a team as stored, with the appointment it awaits under.
type awaitingTeam struct {
	store.Team `bson:",inline"`
	Await      string `bson:"leader_await,omitempty"`
}

// ClaimTeams hands every team awaiting phone to userID. A conditional
// update alone cannot do it once (FerretDB applies it as a read then a
// write: two registrations at once would both match), so the claim of
// each appointment is decided first by a unique insert naming the
// claimer; only the claimer applies it, and her retry after a crash
// finishes it.
func (s *Store) ClaimTeams(ctx context.Context, phone, userID string) ([]store.Team, error) {
	out := []store.Team{}
	if phone == "" {
		return out, nil
	}
	waiting, err := findAll[awaitingTeam](ctx, s.teams(), bson.M{"leader_phone": phone})
	if err != nil {
		return nil, fmt.Errorf("teams awaiting a leader: %w", err)
	}
	for _, t := range waiting {
		key := kindClaim + ":" + t.ID + ":" + phone + ":" + t.Await
		who, _, err := decide(ctx, s, key, kindClaim, userID, keepUntil(), userID)
		if err != nil {
			return nil, fmt.Errorf("claim team %s: %w", t.ID, err)
		}
		if *who != userID {
			continue // another registration claimed it
		}
		if err := store.Step(ctx, "mongodb.ClaimTeams.apply"); err != nil {
			return nil, err
		}
		r, err := s.teams().UpdateOne(ctx, bson.M{"_id": t.ID, "leader_phone": phone},
			bson.M{"$set": bson.M{"leader_id": userID}, "$unset": bson.M{"leader_phone": "", "leader_await": ""}})
		if err != nil {
			return nil, fmt.Errorf("claim team %s: %w", t.ID, err)
		}
		if r.MatchedCount == 1 {
			tm := t.Team
			tm.LeaderID, tm.LeaderPhone = userID, ""
			out = append(out, tm)
		}
	}
	return out, nil
}

// TeamsIn lists a commune's teams by name, then code.
func (s *Store) TeamsIn(ctx context.Context, commune string, p store.Page) ([]store.Team, error) {
	l, err := findAll[store.Team](ctx, s.teams(), bson.M{"commune": commune},
		paged(p, bson.D{{Key: "name", Value: 1}, {Key: "_id", Value: 1}}))
	return l, wrap(err, "teams of %s", commune)
}

func (s *Store) CountTeamsIn(ctx context.Context, commune string) (int64, error) {
	n, err := s.teams().CountDocuments(ctx, bson.M{"commune": commune})
	return n, wrap(err, "count teams of %s", commune)
}

// TeamsOfProvince lists a province's teams by commune, then name.
func (s *Store) TeamsOfProvince(ctx context.Context, province string) ([]store.Team, error) {
	l, err := findAll[store.Team](ctx, s.teams(), bson.M{"province": province},
		options.Find().SetSort(bson.D{{Key: "commune", Value: 1}, {Key: "name", Value: 1}, {Key: "_id", Value: 1}}))
	return l, wrap(err, "teams of province %s", province)
}

func (s *Store) SetTeamHouseholds(ctx context.Context, teamID string, n int) error {
	return wrap(s.updateByID(ctx, s.teams(), teamID, bson.M{"$set": bson.M{"households": n}}), "households of %s", teamID)
}

// Households

func (s *Store) households() *mongo.Collection { return s.coll("households") }

var householdsIndexes = []mongo.IndexModel{
	index("team_id", "label", "_id"), // Households
}

func (s *Store) CreateHousehold(ctx context.Context, h *store.Household) error {
	_, err := s.households().InsertOne(ctx, h)
	return wrap(duplicate(err), "create household")
}

func (s *Store) Household(ctx context.Context, id string) (*store.Household, error) {
	h, err := findOne[store.Household](ctx, s.households(), bson.M{"_id": id})
	return h, wrap(err, "household %s", id)
}

func (s *Store) Households(ctx context.Context, teamID string) ([]store.Household, error) {
	l, err := findAll[store.Household](ctx, s.households(), bson.M{"team_id": teamID},
		options.Find().SetSort(bson.D{{Key: "label", Value: 1}, {Key: "_id", Value: 1}}).SetLimit(store.MaxLimit))
	return l, wrap(err, "households of %s", teamID)
}

func (s *Store) RenameHousehold(ctx context.Context, teamID, id, label string) error {
	r, err := s.households().UpdateOne(ctx, bson.M{"_id": id, "team_id": teamID}, bson.M{"$set": bson.M{"label": label}})
	if err == nil && r.MatchedCount == 0 {
		err = store.ErrNotFound
	}
	return wrap(err, "rename household %s", id)
}

// DeleteHousehold removes the household, then empties its members': run
// again after a crash between the two, the first finds nothing and the
// second finishes. Only teamID's members are emptied, so naming another
// team's household changes nothing.
func (s *Store) DeleteHousehold(ctx context.Context, teamID, id string) error {
	r, err := s.households().DeleteOne(ctx, bson.M{"_id": id, "team_id": teamID})
	if err != nil {
		return fmt.Errorf("delete household %s: %w", id, err)
	}
	if err := store.Step(ctx, "mongodb.DeleteHousehold.members"); err != nil {
		return err
	}
	if _, err := s.users().UpdateMany(ctx, bson.M{"household": id, "team_id": teamID}, bson.M{"$unset": bson.M{"household": ""}}); err != nil {
		return fmt.Errorf("empty household %s: %w", id, err)
	}
	if r.DeletedCount == 0 {
		return store.ErrNotFound
	}
	return nil
}

// SetUserHousehold checks the household, sets it, then checks it again: a
// DeleteHousehold that ran between the first check and the write has
// emptied its members before the write landed, so the person is taken
// back out of it here.
func (s *Store) SetUserHousehold(ctx context.Context, teamID, userID, householdID string) error {
	update := bson.M{"$unset": bson.M{"household": ""}}
	inTeam := bson.M{"_id": householdID, "team_id": teamID}
	if householdID != "" {
		if _, err := findOne[store.Household](ctx, s.households(), inTeam); err != nil {
			return wrap(err, "household %s", householdID)
		}
		update = bson.M{"$set": bson.M{"household": householdID}}
	}
	r, err := s.users().UpdateOne(ctx, bson.M{"_id": userID, "team_id": teamID}, update)
	if err == nil && r.MatchedCount == 0 {
		err = store.ErrNotFound
	}
	if err != nil || householdID == "" {
		return wrap(err, "set household of %s", userID)
	}
	if _, err := findOne[store.Household](ctx, s.households(), inTeam); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			if _, uerr := s.users().UpdateOne(ctx, bson.M{"_id": userID, "household": householdID}, bson.M{"$unset": bson.M{"household": ""}}); uerr != nil {
				return fmt.Errorf("set household of %s: %w", userID, uerr)
			}
		}
		return wrap(err, "household %s", householdID)
	}
	return nil
}

// Officials

func (s *Store) grants() *mongo.Collection { return s.coll("grants") }

var grantsIndexes = []mongo.IndexModel{
	index("phone"),                     // a person's grants, on every signed-in page that needs them
	index("province", "role", "place"), // the officials of a place
}

func (s *Store) PutGrant(ctx context.Context, g *store.Grant) (bool, error) {
	_, err := s.grants().InsertOne(ctx, g)
	if mongo.IsDuplicateKeyError(err) {
		return false, nil
	}
	return err == nil, wrap(err, "put grant %s", g.ID)
}

func (s *Store) DeleteGrant(ctx context.Context, id string) error {
	r, err := s.grants().DeleteOne(ctx, bson.M{"_id": id})
	if err == nil && r.DeletedCount == 0 {
		err = store.ErrNotFound
	}
	return wrap(err, "delete grant %s", id)
}

func (s *Store) Grants(ctx context.Context, q store.GrantQuery) ([]store.Grant, error) {
	filter := bson.M{}
	for k, v := range map[string]string{"role": q.Role, "place": q.Place, "province": q.Province, "phone": q.Phone} {
		if v != "" {
			filter[k] = v
		}
	}
	l, err := findAll[store.Grant](ctx, s.grants(), filter,
		options.Find().SetSort(bson.D{{Key: "at", Value: 1}, {Key: "_id", Value: 1}}).SetLimit(store.MaxLimit))
	return l, wrap(err, "grants")
}

// Place statistics

var placeUsersIndexes = []mongo.IndexModel{
	index("province", "commune"), // ScanPeople
	index("household"),           // DeleteHousehold
}

var placeCertificatesIndexes = []mongo.IndexModel{
	index("commune"), // ScanCertificates
}

// ScanPeople streams a province's people, only the fields counted.
func (s *Store) ScanPeople(ctx context.Context, province string, fn func(*store.PersonFact) error) error {
	filter := bson.M{}
	if province != "" {
		filter["province"] = province
	}
	cur, err := s.users().Find(ctx, filter, options.Find().SetProjection(bson.M{
		"province": 1, "commune": 1, "team_id": 1, "household": 1, "created": 1, "last_active": 1}))
	if err != nil {
		return fmt.Errorf("scan people: %w", err)
	}
	defer cur.Close(ctx)
	var row struct {
		ID         string    `bson:"_id"`
		Province   string    `bson:"province"`
		Commune    string    `bson:"commune"`
		TeamID     string    `bson:"team_id"`
		Household  string    `bson:"household"`
		Created    time.Time `bson:"created"`
		LastActive time.Time `bson:"last_active"`
	}
	for cur.Next(ctx) {
		row.TeamID, row.Household = "", ""
		if err := cur.Decode(&row); err != nil {
			return fmt.Errorf("scan people: %w", err)
		}
		p := store.PersonFact{ID: row.ID, Province: row.Province, Commune: row.Commune, TeamID: row.TeamID,
			Household: row.Household, Created: row.Created, LastActive: row.LastActive}
		if err := fn(&p); err != nil {
			return err
		}
	}
	return wrap(cur.Err(), "scan people")
}

// ScanCertificates streams the certificates earned in communes.
func (s *Store) ScanCertificates(ctx context.Context, communes []string, fn func(*store.CertFact) error) error {
	filter := bson.M{}
	if communes != nil {
		filter["commune"] = bson.M{"$in": communes}
	}
	cur, err := s.certificates().Find(ctx, filter, options.Find().SetProjection(bson.M{
		"user_id": 1, "course": 1, "commune": 1, "team_id": 1, "status": 1, "issued_at": 1}))
	if err != nil {
		return fmt.Errorf("scan certificates: %w", err)
	}
	defer cur.Close(ctx)
	var row struct {
		UserID   string    `bson:"user_id"`
		Course   string    `bson:"course"`
		Commune  string    `bson:"commune"`
		TeamID   string    `bson:"team_id"`
		Status   string    `bson:"status"`
		IssuedAt time.Time `bson:"issued_at"`
	}
	for cur.Next(ctx) {
		row.TeamID, row.Commune = "", ""
		if err := cur.Decode(&row); err != nil {
			return fmt.Errorf("scan certificates: %w", err)
		}
		c := store.CertFact{UserID: row.UserID, Course: row.Course, Commune: row.Commune, TeamID: row.TeamID,
			Status: row.Status, IssuedAt: row.IssuedAt}
		if err := fn(&c); err != nil {
			return err
		}
	}
	return wrap(cur.Err(), "scan certificates")
}

func (s *Store) snapshots() *mongo.Collection { return s.coll("snapshots") }

// PutSnapshot inserts under a unique _id: the first writer wins, and
// everyone reads back what it wrote.
func (s *Store) PutSnapshot(ctx context.Context, snap *store.Snapshot) (*store.Snapshot, error) {
	if _, err := s.snapshots().InsertOne(ctx, snap); err != nil && !mongo.IsDuplicateKeyError(err) {
		return nil, fmt.Errorf("put snapshot %s: %w", snap.ID, err)
	}
	return s.Snapshot(ctx, snap.ID)
}

func (s *Store) Snapshot(ctx context.Context, id string) (*store.Snapshot, error) {
	snap, err := findOne[store.Snapshot](ctx, s.snapshots(), bson.M{"_id": id})
	return snap, wrap(err, "snapshot %s", id)
}
