package courses

import (
	"bytes"
	"fmt"
	"html/template"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
)

// md renders lesson Markdown. Raw HTML in the source is dropped (goldmark's
// default), so a lesson cannot carry a script into a learner's page.
var md = goldmark.New(goldmark.WithExtensions(extension.Typographer))

// renderMarkdown renders a lesson and returns the images it refers to.
// Images must be the course's own (img/name.svg), so a lesson shows offline
// and never loads anything from another site; they are rewritten to the
// URL the server serves them at.
func renderMarkdown(src []byte, courseID string) (template.HTML, []string, error) {
	doc := md.Parser().Parse(text.NewReader(src), parser.WithContext(parser.NewContext()))
	// The page prints the lesson title from course.toml; a title the
	// author also wrote at the top of the file would show twice.
	if h, ok := doc.FirstChild().(*ast.Heading); ok && h.Level == 1 {
		doc.RemoveChild(doc, h)
	}
	var refs []string
	var bad error
	err := ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Image:
			dest := string(n.Destination)
			name, ok := strings.CutPrefix(dest, "img/")
			if !ok || !imageName(name) {
				bad = fmt.Errorf("image %q must be a file of the course's img folder, written img/name.svg", dest)
				return ast.WalkStop, nil
			}
			if len(n.Text(src)) == 0 {
				bad = fmt.Errorf("image %q has no alt text", dest)
				return ast.WalkStop, nil
			}
			refs = append(refs, name)
			n.Destination = []byte("/courses/" + courseID + "/img/" + name)
		case *ast.Link:
			if dest := string(n.Destination); !strings.HasPrefix(dest, "https://") {
				bad = fmt.Errorf("link %q: only https:// links are allowed in lessons", dest)
				return ast.WalkStop, nil
			}
		case *ast.AutoLink:
			// <https://…> written bare: the same rule as a [text](link).
			if dest := string(n.URL(src)); !strings.HasPrefix(dest, "https://") {
				bad = fmt.Errorf("link %q: only https:// links are allowed in lessons", dest)
				return ast.WalkStop, nil
			}
		}
		return ast.WalkContinue, nil
	})
	if err == nil {
		err = bad
	}
	if err != nil {
		return "", nil, err
	}
	var buf bytes.Buffer
	if err := md.Renderer().Render(&buf, src, doc); err != nil {
		return "", nil, err
	}
	return template.HTML(buf.String()), refs, nil //nolint:gosec // goldmark escapes text and drops raw HTML
}

// imageName is whether name can be a picture of the course's img folder:
// letters, digits, dots, dashes and underscores, not starting with a dot.
// No slash of either kind (a browser reads \ in an address as /), no
// percent escape, nothing a browser would read as another path.
func imageName(name string) bool {
	if name == "" || name[0] == '.' {
		return false
	}
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-', r == '_':
		default:
			return false
		}
	}
	return true
}
