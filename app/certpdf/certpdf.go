// Package certpdf renders Kỹ Năng Số certificates as A4 landscape PDFs with
// a QR code that links to the public verification page, and renders that QR
// code on its own (PNG, SVG) for the web.
package certpdf

import (
	_ "embed"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"codeberg.org/go-pdf/fpdf"
	"golang.org/x/text/unicode/norm"
)

// DejaVu Sans covers every Vietnamese precomposed letter. fpdf embeds only
// the glyphs a document uses, which keeps each PDF around 50 KB.
// Licence: fonts/LICENSE-DejaVu.txt.
var (
	//go:embed fonts/DejaVuSans.ttf
	fontRegular []byte
	//go:embed fonts/DejaVuSans-Bold.ttf
	fontBold []byte
)

// Certificate is the data printed on one certificate.
type Certificate struct {
	Code      string // e.g. "K7QM-4TZ9-XH2P"
	Holder    string // full name as printed
	Course    string // course title, in the PDF's language
	Certifies string // one line: the competences certified
	Score     int    // percent, 0-100
	IssuedAt  time.Time
	Issuer    string // e.g. "Kỹ Năng Số"
	Place     string // team / commune; optional
	// Practice says who confirmed the practical tasks in person, and
	// when, e.g. "Tổ thôn Đông xác nhận, 02/11/2026"; optional.
	Practice  string
	VerifyURL string // printed, clickable and encoded in the QR code
	Revoked   bool   // adds a red banner and a diagonal "revoked" stamp
}

// vnTime is Vietnam's zone (UTC+7, no daylight saving). Issue times are
// usually stored in UTC; printing them in UTC would show the previous day
// for anything issued before 07:00 local time. A fixed zone avoids needing
// tzdata on the server.
var vnTime = time.FixedZone("ICT", 7*3600)

func (c Certificate) validate() error {
	switch {
	case strings.TrimSpace(c.Holder) == "":
		return errors.New("certpdf: certificate has no holder")
	case strings.TrimSpace(c.Code) == "":
		return errors.New("certpdf: certificate has no code")
	case strings.TrimSpace(c.Course) == "":
		return errors.New("certpdf: certificate has no course")
	case c.VerifyURL == "":
		return errors.New("certpdf: certificate has no verify URL")
	case c.IssuedAt.IsZero():
		return errors.New("certpdf: certificate has no issue date")
	case c.Score < 0 || c.Score > 100:
		return fmt.Errorf("certpdf: score %d is not a percentage", c.Score)
	}
	return nil
}

// Render writes a one-page PDF for c.
func Render(w io.Writer, c Certificate, l Labels) error {
	if err := c.validate(); err != nil {
		return err
	}
	pdf := newDoc(l)
	pdf.SetTitle(l.Title+" – "+clean(c.Holder), true)
	pdf.SetSubject(clean(c.Course), true)
	pdf.SetAuthor(clean(c.Issuer), true)
	if err := drawPage(pdf, c, l); err != nil {
		return err
	}
	return pdf.Output(w)
}

// RenderMany writes one PDF with one page per certificate, e.g. a whole
// team's certificates for printing in one go.
func RenderMany(w io.Writer, cs []Certificate, l Labels) error {
	if len(cs) == 0 {
		return errors.New("certpdf: no certificates to render")
	}
	pdf := newDoc(l)
	pdf.SetTitle(l.Title, true)
	pdf.SetAuthor(clean(cs[0].Issuer), true)
	for i, c := range cs {
		if err := c.validate(); err != nil {
			return fmt.Errorf("certificate %d (%s): %w", i+1, c.Code, err)
		}
		if err := drawPage(pdf, c, l); err != nil {
			return err
		}
	}
	return pdf.Output(w)
}

func newDoc(l Labels) *fpdf.Fpdf {
	pdf := fpdf.New("L", "mm", "A4", "")
	pdf.SetAutoPageBreak(false, 0)
	pdf.SetMargins(0, 0, 0)
	pdf.SetCreator("Kỹ Năng Số", true)
	pdf.SetLang(l.Lang)
	pdf.AddUTF8FontFromBytes(family, "", fontRegular)
	pdf.AddUTF8FontFromBytes(family, "B", fontBold)
	return pdf
}

func nfcString(s string) string { return norm.NFC.String(s) }
