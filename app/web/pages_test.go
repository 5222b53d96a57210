package web_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"kynangso/app/testrig"
)

// smallTargets lists buttons, fields and button-like links less than 44
// px tall; tick boxes count by their label, which is the target.
const smallTargets = `Array.from(document.querySelectorAll('button, .button, input:not([type=hidden]):not([type=checkbox]):not([type=radio]), select, label.check, label.choice, .menu a'))
  .filter(e => e.offsetParent !== null && e.getBoundingClientRect().height < 44)
  .map(e => e.tagName + '.' + e.className + ' "' + (e.textContent || e.name || '').trim().slice(0, 30) + '"').join('; ')`

// TestPagesFitAPhone opens every kind of page, in both languages, at
// 390×844 and checks that none scrolls sideways (wide tables scroll inside
// their own box) and that none shows an error. With KNS_SCREENSHOTS set,
// it also saves each page for people to look at.
func TestPagesFitAPhone(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	ctx := browser(t)
	rig := testrig.Start(t)
	admin := rig.Admin(t)
	leaderC := rig.Register(t, "Trần Văn Tổ", "0911111111", nil)
	team := rig.Team(t, admin, "Tổ công nghệ số thôn Thượng", "0911111111")
	member := rig.Register(t, "Nguyễn Thị Ánh Tuyết", "0922222222", url.Values{"team": {team}})
	leaderC.Post("/teams/"+team+"/households/count", url.Values{"households": {"1240"}})
	leaderC.Post("/teams/"+team+"/households", url.Values{"label": {"Hộ bà Tuyết, ngõ 12 phố Quán Thánh"}})
	admin.Post("/places/1/officials", url.Values{"phone": {"0933 333 333"}})
	code := passCourse(t, rig, member, "lam-quen-dien-thoai")
	revoked := passCourse(t, rig, member, "tim-kiem-tin-gia")
	admin.Post("/admin/certificates/"+revoked+"/revoke", url.Values{"confirm": {"yes"}, "reason": {"error"}})

	// The browser signs in as the leader, then as the admin, then as the
	// member; the cookie jar is the browser's own.
	login := func(phone, pw string) chromedp.Action[chromedp.Void] {
		return chromedp.Steps(
			chromedp.Navigate(rig.URL+"/login?lang=vi"),
			chromedp.SendKeys(chromedp.CSS("#phone"), phone),
			chromedp.SendKeys(chromedp.CSS("#password"), pw),
			chromedp.Click(chromedp.CSS(`main form button[type=submit]`)),
			chromedp.WaitVisible(chromedp.CSS(`form[action="/logout"]`)),
		)
	}
	logout := chromedp.Steps(
		chromedp.Click(chromedp.CSS(`form[action="/logout"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`.menu a[href="/login"]`)),
	)
	type visit struct{ name, path string }
	anon := []visit{
		{"home", "/"}, {"register", "/register"}, {"login", "/login"}, {"join", "/join/" + team},
		{"verify-form", "/v"}, {"reset", "/reset"}, {"verify-valid", "/v/" + code}, {"verify-revoked", "/v/" + revoked},
		{"verify-unknown", "/v/0000-0000-0000"}, {"verify-mistyped", "/v/0000-0000-0001"},
		{"not-found", "/khong-co-trang-nay"}, {"ranking", "/ranking"}, {"ranking-province", "/ranking?province=1"},
	}
	for _, co := range rig.P.Courses.Courses {
		anon = append(anon, visit{"course-" + co.ID, "/courses/" + co.ID})
		for i, l := range co.Lessons {
			anon = append(anon, visit{fmt.Sprintf("lesson-%s-%d", co.ID, i+1), "/courses/" + co.ID + "/lessons/" + l.ID})
		}
	}
	leader := []visit{{"team", "/teams/" + team}, {"poster", "/join/" + team + "/poster"}}
	adminPages := []visit{{"admin", "/admin"}, {"admin-cert", "/admin/certificates/" + revoked}, {"audit", "/admin/audit"},
		{"places", "/places"}, {"province", "/places/1"}, {"commune", "/places/1/4"}, {"team-as-admin", "/teams/" + team}}
	memberPages := []visit{{"account", "/account"}, {"certificates", "/certificates"}, {"certificate", "/certificates/" + code}, {"certificate-revoked", "/certificates/" + revoked}, {"home-progress", "/"}}

	check := func(as string, pages []visit) {
		for _, lang := range []string{"vi", "en"} {
			for _, p := range pages {
				sep := "?"
				if strings.Contains(p.path, "?") {
					sep = "&"
				}
				var fits, fitsLarge bool
				var body, small string
				err := chromedp.Do(ctx,
					chromedp.Navigate(rig.URL+p.path+sep+"lang="+lang),
					chromedp.WaitVisible(chromedp.CSS("main")),
					into(chromedp.Evaluate[bool](`document.documentElement.scrollWidth <= window.innerWidth`), &fits),
					into(chromedp.Evaluate[string](smallTargets), &small),
					into(chromedp.Text(chromedp.CSS("main")), &body),
					shot(fmt.Sprintf("%s-%s-%s", lang, as, p.name)),
					// The largest text size, as for eyes that need it.
					chromedp.Navigate(rig.URL+p.path+sep+"lang="+lang+"&size=xlarge"),
					chromedp.WaitVisible(chromedp.CSS("main")),
					into(chromedp.Evaluate[bool](`document.documentElement.scrollWidth <= window.innerWidth`), &fitsLarge),
					chromedp.Navigate(rig.URL+"/?size=normal"),
				)
				if err != nil {
					t.Fatalf("%s %s: %v", lang, p.path, err)
				}
				if !fits || !fitsLarge {
					t.Errorf("%s %s (%s): the page is wider than the phone (normal text fits: %v, largest: %v)", lang, p.path, as, fits, fitsLarge)
				}
				if small != "" {
					t.Errorf("%s %s (%s): touch targets under 44 px: %s", lang, p.path, as, small)
				}
				if p.name != "not-found" && (strings.Contains(body, "Mã lỗi") || strings.Contains(body, "Error code")) {
					t.Errorf("%s %s (%s): shows an error: %.200s", lang, p.path, as, body)
				}
			}
		}
	}
	check("anon", anon)
	if err := chromedp.Do(ctx, login("0911111111", "mat-khau-123")); err != nil {
		t.Fatal(err)
	}
	check("leader", leader)
	if err := chromedp.Do(ctx, logout, login("0900000001", "quan-tri-123")); err != nil {
		t.Fatal(err)
	}
	check("admin", adminPages)
	if err := chromedp.Do(ctx, logout, login("0922222222", "mat-khau-123")); err != nil {
		t.Fatal(err)
	}
	check("member", memberPages)
}
