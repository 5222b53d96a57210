package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"kynangso/app/testrig"
)

// hasLink fails unless the page has a link to href reading text.
func hasLink(t *testing.T, what string, r *testrig.Resp, href, text string) {
	t.Helper()
	for rest := r.Body; ; {
		i := strings.Index(rest, `href="`+href+`"`)
		if i < 0 {
			t.Errorf("%s: no link %q to %s; the page reads:\n%.800s", what, text, href, testrig.Text(r.Body))
			return
		}
		rest = rest[i+1:]
		if end := strings.Index(rest, "</a>"); end > 0 && strings.Contains(testrig.Text("<"+rest[:end]), text) {
			return
		}
	}
}

// No dead ends (issue 9, point 7): an unknown join link offers sign-up
// without a team and a box for the team code; a used setup link says it
// was used and offers sign-in; every error page says what to do next.
// Before: each was a bare "not found" with a link home.
func TestNoDeadEnds(t *testing.T) {
	rig := testrig.Start(t)
	anon := rig.Client(t)

	// A join link mistyped or from an old poster.
	j := anon.Get("/join/ZZZZZZ?lang=vi")
	mustStatus(t, "unknown join link", j, http.StatusNotFound)
	mustContain(t, "unknown join link", j.Body, "Mã tổ không đúng", "gõ lại mã tổ", "Mã tổ")
	hasLink(t, "unknown join link", j, "/register", "Đăng ký, chưa cần vào tổ")
	hasLink(t, "unknown join link", j, "/login", "Đăng nhập")
	if teamBoxAction(t, j.Body) != "/join" {
		t.Error("unknown join link: no box to type the team code")
	}

	admin := rig.Admin(t)
	rig.Register(t, "Tổ Trưởng Hòa", "0911000222", nil)
	team := rig.Team(t, admin, "Tổ xóm Mới", "0911000222")
	// The code typed in that box, as a person types it.
	typed := strings.ToLower(team[:3] + " " + team[3:])
	reg := anon.Get("/register?team=" + url.QueryEscape(typed))
	mustStatus(t, "the team code typed", reg, http.StatusOK)
	mustContain(t, "the team code typed", reg.Body, "Tổ xóm Mới")
	me := rig.Register(t, "Người Mới", "0933000111", nil)
	if r := me.Get("/register?team=" + url.QueryEscape(typed)); r.Status != http.StatusFound || r.Location != "/join/"+team {
		t.Errorf("signed in, the team code typed: %d to %q, want the join page", r.Status, r.Location)
	}
	mustContain(t, "unknown join link, signed in", me.Get("/join/ZZZZZZ").Body, "Tìm tổ", "Tiếp tục học")

	// The setup link, used.
	tok, err := rig.P.Store.SetupToken(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, link := range []string{"/setup/used-or-not", "/setup/" + tok} {
		if tok == "" && link != "/setup/used-or-not" {
			continue
		}
		s := anon.Get(link)
		mustStatus(t, "used setup link", s, http.StatusGone)
		mustContain(t, "used setup link", s.Body, "Liên kết này đã được dùng", "đăng nhập")
		hasLink(t, "used setup link", s, "/login?next=/admin", "Đăng nhập")
	}
	mustStatus(t, "used setup link, sent", anon.Post("/setup/used-or-not", url.Values{"name": {"Ai Đó"}, "phone": {"0900000009"}, "password": {"mat-khau-123"}}), http.StatusGone)

	// Error pages.
	nf := anon.Get("/khong-co-trang-nay")
	mustStatus(t, "not found", nf, http.StatusNotFound)
	mustContain(t, "not found", nf.Body, "Có thể địa chỉ bị gõ sai")
	hasLink(t, "not found", nf, "/", "Về trang chủ")
	hasLink(t, "not found", nf, "/v", "Kiểm tra chứng nhận")
	fb := me.Get("/admin")
	mustStatus(t, "forbidden", fb, http.StatusForbidden)
	mustContain(t, "forbidden", fb.Body, "tài khoản của người khác")
	hasLink(t, "forbidden", fb, "/account", "Tài khoản")
	cs := rig.Client(t).PostRaw("/login", url.Values{"phone": {"0911000222"}, "password": {"mat-khau-123"}})
	mustStatus(t, "form expired", cs, http.StatusForbidden)
	hasLink(t, "form expired", cs, "/login", "Mở lại biểu mẫu")
	ln := anon.Post("/account/delete", url.Values{"password": {"x"}, "confirm": {"yes"}})
	mustStatus(t, "sign-in needed", ln, http.StatusUnauthorized)
	hasLink(t, "sign-in needed", ln, "/login?next=%2Faccount", "Đăng nhập")
	hasLink(t, "sign-in needed", ln, "/register", "Đăng ký")
}

// A setup link that never was, before any admin exists, says how to
// print the right one.
func TestWrongSetupLink(t *testing.T) {
	rig := testrig.Start(t)
	r := rig.Client(t).Get("/setup/not-the-link")
	mustStatus(t, "wrong setup link", r, http.StatusNotFound)
	mustContain(t, "wrong setup link", r.Body, "Liên kết tạo quản trị viên không đúng", "go run ./app setup-link")
}

// teamBoxAction returns where the page's box for a team code sends what
// is typed in it, as a browser would: the action of the GET form around
// the field named "team".
func teamBoxAction(t *testing.T, page string) string {
	t.Helper()
	i := strings.Index(page, `name="team"`)
	if i < 0 {
		t.Fatal("no box to type the team code")
	}
	f := strings.LastIndex(page[:i], "<form")
	if f < 0 || strings.Contains(page[f:i], "</form>") {
		t.Fatal("the team code box is in no form")
	}
	tag := page[f : f+strings.IndexByte(page[f:], '>')]
	if !strings.Contains(tag, `method="get"`) {
		t.Fatalf("the team code box is sent by %s, want GET", tag)
	}
	_, action, ok := strings.Cut(tag, `action="`)
	if !ok {
		t.Fatalf("the team code box has no action: %s", tag)
	}
	return action[:strings.IndexByte(action, '"')]
}

// The box on the unknown-team page, used: a code that cannot be a team's
// says the code is wrong and offers the box again, signed in or not (a
// signed-in person used to be sent home without a word); the right code,
// typed loosely, leads to the team.
func TestTeamCodeBoxOnTheUnknownTeamPage(t *testing.T) {
	rig := testrig.Start(t)
	admin := rig.Admin(t)
	rig.Register(t, "Tổ Trưởng Hòa", "0911000222", nil)
	team := rig.Team(t, admin, "Tổ xóm Mới", "0911000222")
	me := rig.Register(t, "Người Mới", "0933000111", nil)
	typed := strings.ToLower(team[:3] + " " + team[3:])
	for who, c := range map[string]*testrig.Client{"signed in": me, "signed out": rig.Client(t)} {
		action := teamBoxAction(t, c.Get("/join/ZZZZZZ?lang=vi").Body)
		for _, bad := range []string{"7KQ", "7KQ2MX9", "tổ 3"} {
			r := c.Follow(action + "?team=" + url.QueryEscape(bad))
			mustStatus(t, who+", "+bad+" typed in the box", r, http.StatusNotFound)
			mustContain(t, who+", "+bad+" typed in the box", r.Body, "Mã tổ không đúng", "gõ lại mã tổ")
			if teamBoxAction(t, r.Body) != action {
				t.Errorf("%s, %s typed in the box: the box is not offered again", who, bad)
			}
		}
		r := c.Follow(action + "?team=" + url.QueryEscape(typed))
		mustStatus(t, who+", the code typed loosely", r, http.StatusOK)
		mustContain(t, who+", the code typed loosely", r.Body, "Tổ xóm Mới")
	}
	// A sign-up link with a code that cannot be a team's, opened signed
	// in, says so too.
	r := me.Follow("/register?team=7KQ")
	mustStatus(t, "signed in, a sign-up link with a bad code", r, http.StatusNotFound)
	mustContain(t, "signed in, a sign-up link with a bad code", r.Body, "Mã tổ không đúng")
}
