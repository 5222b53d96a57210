package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"kynangso/app/testrig"
)

// tapTwiceAt taps the middle of the element sel twice, 40 ms apart, as an
// older hand does: real input events, so the browser submits the form
// twice, the second while the first is still on its way.
func tapTwiceAt(sel string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if _, err := chromedp.ScrollIntoView(chromedp.CSS(sel))(ctx, t); err != nil {
			return err
		}
		box, err := chromedp.Dimensions(chromedp.CSS(sel))(ctx, t)
		if err != nil {
			return err
		}
		q := box.Border
		x, y := (q[0]+q[4])/2, (q[1]+q[5])/2
		if _, err := chromedp.MouseClickXY(x, y)(ctx, t); err != nil {
			return err
		}
		time.Sleep(40 * time.Millisecond)
		_, err = chromedp.MouseClickXY(x, y)(ctx, t)
		return err
	})
}

// countSubmits counts, in the tab's session storage (which outlives the
// page), the times the page's forms are sent, and marks the page, so that
// newPage waits for the one that comes after it.
var newPage = chromedp.WaitVisible(chromedp.CSS(`body:not([data-old]) footer`))

var countSubmits = into(chromedp.Evaluate[bool](`sessionStorage.setItem('submits', '0'); document.body.dataset.old = '1';
  document.addEventListener('submit', () => sessionStorage.setItem('submits', String(+sessionStorage.getItem('submits') + 1)), true); true`), new(bool))

// A double tap on "Đăng ký" (issue 9, point 2) ends on the welcome page,
// signed in. Before: "Số điện thoại này đã được đăng ký" while the account
// had been made.
func TestBrowserDoubleTapOnSignUp(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	ctx := browser(t)
	rig := testrig.Start(t)
	var text, at, submits string
	err := chromedp.Do(ctx,
		chromedp.Navigate(rig.URL+"/register?lang=vi"),
		chromedp.SendKeys(chromedp.CSS("#name"), "Nguyễn Thị Minh Khai"),
		chromedp.SendKeys(chromedp.CSS("#phone"), "0912 345 678"),
		chromedp.SetValue(chromedp.CSS("#province"), "1"),
		chromedp.SendKeys(chromedp.CSS("#commune"), "Ba Đình"),
		chromedp.SendKeys(chromedp.CSS("#password"), "mat-khau-123"),
		chromedp.Click(chromedp.CSS(`input[name=consent]`)),
		countSubmits,
		tapTwiceAt(`form.form button[type=submit]`),
		newPage,
		shot("double-tap-sign-up"),
		into(chromedp.Text(chromedp.CSS("main")), &text),
		into(chromedp.Location(), &at),
		into(chromedp.Evaluate[string](`sessionStorage.getItem('submits') || '0'`), &submits),
	)
	if err != nil {
		t.Fatalf("double tap on sign-up: %v", err)
	}
	if submits != "2" {
		t.Fatalf("the browser sent the form %s times, not twice", submits)
	}
	if !strings.Contains(text, "Chào mừng Nguyễn Thị Minh Khai") || strings.Contains(text, "đã được đăng ký") || !strings.HasSuffix(at, "/?welcome=1") {
		t.Fatalf("after a double tap on sign-up, %s reads: %.300s", at, text)
	}
}

// A sign-up sent back with an error (issue 9, point 4): the error summary
// at the top has the focus, and the commune box, already filled, shows no
// suggestion list until the person types in it again. Before: the focus
// stayed at the top of the page, and the list of communes lay open over
// the form.
func TestBrowserErrorsInView(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	ctx := browser(t)
	rig := testrig.Start(t)
	var focused string
	var listShown, listAfterTyping bool
	err := chromedp.Do(ctx,
		chromedp.Navigate(rig.URL+"/register?lang=vi"),
		chromedp.SendKeys(chromedp.CSS("#name"), "Nguyễn Thị Minh Khai"),
		chromedp.SendKeys(chromedp.CSS("#phone"), "12"),
		chromedp.SetValue(chromedp.CSS("#province"), "1"),
		chromedp.SendKeys(chromedp.CSS("#commune"), "Ba Đình"),
		chromedp.SendKeys(chromedp.CSS("#password"), "mat-khau-123"),
		chromedp.Click(chromedp.CSS(`input[name=consent]`)),
		countSubmits,
		chromedp.Click(chromedp.CSS(`form.form button[type=submit]`)),
		newPage,
		// The page has fetched the province's communes, and handled them.
		into(chromedp.Poll[bool](`performance.getEntriesByType('resource').some(e => e.name.includes('/communes'))`), new(bool)),
		into(chromedp.Evaluate[bool](`new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))`, chromedp.EvalAwaitPromise), new(bool)),
		shot("errors-in-view"),
		into(chromedp.Evaluate[string](`document.activeElement ? document.activeElement.id : ''`), &focused),
		into(chromedp.Evaluate[bool](`!!Array.from(document.querySelectorAll('.suggest')).find(e => !e.hidden && e.offsetParent !== null)`), &listShown),
		// Typing in the box again brings the list back.
		chromedp.SendKeys(chromedp.CSS("#commune"), " "),
		into(chromedp.Poll[bool](`!!Array.from(document.querySelectorAll('.suggest')).find(e => !e.hidden && e.offsetParent !== null)`), &listAfterTyping),
	)
	if err != nil {
		t.Fatalf("sign-up with an error: %v", err)
	}
	if focused != "error-summary" {
		t.Errorf("the focus is on %q, not on the error summary", focused)
	}
	if listShown {
		t.Error("the commune box, already filled, shows a suggestion list when the form comes back")
	}
	if !listAfterTyping {
		t.Error("typing in the commune box again shows no suggestions")
	}
}

// smallLinks lists the visible links less than 44 px tall.
const smallLinks = `Array.from(document.querySelectorAll('a')).filter(a => a.offsetParent !== null || a.getClientRects().length)
  .filter(a => a.getBoundingClientRect().height < 44 && a.getClientRects().length)
  .map(a => Math.round(a.getBoundingClientRect().height) + 'px "' + a.textContent.trim().slice(0, 30) + '"').join('; ')`

// Every link is at least 44 px tall, and the home page is short enough to
// scan (issue 9, point 6), on the pages a resident reads. Before: links
// in text and lists were about 28 px tall, and the home page listed every
// course twice over six screens.
func TestBrowserLinksBigEnough(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	ctx := browser(t)
	rig := testrig.Start(t)
	co := rig.P.Courses.Get("vneid")
	for _, p := range []string{"/", "/courses/vneid", "/courses/vneid/lessons/" + co.Lessons[1].ID, "/register", "/login", "/reset", "/v",
		"/v/0000-0000-0001", "/khong-co", "/join/ZZZZZZ"} {
		var small string
		var screens float64
		err := chromedp.Do(ctx,
			chromedp.Navigate(rig.URL+p+"?lang=vi"),
			chromedp.WaitVisible(chromedp.CSS("footer")),
			into(chromedp.Evaluate[string](smallLinks), &small),
			into(chromedp.Evaluate[float64](`document.documentElement.scrollHeight / window.innerHeight`), &screens),
		)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if small != "" {
			t.Errorf("%s: links under 44 px: %s", p, small)
		}
		if p == "/" && screens > 3 {
			t.Errorf("the home page is %.1f screens long, want at most 3", screens)
		}
	}
}
