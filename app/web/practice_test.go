package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"kynangso/app/store"
	"kynangso/app/testrig"
	"kynangso/app/testtools"
)

// Skills confirmed in person (issue 10, part 3).

// practiceRig is a team with its leader and one member.
type practiceRig struct {
	rig            *testrig.Rig
	admin, leader  *testrig.Client
	member         *testrig.Client
	team, memberID string
}

func startPractice(t *testing.T) *practiceRig {
	t.Helper()
	rig := testrig.Start(t)
	p := &practiceRig{rig: rig, admin: rig.Admin(t)}
	p.leader = rig.Register(t, "Lò Thị Xuân", "0915000111", nil)
	p.team = rig.Team(t, p.admin, "Tổ CNSCĐ bản Mòng", "0915000111")
	p.member = rig.Register(t, "Hà Văn Tám", "0915000222", url.Values{"team": {p.team}})
	u, err := rig.P.Store.UserByPhone(context.Background(), "0915000222")
	if err != nil || u.TeamID != p.team {
		t.Fatalf("member: %+v, %v", u, err)
	}
	p.memberID = u.ID
	return p
}

func (p *practiceRig) page() string {
	return "/teams/" + p.team + "/members/" + p.memberID + "/practice"
}

func (p *practiceRig) form(course, task, do string) url.Values {
	return url.Values{"course": {course}, "task": {task}, "do": {do}}
}

// tap confirms or withdraws a task as c and returns the answer.
func (p *practiceRig) tap(c *testrig.Client, course, task, do string) *testrig.Resp {
	return c.Post(p.page(), p.form(course, task, do))
}

func (p *practiceRig) certs(t *testing.T, course string) []store.Certificate {
	t.Helper()
	all, err := p.rig.P.Store.CertificatesOf(context.Background(), p.memberID)
	if err != nil {
		t.Fatal(err)
	}
	var out []store.Certificate
	for _, c := range all {
		if c.Course == course && c.Status == store.CertValid {
			out = append(out, c)
		}
	}
	return out
}

func (p *practiceRig) tasks(t *testing.T, course string) []string {
	t.Helper()
	co := p.rig.P.Courses.Get(course)
	if co == nil || len(co.Tasks) < 2 {
		t.Fatalf("course %s has no practical tasks to test with", course)
	}
	var ids []string
	for _, tk := range co.Tasks {
		ids = append(ids, tk.ID)
	}
	return ids
}

// pass answers the quiz right and returns the result page.
func (p *practiceRig) pass(t *testing.T, course string) *testrig.Resp {
	t.Helper()
	path, form := p.rig.QuizAnswers(t, p.member, course, true)
	mustStatus(t, "submit", p.member.Post(path, form), http.StatusSeeOther)
	return p.member.Get(path)
}

func TestPracticeConfirmedThenPassed(t *testing.T) {
	p := startPractice(t)
	const course = "dich-vu-cong"
	tasks := p.tasks(t, course)
	ctx := context.Background()

	page := p.leader.Get(p.page())
	mustStatus(t, "practice page", page, http.StatusOK)
	mustContain(t, "practice page", page.Body, "Việc thực hành của Hà Văn Tám", "Tự tra cứu một hồ sơ trên Cổng Dịch vụ công quốc gia", "Xác nhận đã xem làm", "Chưa đạt bài kiểm tra")
	tp := p.leader.Get("/teams/" + p.team).Body
	mustContain(t, "team page", tp, "Việc thực hành đã xác nhận: 0 trên")
	if !strings.Contains(tp, `href="`+p.page()+`"`) {
		t.Error("the team page does not link the member's practical tasks")
	}

	for _, tk := range tasks {
		r := p.tap(p.leader, course, tk, "confirm")
		mustStatus(t, "confirm "+tk, r, http.StatusSeeOther)
		if !strings.HasPrefix(r.Location, p.page()+"?saved=1") {
			t.Errorf("confirm leads to %q", r.Location)
		}
	}
	if n := len(p.certs(t, course)); n != 0 {
		t.Fatalf("%d certificates before the quiz is passed", n)
	}
	mine := p.member.Get("/courses/" + course)
	mustContain(t, "the member's course page", mine.Body, "Việc thực hành", "Đã được xác nhận ngày")
	if strings.Contains(mine.Body, "Chưa được xác nhận") {
		t.Error("the member's course page shows a confirmed task as not confirmed")
	}
	entries, err := p.rig.P.Store.AuditLog(ctx, store.Page{Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	confirms := 0
	for _, e := range entries {
		if e.Action == store.ActPracticeConfirm && e.Target == p.memberID {
			confirms++
		}
	}
	if confirms != len(tasks) {
		t.Errorf("%d confirmations audited, want %d", confirms, len(tasks))
	}

	res := p.pass(t, course)
	i := strings.Index(res.Body, `href="/certificates/`)
	if i < 0 {
		t.Fatalf("no certificate after passing with every task confirmed:\n%.800s", testrig.Text(res.Body))
	}
	code := res.Body[i+len(`href="/certificates/`):]
	code = code[:strings.IndexByte(code, '"')]
	if n := len(p.certs(t, course)); n != 1 {
		t.Fatalf("%d certificates, want 1", n)
	}

	cp := p.member.Get("/certificates/" + code)
	mustContain(t, "certificate page", cp.Body, "Thực hành đã được xác nhận", "Tổ trưởng Tổ CNSCĐ bản Mòng đã tận mắt xem", "Tự tra cứu một hồ sơ")
	v := p.rig.Client(t).Get("/v/" + code)
	mustContain(t, "verify page", v.Body, "Chứng nhận thật", "Thực hành đã được xác nhận", "Tổ CNSCĐ bản Mòng", "Tự tra cứu một hồ sơ")
	en := p.rig.Client(t)
	mustContain(t, "verify page in English", en.Get("/v/"+code+"?lang=en").Body, "Practice confirmed", "Look up an application")

	cred := p.member.Get("/certificates/" + code + "/credential.json")
	mustStatus(t, "credential", cred, http.StatusOK)
	var doc struct {
		Evidence []struct {
			Type        []string `json:"type"`
			Name        string   `json:"name"`
			Description string   `json:"description"`
		} `json:"evidence"`
	}
	if err := json.Unmarshal([]byte(cred.Body), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Evidence) != len(tasks) || doc.Evidence[0].Type[0] != "Evidence" || !strings.Contains(doc.Evidence[0].Description, "Tổ CNSCĐ bản Mòng") {
		t.Errorf("evidence: %+v", doc.Evidence)
	}
	// Our own verifier accepts it, as posted by anyone.
	vr := p.rig.Client(t).PostJSON("/api/v1/credentials/verify", cred.Body)
	mustStatus(t, "verify the credential", vr, http.StatusOK)
	mustContain(t, "verified", vr.Body, `"verified":true`)

	t.Run("pdf", func(t *testing.T) {
		pdf := p.member.Get("/certificates/" + code + "/certificate.pdf")
		mustStatus(t, "pdf", pdf, http.StatusOK)
		mustContain(t, "pdf", strings.Join(strings.Fields(pdfText(t, pdf.Body)), " "), "Thực hành", "Tổ CNSCĐ bản Mòng")
	})

	// After the issue the confirmations stand.
	mustStatus(t, "withdraw after the issue", p.tap(p.leader, course, tasks[0], "withdraw"), http.StatusConflict)
	if strings.Contains(p.leader.Get(p.page()).Body, "Rút lại xác nhận") {
		t.Error("the practice page offers to withdraw a confirmation of an issued certificate")
	}
}

// Passed first, the certificate waits; the last confirmation issues it,
// once however it is tapped.
func TestPracticePassedThenConfirmed(t *testing.T) {
	p := startPractice(t)
	for i, mode := range tapModes {
		course := []string{"vneid", "phong-chong-lua-dao", "thanh-toan-khong-tien-mat"}[i]
		tasks := p.tasks(t, course)
		res := p.pass(t, course)
		mustContain(t, "result", res.Body, "Bạn đã đạt bài kiểm tra. Chứng nhận sẽ được cấp khi tổ trưởng xác nhận xong")
		if strings.Contains(res.Body, `href="/certificates/`) {
			t.Fatalf("%s: a certificate link before the practical tasks are confirmed", course)
		}
		for _, tk := range tasks[:len(tasks)-1] {
			mustStatus(t, "confirm", p.tap(p.leader, course, tk, "confirm"), http.StatusSeeOther)
		}
		if n := len(p.certs(t, course)); n != 0 {
			t.Fatalf("%s: %d certificates with a task still to confirm", course, n)
		}
		want := p.page() + "?saved=1#course-" + course
		first, second, _ := tapTwice(t, p.rig, p.leader, p.page(), p.form(course, tasks[len(tasks)-1], "confirm"), mode)
		sameEnd(t, "the last confirmation", first, second, want)
		if n := len(p.certs(t, course)); n != 1 {
			t.Fatalf("%s: %d certificates after the last confirmation, want 1", course, n)
		}
		mustContain(t, "the member's course page", p.member.Get("/courses/"+course).Body, "Bạn đã có chứng nhận của khóa học này.")
	}
}

func TestPracticeWithdrawnBeforeIssue(t *testing.T) {
	p := startPractice(t)
	const course = "dich-vu-cong"
	tasks := p.tasks(t, course)
	mustStatus(t, "confirm", p.tap(p.leader, course, tasks[0], "confirm"), http.StatusSeeOther)
	mustContain(t, "withdraw offered", p.leader.Get(p.page()).Body, "Rút lại xác nhận")
	// Withdrawn twice (a double tap): where the first led.
	for i := 0; i < 2; i++ {
		r := p.tap(p.leader, course, tasks[0], "withdraw")
		mustStatus(t, "withdraw", r, http.StatusSeeOther)
	}
	entries, err := p.rig.P.Store.AuditLog(context.Background(), store.Page{Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	withdrawals := 0
	for _, e := range entries {
		if e.Action == store.ActPracticeWithdraw && e.Target == p.memberID && e.Detail == course+"/"+tasks[0] {
			withdrawals++
		}
	}
	if withdrawals != 1 {
		t.Errorf("%d withdrawals audited, want 1", withdrawals)
	}
	p.pass(t, course)
	for _, tk := range tasks[1:] {
		mustStatus(t, "confirm", p.tap(p.leader, course, tk, "confirm"), http.StatusSeeOther)
	}
	if n := len(p.certs(t, course)); n != 0 {
		t.Fatalf("%d certificates with a withdrawn task", n)
	}
	mustContain(t, "course page", p.member.Get("/courses/"+course).Body, "Chưa được xác nhận")
	mustStatus(t, "confirm again", p.tap(p.leader, course, tasks[0], "confirm"), http.StatusSeeOther)
	if n := len(p.certs(t, course)); n != 1 {
		t.Fatalf("%d certificates once every task is confirmed again, want 1", n)
	}
}

func TestPracticeOnlyByTheMembersLeader(t *testing.T) {
	p := startPractice(t)
	const course = "nen-tang-so-dia-phuong"
	task := p.rig.P.Courses.Get(course).Tasks[0].ID
	p.rig.Register(t, "Tổ Trưởng Khác", "0915000333", nil)
	otherTeam := p.rig.Team(t, p.admin, "Tổ bản Bên", "0915000333")
	other := p.rig.Client(t)
	mustStatus(t, "sign in", other.Post("/login", url.Values{"phone": {"0915000333"}, "password": {"mat-khau-123"}}), http.StatusSeeOther)
	learner := p.rig.Register(t, "Người Học Khác", "0915000444", url.Values{"team": {p.team}})

	mustStatus(t, "another team's leader", p.tap(other, course, task, "confirm"), http.StatusForbidden)
	mustStatus(t, "another team's leader, through her own team", other.Post("/teams/"+otherTeam+"/members/"+p.memberID+"/practice", p.form(course, task, "confirm")), http.StatusNotFound)
	mustStatus(t, "another learner", p.tap(learner, course, task, "confirm"), http.StatusForbidden)
	mustStatus(t, "the member herself", p.tap(p.member, course, task, "confirm"), http.StatusForbidden)
	mustStatus(t, "an admin, who did not see it done", p.tap(p.admin, course, task, "confirm"), http.StatusForbidden)
	mustStatus(t, "the member's page, to a learner", p.member.Get(p.page()), http.StatusForbidden)
	mustStatus(t, "an unknown task", p.tap(p.leader, course, "khong-co", "confirm"), http.StatusNotFound)
	got, err := p.rig.P.Store.Confirmations(context.Background(), []string{p.memberID})
	if err != nil || len(got) != 0 {
		t.Fatalf("confirmations after refused taps: %+v, %v", got, err)
	}
	mustStatus(t, "her leader", p.tap(p.leader, course, task, "confirm"), http.StatusSeeOther)
}

// The independent verifier accepts a credential carrying the practice as
// evidence, as the platform serves it.
func TestIndependentVerifierAcceptsEvidence(t *testing.T) {
	node := testtools.Need(t, "node", "Node.js runs tools/vc-verify")
	tool, _ := filepath.Abs("../../tools/vc-verify")
	if _, err := os.Stat(filepath.Join(tool, "node_modules")); err != nil {
		testtools.Missing(t, "run `npm ci --prefix tools/vc-verify` first")
	}
	p := startPractice(t)
	const course = "nen-tang-so-dia-phuong"
	p.pass(t, course)
	for _, tk := range p.rig.P.Courses.Get(course).Tasks {
		mustStatus(t, "confirm", p.tap(p.leader, course, tk.ID, "confirm"), http.StatusSeeOther)
	}
	certs := p.certs(t, course)
	if len(certs) != 1 {
		t.Fatalf("%d certificates", len(certs))
	}
	c := p.member.Get("/certificates/" + certs[0].Code + "/credential.json")
	mustStatus(t, "credential", c, http.StatusOK)
	mustContain(t, "evidence", c.Body, `"evidence"`, `"Evidence"`, "Tổ CNSCĐ bản Mòng")
	var doc struct {
		CredentialStatus struct {
			StatusListCredential string `json:"statusListCredential"`
		} `json:"credentialStatus"`
	}
	if err := json.Unmarshal([]byte(c.Body), &doc); err != nil {
		t.Fatal(err)
	}
	l := p.rig.Client(t).Get(strings.TrimPrefix(doc.CredentialStatus.StatusListCredential, p.rig.URL))
	mustStatus(t, "status list", l, http.StatusOK)
	dir := t.TempDir()
	run := func(name, cred string) (bool, string) {
		cf, lf := filepath.Join(dir, name+".json"), filepath.Join(dir, name+"-status.json")
		_ = os.WriteFile(cf, []byte(cred), 0o600)
		_ = os.WriteFile(lf, []byte(l.Body), 0o600)
		out, err := exec.Command(node, filepath.Join(tool, "verify.mjs"), cf, lf).CombinedOutput()
		return err == nil && strings.Contains(string(out), "verified: true"), string(out)
	}
	if ok, out := run("evidence", c.Body); !ok {
		t.Fatalf("the independent verifier rejects a credential with evidence:\n%s", out)
	}
	if ok, out := run("evidence-tampered", strings.Replace(c.Body, "Tổ CNSCĐ bản Mòng", "Tổ khác", 1)); ok {
		t.Fatalf("the independent verifier accepts altered evidence:\n%s", out)
	}
}
