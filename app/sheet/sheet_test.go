package sheet

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

var cols = []Column{{"Xã, phường", Text}, {"Người học", Number}, {"Tỷ lệ hộ", Percent}, {"Ngày", Date}}

func rows(n int) [][]any {
	out := make([][]any, n)
	for i := range out {
		out[i] = []any{"Phường Hải Dương", i, 0.25, time.Date(2026, 11, 30, 20, 0, 0, 0, time.UTC)}
	}
	if n > 0 {
		out[0][0] = "=1+1"
	}
	return out
}

func TestXLSXCellsKeepTheirKinds(t *testing.T) {
	for _, n := range []int{0, 3, widthRows + 50} {
		var buf bytes.Buffer
		w, err := NewXLSX(&buf, "Bảng", cols)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows(n) {
			if err := w.Write(r); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		f, err := excelize.OpenReader(&buf)
		if err != nil {
			t.Fatal(err)
		}
		got, err := f.GetRows("Bảng")
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != n+1 || strings.Join(got[0], "|") != "Xã, phường|Người học|Tỷ lệ hộ|Ngày" {
			t.Fatalf("%d rows: read back %d rows, header %v", n, len(got), got[0])
		}
		panes, err := f.GetPanes("Bảng")
		if err != nil || !panes.Freeze || panes.YSplit != 1 {
			t.Errorf("header not frozen: %+v %v", panes, err)
		}
		if n == 0 {
			continue
		}
		// Formatted as the screen shows them, typed as numbers and dates.
		if strings.Join(got[n], "|") != "Phường Hải Dương|"+strconv.Itoa(n-1)+"|25.00%|01/12/2026" {
			t.Errorf("last row %v", got[n])
		}
		if got[1][0] != "=1+1" {
			t.Errorf("a text that looks like a formula is %q", got[1][0])
		}
		// Numbers, shares and dates are stored as numbers (no type, or
		// "n"), the text as a string.
		for _, cell := range []string{"B2", "C2", "D2"} {
			typ, _ := f.GetCellType("Bảng", cell)
			raw, _ := f.GetCellValue("Bảng", cell, excelize.Options{RawCellValue: true})
			if _, err := strconv.ParseFloat(raw, 64); err != nil || (typ != excelize.CellTypeUnset && typ != excelize.CellTypeNumber) {
				t.Errorf("%s holds %q of type %v, want a number", cell, raw, typ)
			}
		}
		if raw, _ := f.GetCellValue("Bảng", "D2", excelize.Options{RawCellValue: true}); raw != "46357" {
			t.Errorf("1 December 2026 is stored as %q, want Excel's day 46357", raw)
		}
		if typ, _ := f.GetCellType("Bảng", "A2"); typ != excelize.CellTypeInlineString && typ != excelize.CellTypeSharedString {
			t.Errorf("A2 is of type %v, want a string", typ)
		}
		if f, _ := f.GetCellFormula("Bảng", "A2"); f != "" {
			t.Errorf("A2 holds a formula %q", f)
		}
		cw, _ := f.GetColWidth("Bảng", "A")
		if cw < 16 || cw > 62 {
			t.Errorf("column A is %v wide for its 16 letters", cw)
		}
	}
}

func TestCSV(t *testing.T) {
	var buf bytes.Buffer
	w, _ := NewCSV(&buf, cols)
	for _, r := range rows(2) {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	want := "\ufeff\"Xã, phường\",Người học,Tỷ lệ hộ,Ngày\n'=1+1,0,25.0%,2026-12-01\nPhường Hải Dương,1,25.0%,2026-12-01\n"
	if buf.String() != want {
		t.Errorf("CSV:\n%q\nwant\n%q", buf.String(), want)
	}
}
