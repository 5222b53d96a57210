package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"kynangso/app/testrig"
)

// Errors in view (issue 9, point 4): a form sent back with errors starts
// with a summary whose lines link to the fields, in the form's order, and
// each message also stands at its field; blank quiz questions are marked
// where they are. Before: a count at the top ("2 mục cần sửa") and, on
// the quiz, only the numbers of the blank questions.
func TestErrorsInView(t *testing.T) {
	rig := testrig.Start(t)
	c := rig.Client(t)
	c.Get("/register")
	r := c.Post("/register", url.Values{"name": {""}, "phone": {"12"}, "password": {"mat-khau-123"}, "province": {"1"}, "commune": {"Ba Đình"}, "consent": {"yes"}})
	mustStatus(t, "sign-up with errors", r, http.StatusUnprocessableEntity)
	summary := regexp.MustCompile(`(?s)<div class="error-summary" id="error-summary" role="alert" tabindex="-1">(.*?)</div>`).FindStringSubmatch(r.Body)
	if summary == nil {
		t.Fatalf("no error summary:\n%s", testrig.Text(r.Body))
	}
	iName, iPhone := strings.Index(summary[1], `href="#name"`), strings.Index(summary[1], `href="#phone"`)
	if iName < 0 || iPhone < 0 || iName > iPhone {
		t.Errorf("the summary does not link the name, then the phone: %s", summary[1])
	}
	mustContain(t, "the summary", summary[1], "Có 2 mục cần sửa")
	// Each message at its field: after the field, before the next label.
	for _, f := range []string{"name", "phone"} {
		at := strings.Index(r.Body, `id="`+f+`"`)
		msg := strings.Index(r.Body, `id="`+f+`-error"`)
		next := strings.Index(r.Body[at+1:], "<label") + at + 1
		if at < 0 || msg < at || msg > next {
			t.Errorf("the message of %s is not at its field", f)
		}
	}

	// The quiz sent with every question blank.
	rig.Register(t, "Người Học", "0911222333", nil)
	learner := rig.Client(t)
	learner.Post("/login", url.Values{"phone": {"0911222333"}, "password": {"mat-khau-123"}})
	path, _ := rig.QuizAnswers(t, learner, "tim-kiem-tin-gia", true)
	q := learner.Post(path, url.Values{"idempotency_key": {path[strings.LastIndex(path, "/")+1:]}})
	mustStatus(t, "blank quiz", q, http.StatusUnprocessableEntity)
	if !strings.Contains(q.Body, `<a href="#q1">Câu 1</a>`) {
		t.Errorf("the quiz summary does not link question 1:\n%.500s", testrig.Text(q.Body))
	}
	blank := regexp.MustCompile(`(?s)<fieldset class="question missing" id="q1"[^>]*>\s*<legend>.*?</legend>\s*<p class="error" id="q1-error">Bạn chưa trả lời câu này.</p>`)
	if !blank.MatchString(q.Body) {
		t.Errorf("question 1, blank, is not marked where it is")
	}
}
