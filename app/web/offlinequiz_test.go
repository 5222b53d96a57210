package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"kynangso/app/config"
	"kynangso/app/store"
	"kynangso/app/testrig"
)

func attemptOf(t *testing.T, rig *testrig.Rig, path string) *store.Attempt {
	t.Helper()
	a, err := rig.P.Store.AttemptByAnyUser(context.Background(), path[strings.LastIndex(path, "/")+1:])
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func withKey(form url.Values, path string) url.Values {
	f := url.Values{}
	for k, v := range form {
		f[k] = v
	}
	f.Set("idempotency_key", path[strings.LastIndex(path, "/")+1:])
	return f
}

// Answers kept on a phone may be sent many times: by the page, by the
// online event, by the next page opened, from two tabs. The attempt is
// graded exactly once, by the first send to arrive, and no resend, with
// whatever answers, changes its result.
func TestOfflineQuizGradedOnce(t *testing.T) {
	rig := testrig.Start(t)
	const course = "tim-kiem-tin-gia"

	// Sent at once, twelve times, half with the right answers and half
	// with wrong ones: one grading, and every send ends on its result.
	c := rig.Register(t, "Đỗ Thị Hạnh", "0912000111", nil)
	path, right := rig.QuizAnswers(t, c, course, true)
	wrong := rig.AnswersFor(t, course, path, false)
	page := c.Get(path)
	if page.Status != http.StatusOK || strings.Contains(page.Body, "is-correct") || strings.Contains(page.Body, `class="explain"`) {
		t.Fatalf("the quiz page, before grading, shows what is right (status %d)", page.Status)
	}
	csrf := c.CSRF()
	statuses := parallel(12, func(i int) int {
		f := withKey(right, path)
		if i%2 == 1 {
			f = withKey(wrong, path)
		}
		f.Set("_csrf", csrf)
		return c.PostRaw(path, f).Status
	})
	for _, st := range statuses {
		if st != http.StatusSeeOther {
			t.Fatalf("concurrent sends: statuses %v", statuses)
		}
	}
	first := attemptOf(t, rig, path)
	if !first.Submitted || first.Result == nil {
		t.Fatal("not graded")
	}
	// Replays afterwards, with the other answers, and after grading.
	other := wrong
	if !first.Passed {
		other = right
	}
	for range 5 {
		if r := c.Post(path, withKey(other, path)); r.Status != http.StatusSeeOther || r.Location != path {
			t.Fatalf("replay: status %d to %q", r.Status, r.Location)
		}
	}
	again := attemptOf(t, rig, path)
	if !again.At.Equal(first.At) || again.Passed != first.Passed || again.Result.Points != first.Result.Points {
		t.Fatalf("a replay changed the grading: %+v then %+v", first.Result, again.Result)
	}
	want := 0
	if first.Passed {
		want = 1
	}
	if n := validCerts(t, rig, "0912000111", course); n != want {
		t.Fatalf("%d certificates after a grading that passed=%v", n, first.Passed)
	}

	// Sent wrong first, then replayed with the right answers: still the
	// first, failed, result; no certificate.
	d := rig.Register(t, "Trần Văn Lộc", "0912000222", nil)
	path, right = rig.QuizAnswers(t, d, course, true)
	wrong = rig.AnswersFor(t, course, path, false)
	if r := d.Post(path, withKey(wrong, path)); r.Status != http.StatusSeeOther {
		t.Fatalf("first send: status %d", r.Status)
	}
	for range 3 {
		if r := d.Post(path, withKey(right, path)); r.Status != http.StatusSeeOther || r.Location != path {
			t.Fatalf("replay with the right answers: status %d to %q", r.Status, r.Location)
		}
	}
	if a := attemptOf(t, rig, path); a.Passed {
		t.Fatal("a replay with other answers turned a fail into a pass")
	}
	if n := validCerts(t, rig, "0912000222", course); n != 0 {
		t.Fatalf("%d certificates after a failed attempt replayed", n)
	}
	if res := testrig.Text(d.Get(path).Body); !strings.Contains(res, "Chưa đạt") {
		t.Fatalf("result page reads: %.300s", res)
	}
}

// An attempt is accepted for 14 days after it was drawn; after that it
// is refused with a clear message (410) and a new attempt is offered.
func TestOfflineQuizExpires(t *testing.T) {
	var ahead atomic.Int64
	rig := testrig.StartWith(t, func(c *config.Config) {
		c.Now = func() time.Time { return time.Now().Add(time.Duration(ahead.Load())) }
	})
	const course = "tim-kiem-tin-gia"
	c := rig.Register(t, "Phạm Thị Lan", "0912000333", nil)
	path, right := rig.QuizAnswers(t, c, course, true)
	if p := testrig.Text(c.Get(path).Body); !strings.Contains(p, "14 ngày sau khi bắt đầu") {
		t.Fatalf("the quiz page does not state how long it accepts answers: %.400s", p)
	}

	// Thirteen days later, still accepted: a second attempt, graded.
	ahead.Store(int64(13*24*time.Hour + 23*time.Hour))
	if r := c.Get(path); r.Status != http.StatusOK {
		t.Fatalf("day 13: quiz page status %d", r.Status)
	}
	if r := c.Get("/courses/" + course + "/quiz"); r.Location != path {
		t.Fatalf("day 13: the open attempt is not continued: %q", r.Location)
	}

	// Past 14 days: refused, in Vietnamese and in English.
	ahead.Store(int64(14*24*time.Hour + time.Hour))
	r := c.Post(path, withKey(right, path))
	if r.Status != http.StatusGone {
		t.Fatalf("day 14: status %d, want 410", r.Status)
	}
	vi := testrig.Text(r.Body)
	for _, want := range []string{"Bài làm đã quá hạn", "chỉ nhận câu trả lời trong 14 ngày", "Làm bài mới"} {
		if !strings.Contains(vi, want) {
			t.Errorf("expired page lacks %q: %.500s", want, vi)
		}
	}
	c.Lang = "en"
	en := testrig.Text(c.Post(path, withKey(right, path)).Body)
	c.Lang = ""
	for _, want := range []string{"This quiz has expired", "accepts answers for 14 days", "Take a new quiz"} {
		if !strings.Contains(en, want) {
			t.Errorf("English expired page lacks %q: %.500s", want, en)
		}
	}
	if a := attemptOf(t, rig, path); a.Submitted {
		t.Fatal("an expired attempt was graded")
	}
	if n := validCerts(t, rig, "0912000333", course); n != 0 {
		t.Fatalf("%d certificates from an expired attempt", n)
	}
	if g := c.Get(path); g.Status != http.StatusGone || !strings.Contains(g.Body, `href="/courses/`+course+`/quiz"`) {
		t.Fatalf("expired quiz page: status %d", g.Status)
	}
	// The quiz link draws a new attempt, which is accepted.
	next := c.Get("/courses/" + course + "/quiz").Location
	if next == "" || next == path {
		t.Fatalf("no new attempt offered: %q", next)
	}
	if r := c.Post(next, withKey(rig.AnswersFor(t, course, next, true), next)); r.Status != http.StatusSeeOther {
		t.Fatalf("new attempt: status %d", r.Status)
	}
	if n := validCerts(t, rig, "0912000333", course); n != 1 {
		t.Fatalf("%d certificates after the new attempt passed", n)
	}

	// A graded attempt keeps its result past the window: a replay
	// later still gets it.
	ahead.Store(int64(40 * 24 * time.Hour))
	c2 := rig.Register(t, "Vũ Văn Nam", "0912000444", nil)
	p2, r2 := rig.QuizAnswers(t, c2, course, true)
	if r := c2.Post(p2, withKey(r2, p2)); r.Status != http.StatusSeeOther {
		t.Fatalf("status %d", r.Status)
	}
	ahead.Store(int64(56 * 24 * time.Hour))
	if r := c2.Post(p2, withKey(r2, p2)); r.Status != http.StatusSeeOther || r.Location != p2 {
		t.Fatalf("replay of a graded attempt after the window: status %d to %q", r.Status, r.Location)
	}
}
