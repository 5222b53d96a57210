package courses

import (
	"regexp"
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
