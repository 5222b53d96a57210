package courses

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"unicode"

	"kynangso/quiz"
)

func TestBuiltinCoursesLoad(t *testing.T) {
	cat, err := Builtin()
	if err != nil {
		t.Fatalf("loading the built-in courses:\n%v", err)
	}
	if len(cat.Courses) < 2 {
		t.Fatalf("want at least 2 courses, got %d", len(cat.Courses))
	}
}

// Content lint: limits that keep a lesson readable on a phone by an older
// learner in under five minutes, and a quiz that tests more than recall.
const (
	maxLessonWordsEN   = 600
	maxLessonWordsVI   = 800 // Vietnamese words are syllables: about 1.3 per English word
	maxSentenceWordsEN = 32
	maxSentenceWordsVI = 42
	minQuestions       = 15
	minPerKind         = 2 // so that an attempt of ten usually meets every kind
)

func TestCourseContentLint(t *testing.T) {
	cat, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cat.Courses {
		t.Run(c.ID, func(t *testing.T) {
			if n := len(c.Lessons); n < 4 || n > 6 {
				t.Errorf("has %d lessons, want 4 to 6", n)
			}
			if len(c.Questions) < minQuestions {
				t.Errorf("has %d questions, want at least %d", len(c.Questions), minQuestions)
			}
			kinds := map[quiz.Kind]int{}
			for _, q := range c.Questions {
				kinds[q.Kind]++
			}
			for _, k := range quiz.Kinds {
				if kinds[k] < minPerKind {
					t.Errorf("has %d %s questions, want at least %d: the pool should mix all kinds", kinds[k], k, minPerKind)
				}
			}
			if len(c.Competences) == 0 {
				t.Error("names no framework competence")
			}
			for _, l := range c.Lessons {
				for lang, src := range l.Source {
					where := l.ID + "." + lang + ".md"
					if !strings.Contains(src, "](img/") {
						t.Errorf("%s: has no picture", where)
					}
					box := map[string]string{"vi": "**Ghi nhớ:**", "en": "**Remember:**"}[lang]
					if !strings.Contains(src, box) {
						t.Errorf("%s: has no %q box", where, box)
					}
					words := len(strings.Fields(plain(src)))
					limit := map[string]int{"vi": maxLessonWordsVI, "en": maxLessonWordsEN}[lang]
					if words > limit {
						t.Errorf("%s: %d words, want at most %d (under five minutes on a phone)", where, words, limit)
					}
					slimit := map[string]int{"vi": maxSentenceWordsVI, "en": maxSentenceWordsEN}[lang]
					for _, s := range sentences(plain(src)) {
						if n := len(strings.Fields(s)); n > slimit {
							t.Errorf("%s: sentence of %d words (max %d): %.80q…", where, n, slimit, s)
						}
					}
				}
			}
		})
	}
}

// svgOutside finds what would load something or run something: links out,
// scripts, embedded documents, event handlers, references not to the
// drawing's own parts.
var svgOutside = regexp.MustCompile(`(?i)https?:|<script|<image|<foreignObject|@import|url\([^#]|\son[a-z]+\s*=|href\s*=\s*"[^#]`)

var imageRef = regexp.MustCompile(`!\[([^\]]*)\]\(img/([^)]+)\)`)

// Every picture shows in both languages, each with alt text in its own
// language, and no picture reaches out to the internet or runs a script.
func TestPicturesInBothLanguagesAndOffline(t *testing.T) {
	cat, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cat.Courses {
		for _, l := range c.Lessons {
			pics := map[string][]string{}
			for _, lang := range Langs {
				for _, m := range imageRef.FindAllStringSubmatch(l.Source[lang], -1) {
					pics[lang] = append(pics[lang], m[2])
				}
			}
			if strings.Join(pics["vi"], ",") != strings.Join(pics["en"], ",") {
				t.Errorf("%s/%s: pictures differ between languages: vi %v, en %v", c.ID, l.ID, pics["vi"], pics["en"])
			}
		}
		for name, svg := range c.Images {
			src := string(svg)
			if !strings.HasSuffix(name, ".svg") {
				t.Errorf("%s/img/%s: pictures are SVG drawings", c.ID, name)
			}
			if len(svg) > 8<<10 {
				t.Errorf("%s/img/%s: %d bytes, keep pictures under 8 KB for slow connections", c.ID, name, len(svg))
			}
			stripped := strings.ReplaceAll(src, `xmlns="http://www.w3.org/2000/svg"`, "")
			if m := svgOutside.FindString(stripped); m != "" {
				t.Errorf("%s/img/%s: contains %q (pictures must show offline and run nothing)", c.ID, name, m)
			}
		}
	}
}

var mdNoise = regexp.MustCompile(`!\[[^\]]*\]\([^)]*\)|\[([^\]]*)\]\([^)]*\)|[#>*_` + "`" + `|]`)

func plain(md string) string { return mdNoise.ReplaceAllString(md, "$1") }

// sentences splits on sentence ends and on line breaks, since list items
// and headings are read as units of their own.
func sentences(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool {
		return r == '.' || r == '?' || r == '!' || r == '\n' || r == ':' || r == ';' || unicode.IsControl(r)
	})
}

// courseWithTasks is the fixture course of TestLoaderRejectsBrokenCourses
// with tasks (TOML tables) before its lessons.
func courseWithTasks(tasks string) string {
	return `id = "c"
order = 1
minutes = 5
skills = ["safety"]
checked = "2026-11-20"
pass_mark = 70
questions_per_attempt = 1
title = { vi = "Khoá", en = "Course" }
summary = { vi = "Tóm tắt", en = "Summary" }
certifies = { vi = "Biết", en = "Knows" }
` + tasks + `[[lessons]]
id = "l1"
minutes = 3
title = { vi = "Bài", en = "Lesson" }
`
}

// The courses where practice is what matters ask for practical tasks
// (issue 10): each in both languages, with ids unique in the course, a
// few at most, and written as something done by oneself.
func TestPracticalTasks(t *testing.T) {
	cat, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"thanh-toan-khong-tien-mat", "dich-vu-cong", "vneid", "phong-chong-lua-dao", "nen-tang-so-dia-phuong"} {
		c := cat.Get(id)
		if c == nil {
			t.Errorf("no course %q", id)
			continue
		}
		if n := len(c.Tasks); n < 1 || n > MaxTasks {
			t.Errorf("%s: %d practical tasks, want 1 to %d", id, n, MaxTasks)
		}
	}
	for _, c := range cat.Courses {
		seen := map[string]bool{}
		for _, tk := range c.Tasks {
			if seen[tk.ID] {
				t.Errorf("%s: task id %q twice", c.ID, tk.ID)
			}
			seen[tk.ID] = true
			if !idPattern.MatchString(tk.ID) {
				t.Errorf("%s: task id %q", c.ID, tk.ID)
			}
			for _, l := range Langs {
				if strings.TrimSpace(tk.Title[l]) == "" {
					t.Errorf("%s: task %s has no %s title", c.ID, tk.ID, l)
				}
			}
			if !strings.HasPrefix(tk.Title["vi"], "Tự ") {
				t.Errorf("%s: task %s should say the learner does it herself (\"Tự …\"): %q", c.ID, tk.ID, tk.Title["vi"])
			}
			if c.Task(tk.ID) == nil {
				t.Errorf("%s: Task(%q) finds nothing", c.ID, tk.ID)
			}
		}
	}
}

func TestLoaderRejectsBrokenCourses(t *testing.T) {
	base := func() fstest.MapFS {
		return fstest.MapFS{
			"c/course.toml": {Data: []byte(`id = "c"
order = 1
minutes = 5
skills = ["safety"]
checked = "2026-11-20"
pass_mark = 70
questions_per_attempt = 1
title = { vi = "Khoá", en = "Course" }
summary = { vi = "Tóm tắt", en = "Summary" }
certifies = { vi = "Biết", en = "Knows" }
[[lessons]]
id = "l1"
minutes = 3
title = { vi = "Bài", en = "Lesson" }
`)},
			"c/lessons/l1.vi.md": {Data: []byte("Xin chào ![hình](img/a.svg)")},
			"c/lessons/l1.en.md": {Data: []byte("Hello ![picture](img/a.svg)")},
			"c/img/a.svg":        {Data: []byte("<svg/>")},
			"c/questions.toml": {Data: []byte(`[[questions]]
id = "q1"
kind = "truefalse"
answer = true
text = { vi = "Đúng?", en = "True?" }
explanation = { vi = "Vì.", en = "Because." }
`)},
		}
	}
	if _, err := Load(base()); err != nil {
		t.Fatalf("the valid fixture must load: %v", err)
	}
	cases := []struct {
		name, file, data, want string
	}{
		{"missing translation", "c/lessons/l1.en.md", "", "has no en text"},
		{"unknown kind", "c/questions.toml", `[[questions]]
id = "q1"
kind = "essay"
text = { vi = "Viết", en = "Write" }
explanation = { vi = "Vì.", en = "Because." }
`, `questions.toml:2: question "q1": unknown question kind "essay"`},
		{"no correct answer", "c/questions.toml", `[[questions]]
id = "q1"
kind = "single"
text = { vi = "Chọn", en = "Pick" }
explanation = { vi = "Vì.", en = "Because." }
options = [ { id = "a", text = { vi = "A", en = "A" } }, { id = "b", text = { vi = "B", en = "B" } } ]
`, "exactly 1 correct option, has 0"},
		{"duplicate id", "c/questions.toml", `[[questions]]
id = "q1"
kind = "truefalse"
answer = true
text = { vi = "Đúng?", en = "True?" }
explanation = { vi = "Vì.", en = "Because." }
[[questions]]
id = "q1"
kind = "truefalse"
answer = true
text = { vi = "Đúng?", en = "True?" }
explanation = { vi = "Vì.", en = "Because." }
`, `duplicate question id "q1"`},
		{"missing vi question text", "c/questions.toml", `[[questions]]
id = "q1"
kind = "truefalse"
answer = true
text = { en = "True?" }
explanation = { vi = "Vì.", en = "Because." }
`, `questions.toml:2: question q1 text is missing in "vi"`},
		{"broken image", "c/lessons/l1.vi.md", "![hình](img/none.svg)", "image img/none.svg does not exist"},
		{"remote image", "c/lessons/l1.vi.md", "![hình](https://example.com/a.png)", "must be a file of the course's img folder"},
		{"image without alt", "c/lessons/l1.vi.md", "![](img/a.svg)", "has no alt text"},
		{"toml syntax", "c/questions.toml", "[[questions]]\nid = ", "questions.toml:2"},
		{"task without English", "c/course.toml", courseWithTasks(`[[tasks]]
id = "t1"
title = { vi = "Tự quét mã QR" }
`), `task t1 title is missing in "en"`},
		{"task without Vietnamese", "c/course.toml", courseWithTasks(`[[tasks]]
id = "t1"
title = { en = "Scan a QR code" }
`), `task t1 title is missing in "vi"`},
		{"duplicate task id", "c/course.toml", courseWithTasks(`[[tasks]]
id = "t1"
title = { vi = "Một", en = "One" }
[[tasks]]
id = "t1"
title = { vi = "Hai", en = "Two" }
`), `duplicate task id "t1"`},
		{"bad task id", "c/course.toml", courseWithTasks(`[[tasks]]
id = "Quét QR"
title = { vi = "Một", en = "One" }
`), `task id "Quét QR" must be lower-case`},
		{"too many tasks", "c/course.toml", courseWithTasks(`[[tasks]]
id = "t1"
title = { vi = "Một", en = "One" }
[[tasks]]
id = "t2"
title = { vi = "Hai", en = "Two" }
[[tasks]]
id = "t3"
title = { vi = "Ba", en = "Three" }
[[tasks]]
id = "t4"
title = { vi = "Bốn", en = "Four" }
`), "at most 3 practical tasks, has 4"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fsys := base()
			if tc.data == "" {
				delete(fsys, tc.file)
			} else {
				fsys[tc.file] = &fstest.MapFile{Data: []byte(tc.data)}
			}
			_, err := Load(fsys)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want an error containing %q, got %v", tc.want, err)
			}
		})
	}
}

func TestLessonHTMLIsSafe(t *testing.T) {
	html, _, err := renderMarkdown([]byte("Hi <script>alert(1)</script> ![a](img/x.svg)"), "c")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(html), "<script>") {
		t.Fatalf("raw HTML reached the page: %s", html)
	}
	if !strings.Contains(string(html), `src="/courses/c/img/x.svg"`) {
		t.Fatalf("image not rewritten to the served URL: %s", html)
	}
}

// A bare <link> is held to the rule a [text](link) is: https:// only.
func TestBareLinksAreHTTPSOnly(t *testing.T) {
	for _, src := range []string{"<http://not.https.vn>", "<mailto:a@b.vn>", "<intent://x>", "a@b.vn is <a@b.vn>"} {
		if _, _, err := renderMarkdown([]byte(src), "c"); err == nil {
			t.Errorf("%q accepted", src)
		}
	}
	if _, _, err := renderMarkdown([]byte("<https://dichvucong.gov.vn>"), "c"); err != nil {
		t.Errorf("an https link refused: %v", err)
	}
}

// allButOneLimit checks the quiz rule of issue 13: a multiple-choice
// question where every option but one is right is answered by spotting the
// one absurd option, so no more than a third of a course's multiple-choice
// questions may be made that way.
func allButOneLimit(c *Course) error {
	var multiple, allButOne []string
	for _, q := range c.Questions {
		if q.Kind != quiz.Multiple {
			continue
		}
		multiple = append(multiple, q.ID)
		right := 0
		for _, o := range q.Options {
			if o.Correct {
				right++
			}
		}
		if right == len(q.Options)-1 {
			allButOne = append(allButOne, q.ID)
		}
	}
	if 3*len(allButOne) > len(multiple) {
		return fmt.Errorf("%d of %d multiple-choice questions have every option but one right (%s); at most a third may: write wrong options that are mistakes people really make",
			len(allButOne), len(multiple), strings.Join(allButOne, ", "))
	}
	return nil
}

func TestMultipleChoiceIsNotSpotTheOddOneOut(t *testing.T) {
	cat, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cat.Courses {
		if err := allButOneLimit(c); err != nil {
			t.Errorf("%s: %v", c.ID, err)
		}
	}
}

// The five basic skills of Công văn 3240/BTTTT-CĐSQG are each taught to
// residents: a course written for team members does not count, since a
// household is covered by what its members learnt.
func basicSkillsForResidents(cat *Catalogue) error {
	var missing []string
	for _, s := range Skills {
		if s == "basics" {
			continue
		}
		found := false
		for _, c := range cat.Courses {
			if c.Audience == AudienceResidents && slices.Contains(c.Skills, s) {
				found = true
			}
		}
		if !found {
			missing = append(missing, s)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("no course for residents teaches %s", strings.Join(missing, ", "))
	}
	return nil
}

func TestEveryBasicSkillHasAResidentsCourse(t *testing.T) {
	cat, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	if err := basicSkillsForResidents(cat); err != nil {
		t.Error(err)
	}
}

// An annotated screen (FORMAT.md) is an SVG whose root carries
// data-screen="steps" and whose only text is the step numbers, each in a
// <g class="step">: digits need no translation.
var (
	screenMark = regexp.MustCompile(`^<svg[^>]*\sdata-screen="steps"`)
	svgText    = regexp.MustCompile(`(?s)<text[^>]*>(.*?)</text>`)
	stepText   = regexp.MustCompile(`(?s)<g class="step">.*?<text[^>]*>(.*?)</text>.*?</g>`)
	stepLine   = regexp.MustCompile(`(?m)^\d+\. `)
)

// screenProblems checks one lesson: each annotated screen it shows has text
// that is step numbers only, rising (a screen may show steps 4 to 6 of a
// lesson), none beyond the lesson's numbered steps; and, for a lesson of a
// how-to course, there is at least one such screen.
func screenProblems(c *Course, l *Lesson) []string {
	var out []string
	src := l.Source["vi"]
	steps := len(stepLine.FindAllString(src, -1))
	screens := 0
	for _, m := range imageRef.FindAllStringSubmatch(src, -1) {
		svg := strings.TrimSpace(string(c.Images[m[2]]))
		if !screenMark.MatchString(svg) {
			continue
		}
		screens++
		var nums []string
		for _, s := range stepText.FindAllStringSubmatch(svg, -1) {
			nums = append(nums, s[1])
		}
		for _, t := range svgText.FindAllStringSubmatch(svg, -1) {
			if !regexp.MustCompile(`^\d+$`).MatchString(t[1]) {
				out = append(out, fmt.Sprintf("img/%s: text %q in a screen (only step numbers; words go in the alt text)", m[2], t[1]))
			}
		}
		if len(nums) == 0 {
			out = append(out, fmt.Sprintf("img/%s: a screen with no numbered step", m[2]))
		}
		last := 0
		for _, n := range nums {
			k, err := strconv.Atoi(n)
			if err != nil || k <= last {
				out = append(out, fmt.Sprintf("img/%s: steps marked %v, want rising step numbers (1, 2, 3… or 4, 5…)", m[2], nums))
				break
			}
			if k > steps {
				out = append(out, fmt.Sprintf("img/%s: marks step %d, the lesson numbers only %d", m[2], k, steps))
				break
			}
			last = k
		}
	}
	if screens == 0 && c.HowTo {
		out = append(out, "a lesson of a how-to course shows no annotated screen")
	}
	return out
}

func TestHowToLessonsShowAnnotatedScreens(t *testing.T) {
	cat, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cat.Courses {
		for _, l := range c.Lessons {
			for _, p := range screenProblems(c, l) {
				t.Errorf("%s/%s: %s", c.ID, l.ID, p)
			}
		}
	}
}

// Each lint above fails on a course that breaks it.
func TestLintsCatchBadCourses(t *testing.T) {
	q := func(id string, right ...bool) *Question {
		qq := &Question{Question: quiz.Question{ID: id, Kind: quiz.Multiple}}
		for i, r := range right {
			qq.Options = append(qq.Options, quiz.Option{ID: string(rune('a' + i)), Correct: r})
		}
		return qq
	}
	bad := &Course{ID: "bad", Questions: []*Question{q("q1", true, true, true, false), q("q2", true, true, false, false), q("q3", true, false, true, true)}}
	if err := allButOneLimit(bad); err == nil || !strings.Contains(err.Error(), "2 of 3") {
		t.Errorf("two all-but-one questions of three passed the limit: %v", err)
	}
	bad.Questions[2] = q("q3", true, false, false, false)
	if err := allButOneLimit(bad); err != nil {
		t.Errorf("one of three refused: %v", err)
	}

	cat := &Catalogue{Courses: []*Course{
		{ID: "a", Audience: AudienceResidents, Skills: []string{"public-services", "shopping", "payment", "safety"}},
		{ID: "team", Audience: AudienceTeamMembers, Skills: []string{"local-platforms"}},
	}}
	if err := basicSkillsForResidents(cat); err == nil || !strings.Contains(err.Error(), "local-platforms") {
		t.Errorf("local platforms taught only to team members passed: %v", err)
	}

	screen := func(body string) []byte {
		return []byte(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10" data-screen="steps">` + body + `</svg>`)
	}
	step := func(n string) string { return `<g class="step"><circle r="1"/><text>` + n + `</text></g>` }
	lesson := &Lesson{ID: "l", Source: map[string]string{"vi": "1. Mở.\n2. Bấm.\n\n![màn hình](img/s.svg)"}}
	cases := []struct {
		name string
		img  []byte
		want string
	}{
		{"decoration only", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><circle r="1"/></svg>`), "no annotated screen"},
		{"words in the drawing", screen(step("1") + `<text>Đăng nhập</text>`), "only step numbers"},
		{"no step", screen(`<rect/>`), "no numbered step"},
		{"steps out of order", screen(step("2") + step("1")), "rising step numbers"},
		{"a mark beyond the steps", screen(step("1") + step("3")), "marks step 3, the lesson numbers only 2"},
	}
	for _, tc := range cases {
		c := &Course{ID: "c", HowTo: true, Images: map[string][]byte{"s.svg": tc.img}}
		got := strings.Join(screenProblems(c, lesson), "; ")
		if !strings.Contains(got, tc.want) {
			t.Errorf("%s: want a problem containing %q, got %q", tc.name, tc.want, got)
		}
	}
	for _, body := range []string{step("1") + step("2"), step("2")} {
		good := &Course{ID: "c", HowTo: true, Images: map[string][]byte{"s.svg": screen(body)}}
		if p := screenProblems(good, lesson); len(p) > 0 {
			t.Errorf("a good screen refused: %v", p)
		}
	}
	plain := &Course{ID: "c", Images: map[string][]byte{"s.svg": []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`)}}
	if p := screenProblems(plain, lesson); len(p) > 0 {
		t.Errorf("a decorative picture refused outside a how-to course: %v", p)
	}
}
