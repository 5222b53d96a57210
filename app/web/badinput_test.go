package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"kynangso/app/store"
	"kynangso/app/testrig"
)

// Every bad input gets a 4xx and a message in the person's language, and
// changes nothing.
func TestRegisterRejectsBadInput(t *testing.T) {
	rig := testrig.Start(t)
	good := url.Values{"name": {"Lò Văn Pọm"}, "phone": {"0944444444"}, "password": {"mat-khau-123"}, "province": {"1"}, "commune": {"Ba Đình"}, "consent": {"yes"}}
	with := func(k, v string) url.Values {
		f := url.Values{}
		for kk, vv := range good {
			f[kk] = vv
		}
		if v == "<delete>" {
			f.Del(k)
		} else {
			f.Set(k, v)
		}
		return f
	}
	cases := []struct {
		name string
		form url.Values
		vi   string
		en   string
	}{
		{"empty name", with("name", ""), "Vui lòng nhập họ và tên", "Please enter your full name"},
		{"long name", with("name", strings.Repeat("Nguyễn ", 20)), "dài quá 80 ký tự", "longer than 80 characters"},
		{"name with digits", with("name", "Nguyễn 123"), "chỉ gồm chữ cái", "only contain letters"},
		{"script in name", with("name", "<script>alert(1)</script>"), "chỉ gồm chữ cái", "only contain letters"},
		{"empty phone", with("phone", ""), "Vui lòng nhập số điện thoại", "Please enter your phone number"},
		{"landline", with("phone", "024 3826 1234"), "Số điện thoại chưa đúng", "doesn't look right"},
		{"letters in phone", with("phone", "09x2345678"), "Số điện thoại chưa đúng", "doesn't look right"},
		{"short password", with("password", "1234567"), "ít nhất 8 ký tự", "at least 8 characters"},
		{"long password", with("password", strings.Repeat("a", 129)), "dài quá 128 ký tự", "longer than 128"},
		{"no province", with("province", ""), "Vui lòng chọn tỉnh", "Please choose a province"},
		{"unknown province", with("province", "999"), "Vui lòng chọn tỉnh", "Please choose a province"},
		{"no commune", with("commune", ""), "Vui lòng nhập tên xã", "Please enter your commune"},
		{"commune of another province", with("commune", "Phường Hải Châu"), "Không tìm thấy xã, phường", "No commune or ward of that name"},
		{"no consent", with("consent", "<delete>"), "Bạn cần đồng ý", "We need your consent"},
		{"unknown team", with("team", "NOTEAM"), "Mã tổ không đúng", "team code is wrong"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for lang, want := range map[string]string{"vi": tc.vi, "en": tc.en} {
				c := rig.Client(t)
				c.Lang = lang
				res := c.Post("/register", tc.form)
				if res.Status < 400 || res.Status >= 500 {
					t.Fatalf("%s: status %d, want 4xx", lang, res.Status)
				}
				mustContain(t, lang, res.Body, want)
				if tc.name != "no consent" && !strings.Contains(res.Body, `name="consent" value="yes" checked`) {
					t.Errorf("%s: the consent tick was lost", lang)
				}
			}
			if _, err := rig.P.Store.UserByPhone(context.Background(), "0944444444"); err == nil {
				t.Fatal("a rejected sign-up created an account")
			}
		})
	}
	t.Run("ambiguous commune offers choices", func(t *testing.T) {
		res := rig.Client(t).Post("/register", with("commune", "phu"))
		mustStatus(t, "ambiguous", res, http.StatusUnprocessableEntity)
		mustContain(t, "ambiguous", res.Body, "Có nhiều nơi trùng tên")
		if !strings.Contains(res.Body, `name="commune_code"`) {
			t.Error("no list of choices")
		}
	})
	t.Run("unknown team can be dropped", func(t *testing.T) {
		c := rig.Client(t)
		mustContain(t, "poster with a wrong code", c.Get("/register?team=zzzzzz").Body, "Bạn vẫn có thể đăng ký")
		res := c.Post("/register", with("team", "zzzzzz"))
		mustStatus(t, "unknown team", res, http.StatusUnprocessableEntity)
		if strings.Contains(res.Body, `name="team"`) {
			t.Fatal("the unknown team code stays in the form, so it can never be sent")
		}
		mustStatus(t, "sent again", c.Post("/register", with("team", "<delete>")), http.StatusSeeOther)
	})
	t.Run("input kept", func(t *testing.T) {
		res := rig.Client(t).Post("/register", with("password", "1"))
		if !strings.Contains(res.Body, `value="Lò Văn Pọm"`) || !strings.Contains(res.Body, `value="0944444444"`) {
			t.Error("the form lost what the person typed")
		}
	})
}

func TestFormsNeedTheCSRFToken(t *testing.T) {
	rig := testrig.Start(t)
	c := rig.Register(t, "Vũ Thị Lan", "0955555555", nil)
	course := rig.P.Courses.Courses[0]
	for _, path := range []string{"/logout", "/courses/" + course.ID + "/lessons/" + course.Lessons[0].ID, "/register", "/login"} {
		for _, tok := range []string{"", "forged-token-forged-token-forged-token"} {
			res := c.PostRaw(path, url.Values{"_csrf": {tok}, "phone": {"0966666666"}})
			mustStatus(t, path+" without a valid token", res, http.StatusForbidden)
			mustContain(t, path, res.Body, "Biểu mẫu đã hết hạn")
		}
	}
	p, _ := rig.P.Store.ProgressOf(context.Background(), userID(t, rig, "0955555555"))
	if len(p) != 0 {
		t.Error("a forged form changed progress")
	}
	mustContain(t, "still signed in", c.Get("/").Body, "Đăng xuất")
}

func TestRolesAndOwnership(t *testing.T) {
	rig := testrig.Start(t)
	admin := rig.Admin(t)
	learner := rig.Register(t, "Đinh Văn Hùng", "0966666666", nil)
	anon := rig.Client(t)
	for _, path := range []string{"/admin", "/admin/audit"} {
		mustStatus(t, "learner "+path, learner.Get(path), http.StatusForbidden)
		if r := anon.Get(path); r.Status != http.StatusFound || !strings.HasPrefix(r.Location, "/login") {
			t.Errorf("anonymous %s: status %d to %q, want the login page", path, r.Status, r.Location)
		}
	}
	res := learner.Post("/admin/teams", url.Values{"name": {"Tổ giả"}, "province": {"1"}, "commune": {"Ba Đình"}, "leader": {"0966666666"}})
	mustStatus(t, "learner creates a team", res, http.StatusForbidden)
	if teams, _ := rig.P.Store.Teams(context.Background(), store.Page{}); len(teams) != 0 {
		t.Fatal("a learner created a team")
	}
	// Someone else's quiz attempt is not there for them.
	course := rig.P.Courses.Courses[0].ID
	path, form := rig.QuizAnswers(t, learner, course, true)
	other := rig.Register(t, "Mai Anh", "0977777777", nil)
	mustStatus(t, "someone else's attempt", other.Get(path), http.StatusNotFound)
	mustStatus(t, "submitting someone else's attempt", other.Post(path, form), http.StatusNotFound)

	// Admin form errors.
	res = admin.Post("/admin/teams", url.Values{"name": {""}, "province": {"1"}, "commune": {"Ba Đình"}, "leader": {"0999999999"}})
	mustStatus(t, "bad team", res, http.StatusUnprocessableEntity)
	mustContain(t, "bad team", res.Body, "Vui lòng điền mục này")
	mustStatus(t, "unknown course", learner.Get("/courses/khong-co"), http.StatusNotFound)
	mustStatus(t, "unknown lesson", learner.Get("/courses/"+course+"/lessons/khong-co"), http.StatusNotFound)
	mustStatus(t, "unknown team", learner.Get("/join/XXXXXX"), http.StatusNotFound)
}

func TestQuizRejectsIncompleteAnswers(t *testing.T) {
	rig := testrig.Start(t)
	c := rig.Register(t, "Bùi Thị Mai", "0988777666", nil)
	course := "thanh-toan-khong-tien-mat"
	path, form := rig.QuizAnswers(t, c, course, true)
	id := path[strings.LastIndex(path, "/")+1:]
	// Drop one answer, and give another an option of a different question.
	var dropped string
	for k := range form {
		if !strings.Contains(k[2:], "_") {
			dropped = k
			break
		}
	}
	bad := url.Values{}
	for k, v := range form {
		bad[k] = v
	}
	bad.Del(dropped)
	for _, lang := range []string{"vi", "en"} {
		c.Lang = lang
		res := c.Post(path, bad)
		mustStatus(t, "incomplete quiz", res, http.StatusUnprocessableEntity)
		want := map[string]string{"vi": "Bạn chưa trả lời các câu", "en": "These questions have no answer yet"}[lang]
		mustContain(t, "incomplete quiz", res.Body, want)
		if !strings.Contains(res.Body, `checked`) {
			t.Error("the answers given were lost")
		}
	}
	c.Lang = ""
	a, _ := rig.P.Store.AttemptByAnyUser(context.Background(), id)
	if a.Submitted {
		t.Fatal("an incomplete quiz was graded")
	}
	garbage := url.Values{}
	for k := range form {
		garbage.Set(k, "khong-co")
	}
	mustStatus(t, "unknown options", c.Post(path, garbage), http.StatusUnprocessableEntity)
	mustStatus(t, "unknown attempt", c.Post("/courses/"+course+"/quiz/khong-co", form), http.StatusNotFound)
	mustStatus(t, "attempt under another course", c.Post("/courses/vneid/quiz/"+id, form), http.StatusNotFound)
	// The complete form still passes afterwards.
	mustStatus(t, "complete", c.Post(path, form), http.StatusSeeOther)
	mustContain(t, "result", c.Get(path).Body, "Chúc mừng")
}

func TestAdminFormsRejectBadInput(t *testing.T) {
	rig := testrig.Start(t)
	admin := rig.Admin(t)
	holder := rig.Register(t, "Phan Văn Đức", "0977111222", nil)
	code := passCourse(t, rig, holder, "tim-kiem-tin-gia")
	good := url.Values{"name": {"Tổ thôn Bắc"}, "province": {"1"}, "commune": {"Ba Đình"}, "leader": {"0977111222"}}
	cases := []struct {
		field, value, want string
	}{
		{"name", "", "Vui lòng điền mục này"},
		{"name", strings.Repeat("x", 201), "Nội dung quá dài"},
		{"leader", "", "Vui lòng nhập số điện thoại"},
		{"leader", "12345", "Số điện thoại chưa đúng"},
		{"province", "", "Vui lòng chọn tỉnh"},
		{"commune", "khong co xa nay", "Không tìm thấy xã, phường"},
	}
	for _, tc := range cases {
		f := url.Values{}
		for k, v := range good {
			f[k] = v
		}
		f.Set(tc.field, tc.value)
		res := admin.Post("/admin/teams", f)
		mustStatus(t, tc.field+"="+tc.value, res, http.StatusUnprocessableEntity)
		mustContain(t, tc.field, res.Body, tc.want)
	}
	if teams, _ := rig.P.Store.Teams(context.Background(), store.Page{}); len(teams) != 0 {
		t.Fatal("a rejected form created a team")
	}
	mustStatus(t, "long reason", admin.Post("/admin/certificates/"+code+"/revoke", url.Values{"confirm": {"yes"}, "reason": {"other"}, "note": {strings.Repeat("x", 201)}}), http.StatusUnprocessableEntity)
	mustStatus(t, "no confirmation", admin.Post("/admin/certificates/"+code+"/revoke", url.Values{"reason": {"error"}}), http.StatusUnprocessableEntity)
	mustStatus(t, "empty name", admin.Post("/admin/certificates/"+code+"/rename", url.Values{"name": {""}}), http.StatusUnprocessableEntity)
	mustStatus(t, "unknown certificate", admin.Post("/admin/certificates/0000-0000-0000/revoke", url.Values{"reason": {"x"}}), http.StatusNotFound)
	mustStatus(t, "garbage certificate", admin.Get("/admin/certificates/<script>"), http.StatusNotFound)
	mustStatus(t, "find by code", admin.Get("/admin/certificates?code="+strings.ToLower(code)), http.StatusSeeOther)
	mustStatus(t, "find garbage", admin.Get("/admin/certificates?code=abc"), http.StatusNotFound)
	mustContain(t, "find by phone", admin.Get("/admin/certificates?code="+url.QueryEscape("0977 111 222")).Body, "Phan Văn Đức", "Tìm kiếm thông tin và nhận diện tin giả")
	mustStatus(t, "find an unknown phone", admin.Get("/admin/certificates?code=0999999999"), http.StatusNotFound)
	mustStatus(t, "appoint unknown phone", admin.Post("/admin/teams/XXXXXX/leader", url.Values{"leader": {"0977111222"}}), http.StatusNotFound)
	mustContain(t, "still valid", rig.Client(t).Get("/v/"+code).Body, "Chứng nhận thật")
}

func TestHealthAndReadiness(t *testing.T) {
	rig := testrig.Start(t)
	c := rig.Client(t)
	mustStatus(t, "healthz", c.Get("/healthz"), http.StatusOK)
	mustStatus(t, "readyz", c.Get("/readyz"), http.StatusOK)
	// Session cookies: HttpOnly, SameSite, and a new session id at login.
	u := rig.Register(t, "Cao Thị Nga", "0966000111", nil)
	before := u.Cookie("kns_session")
	u.Post("/logout", nil)
	res := u.Post("/login", url.Values{"phone": {"0966000111"}, "password": {"mat-khau-123"}})
	if h := res.Header.Get("Set-Cookie"); !strings.Contains(h, "HttpOnly") || !strings.Contains(h, "SameSite=Lax") {
		t.Errorf("session cookie flags: %s", h)
	}
	if after := u.Cookie("kns_session"); after == "" || after == before {
		t.Error("login did not start a new session")
	}
}

func TestLoginLockout(t *testing.T) {
	rig := testrig.Start(t)
	owner := rig.Register(t, "Chủ Tài Khoản", "0955111222", nil)
	owner.Post("/logout", nil)
	// Successful sign-ins never count against the owner.
	for range 12 {
		mustStatus(t, "owner signs in", owner.Post("/login", url.Values{"phone": {"0955111222"}, "password": {"mat-khau-123"}}), http.StatusSeeOther)
		owner.Post("/logout", nil)
	}
	stranger := rig.Client(t)
	for i := range 10 {
		mustStatus(t, "guess", stranger.Post("/login", url.Values{"phone": {"0955111222"}, "password": {"doan-mo-" + string(rune('a'+i))}}), http.StatusUnauthorized)
	}
	res := stranger.Post("/login", url.Values{"phone": {"0955111222"}, "password": {"mat-khau-123"}})
	mustStatus(t, "locked", res, http.StatusTooManyRequests)
	mustContain(t, "locked", res.Body, "Hãy đợi 15 phút")
}
