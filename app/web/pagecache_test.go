package web_test

import (
	"net/http"
	"strings"
	"testing"

	"kynangso/app/testrig"
)

// Pages kept for signed-out readers are the ones each would have got:
// in their language and text size, never another visitor's cookie, and
// never to someone signed in.
func TestKeptPublicPages(t *testing.T) {
	rig := testrig.Start(t)
	const lesson = "/courses/vneid/lessons/vneid-la-gi"
	first := rig.Client(t)
	a := first.Get(lesson)
	mustStatus(t, "first reader", a, http.StatusOK)
	second := rig.Client(t)
	b := second.Get(lesson)
	if a.Body != b.Body {
		t.Error("two signed-out readers got different pages")
	}
	if c := first.Cookie("csrf"); c != "" && second.Cookie("csrf") == c {
		t.Error("a kept page hands one visitor's cookie to another")
	}
	if b.Header.Get("Content-Security-Policy") == "" || b.Header.Get("Content-Language") != "vi" {
		t.Errorf("kept page headers: %v", b.Header)
	}

	en := rig.Client(t)
	en.Lang = "en"
	mustContain(t, "English reader", en.Get(lesson).Body, "What is VNeID?")
	mustContain(t, "Vietnamese reader after an English one", rig.Client(t).Get(lesson).Body, "VNeID là gì?")
	switched := rig.Client(t)
	switched.Get(lesson + "?lang=en")
	mustContain(t, "language chosen, then the kept page", switched.Get(lesson).Body, "What is VNeID?")

	learner := rig.Register(t, "Lý Thị Mơ", "0915000111", nil)
	page := learner.Get(lesson)
	mustContain(t, "signed in", page.Body, "Đăng xuất")
	if !strings.Contains(page.Body, `name="_csrf"`) {
		t.Error("the signed-in lesson page has no form token")
	}
	if strings.Contains(rig.Client(t).Get(lesson).Body, "Đăng xuất") {
		t.Fatal("a signed-in page was kept and shown to a signed-out reader")
	}
	mustStatus(t, "an unknown lesson", rig.Client(t).Get("/courses/vneid/lessons/khong-co"), http.StatusNotFound)
}
