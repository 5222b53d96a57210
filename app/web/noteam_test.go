package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"kynangso/app/store"
	"kynangso/app/testrig"
)

// A resident in no team can never have her practical tasks confirmed:
// the course page and the result of a pass say so, and how to join a
// team; once she has joined and her leader has confirmed them, the
// certificate of the pass she kept is issued.
func TestPracticeTeamlessResidentIsToldHowToJoin(t *testing.T) {
	p := startPractice(t)
	const course = "dich-vu-cong"
	tasks := p.tasks(t, course)
	ctx := context.Background()
	hoa := p.rig.Register(t, "Đinh Thị Hoa", "0915000555", nil)
	u, err := p.rig.P.Store.UserByPhone(ctx, "0915000555")
	if err != nil || u.TeamID != "" {
		t.Fatalf("a resident in no team: %+v, %v", u, err)
	}
	const title = "Bạn chưa ở trong tổ công nghệ số cộng đồng nào"
	joinBox := `<form method="get" action="/join"`

	cp := p.rig.Client(t).Get("/courses/" + course)
	if strings.Contains(cp.Body, title) {
		t.Error("the course page tells a visitor who is not signed in that she is in no team")
	}
	if strings.Contains(p.member.Get("/courses/"+course).Body, title) {
		t.Error("the course page tells a team member she is in no team")
	}
	cp = hoa.Get("/courses/" + course)
	mustContain(t, "the course page", cp.Body, title,
		"do tổ trưởng tổ công nghệ số cộng đồng của bạn xác nhận",
		"chứng nhận của khóa này chưa thể cấp",
		"quét mã QR trên giấy mời của tổ", "gõ mã tổ in dưới mã QR", "Mã tổ", "Tìm tổ")
	if !strings.Contains(cp.Body, joinBox) {
		t.Error("the course page has no box to type a team code in")
	}
	if strings.Contains(hoa.Get("/courses/tim-kiem-tin-gia").Body, title) {
		t.Error("a course without practical tasks tells her she is in no team")
	}
	en := hoa.Get("/courses/" + course + "?lang=en").Body
	mustContain(t, "the course page in English", en, "You are not in a community digital technology team",
		"confirmed by the leader (tổ trưởng) of your community digital technology team (tổ công nghệ số cộng đồng)",
		"type the team code printed under the QR code", "Find the team")
	hoa.Get("/courses/" + course + "?lang=vi")

	// Her account page lets her type the code too.
	acc := hoa.Get("/account")
	mustContain(t, "account page", acc.Body, "Chưa tham gia tổ nào", "gõ mã tổ in dưới mã QR")
	if !strings.Contains(acc.Body, joinBox) {
		t.Error("the account page of a resident in no team has no box to type a team code in")
	}

	// She passes: no certificate, and she is told why and how to join.
	path, form := p.rig.QuizAnswers(t, hoa, course, true)
	mustStatus(t, "submit", hoa.Post(path, form), http.StatusSeeOther)
	res := hoa.Get(path)
	mustContain(t, "the result page", res.Body, "Kết quả đạt của bạn đã được giữ lại",
		"mà bạn chưa tham gia tổ nào", "không cần làm lại bài kiểm tra", "gõ mã tổ in dưới mã QR")
	if strings.Contains(res.Body, `href="/certificates/`) {
		t.Fatal("a certificate link for a pass with no practical task confirmed")
	}
	if !strings.Contains(res.Body, joinBox) {
		t.Error("the result page has no box to type a team code in")
	}
	if strings.Contains(testrig.Text(res.Body), "Chứng nhận sẽ được cấp khi tổ trưởng xác nhận xong") {
		t.Error("the result page promises a resident in no team that her leader will confirm")
	}
	mustContain(t, "the result page in English", hoa.Get(path+"?lang=en").Body, "Your pass is kept", "you are not in a team", "Find the team")
	hoa.Get(path + "?lang=vi")
	if n := len(certsOf(t, p, u.ID, course)); n != 0 {
		t.Fatalf("%d certificates for a resident in no team", n)
	}
	// No leader can confirm her tasks.
	mustStatus(t, "a leader, for a resident in no team", p.leader.Post("/teams/"+p.team+"/members/"+u.ID+"/practice", p.form(course, tasks[0], "confirm")), http.StatusNotFound)

	// A code typed wrong says so and offers the box again.
	bad := hoa.Get("/join?team=7KQ")
	mustStatus(t, "a code too short", bad, http.StatusNotFound)
	mustContain(t, "a code too short", bad.Body, "Mã tổ không đúng", "Mã tổ")
	// The code as typed from the poster, loosely: the team's join page.
	typed := strings.ToLower(p.team[:3]) + " " + strings.ToLower(p.team[3:])
	r := hoa.Get("/join?team=" + strings.ReplaceAll(typed, " ", "+"))
	mustStatus(t, "the typed code", r, http.StatusSeeOther)
	if r.Location != "/join/"+p.team {
		t.Fatalf("the typed code leads to %q, want /join/%s", r.Location, p.team)
	}
	mustContain(t, "join page", hoa.Get(r.Location).Body, "Tổ CNSCĐ bản Mòng", "Tham gia tổ này")
	mustStatus(t, "join", hoa.Post("/join/"+p.team, nil), http.StatusSeeOther)
	if u, _ = p.rig.P.Store.UserByID(ctx, u.ID); u.TeamID != p.team {
		t.Fatalf("after joining her team is %q", u.TeamID)
	}
	if body := hoa.Get("/courses/" + course).Body; strings.Contains(body, title) || strings.Contains(body, joinBox) {
		t.Error("the course page still tells her she is in no team")
	}
	if strings.Contains(hoa.Get("/account").Body, joinBox) {
		t.Error("the account page still offers to join a team")
	}

	// Her leader confirms what she saw: the pass she kept is certified.
	page := "/teams/" + p.team + "/members/" + u.ID + "/practice"
	for _, tk := range tasks {
		mustStatus(t, "confirm "+tk, p.leader.Post(page, p.form(course, tk, "confirm")), http.StatusSeeOther)
	}
	if n := len(certsOf(t, p, u.ID, course)); n != 1 {
		t.Fatalf("%d certificates after joining and every task confirmed, want 1", n)
	}
	mustContain(t, "the course page", hoa.Get("/courses/"+course).Body, "Bạn đã có chứng nhận của khóa học này.")
	if strings.Contains(hoa.Get(path).Body, title) || !strings.Contains(hoa.Get(path).Body, `href="/certificates/`) {
		t.Error("the result page does not link the certificate now issued")
	}
}

func certsOf(t *testing.T, p *practiceRig, userID, course string) []string {
	t.Helper()
	all, err := p.rig.P.Store.CertificatesOf(context.Background(), userID)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, c := range all {
		if c.Course == course && c.Status == store.CertValid {
			out = append(out, c.Code)
		}
	}
	return out
}
