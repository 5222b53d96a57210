package courses

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// Lessons are Markdown from course folders (KNS_COURSES_DIR may be anyone's).
// Whatever the source, what renderMarkdown lets through is read by a
// browser as goldmark's own elements only: no raw HTML, no script, no
// event handler or style, no link a browser would run (javascript:,
// data:, vbscript:), images only from the course's own folder.
//
// Every link, written [text](url) or bare as <url>, is https:// (the
// loader refuses any other).
func FuzzLessonMarkdown(f *testing.F) {
	for _, s := range []string{
		"# Title\n\nHi **there** _you_.\n\n- one\n- two\n\n1. a\n2. b\n\n> quote\n\n`code`\n\n    pre\n\n---\n",
		"Hi <script>alert(1)</script> ![a](img/x.svg)",
		"<img src=x onerror=alert(1)>",
		"[x](javascript:alert(1)) [y](https://example.vn \"t\")",
		"<javascript:alert(1)> <https://ok.vn> <http://not.https> <mailto:a@b.c> a@b.c",
		"<A0:> <JaVaScRiPt:x> <intent://x> <é:x> <a0:000%00> <%%00@0>",
		"![a\" onerror=\"x](img/a.svg)",
		"[a](https://x.vn/\"onmouseover=alert(1))",
		"<!-- c --> <?php ?> <![CDATA[x]]> <div>\n\n*x*\n\n</div>",
		"```html\n<script>x</script>\n```",
		"[ref]\n\n[ref]: https://ok.vn 'title'",
		"![ref][r]\n\n[r]: img/r.svg",
		"<style>*{}</style><iframe src=//x>",
		"&lt;script&gt; &#x3C;script&#x3E; \\<script>",
		"\"quoted\" -- dashes --- ... 'single'",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		out, refs, err := renderMarkdown([]byte(src), "c")
		if err != nil {
			return // the loader refuses the course
		}
		for _, r := range refs {
			if r == "" || strings.ContainsAny(r, "/\\") {
				t.Fatalf("image ref %q from %q", r, src)
			}
		}
		z := html.NewTokenizer(strings.NewReader(string(out)))
		for {
			tt := z.Next()
			switch tt {
			case html.ErrorToken:
				if z.Err() != io.EOF {
					t.Fatalf("%v reading %q", z.Err(), out)
				}
				return
			case html.CommentToken:
				if c := bytes.TrimSpace(z.Text()); string(c) != "raw HTML omitted" {
					t.Fatalf("comment %q in %q from %q", c, out, src)
				}
			case html.DoctypeToken:
				t.Fatalf("doctype in %q from %q", out, src)
			case html.StartTagToken, html.EndTagToken, html.SelfClosingTagToken:
				tok := z.Token()
				if tok.Type == html.StartTagToken && tok.Data == "a" {
					for _, a := range tok.Attr {
						if a.Key == "href" && !strings.HasPrefix(a.Val, "https://") {
							t.Fatalf("<a href=%q> in %q from %q", a.Val, out, src)
						}
					}
				}
				if !lessonTags[tok.Data] {
					t.Fatalf("<%s> in %q from %q", tok.Data, out, src)
				}
				for _, a := range tok.Attr {
					ok := false
					switch a.Key {
					case "href":
						ok = tok.Data == "a"
					case "src":
						ok = tok.Data == "img" && strings.HasPrefix(a.Val, "/courses/c/img/") && !strings.Contains(a.Val[len("/courses/c/img/"):], "/")
					case "alt", "title":
						ok = true
					case "start":
						ok = tok.Data == "ol"
					case "class":
						ok = tok.Data == "code" && strings.HasPrefix(a.Val, "language-")
					}
					if !ok {
						t.Fatalf("<%s %s=%q> in %q from %q", tok.Data, a.Key, a.Val, out, src)
					}
				}
			}
		}
	})
}

// lessonTags are the elements goldmark writes for CommonMark.
var lessonTags = map[string]bool{
	"p": true, "h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true,
	"em": true, "strong": true, "a": true, "img": true, "ul": true, "ol": true, "li": true,
	"blockquote": true, "pre": true, "code": true, "hr": true, "br": true,
}
