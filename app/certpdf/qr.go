package certpdf

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"slices"

	qrcode "github.com/skip2/go-qrcode"
)

// qrLevel is Medium (15 % recovery): enough for a creased or slightly
// stained paper certificate, while keeping the symbol at version 3-4 for a
// typical verify URL so each module stays large for cheap phone cameras.
const qrLevel = qrcode.Medium

// qrCache holds encoded bitmaps, PNGs and SVGs. 512 entries is a few MB at
// most and covers a busy team's worth of certificates.
var qrCache = newLRU(512)

// qrBitmap returns the QR modules for url, including skip2's 4-module quiet
// zone. Callers must not modify the result (it is shared via the cache).
func qrBitmap(url string) ([][]bool, error) {
	if url == "" {
		return nil, errors.New("certpdf: empty QR content")
	}
	k := lruKey{kind: "bits", url: url}
	if v, ok := qrCache.get(k); ok {
		return v.([][]bool), nil
	}
	q, err := qrcode.New(url, qrLevel)
	if err != nil {
		return nil, fmt.Errorf("certpdf: encode QR: %w", err)
	}
	bits := q.Bitmap()
	qrCache.put(k, bits)
	return bits, nil
}

// QRPNG returns a size×size PNG of the QR code for url (level M, 4-module
// quiet zone). Modules are drawn at a whole number of pixels each, so they
// are all the same width; leftover pixels become extra white margin. If size
// is smaller than the symbol, the image is enlarged to one pixel per module.
func QRPNG(url string, size int) ([]byte, error) {
	k := lruKey{kind: "png", url: url, size: size}
	if v, ok := qrCache.get(k); ok {
		return slices.Clone(v.([]byte)), nil
	}
	bits, err := qrBitmap(url)
	if err != nil {
		return nil, err
	}
	n := len(bits)
	scale := max(size/n, 1)
	side := max(size, n)
	off := (side - n*scale) / 2
	img := image.NewPaletted(image.Rect(0, 0, side, side),
		color.Palette{color.White, color.Black})
	for y, row := range bits {
		for x, dark := range row {
			if !dark {
				continue
			}
			for dy := range scale {
				p := img.PixOffset(off+x*scale, off+y*scale+dy)
				for dx := range scale {
					img.Pix[p+dx] = 1
				}
			}
		}
	}
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&buf, img); err != nil {
		return nil, err
	}
	qrCache.put(k, buf.Bytes())
	return slices.Clone(buf.Bytes()), nil
}

// QRSVG returns the same QR code as a scalable SVG whose viewBox is one unit
// per module, quiet zone included. The white background is explicit so the
// code still scans when placed on a dark page.
func QRSVG(url string) ([]byte, error) {
	k := lruKey{kind: "svg", url: url}
	if v, ok := qrCache.get(k); ok {
		return slices.Clone(v.([]byte)), nil
	}
	bits, err := qrBitmap(url)
	if err != nil {
		return nil, err
	}
	n := len(bits)
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" shape-rendering="crispEdges" role="img">`, n, n, n*8, n*8)
	b.WriteString("<title>")
	if err := xml.EscapeText(&b, []byte(url)); err != nil {
		return nil, err
	}
	b.WriteString("</title>")
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="`, n, n)
	// One path of horizontal runs: far smaller than a rect per module and
	// no hairline seams between neighbouring modules when rasterised.
	eachRun(bits, func(x, y, w int) { fmt.Fprintf(&b, "M%d %dh%dv1h-%dz", x, y, w, w) })
	b.WriteString(`"/></svg>`)
	qrCache.put(k, b.Bytes())
	return slices.Clone(b.Bytes()), nil
}

// eachRun calls fn for every horizontal run of dark modules.
func eachRun(bits [][]bool, fn func(x, y, w int)) {
	for y, row := range bits {
		for x := 0; x < len(row); {
			if !row[x] {
				x++
				continue
			}
			start := x
			for x < len(row) && row[x] {
				x++
			}
			fn(start, y, x-start)
		}
	}
}
