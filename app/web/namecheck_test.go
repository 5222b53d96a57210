package web_test

import (
	"net/http"
	"net/url"
	"testing"

	"kynangso/app/testrig"
)

// The name check says what it does and does what it says (issue 9, point
// 9): case and spacing never matter, diacritics are compared only when
// both names have them, and a "no" tells the employer exactly what was
// compared, and how. Before: the page promised nothing, and a "no" asked
// for "every letter and every mark as on the paper" even when the marks
// had been left out of the comparison.
func TestNameCheckSaysWhatItCompared(t *testing.T) {
	rig := testrig.Start(t)
	holder := rig.Register(t, "Nguyễn Văn An", "0911222333", nil)
	code := passCourse(t, rig, holder, "mua-ban-truc-tuyen")
	employer := rig.Client(t)
	page := employer.Get("/v/" + code)
	mustContain(t, "the promise", page.Body, "Không phân biệt chữ hoa, chữ thường hay khoảng trắng", "Dấu chỉ được so khi cả tên bạn gõ lẫn tên trên chứng nhận đều có dấu")
	for typed, want := range map[string]string{
		"  NGUYỄN   văn ÂN ": "Chưa khớp: đã so “nguyễn văn ân” với họ tên trên chứng nhận, có so cả dấu",
		"nguyen  VAN anh":    "Chưa khớp: đã so “nguyen van anh” với họ tên trên chứng nhận, bỏ qua dấu",
		"NGUYEN van AN":      "Khớp:",
		"nguyễn VĂN an":      "Khớp:",
	} {
		r := employer.Post("/v/"+code+"/name", url.Values{"name": {typed}})
		mustStatus(t, "name check "+typed, r, http.StatusOK)
		mustContain(t, "name check "+typed, r.Body, want)
	}
	en := employer.Post("/v/"+code+"/name?lang=en", url.Values{"name": {"Nguyễn Văn Ân"}})
	mustContain(t, "in English", en.Body, "No match: “nguyễn văn ân” was compared with the name on the certificate, accents included")
	if testrig.Text(en.Body) == "" {
		t.Fatal("empty page")
	}
}
