package quiz

import (
	"slices"
	"testing"
)

var pool = []Question{
	{ID: "s", Kind: Single, Options: []Option{{ID: "a", Correct: true}, {ID: "b"}, {ID: "c"}}},
	{ID: "m", Kind: Multiple, Options: []Option{{ID: "a", Correct: true}, {ID: "b", Correct: true}, {ID: "c"}}},
	{ID: "t", Kind: TrueFalse, Options: []Option{{ID: OptTrue}, {ID: OptFalse, Correct: true}}},
	{ID: "o", Kind: Ordering, Options: []Option{{ID: "1"}, {ID: "2"}, {ID: "3"}, {ID: "4"}}},
}

func TestDrawIsReproducibleAndShuffles(t *testing.T) {
	a, b := Draw(pool, 3, 42), Draw(pool, 3, 42)
	if !slices.EqualFunc(a, b, func(x, y Drawn) bool { return x.QuestionID == y.QuestionID && slices.Equal(x.Options, y.Options) }) {
		t.Fatal("the same seed drew different attempts")
	}
	if len(a) != 3 {
		t.Fatalf("drew %d questions, want 3", len(a))
	}
	if n := len(Draw(pool, 99, 1)); n != len(pool) {
		t.Fatalf("asking for more than the pool drew %d", n)
	}
	// Over many seeds, every question is drawn and ordering never shows
	// the steps already in order.
	seen := map[string]bool{}
	for seed := uint64(0); seed < 200; seed++ {
		for _, d := range Draw(pool, 2, seed) {
			seen[d.QuestionID] = true
			if d.QuestionID == "o" && slices.Equal(d.Options, []string{"1", "2", "3", "4"}) {
				t.Fatalf("seed %d shows the ordering question solved", seed)
			}
		}
	}
	if len(seen) != len(pool) {
		t.Fatalf("some questions are never drawn: %v", seen)
	}
}

func TestGrade(t *testing.T) {
	drawn := Draw(pool, 4, 7)
	cases := []struct {
		name    string
		answers Answers
		points  int
	}{
		{"all right", Answers{"s": {"a"}, "m": {"b", "a"}, "t": {"false"}, "o": {"1", "2", "3", "4"}}, 4},
		{"nothing", Answers{}, 0},
		{"multiple: a subset is wrong", Answers{"m": {"a"}}, 0},
		{"multiple: ticking everything is wrong", Answers{"m": {"a", "b", "c"}}, 0},
		{"multiple: a repeated tick is wrong", Answers{"m": {"a", "a", "b"}}, 0},
		{"single: two picks are wrong", Answers{"s": {"a", "b"}}, 0},
		{"ordering: one swap is wrong", Answers{"o": {"1", "3", "2", "4"}}, 0},
		{"unknown option", Answers{"s": {"zzz"}}, 0},
	}
	for _, c := range cases {
		r := Grade(pool, drawn, c.answers)
		if r.Points != c.points || r.Total != 4 {
			t.Errorf("%s: %d/%d, want %d/4", c.name, r.Points, r.Total, c.points)
		}
	}
}

func TestPassRule(t *testing.T) {
	for _, c := range []struct {
		points, total, mark int
		pass                bool
	}{{7, 10, 70, true}, {6, 10, 70, false}, {2, 3, 67, false}, {2, 3, 66, true}, {0, 0, 1, false}, {10, 10, 100, true}} {
		if got := (Result{Points: c.points, Total: c.total}).Passed(c.mark); got != c.pass {
			t.Errorf("%d/%d at %d%%: passed=%v, want %v", c.points, c.total, c.mark, got, c.pass)
		}
	}
}

func TestValidate(t *testing.T) {
	bad := []Question{
		{ID: "x", Kind: "essay", Options: []Option{{ID: "a", Correct: true}, {ID: "b"}}},
		{ID: "x", Kind: Single, Options: []Option{{ID: "a"}, {ID: "b"}}},
		{ID: "x", Kind: Single, Options: []Option{{ID: "a", Correct: true}, {ID: "b", Correct: true}}},
		{ID: "x", Kind: Multiple, Options: []Option{{ID: "a"}, {ID: "b"}, {ID: "c"}}},
		{ID: "x", Kind: Ordering, Options: []Option{{ID: "a"}, {ID: "b"}}},
		{ID: "x", Kind: Single, Options: []Option{{ID: "a", Correct: true}, {ID: "a"}}},
	}
	for _, q := range bad {
		if q.Validate() == nil {
			t.Errorf("accepted %+v", q)
		}
	}
	for _, q := range pool {
		if err := q.Validate(); err != nil {
			t.Errorf("%s: %v", q.ID, err)
		}
	}
}

func TestRemovedQuestionNeverFailsALearner(t *testing.T) {
	drawn := []Drawn{{QuestionID: "gone", Options: []string{"a"}}}
	if r := Grade(pool, drawn, Answers{}); r.Points != 1 {
		t.Fatal("a question removed from the pool counted against the learner")
	}
}
