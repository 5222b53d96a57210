package web

import (
	"cmp"
	"fmt"
	"html/template"
	"io"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"kynangso/app/locality"
	"kynangso/app/sheet"
)

// grid is a table as an official or a leader sees it: the page shows it
// and the downloads write the same rows and columns, so that what is on
// the screen is what opens in Excel.
type grid struct {
	Cols []gridCol
	Rows []gridRow
	// Total is a last line of sums, shown and exported after the rows.
	Total []any
	// Sort is the column the rows are ordered by; Desc, largest first.
	Sort int
	Desc bool
	// SortLinks sort by each column (none when the order is fixed).
	SortLinks []string
	// LinkAt is the column whose cell carries the row's link.
	LinkAt int
}

type gridCol struct {
	Title string
	Kind  sheet.Kind
}

type gridRow struct {
	Cells []any
	Link  string // where the cell at LinkAt leads, if anywhere
}

func (g *grid) columns() []sheet.Column {
	out := make([]sheet.Column, len(g.Cols))
	for i, c := range g.Cols {
		out[i] = sheet.Column{Title: c.Title, Kind: c.Kind}
	}
	return out
}

// sortBy orders rows by column i (ties by the first column). Texts are
// compared folded (no case, no diacritics), each folded once.
func (g *grid) sortBy(i int, desc bool) {
	if i < 0 || i >= len(g.Cols) {
		i, desc = 0, false
	}
	g.Sort, g.Desc = i, desc
	fold := func(col int) []string {
		if g.Cols[col].Kind != sheet.Text {
			return nil
		}
		out := make([]string, len(g.Rows))
		for r, row := range g.Rows {
			s, _ := row.Cells[col].(string)
			out[r] = locality.Fold(s)
		}
		return out
	}
	byCol, byFirst := fold(i), fold(0)
	order := make([]int, len(g.Rows))
	for r := range order {
		order[r] = r
	}
	cell := func(keys []string, r, col int) any {
		if keys != nil {
			return keys[r]
		}
		return g.Rows[r].Cells[col]
	}
	slices.SortStableFunc(order, func(a, b int) int {
		c := compareCells(cell(byCol, a, i), cell(byCol, b, i))
		if desc {
			c = -c
		}
		if c == 0 {
			c = compareCells(cell(byFirst, a, 0), cell(byFirst, b, 0))
		}
		return c
	})
	rows := make([]gridRow, len(order))
	for r, o := range order {
		rows[r] = g.Rows[o]
	}
	g.Rows = rows
}

func compareCells(a, b any) int {
	switch x := a.(type) {
	case int:
		y, _ := b.(int)
		return cmp.Compare(x, y)
	case float64:
		y, ok := b.(float64)
		if !ok {
			return 1 // a share before none
		}
		return cmp.Compare(x, y)
	case string:
		y, _ := b.(string)
		return cmp.Compare(x, y)
	case time.Time:
		y, _ := b.(time.Time)
		return x.Compare(y)
	case nil:
		if b == nil {
			return 0
		}
		return -1
	}
	return 0
}

// filter keeps rows whose first cell contains q, ignoring case and
// diacritics.
func (g *grid) filter(q string) {
	q = locality.Fold(strings.TrimSpace(q))
	if q == "" {
		return
	}
	g.Rows = slices.DeleteFunc(g.Rows, func(r gridRow) bool {
		s, _ := r.Cells[0].(string)
		return !strings.Contains(locality.Fold(s), q)
	})
}

// fromQuery sorts by ?sort=N and ?desc=1.
func (g *grid) fromQuery(c *fiber.Ctx, defaultCol int, defaultDesc bool) {
	col, err := strconv.Atoi(c.Query("sort"))
	desc := c.Query("desc") == "1"
	if err != nil {
		col, desc = defaultCol, defaultDesc
	}
	g.sortBy(col, desc)
	g.SortLinks = make([]string, len(g.Cols))
	for i := range g.Cols {
		g.SortLinks[i] = g.sortLink(c, i)
	}
}

// sortLink is the address that sorts by column i: largest first for
// numbers, then the other way on a second tap.
func (g *grid) sortLink(c *fiber.Ctx, i int) string {
	desc := g.Cols[i].Kind != sheet.Text
	if g.Sort == i {
		desc = !g.Desc
	}
	d := "0"
	if desc {
		d = "1"
	}
	q, _ := url.ParseQuery(string(c.Request().URI().QueryString()))
	q.Set("sort", strconv.Itoa(i))
	q.Set("desc", d)
	q.Del("page")
	return "?" + q.Encode()
}

// HTML draws rows of the grid as a table: in Go rather than in a
// template, which spent most of a province page's time on its cells.
func (s *Server) gridHTML(lang, label string, g *grid, rows []gridRow) template.HTML {
	var b strings.Builder
	esc := template.HTMLEscapeString
	b.WriteString(`<div class="table-wrap" tabindex="0" role="region" aria-label="` + esc(label) + `"><table class="grid"><thead><tr>`)
	for i, c := range g.Cols {
		b.WriteString(`<th scope="col">`)
		if g.SortLinks == nil {
			b.WriteString(esc(c.Title))
		} else {
			b.WriteString(`<a href="` + esc(g.SortLinks[i]) + `"`)
			if i == g.Sort {
				dir, arrow := "ascending", " ↑"
				if g.Desc {
					dir, arrow = "descending", " ↓"
				}
				b.WriteString(` aria-sort="` + dir + `">` + esc(c.Title) + arrow)
			} else {
				b.WriteString(">" + esc(c.Title))
			}
			b.WriteString("</a>")
		}
		b.WriteString("</th>")
	}
	b.WriteString("</tr></thead><tbody>\n")
	line := func(cells []any, link string) {
		b.WriteString("<tr>")
		for i, v := range cells {
			tag := "td"
			if i == 0 {
				tag = `th scope="row"`
			}
			b.WriteString("<" + tag + ">")
			text := esc(s.gridCell(lang, g.Cols[i].Kind, v))
			if link != "" && i == g.LinkAt {
				text = `<a href="` + esc(link) + `">` + text + "</a>"
			}
			b.WriteString(text)
			b.WriteString("</" + tag[:2] + ">")
		}
		b.WriteString("</tr>\n")
	}
	for _, r := range rows {
		line(r.Cells, r.Link)
	}
	if len(rows) == 0 {
		b.WriteString(`<tr><td colspan="` + strconv.Itoa(len(g.Cols)) + `">` + esc(s.msgs.T(lang, "place.none_found")) + "</td></tr>")
	}
	b.WriteString("</tbody>")
	if g.Total != nil {
		b.WriteString("<tfoot>")
		line(g.Total, "")
		b.WriteString("</tfoot>")
	}
	b.WriteString("</table></div>")
	return template.HTML(b.String())
}

// page keeps one page of rows on screen.
func (g *grid) page(pg *pager) []gridRow {
	lo := min(pg.Offset, len(g.Rows))
	hi := min(lo+pg.Limit, len(g.Rows))
	return g.Rows[lo:hi]
}

// send writes the grid as the format asked for: "xlsx" or "csv".
func (g *grid) send(c *fiber.Ctx, format, name, sheetName string) error {
	return streamSheet(c, format, name, sheetName, g.columns(), func(emit func([]any) error) error {
		for _, r := range g.Rows {
			if err := emit(r.Cells); err != nil {
				return err
			}
		}
		if g.Total != nil {
			return emit(g.Total)
		}
		return nil
	})
}

// streamSheet writes the rows each gives, as they come: a long table is
// never held whole.
func streamSheet(c *fiber.Ctx, format, name, sheetName string, cols []sheet.Column, each func(emit func([]any) error) error) error {
	return sendSheet(c, format, name, func(w io.Writer) error {
		var sw sheet.Writer
		var err error
		if format == "xlsx" {
			sw, err = sheet.NewXLSX(w, sheetName, cols)
		} else {
			sw, err = sheet.NewCSV(w, cols)
		}
		if err != nil {
			return err
		}
		if err := each(sw.Write); err != nil {
			return err
		}
		return sw.Close()
	})
}

// sendSheet sets the headers of a download and writes it.
func sendSheet(c *fiber.Ctx, format, name string, write func(io.Writer) error) error {
	switch format {
	case "xlsx":
		c.Set(fiber.HeaderContentType, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	case "csv":
		c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	default:
		return errNotFound
	}
	c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="%s.%s"`, name, format))
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	return write(c.Response().BodyWriter())
}

// cellText is a cell as the page shows it.
func (s *Server) gridCell(lang string, k sheet.Kind, v any) string {
	switch x := v.(type) {
	case nil:
		return "—"
	case string:
		return x
	case int:
		return formatInt(lang, x)
	case float64:
		if k == sheet.Percent {
			return formatPercent(lang, x)
		}
		return strconv.FormatFloat(x, 'f', -1, 64)
	case time.Time:
		return formatDate(lang, x)
	}
	return fmt.Sprint(v)
}

// formatInt groups thousands as each language writes them: 12.345 in
// Vietnamese, 12,345 in English.
func formatInt(lang string, n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	sep := "."
	if lang == "en" {
		sep = ","
	}
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteString(sep)
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// formatPercent writes a share with one decimal: 12,5% or 12.5%.
func formatPercent(lang string, x float64) string {
	s := strconv.FormatFloat(x*100, 'f', 1, 64)
	if lang != "en" {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s + "%"
}
