// Package courses holds the course catalogue as data files, one folder per
// course (see FORMAT.md), and the loader that reads and validates them.
// Loading fails loudly, naming the file, the line where it can, and what is
// wrong, so that a broken course never reaches a learner.
package courses

import (
	"html/template"
	"time"

	"kynangso/quiz"
)

// Langs are the languages every learner-visible text must be written in;
// the first is the source language.
var Langs = []string{"vi", "en"}

// Text is one text in every language, keyed by language code.
type Text map[string]string

// In returns the text in lang, falling back to Vietnamese.
func (t Text) In(lang string) string {
	if s, ok := t[lang]; ok && s != "" {
		return s
	}
	return t["vi"]
}

// Skills are the five basic digital skills every household should have
// (Công văn 3240/BTTTT-CĐSQG), plus "basics" for what comes before them.
var Skills = []string{"basics", "public-services", "shopping", "payment", "safety", "local-platforms"}

// The audiences a course can be written for.
const (
	AudienceResidents   = "residents"
	AudienceTeamMembers = "team-members"
)

// Course is one loaded course.
type Course struct {
	ID                  string
	Order               int // suggested position for a beginner
	Title               Text
	Summary             Text
	Certifies           Text // what the certificate vouches for, in one line
	Minutes             int
	Skills              []string
	Competences         []Competence
	Prerequisites       []string
	Checked             time.Time // when the facts were last checked
	PassMark            int       // percent
	QuestionsPerAttempt int
	// Audience is who the course is written for: AudienceResidents (the
	// default) or AudienceTeamMembers.
	Audience string
	// HowTo marks a course that teaches steps on a screen: every lesson
	// shows at least one annotated mock screen (see FORMAT.md).
	HowTo bool
	// Tasks are what a learner must be seen doing herself, confirmed in
	// person by her team's leader, before the certificate is issued
	// (issue 10); none for most courses.
	Tasks     []Task
	Lessons   []*Lesson
	Questions []*Question
	Images    map[string][]byte // file name → SVG
}

// Competence is a competence of a framework the course serves.
type Competence struct {
	Framework string // e.g. "DigComp 2.2", "QĐ 757/QĐ-BKHCN"
	Code      string
	Name      Text
}

// Task is a practical task: something the learner does on her own phone
// while her team's leader watches.
type Task struct {
	ID    string // stable: confirmations refer to it
	Title Text
}

// Task returns the task with id, or nil.
func (c *Course) Task(id string) *Task {
	for i := range c.Tasks {
		if c.Tasks[i].ID == id {
			return &c.Tasks[i]
		}
	}
	return nil
}

// Lesson is one lesson: its title and its body, rendered to safe HTML.
type Lesson struct {
	ID      string
	Title   Text
	Minutes int
	HTML    map[string]template.HTML // by language
	Source  map[string]string        // the Markdown, by language
}

// Question is a question of the pool with its texts.
type Question struct {
	quiz.Question
	Text        Text
	Explanation Text
	OptionText  map[string]Text // by option id
}

// Lesson returns the lesson with id, or nil.
func (c *Course) Lesson(id string) *Lesson {
	for _, l := range c.Lessons {
		if l.ID == id {
			return l
		}
	}
	return nil
}

// Question returns the question with id, or nil.
func (c *Course) Question(id string) *Question {
	for _, q := range c.Questions {
		if q.ID == id {
			return q
		}
	}
	return nil
}

// Pool returns the questions as the quiz engine sees them.
func (c *Course) Pool() []quiz.Question {
	out := make([]quiz.Question, len(c.Questions))
	for i, q := range c.Questions {
		out[i] = q.Question
	}
	return out
}

// Catalogue is every loaded course, in suggested order.
type Catalogue struct {
	Courses []*Course
	byID    map[string]*Course
}

// Get returns the course with id, or nil.
func (c *Catalogue) Get(id string) *Course { return c.byID[id] }
