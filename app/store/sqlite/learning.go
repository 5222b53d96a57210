package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"kynangso/app/store"
	"kynangso/quiz"
)

// Progress

const progressCols = "id, user_id, course, lessons, best, passed, updated"

func scanProgress(sc scanner, p *store.Progress) error {
	var lessons string
	var updated int64
	if err := sc.Scan(&p.ID, &p.UserID, &p.Course, &lessons, &p.Best, &p.Passed, &updated); err != nil {
		return err
	}
	if l, ok := plainList(lessons); ok {
		p.Lessons = l
	} else if err := json.Unmarshal([]byte(lessons), &p.Lessons); err != nil {
		return fmt.Errorf("progress %s: lessons: %w", p.ID, err)
	}
	if p.Lessons == nil {
		p.Lessons = []string{}
	}
	p.Updated = fromMS(updated)
	return nil
}

// plainList reads a JSON array of strings as SQLite and encoding/json
// write it, ["a","b"] with no spaces, escapes or bytes outside printable
// ASCII (lesson ids are slugs), without encoding/json: a team page reads
// a hundred members' progress, and decoding was a sixth of that. Anything
// else is not ok, for json.Unmarshal to read.
func plainList(s string) ([]string, bool) {
	if len(s) < 2 || s[0] != '[' || s[len(s)-1] != ']' {
		return nil, false
	}
	body := s[1 : len(s)-1]
	if body == "" {
		return []string{}, true
	}
	out := make([]string, 0, strings.Count(body, ",")+1)
	for {
		if len(body) < 2 || body[0] != '"' {
			return nil, false
		}
		end := 1
		for end < len(body) && body[end] != '"' {
			if c := body[end]; c < 0x20 || c > 0x7e || c == '\\' {
				return nil, false
			}
			end++
		}
		if end == len(body) {
			return nil, false
		}
		out = append(out, body[1:end])
		body = body[end+1:]
		if body == "" {
			return out, true
		}
		if body[0] != ',' {
			return nil, false
		}
		body = body[1:]
	}
}

// MarkLessonDone records a finished lesson; twice changes nothing, not
// even Updated: the upsert's WHERE skips a lesson already in the list.
func (s *Store) MarkLessonDone(ctx context.Context, userID, course, lesson string, at time.Time) error {
	_, err := s.exec(ctx, "mark lesson done", `
INSERT INTO progress (id, user_id, course, lessons, best, passed, updated)
VALUES (?1, ?2, ?3, json_array(?4), 0, 0, ?5)
ON CONFLICT (id) DO UPDATE SET lessons = json_insert(lessons, '$[#]', ?4), updated = ?5
WHERE NOT EXISTS (SELECT 1 FROM json_each(progress.lessons) WHERE value = ?4)`,
		store.ProgressID(userID, course), userID, course, lesson, ms(at))
	return err
}

// RecordScore keeps the best score, and sets Passed when passed is true
// (never clears it).
func (s *Store) RecordScore(ctx context.Context, userID, course string, percent int, passed bool, at time.Time) error {
	_, err := s.exec(ctx, "record score", `
INSERT INTO progress (id, user_id, course, lessons, best, passed, updated)
VALUES (?, ?, ?, '[]', ?, ?, ?)
ON CONFLICT (id) DO UPDATE SET best = max(best, excluded.best), passed = (passed OR excluded.passed), updated = excluded.updated`,
		store.ProgressID(userID, course), userID, course, percent, b2i(passed), ms(at))
	return err
}

// ClearPassed takes back a pass whose certificate was revoked; no
// progress is nothing to take back.
func (s *Store) ClearPassed(ctx context.Context, userID, course string) error {
	_, err := s.exec(ctx, "clear pass", "UPDATE progress SET passed = 0 WHERE id = ?", store.ProgressID(userID, course))
	return err
}

// ProgressOf returns a learner's progress, by course id.
func (s *Store) ProgressOf(ctx context.Context, userID string) (map[string]*store.Progress, error) {
	got, err := list(ctx, s.rd, "read progress", scanProgress, "SELECT "+progressCols+" FROM progress WHERE user_id = ?", userID)
	if err != nil {
		return nil, err
	}
	out := make(map[string]*store.Progress, len(got))
	for i := range got {
		out[got[i].Course] = &got[i]
	}
	return out, nil
}

// ProgressOfUsers returns many learners' progress, by user then course:
// one query per chunk of ids. Learners with none are absent.
func (s *Store) ProgressOfUsers(ctx context.Context, userIDs []string) (map[string]map[string]*store.Progress, error) {
	out := make(map[string]map[string]*store.Progress, len(userIDs))
	err := chunks(userIDs, func(part []string) error {
		in, args := inList(part)
		got, err := list(ctx, s.rd, "read progress", scanProgress, "SELECT "+progressCols+" FROM progress WHERE user_id IN ("+in+")", args...)
		for i := range got {
			p := &got[i]
			if out[p.UserID] == nil {
				out[p.UserID] = map[string]*store.Progress{}
			}
			out[p.UserID][p.Course] = p
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Attempts

const attemptCols = "id, user_id, course, seed, drawn, created, submitted, submitted_at, result, passed"

func scanAttempt(sc scanner, a *store.Attempt) error {
	var seed, created, at int64
	var drawn string
	var result sql.NullString
	if err := sc.Scan(&a.ID, &a.UserID, &a.Course, &seed, &drawn, &created, &a.Submitted, &at, &result, &a.Passed); err != nil {
		return err
	}
	a.Seed, a.Created, a.At = uint64(seed), fromMS(created), fromMS(at)
	if err := json.Unmarshal([]byte(drawn), &a.Drawn); err != nil {
		return fmt.Errorf("attempt %s: drawn: %w", a.ID, err)
	}
	if result.Valid {
		a.Result = new(quiz.Result)
		if err := json.Unmarshal([]byte(result.String), a.Result); err != nil {
			return fmt.Errorf("attempt %s: result: %w", a.ID, err)
		}
	}
	return nil
}

const insertAttempt = "INSERT INTO attempts (" + attemptCols + ") VALUES (?,?,?,?,?,?,?,?,?,?)"

// attemptArgs are a's columns. The seed keeps its 64 bits in SQLite's
// signed integer.
func attemptArgs(a *store.Attempt) ([]any, error) {
	drawn, err := json.Marshal(a.Drawn)
	if err != nil {
		return nil, fmt.Errorf("attempt %s: drawn: %w", a.ID, err)
	}
	result, err := resultJSON(a.Result)
	if err != nil {
		return nil, fmt.Errorf("attempt %s: %w", a.ID, err)
	}
	return []any{a.ID, a.UserID, a.Course, int64(a.Seed), string(drawn), ms(a.Created),
		b2i(a.Submitted), ms(a.At), result, b2i(a.Passed)}, nil
}

// resultJSON is a grading as stored: NULL for none.
func resultJSON(r *quiz.Result) (any, error) {
	if r == nil {
		return nil, nil
	}
	b, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("result: %w", err)
	}
	return string(b), nil
}

// CreateAttempt stores a new attempt; ErrDuplicate if its id is taken.
func (s *Store) CreateAttempt(ctx context.Context, a *store.Attempt) error {
	args, err := attemptArgs(a)
	if err != nil {
		return err
	}
	_, err = s.exec(ctx, "create attempt", insertAttempt, args...)
	return err
}

// AttemptByID returns userID's attempt; another's is ErrNotFound.
func (s *Store) AttemptByID(ctx context.Context, userID, id string) (*store.Attempt, error) {
	return s.oneAttempt(ctx, "SELECT "+attemptCols+" FROM attempts WHERE id = ? AND user_id = ?", id, userID)
}

// AttemptByAnyUser returns an attempt whoever took it.
func (s *Store) AttemptByAnyUser(ctx context.Context, id string) (*store.Attempt, error) {
	return s.oneAttempt(ctx, "SELECT "+attemptCols+" FROM attempts WHERE id = ?", id)
}

// OpenAttempt returns the user's unsubmitted attempt at a course, the
// newest if there are several.
func (s *Store) OpenAttempt(ctx context.Context, userID, course string) (*store.Attempt, error) {
	return s.oneAttempt(ctx, "SELECT "+attemptCols+" FROM attempts WHERE user_id = ? AND course = ? AND submitted = 0 ORDER BY created DESC, rowid DESC LIMIT 1", userID, course)
}

func (s *Store) oneAttempt(ctx context.Context, query string, args ...any) (*store.Attempt, error) {
	a := new(store.Attempt)
	if err := scanAttempt(s.rd.QueryRowContext(ctx, query, args...), a); err != nil {
		return nil, wrap("read attempt", err)
	}
	return a, nil
}

// AttemptsOf lists a learner's attempts, oldest first.
func (s *Store) AttemptsOf(ctx context.Context, userID string) ([]store.Attempt, error) {
	return list(ctx, s.rd, "list attempts", scanAttempt, "SELECT "+attemptCols+" FROM attempts WHERE user_id = ? ORDER BY created, rowid", userID)
}

// SubmitAttempt records a's grading once: the update applies only to an
// attempt not yet submitted, so of concurrent calls exactly one changes
// the row, and the others read back its grading.
func (s *Store) SubmitAttempt(ctx context.Context, a *store.Attempt) (*store.Attempt, bool, error) {
	result, err := resultJSON(a.Result)
	if err != nil {
		return nil, false, fmt.Errorf("attempt %s: %w", a.ID, err)
	}
	got := new(store.Attempt)
	err = scanAttempt(s.wr.QueryRowContext(ctx, `
UPDATE attempts SET submitted = 1, submitted_at = ?, result = ?, passed = ?
WHERE id = ? AND user_id = ? AND submitted = 0
RETURNING `+attemptCols, ms(a.At), result, b2i(a.Passed), a.ID, a.UserID), got)
	if err == nil {
		return got, true, nil
	}
	if err = wrap("submit attempt", err); err != store.ErrNotFound {
		return nil, false, err
	}
	// Graded already, or not userID's. The grading that made the update
	// miss is committed, so any read from now on sees it.
	got = new(store.Attempt)
	err = scanAttempt(s.rd.QueryRowContext(ctx, "SELECT "+attemptCols+" FROM attempts WHERE id = ? AND user_id = ?", a.ID, a.UserID), got)
	if err != nil {
		return nil, false, wrap("read attempt", err)
	}
	return got, false, nil
}
