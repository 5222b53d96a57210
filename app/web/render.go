package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"kynangso/app/sheet"
	"net/url"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"kynangso/app/forms"
	"kynangso/app/store"
	"kynangso/courses"
	"kynangso/i18n"
)

//go:embed views
var viewFiles embed.FS

// views holds every page template, parsed once per language at start-up,
// so a broken template stops the program rather than a request.
type views struct {
	byLang map[string]map[string]*template.Template
}

func loadViews(s *Server) (*views, error) {
	pages, err := fs.Glob(viewFiles, "views/pages/*.html")
	if err != nil {
		return nil, err
	}
	v := &views{byLang: map[string]map[string]*template.Template{}}
	for _, lang := range i18n.Langs {
		v.byLang[lang] = map[string]*template.Template{}
		for _, p := range pages {
			name := strings.TrimSuffix(path.Base(p), ".html")
			t, err := template.New("layout.html").Funcs(s.funcs(lang)).ParseFS(viewFiles, "views/layout.html", "views/partials/*.html", p)
			if err != nil {
				return nil, fmt.Errorf("view %s: %w", name, err)
			}
			v.byLang[lang][name] = t
		}
	}
	return v, nil
}

func (s *Server) funcs(lang string) template.FuncMap {
	return template.FuncMap{
		"t":          func(id string, args ...any) string { return s.msgs.T(lang, id, args...) },
		"tx":         func(t courses.Text) string { return t.In(lang) },
		"asset":      s.assets.URL,
		"groupPhone": groupPhone,
		"cell":       func(k sheet.Kind, v any) string { return s.gridCell(lang, k, v) },
		"date":       func(t time.Time) string { return formatDate(lang, t) },
		"datetime": func(t time.Time) string {
			return t.In(vnTime).Format("15:04 ") + formatDate(lang, t)
		},
		"percent": func(a, b int) int {
			if b == 0 {
				return 0
			}
			return a * 100 / b
		},
		"add":      func(a, b int) int { return a + b },
		"errorsIn": errorsIn,
		"dict": func(kv ...any) map[string]any {
			m := map[string]any{}
			for i := 0; i+1 < len(kv); i += 2 {
				m[fmt.Sprint(kv[i])] = kv[i+1]
			}
			return m
		},
		"province": func(code string) string {
			if p := s.places.Province(code); p != nil {
				return p.Name
			}
			return ""
		},
		"commune": func(code string) string {
			if c := s.places.Commune(code); c != nil {
				return c.Name
			}
			return ""
		},
	}
}

// fieldError is one line of a form's error summary: the message, and the
// id of the field it is about, which the line links to.
type fieldError struct{ Field, Msg string }

// errorsIn lists a form's errors in the order its fields come, for the
// summary at the top of the form (partial "errsummary"). order names the
// fields, space-separated, each "name" or "name=id" when the element to
// go to has another id; errors of fields it does not name come last.
func errorsIn(e forms.Errors, order string) []fieldError {
	var out []fieldError
	seen := map[string]bool{}
	for _, f := range strings.Fields(order) {
		name, id, ok := strings.Cut(f, "=")
		if !ok {
			id = name
		}
		if msg := e[name]; msg != "" {
			out = append(out, fieldError{id, msg})
		}
		seen[name] = true
	}
	rest := make([]string, 0, len(e))
	for name := range e {
		if !seen[name] && e[name] != "" {
			rest = append(rest, name)
		}
	}
	slices.Sort(rest)
	for _, name := range rest {
		out = append(out, fieldError{name, e[name]})
	}
	return out
}

// vnTime is Vietnam's time zone (UTC+7, no daylight saving), written out
// so the program needs no zoneinfo on the machine.
var vnTime = time.FixedZone("ICT", 7*60*60)

func formatDate(lang string, t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	t = t.In(vnTime)
	if lang == "en" {
		return t.Format("2 January 2006")
	}
	return t.Format("02/01/2006")
}

// page is what every view receives.
type page struct {
	Lang    string
	Size    string
	User    *store.User
	CSRF    string
	Title   string
	Path    string
	LangURL map[string]string
	SizeURL map[string]string
	Sizes   []string
	D       fiber.Map
}

func (s *Server) render(c *fiber.Ctx, name, title string, data fiber.Map) error {
	lang := s.lang(c)
	t := s.views.byLang[lang][name]
	if t == nil {
		return fmt.Errorf("no view %q", name)
	}
	p := page{
		Lang:    lang,
		User:    user(c),
		Title:   title,
		Path:    c.Path(),
		LangURL: map[string]string{},
		D:       data,
	}
	p.CSRF, _ = c.Locals(localCSRF).(string)
	p.Size, _ = c.Locals(localSize).(string)
	for _, l := range i18n.Langs {
		p.LangURL[l] = withQuery(c, "lang", l)
	}
	p.Sizes, p.SizeURL = textSizes, map[string]string{}
	for _, z := range textSizes {
		p.SizeURL[z] = withQuery(c, "size", z)
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, p); err != nil {
		return fmt.Errorf("render %s: %w", name, err)
	}
	if p.User != nil || bytes.Contains(buf.Bytes(), []byte(`name="_csrf"`)) {
		// A page with a form carries this visitor's token: never kept
		// for another (see pagecache.go).
		c.Locals(localNoKeep, true)
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Send(buf.Bytes())
}

// withQuery is a link to the current page with one query value set. It is
// relative ("?lang=en"), so a path like //other.site can't make it leave
// the site.
func withQuery(c *fiber.Ctx, key, value string) string {
	q, _ := url.ParseQuery(string(c.Request().URI().QueryString()))
	q.Set(key, value)
	return "?" + q.Encode()
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }

// safeNext keeps a redirect after login on this site: a path of ours,
// nothing a browser could read as another host (browsers drop tabs and
// newlines and treat \ as /, so "/\t/evil" would leave).
func safeNext(next string) string {
	if strings.ContainsFunc(next, func(r rune) bool { return r < 0x20 || r == 0x7f || r == '\\' }) {
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") {
		return "/"
	}
	return next
}

func urlPathEscape(s string) string { return url.PathEscape(s) }
