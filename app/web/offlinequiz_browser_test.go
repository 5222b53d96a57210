package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"kynangso/app/testrig"
)

// offline cuts the tab (and the service worker controlling it) off the
// network through the DevTools protocol, or gives the network back;
// navigator.onLine follows, with its offline and online events.
func offline(off bool) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if _, err := cdp.Call(ctx, t, network.Enable, network.EnableParams{}); err != nil {
			return err
		}
		sw := true
		if _, err := cdp.Call(ctx, t, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
			EmulateOfflineServiceWorker: &sw,
			MatchedNetworkConditions:    []*network.Conditions{{Offline: off, DownloadThroughput: -1, UploadThroughput: -1}},
		}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, t, network.OverrideNetworkState, network.OverrideNetworkStateParams{Offline: off, DownloadThroughput: -1, UploadThroughput: -1})
		return err
	})
}

// TestOfflineQuizBrowser: save a course, lose the connection, read a
// lesson, take the quiz (a reload keeps the answers) and submit it; then
// the connection comes back, the answers go,
// and the resident sees her result and her certificate.
func TestOfflineQuizBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	rig := testrig.Start(t)
	base := rig.URL
	ctx := browser(t)
	const course = "tim-kiem-tin-gia" // no practical tasks: a pass issues the certificate at once
	co := rig.P.Courses.Get(course)
	var text string

	err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/register?lang=vi"),
		chromedp.SendKeys(chromedp.CSS("#name"), "Hoàng Thị Mai"),
		chromedp.SendKeys(chromedp.CSS("#phone"), "0912 555 666"),
		chromedp.SetValue(chromedp.CSS("#province"), "1"),
		chromedp.SendKeys(chromedp.CSS("#commune"), "ba dinh"),
		chromedp.SendKeys(chromedp.CSS("#password"), "mat-khau-123"),
		chromedp.Click(chromedp.CSS(`input[name=consent]`)),
		chromedp.Click(chromedp.CSS(`form.form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`.notice`)),
		chromedp.Navigate(base+"/courses/"+course),
		chromedp.WaitVisible(chromedp.CSS(`button.save-offline`)),
	)
	if err != nil {
		t.Fatalf("sign up: %v", err)
	}
	var active bool
	if err := chromedp.Do(ctx, into(chromedp.Evaluate[bool](`navigator.serviceWorker.ready.then(r => !!r.active)`, chromedp.EvalAwaitPromise), &active)); err != nil || !active {
		t.Fatalf("no active service worker: %v", err)
	}
	// Opened again under the service worker, the course page is kept too.
	var kept, savedPage string
	err = chromedp.Do(ctx,
		chromedp.Navigate(base+"/courses/"+course),
		chromedp.WaitVisible(chromedp.CSS(`button.save-offline`)),
		into(chromedp.Text(chromedp.CSS(`p.offline`)), &text),
		chromedp.Click(chromedp.CSS(`button.save-offline`)),
		chromedp.WaitVisible(chromedp.CSS(`button.save-offline[disabled]`)),
		shot("offline-0-saved"),
		into(chromedp.Evaluate[string](`caches.open('kns-pages').then(c => c.match('/courses/`+course+`/quiz')).then(r => r ? r.text() : '')`, chromedp.EvalAwaitPromise), &kept),
	)
	if err != nil {
		t.Fatalf("save for offline: %v", err)
	}
	if !strings.Contains(text, "Bài kiểm tra cũng được lưu") {
		t.Errorf("the save button does not say the quiz is kept: %q", text)
	}
	if !strings.HasPrefix(kept, "/courses/"+course+"/quiz/") {
		t.Fatalf("no attempt kept for offline: %q", kept)
	}
	if err := chromedp.Do(ctx, into(chromedp.Evaluate[string](`caches.open('kns-pages').then(c => c.match('`+kept+`')).then(r => r ? r.text() : '')`, chromedp.EvalAwaitPromise), &savedPage)); err != nil {
		t.Fatal(err)
	}
	a := attemptOf(t, rig, kept)
	if a.Submitted || !strings.Contains(savedPage, `class="quiz"`) || strings.Contains(savedPage, "is-correct") || strings.Contains(savedPage, `class="explain"`) {
		t.Fatalf("the kept attempt page is not an unanswered quiz without its answers")
	}
	for _, d := range a.Drawn {
		if q := co.Question(d.QuestionID); strings.Contains(savedPage, q.Explanation.In("vi")) {
			t.Fatalf("the kept quiz page holds the explanation of %s", q.ID)
		}
	}

	// The connection goes.
	if err := chromedp.Do(ctx, offline(true)); err != nil {
		t.Fatalf("go offline: %v", err)
	}
	var onLine bool
	var answer []chromedp.Action[chromedp.Void]
	for _, d := range a.Drawn {
		q := co.Question(d.QuestionID)
		for i, o := range q.Options {
			switch {
			case q.Kind == "ordering":
				answer = append(answer, chromedp.SetValue(chromedp.CSS(fmt.Sprintf(`select[name="q_%s_%s"]`, q.ID, o.ID)), fmt.Sprint(i+1)))
			case o.Correct:
				answer = append(answer, chromedp.Click(chromedp.CSS(fmt.Sprintf(`input[name="q_%s"][value="%s"]`, q.ID, o.ID))))
			}
		}
	}
	answer = append(answer, chromedp.Evaluate[chromedp.Void](`document.querySelectorAll('form.quiz select').forEach(s => s.dispatchEvent(new Event('change', {bubbles: true})))`))
	steps := []chromedp.Action[chromedp.Void]{
		into(chromedp.Evaluate[bool](`navigator.onLine`), &onLine),
		chromedp.Navigate(base + "/courses/" + course + "/lessons/" + co.Lessons[1].ID),
		chromedp.WaitVisible(chromedp.CSS(`article.lesson h1`)),
		shot("offline-1-lesson"),
		chromedp.Navigate(base + "/courses/" + course),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/courses/` + course + `/quiz"]`)),
		chromedp.Click(chromedp.CSS(`a[href="/courses/` + course + `/quiz"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#offline-note`)),
		shot("offline-2-quiz"),
		into(chromedp.Text(chromedp.CSS(`#offline-note`)), &text),
	}
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("offline, open the lesson and the quiz: %v", err)
	}
	if onLine || !strings.Contains(text, "Bạn đang không có mạng. Bạn vẫn làm bài được") {
		t.Fatalf("offline (navigator.onLine %v) the quiz says %q", onLine, text)
	}
	var loc string
	var checked int
	all := append(answer,
		// A reload, offline, keeps what was answered.
		chromedp.Reload(),
		chromedp.WaitVisible(chromedp.CSS(`form.quiz`)),
		into(chromedp.Evaluate[int](`document.querySelectorAll('form.quiz input:checked').length + [...document.querySelectorAll('form.quiz select')].filter(s => s.value).length`), &checked),
		chromedp.Click(chromedp.CSS(`form.quiz > button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#offline-note.pending`)),
		shot("offline-3-submitted"),
		into(chromedp.Text(chromedp.CSS(`#offline-note`)), &text),
		into(chromedp.Location(), &loc),
	)
	if err := chromedp.Do(ctx, all...); err != nil {
		t.Fatalf("offline, answer and submit: %v", err)
	}
	if checked != len(answer)-1 {
		t.Errorf("after a reload %d answers remain of %d", checked, len(answer)-1)
	}
	want := "Bạn đang không có mạng. Bài làm đã được lưu trên điện thoại và sẽ tự gửi khi có mạng trở lại. Đừng xóa dữ liệu trình duyệt."
	if text != want {
		t.Fatalf("after Nộp bài offline the page says %q", text)
	}
	if !strings.HasSuffix(loc, kept) {
		t.Fatalf("offline the quiz link led to %q, not the kept attempt %q", loc, kept)
	}

	if a := attemptOf(t, rig, kept); a.Submitted {
		t.Fatal("graded while offline")
	}

	// The connection comes back: the page sends the answers by itself.
	err = chromedp.Do(ctx,
		offline(false),
		chromedp.WaitVisible(chromedp.CSS(`.result`)),
		shot("offline-5-result"),
		into(chromedp.Text(chromedp.CSS(`.result`)), &text),
	)
	if err != nil {
		t.Fatalf("back online: %v", err)
	}
	if !strings.Contains(text, "Chúc mừng, bạn đã đạt!") {
		t.Fatalf("result reads: %s", text)
	}
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`a[href^="/certificates/"]`)),
		chromedp.WaitVisible(chromedp.CSS(`img.qr`)),
		shot("offline-6-certificate"),
		into(chromedp.Text(chromedp.CSS("main")), &text),
	)
	if err != nil {
		t.Fatalf("certificate: %v", err)
	}
	if !strings.Contains(text, "Hoàng Thị Mai") {
		t.Errorf("certificate page: %.300s", text)
	}
	var left int
	if err := chromedp.Do(ctx, into(chromedp.Evaluate[int](`Object.keys(localStorage).filter(k => k.indexOf('kns-quiz:') === 0).length`), &left)); err != nil || left != 0 {
		t.Errorf("%d kept answers left on the phone after grading (%v)", left, err)
	}
	if a := attemptOf(t, rig, kept); !a.Submitted || !a.Passed {
		t.Fatalf("attempt submitted %v passed %v", a.Submitted, a.Passed)
	}
	if n := validCerts(t, rig, "0912555666", course); n != 1 {
		t.Fatalf("%d certificates", n)
	}
}
