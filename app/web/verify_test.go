package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"kynangso/app/certcode"
	"kynangso/app/config"
	"kynangso/app/store"
	"kynangso/app/testrig"
	"kynangso/app/testtools"
)

// passCourse passes a course's quiz and returns the certificate code as
// printed.
func passCourse(t *testing.T, rig *testrig.Rig, c *testrig.Client, course string) string {
	t.Helper()
	path, form := rig.QuizAnswers(t, c, course, true)
	mustStatus(t, "submit", c.Post(path, form), http.StatusSeeOther)
	res := c.Get(path)
	i := strings.Index(res.Body, `href="/certificates/`)
	if i < 0 {
		t.Fatalf("no certificate link after passing:\n%.600s", testrig.Text(res.Body))
	}
	code := res.Body[i+len(`href="/certificates/`):]
	return code[:strings.IndexByte(code, '"')]
}

func TestVerificationStatesAndPrivacy(t *testing.T) {
	rig := testrig.Start(t)
	holder := rig.Register(t, "Nguyễn Văn An", "0911222333", nil)
	code := passCourse(t, rig, holder, "mua-ban-truc-tuyen")
	employer := rig.Client(t)

	v := employer.Get("/v/" + code)
	mustStatus(t, "valid", v, http.StatusOK)
	mustContain(t, "masked by default", v.Body, "Chứng nhận thật", "Nguyễn V. A.", "Mua bán trực tuyến")
	if strings.Contains(v.Body, "Nguyễn Văn An") || strings.Contains(v.Body, "0911222333") {
		t.Fatal("the verification page reveals the full name or the phone by default")
	}
	// Case, spaces and dashes don't matter.
	typed := strings.ToLower(strings.ReplaceAll(code, "-", " "))
	mustContain(t, "typed loosely", employer.Get("/v/"+url.PathEscape(typed)).Body, "Chứng nhận thật")
	if r := employer.Get("/v?code=" + url.QueryEscape(typed)); r.Status != http.StatusSeeOther {
		t.Errorf("the code form does not lead to the check: %d", r.Status)
	}

	// One character wrong: "mistyped", not "not found".
	raw, _ := certcode.Parse(code)
	wrong := []byte(raw)
	if wrong[3] == 'A' {
		wrong[3] = 'B'
	} else {
		wrong[3] = 'A'
	}
	m := employer.Get("/v/" + string(wrong))
	mustStatus(t, "mistyped", m, http.StatusUnprocessableEntity)
	mustContain(t, "mistyped", m.Body, "Mã có vẻ bị gõ nhầm")
	short := employer.Get("/v/82EH-ZJ9B") // the first two groups only
	mustStatus(t, "part of a code", short, http.StatusUnprocessableEntity)
	mustContain(t, "part of a code", short.Body, "Mã chứng nhận gồm đúng 12 ký tự")
	mustStatus(t, "not a code at all", employer.Get("/v/"+url.PathEscape("<b>hello</b>")), http.StatusNotFound)
	mj := employer.Get("/api/v1/verify/" + string(wrong))
	if mj.Status != http.StatusUnprocessableEntity || !strings.Contains(mj.Body, `"status":"mistyped"`) {
		t.Errorf("mistyped JSON: %d %s", mj.Status, mj.Body)
	}

	// Name check without revealing the name.
	for typedName, want := range map[string]string{
		"Nguyễn Văn An":                   "Khớp",
		"nguyen van an":                   "Khớp",
		" NGUYỄN  văn AN":                 "Khớp",
		"Nguye\u0302\u0303n Va\u0306n An": "Khớp",      // decomposed, as some keyboards type
		"Nguyễn Văn Ân":                   "Chưa khớp", // a different name, typed with diacritics
		"Nguyen Van Anh":                  "Chưa khớp",
	} {
		r := employer.Post("/v/"+code+"/name", url.Values{"name": {typedName}})
		mustStatus(t, "name check", r, http.StatusOK)
		mustContain(t, "name check "+typedName, r.Body, want+":")
		if strings.Contains(strings.ReplaceAll(r.Body, "“"+typedName+"”", ""), "Nguyễn Văn An") && typedName != "Nguyễn Văn An" {
			t.Errorf("the name check revealed the name for %q", typedName)
		}
	}
	mustStatus(t, "empty name", employer.Post("/v/"+code+"/name", url.Values{"name": {""}}), http.StatusUnprocessableEntity)

	// The holder shows the full name.
	mustStatus(t, "privacy", holder.Post("/certificates/"+code+"/privacy", url.Values{"show_full_name": {"yes"}}), http.StatusSeeOther)
	mustContain(t, "full name", employer.Get("/v/"+code).Body, "Nguyễn Văn An")
	j := employer.Get("/api/v1/verify/" + code)
	if !strings.Contains(j.Body, `"holder":"Nguyễn Văn An"`) {
		t.Errorf("JSON does not follow the holder's choice: %s", j.Body)
	}
	// Someone else can't change it.
	other := rig.Register(t, "Kẻ Lạ", "0911999888", nil)
	mustStatus(t, "other's privacy", other.Post("/certificates/"+code+"/privacy", url.Values{"show_full_name": {"no"}}), http.StatusNotFound)

	// The holder sees how often it was checked, and through which channel.
	page := holder.Get("/certificates/" + code)
	mustContain(t, "checks", page.Body, "qua trang kiểm tra", "qua hệ thống khác (API)")
	n, _ := rig.P.Store.CountVerifications(context.Background(), raw)
	if n < 5 {
		t.Errorf("only %d checks counted", n)
	}
	mustContain(t, "check count", page.Body, "Đã được kiểm tra")
}

func TestRevocationShowsEverywhere(t *testing.T) {
	rig := testrig.Start(t)
	admin := rig.Admin(t)
	holder := rig.Register(t, "Hồ Ngọc Hà", "0922333444", nil)
	code := passCourse(t, rig, holder, "tim-kiem-tin-gia")
	employer := rig.Client(t)

	public := employer.Get("/credentials/" + code + ".json")
	mustStatus(t, "public credential", public, http.StatusOK)
	if strings.Contains(public.Body, "Hồ Ngọc Hà") || !strings.Contains(public.Body, "Hồ N. H.") {
		t.Fatal("the public credential names the holder in full though she did not choose it")
	}
	if r := verifyCred(t, employer, public.Body); r["verified"] != true {
		t.Fatalf("the public credential does not verify: %v", r)
	}
	mustStatus(t, "someone else's credential copy", employer.Get("/certificates/"+code+"/credential.json"), http.StatusFound)
	cred := holder.Get("/certificates/" + code + "/credential.json")
	mustStatus(t, "holder's credential", cred, http.StatusOK)
	if r := verifyCred(t, employer, cred.Body); r["verified"] != true {
		t.Fatalf("a fresh credential does not verify: %v", r)
	}
	tampered := strings.Replace(cred.Body, "Hồ Ngọc Hà", "Hồ Ngọc Hải", 1)
	if r := verifyCred(t, employer, tampered); r["verified"] != false || r["reason"] != "bad_signature" {
		t.Errorf("a tampered credential: %v", r)
	}

	mustStatus(t, "revoke without reason", admin.Post("/admin/certificates/"+code+"/revoke", url.Values{"reason": {""}}), http.StatusUnprocessableEntity)
	mustStatus(t, "revoke with a made-up reason", admin.Post("/admin/certificates/"+code+"/revoke", url.Values{"reason": {"<b>x</b>"}}), http.StatusUnprocessableEntity)
	mustStatus(t, "learner revokes", holder.Post("/admin/certificates/"+code+"/revoke", url.Values{"reason": {"x"}}), http.StatusForbidden)
	res := admin.Post("/admin/certificates/"+code+"/revoke", url.Values{"confirm": {"yes"}, "reason": {"fraud"}, "note": {"Thi hộ, theo báo cáo của tổ trưởng"}})
	mustStatus(t, "revoke", res, http.StatusSeeOther)

	v := employer.Get("/v/" + code)
	mustContain(t, "verify page", v.Body, "Chứng nhận đã bị thu hồi", "Gian lận khi làm bài kiểm tra", "Ngày thu hồi")
	if strings.Contains(v.Body, "Thi hộ") {
		t.Error("the admin's internal note is shown publicly")
	}
	j := employer.Get("/api/v1/verify/" + code)
	for _, want := range []string{`"status":"revoked"`, `"revoke_reason":"fraud"`, `"revoked_at":`} {
		if !strings.Contains(j.Body, want) {
			t.Errorf("JSON lacks %s: %s", want, j.Body)
		}
	}
	mustContain(t, "certificate page", holder.Get("/certificates/"+code).Body, "Đã bị thu hồi", "Gian lận khi làm bài kiểm tra")
	mustContain(t, "my certificates", holder.Get("/certificates").Body, "Đã bị thu hồi")
	pdf := holder.Get("/certificates/" + code + "/certificate.pdf")
	if text := pdfText(t, pdf.Body); text != "" && !strings.Contains(text, "ĐÃ THU HỒI") {
		t.Errorf("the PDF of a revoked certificate does not say so:\n%.400s", text)
	}
	if r := verifyCred(t, employer, cred.Body); r["verified"] != false || r["reason"] != "revoked" {
		t.Errorf("a revoked credential: %v", r)
	}
	log, _ := rig.P.Store.AuditLog(context.Background(), store.Page{Limit: 10})
	if len(log) == 0 || log[0].Action != store.ActCertRevoke || !strings.Contains(log[0].Detail, "Thi hộ") {
		t.Errorf("no audit entry for the revocation: %+v", log)
	}
	mustContain(t, "audit page", admin.Get("/admin/audit").Body, "Thu hồi chứng nhận")
}

func TestNameCorrectionReissues(t *testing.T) {
	rig := testrig.Start(t)
	admin := rig.Admin(t)
	holder := rig.Register(t, "Le Thi Hong", "0933444555", nil)
	old := passCourse(t, rig, holder, "tim-kiem-tin-gia")
	oldCred := holder.Get("/certificates/" + old + "/credential.json").Body
	mustStatus(t, "bad name", admin.Post("/admin/certificates/"+old+"/rename", url.Values{"name": {"1234"}}), http.StatusUnprocessableEntity)
	res := admin.Post("/admin/certificates/"+old+"/rename", url.Values{"name": {"Lê Thị Hồng"}})
	mustStatus(t, "rename", res, http.StatusSeeOther)
	next := strings.TrimPrefix(res.Location, "/admin/certificates/")
	if next == old || next == "" {
		t.Fatalf("no new certificate: %q", res.Location)
	}
	employer := rig.Client(t)
	ov := employer.Get("/v/" + old)
	mustContain(t, "old", ov.Body, "Chứng nhận này đã được thay bằng bản mới", "Đã được thay bằng chứng nhận "+next)
	if !strings.Contains(ov.Body, `href="/v/`+next+`"`) {
		t.Error("the old certificate does not link to its replacement")
	}
	mustContain(t, "new", employer.Get("/v/"+next).Body, "Chứng nhận thật", "Lê T. H.")
	if r := verifyCred(t, employer, oldCred); r["verified"] != false || r["reason"] != "revoked" {
		t.Errorf("the replaced certificate's credential still verifies: %v", r)
	}
	mustContain(t, "holder's list", holder.Get("/certificates").Body, "Còn hiệu lực", "Đã bị thu hồi")
	mustStatus(t, "revoke the replaced one again", admin.Post("/admin/certificates/"+old+"/revoke", url.Values{"confirm": {"yes"}, "reason": {"other"}}), http.StatusConflict)
}

func TestVerificationIsRateLimited(t *testing.T) {
	rig := testrig.Start(t)
	c := rig.Client(t)
	for i := 0; i < 30; i++ {
		if r := c.Get("/api/v1/verify/0000-0000-0000"); r.Status != http.StatusNotFound {
			t.Fatalf("check %d: status %d", i+1, r.Status)
		}
	}
	r := c.Get("/v/0000-0000-0000")
	mustStatus(t, "31st check", r, http.StatusTooManyRequests)
	mustContain(t, "limit page", r.Body, "Bạn kiểm tra quá nhiều lần")
	if r.Header.Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
	// The rest of the site is not affected.
	mustStatus(t, "home", c.Get("/"), http.StatusOK)
}

func verifyCred(t *testing.T, c *testrig.Client, doc string) map[string]any {
	t.Helper()
	res := c.PostJSON("/api/v1/credentials/verify", doc)
	var out map[string]any
	if err := json.Unmarshal([]byte(res.Body), &out); err != nil {
		t.Fatalf("verify answer %d: %s", res.Status, res.Body)
	}
	return out
}

// pdfText extracts a PDF's text with pdftotext, or "" when missing.
func pdfText(t *testing.T, pdf string) string {
	t.Helper()
	tool := testtools.Need(t, "pdftotext", "apt-get install poppler-utils")
	f := filepath.Join(t.TempDir(), "c.pdf")
	if err := os.WriteFile(f, []byte(pdf), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(tool, f, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}

// Behind a trusted proxy, each client is limited on its own; a header
// from anyone else changes nothing.
func TestRateLimitBehindAProxy(t *testing.T) {
	rig := testrig.StartWith(t, func(c *config.Config) { c.TrustedProxies = []string{"127.0.0.1"} })
	c := rig.Client(t)
	for i := range 40 {
		c.Header = http.Header{"X-Real-Ip": {fmt.Sprintf("203.0.113.%d", i)}}
		if r := c.Get("/api/v1/verify/0000-0000-0000"); r.Status != http.StatusNotFound {
			t.Fatalf("client %d behind the proxy: status %d", i, r.Status)
		}
	}
	direct := testrig.Start(t)
	d := direct.Client(t)
	got := 0
	for i := range 40 {
		d.Header = http.Header{"X-Real-Ip": {fmt.Sprintf("203.0.113.%d", i)}}
		if d.Get("/api/v1/verify/0000-0000-0000").Status == http.StatusTooManyRequests {
			got++
		}
	}
	if got == 0 {
		t.Fatal("without a trusted proxy, a forged X-Real-IP escaped the limit")
	}
}
