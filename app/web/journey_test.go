package web_test

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"kynangso/app/testrig"
)

func mustContain(t *testing.T, what, body string, wants ...string) {
	t.Helper()
	text := testrig.Text(body)
	for _, w := range wants {
		if !strings.Contains(text, w) {
			t.Errorf("%s: want %q on the page; it reads:\n%.1500s", what, w, text)
		}
	}
}

func mustStatus(t *testing.T, what string, r *testrig.Resp, want int) {
	t.Helper()
	if r.Status != want {
		t.Fatalf("%s: status %d, want %d\n%.800s", what, r.Status, want, testrig.Text(r.Body))
	}
}

// Journey 1: Vietnamese by default, English on request, remembered.
func TestLanguageChoice(t *testing.T) {
	rig := testrig.Start(t)
	c := rig.Client(t)
	mustContain(t, "default", c.Get("/").Body, "Học kỹ năng số, từng bước một", "Đăng ký")
	mustContain(t, "?lang=en", c.Get("/?lang=en").Body, "Learn digital skills, one step at a time")
	mustContain(t, "remembered", c.Get("/register").Body, "Create your account")
	mustContain(t, "back to vi", c.Get("/?lang=vi").Body, "Học kỹ năng số")
	mustContain(t, "still vi", c.Get("/login").Body, "Đăng nhập")

	first := rig.Client(t)
	first.Lang = "en-GB,en;q=0.9"
	mustContain(t, "Accept-Language", first.Get("/").Body, "Learn digital skills")
	other := rig.Client(t)
	other.Lang = "fr-FR"
	mustContain(t, "unsupported language", other.Get("/").Body, "Học kỹ năng số")
}

// Journey 2: sign up with any form of a phone number, the same number
// twice is refused, sign in and out.
func TestRegisterLoginLogout(t *testing.T) {
	rig := testrig.Start(t)
	c := rig.Register(t, "Nguyễn Thị Ánh Tuyết", "0912 345 678", url.Values{"commune": {"ba dinh"}})
	home := c.Get("/?welcome=1")
	mustContain(t, "after sign-up", home.Body, "Chào mừng Nguyễn Thị Ánh Tuyết", "Đăng xuất")

	u, err := rig.P.Store.UserByPhone(context.Background(), "0912345678")
	if err != nil {
		t.Fatal(err)
	}
	if u.Commune != "4" || u.Province != "1" || u.Consent.Version == "" || u.Consent.At.IsZero() {
		t.Errorf("stored user: commune %q province %q consent %+v", u.Commune, u.Province, u.Consent)
	}
	if u.PasswordHash == "" || strings.Contains(u.PasswordHash, "mat-khau") {
		t.Error("password not hashed")
	}

	for _, same := range []string{"0912.345.678", "+84 912345678", "84912345678"} {
		d := rig.Client(t)
		res := d.Post("/register", url.Values{"name": {"Người Khác"}, "phone": {same}, "password": {"mat-khau-456"}, "province": {"1"}, "commune": {"Ba Đình"}, "consent": {"yes"}})
		mustStatus(t, "duplicate "+same, res, http.StatusConflict)
		mustContain(t, "duplicate", res.Body, "Số điện thoại này đã được đăng ký")
	}

	res := c.Post("/logout", nil)
	mustStatus(t, "logout", res, http.StatusSeeOther)
	mustContain(t, "signed out", c.Get("/").Body, "Đăng nhập")
	if c.Get("/certificates").Status != http.StatusFound {
		t.Error("a signed-out person reached their certificates")
	}

	res = c.Post("/login", url.Values{"phone": {"+84 912 345 678"}, "password": {"sai-mat-khau"}})
	mustStatus(t, "wrong password", res, http.StatusUnauthorized)
	mustContain(t, "wrong password", res.Body, "Số điện thoại hoặc mật khẩu không đúng")
	res = c.Post("/login", url.Values{"phone": {"+84 912 345 678"}, "password": {"mat-khau-123"}, "next": {"/certificates"}})
	mustStatus(t, "login", res, http.StatusSeeOther)
	if res.Location != "/certificates" {
		t.Errorf("after login went to %q", res.Location)
	}
	res = c.Post("/login", url.Values{"phone": {"0912345678"}, "password": {"mat-khau-123"}, "next": {"https://evil.example/"}})
	if res.Location != "/" {
		t.Errorf("login redirected off-site to %q", res.Location)
	}
}

// Journeys 3 to 6: read a course, pass its quiz, get one certificate, and
// an employer verifies it.
func TestLearnQuizCertificateVerify(t *testing.T) {
	rig := testrig.Start(t)
	c := rig.Register(t, "Đặng Quốc Bảo", "0987654321", nil)
	const course = "lam-quen-dien-thoai"
	co := rig.P.Courses.Get(course)

	mustContain(t, "catalogue", c.Get("/").Body, "Làm quen điện thoại thông minh", "Đã học 0/")
	page := c.Get("/courses/" + course)
	mustContain(t, "course page", page.Body, "Các bài học", "DigComp")
	first := co.Lessons[0]
	lesson := c.Get("/courses/" + course + "/lessons/" + first.ID)
	mustStatus(t, "lesson", lesson, http.StatusOK)
	if !strings.Contains(lesson.Body, `src="/courses/`+course+`/img/`) {
		t.Error("the lesson shows no picture")
	}
	res := c.Post("/courses/"+course+"/lessons/"+first.ID, nil)
	mustStatus(t, "mark done", res, http.StatusSeeOther)
	if !strings.HasSuffix(res.Location, co.Lessons[1].ID) {
		t.Errorf("after the first lesson went to %q, want the second", res.Location)
	}
	c.Post("/courses/"+course+"/lessons/"+first.ID, nil) // twice counts once
	mustContain(t, "progress", c.Get("/courses/"+course).Body, "Đã học 1/")
	if !strings.Contains(c.Get("/courses/"+course).Body, `<progress class="bar" max="100" value="`) {
		t.Error("no progress bar on the course page")
	}

	// A failed attempt: result, explanations, no certificate.
	path, form := rig.QuizAnswers(t, c, course, false)
	quizPage := c.Get(path)
	for _, q := range co.Questions {
		if strings.Contains(quizPage.Body, q.Explanation.In("vi")) {
			t.Fatal("an explanation reached the browser before submitting")
		}
	}
	if strings.Contains(quizPage.Body, "correct") {
		t.Fatal("the quiz page gives away which answers are correct")
	}
	res = c.Post(path, form)
	mustStatus(t, "submit wrong answers", res, http.StatusSeeOther)
	result := c.Get(path)
	mustContain(t, "failed result", result.Body, "Chưa đạt", "Xem lại từng câu")
	if certs, _ := rig.P.Store.CertificatesOf(context.Background(), userID(t, rig, "0987654321")); len(certs) != 0 {
		t.Fatal("a failed quiz issued a certificate")
	}

	// A passing attempt, submitted twice (double click): counted once.
	path2, form2 := rig.QuizAnswers(t, c, course, true)
	if path2 == path {
		t.Fatal("a retry reused the submitted attempt")
	}
	c.Post(path2, form2)
	again := c.Post(path2, form2)
	mustStatus(t, "resend", again, http.StatusSeeOther)
	result = c.Get(path2)
	mustContain(t, "passed", result.Body, "Chúc mừng, bạn đã đạt!", "100%")
	certs, err := rig.P.Store.CertificatesOf(context.Background(), userID(t, rig, "0987654321"))
	if err != nil || len(certs) != 1 {
		t.Fatalf("want exactly one certificate, got %d (%v)", len(certs), err)
	}
	// Passing once more still gives the same single certificate.
	path3, form3 := rig.QuizAnswers(t, c, course, true)
	c.Post(path3, form3)
	if certs, _ := rig.P.Store.CertificatesOf(context.Background(), userID(t, rig, "0987654321")); len(certs) != 1 {
		t.Fatalf("passing again issued another certificate: %d", len(certs))
	}

	code := certs[0].Code
	formatted := code[:4] + "-" + code[4:8] + "-" + code[8:]
	cp := c.Get("/certificates/" + formatted)
	mustStatus(t, "certificate page", cp, http.StatusOK)
	mustContain(t, "certificate page", cp.Body, "Đặng Quốc Bảo", "Làm quen điện thoại thông minh", formatted)

	png := c.Get("/certificates/" + formatted + "/qr.png")
	if png.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("QR is %q", png.Header.Get("Content-Type"))
	}
	if got := decodeQR(t, []byte(png.Body)); got != "" && got != rig.URL+"/v/"+formatted {
		t.Errorf("QR decodes to %q", got)
	}
	pdf := c.Get("/certificates/" + formatted + "/certificate.pdf")
	if pdf.Header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(pdf.Body, "%PDF") {
		t.Fatal("no PDF")
	}
	if len(pdf.Body) > 200*1024 {
		t.Errorf("PDF is %d bytes", len(pdf.Body))
	}

	// Another learner can't see it; the employer (signed out) verifies it.
	other := rig.Register(t, "Lê Văn Tám", "0977000111", nil)
	mustStatus(t, "someone else's certificate", other.Get("/certificates/"+formatted), http.StatusNotFound)
	mustStatus(t, "someone else's PDF", other.Get("/certificates/"+formatted+"/certificate.pdf"), http.StatusNotFound)

	employer := rig.Client(t)
	v := employer.Get("/v/" + formatted)
	mustStatus(t, "verify", v, http.StatusOK)
	mustContain(t, "verify", v.Body, "Chứng nhận thật, còn hiệu lực", "Đặng Q. B.", "Làm quen điện thoại thông minh", "Kỹ Năng Số")
	if strings.Contains(v.Body, "0987654321") {
		t.Error("the verification page shows the phone number")
	}
	j := employer.Get("/api/v1/verify/" + strings.ToLower(code))
	mustStatus(t, "verify JSON", j, http.StatusOK)
	for _, want := range []string{`"status":"valid"`, `"holder":"Đặng Q. B."`, `"issued":`, `"issuer":`} {
		if !strings.Contains(j.Body, want) {
			t.Errorf("verify JSON lacks %s: %s", want, j.Body)
		}
	}
	unknown := employer.Get("/v/ZZZZ-ZZZZ-ZZZ0")
	if unknown.Status != http.StatusNotFound && unknown.Status != http.StatusUnprocessableEntity {
		t.Errorf("unknown code: status %d", unknown.Status)
	}
	mustStatus(t, "garbage code JSON", employer.Get("/api/v1/verify/not-a-code"), http.StatusNotFound)
	nf := employer.Get("/v/0000-0000-0000")
	mustStatus(t, "unknown code", nf, http.StatusNotFound)
	mustContain(t, "unknown code", nf.Body, "Không tìm thấy chứng nhận")
}

func userID(t *testing.T, rig *testrig.Rig, phone string) string {
	t.Helper()
	u, err := rig.P.Store.UserByPhone(context.Background(), phone)
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}

// decodeQR reads a QR code with zbarimg, or returns "" when it is not
// installed (CI installs it, so there the check always runs).
func decodeQR(t *testing.T, png []byte) string {
	t.Helper()
	if _, err := exec.LookPath("zbarimg"); err != nil {
		if os.Getenv("KNS_REQUIRE_TOOLS") != "" {
			t.Fatal("zbarimg is required here")
		}
		t.Log("zbarimg not installed: QR not decoded")
		return ""
	}
	f := filepath.Join(t.TempDir(), "qr.png")
	if err := os.WriteFile(f, png, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("zbarimg", "--raw", "-q", f).Output()
	if err != nil {
		t.Fatalf("zbarimg could not read the QR: %v", err)
	}
	return strings.TrimSpace(string(out))
}
