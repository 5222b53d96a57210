package web

import (
	"bytes"
	"strings"

	"github.com/gofiber/fiber/v2"

	"kynangso/app/certcode"
	"kynangso/app/certpdf"
	"kynangso/app/store"
)

// certParam loads the certificate in the URL, for its holder, an admin, or
// the leader of the team it was earned in; anyone else is told it does
// not exist rather than that it is someone else's.
func (s *Server) certParam(c *fiber.Ctx) (*store.Certificate, error) {
	code, err := certcode.Parse(typedCode(c))
	if err != nil {
		return nil, errNotFound
	}
	ct, err := s.store.Certificate(c.UserContext(), code)
	if err != nil {
		return nil, err
	}
	if !s.maySeeCertificate(c, ct) {
		return nil, errNotFound
	}
	return ct, nil
}

func (s *Server) maySeeCertificate(c *fiber.Ctx, ct *store.Certificate) bool {
	u := user(c)
	switch {
	case u == nil:
		return false
	case u.ID == ct.UserID || u.Role == store.RoleAdmin:
		return true
	case ct.TeamID != "":
		t, err := s.store.Team(c.UserContext(), ct.TeamID)
		return err == nil && t.LeaderID == u.ID
	}
	return false
}

func (s *Server) verifyURL(code string) string {
	return s.cfg.BaseURL + "/v/" + certcode.Format(code)
}

func (s *Server) myCertificates(c *fiber.Ctx) error {
	certs, err := s.store.CertificatesOf(c.UserContext(), user(c).ID)
	if err != nil {
		return err
	}
	return s.render(c, "certificates", "certificates.title", fiber.Map{"Certificates": certs, "Courses": s.courses})
}

func (s *Server) certificate(c *fiber.Ctx) error {
	ct, err := s.certParam(c)
	if err != nil {
		return err
	}
	checks, err := s.store.Verifications(c.UserContext(), ct.Code, 20)
	if err != nil {
		return err
	}
	total, err := s.store.CountVerifications(c.UserContext(), ct.Code)
	if err != nil {
		return err
	}
	pv, err := s.practiceOf(c.UserContext(), ct)
	if err != nil {
		return err
	}
	return s.render(c, "certificate", "certificate.title", fiber.Map{
		"Practice": pv, "Cert": ct, "Code": certcode.Format(ct.Code), "Course": s.courses.Get(ct.Course),
		"VerifyURL": s.verifyURL(ct.Code), "Masked": maskName(ct.Holder),
		"Checks": checks, "CheckCount": total, "Mine": ct.UserID == user(c).ID,
		"Replacement": certcode.Format(ct.ReplacedBy), "Saved": c.Query("saved") == "1",
	})
}

// certificatePrivacy records whether the verification page shows the
// holder's full name; only the holder decides.
func (s *Server) certificatePrivacy(c *fiber.Ctx) error {
	ct, err := s.certParam(c)
	if err != nil {
		return err
	}
	if ct.UserID != user(c).ID {
		return errForbidden
	}
	show := c.FormValue("show_full_name") == "yes"
	if err := s.store.SetShowFullName(c.UserContext(), ct.UserID, ct.Code, show); err != nil {
		return err
	}
	return c.Redirect("/certificates/"+certcode.Format(ct.Code)+"?saved=1", fiber.StatusSeeOther)
}

func (s *Server) pdfData(ct *store.Certificate, lang string, pv *practiceView) certpdf.Certificate {
	co := s.courses.Get(ct.Course)
	p := certpdf.Certificate{
		Code: certcode.Format(ct.Code), Holder: holderName(ct, true), Score: ct.Score, IssuedAt: ct.IssuedAt,
		Issuer: s.msgs.T(lang, "app.name"), VerifyURL: s.verifyURL(ct.Code), Revoked: ct.Status == store.CertRevoked,
		Course: ct.Course,
	}
	if co != nil {
		p.Course, p.Certifies = co.Title.In(lang), co.Certifies.In(lang)
	}
	var place []string
	if ct.TeamName != "" {
		place = append(place, ct.TeamName)
	}
	if cm := s.places.Commune(ct.Commune); cm != nil {
		place = append(place, cm.Name+", "+cm.Province.Name)
	}
	p.Place = strings.Join(place, " — ")
	if pv != nil {
		p.Practice = s.msgs.T(lang, "certificate.practice.pdf", "Team", pv.Team, "Date", formatDate(lang, pv.At))
	}
	return p
}

func pdfLabels(lang string) certpdf.Labels {
	if lang == "en" {
		return certpdf.LabelsEN()
	}
	return certpdf.LabelsVI()
}

func (s *Server) certificatePDF(c *fiber.Ctx) error {
	ct, err := s.certParam(c)
	if err != nil {
		return err
	}
	pv, err := s.practiceOf(c.UserContext(), ct)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	lang := s.lang(c)
	if err := certpdf.Render(&buf, s.pdfData(ct, lang, pv), pdfLabels(lang)); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/pdf")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="chung-nhan-`+certcode.Format(ct.Code)+`.pdf"`)
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	return c.Send(buf.Bytes())
}

// The QR codes hold only the public verification URL, so they are public:
// anyone holding the paper already has them.
func (s *Server) qrCode(c *fiber.Ctx) (string, error) {
	code, err := certcode.Parse(typedCode(c))
	if err != nil {
		return "", errNotFound
	}
	if _, err := s.store.Certificate(c.UserContext(), code); err != nil {
		return "", err
	}
	return s.verifyURL(code), nil
}

func (s *Server) certificateQRPNG(c *fiber.Ctx) error {
	url, err := s.qrCode(c)
	if err != nil {
		return err
	}
	png, err := certpdf.QRPNG(url, 512)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "image/png")
	c.Set(fiber.HeaderCacheControl, "public, max-age=86400")
	return c.Send(png)
}

func (s *Server) certificateQRSVG(c *fiber.Ctx) error {
	url, err := s.qrCode(c)
	if err != nil {
		return err
	}
	svg, err := certpdf.QRSVG(url)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "image/svg+xml")
	c.Set(fiber.HeaderCacheControl, "public, max-age=86400")
	return c.Send(svg)
}

// holderName is the name a surface shows: in full for the holder's own
// copies, else as the holder chose (masked by default); a dash once the
// holder has had it erased.
func holderName(ct *store.Certificate, full bool) string {
	n := ct.Holder
	if !full && !ct.ShowFullName {
		n = maskName(n)
	}
	if n == "" {
		n = "—"
	}
	return n
}

// maskName shows the family name and the initials of the other names:
// "Nguyễn Văn An" becomes "Nguyễn V. A.", enough for an employer holding
// the paper, too little for a stranger to learn who holds it.
func maskName(name string) string {
	parts := strings.Fields(name)
	if len(parts) == 0 {
		return ""
	}
	out := []string{parts[0]}
	for _, p := range parts[1:] {
		r := []rune(p)
		out = append(out, string(r[0])+".")
	}
	return strings.Join(out, " ")
}
