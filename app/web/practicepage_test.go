package web_test

import (
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"kynangso/app/testrig"
)

// The leader's practice page, short on a phone: courses with something
// to confirm first and open; the rest (issued, all confirmed, not begun)
// folded, each saying in one line where it stands.
func TestPracticePageOrdersAndFolds(t *testing.T) {
	p := startPractice(t)
	// vneid: passed, a task left: waits only on the leader.
	p.pass(t, "vneid")
	// phong-chong-lua-dao: a lesson read, nothing confirmed.
	lesson := p.rig.P.Courses.Get("phong-chong-lua-dao").Lessons[0].ID
	mustStatus(t, "lesson", p.member.Post("/courses/phong-chong-lua-dao/lessons/"+lesson, nil), http.StatusSeeOther)
	// thanh-toan-khong-tien-mat: every task confirmed, the quiz not passed.
	for _, tk := range p.tasks(t, "thanh-toan-khong-tien-mat") {
		mustStatus(t, "confirm", p.tap(p.leader, "thanh-toan-khong-tien-mat", tk, "confirm"), http.StatusSeeOther)
	}
	// dich-vu-cong: issued.
	p.pass(t, "dich-vu-cong")
	for _, tk := range p.tasks(t, "dich-vu-cong") {
		mustStatus(t, "confirm", p.tap(p.leader, "dich-vu-cong", tk, "confirm"), http.StatusSeeOther)
	}
	if len(p.certs(t, "dich-vu-cong")) != 1 {
		t.Fatal("dich-vu-cong is not issued")
	}
	// nen-tang-so-dia-phuong: not begun.

	page := p.leader.Get(p.page())
	mustStatus(t, "practice page", page, http.StatusOK)
	sections := regexp.MustCompile(`<details class="card practice" id="course-([a-z-]+)"( open)?>`).FindAllStringSubmatch(page.Body, -1)
	var order, open []string
	for _, m := range sections {
		order = append(order, m[1])
		if m[2] != "" {
			open = append(open, m[1])
		}
	}
	if want := []string{"vneid", "phong-chong-lua-dao", "thanh-toan-khong-tien-mat", "dich-vu-cong", "nen-tang-so-dia-phuong"}; !slices.Equal(order, want) {
		t.Errorf("courses in the order %v, want %v", order, want)
	}
	if want := []string{"vneid", "phong-chong-lua-dao"}; !slices.Equal(open, want) {
		t.Errorf("open: %v, want %v", open, want)
	}
	summary := func(course string) string {
		t.Helper()
		i := strings.Index(page.Body, `id="course-`+course+`"`)
		j := strings.Index(page.Body[i:], "</summary>")
		if i < 0 || j < 0 {
			t.Fatalf("no summary for %s", course)
		}
		return testrig.Text(page.Body[i : i+j])
	}
	for course, want := range map[string][]string{
		"vneid":                     {"✓ Đã đạt bài kiểm tra", "Đã xác nhận: 0 trên 2", "Chỉ còn chờ xác nhận"},
		"phong-chong-lua-dao":       {"Chưa đạt bài kiểm tra", "Đã xác nhận: 0 trên 2"},
		"thanh-toan-khong-tien-mat": {"Chưa đạt bài kiểm tra", "Đã xác nhận: 2 trên 2"},
		"dich-vu-cong":              {"✓ Chứng nhận đã được cấp"},
		"nen-tang-so-dia-phuong":    {"Chưa đạt bài kiểm tra (chưa bắt đầu học)"},
	} {
		s := summary(course)
		for _, w := range want {
			if !strings.Contains(s, w) {
				t.Errorf("%s reads %q, want %q in it", course, s, w)
			}
		}
		if course != "vneid" && strings.Contains(s, "Chỉ còn chờ xác nhận") {
			t.Errorf("%s reads %q", course, s)
		}
	}
	if strings.Contains(summary("phong-chong-lua-dao"), "chưa bắt đầu học") {
		t.Error("a course with a lesson read is said not begun")
	}
	// Still every button, folded or not.
	if n := strings.Count(page.Body, `name="do" value="confirm"`); n != 2+2+1 {
		t.Errorf("%d confirm buttons, want 5 (vneid, phong-chong-lua-dao, nen-tang-so-dia-phuong)", n)
	}
	// An admin, who only looks, reads which tasks are not confirmed yet.
	mustContain(t, "an admin's view", p.admin.Get(p.page()).Body, "Chưa xác nhận")
	mustContain(t, "in English", p.leader.Get(p.page()+"?lang=en").Body, "Certificate issued", "Only the confirmations are missing", "Confirmed: 2 of 2", "(course not started)")
}
