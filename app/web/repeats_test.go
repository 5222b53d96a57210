package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"kynangso/app/certcode"
	"kynangso/app/testrig"
)

// A double tap (issue 9, point 2) sends a form twice: the second request
// carries the cookies the browser had when the first left, and arrives
// either after the first was answered or while it is still being worked
// on. Either way it must end where the first did: the same redirect, no
// error page, no 403.

// How the second tap goes: with the cookies from before the first
// answer, after it or at the same time; or with the cookies the first
// answer set (the browser had them by the second tap).
const (
	tapAfter   = iota // the first is answered, the second carries the old cookies
	tapAtOnce         // both at once
	tapSameJar        // the second carries the cookies the first answer set
)

var tapModes = []int{tapAfter, tapAtOnce, tapSameJar}

// tapTwice sends form to path from c and again as mode says. It returns
// both answers and the browser the person goes on with.
func tapTwice(t *testing.T, rig *testrig.Rig, c *testrig.Client, path string, form url.Values, mode int) (first, second *testrig.Resp, twin *testrig.Client) {
	t.Helper()
	f := url.Values{}
	for k, v := range form {
		f[k] = v
	}
	if !f.Has("_csrf") {
		f.Set("_csrf", c.CSRF())
	}
	if mode == tapSameJar {
		first = c.PostRaw(path, f)
		second = c.PostRaw(path, f)
		return first, second, c
	}
	twin = rig.Client(t)
	twin.SetCookies(c)
	if mode == tapAfter {
		first = c.PostRaw(path, f)
		second = twin.PostRaw(path, f)
		return first, second, twin
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); first = c.PostRaw(path, f) }()
	go func() { defer wg.Done(); second = twin.PostRaw(path, f) }()
	wg.Wait()
	return first, second, twin
}

// sameEnd fails unless both taps were answered with the redirect want.
func sameEnd(t *testing.T, what string, first, second *testrig.Resp, want string) {
	t.Helper()
	for i, r := range []*testrig.Resp{first, second} {
		if r.Status != http.StatusSeeOther || r.Location != want {
			t.Errorf("%s, tap %d: %d to %q, want 303 to %q\n%.600s", what, i+1, r.Status, r.Location, want, testrig.Text(r.Body))
		}
	}
}

func TestDoubleTapOnSignUp(t *testing.T) {
	rig := testrig.Start(t)
	for i, mode := range tapModes {
		phone := []string{"0912345678", "0912345679", "0912345670"}[i]
		c := rig.Client(t)
		c.Get("/register")
		form := url.Values{"name": {"Nguyễn Thị Minh Khai"}, "phone": {phone}, "password": {"mat-khau-123"},
			"province": {"1"}, "commune": {"Ba Đình"}, "consent": {"yes"}}
		first, second, twin := tapTwice(t, rig, c, "/register", form, mode)
		sameEnd(t, "sign-up", first, second, "/?welcome=1")
		mustContain(t, "after a double tap on sign-up", twin.Follow("/?welcome=1").Body, "Chào mừng Nguyễn Thị Minh Khai", "Đăng xuất")
	}
	// Someone else's number is still taken, the right password or not.
	other := rig.Client(t)
	other.Get("/register")
	r := other.Post("/register", url.Values{"name": {"Người Khác"}, "phone": {"0912345678"}, "password": {"mat-khau-123"},
		"province": {"1"}, "commune": {"Ba Đình"}, "consent": {"yes"}})
	mustStatus(t, "a number taken by another name", r, http.StatusConflict)
	mustContain(t, "a number taken by another name", r.Body, "đã được đăng ký")
	r = other.Post("/register", url.Values{"name": {"Nguyễn Thị Minh Khai"}, "phone": {"0912345678"}, "password": {"mat-khau-khac"},
		"province": {"1"}, "commune": {"Ba Đình"}, "consent": {"yes"}})
	mustStatus(t, "a number taken, another password", r, http.StatusConflict)
}

func TestDoubleTapOnPasswordReset(t *testing.T) {
	rig := testrig.Start(t)
	admin := rig.Admin(t)
	leader := rig.Register(t, "Tổ Trưởng Hòa", "0911000222", nil)
	team := rig.Team(t, admin, "Tổ xóm Mới", "0911000222")
	rig.Register(t, "Bà Tư Quên", "0922000333", url.Values{"team": {team}})
	memberID := userID(t, rig, "0922000333")
	for i, mode := range tapModes {
		made := leader.Post("/teams/"+team+"/members/"+memberID+"/reset", nil)
		m := bigCode.FindStringSubmatch(leader.Get(made.Location).Body)
		if m == nil {
			t.Fatal("no reset code")
		}
		pw := []string{"mat-khau-moi-1", "mat-khau-moi-2", "mat-khau-moi-3"}[i]
		c := rig.Client(t)
		c.Get("/reset")
		first, second, twin := tapTwice(t, rig, c, "/reset", url.Values{"phone": {"0922 000 333"}, "code": {m[1]}, "password": {pw}}, mode)
		sameEnd(t, "reset", first, second, "/?reset=1")
		mustContain(t, "after a double tap on reset", twin.Follow("/?reset=1").Body, "Đã đổi mật khẩu", "Đăng xuất")
		mustStatus(t, "the new password", rig.Client(t).Post("/login", url.Values{"phone": {"0922000333"}, "password": {pw}}), http.StatusSeeOther)
	}
	// A code used up is still refused to anyone with another password.
	mustStatus(t, "used code, another password", rig.Client(t).Post("/reset", url.Values{"phone": {"0922000333"}, "code": {"123456"}, "password": {"mat-khau-moi-3"}}), http.StatusUnauthorized)
}

func TestDoubleTapOnSetup(t *testing.T) {
	for _, mode := range tapModes {
		rig := testrig.Start(t)
		tok, err := rig.P.Store.SetupToken(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		c := rig.Client(t)
		c.Get("/setup/" + tok)
		first, second, twin := tapTwice(t, rig, c, "/setup/"+tok, url.Values{"name": {"Quản Trị Viên"}, "phone": {"0900000001"}, "password": {"quan-tri-123"}}, mode)
		sameEnd(t, "setup", first, second, "/admin")
		mustStatus(t, "the admin page after a double tap on setup", twin.Get("/admin"), http.StatusOK)
	}
}

func TestDoubleTapOnJoin(t *testing.T) {
	rig := testrig.Start(t)
	admin := rig.Admin(t)
	rig.Register(t, "Tổ Trưởng Hòa", "0911000222", nil)
	team := rig.Team(t, admin, "Tổ xóm Mới", "0911000222")
	for i, mode := range tapModes {
		c := rig.Register(t, "Người Mới", []string{"0933000111", "0933000112", "0933000113"}[i], nil)
		c.Get("/join/" + team)
		first, second, twin := tapTwice(t, rig, c, "/join/"+team, nil, mode)
		sameEnd(t, "join", first, second, "/join/"+team+"?joined=1")
		mustContain(t, "after a double tap on join", twin.Get("/account").Body, "Tổ xóm Mới")
	}
}

func TestDoubleTapOnRevokeAndReissue(t *testing.T) {
	rig := testrig.Start(t)
	admin := rig.Admin(t)
	holder := rig.Register(t, "Nguyễn Văn An", "0911222333", nil)
	for i, mode := range tapModes {
		course := []string{"mua-ban-truc-tuyen", "bao-ve-du-lieu", "tri-tue-nhan-tao"}[i]
		code := passCourse(t, rig, holder, course)
		page := "/admin/certificates/" + formatted(t, code)
		admin.Get(page)
		first, second, twin := tapTwice(t, rig, admin, page+"/revoke", url.Values{"reason": {"error"}, "confirm": {"yes"}}, mode)
		sameEnd(t, "revoke", first, second, page)
		mustContain(t, "after a double tap on revoke", twin.Get(page).Body, "Đã bị thu hồi")
	}
	for i, mode := range tapModes {
		course := []string{"lam-quen-dien-thoai", "tim-kiem-tin-gia", "to-cong-nghe-so"}[i]
		code := passCourse(t, rig, holder, course)
		page := "/admin/certificates/" + formatted(t, code)
		admin.Get(page)
		first, second, _ := tapTwice(t, rig, admin, page+"/rename", url.Values{"name": {"Nguyễn Văn Ân"}}, mode)
		if first.Status != http.StatusSeeOther || !strings.HasPrefix(first.Location, "/admin/certificates/") || first.Location == page {
			t.Fatalf("re-issue: %d to %q", first.Status, first.Location)
		}
		sameEnd(t, "re-issue", first, second, first.Location)
	}
}

func TestDoubleTapOnAccountDeletion(t *testing.T) {
	rig := testrig.Start(t)
	for i, mode := range tapModes {
		c := rig.Register(t, "Đỗ Thị Hằng", []string{"0922555666", "0922555667", "0922555668"}[i], nil)
		c.Get("/account")
		first, second, twin := tapTwice(t, rig, c, "/account/delete", url.Values{"password": {"mat-khau-123"}, "confirm": {"yes"}}, mode)
		sameEnd(t, "account deletion", first, second, "/?deleted=1")
		mustContain(t, "after a double tap on deletion", twin.Follow("/?deleted=1").Body, "Tài khoản và dữ liệu của bạn đã được xóa", "Đăng nhập")
	}
	// A session ended otherwise (signed out in another tab) deleted
	// nothing: its form is still asked to sign in.
	c := rig.Register(t, "Người Khác", "0933666777", nil)
	tok := c.CSRF()
	tab := rig.Client(t)
	tab.SetCookies(c)
	mustStatus(t, "sign out", c.Post("/logout", nil), http.StatusSeeOther)
	mustStatus(t, "a deletion after signing out", tab.PostRaw("/account/delete", url.Values{"password": {"mat-khau-123"}, "confirm": {"yes"}, "_csrf": {tok}}), http.StatusUnauthorized)
}

func TestDoubleTapOnPasswordChange(t *testing.T) {
	rig := testrig.Start(t)
	for i, mode := range tapModes {
		phone := []string{"0922555666", "0922555667", "0922555668"}[i]
		c := rig.Register(t, "Đỗ Thị Hằng", phone, nil)
		c.Get("/account")
		first, second, twin := tapTwice(t, rig, c, "/account/password", url.Values{"old": {"mat-khau-123"}, "new": {"mat-khau-moi-9"}}, mode)
		sameEnd(t, "password change", first, second, "/account?saved=password")
		mustContain(t, "after a double tap on password change", twin.Get("/account?saved=password").Body, "Đã đổi mật khẩu")
		mustStatus(t, "the new password", rig.Client(t).Post("/login", url.Values{"phone": {phone}, "password": {"mat-khau-moi-9"}}), http.StatusSeeOther)
	}
}

// formatted is a certificate code as printed.
func formatted(t *testing.T, code string) string {
	t.Helper()
	raw, err := certcode.Parse(code)
	if err != nil {
		t.Fatal(err)
	}
	return certcode.Format(raw)
}
