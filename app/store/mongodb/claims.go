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

// Appointments taken up with a claim code

// ClaimGrant gives a waiting grant to userID. Only the person with the
// grant's phone ever claims it (her codes are found by her phone, and a
// phone has one account), so the conditional update needs no decision of
// its own: applied as a read then a write (FerretDB), two of her requests
// at once write the same.
func (s *Store) ClaimGrant(ctx context.Context, id, userID string) error {
	r, err := s.grants().UpdateOne(ctx, bson.M{"_id": id, "user_id": bson.M{"$in": bson.A{"", userID}}}, bson.M{"$set": bson.M{"user_id": userID}})
	if err == nil && r.MatchedCount == 0 {
		err = store.ErrNotFound
	}
	return wrap(err, "claim grant %s", id)
}

// holdLegacyGrants: grants written before claim codes name no holder.
// Those whose phone has an account were taken up already (at sign-up or
// at once) and are given to it; the rest wait for a code. A grant written
// since always has the field, so a grant that waits is never given away
// here to whoever signed up later with its phone.
func (s *Store) holdLegacyGrants(ctx context.Context) error {
	old, err := findAll[store.Grant](ctx, s.grants(), bson.M{"user_id": bson.M{"$exists": false}})
	if err != nil {
		return fmt.Errorf("grants without a holder: %w", err)
	}
	for _, g := range old {
		holder := ""
		if u, err := s.UserByPhone(ctx, g.Phone); err == nil {
			holder = u.ID
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if _, err := s.grants().UpdateOne(ctx, bson.M{"_id": g.ID, "user_id": bson.M{"$exists": false}}, bson.M{"$set": bson.M{"user_id": holder}}); err != nil {
			return fmt.Errorf("hold grant %s: %w", g.ID, err)
		}
	}
	return nil
}

// ClaimTeam hands the team to userID if it still awaits phone, decided
// once per appointment as ClaimTeams decides it.
func (s *Store) ClaimTeam(ctx context.Context, teamID, phone, userID string) (*store.Team, error) {
	if phone == "" {
		return nil, store.ErrNotFound
	}
	t, err := findOne[awaitingTeam](ctx, s.teams(), bson.M{"_id": teamID})
	if err != nil {
		return nil, wrap(err, "team %s", teamID)
	}
	if t.LeaderPhone != phone {
		if t.LeaderID == userID && userID != "" {
			return &t.Team, nil // claimed already, by her
		}
		return nil, store.ErrNotFound
	}
	key := kindClaim + ":" + t.ID + ":" + phone + ":" + t.Await
	who, _, err := decide(ctx, s, key, kindClaim, userID, keepUntil(), userID)
	if err != nil {
		return nil, fmt.Errorf("claim team %s: %w", t.ID, err)
	}
	if *who != userID {
		return nil, store.ErrNotFound
	}
	r, err := s.teams().UpdateOne(ctx, bson.M{"_id": t.ID, "leader_phone": phone},
		bson.M{"$set": bson.M{"leader_id": userID}, "$unset": bson.M{"leader_phone": "", "leader_await": ""}})
	if err != nil {
		return nil, fmt.Errorf("claim team %s: %w", t.ID, err)
	}
	if r.MatchedCount == 0 {
		// Claimed by her other request meanwhile, or appointed anew.
		again, err := findOne[store.Team](ctx, s.teams(), bson.M{"_id": teamID})
		if err != nil {
			return nil, wrap(err, "team %s", teamID)
		}
		if again.LeaderID != userID {
			return nil, store.ErrNotFound
		}
		return again, nil
	}
	tm := t.Team
	tm.LeaderID, tm.LeaderPhone = userID, ""
	return &tm, nil
}

func (s *Store) claimCodes() *mongo.Collection { return s.coll("claim_codes") }

var claimCodesIndexes = []mongo.IndexModel{
	expiring("expires"),
	index("phone"), // ClaimCodes
}

// SetClaimCode stores an appointment's code, replacing any earlier one.
func (s *Store) SetClaimCode(ctx context.Context, c *store.ClaimCode) error {
	return wrap(retryRace(func() error {
		_, err := s.claimCodes().ReplaceOne(ctx, bson.M{"_id": c.ID}, c, options.Replace().SetUpsert(true))
		return err
	}), "set claim code")
}

func liveCode(c *store.ClaimCode, now time.Time) bool { return !now.After(c.Expires) }

// ClaimCodes lists the codes live at now made for phone.
func (s *Store) ClaimCodes(ctx context.Context, phone string, now time.Time) ([]store.ClaimCode, error) {
	all, err := findAll[store.ClaimCode](ctx, s.claimCodes(), bson.M{"phone": phone},
		options.Find().SetSort(bson.D{{Key: "made", Value: 1}, {Key: "_id", Value: 1}}).SetLimit(store.MaxLimit))
	if err != nil {
		return nil, wrap(err, "claim codes")
	}
	out := []store.ClaimCode{}
	for i := range all {
		if liveCode(&all[i], now) {
			all[i].Expires, all[i].Made = all[i].Expires.UTC(), all[i].Made.UTC()
			out = append(out, all[i])
		}
	}
	return out, nil
}

// ClaimCodesByID returns the codes live at now among ids.
func (s *Store) ClaimCodesByID(ctx context.Context, ids []string, now time.Time) (map[string]*store.ClaimCode, error) {
	out := make(map[string]*store.ClaimCode, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	all, err := findAll[store.ClaimCode](ctx, s.claimCodes(), bson.M{"_id": bson.M{"$in": ids}})
	if err != nil {
		return nil, wrap(err, "claim codes")
	}
	for i := range all {
		if liveCode(&all[i], now) {
			all[i].Expires, all[i].Made = all[i].Expires.UTC(), all[i].Made.UTC()
			out[all[i].ID] = &all[i]
		}
	}
	return out, nil
}

// DeleteClaimCode removes the code if it is still the one with hash (any
// with ""), so a code used late cannot remove a newer one.
func (s *Store) DeleteClaimCode(ctx context.Context, id, hash string) error {
	filter := bson.M{"_id": id}
	if hash != "" {
		filter["hash"] = hash
	}
	_, err := s.claimCodes().DeleteOne(ctx, filter)
	return wrap(err, "delete claim code")
}
