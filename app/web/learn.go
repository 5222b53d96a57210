package web

import (
	"slices"

	"github.com/gofiber/fiber/v2"

	"kynangso/app/learning"
	"kynangso/app/store"
	"kynangso/courses"
)

// courseCard is a course as the catalogue shows it, with the learner's
// progress.
type courseCard struct {
	Course   *courses.Course
	Step     int // position in the suggested order
	Done     int
	Total    int
	Percent  int
	Passed   bool
	NextStep bool // the first course not yet passed: where a beginner goes next
}

func (s *Server) progressOf(c *fiber.Ctx) (map[string]*store.Progress, error) {
	u := user(c)
	if u == nil {
		return map[string]*store.Progress{}, nil
	}
	return s.store.ProgressOf(c.UserContext(), u.ID)
}

func card(co *courses.Course, p *store.Progress) *courseCard {
	k := &courseCard{Course: co, Total: len(co.Lessons)}
	if p != nil {
		for _, l := range co.Lessons {
			if slices.Contains(p.Lessons, l.ID) {
				k.Done++
			}
		}
		k.Passed = p.Passed
	}
	// The quiz counts as one more step, so a course reads 100% only once passed.
	steps := k.Total + 1
	done := k.Done
	if k.Passed {
		done++
	}
	k.Percent = done * 100 / steps
	return k
}

// home is the catalogue: each course once, in the order a beginner is
// advised to take them, short enough to scan on a phone (a title and a
// line each; the summary only of the course to take next).
func (s *Server) home(c *fiber.Ctx) error {
	prog, err := s.progressOf(c)
	if err != nil {
		return err
	}
	var order []*courseCard
	next := false
	for i, co := range s.courses.Courses {
		k := card(co, prog[co.ID])
		k.Step = i + 1
		if !k.Passed && !next {
			k.NextStep, next = true, true
		}
		order = append(order, k)
	}
	return s.render(c, "home", "home.title", fiber.Map{"Order": order, "Welcome": c.Query("welcome") == "1", "Reset": c.Query("reset") == "1", "Deleted": c.Query("deleted") == "1"})
}

func (s *Server) courseParam(c *fiber.Ctx) (*courses.Course, error) {
	co := s.courses.Get(c.Params("course"))
	if co == nil {
		return nil, errNotFound
	}
	return co, nil
}

func (s *Server) course(c *fiber.Ctx) error {
	co, err := s.courseParam(c)
	if err != nil {
		return err
	}
	prog, err := s.progressOf(c)
	if err != nil {
		return err
	}
	p := prog[co.ID]
	done := map[string]bool{}
	if p != nil {
		for _, l := range p.Lessons {
			done[l] = true
		}
	}
	data := fiber.Map{"Course": co, "Card": card(co, p), "Done": done, "Progress": p}
	if u := user(c); u != nil && p != nil {
		// Her certificate of this course, or, when she has none in force,
		// the one withdrawn last: she is told when, why and what to do
		// rather than finding it gone.
		certs, err := s.store.CertificatesOf(c.UserContext(), u.ID)
		if err != nil {
			return err
		}
		var withdrawn *store.Certificate
		for i := range certs {
			ct := &certs[i]
			switch {
			case ct.Course != co.ID:
			case ct.Status == store.CertValid:
				data["Certificate"] = ct
			case ct.ReplacedBy == "" && ct.RevokedAt != nil && (withdrawn == nil || ct.RevokedAt.After(*withdrawn.RevokedAt)):
				withdrawn = ct
			}
		}
		if data["Certificate"] == nil && withdrawn != nil {
			data["Withdrawn"] = withdrawn
		}
	}
	data["Confirmed"] = map[string]store.Confirmation{}
	if u := user(c); u != nil && len(co.Tasks) > 0 {
		confirmed, err := learning.Confirmed(c.UserContext(), s.store, u.ID, co)
		if err != nil {
			return err
		}
		data["Confirmed"] = confirmed
	}
	data["Next"] = nextStep(co, done, p, user(c) != nil)
	var pre []*courses.Course
	for _, id := range co.Prerequisites {
		pre = append(pre, s.courses.Get(id))
	}
	data["Prerequisites"] = pre
	return s.render(c, "course", "", data)
}

// courseStep is the one thing a course page asks its reader to do first.
type courseStep struct {
	Kind string // start, continue, again (a lesson) or quiz
	N    int    // the lesson's number
	URL  string
}

// nextStep is where a reader goes from the course page: the first lesson
// not yet read ("Bắt đầu bài 1", "Học tiếp bài 3"), the quiz once every
// lesson is read, or, once passed, the first lesson to read again.
func nextStep(co *courses.Course, done map[string]bool, p *store.Progress, signedIn bool) courseStep {
	lesson := func(kind string, i int) courseStep {
		return courseStep{Kind: kind, N: i + 1, URL: "/courses/" + co.ID + "/lessons/" + co.Lessons[i].ID}
	}
	quiz := courseStep{Kind: "quiz", URL: "/courses/" + co.ID + "/quiz"}
	if len(co.Lessons) == 0 {
		return quiz
	}
	if p != nil && p.Passed {
		return lesson("again", 0)
	}
	read := 0
	for i, l := range co.Lessons {
		if !done[l.ID] {
			if read == 0 {
				return lesson("start", i)
			}
			return lesson("continue", i)
		}
		read++
	}
	if !signedIn {
		return lesson("start", 0)
	}
	return quiz
}

func (s *Server) lessonParam(c *fiber.Ctx) (*courses.Course, *courses.Lesson, error) {
	co, err := s.courseParam(c)
	if err != nil {
		return nil, nil, err
	}
	l := co.Lesson(c.Params("lesson"))
	if l == nil {
		return nil, nil, errNotFound
	}
	return co, l, nil
}

func (s *Server) lesson(c *fiber.Ctx) error {
	co, l, err := s.lessonParam(c)
	if err != nil {
		return err
	}
	prog, err := s.progressOf(c)
	if err != nil {
		return err
	}
	i := slices.Index(co.Lessons, l)
	data := fiber.Map{"Course": co, "Lesson": l, "Number": i + 1, "Count": len(co.Lessons), "HTML": l.HTML[s.lang(c)]}
	if p := prog[co.ID]; p != nil {
		data["IsDone"] = slices.Contains(p.Lessons, l.ID)
	}
	if i > 0 {
		data["Prev"] = co.Lessons[i-1]
	}
	if i+1 < len(co.Lessons) {
		data["Next"] = co.Lessons[i+1]
	}
	return s.render(c, "lesson", "", data)
}

// lessonDone marks a lesson read and moves on to the next one, or back to
// the course page after the last.
func (s *Server) lessonDone(c *fiber.Ctx) error {
	co, l, err := s.lessonParam(c)
	if err != nil {
		return err
	}
	if err := s.learn.LessonDone(c.UserContext(), user(c), co.ID, l.ID); err != nil {
		return err
	}
	i := slices.Index(co.Lessons, l)
	if i+1 < len(co.Lessons) {
		return c.Redirect("/courses/"+co.ID+"/lessons/"+co.Lessons[i+1].ID, fiber.StatusSeeOther)
	}
	return c.Redirect("/courses/"+co.ID+"#quiz", fiber.StatusSeeOther)
}

// courseImage serves a lesson picture. SVGs are served with a policy that
// runs no script, whatever a course file holds.
func (s *Server) courseImage(c *fiber.Ctx) error {
	co, err := s.courseParam(c)
	if err != nil {
		return err
	}
	img, ok := co.Images[c.Params("name")]
	if !ok {
		return errNotFound
	}
	c.Set(fiber.HeaderContentType, "image/svg+xml")
	c.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; sandbox")
	c.Set(fiber.HeaderCacheControl, "public, max-age=86400")
	return c.Send(img)
}
