package web

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"kynangso/app/credential"
	"kynangso/app/learning"
	"kynangso/app/store"
	"kynangso/courses"
)

// Practice confirmed in person (issue 10, part 3): from the team page the
// leader opens a member's practical tasks and confirms each she has seen
// done, or withdraws a confirmation before the certificate is issued.

// practiceItem is one course with practical tasks, as the page shows it.
type practiceItem struct {
	Course  *courses.Course
	Tasks   []practiceTask
	Passed  bool
	Started bool // she has read a lesson or taken the quiz
	Done    int  // tasks confirmed
	Issued  *store.Certificate
}

// Waiting: the quiz is passed and only confirmations are missing.
func (it practiceItem) Waiting() bool {
	return it.Issued == nil && it.Passed && it.Done < len(it.Tasks)
}

// Open: something is left to confirm in a course she has begun; the page
// shows these first and open, the rest (issued, all confirmed, or not
// begun) folded.
func (it practiceItem) Open() bool {
	return it.Issued == nil && it.Done < len(it.Tasks) && (it.Started || it.Done > 0)
}

// rank orders the page: waiting on the leader only, then begun with
// something to confirm, then all confirmed (waiting on the quiz), issued,
// and not begun.
func (it practiceItem) rank() int {
	switch {
	case it.Waiting():
		return 0
	case it.Open():
		return 1
	case it.Issued == nil && it.Done == len(it.Tasks):
		return 2
	case it.Issued != nil:
		return 3
	}
	return 4
}

type practiceTask struct {
	Task      courses.Task
	Confirmed *store.Confirmation
}

// practiceCourses lists the courses that have practical tasks.
func (s *Server) practiceCourses() []*courses.Course {
	var out []*courses.Course
	for _, co := range s.courses.Courses {
		if len(co.Tasks) > 0 {
			out = append(out, co)
		}
	}
	return out
}

// practiceItems reads a member's practice, course by course.
func (s *Server) practiceItems(c *fiber.Ctx, m *store.User) ([]practiceItem, error) {
	ctx := c.UserContext()
	confs, err := s.store.Confirmations(ctx, []string{m.ID})
	if err != nil {
		return nil, err
	}
	prog, err := s.store.ProgressOf(ctx, m.ID)
	if err != nil {
		return nil, err
	}
	certs, err := s.store.CertificatesOf(ctx, m.ID)
	if err != nil {
		return nil, err
	}
	var items []practiceItem
	for _, co := range s.practiceCourses() {
		it := practiceItem{Course: co, Passed: prog[co.ID] != nil && prog[co.ID].Passed, Started: prog[co.ID] != nil}
		for i := range certs {
			if certs[i].Course == co.ID && certs[i].Status == store.CertValid {
				it.Issued = &certs[i]
			}
		}
		for _, tk := range co.Tasks {
			pt := practiceTask{Task: tk}
			for i := range confs {
				if confs[i].Course == co.ID && confs[i].Task == tk.ID {
					pt.Confirmed = &confs[i]
				}
			}
			if pt.Confirmed != nil {
				it.Done++
			}
			it.Tasks = append(it.Tasks, pt)
		}
		items = append(items, it)
	}
	slices.SortStableFunc(items, func(a, b practiceItem) int { return a.rank() - b.rank() })
	return items, nil
}

// practiceMember loads the team in the URL, led by the signed-in person,
// and its member in the URL.
func (s *Server) practiceMember(c *fiber.Ctx) (*store.Team, *store.User, error) {
	t, err := s.ledTeam(c)
	if err != nil {
		return nil, nil, err
	}
	m, err := s.store.UserByID(c.UserContext(), c.Params("user"))
	if errors.Is(err, store.ErrNotFound) || (err == nil && m.TeamID != t.ID) {
		return nil, nil, errNotFound
	}
	return t, m, err
}

func (s *Server) memberPractice(c *fiber.Ctx) error {
	t, m, err := s.practiceMember(c)
	if err != nil {
		return err
	}
	items, err := s.practiceItems(c, m)
	if err != nil {
		return err
	}
	u := user(c)
	return s.render(c, "practice", "practice.title", fiber.Map{"Team": t, "Member": m, "Items": items,
		"CanConfirm": t.LeaderID == u.ID && m.ID != u.ID, "Saved": c.Query("saved") == "1"})
}

// setPractice confirms or withdraws one task. A second tap of either ends
// on the page the first led to.
func (s *Server) setPractice(c *fiber.Ctx) error {
	t, m, err := s.practiceMember(c)
	if err != nil {
		return err
	}
	co := s.courses.Get(c.FormValue("course"))
	if co == nil || co.Task(c.FormValue("task")) == nil {
		return errNotFound
	}
	task := c.FormValue("task")
	switch c.FormValue("do") {
	case "confirm":
		_, err = s.learn.Confirm(c.UserContext(), user(c).ID, m, co, task)
	case "withdraw":
		err = s.learn.Withdraw(c.UserContext(), user(c).ID, m, co, task)
	default:
		return fail(fiber.StatusBadRequest, "error.bad_request")
	}
	switch {
	case errors.Is(err, learning.ErrNotLeader):
		return fail(fiber.StatusForbidden, "practice.not_leader")
	case errors.Is(err, learning.ErrIssued):
		return fail(fiber.StatusConflict, "practice.issued_error")
	case err != nil:
		return err
	}
	return c.Redirect("/teams/"+t.ID+"/members/"+m.ID+"/practice?saved=1#course-"+co.ID, fiber.StatusSeeOther)
}

// practiceView is what the certificate page, the verification page, the
// PDF and the credential say of the practice behind a certificate.
type practiceView struct {
	Team  string // the teams whose leader confirmed, joined
	At    time.Time
	Tasks []courses.Text
}

// practiceOf returns the practice confirmed for ct before it was issued,
// or nil.
func (s *Server) practiceOf(ctx context.Context, ct *store.Certificate) (*practiceView, error) {
	co := s.courses.Get(ct.Course)
	p, err := learning.PracticeOf(ctx, s.store, ct, co)
	if err != nil || p == nil {
		return nil, err
	}
	return viewOf(p, co), nil
}

func viewOf(p *learning.Practice, co *courses.Course) *practiceView {
	if p == nil {
		return nil
	}
	v := &practiceView{Team: strings.Join(p.Teams, ", "), At: p.At}
	for _, c := range p.Confirmations {
		v.Tasks = append(v.Tasks, co.Task(c.Task).Title)
	}
	return v
}

// evidence is the practice as Open Badges evidence, in Vietnamese like
// the rest of the credential: one Evidence per task.
func (s *Server) evidence(ctx context.Context, ct *store.Certificate) ([]credential.Evidence, error) {
	co := s.courses.Get(ct.Course)
	p, err := learning.PracticeOf(ctx, s.store, ct, co)
	if err != nil || p == nil {
		return nil, err
	}
	var out []credential.Evidence
	for _, c := range p.Confirmations {
		out = append(out, credential.Evidence{Name: co.Task(c.Task).Title.In("vi"),
			Description: s.msgs.T("vi", "certificate.practice.evidence", "Team", c.TeamName, "Date", formatDate("vi", c.At))})
	}
	return out, nil
}
