package certpdf

import (
	"bytes"
	"io"
	"kynangso/app/testtools"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

const maxPDF = 200 << 10

func sample() Certificate {
	return Certificate{
		Code:      "K7QM-4TZ9-XH2P",
		Holder:    "Nguyễn Thị Ánh Tuyết",
		Course:    "Phòng chống lừa đảo trực tuyến",
		Certifies: "Nhận biết tin nhắn, cuộc gọi lừa đảo và biết cách xử lý an toàn",
		Score:     92,
		// 20:30 UTC on 4 March is 03:30 on 5 March in Vietnam.
		IssuedAt:  time.Date(2026, 3, 4, 20, 30, 0, 0, time.UTC),
		Issuer:    "Kỹ Năng Số",
		Place:     "Tổ Phụ nữ thôn Đông, xã Tân Phú",
		VerifyURL: "https://kynangso.example.vn/v/K7QM-4TZ9-XH2P",
	}
}

// render returns the PDF bytes and a file holding them, for the CLI tools.
// With CERTPDF_OUT=dir the file is kept there so a person can look at it.
func render(t testing.TB, name string, fn func(*bytes.Buffer) error) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	if err := fn(&buf); err != nil {
		t.Fatal(err)
	}
	dir := os.Getenv("CERTPDF_OUT")
	if dir == "" {
		dir = t.TempDir()
	}
	path := filepath.Join(dir, name+".pdf")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: %d bytes", name, buf.Len())
	return buf.Bytes(), path
}

func renderOne(t testing.TB, name string, c Certificate, l Labels) ([]byte, string) {
	return render(t, name, func(b *bytes.Buffer) error { return Render(b, c, l) })
}

func needTools(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		testtools.Need(t, tool, "apt-get install poppler-utils zbar-tools librsvg2-bin")
	}
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return string(out)
}

func pdfText(t *testing.T, path string) string {
	return run(t, "pdftotext", "-enc", "UTF-8", path, "-")
}

// scanQR rasterises the first page like a mid-range print/scan and returns
// every QR symbol zbar finds, one per line.
func scanQR(t *testing.T, pdfPath string) string {
	prefix := filepath.Join(t.TempDir(), "page")
	run(t, "pdftoppm", "-r", "150", "-png", "-f", "1", "-l", "1", "-singlefile", pdfPath, prefix)
	return zbar(t, prefix+".png")
}

// zbar returns the decoded symbols. Only stdout counts: zbarimg prints
// unrelated D-Bus noise on stderr in containers.
func zbar(t *testing.T, png string) string {
	t.Helper()
	out, err := exec.Command("zbarimg", "--raw", "-q", "-Sdisable", "-Sqrcode.enable", png).Output()
	if err != nil {
		t.Fatalf("zbarimg found no QR code in %s: %v", png, err)
	}
	return strings.TrimSpace(string(out))
}

func TestPDFUnder200KB(t *testing.T) {
	for _, l := range []Labels{LabelsVI(), LabelsEN()} {
		pdf, _ := renderOne(t, "size-"+l.Lang, sample(), l)
		if len(pdf) > maxPDF {
			t.Errorf("%s PDF is %d bytes, want < %d", l.Lang, len(pdf), maxPDF)
		}
	}
	team := make([]Certificate, 30)
	for i := range team {
		team[i] = sample()
		team[i].Holder += " " + strconv.Itoa(i)
		team[i].VerifyURL += strconv.Itoa(i) // distinct QR codes, as in real use
	}
	pdf, _ := render(t, "size-team30", func(b *bytes.Buffer) error { return RenderMany(b, team, LabelsVI()) })
	if len(pdf) > maxPDF {
		t.Errorf("30-page team PDF is %d bytes, want < %d", len(pdf), maxPDF)
	}
}

func TestPDFTextHasDiacritics(t *testing.T) {
	needTools(t, "pdftotext")
	cases := []struct{ holder, course string }{
		{"Nguyễn Thị Ánh Tuyết", "Phòng chống lừa đảo trực tuyến"},
		{"Đặng Quốc Bảo", "Sử dụng điện thoại thông minh an toàn"},
		{"Hồ Ngọc Hà", "Thanh toán điện tử và dịch vụ công trực tuyến"},
		// Decomposed input (base letter + combining marks) must print the
		// same as precomposed.
		{"Tro\u0302\u0300n Thi\u0323 Ly\u0301", "Phòng chống lừa đảo trực tuyến"},
	}
	for i, tc := range cases {
		c := sample()
		c.Holder, c.Course = tc.holder, tc.course
		_, path := renderOne(t, "names-"+strconv.Itoa(i), c, LabelsVI())
		txt := pdfText(t, path)
		want := clean(tc.holder)
		for _, s := range []string{want, tc.course, "CHỨNG NHẬN", "Đã hoàn thành khóa học",
			"Ngày cấp", "05/03/2026", "Mã chứng nhận", "K7QM-4TZ9-XH2P", "Điểm", "92%",
			"Quét mã QR để kiểm tra", c.VerifyURL, c.Place, "Năng lực đạt được: " + c.Certifies} {
			if !strings.Contains(txt, s) {
				t.Errorf("PDF text lacks %q; got:\n%s", s, txt)
			}
		}
	}
}

func TestPDFEnglish(t *testing.T) {
	needTools(t, "pdftotext")
	_, path := renderOne(t, "english", sample(), LabelsEN())
	txt := pdfText(t, path)
	for _, s := range []string{"CERTIFICATE", "This is to certify that", "Nguyễn Thị Ánh Tuyết",
		"5 March 2026", "Certificate ID", "Scan the QR code to verify"} {
		if !strings.Contains(txt, s) {
			t.Errorf("English PDF lacks %q; got:\n%s", s, txt)
		}
	}
}

func TestPDFQRDecodesToVerifyURL(t *testing.T) {
	needTools(t, "pdftoppm", "zbarimg")
	long := "https://chungnhan.kynangso.example.vn/xac-minh/K7QM-4TZ9-XH2P?lang=vi&nguon=ban-in"
	for i, tc := range []struct {
		url     string
		revoked bool
	}{{sample().VerifyURL, false}, {sample().VerifyURL, true}, {long, false}} {
		c := sample()
		c.VerifyURL, c.Revoked = tc.url, tc.revoked
		_, path := renderOne(t, "qr-"+strconv.Itoa(i), c, LabelsVI())
		if got := scanQR(t, path); got != c.VerifyURL {
			t.Errorf("%+v: QR on page decodes to %q, want exactly %q", tc, got, c.VerifyURL)
		}
	}
}

func TestPDFURLIsClickable(t *testing.T) {
	needTools(t, "pdfinfo")
	c := sample()
	_, path := renderOne(t, "links", c, LabelsVI())
	out := run(t, "pdfinfo", "-url", path)
	// One link over the QR code, one over the printed URL.
	if n := strings.Count(out, c.VerifyURL); n != 2 {
		t.Errorf("want 2 link annotations to %s, got %d:\n%s", c.VerifyURL, n, out)
	}
}

func TestRenderManyOnePagePerCertificate(t *testing.T) {
	needTools(t, "pdfinfo", "pdftotext")
	names := []string{"Nguyễn Thị Ánh Tuyết", "Đặng Quốc Bảo", "Hồ Ngọc Hà"}
	var cs []Certificate
	for _, n := range names {
		c := sample()
		c.Holder = n
		cs = append(cs, c)
	}
	_, path := render(t, "team", func(b *bytes.Buffer) error { return RenderMany(b, cs, LabelsVI()) })
	if info := run(t, "pdfinfo", path); !strings.Contains(info, "Pages:           3\n") {
		t.Fatalf("want 3 pages:\n%s", info)
	}
	pages := strings.Split(pdfText(t, path), "\f")
	for i, n := range names {
		if !strings.Contains(pages[i], n) {
			t.Errorf("page %d lacks %q:\n%s", i+1, n, pages[i])
		}
	}
}

func TestRevokedMark(t *testing.T) {
	needTools(t, "pdftotext")
	c := sample()
	_, path := renderOne(t, "valid", c, LabelsVI())
	if txt := pdfText(t, path); strings.Contains(txt, "THU HỒI") {
		t.Errorf("valid certificate shows a revoked mark:\n%s", txt)
	}
	c.Revoked = true
	_, path = renderOne(t, "revoked", c, LabelsVI())
	txt := pdfText(t, path)
	for _, s := range []string{"ĐÃ THU HỒI / REVOKED", LabelsVI().RevokedNote} {
		if !strings.Contains(txt, s) {
			t.Errorf("revoked PDF lacks %q:\n%s", s, txt)
		}
	}
}

func TestRenderRejectsIncompleteData(t *testing.T) {
	for name, mutate := range map[string]func(*Certificate){
		"no holder": func(c *Certificate) { c.Holder = " " },
		"no url":    func(c *Certificate) { c.VerifyURL = "" },
		"no date":   func(c *Certificate) { c.IssuedAt = time.Time{} },
		"score 101": func(c *Certificate) { c.Score = 101 },
	} {
		c := sample()
		mutate(&c)
		if err := Render(&bytes.Buffer{}, c, LabelsVI()); err == nil {
			t.Errorf("%s: want error", name)
		}
	}
	if err := RenderMany(&bytes.Buffer{}, nil, LabelsVI()); err == nil {
		t.Error("RenderMany(nil): want error")
	}
}

func BenchmarkRender(b *testing.B) {
	c, l := sample(), LabelsVI()
	var buf bytes.Buffer
	for b.Loop() {
		buf.Reset()
		if err := Render(&buf, c, l); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(buf.Len()), "pdf-bytes")
}

// BenchmarkRenderMany30 is a whole team: fonts are parsed once per PDF.
func BenchmarkRenderMany30(b *testing.B) {
	cs := make([]Certificate, 30)
	for i := range cs {
		cs[i] = sample()
		cs[i].VerifyURL += strconv.Itoa(i) // distinct QR codes, as in real use
	}
	var buf bytes.Buffer
	for b.Loop() {
		buf.Reset()
		if err := RenderMany(&buf, cs, LabelsVI()); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(buf.Len()), "pdf-bytes")
}

// TestLongTextStaysInsideBorder renders oversized data and checks with
// pdftotext's word boxes that nothing is printed outside the inner border.
func TestLongTextStaysInsideBorder(t *testing.T) {
	needTools(t, "pdftotext")
	c := sample()
	c.Holder = "Tôn Nữ Thị Phương Thảo Nguyễn Hoàng Bảo Ngọc Lan Hương Trần"
	c.Course = "Kỹ năng sử dụng dịch vụ công trực tuyến, ví điện tử và ngân hàng số an toàn cho người cao tuổi"
	c.Certifies = "Tự tạo tài khoản định danh điện tử, nộp hồ sơ trực tuyến, nhận biết và báo cáo tin nhắn, cuộc gọi, đường link lừa đảo"
	c.Place = "Chi hội Phụ nữ khu dân cư số 12, phường Hòa Khánh Bắc, thành phố Đà Nẵng"
	c.Revoked = true
	_, path := renderOne(t, "long", c, LabelsVI())
	out := run(t, "pdftotext", "-bbox", path, "-")
	const mm = 72 / 25.4
	re := regexp.MustCompile(`xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)<`)
	words := re.FindAllStringSubmatch(out, -1)
	if len(words) < 50 {
		t.Fatalf("only %d words found:\n%s", len(words), out)
	}
	for _, w := range words {
		x0, _ := strconv.ParseFloat(w[1], 64)
		x1, _ := strconv.ParseFloat(w[2], 64)
		// The rotated revoked stamp is checked by eye, not here.
		if strings.Contains(LabelsVI().Revoked, w[3]) {
			continue
		}
		if x0 < 12*mm || x1 > (pageW-12)*mm {
			t.Errorf("word %q spans %.0f-%.0f mm, outside the border", w[3], x0/mm, x1/mm)
		}
	}
}

func TestWrap(t *testing.T) {
	pdf := newDoc(LabelsVI())
	pdf.AddPage()
	pdf.SetFont(family, "B", 8)
	for _, s := range []string{
		"Chi hội Phụ nữ khu dân cư số 12, phường Hòa Khánh Bắc, thành phố Đà Nẵng",
		"https://kynangso.example.vn/verify/certificates/K7QM-4TZ9-XH2P?lang=vi&ref=print",
	} {
		lines := wrap(pdf, s, 40)
		if len(lines) < 2 {
			t.Errorf("%q not wrapped: %q", s, lines)
		}
		for _, ln := range lines {
			if w := pdf.GetStringWidth(ln); w > 40 {
				t.Errorf("line %q is %.1f mm, want ≤ 40", ln, w)
			}
		}
		if got := strings.Join(lines, ""); strings.ReplaceAll(s, " ", "") != strings.ReplaceAll(got, " ", "") {
			t.Errorf("wrap lost text: %q -> %q", s, lines)
		}
	}
}

// TestRenderConcurrent guards the shared font bytes and QR cache; run with -race.
func TestRenderConcurrent(t *testing.T) {
	errs := make(chan error, 8)
	for i := range 8 {
		go func() {
			c := sample()
			c.VerifyURL += "?n=" + strconv.Itoa(i%3)
			errs <- Render(io.Discard, c, LabelsVI())
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
