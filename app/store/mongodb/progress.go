package store

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Progress is one learner's progress in one course.
type Progress struct {
	ID      string    `bson:"_id"` // user/course: one document per pair
	UserID  string    `bson:"user_id"`
	Course  string    `bson:"course"`
	Lessons []string  `bson:"lessons"` // ids of lessons marked done
	Best    int       `bson:"best"`    // best quiz score, percent
	Passed  bool      `bson:"passed"`
	Updated time.Time `bson:"updated"`
}

func (s *Store) progress() *mongoColl { return s.coll("progress") }

func progressID(userID, course string) string { return userID + "/" + course }

// MarkLessonDone records a finished lesson; doing it twice changes nothing.
func (s *Store) MarkLessonDone(ctx context.Context, userID, course, lesson string, at time.Time) error {
	return retryRace(func() error {
		_, err := s.progress().UpdateOne(ctx,
			bson.M{"_id": progressID(userID, course)},
			bson.M{
				"$addToSet":    bson.M{"lessons": lesson},
				"$set":         bson.M{"updated": at},
				"$setOnInsert": bson.M{"user_id": userID, "course": course},
			},
			options.UpdateOne().SetUpsert(true))
		return err
	})
}

// RecordScore keeps the best quiz score and whether the course is passed.
func (s *Store) RecordScore(ctx context.Context, userID, course string, percent int, passed bool, at time.Time) error {
	set := bson.M{"updated": at}
	if passed {
		set["passed"] = true
	}
	return retryRace(func() error {
		_, err := s.progress().UpdateOne(ctx,
			bson.M{"_id": progressID(userID, course)},
			bson.M{
				"$max":         bson.M{"best": percent},
				"$set":         set,
				"$setOnInsert": bson.M{"user_id": userID, "course": course, "lessons": bson.A{}},
			},
			options.UpdateOne().SetUpsert(true))
		return err
	})
}

// ProgressOf returns a learner's progress in every course, by course id.
func (s *Store) ProgressOf(ctx context.Context, userID string) (map[string]*Progress, error) {
	list, err := findAll[Progress](ctx, s.progress(), bson.M{"user_id": userID})
	if err != nil {
		return nil, err
	}
	out := make(map[string]*Progress, len(list))
	for i := range list {
		out[list[i].Course] = &list[i]
	}
	return out, nil
}

// ProgressOfUsers returns the progress of many learners, by user then course.
func (s *Store) ProgressOfUsers(ctx context.Context, userIDs []string) (map[string]map[string]*Progress, error) {
	list, err := findAll[Progress](ctx, s.progress(), bson.M{"user_id": bson.M{"$in": userIDs}})
	if err != nil {
		return nil, err
	}
	out := map[string]map[string]*Progress{}
	for i := range list {
		p := &list[i]
		if out[p.UserID] == nil {
			out[p.UserID] = map[string]*Progress{}
		}
		out[p.UserID][p.Course] = p
	}
	return out, nil
}

// ClearPassed takes back a pass whose certificate was revoked: the
// learner's progress no longer counts the course as passed.
func (s *Store) ClearPassed(ctx context.Context, userID, course string) error {
	_, err := s.progress().UpdateOne(ctx, bson.M{"_id": progressID(userID, course)}, bson.M{"$set": bson.M{"passed": false}})
	return err
}
