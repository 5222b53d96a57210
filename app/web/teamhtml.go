package web

import (
	"html/template"
	"strconv"
	"strings"
	"time"

	"kynangso/app/store"
)

// memberView is what the team page's member cards and table show besides
// the rows themselves: who looks, and what the page knows of the team.
type memberView struct {
	Lang          string
	Team          *store.Team
	Viewer        *store.User
	CSRF          string
	Leads         bool           // the viewer runs the page (leader or admin)
	Households    bool           // the team has households to choose from
	Practice      map[string]int // practical tasks confirmed, by member
	PracticeTotal int
}

// memberHTML draws the member cards and the rows of the wide table: in Go
// rather than in the template, which spent half of the team page's time
// on a hundred cards and rows (reflection and an escaper call per action).
// It writes the very bytes team.html used to: the same escaping as
// html/template's (htmlText, attrURL), the same texts, each message made
// once per page rather than once per member.
func (s *Server) memberHTML(v memberView, rows []memberRow) (cards, table template.HTML) {
	lang := v.Lang
	msg := map[string]string{}
	t := func(id string) string {
		m, ok := msg[id]
		if !ok {
			m = htmlText(s.msgs.T(lang, id))
			msg[id] = m
		}
		return m
	}
	titles := make([]string, len(s.courses.Courses))
	for i, co := range s.courses.Courses {
		titles[i] = htmlText(co.Title.In(lang))
	}
	passed := map[int]string{}
	practice := map[int]string{}
	dates := map[int64]string{}
	date := func(at time.Time) string {
		if at.IsZero() {
			return formatDate(lang, at)
		}
		// One text a day (Vietnam's day).
		day := at.In(vnTime)
		key := int64(day.Year())*1000 + int64(day.YearDay())
		d, ok := dates[key]
		if !ok {
			d = htmlText(formatDate(lang, at))
			dates[key] = d
		}
		return d
	}
	team := attrURL(v.Team.ID)
	csrf := `<input type="hidden" name="_csrf" value="` + htmlText(v.CSRF) + `">`
	// The reset form, for a member whose password the viewer may help
	// reset: a learner, or anyone but an admin when an admin looks.
	reset := func(r *memberRow) string {
		if r.User.ID == v.Viewer.ID || !(r.User.Role == store.RoleLearner || (v.Viewer.Role == store.RoleAdmin && r.User.Role != store.RoleAdmin)) {
			return ""
		}
		return `<form method="post" action="/teams/` + team + `/members/` + attrURL(r.User.ID) + `/reset">` + csrf +
			`<button type="submit" class="secondary small">` + t("team.reset") + `</button></form>`
	}

	var c, b htmlWriter
	c.Grow(len(rows) * 1500)
	b.Grow(len(rows) * 1200)
	for i := range rows {
		r := &rows[i]
		id, name := attrURL(r.User.ID), htmlText(r.User.Name)
		phone := `<a href="tel:` + attrURL(r.User.Phone) + `">` + htmlText(groupPhone(r.User.Phone)) + `</a>`
		last := date(r.LastActive)
		var form string
		if v.Leads {
			form = reset(r)
		}

		// The card.
		c.put("\n<li class=\"card")
		if r.Stuck {
			c.put(" stuck")
		}
		c.put(`" id="member-`, htmlText(r.User.ID), "\">\n  <p><strong>", name, "</strong> ")
		switch {
		case r.Leader:
			c.put(`<span class="tag ok-tag">`, t("team.status.leader"), `</span>`)
		case r.Stuck:
			c.put(`<span class="tag bad-tag">`, t("team.status.stuck"), `</span>`)
		case r.New:
			c.put(`<span class="tag">`, t("team.status.new"), `</span>`)
		}
		c.put("</p>\n  <p class=\"meta\">", phone, " · ", t("team.col.last_active"), ": ", last, "</p>\n  <p>")
		p, ok := passed[r.Passed]
		if !ok {
			p = htmlText(s.msgs.T(lang, "team.card.passed", "Passed", r.Passed, "Total", len(s.courses.Courses)))
			passed[r.Passed] = p
		}
		c.put(p, "</p>\n  ")
		for j, cell := range r.Cells {
			switch {
			case cell.Withdrawn != nil:
				c.put(`<p class="meta bad">`, titles[j], ": ", htmlText(cell.Text), "</p>")
			case cell.Started && !cell.Passed:
				c.put(`<p class="meta">`, titles[j], ": ", htmlText(cell.Text), "</p>")
			}
		}
		c.put("\n  ")
		choose := v.Leads && v.Households
		if r.Household != "" || choose {
			c.put(`<p class="meta">`, t("household.of_member"), ": ")
			if r.Household != "" {
				c.put(htmlText(r.Household))
			} else {
				c.put(t("household.none"))
			}
			if choose {
				c.put(` · <a href="/teams/`, team, `/members/`, id, `/household">`, t("household.choose"), "</a>")
			}
			c.put("</p>")
		}
		c.put("\n  ")
		if v.Leads && v.PracticeTotal != 0 && r.User.ID != v.Team.LeaderID {
			n := v.Practice[r.User.ID]
			p, ok := practice[n]
			if !ok {
				p = htmlText(s.msgs.T(lang, "practice.card", "Done", n, "Total", v.PracticeTotal))
				practice[n] = p
			}
			c.put(`<p class="meta">`, p, ` · <a href="/teams/`, team, `/members/`, id, `/practice">`, t("practice.open"), "</a></p>")
		}
		c.put("\n  ", form, "\n</li>\n")

		// The table's row.
		b.put("\n<tr")
		if r.Stuck {
			b.put(` class="stuck"`)
		}
		b.put(`><th scope="row">`, name, "</th><td>", phone, "</td><td>", htmlText(r.Household), "</td>\n")
		for _, cell := range r.Cells {
			b.put("<td>")
			switch {
			case cell.Passed:
				b.put(`<span class="ok">`, htmlText(cell.Text), "</span>")
			case cell.Withdrawn != nil:
				b.put(`<span class="bad">`, htmlText(cell.Text), "</span>")
			default:
				b.put(htmlText(cell.Text))
			}
			b.put("</td>")
		}
		b.put("\n<td>", last, "</td><td")
		if r.Stuck {
			b.put(` class="bad"`)
		}
		b.put(">", t(r.StatusID()), "</td>\n")
		if v.Leads {
			b.put("<td>", form, "</td>")
		}
		b.put("</tr>\n")
	}
	return template.HTML(c.String()), template.HTML(b.String())
}

// householdsHTML draws the team's households as team.html did, for the
// same reason as memberHTML: a card, and for the leader two forms, each.
// errs are the form's errors (a rename sent back names its field
// "label-<id>").
func (s *Server) householdsHTML(v memberView, lines []householdLine, errs map[string]string) template.HTML {
	lang := v.Lang
	t := func(id string) string { return htmlText(s.msgs.T(lang, id)) }
	covered, members := t("household.covered"), map[int]string{}
	var edit, label, rename, remove, team, csrf string
	if v.Leads {
		edit, label, rename, remove = t("household.edit"), t("household.label"), t("household.rename"), t("household.delete")
		team, csrf = attrURL(v.Team.ID), `<input type="hidden" name="_csrf" value="`+htmlText(v.CSRF)+`">`
	}
	var b strings.Builder
	b.Grow(len(lines) * 1200)
	for i := range lines {
		l := &lines[i]
		name := htmlText(l.Label)
		b.WriteString("<div class=\"card household\">\n<p><strong>" + name + "</strong> ")
		if l.Covered {
			b.WriteString(`<span class="tag ok-tag">` + covered + `</span>`)
		}
		m, ok := members[l.Members]
		if !ok {
			m = htmlText(s.msgs.T(lang, "household.members", "Count", l.Members))
			members[l.Members] = m
		}
		b.WriteString("</p>\n<p class=\"meta\">" + m + "</p>\n")
		if v.Leads {
			id, field := attrURL(l.ID), "label-"+l.ID
			b.WriteString("<details><summary>" + edit + "</summary>\n" +
				`<form method="post" action="/teams/` + team + `/households/` + id + `/rename" class="form inline-form">` + csrf + "\n" +
				`<label for="` + htmlText(field) + `">` + label + "</label>\n" +
				`<input id="` + htmlText(field) + `" name="label" value="` + name + `" maxlength="100" required>` + "\n")
			if msg := errs[field]; msg != "" {
				b.WriteString(`<p class="error" id="` + htmlText(field) + `-error" role="alert">` + t(msg) + "</p>")
			}
			b.WriteString("\n" + `<button type="submit" class="secondary small">` + rename + "</button></form>\n" +
				`<form method="post" action="/teams/` + team + `/households/` + id + `/delete">` + csrf +
				`<button type="submit" class="secondary small">` + remove + "</button></form>\n</details>")
		}
		b.WriteString("\n</div>")
	}
	return template.HTML(b.String())
}

// htmlWriter writes a page's pieces one after the other, with no string
// made of them first.
type htmlWriter struct{ strings.Builder }

func (w *htmlWriter) put(parts ...string) {
	for _, p := range parts {
		w.WriteString(p)
	}
}

// htmlEscaper escapes as html/template does in text and in quoted
// attribute values: the same table, byte for byte ('+' included, which
// template.HTMLEscapeString leaves).
var htmlEscaper = strings.NewReplacer("\x00", "\uFFFD", `"`, "&#34;", "&", "&amp;", "'", "&#39;", "+", "&#43;", "<", "&lt;", ">", "&gt;")

func htmlText(s string) string {
	if !strings.ContainsAny(s, "\x00\"&'+<>") {
		return s
	}
	return htmlEscaper.Replace(s)
}

// attrURL is a value put into the path of a URL in a quoted attribute, as
// html/template writes it: normalised (bytes a URL cannot hold
// percent-encoded, escapes already there kept), then escaped for the
// attribute.
func attrURL(s string) string {
	var b strings.Builder
	written := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
			continue
		case strings.IndexByte("!#$&*+,/:;=?@[]-._~", c) >= 0:
			continue
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			continue
		}
		if written == 0 {
			b.Grow(len(s) + 16)
		}
		b.WriteString(s[written:i])
		b.WriteString("%" + strconv.FormatUint(uint64(c)>>4, 16) + strconv.FormatUint(uint64(c)&15, 16))
		written = i + 1
	}
	if written == 0 {
		return htmlText(s)
	}
	b.WriteString(s[written:])
	return htmlText(b.String())
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
