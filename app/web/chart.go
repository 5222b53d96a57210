package web

import (
	"fmt"
	"html/template"
	"strings"

	"kynangso/app/reach"
)

// weekChart draws new learners and new certificates per week as paired
// bars, in SVG on the server: no script, a few hundred bytes, and the same
// numbers in a table beside it for those who cannot see it.
type chart struct {
	SVG   template.HTML
	Weeks []chartWeek
}

type chartWeek struct {
	Label                  string
	Learners, Certificates int
}

func (s *Server) weekChart(lang string, weeks []reach.Week) chart {
	const w, h, top, bottom = 360, 150, 10, 20
	ch := chart{}
	most := 1
	for _, wk := range weeks {
		most = max(most, wk.Learners, wk.Certificates)
		ch.Weeks = append(ch.Weeks, chartWeek{Label: wk.Start.In(vnTime).Format("02/01"), Learners: wk.Learners, Certificates: wk.Certificates})
	}
	if len(weeks) == 0 {
		return ch
	}
	var b strings.Builder
	title := s.msgs.T(lang, "chart.title")
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %d %d" role="img" aria-label="%s" xmlns="http://www.w3.org/2000/svg">`, w, h, template.HTMLEscapeString(title))
	slot := float64(w) / float64(len(weeks))
	bar := slot * 0.38
	plot := float64(h - top - bottom)
	fmt.Fprintf(&b, `<line x1="0" y1="%d" x2="%d" y2="%d" class="axis"/>`, h-bottom, w, h-bottom)
	for i, wk := range weeks {
		x := float64(i) * slot
		for j, n := range []int{wk.Learners, wk.Certificates} {
			bh := plot * float64(n) / float64(most)
			cls := []string{"learners", "certs"}[j]
			fmt.Fprintf(&b, `<rect class="%s" x="%.1f" y="%.1f" width="%.1f" height="%.1f"><title>%s: %d</title></rect>`,
				cls, x+slot*0.1+float64(j)*bar, float64(h-bottom)-bh, bar, bh,
				template.HTMLEscapeString(s.msgs.T(lang, []string{"chart.learners", "chart.certificates"}[j])+" "+ch.Weeks[i].Label), n)
		}
		if i%2 == 0 {
			fmt.Fprintf(&b, `<text x="%.1f" y="%d" class="tick">%s</text>`, x+slot*0.1, h-5, ch.Weeks[i].Label)
		}
	}
	fmt.Fprintf(&b, `<text x="%d" y="%d" class="tick" text-anchor="end">%d</text></svg>`, w-2, top+2, most)
	ch.SVG = template.HTML(b.String())
	return ch
}
