package web

import (
	"errors"
	"slices"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"kynangso/app/learning"
	"kynangso/app/store"
	"kynangso/courses"
	"kynangso/quiz"
)

// quizStart continues the learner's open attempt or draws a new one. The
// quiz is reached by a link, so a GET that creates is kept harmless: a
// reload finds the open attempt. (Tabs opened at the same instant may
// each draw one; each is still graded once, and the certificate slot
// keeps it to one certificate.)
func (s *Server) quizStart(c *fiber.Ctx) error {
	co, err := s.courseParam(c)
	if err != nil {
		return err
	}
	a, err := s.learn.Start(c.UserContext(), user(c), co)
	if err != nil {
		return err
	}
	return c.Redirect("/courses/"+co.ID+"/quiz/"+a.ID, fiber.StatusSeeOther)
}

// shownQuestion is a drawn question with its texts, and after grading,
// the learner's answer and the right one.
type shownQuestion struct {
	N         int
	Q         *courses.Question
	Options   []shownOption
	Positions []int
	Item      *quiz.Item
	Missing   bool // left blank in a form sent back
}

type shownOption struct {
	ID       string
	Text     courses.Text
	Picked   bool
	Position int // ordering: the position the learner gave
	Correct  bool
	Place    int // ordering: the right position
}

func (s *Server) attemptParam(c *fiber.Ctx) (*courses.Course, *store.Attempt, error) {
	co, err := s.courseParam(c)
	if err != nil {
		return nil, nil, err
	}
	a, err := s.store.AttemptByID(c.UserContext(), user(c).ID, c.Params("attempt"))
	if err != nil {
		return nil, nil, err
	}
	if a.Course != co.ID {
		return nil, nil, errNotFound
	}
	return co, a, nil
}

func trueFalseText(id string) courses.Text {
	if id == quiz.OptTrue {
		return courses.Text{"vi": "Đúng", "en": "True"}
	}
	return courses.Text{"vi": "Sai", "en": "False"}
}

func shown(co *courses.Course, a *store.Attempt, answers quiz.Answers) []shownQuestion {
	items := map[string]*quiz.Item{}
	if a.Result != nil {
		for i := range a.Result.Items {
			items[a.Result.Items[i].QuestionID] = &a.Result.Items[i]
		}
	}
	var out []shownQuestion
	for i, d := range a.Drawn {
		q := co.Question(d.QuestionID)
		if q == nil {
			continue // removed from the pool since; graded as correct
		}
		sq := shownQuestion{N: i + 1, Q: q, Item: items[q.ID]}
		given := answers[q.ID]
		if sq.Item != nil {
			given = sq.Item.Given
		}
		for _, id := range d.Options {
			o := shownOption{ID: id, Text: q.OptionText[id]}
			if q.Kind == quiz.TrueFalse {
				o.Text = trueFalseText(id)
			}
			o.Picked = slices.Contains(given, id)
			if q.Kind == quiz.Ordering && o.Picked {
				o.Position = slices.Index(given, id) + 1
			}
			for j, opt := range q.Options {
				if opt.ID == id {
					o.Correct = opt.Correct
					o.Place = j + 1
				}
			}
			sq.Options = append(sq.Options, o)
		}
		for p := range d.Options {
			sq.Positions = append(sq.Positions, p+1)
		}
		out = append(out, sq)
	}
	return out
}

func (s *Server) quizPage(c *fiber.Ctx) error {
	co, a, err := s.attemptParam(c)
	if err != nil {
		return err
	}
	return s.showQuiz(c, co, a, quiz.Answers{}, nil)
}

// quizExpired tells the learner that an attempt never graded is too old
// to be answered (answered offline and sent after AnswerWindow), and
// offers a new one.
func (s *Server) quizExpired(c *fiber.Ctx, co *courses.Course, a *store.Attempt) error {
	c.Status(fiber.StatusGone)
	return s.render(c, "quiz_expired", "quiz.expired.title", fiber.Map{
		"Course": co, "Attempt": a, "Days": int(learning.AnswerWindow / (24 * time.Hour)),
		"Drawn": a.Created.UTC(), "Until": a.Created.Add(learning.AnswerWindow).UTC(),
	})
}

func (s *Server) showQuiz(c *fiber.Ctx, co *courses.Course, a *store.Attempt, answers quiz.Answers, missing []int) error {
	if s.learn.Expired(a) {
		return s.quizExpired(c, co, a)
	}
	qs := shown(co, a, answers)
	for i := range qs {
		qs[i].Missing = slices.Contains(missing, qs[i].N)
	}
	data := fiber.Map{"Course": co, "Attempt": a, "Questions": qs, "Missing": missing,
		"Days": int(learning.AnswerWindow / (24 * time.Hour)), "Until": a.Created.Add(learning.AnswerWindow).UTC()}
	if a.Submitted {
		data["Passed"] = a.Passed
		data["Percent"] = a.Result.Percent()
		if a.Passed {
			// Finishing a pass again is harmless, and completes one that a
			// failure cut short after grading.
			ct, err := s.learn.Finish(c.UserContext(), user(c), co, a)
			if err != nil {
				return err
			}
			if ct != nil && ct.Status == store.CertValid {
				data["Certificate"] = ct
			}
		}
		return s.render(c, "quiz_result", "quiz.result.title", data)
	}
	return s.render(c, "quiz", "quiz.title", data)
}

// parseAnswers reads the quiz form. It returns the numbers of questions
// left unanswered or answered in a way the question does not allow.
func parseAnswers(c *fiber.Ctx, co *courses.Course, a *store.Attempt) (quiz.Answers, []int) {
	args := c.Request().PostArgs()
	answers := quiz.Answers{}
	var missing []int
	for i, d := range a.Drawn {
		q := co.Question(d.QuestionID)
		if q == nil {
			continue
		}
		key := "q_" + q.ID
		var given []string
		switch q.Kind {
		case quiz.Ordering:
			byPos := make([]string, len(d.Options))
			for _, id := range d.Options {
				p, err := strconv.Atoi(string(args.Peek(key + "_" + id)))
				if err == nil && p >= 1 && p <= len(byPos) && byPos[p-1] == "" {
					byPos[p-1] = id
				}
			}
			given = byPos
			if slices.Contains(byPos, "") {
				// Keep what was given so the form shows it again.
				given = nil
				for _, id := range d.Options {
					if p, err := strconv.Atoi(string(args.Peek(key + "_" + id))); err == nil && p >= 1 && p <= len(byPos) {
						for len(given) < p {
							given = append(given, "")
						}
						given[p-1] = id
					}
				}
				answers[q.ID] = given
				missing = append(missing, i+1)
				continue
			}
		default:
			for _, v := range args.PeekMulti(key) {
				if slices.Contains(d.Options, string(v)) && !slices.Contains(given, string(v)) {
					given = append(given, string(v))
				}
			}
			if len(given) == 0 || (q.Kind != quiz.Multiple && len(given) != 1) {
				missing = append(missing, i+1)
			}
		}
		answers[q.ID] = given
	}
	return answers, missing
}

// quizSubmit grades an attempt. The attempt id is the idempotency key: a
// double click or a resent form finds the attempt graded and shows the
// same result, counting nothing twice.
func (s *Server) quizSubmit(c *fiber.Ctx) error {
	co, a, err := s.attemptParam(c)
	if err != nil {
		return err
	}
	if a.Submitted {
		// Graded already: a resend, with whatever answers, gets the
		// first result.
		return c.Redirect("/courses/"+co.ID+"/quiz/"+a.ID, fiber.StatusSeeOther)
	}
	if s.learn.Expired(a) {
		return s.quizExpired(c, co, a)
	}
	answers, missing := parseAnswers(c, co, a)
	if len(missing) > 0 {
		c.Status(fiber.StatusUnprocessableEntity)
		return s.showQuiz(c, co, a, answers, missing)
	}
	if _, err := s.learn.Submit(c.UserContext(), user(c), co, a, answers); err != nil {
		if errors.Is(err, learning.ErrNotFound) {
			return errNotFound
		}
		if errors.Is(err, learning.ErrExpired) {
			return s.quizExpired(c, co, a)
		}
		return err
	}
	return c.Redirect("/courses/"+co.ID+"/quiz/"+a.ID, fiber.StatusSeeOther)
}
