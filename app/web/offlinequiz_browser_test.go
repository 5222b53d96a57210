package web_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"

	"kynangso/app/store"
	"kynangso/app/testrig"
	"kynangso/courses"
)

// offline cuts the tab (and the service worker controlling it) off the
// network through the DevTools protocol, or gives the network back;
// navigator.onLine follows, with its offline and online events.
func offline(off bool) chromedp.Action[chromedp.Void] { return emulate(off, off) }

// dropped cuts the requests while navigator.onLine stays true: a
// connection that dies without the phone noticing (3G with no signal
// behind it, a captive Wi-Fi).
func dropped() chromedp.Action[chromedp.Void] { return emulate(true, false) }

func emulate(noRequests, offLine bool) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if _, err := cdp.Call(ctx, t, network.Enable, network.EnableParams{}); err != nil {
			return err
		}
		sw := true
		if _, err := cdp.Call(ctx, t, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
			EmulateOfflineServiceWorker: &sw,
			MatchedNetworkConditions:    []*network.Conditions{{Offline: noRequests, DownloadThroughput: -1, UploadThroughput: -1}},
		}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, t, network.OverrideNetworkState, network.OverrideNetworkStateParams{Offline: offLine, DownloadThroughput: -1, UploadThroughput: -1})
		return err
	})
}

// offlineTeam is a test rig with a team and its leader, whom residents
// join through the team's link.
func offlineTeam(t *testing.T) (rig *testrig.Rig, leader *testrig.Client, team string) {
	t.Helper()
	rig = testrig.Start(t)
	leader = rig.Register(t, "Đinh Thị Hoa", "0912000777", nil)
	team = rig.Team(t, rig.Admin(t), "Tổ CNSCĐ tổ dân phố 3", "0912000777")
	return rig, leader, team
}

// noBackgroundSync makes the browser one without Background Sync (as
// Firefox and Safari are), so that the pages, not a worker, send.
func noBackgroundSync(t *testing.T, ctx context.Context, base string) {
	t.Helper()
	if _, err := chromedp.CallBrowser(ctx, cdpbrowser.SetPermission, cdpbrowser.SetPermissionParams{
		Permission: &cdpbrowser.PermissionDescriptor{Name: "background-sync"}, Setting: cdpbrowser.PermissionSettingDenied, Origin: base}); err != nil {
		t.Fatal(err)
	}
}

// signUpInTeam signs a resident up in the browser through her team's
// link, and waits until the service worker controls the page.
func signUpInTeam(t *testing.T, ctx context.Context, base, team, name, phone string) {
	t.Helper()
	err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/register?lang=vi&team="+team),
		chromedp.SendKeys(chromedp.CSS("#name"), name),
		chromedp.SendKeys(chromedp.CSS("#phone"), phone),
		chromedp.SetValue(chromedp.CSS("#province"), "1"),
		chromedp.SendKeys(chromedp.CSS("#commune"), "ba dinh"),
		chromedp.SendKeys(chromedp.CSS("#password"), "mat-khau-123"),
		chromedp.Click(chromedp.CSS(`input[name=consent]`)),
		chromedp.Click(chromedp.CSS(`form.form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`.notice`)),
	)
	if err != nil {
		t.Fatalf("sign up: %v", err)
	}
	var controlled bool
	if err := chromedp.Do(ctx, into(chromedp.Evaluate[bool](`navigator.serviceWorker.ready.then(() => new Promise(ok => {
		let n = 0;
		const wait = () => navigator.serviceWorker.controller || ++n > 50 ? ok(!!navigator.serviceWorker.controller) : setTimeout(wait, 100);
		wait();
	}))`, chromedp.EvalAwaitPromise), &controlled)); err != nil || !controlled {
		t.Fatalf("no service worker controls the page: %v", err)
	}
}

// openQuiz opens the course's quiz, online, and gives the attempt's path.
func openQuiz(t *testing.T, ctx context.Context, base, course string) string {
	t.Helper()
	var loc string
	if err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/courses/"+course+"/quiz"),
		chromedp.WaitVisible(chromedp.CSS(`form.quiz`)),
		into(chromedp.Location(), &loc),
	); err != nil {
		t.Fatalf("open the quiz: %v", err)
	}
	return loc[strings.Index(loc, "/courses/"):]
}

// rightAnswers taps the right answer of each drawn question of a.
func rightAnswers(co *courses.Course, a *store.Attempt) []chromedp.Action[chromedp.Void] {
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
	// A value set by script fires no change event of its own.
	return append(answer, chromedp.Evaluate[chromedp.Void](`document.querySelectorAll('form.quiz select').forEach(s => s.dispatchEvent(new Event('change', {bubbles: true})))`))
}

// answeredCount is how many answers the quiz form on the page shows.
var answeredCount = `document.querySelectorAll('form.quiz input:checked').length + [...document.querySelectorAll('form.quiz select')].filter(s => s.value).length`

// leaderSees is the cell of the resident's course in her leader's
// members download.
func leaderSees(t *testing.T, leader *testrig.Client, team, name, course string) string {
	t.Helper()
	r := leader.Get("/teams/" + team + "/members.csv")
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(r.Body, "\ufeff"))).ReadAll()
	if err != nil || len(rows) < 2 {
		t.Fatalf("the leader's download (%d): %v\n%.300s", r.Status, err, r.Body)
	}
	col := slices.Index(rows[0], course)
	for _, row := range rows[1:] {
		if row[0] == name && col >= 0 {
			return row[col]
		}
	}
	t.Fatalf("no column %q or no row %q in the leader's download: %v", course, name, rows[0])
	return ""
}

// TestOfflineQuizBrowser: save a course, lose the connection, read a
// lesson, take the quiz (a reload keeps the answers) and submit it; put
// the phone away (the browser closes) and open it again, still offline:
// the answers are there, waiting; then the connection comes back, the
// answers go, the resident sees her result and her certificate, and her
// leader sees the pass.
func TestOfflineQuizBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	rig, leader, team := offlineTeam(t)
	base := rig.URL
	phone := browser(t)
	// A browser without Background Sync (as Firefox and Safari are): the
	// pages send the answers. TestOfflineQuizBackgroundSync has the worker.
	noBackgroundSync(t, phone, base)
	ctx, closePage := newTab(t, phone)
	const course = "tim-kiem-tin-gia" // no practical tasks: a pass issues the certificate at once
	co := rig.P.Courses.Get(course)
	var text string
	signUpInTeam(t, ctx, base, team, "Hoàng Thị Mai", "0912 555 666")

	// Opened under the service worker, the course page is kept too.
	var kept, savedPage string
	err := chromedp.Do(ctx,
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
	var lessonNote, lessonAt string
	answer := rightAnswers(co, a)
	steps := []chromedp.Action[chromedp.Void]{
		into(chromedp.Evaluate[bool](`navigator.onLine`), &onLine),
		chromedp.Navigate(base + "/courses/" + course + "/lessons/" + co.Lessons[1].ID),
		chromedp.WaitVisible(chromedp.CSS(`article.lesson h1`)),
		shot("offline-1-lesson"),
		// "Đã hiểu": the phone notes it and the next lesson opens.
		chromedp.Click(chromedp.CSS(`form.lesson-done button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#quiz-sync.pending`)),
		screenShot("offline-1b-lesson-kept"),
		into(chromedp.Text(chromedp.CSS(`#quiz-sync`)), &lessonNote),
		into(chromedp.Location(), &lessonAt),
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
	if !strings.HasSuffix(lessonAt, "/lessons/"+co.Lessons[2].ID) || !strings.Contains(lessonNote, "học xong bài vừa rồi") {
		t.Fatalf("after Đã hiểu offline: at %q, the page says %q", lessonAt, lessonNote)
	}
	var loc string
	var checked int
	var inView bool
	all := append(answer,
		// A reload, offline, keeps what was answered.
		chromedp.Reload(),
		chromedp.WaitVisible(chromedp.CSS(`form.quiz`)),
		into(chromedp.Evaluate[int](answeredCount), &checked),
		chromedp.Click(chromedp.CSS(`form.quiz > button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#offline-note.pending`)),
		chromedp.Sleep(500*time.Millisecond), // the note scrolls into view
		screenShot("offline-3-submitted"),
		into(chromedp.Evaluate[bool](`(() => { const r = document.getElementById('offline-note').getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight; })()`), &inView),
		into(chromedp.Text(chromedp.CSS(`#offline-note`)), &text),
		into(chromedp.Location(), &loc),
	)
	if err := chromedp.Do(ctx, all...); err != nil {
		t.Fatalf("offline, answer and submit: %v", err)
	}
	if checked != len(answer)-1 {
		t.Errorf("after a reload %d answers remain of %d", checked, len(answer)-1)
	}
	if !inView {
		t.Error("after Nộp bài at the foot of the quiz, the note is out of sight")
	}
	pending := "Bạn đang không có mạng. Bài làm đã được lưu trên điện thoại và sẽ tự gửi khi có mạng trở lại. Đừng xóa dữ liệu trình duyệt."
	if text != pending {
		t.Fatalf("after Nộp bài offline the page says %q", text)
	}
	if !strings.HasSuffix(loc, kept) {
		t.Fatalf("offline the quiz link led to %q, not the kept attempt %q", loc, kept)
	}

	// The page is closed, and opened again later in a new tab, still
	// without a connection: the quiz link leads to the answers, which
	// wait.
	// (The new tab first opens a file of the site, which runs no script:
	// emulation set on a blank tab does not follow it to another site.)
	again, _ := newTab(t, phone)
	if err := chromedp.Do(again, chromedp.Navigate(base+"/manifest.webmanifest"), offline(true)); err != nil {
		t.Fatal(err)
	}
	// Closed as a person closes it: still offline to the end. (Cancelling
	// its context would first detach DevTools, and the page, online again
	// for a moment, would send.)
	if _, err := chromedp.CallBrowser(phone, target.CloseTarget, target.CloseTargetParams{TargetID: chromedp.FromContext(ctx).Target.TargetID}); err != nil {
		t.Fatalf("close the page: %v", err)
	}
	closePage()
	if a := attemptOf(t, rig, kept); a.Submitted {
		t.Fatal("graded while offline")
	}
	ctx = again
	checked = 0
	err = chromedp.Do(ctx,
		chromedp.Navigate(base+"/courses/"+course),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/courses/`+course+`/quiz"]`)),
		chromedp.Click(chromedp.CSS(`a[href="/courses/`+course+`/quiz"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#offline-note.pending`)),
		shot("offline-4-reopened"),
		into(chromedp.Text(chromedp.CSS(`#offline-note`)), &text),
		into(chromedp.Evaluate[int](answeredCount), &checked),
		into(chromedp.Location(), &loc),
	)
	if err != nil {
		t.Fatalf("reopen offline: %v", err)
	}
	if text != pending || checked != len(answer)-1 || !strings.HasSuffix(loc, kept) {
		t.Fatalf("reopened at %q, the page says %q with %d answers of %d", loc, text, checked, len(answer)-1)
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
	prog, err := rig.P.Store.ProgressOf(context.Background(), userID(t, rig, "0912555666"))
	if err != nil || prog[course] == nil || !slices.Contains(prog[course].Lessons, co.Lessons[1].ID) {
		t.Fatalf("the lesson marked read offline was not recorded: %+v, %v", prog[course], err)
	}
	if got := leaderSees(t, leader, team, "Hoàng Thị Mai", co.Title.In("vi")); !strings.HasPrefix(got, "Đạt (") {
		t.Fatalf("the leader's download shows %q for the course passed offline", got)
	}
}

// answersWaiting is whether the phone holds answers submitted and not
// yet sent.
var answersWaiting = `Object.keys(localStorage).some(k => k.indexOf('kns-quiz:') === 0 && JSON.parse(localStorage.getItem(k)).pending)`

// outboxCount is how many answers the service worker holds to send.
var outboxCount = `new Promise(ok => {
	const o = indexedDB.open('kns', 1);
	o.onupgradeneeded = () => o.result.createObjectStore('quiz-outbox', {keyPath: 'id'});
	o.onsuccess = () => { const r = o.result.transaction('quiz-outbox').objectStore('quiz-outbox').count(); r.onsuccess = () => { o.result.close(); ok(r.result); }; };
	o.onerror = () => ok(-1);
})`

// TestOfflineQuizBackgroundSync: answers submitted offline are sent by the
// service worker when the browser fires Background Sync, with no page of
// the platform open; the page that opens next finds them graded.
func TestOfflineQuizBackgroundSync(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	rig, leader, team := offlineTeam(t)
	base := rig.URL
	ctx := browser(t)
	const course = "tim-kiem-tin-gia"
	co := rig.P.Courses.Get(course)
	signUpInTeam(t, ctx, base, team, "Vũ Văn Lâm", "0912 444 333")

	path := openQuiz(t, ctx, base, course)
	a := attemptOf(t, rig, path)
	var held int
	var text string
	if err := chromedp.Do(ctx, offline(true)); err != nil {
		t.Fatal(err)
	}
	steps := append(rightAnswers(co, a),
		chromedp.Click(chromedp.CSS(`form.quiz > button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#offline-note.pending`)),
	)
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("submit offline: %v", err)
	}
	// The page hands the worker its copy as it says the answers wait, and
	// registers a sync. The browser fires it by its own view of the
	// network, which DevTools' emulation of the tab does not change: here
	// the worker sends while the page is still offline, and cannot send.
	var got *store.Attempt
	for range 100 {
		if got = attemptOf(t, rig, path); got.Submitted {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	var pendingOnPage bool
	if err := chromedp.Do(ctx,
		into(chromedp.Evaluate[int](outboxCount, chromedp.EvalAwaitPromise), &held),
		into(chromedp.Evaluate[bool](answersWaiting), &pendingOnPage),
	); err != nil {
		t.Fatal(err)
	}
	if !pendingOnPage {
		t.Fatal("the offline page no longer holds its answers: it sent them itself")
	}
	if held != 0 {
		t.Fatalf("the worker still holds %d answers after they were graded", held)
	}
	if !got.Submitted || !got.Passed {
		t.Fatalf("with only the worker able to send, the attempt is submitted %v, passed %v", got.Submitted, got.Passed)
	}
	if n := validCerts(t, rig, "0912444333", course); n != 1 {
		t.Fatalf("%d certificates", n)
	}
	// Online again, the next page sends the phone's own copy once more,
	// gets the same result, and says so.
	err := chromedp.Do(ctx,
		chromedp.Navigate("about:blank"),
		offline(false),
		chromedp.Navigate(base+"/courses/"+course),
		into(chromedp.Evaluate[int](outboxCount, chromedp.EvalAwaitPromise), &held),
		chromedp.WaitVisible(chromedp.CSS(`#quiz-sync`)),
		shot("offline-7-synced"),
		into(chromedp.Text(chromedp.CSS(`#quiz-sync`)), &text),
	)
	if err != nil {
		t.Fatalf("the next page: %v", err)
	}
	if held != 0 || !strings.Contains(text, "đã được gửi và chấm điểm") {
		t.Fatalf("the worker still holds %d; the page says %q", held, text)
	}
	if again := attemptOf(t, rig, path); !again.At.Equal(got.At) || again.Result.Points != got.Result.Points || validCerts(t, rig, "0912444333", course) != 1 {
		t.Fatalf("sent twice, graded twice")
	}
	if got := leaderSees(t, leader, team, "Vũ Văn Lâm", co.Title.In("vi")); !strings.HasPrefix(got, "Đạt (") {
		t.Fatalf("the leader's download shows %q", got)
	}
}

// TestOfflineQuizWaitsForItsOwner: on a shared phone, answers given
// offline are sent only under the account that gave them. Her session
// ends before the phone is back online; the signed-out pages say that
// answers wait, another resident's account sends nothing, and the answers
// go when she signs in again, with the form token of her new session.
func TestOfflineQuizWaitsForItsOwner(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	rig, _, team := offlineTeam(t)
	base := rig.URL
	ctx := browser(t)
	// The pages, not a worker, send here.
	noBackgroundSync(t, ctx, base)
	const course = "tim-kiem-tin-gia"
	co := rig.P.Courses.Get(course)
	signUpInTeam(t, ctx, base, team, "Lê Thị Thu", "0912 333 222")
	var text string
	path := openQuiz(t, ctx, base, course)
	steps := append([]chromedp.Action[chromedp.Void]{offline(true)}, rightAnswers(co, attemptOf(t, rig, path))...)
	steps = append(steps,
		chromedp.Click(chromedp.CSS(`form.quiz > button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#offline-note.pending`)),
		chromedp.Navigate("about:blank"),
		// Her session ends meanwhile (it expired, or she changed her
		// password on another phone).
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, network.ClearBrowserCookies, cdp.Empty{})
			return err
		}),
		offline(false),
		chromedp.Navigate(base+"/?lang=vi"),
		chromedp.WaitVisible(chromedp.CSS(`#quiz-waiting`)),
		shot("offline-8-waiting"),
		into(chromedp.Text(chromedp.CSS(`#quiz-waiting`)), &text),
	)
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("submit offline, then signed out: %v", err)
	}
	if !strings.Contains(text, "đang chờ gửi") {
		t.Fatalf("signed out, the page says %q", text)
	}
	// Someone else uses the phone: nothing of hers is sent or graded
	// under his account, and her answers stay on the phone.
	other := "0912 111 000"
	if err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/register?lang=vi"),
		chromedp.SendKeys(chromedp.CSS("#name"), "Lê Văn Nam"),
		chromedp.SendKeys(chromedp.CSS("#phone"), other),
		chromedp.SetValue(chromedp.CSS("#province"), "1"),
		chromedp.SendKeys(chromedp.CSS("#commune"), "ba dinh"),
		chromedp.SendKeys(chromedp.CSS("#password"), "mat-khau-456"),
		chromedp.Click(chromedp.CSS(`input[name=consent]`)),
		chromedp.Click(chromedp.CSS(`form.form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/logout"]`)),
		chromedp.Navigate(base+"/courses/"+course),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/logout"]`)),
	); err != nil {
		t.Fatalf("another resident: %v", err)
	}
	time.Sleep(2 * time.Second)
	var still bool
	if err := chromedp.Do(ctx, into(chromedp.Evaluate[bool](answersWaiting), &still)); err != nil {
		t.Fatal(err)
	}
	if attemptOf(t, rig, path).Submitted || !still {
		t.Fatalf("under another resident's account: her attempt graded %v, her answers kept %v", attemptOf(t, rig, path).Submitted, still)
	}
	// He signs out; she signs in, and her answers go.
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`form[action="/logout"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/login"]`)),
		chromedp.Navigate(base+"/login?lang=vi"),
		chromedp.SendKeys(chromedp.CSS("#phone"), "0912333222"),
		chromedp.SendKeys(chromedp.CSS("#password"), "mat-khau-123"),
		chromedp.Click(chromedp.CSS(`form.form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#quiz-sync:not([hidden])`)),
		shot("offline-9-sent-after-sign-in"),
		into(chromedp.Text(chromedp.CSS(`#quiz-sync`)), &text),
	); err != nil {
		t.Fatalf("she signs in: %v", err)
	}
	a := attemptOf(t, rig, path)
	if !a.Submitted || !a.Passed || !strings.Contains(text, "đã được gửi và chấm điểm") {
		t.Fatalf("after she signed in: submitted %v, passed %v, the page says %q", a.Submitted, a.Passed, text)
	}
	if n := validCerts(t, rig, "0912333222", course); n != 1 {
		t.Fatalf("%d certificates", n)
	}
}

// TestOfflineQuizConnectionDropsAtSubmit: the connection dies as she taps
// "Nộp bài", with the phone still showing a signal. The answers are kept
// and she is told so; she closes the browser; the next page opened once
// the connection is back sends them.
func TestOfflineQuizConnectionDropsAtSubmit(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	rig, _, team := offlineTeam(t)
	base := rig.URL
	profile := t.TempDir()
	ctx := browserWith(t, profile)
	noBackgroundSync(t, ctx, base)
	const course = "tim-kiem-tin-gia"
	co := rig.P.Courses.Get(course)
	signUpInTeam(t, ctx, base, team, "Trần Thị Nga", "0912 666 777")
	var loc, text string
	// The last lesson, "Đã hiểu" as the connection dies: the course page
	// (kept when she opened it) opens with the note that it waits.
	last := co.Lessons[len(co.Lessons)-1].ID
	if err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/courses/"+course),
		chromedp.Navigate(base+"/courses/"+course+"/lessons/"+last),
		chromedp.WaitVisible(chromedp.CSS(`form.lesson-done`)),
		dropped(),
		chromedp.Click(chromedp.CSS(`form.lesson-done button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#quiz-sync.pending`)),
		into(chromedp.Text(chromedp.CSS(`#quiz-sync`)), &text),
		into(chromedp.Location(), &loc),
		offline(false),
	); err != nil {
		t.Fatalf("a lesson as the connection drops: %v", err)
	}
	if !strings.HasSuffix(loc, "/courses/"+course+"#quiz") || !strings.Contains(text, "học xong bài vừa rồi") {
		t.Fatalf("after Đã hiểu with a dead connection: at %q, the page says %q", loc, text)
	}
	path := openQuiz(t, ctx, base, course)
	var waiting bool
	steps := append(rightAnswers(co, attemptOf(t, rig, path)),
		dropped(),
		chromedp.Click(chromedp.CSS(`form.quiz > button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#offline-note.pending`)),
		into(chromedp.Text(chromedp.CSS(`#offline-note`)), &text),
		into(chromedp.Evaluate[bool](answersWaiting), &waiting),
		into(chromedp.Location(), &loc),
	)
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("submit as the connection drops: %v", err)
	}
	if !waiting || !strings.Contains(text, "Bài làm đã được lưu trên điện thoại") || !strings.HasSuffix(loc, path) {
		t.Fatalf("at %q the page says %q, answers kept %v", loc, text, waiting)
	}
	if attemptOf(t, rig, path).Submitted {
		t.Fatal("graded with no connection")
	}
	// She closes the browser. Opened again, the phone still holds the
	// answers (read on a page of the site that runs no script), and the
	// next page opened, with the connection back, sends them.
	cctx, cancel := context.WithTimeout(ctx, time.Minute)
	err := chromedp.Cancel(cctx)
	cancel()
	if err != nil {
		t.Fatalf("close the browser: %v", err)
	}
	ctx = browserWith(t, profile)
	waiting = false
	if err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/manifest.webmanifest"),
		into(chromedp.Evaluate[bool](answersWaiting), &waiting),
	); err != nil || !waiting {
		t.Fatalf("after the browser closed, answers kept %v (%v)", waiting, err)
	}
	if attemptOf(t, rig, path).Submitted {
		t.Fatal("graded with no connection")
	}
	if err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/courses/"+course),
		chromedp.WaitVisible(chromedp.CSS(`#quiz-sync:not([hidden])`)),
		into(chromedp.Text(chromedp.CSS(`#quiz-sync`)), &text),
	); err != nil {
		t.Fatalf("the next page: %v", err)
	}
	if a := attemptOf(t, rig, path); !a.Submitted || !a.Passed || !strings.Contains(text, "đã được gửi và chấm điểm") {
		t.Fatalf("back online: submitted %v passed %v, the page says %q", a.Submitted, a.Passed, text)
	}
	prog, err := rig.P.Store.ProgressOf(context.Background(), userID(t, rig, "0912666777"))
	if err != nil || prog[course] == nil || !slices.Contains(prog[course].Lessons, last) {
		t.Fatalf("the lesson marked read as the connection died was not recorded: %+v, %v", prog[course], err)
	}
}
