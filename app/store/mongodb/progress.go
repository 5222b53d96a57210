package mongodb

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"kynangso/app/store"
)

func (s *Store) progress() *mongo.Collection { return s.coll("progress") }

var progressIndexes = []mongo.IndexModel{
	index("user_id"), // ProgressOf, ProgressOfUsers, DeleteUserData
}

// MarkLessonDone records a finished lesson; doing it twice changes nothing.
func (s *Store) MarkLessonDone(ctx context.Context, userID, course, lesson string, at time.Time) error {
	return wrap(retryRace(func() error {
		_, err := s.progress().UpdateOne(ctx,
			bson.M{"_id": store.ProgressID(userID, course)},
			bson.M{
				"$addToSet":    bson.M{"lessons": lesson},
				"$set":         bson.M{"updated": at},
				"$setOnInsert": bson.M{"user_id": userID, "course": course},
			},
			options.UpdateOne().SetUpsert(true))
		return err
	}), "mark lesson %s/%s done", course, lesson)
}

// RecordScore keeps the best quiz score, and sets Passed when passed
// (never clears it: see ClearPassed).
func (s *Store) RecordScore(ctx context.Context, userID, course string, percent int, passed bool, at time.Time) error {
	set := bson.M{"updated": at}
	if passed {
		set["passed"] = true
	}
	return wrap(retryRace(func() error {
		_, err := s.progress().UpdateOne(ctx,
			bson.M{"_id": store.ProgressID(userID, course)},
			bson.M{
				"$max":         bson.M{"best": percent},
				"$set":         set,
				"$setOnInsert": bson.M{"user_id": userID, "course": course, "lessons": bson.A{}},
			},
			options.UpdateOne().SetUpsert(true))
		return err
	}), "record score in %s", course)
}

// ClearPassed takes back a pass whose certificate was revoked.
func (s *Store) ClearPassed(ctx context.Context, userID, course string) error {
	_, err := s.progress().UpdateOne(ctx, bson.M{"_id": store.ProgressID(userID, course)}, bson.M{"$set": bson.M{"passed": false}})
	return wrap(err, "clear pass of %s", course)
}

// ProgressOf returns a learner's progress in every course, by course id.
func (s *Store) ProgressOf(ctx context.Context, userID string) (map[string]*store.Progress, error) {
	list, err := findAll[store.Progress](ctx, s.progress(), bson.M{"user_id": userID})
	if err != nil {
		return nil, fmt.Errorf("progress of %s: %w", userID, err)
	}
	out := make(map[string]*store.Progress, len(list))
	for i := range list {
		out[list[i].Course] = fixProgress(&list[i])
	}
	return out, nil
}

// ProgressOfUsers returns the progress of many learners, by user then
// course, in one query.
func (s *Store) ProgressOfUsers(ctx context.Context, userIDs []string) (map[string]map[string]*store.Progress, error) {
	out := map[string]map[string]*store.Progress{}
	if len(userIDs) == 0 {
		return out, nil
	}
	list, err := findAll[store.Progress](ctx, s.progress(), bson.M{"user_id": bson.M{"$in": userIDs}})
	if err != nil {
		return nil, fmt.Errorf("progress of users: %w", err)
	}
	for i := range list {
		p := fixProgress(&list[i])
		if out[p.UserID] == nil {
			out[p.UserID] = map[string]*store.Progress{}
		}
		out[p.UserID][p.Course] = p
	}
	return out, nil
}

// fixProgress gives a record without lessons an empty list, never nil.
func fixProgress(p *store.Progress) *store.Progress {
	if p.Lessons == nil {
		p.Lessons = []string{}
	}
	return p
}
