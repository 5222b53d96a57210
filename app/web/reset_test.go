package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"kynangso/app/testrig"
)

var bigCode = regexp.MustCompile(`class="bigcode"[^>]*>(\d{3} \d{3})<`)

func TestLeaderHelpsResetAPassword(t *testing.T) {
	rig := testrig.Start(t)
	admin := rig.Admin(t)
	leader := rig.Register(t, "Tổ Trưởng Hòa", "0911000222", nil)
	team := rig.Team(t, admin, "Tổ xóm Mới", "0911000222")
	member := rig.Register(t, "Bà Tư Quên", "0922000333", url.Values{"team": {team}})
	outsider := rig.Register(t, "Người Ngoài", "0933000444", nil)
	memberID, outsiderID := userID(t, rig, "0922000333"), userID(t, rig, "0933000444")

	mustStatus(t, "not in the team", leader.Post("/teams/"+team+"/members/"+outsiderID+"/reset", nil), http.StatusNotFound)
	mustStatus(t, "a learner can't", outsider.Post("/teams/"+team+"/members/"+memberID+"/reset", nil), http.StatusForbidden)
	made := leader.Post("/teams/"+team+"/members/"+memberID+"/reset", nil)
	mustStatus(t, "make code", made, http.StatusSeeOther)
	page := leader.Get(made.Location)
	m := bigCode.FindStringSubmatch(page.Body)
	if m == nil {
		t.Fatalf("no code on the page:\n%s", testrig.Text(page.Body))
	}
	code := m[1]
	// A reload shows the same code; it makes no new one.
	if again := bigCode.FindStringSubmatch(leader.Get(made.Location).Body); again == nil || again[1] != code {
		t.Fatalf("a reload changed the code: %q then %v", code, again)
	}

	anon := rig.Client(t)
	wrong := anon.Post("/reset", url.Values{"phone": {"0922 000 333"}, "code": {"000000"}, "password": {"mat-khau-moi-1"}})
	if code == "000 000" {
		wrong = anon.Post("/reset", url.Values{"phone": {"0922 000 333"}, "code": {"111111"}, "password": {"mat-khau-moi-1"}})
	}
	mustStatus(t, "wrong code", wrong, http.StatusUnauthorized)
	mustContain(t, "wrong code", wrong.Body, "Mã không đúng")
	mustStatus(t, "someone else's phone", anon.Post("/reset", url.Values{"phone": {"0933000444"}, "code": {code}, "password": {"mat-khau-moi-1"}}), http.StatusUnauthorized)
	mustStatus(t, "short password", anon.Post("/reset", url.Values{"phone": {"0922000333"}, "code": {code}, "password": {"123"}}), http.StatusUnprocessableEntity)

	res := anon.Post("/reset", url.Values{"phone": {"0922000333"}, "code": {code}, "password": {"mat-khau-moi-1"}})
	mustStatus(t, "reset", res, http.StatusSeeOther)
	mustContain(t, "signed in", anon.Follow(res.Location).Body, "Đã đổi mật khẩu", "Đăng xuất")
	// The member's old session ends; the old password no longer works.
	if r := member.Get("/certificates"); r.Status != http.StatusFound {
		t.Error("the session from before the reset still works")
	}
	mustStatus(t, "old password", rig.Client(t).Post("/login", url.Values{"phone": {"0922000333"}, "password": {"mat-khau-123"}}), http.StatusUnauthorized)
	mustStatus(t, "new password", rig.Client(t).Post("/login", url.Values{"phone": {"0922000333"}, "password": {"mat-khau-moi-1"}}), http.StatusSeeOther)
	mustStatus(t, "code used twice", rig.Client(t).Post("/reset", url.Values{"phone": {"0922000333"}, "code": {code}, "password": {"mat-khau-moi-2"}}), http.StatusUnauthorized)

	// Five wrong tries end a code, even the right one after them.
	made = leader.Post("/teams/"+team+"/members/"+memberID+"/reset", nil)
	code = bigCode.FindStringSubmatch(leader.Get(made.Location).Body)[1]
	bad := "999999"
	if strings.ReplaceAll(code, " ", "") == bad {
		bad = "888888"
	}
	for range 5 {
		rig.Client(t).Post("/reset", url.Values{"phone": {"0922000333"}, "code": {bad}, "password": {"mat-khau-moi-3"}})
	}
	mustStatus(t, "after five wrong tries", rig.Client(t).Post("/reset", url.Values{"phone": {"0922000333"}, "code": {code}, "password": {"mat-khau-moi-3"}}), http.StatusUnauthorized)
	mustContain(t, "audit", admin.Get("/admin/audit").Body, "Tạo mã đặt lại mật khẩu")
}
