package web_test

import (
	"context"
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"kynangso/app/store"
	"kynangso/app/testrig"
	"kynangso/app/web"
)

// Registering with a leader beside you (issue 10, part 2).

var (
	consentForm = regexp.MustCompile(`(?s)<form method="post" action="(/teams/[^"]+/assist/consent)".*?</form>`)
	hiddenField = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)
)

// assistStep1 sends the leader's form and returns the consent screen's
// action and fields, as the resident's tap will send them.
func assistStep1(t *testing.T, leader *testrig.Client, team, name, phone string) (string, url.Values, string) {
	t.Helper()
	res := leader.Post("/teams/"+team+"/assist", url.Values{"name": {name}, "phone": {phone}, "province": {"1"}, "commune": {"Ba Đình"}})
	mustStatus(t, "leader's form", res, http.StatusOK)
	m := consentForm.FindStringSubmatch(res.Body)
	if m == nil {
		t.Fatalf("no consent form:\n%s", testrig.Text(res.Body))
	}
	f := url.Values{}
	for _, h := range hiddenField.FindAllStringSubmatch(m[0], -1) {
		f.Set(h[1], html.UnescapeString(h[2]))
	}
	if len(f.Get("attempt")) != 32 || f.Get("commune_code") == "" || f.Get("_csrf") == "" {
		t.Fatalf("consent form fields: %v", f)
	}
	return m[1], f, res.Body
}

func fieldError(t *testing.T, what, body, field, want string) {
	t.Helper()
	re := regexp.MustCompile(`id="` + field + `-error"[^>]*>([^<]+)<`)
	m := re.FindStringSubmatch(body)
	if m == nil || !strings.Contains(html.UnescapeString(m[1]), want) {
		t.Errorf("%s: want %q at field %s, got %v\n%.1200s", what, want, field, m, testrig.Text(body))
	}
	if !strings.Contains(body, `id="error-summary"`) {
		t.Errorf("%s: no error summary", what)
	}
}

func with(f url.Values, kv ...string) url.Values {
	g := url.Values{}
	for k, v := range f {
		g[k] = append([]string(nil), v...)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		g.Set(kv[i], kv[i+1])
	}
	return g
}

func TestAssistedRegistration(t *testing.T) {
	rig := testrig.Start(t)
	ctx := context.Background()
	admin := rig.Admin(t)
	leader := rig.Register(t, "Tổ Trưởng Hòa", "0911000222", nil)
	team := rig.Team(t, admin, "Tổ xóm Mới", "0911000222")
	other := rig.Register(t, "Tổ Trưởng Khác", "0911000333", nil)
	otherTeam := rig.Team(t, admin, "Tổ xóm Bên", "0911000333")
	mustStatus(t, "the other leader's own form", other.Get("/teams/"+otherTeam+"/assist"), http.StatusOK)
	learner := rig.Register(t, "Học Viên Thường", "0933000444", url.Values{"team": {team}})
	leaderID := userID(t, rig, "0911000222")

	// The link on the team page, for its leader.
	mustContain(t, "team page", leader.Get("/teams/"+team).Body, "Đăng ký giúp")
	if !strings.Contains(leader.Get("/teams/"+team).Body, `href="/teams/`+team+`/assist"`) {
		t.Error("no link to Đăng ký giúp on the team page")
	}
	mustStatus(t, "leader opens the form", leader.Get("/teams/"+team+"/assist"), http.StatusOK)
	mustStatus(t, "an admin may too", admin.Get("/teams/"+team+"/assist"), http.StatusOK)

	// Only the team's leader (or an admin).
	good := url.Values{"name": {"Bà Năm Được Giúp"}, "phone": {"0944000555"}, "province": {"1"}, "commune": {"Ba Đình"}}
	mustStatus(t, "another team's leader: form", other.Get("/teams/"+team+"/assist"), http.StatusForbidden)
	mustStatus(t, "another team's leader: step 1", other.Post("/teams/"+team+"/assist", good), http.StatusForbidden)
	mustStatus(t, "a learner: form", learner.Get("/teams/"+team+"/assist"), http.StatusForbidden)
	mustStatus(t, "a learner: step 1", learner.Post("/teams/"+team+"/assist", good), http.StatusForbidden)
	action, fields, screen := assistStep1(t, leader, team, "Bà Năm Được Giúp", "0944 000 555")
	tap := with(fields, "consent", "yes", "way", "password", "password", "mat-khau-rieng-1")
	mustStatus(t, "another team's leader: consent", other.Post(action, with(tap, "_csrf", other.CSRF())), http.StatusForbidden)
	mustStatus(t, "a learner: consent", learner.Post(action, with(tap, "_csrf", learner.CSRF())), http.StatusForbidden)
	if _, err := rig.P.Store.UserByPhone(ctx, "0944000555"); err == nil {
		t.Fatal("an account was made by someone who may not")
	}

	// The resident's screen says who is helping, and carries the consent.
	mustContain(t, "consent screen", screen, "Người đang giúp bạn đăng ký: Tổ Trưởng Hòa, tổ trưởng Tổ xóm Mới.",
		"Bà Năm Được Giúp", "0944 000 555", "Luật số 91/2025/QH15", "Phiên bản nội dung: "+web.ConsentVersion,
		"tự tay bấm vào ô đồng ý", "Người giúp hãy quay đi")
	if !strings.Contains(screen, `name="password" type="password" autocomplete="off"`) {
		t.Error("the helper's phone may offer to save or suggest the resident's password")
	}

	// Bad input: at its field, 422.
	bad := leader.Post("/teams/"+team+"/assist", url.Values{"name": {""}, "phone": {"12345"}, "province": {"1"}, "commune": {"Ba Đình"}})
	mustStatus(t, "bad name and phone", bad, http.StatusUnprocessableEntity)
	fieldError(t, "no name", bad.Body, "name", "Vui lòng nhập họ và tên.")
	fieldError(t, "bad phone", bad.Body, "phone", "Số điện thoại chưa đúng")
	noConsent := leader.Post(action, with(tap, "consent", ""))
	mustStatus(t, "consent missing", noConsent, http.StatusUnprocessableEntity)
	fieldError(t, "consent missing", noConsent.Body, "consent", "tự tay bấm vào ô đồng ý")
	mustContain(t, "consent missing: still her screen", noConsent.Body, "Người đang giúp bạn đăng ký")
	shortPw := leader.Post(action, with(tap, "password", "123"))
	mustStatus(t, "short password", shortPw, http.StatusUnprocessableEntity)
	if strings.Contains(shortPw.Body, `value="123"`) {
		t.Error("the password typed came back in the page")
	}
	tampered := leader.Post(action, with(tap, "phone", "999"))
	mustStatus(t, "phone changed on the way", tampered, http.StatusUnprocessableEntity)
	fieldError(t, "phone changed on the way", tampered.Body, "phone", "Số điện thoại chưa đúng")
	en := rig.Client(t)
	en.Lang = "en"
	en.SetCookies(leader)
	enBad := en.Post(action, with(tap, "consent", "", "_csrf", en.CSRF()))
	mustStatus(t, "consent missing, English", enBad, http.StatusUnprocessableEntity)
	fieldError(t, "consent missing, English", enBad.Body, "consent", "You need to tick the consent box yourself")
	mustContain(t, "English screen", enBad.Body, "Helping you register: Tổ Trưởng Hòa, leader of Tổ xóm Mới.")
	if _, err := rig.P.Store.UserByPhone(ctx, "0944000555"); err == nil {
		t.Fatal("an account was made without consent")
	}

	// Her tap, twice: one account, both taps end on the same page.
	before := time.Now()
	first := leader.Post(action, tap)
	mustStatus(t, "registered", first, http.StatusSeeOther)
	again := leader.Post(action, tap)
	mustStatus(t, "double tap", again, http.StatusSeeOther)
	if again.Location != first.Location || !strings.Contains(first.Location, "/teams/"+team+"/assist/") {
		t.Errorf("double tap ended at %q, the first at %q", again.Location, first.Location)
	}
	members, err := rig.P.Store.TeamMembers(ctx, team, store.Page{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, m := range members {
		if m.Name == "Bà Năm Được Giúp" {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d accounts in the team after a double tap, want 1", n)
	}
	u, err := rig.P.Store.UserByPhone(ctx, "0944000555")
	if err != nil {
		t.Fatal(err)
	}
	if u.Consent.AssistedBy != leaderID || u.Consent.Version != web.ConsentVersion || u.Consent.At.Before(before.Add(-time.Second)) ||
		u.Consent.At.After(time.Now()) || u.TeamID != team || u.Role != store.RoleLearner {
		t.Errorf("record: consent %+v team %q role %q; want assisted by %s, version %s, now, team %s", u.Consent, u.TeamID, u.Role, leaderID, web.ConsentVersion, team)
	}
	done := leader.Get(first.Location)
	mustStatus(t, "done page", done, http.StatusOK)
	mustContain(t, "done page", done.Body, "Bà Năm Được Giúp đã có tài khoản và đã vào Tổ xóm Mới.", "mật khẩu vừa tự đặt", "Bạn vẫn đang đăng nhập bằng tài khoản của chính mình")
	mustStatus(t, "another team's leader: done page", other.Get(first.Location), http.StatusForbidden)

	// The leader is still herself.
	mine := leader.Get("/account")
	mustContain(t, "leader's account", mine.Body, "Tổ Trưởng Hòa")
	if strings.Contains(mine.Body, "Bà Năm Được Giúp") || strings.Contains(mine.Body, "0944 000 555") {
		t.Error("the leader's browser shows the resident's account")
	}
	mustStatus(t, "leader's team page", leader.Get("/teams/"+team), http.StatusOK)

	// The resident signs in with the password she set, and sees who helped.
	resident := rig.Client(t)
	mustStatus(t, "resident signs in", resident.Post("/login", url.Values{"phone": {"0944000555"}, "password": {"mat-khau-rieng-1"}}), http.StatusSeeOther)
	mustContain(t, "her account page", resident.Get("/account").Body, "Đăng ký với sự giúp đỡ của Tổ Trưởng Hòa ngày", "Bà Năm Được Giúp")
	var data struct {
		Account struct {
			Consent struct {
				Version string `json:"version"`
			} `json:"consent"`
			Help struct {
				By     string `json:"by"`
				ByName string `json:"by_name"`
				Text   string `json:"text"`
			} `json:"registered_with_help"`
		} `json:"account"`
	}
	if err := json.Unmarshal([]byte(resident.Get("/account/data.json").Body), &data); err != nil {
		t.Fatal(err)
	}
	if data.Account.Help.By != leaderID || data.Account.Help.ByName != "Tổ Trưởng Hòa" || !strings.Contains(data.Account.Help.Text, "Tổ Trưởng Hòa") ||
		data.Account.Consent.Version != web.ConsentVersion {
		t.Errorf("her data: %+v", data.Account)
	}
	// Someone who signed up herself has no helper.
	mustStatus(t, "learner's data", learner.Get("/account/data.json"), http.StatusOK)
	if strings.Contains(learner.Get("/account/data.json").Body, "registered_with_help") || strings.Contains(testrig.Text(learner.Get("/account").Body), "sự giúp đỡ") {
		t.Error("a person who signed up herself is shown as helped")
	}

	// A phone already registered: told at the field.
	taken := leader.Post("/teams/"+team+"/assist", url.Values{"name": {"Ai Đó"}, "phone": {"0944000555"}, "province": {"1"}, "commune": {"Ba Đình"}})
	mustStatus(t, "phone taken", taken, http.StatusConflict)
	fieldError(t, "phone taken", taken.Body, "phone", "đã có tài khoản")
}

func TestAssistedRegistrationWithACode(t *testing.T) {
	rig := testrig.Start(t)
	ctx := context.Background()
	admin := rig.Admin(t)
	leader := rig.Register(t, "Tổ Trưởng Hòa", "0911000222", nil)
	team := rig.Team(t, admin, "Tổ xóm Mới", "0911000222")

	action, fields, _ := assistStep1(t, leader, team, "Ông Sáu Nhận Mã", "0955000666")
	tap := with(fields, "consent", "yes", "way", "code", "password", "")
	first := leader.Post(action, tap)
	mustStatus(t, "registered with a code", first, http.StatusSeeOther)
	page := leader.Get(first.Location)
	m := bigCode.FindStringSubmatch(page.Body)
	if m == nil {
		t.Fatalf("no code on the page:\n%s", testrig.Text(page.Body))
	}
	code := m[1]
	mustContain(t, "code page", page.Body, "Mã dùng một lần của Ông Sáu Nhận Mã", "chép mã này ra giấy", "0955 000 666")
	// A double tap, and a reload: the same code, one account.
	again := leader.Post(action, tap)
	mustStatus(t, "double tap", again, http.StatusSeeOther)
	if again.Location != first.Location {
		t.Errorf("double tap ended at %q, the first at %q", again.Location, first.Location)
	}
	if m := bigCode.FindStringSubmatch(leader.Get(again.Location).Body); m == nil || m[1] != code {
		t.Errorf("after a double tap the code is %v, was %q", m, code)
	}
	u, err := rig.P.Store.UserByPhone(ctx, "0955000666")
	if err != nil {
		t.Fatal(err)
	}
	if u.Consent.AssistedBy != userID(t, rig, "0911000222") || u.TeamID != team {
		t.Errorf("record: %+v team %q", u.Consent, u.TeamID)
	}
	// No password works yet; the leader's browser is still the leader.
	mustStatus(t, "no password yet", rig.Client(t).Post("/login", url.Values{"phone": {"0955000666"}, "password": {""}}), http.StatusUnprocessableEntity)
	mustContain(t, "leader still herself", leader.Get("/account").Body, "Tổ Trưởng Hòa")

	// On her own phone, she sets her password with the code.
	own := rig.Client(t)
	res := own.Post("/reset", url.Values{"phone": {"0955 000 666"}, "code": {code}, "password": {"mat-khau-cua-toi"}})
	mustStatus(t, "sets her password", res, http.StatusSeeOther)
	mustStatus(t, "signs in", rig.Client(t).Post("/login", url.Values{"phone": {"0955000666"}, "password": {"mat-khau-cua-toi"}}), http.StatusSeeOther)
	// The code is used: the page no longer shows it.
	if bigCode.MatchString(leader.Get(first.Location).Body) {
		t.Error("a used code is still shown to the leader")
	}
}

// Odd input to either step, from anyone, is a 4xx (or the page), never a 500.
func TestAssistedRegistrationOddInput(t *testing.T) {
	rig := testrig.Start(t)
	admin := rig.Admin(t)
	leader := rig.Register(t, "Tổ Trưởng Lạ", "0911777888", nil)
	team := rig.Team(t, admin, "Tổ thử", "0911777888")
	learner := rig.Register(t, "Học Viên Lạ", "0922777888", url.Values{"team": {team}})
	odd := []string{"", " ", strings.Repeat("ầ", 1000), "\x00", "<script>alert(1)</script>", "{\"$ne\":null}", "😀😀", "-1", "99999999999999999999", "\u202e"}
	fields := []string{"name", "phone", "password", "province", "commune", "commune_code", "consent", "way", "attempt", "edit"}
	for _, who := range []*testrig.Client{learner, leader, admin} {
		for _, path := range []string{"/teams/" + team + "/assist", "/teams/" + team + "/assist/consent", "/teams/KHONGCO/assist/consent"} {
			for _, v := range odd {
				f := url.Values{}
				for _, k := range fields {
					f.Set(k, v)
				}
				if r := who.Post(path, f); r.Status >= 500 {
					t.Fatalf("POST %s with %q: %d\n%.600s", path, v, r.Status, testrig.Text(r.Body))
				}
			}
		}
		for _, path := range []string{"/teams/" + team + "/assist/khong-co", "/teams/" + team + "/assist/%00"} {
			if r := who.Get(path); r.Status >= 500 || r.Status == http.StatusOK {
				t.Errorf("GET %s: %d", path, r.Status)
			}
		}
	}
}

// On a phone (390×844): the leader signs in, opens "Đăng ký giúp" from her
// team page, types the resident's details and hands the phone over; the
// resident ticks consent herself and asks for a one-time code, which the
// page shows once. KNS_SCREENSHOTS, when set, keeps PNG screenshots.
func TestAssistedRegistrationInTheBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	ctx := browser(t)
	rig := testrig.Start(t)
	admin := rig.Admin(t)
	rig.Register(t, "Tổ Trưởng Hòa", "0911000222", nil)
	team := rig.Team(t, admin, "Tổ xóm Mới", "0911000222")
	png := func(name string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			dir := os.Getenv("KNS_SCREENSHOTS")
			if dir == "" {
				return nil
			}
			buf, err := chromedp.FullScreenshot(100)(ctx, t) // 100: PNG
			if err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(dir, name+".png"), buf, 0o644)
		})
	}
	var consent, done string
	// Each screen fits the phone, and every target is big enough.
	var misfits []string
	fit := func(name string) chromedp.Action[chromedp.Void] {
		var fits bool
		var small string
		return chromedp.Steps(
			into(chromedp.Evaluate[bool](`document.documentElement.scrollWidth <= window.innerWidth`), &fits),
			into(chromedp.Evaluate[string](smallTargets), &small),
			chromedp.Func(func(context.Context, *chromedp.Target) error {
				if !fits {
					misfits = append(misfits, name+": scrolls sideways")
				}
				if small != "" {
					misfits = append(misfits, name+": small targets "+small)
				}
				return nil
			}),
		)
	}
	err := chromedp.Do(ctx,
		chromedp.Navigate(rig.URL+"/login?lang=vi"),
		chromedp.SendKeys(chromedp.CSS("#phone"), "0911000222"),
		chromedp.SendKeys(chromedp.CSS("#password"), "mat-khau-123"),
		chromedp.Click(chromedp.CSS(`form.form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/logout"]`)),
		chromedp.Navigate(rig.URL+"/teams/"+team),
		chromedp.Click(chromedp.CSS(`a[href="/teams/`+team+`/assist"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#name`)),
		png("assist-1-leader"),
		fit("assist-1-leader"),
		chromedp.SendKeys(chromedp.CSS("#name"), "Bà Năm Được Giúp"),
		chromedp.SendKeys(chromedp.CSS("#phone"), "0944 000 555"),
		chromedp.Click(chromedp.CSS(`form.form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#consent`)),
		png("assist-2-consent"),
		fit("assist-2-consent"),
		into(chromedp.Text(chromedp.CSS("main")), &consent),
		chromedp.Click(chromedp.CSS(`#consent`)),
		chromedp.Click(chromedp.CSS(`#way-code`)),
		chromedp.Click(chromedp.CSS(`form[action$="/assist/consent"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`.bigcode`)),
		png("assist-3-code"),
		fit("assist-3-code"),
		into(chromedp.Text(chromedp.CSS("main")), &done),
	)
	if err != nil {
		t.Fatalf("assisted registration: %v", err)
	}
	for _, m := range misfits {
		t.Error(m)
	}
	for _, want := range []string{"Người đang giúp bạn đăng ký: Tổ Trưởng Hòa, tổ trưởng Tổ xóm Mới.", "Bà Năm Được Giúp", "Tôi là người có tên ở trên"} {
		if !strings.Contains(consent, want) {
			t.Errorf("consent screen: want %q; it reads %.600s", want, consent)
		}
	}
	for _, want := range []string{"Bà Năm Được Giúp đã có tài khoản và đã vào Tổ xóm Mới.", "Mã dùng một lần của Bà Năm Được Giúp"} {
		if !strings.Contains(done, want) {
			t.Errorf("done page: want %q; it reads %.600s", want, done)
		}
	}
	u, err := rig.P.Store.UserByPhone(context.Background(), "0944000555")
	if err != nil || u.Consent.AssistedBy == "" {
		t.Fatalf("no assisted account: %v %+v", err, u)
	}
}
