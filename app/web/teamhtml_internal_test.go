package web

import (
	"fmt"
	"html/template"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"kynangso/app/forms"
	"kynangso/app/store"
	"kynangso/courses"
	"kynangso/i18n"
)

// oldMemberRows is how team.html drew the member cards and the wide
// table's rows before memberHTML did, verbatim: memberHTML must write the
// same bytes.
const oldMemberRows = `{{define "old"}}{{$t := .D.Team}}{{$leads := .D.Leads}}<ul class="member-cards">
{{range .D.Rows}}{{$r := .}}
<li class="card{{if .Stuck}} stuck{{end}}" id="member-{{.User.ID}}">
  <p><strong>{{.User.Name}}</strong> {{if .Leader}}<span class="tag ok-tag">{{t "team.status.leader"}}</span>{{else if .Stuck}}<span class="tag bad-tag">{{t "team.status.stuck"}}</span>{{else if .New}}<span class="tag">{{t "team.status.new"}}</span>{{end}}</p>
  <p class="meta"><a href="tel:{{.User.Phone}}">{{groupPhone .User.Phone}}</a> · {{t "team.col.last_active"}}: {{date .LastActive}}</p>
  <p>{{t "team.card.passed" "Passed" .Passed "Total" (len $.D.Courses)}}</p>
  {{range $i, $cell := .Cells}}{{if $cell.Withdrawn}}<p class="meta bad">{{tx (index $.D.Courses $i).Title}}: {{$cell.Text}}</p>{{else if and $cell.Started (not $cell.Passed)}}<p class="meta">{{tx (index $.D.Courses $i).Title}}: {{$cell.Text}}</p>{{end}}{{end}}
  {{if or .Household (and $leads $.D.Households)}}<p class="meta">{{t "household.of_member"}}: {{if .Household}}{{.Household}}{{else}}{{t "household.none"}}{{end}}{{if and $leads $.D.Households}} · <a href="/teams/{{$t.ID}}/members/{{.User.ID}}/household">{{t "household.choose"}}</a>{{end}}</p>{{end}}
  {{if and $leads $.D.PracticeTotal (ne .User.ID $t.LeaderID)}}<p class="meta">{{t "practice.card" "Done" (index $.D.Practice .User.ID) "Total" $.D.PracticeTotal}} · <a href="/teams/{{$t.ID}}/members/{{.User.ID}}/practice">{{t "practice.open"}}</a></p>{{end}}
  {{if and $leads (ne .User.ID $.User.ID) (or (eq .User.Role "learner") (and (eq $.User.Role "admin") (ne .User.Role "admin")))}}<form method="post" action="/teams/{{$t.ID}}/members/{{.User.ID}}/reset">{{template "csrf" $}}<button type="submit" class="secondary small">{{t "team.reset"}}</button></form>{{end}}
</li>
{{end}}
</ul>
<table class="members"><tbody>
{{range .D.Rows}}
<tr{{if .Stuck}} class="stuck"{{end}}><th scope="row">{{.User.Name}}</th><td><a href="tel:{{.User.Phone}}">{{groupPhone .User.Phone}}</a></td><td>{{.Household}}</td>
{{range .Cells}}<td>{{if .Passed}}<span class="ok">{{.Text}}</span>{{else if .Withdrawn}}<span class="bad">{{.Text}}</span>{{else}}{{.Text}}{{end}}</td>{{end}}
<td>{{date .LastActive}}</td><td{{if .Stuck}} class="bad"{{end}}>{{t .StatusID}}</td>
{{if $leads}}<td>{{if and (ne .User.ID $.User.ID) (or (eq .User.Role "learner") (and (eq $.User.Role "admin") (ne .User.Role "admin")))}}<form method="post" action="/teams/{{$t.ID}}/members/{{.User.ID}}/reset">{{template "csrf" $}}<button type="submit" class="secondary small">{{t "team.reset"}}</button></form>{{end}}</td>{{end}}</tr>
{{end}}
</tbody></table>{{end}}`

// oldHouseholds is how team.html drew the households before
// householdsHTML did, verbatim.
const oldHouseholds = `{{define "oldHouseholds"}}{{$t := .D.Team}}{{$leads := .D.Leads}}{{range .D.Households}}<div class="card household">
<p><strong>{{.Label}}</strong> {{if .Covered}}<span class="tag ok-tag">{{t "household.covered"}}</span>{{end}}</p>
<p class="meta">{{t "household.members" "Count" .Members}}</p>
{{if $leads}}<details><summary>{{t "household.edit"}}</summary>
<form method="post" action="/teams/{{$t.ID}}/households/{{.ID}}/rename" class="form inline-form">{{template "csrf" $}}
<label for="label-{{.ID}}">{{t "household.label"}}</label>
<input id="label-{{.ID}}" name="label" value="{{.Label}}" maxlength="100" required>
{{template "err" (dict "E" $.D.Errors "F" (print "label-" .ID))}}
<button type="submit" class="secondary small">{{t "household.rename"}}</button></form>
<form method="post" action="/teams/{{$t.ID}}/households/{{.ID}}/delete">{{template "csrf" $}}<button type="submit" class="secondary small">{{t "household.delete"}}</button></form>
</details>{{end}}
</div>{{end}}
{{end}}`

// The member cards and table rows drawn in Go read exactly as the
// template drew them: every kind of member and cell, names, households,
// phones and ids with characters that need escaping, in both languages,
// for the leader, an admin and an official who only looks.
func TestTeamMemberHTMLIsTheTemplates(t *testing.T) {
	msgs, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	cat, err := courses.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{msgs: msgs, courses: cat}
	team := &store.Team{ID: "AB12CD", LeaderID: "leader-1"}
	leader := store.User{ID: "leader-1", Name: "Tổ Trưởng", Phone: "0911111111", Role: store.RoleLeader, LastActive: time.Date(2026, 3, 4, 23, 30, 0, 0, time.UTC)}
	admin := store.User{ID: "admin-1", Name: "Quản Trị", Phone: "0900000001", Role: store.RoleAdmin}
	official := store.User{ID: "off-1", Name: "Cán Bộ", Phone: "0900000002", Role: store.RoleOfficial}
	names := []string{"Nguyễn Thị An", `Mai & 'Cúc' <+1> "Út"`, "Lò\x00Văn", "Đặng Ánh \xff Tuyết", "A\uFDD0B"}
	households := []string{"", "Hộ ông Ba", "Hộ <bà Tư> & con", "a+b"}
	phones := []string{"0912345678", "+84912345678", "091 234", "09'12\"34<5>"}
	ids := []string{"u0001", "u 2/ü", "u%41%zz", "u&3+?#"}
	roles := []string{store.RoleLearner, store.RoleLearner, store.RoleLeader, store.RoleAdmin, store.RoleOfficial}
	base := time.Date(2026, 11, 30, 16, 59, 0, 0, time.UTC) // 23:59 in Vietnam
	var rows []memberRow
	for lang := range 2 {
		for i := range 40 {
			u := store.User{ID: fmt.Sprintf("%s-%d", ids[i%len(ids)], i), Name: names[i%len(names)], Phone: phones[i%len(phones)], Role: roles[i%len(roles)]}
			r := memberRow{User: u, LastActive: base.Add(-time.Duration(i*7) * time.Hour), Household: households[i%len(households)],
				Stuck: i%3 == 0, New: i%5 == 1}
			if i == 7 {
				r.LastActive = time.Time{}
			}
			for j, co := range cat.Courses {
				cell := memberCell{Total: len(co.Lessons)}
				switch (i + j) % 5 {
				case 1:
					cell.Done, cell.Started = 1, true
				case 2:
					cell.Done, cell.Started, cell.Passed, cell.Best = cell.Total, true, true, 60+i
					r.Passed++
				case 3:
					at := base.Add(-time.Duration(j) * 24 * time.Hour)
					cell.Done, cell.Started, cell.Withdrawn = cell.Total, true, &at
				case 4:
					cell.Done = 2 // done lessons, never marked started: shown as not started
				}
				cell.Text = s.cellText([]string{"vi", "en"}[lang], cell)
				r.Cells = append(r.Cells, cell)
			}
			rows = append(rows, r)
		}
	}
	rows = append([]memberRow{{User: leader, Leader: true, LastActive: leader.LastActive, Cells: rows[0].Cells}}, rows...)
	practice := map[string]int{rows[3].User.ID: 2, rows[4].User.ID: 9}

	var hhs []householdLine
	for i := range 12 {
		hhs = append(hhs, householdLine{Household: store.Household{ID: ids[i%len(ids)] + fmt.Sprint(i), Label: households[i%len(households)] + names[i%len(names)]},
			Members: i % 4, Covered: i%3 == 1})
	}
	errs := map[string]string{"label-" + hhs[2].ID: "household.exists", "label-" + hhs[5].ID: "form.required", "label": "household.too_many"}

	for _, lang := range i18n.Langs {
		tpl, err := template.New("old").Funcs(s.funcs(lang)).ParseFS(viewFiles, "views/partials/*.html")
		if err != nil {
			t.Fatal(err)
		}
		if tpl, err = tpl.Parse(oldMemberRows + oldHouseholds); err != nil {
			t.Fatal(err)
		}
		for _, viewer := range []store.User{leader, admin, official} {
			for _, hs := range []bool{false, true} {
				for _, practiceTotal := range []int{0, 9} {
					v := memberView{Lang: lang, Team: team, Viewer: &viewer, CSRF: "tok+/=&'\"<x>", Leads: viewer.Role != store.RoleOfficial,
						Households: hs, Practice: practice, PracticeTotal: practiceTotal}
					var lines []householdLine
					if hs {
						lines = []householdLine{{Household: store.Household{ID: "h1", Label: "Hộ"}}}
					}
					var want strings.Builder
					err := tpl.ExecuteTemplate(&want, "old", page{Lang: lang, User: &viewer, CSRF: v.CSRF, D: fiber.Map{
						"Team": team, "Leads": v.Leads, "Rows": rows, "Courses": cat.Courses, "Households": lines,
						"Practice": practice, "PracticeTotal": practiceTotal}})
					if err != nil {
						t.Fatal(err)
					}
					for _, e := range []map[string]string{nil, errs} {
						var want strings.Builder
						err := tpl.ExecuteTemplate(&want, "oldHouseholds", page{Lang: lang, User: &viewer, CSRF: v.CSRF, D: fiber.Map{
							"Team": team, "Leads": v.Leads, "Households": hhs, "Errors": forms.Errors(e)}})
						if err != nil {
							t.Fatal(err)
						}
						// The line after the list is the page's, as it was.
						if got := string(s.householdsHTML(v, hhs, e)) + "\n"; got != want.String() {
							t.Errorf("%s, %s looking, errors %v: households differ:\ngot  %q\nwant %q", lang, viewer.Role, e != nil, got, want.String())
						}
					}
					cards, table := s.memberHTML(v, rows)
					got := `<ul class="member-cards">` + "\n" + string(cards) + "\n</ul>\n" + `<table class="members"><tbody>` + "\n" + string(table) + "\n</tbody></table>"
					if got != want.String() {
						w := want.String()
						at := 0
						for at < len(got) && at < len(w) && got[at] == w[at] {
							at++
						}
						t.Fatalf("%s, %s looking, households %v, practice %d: differs at byte %d:\ngot  %q\nwant %q",
							lang, viewer.Role, hs, practiceTotal, at, got[max(0, at-80):min(len(got), at+80)], w[max(0, at-80):min(len(w), at+80)])
					}
				}
			}
		}
	}
}
