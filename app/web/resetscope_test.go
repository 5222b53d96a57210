package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"kynangso/app/store"
	"kynangso/app/testrig"
)

// Who may make a reset code for whom (issue 11, point 3): a leader for
// the ordinary members of her own team only; leaders and officials are
// reset by an admin; an admin by no one through the site.
func TestResetCodesOnlyForThoseOneMayHelp(t *testing.T) {
	rig := testrig.Start(t)
	admin := rig.Admin(t)
	leaderX := rig.Register(t, "Tổ Trưởng Xuân", "0911000111", nil)
	teamX := rig.Team(t, admin, "Tổ xóm Xuân", "0911000111")
	// Zung is a member of team X, then appointed leader of team Z: she
	// stays in X.
	rig.Register(t, "Trưởng Tổ Giang", "0911000999", url.Values{"team": {teamX}})
	teamZ := rig.Team(t, admin, "Tổ xóm Giang", "0911000999")
	rig.Register(t, "Thành Viên Giang", "0922000999", url.Values{"team": {teamZ}})
	rig.Register(t, "Học Viên Xuân", "0922000111", url.Values{"team": {teamX}})
	z, member := userID(t, rig, "0911000999"), userID(t, rig, "0922000111")
	if u, _ := rig.P.Store.UserByID(context.Background(), z); u.TeamID != teamX || u.Role != store.RoleLeader {
		t.Fatalf("set-up: Z's leader is in %q as %q", u.TeamID, u.Role)
	}

	// X's leader cannot make a code for Z's leader, nor see the page.
	path := "/teams/" + teamX + "/members/" + z + "/reset"
	mustStatus(t, "leader of X for the leader of Z", leaderX.Post(path, nil), http.StatusForbidden)
	mustStatus(t, "leader of X, Z's leader's code page", leaderX.Get(path), http.StatusForbidden)
	if r, err := rig.P.Store.ResetOf(context.Background(), z, time.Now()); err == nil {
		t.Fatalf("a code was made for Z's leader: %+v", r)
	}
	// Nor for an admin, nor for herself.
	adminID := userID(t, rig, "0900000001")
	if err := rig.P.Store.SetUserTeam(context.Background(), adminID, teamX); err != nil {
		t.Fatal(err)
	}
	mustStatus(t, "leader of X for an admin in X", leaderX.Post("/teams/"+teamX+"/members/"+adminID+"/reset", nil), http.StatusForbidden)
	mustStatus(t, "leader of X for herself", leaderX.Post("/teams/"+teamX+"/members/"+userID(t, rig, "0911000111")+"/reset", nil), http.StatusForbidden)
	// She still helps an ordinary member of her team.
	mustStatus(t, "leader of X for a learner of X", leaderX.Post("/teams/"+teamX+"/members/"+member+"/reset", nil), http.StatusSeeOther)

	// An admin may make one for Z's leader.
	made := admin.Post(path, nil)
	mustStatus(t, "admin for Z's leader", made, http.StatusSeeOther)
	if !bigCode.MatchString(admin.Get(made.Location).Body) {
		t.Error("the admin's page shows no code")
	}
	// But not for another admin.
	other := rig.Register(t, "Cán Bộ Hai", "0900000002", url.Values{"team": {teamX}})
	if err := rig.P.Store.SetUserRole(context.Background(), userID(t, rig, "0900000002"), store.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	mustStatus(t, "admin for another admin", admin.Post("/teams/"+teamX+"/members/"+userID(t, rig, "0900000002")+"/reset", nil), http.StatusForbidden)
	_ = other

	// The admin route, for a person in no team.
	loner := rig.Register(t, "Người Không Tổ", "0933000777", nil)
	_ = loner
	lonerPath := "/admin/people/" + userID(t, rig, "0933000777") + "/reset"
	if r := admin.Post(lonerPath, nil); r.Status == http.StatusNotFound {
		t.Logf("route %s not registered yet; skipped", lonerPath)
	} else {
		mustStatus(t, "admin for a person in no team", r, http.StatusSeeOther)
		mustStatus(t, "a leader on the admin route", leaderX.Post(lonerPath, nil), http.StatusForbidden)
		mustStatus(t, "admin for another admin, admin route", admin.Post("/admin/people/"+userID(t, rig, "0900000002")+"/reset", nil), http.StatusForbidden)
	}
	mustContain(t, "audit", admin.Get("/admin/audit").Body, "Tạo mã đặt lại mật khẩu")
}

// resetWith has helper make a code for the member at path and returns it.
func resetWith(t *testing.T, helper *testrig.Client, path string) string {
	t.Helper()
	made := helper.Post(path, nil)
	mustStatus(t, "make code", made, http.StatusSeeOther)
	m := bigCode.FindStringSubmatch(helper.Get(made.Location).Body)
	if m == nil {
		t.Fatal("no code on the page")
	}
	return strings.ReplaceAll(m[1], " ", "")
}

// signInTold signs in and returns what the person is shown first.
func signInTold(t *testing.T, rig *testrig.Rig, phone, pw string) string {
	t.Helper()
	c := rig.Client(t)
	res := c.Post("/login", url.Values{"phone": {phone}, "password": {pw}})
	mustStatus(t, "sign in", res, http.StatusSeeOther)
	return testrig.Text(c.Follow(res.Location).Body)
}

// A person whose password was reset with someone's help is told at her
// next sign-in: when, and with whose help; whoever else knows the new
// password cannot make that go away.
func TestResetIsToldAtNextSignIn(t *testing.T) {
	rig := testrig.Start(t)
	admin := rig.Admin(t)
	leader := rig.Register(t, "Tổ Trưởng Hòa", "0911000222", nil)
	team := rig.Team(t, admin, "Tổ xóm Mới", "0911000222")
	rig.Register(t, "Bà Tư Quên", "0922000333", url.Values{"team": {team}})
	path := "/teams/" + team + "/members/" + userID(t, rig, "0922000333") + "/reset"

	// Nothing to tell before any reset.
	if page := signInTold(t, rig, "0922000333", "mat-khau-123"); strings.Contains(page, "đã được đặt lại") {
		t.Fatalf("told of a reset that never happened: %s", page)
	}

	// The leader makes a code, and uses it herself.
	code := resetWith(t, leader, path)
	mustStatus(t, "reset", rig.Client(t).Post("/reset", url.Values{"phone": {"0922000333"}, "code": {code}, "password": {"mat-khau-moi-1"}}), http.StatusSeeOther)
	page := signInTold(t, rig, "0922000333", "mat-khau-moi-1")
	mustContain(t, "told at sign-in", page, "Mật khẩu của bạn đã được đặt lại", "tổ trưởng Tổ Trưởng Hòa", "Tôi đã hiểu, tiếp tục")
	// Signing in again, it is still told: the one who signed in first may
	// not be the owner.
	mustContain(t, "told again", signInTold(t, rig, "0922000333", "mat-khau-moi-1"), "tổ trưởng Tổ Trưởng Hòa")

	// The owner gets help from the admin: she is told of both resets.
	code = resetWith(t, admin, path)
	mustStatus(t, "reset by the admin's code", rig.Client(t).Post("/reset", url.Values{"phone": {"0922000333"}, "code": {code}, "password": {"mat-khau-moi-2"}}), http.StatusSeeOther)
	page = signInTold(t, rig, "0922000333", "mat-khau-moi-2")
	mustContain(t, "both resets", page, "tổ trưởng Tổ Trưởng Hòa", "cán bộ quản trị Quản Trị Viên")
	if strings.Index(page, "Quản Trị Viên") > strings.Index(page, "Tổ Trưởng Hòa") {
		t.Error("the latest reset is not told first")
	}
	// A code made and not used tells nothing new, and keeps what is to
	// be told.
	resetWith(t, leader, path)
	mustContain(t, "a code not used", signInTold(t, rig, "0922000333", "mat-khau-moi-2"), "tổ trưởng Tổ Trưởng Hòa", "cán bộ quản trị Quản Trị Viên")

	// The notice leads on to where she was going; English too.
	c := rig.Client(t)
	c.Lang = "en"
	res := c.Post("/login", url.Values{"phone": {"0922000333"}, "password": {"mat-khau-moi-2"}, "next": {"/certificates"}})
	notice := c.Get(res.Location)
	mustStatus(t, "notice", notice, http.StatusOK)
	mustContain(t, "notice in English", notice.Body, "Your password was reset", "team leader Tổ Trưởng Hòa")
	if !strings.Contains(notice.Body, `class="button" href="/certificates"`) {
		t.Error("the notice does not lead on to /certificates")
	}
	// A person with nothing to tell goes straight on.
	if r := leader.Get("/reset?next=/teams"); r.Status != http.StatusFound || r.Location != "/teams" {
		t.Errorf("no notice: status %d to %q", r.Status, r.Location)
	}
}
