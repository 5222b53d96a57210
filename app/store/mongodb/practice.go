package mongodb

import (
	"context"
	"errors"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"kynangso/app/store"
)

// Practice confirmed in person (issue 10): one document per member,
// course and task, under store.ConfirmationID, so a second insert of the
// same confirmation is a duplicate key and reads back the first.

func (s *Store) confirmations() *mongo.Collection { return s.coll("confirmations") }

var confirmationsIndexes = []mongo.IndexModel{
	index("user_id"), // Confirmations, DeleteUserData
}

func (s *Store) ConfirmTask(ctx context.Context, c *store.Confirmation) (*store.Confirmation, bool, error) {
	c.ID = store.ConfirmationID(c.UserID, c.Course, c.Task)
	c.At = c.At.UTC().Truncate(1e6)
	_, err := s.confirmations().InsertOne(ctx, c)
	first := err == nil
	if err != nil && !mongo.IsDuplicateKeyError(err) {
		return nil, false, wrap(err, "confirm task %s", c.ID)
	}
	got := new(store.Confirmation)
	if err := s.confirmations().FindOne(ctx, bson.M{"_id": c.ID}).Decode(got); err != nil {
		if errors.Is(err, mongo.ErrNoDocuments) {
			return nil, false, store.ErrBusy // withdrawn in between: try again
		}
		return nil, false, wrap(err, "read confirmation %s", c.ID)
	}
	got.At = got.At.UTC()
	return got, first, nil
}

func (s *Store) WithdrawTask(ctx context.Context, userID, course, task string) (*store.Confirmation, error) {
	got := new(store.Confirmation)
	err := s.confirmations().FindOneAndDelete(ctx, bson.M{"_id": store.ConfirmationID(userID, course, task)}).Decode(got)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, wrap(err, "withdraw task")
	}
	got.At = got.At.UTC()
	return got, nil
}

func (s *Store) Confirmations(ctx context.Context, userIDs []string) ([]store.Confirmation, error) {
	if len(userIDs) == 0 {
		return nil, nil
	}
	l, err := findAll[store.Confirmation](ctx, s.confirmations(), bson.M{"user_id": bson.M{"$in": userIDs}},
		options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
	for i := range l {
		l[i].At = l[i].At.UTC()
	}
	return l, wrap(err, "confirmations")
}
