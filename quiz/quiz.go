// Package quiz is the quiz engine: question kinds, drawing and shuffling a
// reproducible attempt from a pool, grading, and the pass rule. It does no
// I/O and knows nothing of HTTP or languages; texts live with the courses.
//
// Question kinds:
//   - single: exactly one option is correct; the learner picks one.
//   - multiple: one or more options are correct; the learner ticks any.
//   - truefalse: a statement; the options are "true" and "false".
//   - ordering: the options, as written in the pool, are in the correct
//     order; the learner sees them shuffled and gives each its position.
//
// Grading: every question is worth one point and there is no partial credit.
// A single or true/false answer scores when it is the correct option; a
// multiple-choice answer scores only when the ticked set equals the correct
// set (ticking every box never pays); an ordering answer scores only when
// every step is in its place. An unanswered question scores nothing.
//
// Pass rule: an attempt passes when its points reach the pass mark, a
// percentage of the questions drawn, compared without rounding
// (points*100 >= passMark*total).
//
// Drawing: the questions of an attempt and the order of their options come
// from a seed stored with the attempt, so the same seed and pool always give
// the same attempt, and a page reload shows the learner the same quiz.
package quiz

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
)

// Kind is a question kind.
type Kind string

const (
	Single    Kind = "single"
	Multiple  Kind = "multiple"
	TrueFalse Kind = "truefalse"
	Ordering  Kind = "ordering"
)

// Kinds lists every kind the engine knows.
var Kinds = []Kind{Single, Multiple, TrueFalse, Ordering}

// The option ids of a true/false question.
const (
	OptTrue  = "true"
	OptFalse = "false"
)

// Question is one question of a pool, without its texts.
type Question struct {
	ID      string
	Kind    Kind
	Options []Option // for Ordering, in the correct order
}

// Option is one answer a learner can choose.
type Option struct {
	ID      string
	Correct bool // unused for Ordering
}

// Validate reports what makes a question ungradable.
func (q Question) Validate() error {
	if q.ID == "" {
		return errors.New("question has no id")
	}
	if !slices.Contains(Kinds, q.Kind) {
		return fmt.Errorf("unknown question kind %q (want one of single, multiple, truefalse, ordering)", q.Kind)
	}
	seen := map[string]bool{}
	correct := 0
	for _, o := range q.Options {
		if o.ID == "" {
			return errors.New("an option has no id")
		}
		if seen[o.ID] {
			return fmt.Errorf("duplicate option id %q", o.ID)
		}
		seen[o.ID] = true
		if o.Correct {
			correct++
		}
	}
	switch q.Kind {
	case Single:
		if len(q.Options) < 2 {
			return errors.New("a single-choice question needs at least 2 options")
		}
		if correct != 1 {
			return fmt.Errorf("a single-choice question needs exactly 1 correct option, has %d", correct)
		}
	case Multiple:
		if len(q.Options) < 3 {
			return errors.New("a multiple-choice question needs at least 3 options")
		}
		if correct == 0 {
			return errors.New("a multiple-choice question has no correct option")
		}
	case TrueFalse:
		if len(q.Options) != 2 || correct != 1 {
			return errors.New("a true/false question needs the options true and false, one correct")
		}
	case Ordering:
		if len(q.Options) < 3 {
			return errors.New("an ordering question needs at least 3 steps")
		}
	}
	return nil
}

// Drawn is one question as an attempt shows it: which question, and its
// options in the order shown.
type Drawn struct {
	QuestionID string   `bson:"q" json:"q"`
	Options    []string `bson:"o" json:"o"`
}

// Draw picks n questions from pool and shuffles their options, all from seed.
// With n larger than the pool, every question is drawn.
func Draw(pool []Question, n int, seed uint64) []Drawn {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	idx := r.Perm(len(pool))
	if n > len(idx) || n <= 0 {
		n = len(idx)
	}
	out := make([]Drawn, 0, n)
	for _, i := range idx[:n] {
		q := pool[i]
		ids := make([]string, len(q.Options))
		for j, o := range q.Options {
			ids[j] = o.ID
		}
		switch q.Kind {
		case TrueFalse:
			// "True" before "false" reads naturally; shuffling adds nothing.
		case Ordering:
			// A shuffle that leaves the steps in place would give the answer away.
			for range 8 {
				r.Shuffle(len(ids), func(a, b int) { ids[a], ids[b] = ids[b], ids[a] })
				if !inOrder(ids, q.Options) {
					break
				}
			}
		default:
			r.Shuffle(len(ids), func(a, b int) { ids[a], ids[b] = ids[b], ids[a] })
		}
		out = append(out, Drawn{QuestionID: q.ID, Options: ids})
	}
	return out
}

func inOrder(ids []string, opts []Option) bool {
	for i, o := range opts {
		if ids[i] != o.ID {
			return false
		}
	}
	return true
}

// Answers maps a question id to the learner's answer: the chosen option for
// single and true/false, the ticked options for multiple, and the option ids
// in the learner's order for ordering.
type Answers map[string][]string

// Item is the grade of one question.
type Item struct {
	QuestionID string   `bson:"q" json:"q"`
	Given      []string `bson:"given" json:"given"`
	Correct    bool     `bson:"ok" json:"ok"`
}

// Result is the grade of an attempt.
type Result struct {
	Points int    `bson:"points" json:"points"`
	Total  int    `bson:"total" json:"total"`
	Items  []Item `bson:"items" json:"items"`
}

// Percent is the score rounded down to a whole percent, for display.
func (r Result) Percent() int {
	if r.Total == 0 {
		return 0
	}
	return r.Points * 100 / r.Total
}

// Passed applies the pass rule.
func (r Result) Passed(passMark int) bool {
	return r.Total > 0 && r.Points*100 >= passMark*r.Total
}

// Grade scores answers against the drawn questions. Questions are looked up
// in pool by id; a drawn id missing from the pool (a question removed since
// the attempt began) counts as answered correctly, so that editing content
// never fails a learner.
func Grade(pool []Question, drawn []Drawn, answers Answers) Result {
	byID := make(map[string]Question, len(pool))
	for _, q := range pool {
		byID[q.ID] = q
	}
	res := Result{Total: len(drawn)}
	for _, d := range drawn {
		given := answers[d.QuestionID]
		q, ok := byID[d.QuestionID]
		right := !ok || correct(q, given)
		if right {
			res.Points++
		}
		res.Items = append(res.Items, Item{QuestionID: d.QuestionID, Given: given, Correct: right})
	}
	return res
}

func correct(q Question, given []string) bool {
	switch q.Kind {
	case Single, TrueFalse:
		return len(given) == 1 && isCorrect(q, given[0])
	case Multiple:
		want := 0
		for _, o := range q.Options {
			if o.Correct {
				want++
			}
		}
		seen := map[string]bool{}
		for _, g := range given {
			if seen[g] || !isCorrect(q, g) {
				return false
			}
			seen[g] = true
		}
		return len(seen) == want
	case Ordering:
		return len(given) == len(q.Options) && inOrder(given, q.Options)
	}
	return false
}

func isCorrect(q Question, id string) bool {
	for _, o := range q.Options {
		if o.ID == id {
			return o.Correct
		}
	}
	return false
}
