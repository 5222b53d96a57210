package web_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"kynangso/app/testrig"
)

// TestLessonsReadOffline saves a course for offline reading, loses the
// connection (the server stops), and still opens its last lesson. It also
// checks the text size choice.
func TestLessonsReadOffline(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	ctx := browser(t)
	rig := testrig.Start(t)
	co := rig.P.Courses.Get("vneid")
	last := co.Lessons[len(co.Lessons)-1]
	var class, done string
	err := chromedp.Do(ctx,
		chromedp.Navigate(rig.URL+"/courses/"+co.ID+"?lang=vi"),
		chromedp.WaitVisible(chromedp.CSS(`button.save-offline`)),
		chromedp.Click(chromedp.CSS(`button.save-offline`)),
		chromedp.WaitVisible(chromedp.CSS(`button.save-offline[disabled]`)),
		into(chromedp.Text(chromedp.CSS(`button.save-offline`)), &done),
		chromedp.Click(chromedp.CSS(`.sizes a.size-large-sample`)),
		chromedp.WaitVisible(chromedp.CSS(`html.size-large`)),
		into(chromedp.Evaluate[string](`document.documentElement.className`), &class),
	)
	if err != nil {
		t.Fatalf("save for offline: %v", err)
	}
	if !strings.Contains(done, "Đã lưu") || class != "size-large" {
		t.Fatalf("button reads %q, html class %q", done, class)
	}

	// The service worker must be in charge before the connection goes.
	var active bool
	if err := chromedp.Do(ctx, into(chromedp.Evaluate[bool](`navigator.serviceWorker.ready.then(r => !!r.active)`, chromedp.EvalAwaitPromise), &active)); err != nil || !active {
		t.Fatalf("no active service worker: %v", err)
	}
	if err := rig.P.App.Shutdown(); err != nil {
		t.Fatal(err)
	}
	var title string
	err = chromedp.Do(ctx,
		chromedp.Navigate(rig.URL+"/courses/"+co.ID+"/lessons/"+last.ID),
		chromedp.WaitVisible(chromedp.CSS(`article.lesson h1`)),
		into(chromedp.Text(chromedp.CSS(`article.lesson h1`)), &title),
	)
	if err != nil {
		t.Fatalf("offline lesson: %v", err)
	}
	if title != last.Title.In("vi") {
		t.Fatalf("offline the lesson reads %q, want %q", title, last.Title.In("vi"))
	}
}
