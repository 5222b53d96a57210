package certpdf

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"codeberg.org/go-pdf/fpdf"
)

// font is a text style. Text first shrinks in half points down to min to
// stay on one line; if it still does not fit it wraps onto up to lines
// lines (shrinking further to a 5 pt floor), and only then is cut with "…".
// So long names or places never run off the page or over the QR code.
type font struct {
	style     string
	size, min float64
	col       rgb
	lines     int // maximum lines
}

// box is where a text block landed (top-left, size), e.g. for a link.
type box struct{ x, y, w, h float64 }

// centred draws s centred on x; y is the baseline of the first line.
func centred(pdf *fpdf.Fpdf, s string, f font, maxW, x, y float64) box {
	return place(pdf, s, f, maxW, x, y, true)
}

// leftAt draws s starting at x; y is the baseline of the first line.
func leftAt(pdf *fpdf.Fpdf, s string, f font, maxW, x, y float64) box {
	return place(pdf, s, f, maxW, x, y, false)
}

func place(pdf *fpdf.Fpdf, s string, f font, maxW, x, y float64, centre bool) box {
	lines, size := fit(pdf, s, f, maxW)
	pdf.SetTextColor(f.col.r, f.col.g, f.col.b)
	const ptMM = 25.4 / 72
	lh := size * ptMM * 1.25
	bx := box{x: x, y: y - size*ptMM*0.8, h: float64(len(lines)-1)*lh + size*ptMM}
	for i, ln := range lines {
		w := pdf.GetStringWidth(ln)
		lx := x
		if centre {
			lx = x - w/2
		}
		pdf.Text(lx, y+float64(i)*lh, ln)
		bx.x, bx.w = min(bx.x, lx), max(bx.w, w)
	}
	if centre {
		bx.x = x - bx.w/2
	}
	return bx
}

// fit picks the lines and font size for s (see font) and leaves that font set.
func fit(pdf *fpdf.Fpdf, s string, f font, maxW float64) ([]string, float64) {
	size := f.size
	pdf.SetFont(family, f.style, size)
	for pdf.GetStringWidth(s) > maxW {
		if size <= f.min {
			break
		}
		size -= 0.5
		pdf.SetFontSize(size)
	}
	if pdf.GetStringWidth(s) <= maxW {
		return []string{s}, size
	}
	maxLines := max(f.lines, 1)
	lines := wrap(pdf, s, maxW)
	for len(lines) > maxLines && size > 5 {
		size -= 0.5
		pdf.SetFontSize(size)
		lines = wrap(pdf, s, maxW)
	}
	if len(lines) > maxLines {
		lines = lines[:maxLines]
		last := []rune(lines[maxLines-1])
		for len(last) > 0 && pdf.GetStringWidth(string(last)+"…") > maxW {
			last = last[:len(last)-1]
		}
		lines[maxLines-1] = string(last) + "…"
	}
	return lines, size
}

// wrap breaks s into lines no wider than maxW in the current font. Unlike
// fpdf's SplitText it breaks a word wider than a line (a URL) after its last
// fitting "/" rather than mid-word, so a wrapped URL stays readable.
func wrap(pdf *fpdf.Fpdf, s string, maxW float64) []string {
	var lines []string
	cur := ""
	for _, word := range strings.Fields(s) {
		for pdf.GetStringWidth(word) > maxW {
			if cur != "" {
				lines, cur = append(lines, cur), ""
			}
			n := breakAt(pdf, word, maxW)
			lines, word = append(lines, word[:n]), word[n:]
		}
		if try := strings.TrimSpace(cur + " " + word); pdf.GetStringWidth(try) <= maxW {
			cur = try
		} else {
			lines, cur = append(lines, cur), word
		}
	}
	if cur != "" {
		lines = append(lines, cur)
	}
	return lines
}

// breakAt returns the byte length of the longest prefix of word that fits
// maxW, shortened to just after a "/" if one falls in it; at least one rune.
func breakAt(pdf *fpdf.Fpdf, word string, maxW float64) int {
	n := 0
	for i, r := range word {
		if i > 0 && pdf.GetStringWidth(word[:i+utf8.RuneLen(r)]) > maxW {
			break
		}
		n = i + utf8.RuneLen(r)
	}
	if j := strings.LastIndexByte(word[:n], '/'); j > 0 {
		n = j + 1
	}
	return n
}

// clean prepares caller text for printing: NFC composition (some Vietnamese
// keyboards emit a base letter plus combining marks, and fpdf does no mark
// positioning), single spaces, and no control characters or runes outside
// the Basic Multilingual Plane (emoji), which the font lacks and which
// fpdf's line splitter cannot index.
func clean(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case unicode.IsSpace(r):
			return ' '
		case r > 0xFFFF || unicode.IsControl(r):
			return -1
		}
		return r
	}, nfcString(s))
	return strings.Join(strings.Fields(s), " ")
}
