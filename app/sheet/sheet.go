// Package sheet writes a table as a file a spreadsheet opens: CSV, or
// XLSX through excelize, whose cells keep their kinds (numbers as
// numbers, dates as dates, shares as percentages). Both stream: a table of
// a hundred thousand rows never sits whole in memory.
package sheet

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// Kind is what a column holds.
type Kind uint8

const (
	Text    Kind = iota // string
	Number              // int
	Percent             // float64, a share: 0.25 is 25 %
	Date                // time.Time; the zero time is an empty cell
)

// Column is a header and the kind of its cells.
type Column struct {
	Title string
	Kind  Kind
}

// Writer takes rows, one cell per column; a nil cell is empty.
type Writer interface {
	Write(row []any) error
	// Close finishes the file; nothing is complete before it.
	Close() error
}

// Dates are written in Vietnam's time zone, as the pages show them.
var vnTime = time.FixedZone("ICT", 7*3600)

type csvWriter struct {
	bw   *bufio.Writer
	w    *csv.Writer
	cols []Column
	line []string
}

// NewCSV writes UTF-8 with a byte-order mark (so that Excel reads the
// Vietnamese right) and the header row.
func NewCSV(w io.Writer, cols []Column) (Writer, error) {
	bw := bufio.NewWriterSize(w, 1<<15)
	bw.WriteString("\ufeff")
	cw := &csvWriter{bw: bw, w: csv.NewWriter(bw), cols: cols, line: make([]string, len(cols))}
	for i, c := range cols {
		cw.line[i] = c.Title
	}
	return cw, cw.w.Write(cw.line)
}

func (cw *csvWriter) Write(row []any) error {
	for i := range cw.cols {
		cw.line[i] = ""
		if i < len(row) && row[i] != nil {
			cw.line[i] = csvCell(cw.cols[i].Kind, row[i])
		}
	}
	return cw.w.Write(cw.line)
}

func csvCell(k Kind, v any) string {
	switch x := v.(type) {
	case string:
		return formulaSafe(x)
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		if k == Percent {
			return strconv.FormatFloat(x*100, 'f', 1, 64) + "%"
		}
		return strconv.FormatFloat(x, 'f', -1, 64)
	case time.Time:
		if x.IsZero() {
			return ""
		}
		return x.In(vnTime).Format("2006-01-02")
	}
	return fmt.Sprint(v)
}

// formulaSafe keeps a spreadsheet from running a text that starts like a
// formula (a name typed as "=HYPERLINK(…)").
func formulaSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func (cw *csvWriter) Close() error {
	cw.w.Flush()
	if err := cw.w.Error(); err != nil {
		return err
	}
	return cw.bw.Flush()
}

// widthRows is how many rows decide the columns' widths: excelize wants
// widths before the first row, so these wait in memory.
const widthRows = 200

type xlsxWriter struct {
	out    io.Writer
	f      *excelize.File
	sw     *excelize.StreamWriter
	cols   []Column
	styles []int
	held   [][]any
	row    int
	cells  []any
}

// NewXLSX writes a workbook of one sheet: a bold header row, frozen, and
// the rows under it.
func NewXLSX(w io.Writer, sheetName string, cols []Column) (Writer, error) {
	f := excelize.NewFile()
	if err := f.SetSheetName("Sheet1", sheetName); err != nil {
		return nil, err
	}
	sw, err := f.NewStreamWriter(sheetName)
	if err != nil {
		return nil, err
	}
	xw := &xlsxWriter{out: w, f: f, sw: sw, cols: cols, styles: make([]int, len(cols)), cells: make([]any, len(cols))}
	pct, err := f.NewStyle(&excelize.Style{NumFmt: 10}) // 0.00%
	if err != nil {
		return nil, err
	}
	dateFmt := "dd/mm/yyyy"
	date, err := f.NewStyle(&excelize.Style{CustomNumFmt: &dateFmt})
	if err != nil {
		return nil, err
	}
	for i, c := range cols {
		switch c.Kind {
		case Percent:
			xw.styles[i] = pct
		case Date:
			xw.styles[i] = date
		}
	}
	return xw, nil
}

func (xw *xlsxWriter) Write(row []any) error {
	if xw.held != nil || xw.row == 0 {
		if len(xw.held) < widthRows {
			xw.held = append(xw.held, append([]any(nil), row...))
			return nil
		}
		if err := xw.start(); err != nil {
			return err
		}
	}
	return xw.put(row)
}

// start sets widths from the header and the held rows, writes the
// header, freezes it, and writes the held rows.
func (xw *xlsxWriter) start() error {
	for i, c := range xw.cols {
		w := utf8.RuneCountInString(c.Title)
		for _, r := range xw.held {
			if i < len(r) && r[i] != nil {
				w = max(w, utf8.RuneCountInString(csvCell(c.Kind, r[i])))
			}
		}
		if c.Kind == Date {
			w = max(w, 10)
		}
		if err := xw.sw.SetColWidth(i+1, i+1, float64(min(w, 60)+2)); err != nil {
			return err
		}
	}
	if err := xw.sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	bold, err := xw.f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	head := make([]any, len(xw.cols))
	for i, c := range xw.cols {
		head[i] = excelize.Cell{StyleID: bold, Value: c.Title}
	}
	xw.row = 1
	if err := xw.sw.SetRow("A1", head); err != nil {
		return err
	}
	held := xw.held
	xw.held = nil
	for _, r := range held {
		if err := xw.put(r); err != nil {
			return err
		}
	}
	return nil
}

func (xw *xlsxWriter) put(row []any) error {
	xw.row++
	for i := range xw.cols {
		var v any
		if i < len(row) {
			v = row[i]
		}
		if t, ok := v.(time.Time); ok {
			if t.IsZero() {
				v = nil
			} else {
				// Excel's dates have no zone: the day as Vietnam sees it.
				lt := t.In(vnTime)
				v = time.Date(lt.Year(), lt.Month(), lt.Day(), 0, 0, 0, 0, time.UTC)
			}
		}
		xw.cells[i] = excelize.Cell{StyleID: xw.styles[i], Value: v}
	}
	cell, err := excelize.CoordinatesToCellName(1, xw.row)
	if err != nil {
		return err
	}
	return xw.sw.SetRow(cell, xw.cells)
}

func (xw *xlsxWriter) Close() error {
	defer xw.f.Close()
	if xw.row == 0 {
		if err := xw.start(); err != nil {
			return err
		}
	}
	if err := xw.sw.Flush(); err != nil {
		return err
	}
	_, err := xw.f.WriteTo(xw.out)
	return err
}
