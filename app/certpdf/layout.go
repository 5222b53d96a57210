package certpdf

import (
	"fmt"
	"strconv"
	"strings"

	"codeberg.org/go-pdf/fpdf"
)

// Page geometry in mm (A4 landscape) and the colour scheme.
const (
	family = "dejavu"
	pageW  = 297.0
	pageH  = 210.0
	cx     = pageW / 2
	textW  = 250.0 // widest a centred line may get inside the borders

	qrSymbolW = 38.0  // QR without quiet zone; ≥35 mm scans from paper
	qrCX      = 240.0 // centre of the QR column
	qrTop     = 131.0
)

type rgb struct{ r, g, b int }

var (
	blue = rgb{27, 79, 114}
	gold = rgb{183, 137, 46}
	ink  = rgb{34, 34, 34}
	grey = rgb{102, 102, 102}
	red  = rgb{192, 32, 38}
)

func drawPage(pdf *fpdf.Fpdf, c Certificate, l Labels) error {
	pdf.AddPage()
	drawFrame(pdf, !c.Revoked) // the revoked banner covers the top corners
	drawSeal(pdf, clean(c.Issuer), c.IssuedAt.In(vnTime).Year())

	centred(pdf, strings.ToUpper(clean(c.Issuer)), font{"B", 12, 10, blue, 1}, textW, cx, 30)
	centred(pdf, l.Title, font{"B", 34, 20, blue, 1}, textW, cx, 47)
	line(pdf, gold, 0.6, cx-35, 53, cx+35, 53)

	centred(pdf, l.PresentedTo, font{"", 12, 9, grey, 1}, textW, cx, 66)
	centred(pdf, clean(c.Holder), font{"B", 30, 16, ink, 1}, textW, cx, 82)
	line(pdf, grey, 0.2, cx-80, 86.5, cx+80, 86.5)
	centred(pdf, l.Completed, font{"", 12, 9, grey, 1}, textW, cx, 97)
	centred(pdf, clean(c.Course), font{"B", 18, 11, blue, 1}, textW, cx, 108)
	if s := clean(c.Certifies); s != "" {
		centred(pdf, l.Certifies+": "+s, font{"", 11, 9, ink, 2}, textW, cx, 120)
	}

	rows := [][2]string{
		{l.Score, fmt.Sprintf("%d%%", c.Score)},
		{l.IssuedOn, c.IssuedAt.In(vnTime).Format(l.DateLayout)},
		{l.Code, clean(c.Code)},
	}
	if p := clean(c.Place); p != "" {
		rows = append(rows, [2]string{l.Place, p})
	}
	if p := clean(c.Practice); p != "" {
		rows = append(rows, [2]string{l.Practice, p})
	}
	rows = append(rows, [2]string{l.Issuer, clean(c.Issuer)})
	for i, r := range rows {
		y := 142 + float64(i)*9
		leftAt(pdf, r[0], font{"", 9.5, 7, grey, 1}, 44, 30, y)
		leftAt(pdf, r[1], font{"B", 11.5, 8, ink, 2}, 80, 72, y)
	}

	if err := drawQR(pdf, c.VerifyURL, l.ScanToCheck); err != nil {
		return err
	}
	if c.Revoked {
		drawRevoked(pdf, l)
	}
	return pdf.Error()
}

// drawFrame draws a double border with small gold corner brackets.
func drawFrame(pdf *fpdf.Fpdf, topCorners bool) {
	pdf.SetDrawColor(blue.r, blue.g, blue.b)
	pdf.SetLineWidth(1.2)
	pdf.Rect(8, 8, pageW-16, pageH-16, "D")
	pdf.SetDrawColor(gold.r, gold.g, gold.b)
	pdf.SetLineWidth(0.35)
	pdf.Rect(11.5, 11.5, pageW-23, pageH-23, "D")
	const in, arm = 15.0, 14.0
	pdf.SetLineWidth(0.8)
	for _, p := range [][4]float64{
		{in, in, 1, 1}, {pageW - in, in, -1, 1},
		{in, pageH - in, 1, -1}, {pageW - in, pageH - in, -1, -1},
	} {
		if p[3] > 0 && !topCorners {
			continue
		}
		pdf.Line(p[0], p[1], p[0]+p[2]*arm, p[1])
		pdf.Line(p[0], p[1], p[0], p[1]+p[3]*arm)
	}
}

// drawSeal draws a decorative gold rosette between the details and the QR
// code; it balances the bottom half of the page.
func drawSeal(pdf *fpdf.Fpdf, issuer string, year int) {
	const x, y = 174.0, 160.0
	pdf.SetDrawColor(gold.r, gold.g, gold.b)
	pdf.SetLineWidth(0.9)
	pdf.Circle(x, y, 16, "D")
	pdf.SetLineWidth(0.3)
	pdf.Circle(x, y, 13.5, "D")
	centred(pdf, "★", font{"", 13, 13, gold, 1}, 20, x, y-3.5)
	centred(pdf, strings.ToUpper(issuer), font{"B", 7, 4.5, gold, 1}, 23, x, y+2)
	centred(pdf, strconv.Itoa(year), font{"B", 8, 8, gold, 1}, 20, x, y+8)
}

func line(pdf *fpdf.Fpdf, col rgb, width, x1, y1, x2, y2 float64) {
	pdf.SetDrawColor(col.r, col.g, col.b)
	pdf.SetLineWidth(width)
	pdf.Line(x1, y1, x2, y2)
}

// drawQR draws the QR as vector modules (sharp at any print resolution),
// with the caption above and the clickable URL below. The modules are
// written as raw PDF operators in module units under one scaling matrix:
// "x y w 1 re" per dark run is ~10 bytes, which keeps a 30-page team PDF
// small, and filling all runs as a single path leaves no hairline seams
// between modules when rasterised (seams can upset decoders).
func drawQR(pdf *fpdf.Fpdf, url, caption string) error {
	bits, err := qrBitmap(url)
	if err != nil {
		return err
	}
	const quiet = 4 // skip2 includes a 4-module quiet zone
	m := qrSymbolW / float64(len(bits)-2*quiet)
	side := m * float64(len(bits))
	x0, y0 := qrCX-side/2, qrTop

	// Caption and URL stay outside the quiet zone, which must be blank.
	centred(pdf, caption, font{"", 9, 7, grey, 1}, side+30, qrCX, y0-1)
	pdf.SetFillColor(255, 255, 255)
	pdf.Rect(x0, y0, side, side, "F")
	k := pdf.GetConversionRatio()
	var b strings.Builder
	fmt.Fprintf(&b, "q 0 g %.4f 0 0 %.4f %.2f %.2f cm\n", m*k, -m*k, x0*k, (pageH-y0)*k)
	eachRun(bits, func(x, y, w int) { fmt.Fprintf(&b, "%d %d %d 1 re\n", x, y, w) })
	b.WriteString("f Q")
	pdf.RawWriteStr(b.String())
	pdf.LinkString(x0, y0, side, side, url)

	// Up to two lines: the URL is what someone types when QR fails.
	at := centred(pdf, url, font{"", 8.5, 7.5, blue, 2}, 84, qrCX, y0+side+3)
	pdf.LinkString(at.x, at.y, at.w, at.h, url)
	return nil
}

// drawRevoked adds a red banner across the top and a translucent rotated
// stamp across the middle. The stamp stays clear of the QR code so the code
// still scans and the verify page can explain the revocation.
func drawRevoked(pdf *fpdf.Fpdf, l Labels) {
	pdf.SetFillColor(red.r, red.g, red.b)
	pdf.Rect(11.5, 13, pageW-23, 9, "F")
	centred(pdf, l.Revoked+" — "+l.RevokedNote, font{"B", 11, 7, rgb{255, 255, 255}, 1}, pageW-30, cx, 19.2)

	pdf.TransformBegin()
	pdf.TransformRotate(18, cx, 100)
	pdf.SetAlpha(0.4, "Normal")
	at := centred(pdf, l.Revoked, font{"B", 54, 20, red, 1}, 215, cx, 100+7)
	pdf.SetDrawColor(red.r, red.g, red.b)
	pdf.SetLineWidth(2)
	pdf.Rect(at.x-8, 100-14, at.w+16, 28, "D")
	pdf.SetAlpha(1, "Normal")
	pdf.TransformEnd()
}
