package web_test

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"text/template/parse"

	"kynangso/app/store"
	"kynangso/courses"
	"kynangso/i18n"
)

// Every message a template or handler asks for exists in both languages.
//
// The test reads the sources (the Go files of this package and of
// app/forms, and every view) and finds the ids they use:
//   - in templates, the argument of every `t` call: a literal id, a
//     computed family such as (print "channel." .Channel), or a value that
//     comes from Go (.Title, .D.Message, an error of a form); and every
//     literal in a template that looks like an id (dict "Label" "...").
//   - in Go, every literal in a place that takes a message (fail, errs.Check,
//     msgs.T, render's title, forms.Errors{...}, Error{Msg: ...}, show, what
//     app/forms returns), every literal anywhere that looks like an id of a
//     namespace the messages have, and families built with +.
//
// A computed family must be listed in families below with the values it
// takes (read from the code, not typed here), and every value must have
// its message. A value from Go must be listed in fromGo. Anything the test
// cannot account for fails it, and so does a file it cannot read.
func TestTemplatesAndHandlersUseKnownMessages(t *testing.T) {
	b, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	namespaces := map[string]bool{}
	for _, l := range i18n.Langs {
		ids := b.IDs(l)
		if len(ids) < 100 {
			t.Fatalf("only %d messages in %s", len(ids), l)
		}
		for _, id := range ids {
			namespaces[strings.SplitN(id, ".", 2)[0]] = true
		}
	}

	u := &usage{ids: map[string]string{}, families: map[string]string{}, fromGo: map[string]string{}, kinds: map[string]int{}, namespaces: namespaces}

	// Go: this package and app/forms, which returns message ids.
	web := u.goDir(t, ".")
	u.goDir(t, "../forms")

	// Templates: every view, layout and partial.
	var views []string
	for _, pat := range []string{"views/*.html", "views/pages/*.html", "views/partials/*.html"} {
		m, err := filepath.Glob(pat)
		if err != nil {
			t.Fatal(err)
		}
		if len(m) == 0 {
			t.Fatalf("no file matches %s", pat)
		}
		views = append(views, m...)
	}
	for _, f := range views {
		u.template(t, f)
	}

	// Every kind of place must have been seen, or the scan went blind
	// (a helper renamed, a file moved).
	for _, k := range []string{"template t", "template literal", "template family", "fail", "Check", "T", "t", "render", "forms.Errors", "Error.Msg", "show", "forms return", "namespace", "go family"} {
		if u.kinds[k] == 0 {
			t.Errorf("the scan found no message in a %q place: update this test to the code", k)
		}
	}

	// Values that come from Go: each is one of the places the Go scan checks.
	fromGo := map[string]string{
		"layout.html .Title":    "render's title argument",
		"error.html .D.Message": "fail(...) and Error{Msg: ...}",
		"forms.html .":          "form errors: errs.Check, forms.Errors{...}, show, app/forms",
		"forms.html .Label":     `dict "Label" "..." in templates`,
		"places.html .":         "the role of each link in myPlaces (place.role.*)",
		"forms.html .Heading":   `dict "Heading" "..." in templates`,
	}
	for k, where := range u.fromGo {
		if fromGo[k] == "" {
			t.Errorf("%s: {{t %s}} takes a value the test does not know; say in fromGo where it comes from", where, strings.SplitN(k, " ", 2)[1])
		}
	}
	for k := range fromGo {
		if u.fromGo[k] == "" {
			t.Errorf("fromGo lists %q, which no template has any more", k)
		}
	}

	// Families: every value each takes, read from the code.
	statuses := web.consts(`^status[A-Z]`)
	families := map[string][]string{
		"skill.*":         courses.Skills,
		"verify.title.*":  statuses,
		"verify.*.text":   statuses,
		"channel.*":       web.channels(),
		"revoke.reason.*": append(slices.Clone(store.RevokeReasons), store.ReasonReplaced),
		"account.saved.*": web.queryValues(`^/account\?saved=([a-z_]+)$`),
		"audit.action.*":  store.AuditActions,
		"size.*":          web.stringSlice("textSizes"),
		"place.role.*":    {store.GrantProvince, store.GrantCommune},
		"place.saved.*":   web.queryValues(`\?saved=([a-z]+)#officials$`),
	}
	for fam, where := range u.families {
		vals, ok := families[fam]
		if !ok {
			t.Errorf("%s builds message ids %q: add the family to this test with the values it takes", where, fam)
			continue
		}
		if len(vals) == 0 {
			t.Errorf("family %q: found no values in the code", fam)
		}
		for _, v := range vals {
			u.ids[strings.Replace(fam, "*", v, 1)] = where + " (" + fam + ")"
		}
	}
	for fam := range families {
		if u.families[fam] == "" {
			t.Errorf("family %q is used nowhere any more: drop it from this test", fam)
		}
	}

	if len(u.ids) < 200 {
		t.Errorf("found only %d message ids in use: the scan is broken", len(u.ids))
	}
	ids := make([]string, 0, len(u.ids))
	for id := range u.ids {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		for _, l := range i18n.Langs {
			if !b.Has(l, id) {
				t.Errorf("%s uses %q, missing in %s", u.ids[id], id, l)
			}
		}
	}
	if os.Getenv("KNS_I18N_UNUSED") != "" {
		for _, id := range b.IDs("vi") {
			if u.ids[id] == "" {
				t.Logf("unused: %s", id)
			}
		}
	}
	t.Logf("%d message ids in use, %d families, %d values from Go", len(u.ids), len(u.families), len(u.fromGo))
}

var (
	idShape     = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z0-9_-]*[a-z0-9])+$`)
	prefixShape = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z0-9_-]+)*\.$`)
)

type usage struct {
	ids        map[string]string // id → where
	families   map[string]string // "verify.title.*" → where
	fromGo     map[string]string // "file node" → where
	kinds      map[string]int
	namespaces map[string]bool
}

func (u *usage) use(kind, id, where string) {
	u.kinds[kind]++
	u.ids[id] = where
}

// looksLikeID is a literal of a message namespace.
func (u *usage) looksLikeID(s string) bool {
	return idShape.MatchString(s) && u.namespaces[strings.SplitN(s, ".", 2)[0]]
}

// ---- templates

func (u *usage) template(t *testing.T, file string) {
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	tr := parse.New(file)
	tr.Mode = parse.SkipFuncCheck
	trees := map[string]*parse.Tree{}
	if _, err := tr.Parse(string(src), "", "", trees); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	base := filepath.Base(file)
	for _, tree := range trees {
		if tree.Root != nil {
			u.walkTemplate(t, base, tree, tree.Root)
		}
	}
}

func (u *usage) walkTemplate(t *testing.T, file string, tree *parse.Tree, n parse.Node) {
	if n == nil {
		return
	}
	where := func(n parse.Node) string {
		loc, _ := tree.ErrorContext(n)
		return "views/" + file + " " + strings.TrimPrefix(loc, tree.ParseName+":")
	}
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return
		}
		for _, c := range n.Nodes {
			u.walkTemplate(t, file, tree, c)
		}
	case *parse.ActionNode:
		u.walkTemplate(t, file, tree, n.Pipe)
	case *parse.IfNode:
		u.branch(t, file, tree, &n.BranchNode)
	case *parse.RangeNode:
		u.branch(t, file, tree, &n.BranchNode)
	case *parse.WithNode:
		u.branch(t, file, tree, &n.BranchNode)
	case *parse.TemplateNode:
		u.walkTemplate(t, file, tree, n.Pipe)
	case *parse.PipeNode:
		if n == nil {
			return
		}
		for _, c := range n.Cmds {
			u.walkTemplate(t, file, tree, c)
		}
	case *parse.ChainNode:
		u.walkTemplate(t, file, tree, n.Node)
	case *parse.CommandNode:
		if len(n.Args) > 0 {
			if id, ok := n.Args[0].(*parse.IdentifierNode); ok && id.Ident == "t" {
				if len(n.Args) < 2 {
					t.Errorf("%s: t without a message id", where(n))
				} else {
					u.templateArg(t, file, where(n), n.Args[1])
				}
			}
		}
		for i, a := range n.Args {
			if s, ok := a.(*parse.StringNode); ok && !isIdentNode(n.Args[0], "asset") {
				// dict "Label" "form.password": a message handed to a partial.
				if i > 0 && isString(n.Args[i-1], "Label") {
					u.use("template literal", s.Text, where(n))
				} else if u.looksLikeID(s.Text) {
					u.use("template literal", s.Text, where(n))
				}
			}
			u.walkTemplate(t, file, tree, a)
		}
	}
}

func isIdentNode(n parse.Node, name string) bool {
	id, ok := n.(*parse.IdentifierNode)
	return ok && id.Ident == name
}

func isString(n parse.Node, s string) bool {
	sn, ok := n.(*parse.StringNode)
	return ok && sn.Text == s
}

func (u *usage) branch(t *testing.T, file string, tree *parse.Tree, b *parse.BranchNode) {
	u.walkTemplate(t, file, tree, b.Pipe)
	u.walkTemplate(t, file, tree, b.List)
	if b.ElseList != nil {
		u.walkTemplate(t, file, tree, b.ElseList)
	}
}

// templateArg is the first argument of a t call.
func (u *usage) templateArg(t *testing.T, file, where string, a parse.Node) {
	switch a := a.(type) {
	case *parse.StringNode:
		u.use("template t", a.Text, where)
	case *parse.PipeNode:
		// (print "verify." $st ".text")
		if len(a.Cmds) == 1 && len(a.Cmds[0].Args) > 1 {
			if id, ok := a.Cmds[0].Args[0].(*parse.IdentifierNode); ok && id.Ident == "print" {
				var fam strings.Builder
				holes := 0
				for _, p := range a.Cmds[0].Args[1:] {
					if s, ok := p.(*parse.StringNode); ok {
						fam.WriteString(s.Text)
					} else {
						fam.WriteString("*")
						holes++
					}
				}
				if holes == 1 {
					u.kinds["template family"]++
					u.families[fam.String()] = where
					return
				}
			}
		}
		t.Errorf("%s: t of %s: the test cannot tell which ids that makes", where, a)
	case *parse.FieldNode, *parse.VariableNode, *parse.DotNode, *parse.ChainNode:
		u.fromGo[file+" "+a.String()] = where
	default:
		t.Errorf("%s: t of %s: the test cannot tell which ids that makes", where, a)
	}
}

// ---- Go

type goPkg struct {
	fset  *token.FileSet
	files []*ast.File
}

func (u *usage) goDir(t *testing.T, dir string) *goPkg {
	m, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	p := &goPkg{fset: token.NewFileSet()}
	for _, f := range m {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(p.fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		p.files = append(p.files, file)
	}
	if len(p.files) == 0 {
		t.Fatalf("no Go files in %s", dir)
	}
	for _, f := range p.files {
		u.goFile(t, p.fset, f)
	}
	return p
}

func str(e ast.Expr) (string, bool) {
	l, ok := e.(*ast.BasicLit)
	if !ok || l.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(l.Value)
	return s, err == nil
}

func (u *usage) goFile(t *testing.T, fset *token.FileSet, f *ast.File) {
	where := func(n ast.Node) string {
		p := fset.Position(n.Pos())
		return fmt.Sprintf("%s:%d", filepath.ToSlash(p.Filename), p.Line)
	}
	// msg: an expression in a place that takes a message id.
	msg := func(kind string, e ast.Expr) {
		switch e := e.(type) {
		case *ast.BasicLit:
			if s, ok := str(e); ok {
				if s == "" && (kind == "forms return" || kind == "render") {
					return // "" means no error, or a page without a title
				}
				u.use(kind, s, where(e))
			}
		case *ast.BinaryExpr:
			u.kinds[kind]++ // a family; recorded below, where every + is read
		}
	}
	inForms := f.Name.Name == "forms"
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncDecl:
			if n.Body == nil || !(inForms || n.Name.Name == "StatusID") {
				return true
			}
			ast.Inspect(n.Body, func(m ast.Node) bool {
				if r, ok := m.(*ast.ReturnStmt); ok {
					for _, e := range r.Results {
						msg("forms return", e)
					}
				}
				return true
			})
		case *ast.CallExpr:
			name := ""
			switch fn := n.Fun.(type) {
			case *ast.Ident:
				name = fn.Name
			case *ast.SelectorExpr:
				name = fn.Sel.Name
			}
			// t is the team page's own translator (teamhtml.go), which
			// draws in Go what a template drew.
			arg := map[string]int{"fail": 1, "Check": 1, "T": 1, "render": 2, "show": 1, "t": 0}
			if i, ok := arg[name]; ok && len(n.Args) > i {
				msg(name, n.Args[i])
			}
		case *ast.CompositeLit:
			if sel, ok := n.Type.(*ast.SelectorExpr); ok && sel.Sel.Name == "Errors" || isIdent(n.Type, "Errors") && inForms {
				for _, e := range n.Elts {
					if kv, ok := e.(*ast.KeyValueExpr); ok {
						msg("forms.Errors", kv.Value)
					}
				}
			}
			if isIdent(n.Type, "Error") {
				for _, e := range n.Elts {
					if kv, ok := e.(*ast.KeyValueExpr); ok && isIdent(kv.Key, "Msg") {
						msg("Error.Msg", kv.Value)
					}
				}
			}
		case *ast.BinaryExpr:
			// "verify.title." + state [+ ".text"]
			if n.Op != token.ADD {
				return true
			}
			left, right := n.X, n.Y
			suffix := ""
			if inner, ok := left.(*ast.BinaryExpr); ok && inner.Op == token.ADD {
				if s, ok := str(right); ok {
					suffix, left, right = s, inner.X, inner.Y
				}
			}
			if p, ok := str(left); ok && prefixShape.MatchString(p) && u.namespaces[strings.SplitN(p, ".", 2)[0]] {
				if _, lit := str(right); !lit {
					u.kinds["go family"]++
					u.families[p+"*"+suffix] = where(n)
				}
			}
		case *ast.BasicLit:
			if s, ok := str(n); ok && u.looksLikeID(s) {
				u.use("namespace", s, where(n))
			}
		}
		return true
	})
}

func isIdent(e ast.Expr, name string) bool {
	if u, ok := e.(*ast.UnaryExpr); ok {
		e = u.X
	}
	id, ok := e.(*ast.Ident)
	return ok && id.Name == name
}

// consts are the string constants whose names match re.
func (p *goPkg) consts(re string) []string {
	r := regexp.MustCompile(re)
	var out []string
	for _, f := range p.files {
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, s := range g.Specs {
				vs := s.(*ast.ValueSpec)
				for i, n := range vs.Names {
					if r.MatchString(n.Name) && i < len(vs.Values) {
						if v, ok := str(vs.Values[i]); ok {
							out = append(out, v)
						}
					}
				}
			}
		}
	}
	return out
}

// stringSlice is the literal value of var name = []string{...}.
func (p *goPkg) stringSlice(name string) []string {
	var out []string
	for _, f := range p.files {
		ast.Inspect(f, func(n ast.Node) bool {
			vs, ok := n.(*ast.ValueSpec)
			if !ok {
				return true
			}
			for i, id := range vs.Names {
				if id.Name == name && i < len(vs.Values) {
					if cl, ok := vs.Values[i].(*ast.CompositeLit); ok {
						for _, e := range cl.Elts {
							if s, ok := str(e); ok {
								out = append(out, s)
							}
						}
					}
				}
			}
			return true
		})
	}
	return out
}

// channels are the verification channels: literal Channel: fields and the
// channel argument of s.check(c, code, channel).
func (p *goPkg) channels() []string {
	seen := map[string]bool{}
	for _, f := range p.files {
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.KeyValueExpr:
				if isIdent(n.Key, "Channel") {
					if s, ok := str(n.Value); ok {
						seen[s] = true
					}
				}
			case *ast.CallExpr:
				if sel, ok := n.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "check" && len(n.Args) == 3 {
					if s, ok := str(n.Args[2]); ok {
						seen[s] = true
					}
				}
			}
			return true
		})
	}
	out := make([]string, 0, len(seen))
	for s := range seen {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// queryValues are the first groups of re in every string literal.
func (p *goPkg) queryValues(re string) []string {
	r := regexp.MustCompile(re)
	seen := map[string]bool{}
	for _, f := range p.files {
		ast.Inspect(f, func(n ast.Node) bool {
			if l, ok := n.(*ast.BasicLit); ok {
				if s, ok := str(l); ok {
					if m := r.FindStringSubmatch(s); m != nil {
						seen[m[1]] = true
					}
				}
			}
			return true
		})
	}
	out := make([]string, 0, len(seen))
	for s := range seen {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}
