package courses

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"os"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	"golang.org/x/text/unicode/norm"

	"kynangso/quiz"
)

// The course folders, embedded. Folders whose names start with "_" or "."
// are left out by go:embed, which keeps drafts out of the binary.
//
//go:embed *
var embedded embed.FS

// Builtin loads the courses shipped with the program.
func Builtin() (*Catalogue, error) { return Load(embedded) }

// LoadWith loads the built-in courses plus those in dir, if dir is set.
func LoadWith(dir string) (*Catalogue, error) {
	if dir == "" {
		return Builtin()
	}
	return Load(embedded, os.DirFS(dir))
}

var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// Load reads every folder holding a course.toml from each file system.
// It reports all problems found, not just the first.
func Load(fsyss ...fs.FS) (*Catalogue, error) {
	cat := &Catalogue{byID: map[string]*Course{}}
	var errs []error
	for _, fsys := range fsyss {
		dirs, err := fs.Glob(fsys, "*/course.toml")
		if err != nil {
			return nil, err
		}
		for _, f := range dirs {
			dir := path.Dir(f)
			c, err := loadCourse(fsys, dir)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if cat.byID[c.ID] != nil {
				errs = append(errs, fmt.Errorf("%s: duplicate course id %q", f, c.ID))
				continue
			}
			cat.byID[c.ID] = c
			cat.Courses = append(cat.Courses, c)
		}
	}
	for _, c := range cat.Courses {
		for _, p := range c.Prerequisites {
			if cat.byID[p] == nil {
				errs = append(errs, fmt.Errorf("%s/course.toml: unknown prerequisite %q", c.ID, p))
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	sort.SliceStable(cat.Courses, func(i, j int) bool { return cat.Courses[i].Order < cat.Courses[j].Order })
	return cat, nil
}

type courseFile struct {
	ID                  string
	Order               int
	Title               Text
	Summary             Text
	Certifies           Text
	Minutes             int
	Skills              []string
	Prerequisites       []string
	Checked             string
	PassMark            int `toml:"pass_mark"`
	QuestionsPerAttempt int `toml:"questions_per_attempt"`
	Audience            string
	HowTo               bool `toml:"howto"`
	Competences         []struct {
		Framework string
		Code      string
		Name      Text
	}
	Tasks []struct {
		ID    string
		Title Text
	}
	Lessons []struct {
		ID      string
		Minutes int
		Title   Text
	}
}

// MaxTasks is the most practical tasks a course may ask for.
const MaxTasks = 3

type questionFile struct {
	Questions []struct {
		ID          string
		Kind        string
		Text        Text
		Explanation Text
		Answer      *bool // truefalse
		Options     []struct {
			ID      string
			Correct bool
			Text    Text
		}
	}
}

// problems gathers what is wrong with one course, each with file and line.
type problems struct {
	errs []error
}

func (p *problems) add(file string, src []byte, near string, format string, args ...any) {
	loc := file
	if line := lineOf(src, near); line > 0 {
		loc = fmt.Sprintf("%s:%d", file, line)
	}
	p.errs = append(p.errs, fmt.Errorf("%s: %s", loc, fmt.Sprintf(format, args...)))
}

// lineOf finds the line of the first `id = "near"`, the best anchor a TOML
// decoder that keeps no positions allows.
func lineOf(src []byte, near string) int {
	if near == "" {
		return 0
	}
	re := regexp.MustCompile(`(?m)^\s*id\s*=\s*"` + regexp.QuoteMeta(near) + `"`)
	loc := re.FindIndex(src)
	if loc == nil {
		return 0
	}
	return bytes.Count(src[:loc[0]], []byte("\n")) + 1
}

func decode(fsys fs.FS, file string, v any) ([]byte, error) {
	src, err := fs.ReadFile(fsys, file)
	if err != nil {
		return nil, err
	}
	if !norm.NFC.IsNormal(src) {
		return nil, fmt.Errorf("%s: text is not NFC-normalised (retype the diacritics or run it through an NFC normaliser)", file)
	}
	md, err := toml.Decode(string(src), v)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("%s:%d: %s", file, pe.Position.Line, pe.Message)
		}
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		return nil, fmt.Errorf("%s: unknown key %q", file, und[0].String())
	}
	return src, nil
}

func checkText(p *problems, file string, src []byte, near, what string, t Text) {
	for _, l := range Langs {
		if strings.TrimSpace(t[l]) == "" {
			p.add(file, src, near, "%s is missing in %q", what, l)
		}
	}
	for l := range t {
		if !slices.Contains(Langs, l) {
			p.add(file, src, near, "%s has unknown language %q", what, l)
		}
	}
}

func loadCourse(fsys fs.FS, dir string) (*Course, error) {
	p := &problems{}
	cfile := dir + "/course.toml"
	var cf courseFile
	csrc, err := decode(fsys, cfile, &cf)
	if err != nil {
		return nil, err
	}
	c := &Course{
		ID: cf.ID, Order: cf.Order, Title: cf.Title, Summary: cf.Summary, Certifies: cf.Certifies,
		Minutes: cf.Minutes, Skills: cf.Skills, Prerequisites: cf.Prerequisites,
		PassMark: cf.PassMark, QuestionsPerAttempt: cf.QuestionsPerAttempt,
		Audience: cf.Audience, HowTo: cf.HowTo,
		Images: map[string][]byte{},
	}
	switch c.Audience {
	case "":
		c.Audience = AudienceResidents
	case AudienceResidents, AudienceTeamMembers:
	default:
		p.add(cfile, csrc, "", "audience must be %q or %q, got %q", AudienceResidents, AudienceTeamMembers, c.Audience)
	}
	if !idPattern.MatchString(c.ID) {
		p.add(cfile, csrc, "", "course id %q must be lower-case letters, digits and dashes", c.ID)
	}
	if c.ID != path.Base(dir) {
		p.add(cfile, csrc, "", "course id %q differs from its folder name %q", c.ID, path.Base(dir))
	}
	checkText(p, cfile, csrc, "", "title", c.Title)
	checkText(p, cfile, csrc, "", "summary", c.Summary)
	checkText(p, cfile, csrc, "", "certifies", c.Certifies)
	if c.Minutes <= 0 {
		p.add(cfile, csrc, "", "minutes must be positive")
	}
	if len(c.Skills) == 0 {
		p.add(cfile, csrc, "", "skills: name at least one of %v", Skills)
	}
	for _, s := range c.Skills {
		if !slices.Contains(Skills, s) {
			p.add(cfile, csrc, "", "unknown skill %q (want one of %v)", s, Skills)
		}
	}
	if c.Checked, err = time.Parse(time.DateOnly, cf.Checked); err != nil {
		p.add(cfile, csrc, "", "checked must be a date like 2026-11-20, got %q", cf.Checked)
	}
	if c.PassMark < 1 || c.PassMark > 100 {
		p.add(cfile, csrc, "", "pass_mark must be a percentage from 1 to 100, got %d", c.PassMark)
	}
	for _, k := range cf.Competences {
		if k.Framework == "" || k.Code == "" {
			p.add(cfile, csrc, "", "a competence needs framework and code")
		}
		checkText(p, cfile, csrc, "", "competence "+k.Code+" name", k.Name)
		c.Competences = append(c.Competences, Competence{Framework: k.Framework, Code: k.Code, Name: k.Name})
	}

	if len(cf.Tasks) > MaxTasks {
		p.add(cfile, csrc, "", "at most %d practical tasks, has %d", MaxTasks, len(cf.Tasks))
	}
	taskSeen := map[string]bool{}
	for _, tf := range cf.Tasks {
		if !idPattern.MatchString(tf.ID) {
			p.add(cfile, csrc, tf.ID, "task id %q must be lower-case letters, digits and dashes", tf.ID)
			continue
		}
		if taskSeen[tf.ID] {
			p.add(cfile, csrc, tf.ID, "duplicate task id %q", tf.ID)
			continue
		}
		taskSeen[tf.ID] = true
		checkText(p, cfile, csrc, tf.ID, "task "+tf.ID+" title", tf.Title)
		c.Tasks = append(c.Tasks, Task{ID: tf.ID, Title: tf.Title})
	}

	images, _ := fs.Glob(fsys, dir+"/img/*")
	for _, f := range images {
		b, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, err
		}
		c.Images[path.Base(f)] = b
	}

	if len(cf.Lessons) == 0 {
		p.add(cfile, csrc, "", "a course needs at least one lesson")
	}
	seen := map[string]bool{}
	for _, lf := range cf.Lessons {
		if !idPattern.MatchString(lf.ID) {
			p.add(cfile, csrc, lf.ID, "lesson id %q must be lower-case letters, digits and dashes", lf.ID)
			continue
		}
		if seen[lf.ID] {
			p.add(cfile, csrc, lf.ID, "duplicate lesson id %q", lf.ID)
			continue
		}
		seen[lf.ID] = true
		checkText(p, cfile, csrc, lf.ID, "lesson title", lf.Title)
		l := &Lesson{ID: lf.ID, Title: lf.Title, Minutes: lf.Minutes, HTML: map[string]template.HTML{}, Source: map[string]string{}}
		for _, lang := range Langs {
			mfile := fmt.Sprintf("%s/lessons/%s.%s.md", dir, lf.ID, lang)
			md, err := fs.ReadFile(fsys, mfile)
			if err != nil {
				p.add(cfile, csrc, lf.ID, "lesson %q has no %s text: %s is missing", lf.ID, lang, mfile)
				continue
			}
			if !norm.NFC.IsNormal(md) {
				p.add(mfile, nil, "", "text is not NFC-normalised")
			}
			html, refs, err := renderMarkdown(md, c.ID)
			if err != nil {
				p.add(mfile, nil, "", "%v", err)
				continue
			}
			for _, r := range refs {
				if _, ok := c.Images[r]; !ok {
					p.add(mfile, nil, "", "image img/%s does not exist", r)
				}
			}
			l.HTML[lang] = html
			l.Source[lang] = string(md)
		}
		c.Lessons = append(c.Lessons, l)
	}

	qfile := dir + "/questions.toml"
	var qf questionFile
	qsrc, err := decode(fsys, qfile, &qf)
	if err != nil {
		return nil, err
	}
	qseen := map[string]bool{}
	for i, qd := range qf.Questions {
		if qd.ID == "" {
			p.add(qfile, qsrc, "", "question number %d has no id", i+1)
			continue
		}
		if qseen[qd.ID] {
			p.add(qfile, qsrc, qd.ID, "duplicate question id %q", qd.ID)
			continue
		}
		qseen[qd.ID] = true
		q := &Question{
			Question:    quiz.Question{ID: qd.ID, Kind: quiz.Kind(qd.Kind)},
			Text:        qd.Text,
			Explanation: qd.Explanation,
			OptionText:  map[string]Text{},
		}
		checkText(p, qfile, qsrc, qd.ID, "question "+qd.ID+" text", qd.Text)
		checkText(p, qfile, qsrc, qd.ID, "question "+qd.ID+" explanation", qd.Explanation)
		if q.Kind == quiz.TrueFalse {
			if qd.Answer == nil || len(qd.Options) > 0 {
				p.add(qfile, qsrc, qd.ID, "question %q: a truefalse question takes answer = true or false and no options", qd.ID)
				continue
			}
			q.Options = []quiz.Option{{ID: quiz.OptTrue, Correct: *qd.Answer}, {ID: quiz.OptFalse, Correct: !*qd.Answer}}
		}
		for _, o := range qd.Options {
			checkText(p, qfile, qsrc, qd.ID, "question "+qd.ID+" option "+o.ID, o.Text)
			q.Options = append(q.Options, quiz.Option{ID: o.ID, Correct: o.Correct})
			q.OptionText[o.ID] = o.Text
		}
		if err := q.Validate(); err != nil {
			p.add(qfile, qsrc, qd.ID, "question %q: %v", qd.ID, err)
			continue
		}
		c.Questions = append(c.Questions, q)
	}
	if c.QuestionsPerAttempt < 1 || c.QuestionsPerAttempt > len(c.Questions) {
		p.add(cfile, csrc, "", "questions_per_attempt must be from 1 to the pool size %d, got %d", len(c.Questions), c.QuestionsPerAttempt)
	}
	if err := errors.Join(p.errs...); err != nil {
		return nil, err
	}
	return c, nil
}
