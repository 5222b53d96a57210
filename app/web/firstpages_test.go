package web_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"kynangso/app/testrig"
)

var metaDescription = regexp.MustCompile(`<meta name="description" content="([^"]{40,})">`)

// The pages a resident reads first (issue 9, point 6): the course page
// starts with what to do and keeps framework codes lower down, in a
// details section; the home page lists each course once; downloads are
// named for people; every page has a meta description. Before: the course
// page opened on "Thời gian", skills and DigComp codes, the home page
// listed each course twice, and downloads said "(JSON)" and "(SVG)".
func TestFirstPages(t *testing.T) {
	rig := testrig.Start(t)
	co := rig.P.Courses.Get("tim-kiem-tin-gia")
	anon := rig.Client(t)
	course := anon.Get("/courses/tim-kiem-tin-gia")
	mustStatus(t, "course page", course, http.StatusOK)
	main := course.Body[strings.Index(course.Body, "<main"):]
	start := strings.Index(main, "Bắt đầu bài 1")
	if start < 0 || start > strings.Index(main, "Các bài học") {
		t.Errorf("the course page does not start with “Bắt đầu bài 1”:\n%.500s", testrig.Text(main))
	}
	if !strings.Contains(main, `class="button start" href="/courses/tim-kiem-tin-gia/lessons/`+co.Lessons[0].ID+`"`) {
		t.Error("“Bắt đầu bài 1” does not lead to lesson 1")
	}
	details, dig := strings.Index(main, "<details"), strings.Index(main, "DigComp")
	if details < 0 || dig < details || details < strings.Index(main, `id="quiz"`) {
		t.Error("the framework codes are not in a details section below the lessons and the quiz")
	}

	me := rig.Register(t, "Người Học", "0911222333", nil)
	for _, l := range co.Lessons[:2] {
		mustStatus(t, "lesson read", me.Post("/courses/tim-kiem-tin-gia/lessons/"+l.ID, nil), http.StatusSeeOther)
	}
	mine := me.Get("/courses/tim-kiem-tin-gia")
	mustContain(t, "course page, two lessons read", mine.Body, "Học tiếp bài 3", "Đã học 2/5 bài")
	if !strings.Contains(mine.Body, `href="/courses/tim-kiem-tin-gia/lessons/`+co.Lessons[2].ID+`">Học tiếp bài 3`) {
		t.Error("“Học tiếp bài 3” does not lead to lesson 3")
	}

	home := anon.Get("/")
	homeMain := home.Body[strings.Index(home.Body, "<main"):strings.Index(home.Body, "</main>")]
	for _, c := range rig.P.Courses.Courses {
		if n := strings.Count(homeMain, `href="/courses/`+c.ID+`"`); n != 1 {
			t.Errorf("the home page links %s %d times, want once", c.ID, n)
		}
	}

	code := passCourse(t, rig, me, "tim-kiem-tin-gia")
	cert := me.Get("/certificates/" + code)
	mustContain(t, "downloads", cert.Body, "Tải chứng nhận điện tử (cho máy tính kiểm tra)", "Tải giấy chứng nhận để in", "Tải mã QR để in")
	for _, tech := range []string{"(JSON)", "(SVG)", "Tải bản PDF"} {
		if strings.Contains(testrig.Text(cert.Body), tech) {
			t.Errorf("a download is named %q", tech)
		}
	}
	mustContain(t, "account download", me.Get("/account").Body, "Tải về bản sao dữ liệu của tôi")

	// Every page has a description of its own kind.
	pages := map[string]*testrig.Resp{"course": course, "home": home, "certificate": cert, "account": me.Get("/account"),
		"lesson": anon.Get("/courses/tim-kiem-tin-gia/lessons/" + co.Lessons[0].ID), "register": anon.Get("/register"), "login": anon.Get("/login"),
		"verify": anon.Get("/v/" + code), "verify form": anon.Get("/v"), "not found": anon.Get("/khong-co"), "reset": anon.Get("/reset"),
		"join unknown": anon.Get("/join/ZZZZZZ"), "quiz": me.Follow("/courses/tim-kiem-tin-gia/quiz"), "certificates": me.Get("/certificates")}
	for name, r := range pages {
		if !metaDescription.MatchString(r.Body) {
			t.Errorf("%s: no meta description", name)
		}
	}
	if d := metaDescription.FindStringSubmatch(course.Body); d == nil || !strings.Contains(d[1], "từ khóa") {
		t.Errorf("the course page's description is not its summary: %v", d)
	}
}
