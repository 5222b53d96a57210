package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"kynangso/app/testrig"
)

// A revocation is told to the holder (issue 9, point 5): her course page
// and her certificate page say that it was withdrawn, when, why (from the
// fixed list) and what to do; the withdrawn certificate offers no
// printable copy or QR code that would look valid. Before: the course
// page went back to "take the quiz" without a word, and the certificate
// page offered the PDF, the QR code and the credential as before.
func TestRevocationToldToTheHolder(t *testing.T) {
	rig := testrig.Start(t)
	admin := rig.Admin(t)
	holder := rig.Register(t, "Nguyễn Văn An", "0911222333", nil)
	code := passCourse(t, rig, holder, "tim-kiem-tin-gia")
	today := time.Now().In(time.FixedZone("ICT", 7*3600)).Format("02/01/2006")
	mustStatus(t, "revoke", admin.Post("/admin/certificates/"+code+"/revoke", url.Values{"reason": {"error"}, "confirm": {"yes"}}), http.StatusSeeOther)

	course := holder.Get("/courses/tim-kiem-tin-gia")
	mustStatus(t, "course page", course, http.StatusOK)
	mustContain(t, "course page after the revocation", course.Body,
		"Chứng nhận của bạn đã bị thu hồi", "đã bị thu hồi ngày "+today, "Lý do: Cấp nhầm.", "Hãy làm lại bài kiểm tra", "Xem chứng nhận đã bị thu hồi")
	for _, link := range []string{`href="/courses/tim-kiem-tin-gia/quiz"`, `href="/certificates/` + code + `"`} {
		if !strings.Contains(course.Body, link) {
			t.Errorf("course page after the revocation has no link %s", link)
		}
	}
	en := holder.Get("/courses/tim-kiem-tin-gia?lang=en")
	mustContain(t, "course page in English", en.Body, "Your certificate has been withdrawn", "Reason: Issued in error.")

	cert := holder.Get("/certificates/" + code + "?lang=vi")
	mustStatus(t, "certificate page", cert, http.StatusOK)
	mustContain(t, "certificate page after the revocation", cert.Body, "Đã bị thu hồi", "Lý do: Cấp nhầm", "Hãy làm lại bài kiểm tra", "không tải được bản để in")
	for _, copy := range []string{"/certificate.pdf", "/qr.png", "/qr.svg", "/credential.json", `action="/certificates/` + code + `/privacy"`} {
		if strings.Contains(cert.Body, copy) {
			t.Errorf("the withdrawn certificate's page still offers %s", copy)
		}
	}

	// Passed again: a new certificate, and the notice is gone.
	again := passCourse(t, rig, holder, "tim-kiem-tin-gia")
	course = holder.Get("/courses/tim-kiem-tin-gia")
	mustContain(t, "course page after passing again", course.Body, "Bạn đã có chứng nhận của khóa học này")
	if strings.Contains(course.Body, "đã bị thu hồi") || !strings.Contains(course.Body, `href="/certificates/`+again+`"`) {
		t.Errorf("after passing again the course page reads: %.600s", testrig.Text(course.Body))
	}
	// A certificate re-issued under a corrected name is no withdrawal.
	mustStatus(t, "re-issue", admin.Post("/admin/certificates/"+again+"/rename", url.Values{"name": {"Nguyễn Văn Ân"}}), http.StatusSeeOther)
	course = holder.Get("/courses/tim-kiem-tin-gia")
	mustContain(t, "course page after a re-issue", course.Body, "Bạn đã có chứng nhận của khóa học này")
	if strings.Contains(course.Body, "đã bị thu hồi") {
		t.Error("a re-issue reads as a withdrawal on the course page")
	}
}
