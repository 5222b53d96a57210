package certpdf

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const testURL = "https://kynangso.example.vn/v/K7QM-4TZ9-XH2P"

func TestQRPNGDecodes(t *testing.T) {
	needTools(t, "zbarimg")
	for _, size := range []int{256, 300} {
		b, err := QRPNG(testURL, size)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "qr.png")
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		if got := zbar(t, path); got != testURL {
			t.Errorf("size %d: zbarimg read %q, want %q", size, got, testURL)
		}
	}
}

// TestQRPNGQuietZone checks the image size and that at least 4 modules of
// white surround the symbol, which many phone scanners need.
func TestQRPNGQuietZone(t *testing.T) {
	bits, _ := qrBitmap(testURL)
	for _, size := range []int{10, 256, 300} {
		b, err := QRPNG(testURL, size)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		side := max(size, len(bits))
		if r := img.Bounds(); r.Dx() != side || r.Dy() != side {
			t.Fatalf("size %d: image is %v", size, r)
		}
		scale := max(size/len(bits), 1)
		margin := (side-len(bits)*scale)/2 + 4*scale
		firstDark := -1
		for x := 0; x < side && firstDark < 0; x++ {
			for y := range side {
				if r, _, _, _ := img.At(x, y).RGBA(); r == 0 {
					firstDark = x
					break
				}
			}
		}
		if firstDark != margin {
			t.Errorf("size %d: first dark column %d, want quiet zone to end at %d", size, firstDark, margin)
		}
	}
}

func TestQRSVG(t *testing.T) {
	b, err := QRSVG(testURL)
	if err != nil {
		t.Fatal(err)
	}
	dec := xml.NewDecoder(bytes.NewReader(b))
	var root *xml.StartElement
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("invalid XML: %v\n%s", err, b)
		}
		if se, ok := tok.(xml.StartElement); ok && root == nil {
			root = &se
		}
	}
	if root == nil || root.Name.Local != "svg" || root.Name.Space != "http://www.w3.org/2000/svg" {
		t.Fatalf("root element is %+v", root)
	}
	bits, _ := qrBitmap(testURL)
	want := fmt.Sprintf("0 0 %d %d", len(bits), len(bits))
	var got string
	for _, a := range root.Attr {
		if a.Name.Local == "viewBox" {
			got = a.Value
		}
	}
	if got != want {
		t.Errorf("viewBox %q, want %q (quiet zone included)", got, want)
	}

	// Rasterise with a real SVG renderer and scan it, when available.
	needTools(t, "rsvg-convert", "zbarimg")
	dir := t.TempDir()
	svg, pngPath := filepath.Join(dir, "qr.svg"), filepath.Join(dir, "qr.png")
	os.WriteFile(svg, b, 0o644)
	run(t, "rsvg-convert", "-w", "300", "-o", pngPath, svg)
	if got := zbar(t, pngPath); got != testURL {
		t.Errorf("SVG scans as %q, want %q", got, testURL)
	}
}

func TestQRRejectsEmpty(t *testing.T) {
	if _, err := QRPNG("", 256); err == nil {
		t.Error("QRPNG(\"\"): want error")
	}
	if _, err := QRSVG(""); err == nil {
		t.Error("QRSVG(\"\"): want error")
	}
}

func TestQRCache(t *testing.T) {
	a, _ := QRPNG(testURL, 256)
	a[len(a)/2] ^= 0xff // callers scribbling on their copy must not corrupt the cache
	b, _ := QRPNG(testURL, 256)
	c, _ := QRPNG(testURL, 256)
	if !bytes.Equal(b, c) || bytes.Equal(a, b) {
		t.Error("cached PNG was modified through a returned slice")
	}
	small := newLRU(3)
	for i := range 10 {
		small.put(lruKey{url: strings.Repeat("x", i)}, i)
	}
	if small.len() != 3 {
		t.Errorf("cache holds %d entries, cap 3", small.len())
	}
	if _, ok := small.get(lruKey{url: strings.Repeat("x", 9)}); !ok {
		t.Error("most recent entry evicted")
	}
	if _, ok := small.get(lruKey{url: ""}); ok {
		t.Error("oldest entry not evicted")
	}
}

func BenchmarkQRPNG(b *testing.B) {
	for b.Loop() {
		if _, err := QRPNG(testURL, 256); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkQRPNGUncached uses a new URL each time: the real encode cost.
func BenchmarkQRPNGUncached(b *testing.B) {
	i := 0
	for b.Loop() {
		i++
		if _, err := QRPNG(fmt.Sprintf("%s?%d", testURL, i), 256); err != nil {
			b.Fatal(err)
		}
	}
}
