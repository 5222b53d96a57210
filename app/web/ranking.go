package web

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"kynangso/app/reach"
	"kynangso/app/sheet"
)

// rankCache keeps each quarter's ranking: a past quarter's for good (it
// is frozen), the current one's for five minutes (counting it reads every
// person in the country).
type rankCache struct {
	mu sync.Mutex
	m  map[reach.Quarter]*cachedRank
}

type cachedRank struct {
	done chan struct{}
	at   time.Time
	r    *reach.Ranking
	err  error
}

const currentRankFor = 5 * time.Minute

func (s *Server) ranking(c *fiber.Ctx, q reach.Quarter) (*reach.Ranking, error) {
	now := s.now()
	rc := &s.ranks
	rc.mu.Lock()
	if rc.m == nil {
		rc.m = map[reach.Quarter]*cachedRank{}
	}
	e := rc.m[q]
	if e != nil {
		select {
		case <-e.done:
			stale := !e.r.Final && now.Sub(e.at) > currentRankFor
			if e.err != nil || stale || (!e.r.Final && reach.QuarterOf(now) != q) {
				e = nil
			}
		default:
		}
	}
	if e == nil {
		e = &cachedRank{done: make(chan struct{}), at: now}
		rc.m[q] = e
		rc.mu.Unlock()
		func() {
			defer close(e.done)
			e.err = errors.New("ranking: the count did not finish")
			// Counted for everyone waiting: not cut short by this
			// visitor leaving.
			e.r, e.err = s.ranker.Get(context.WithoutCancel(c.UserContext()), q, now)
		}()
	} else {
		rc.mu.Unlock()
		<-e.done
	}
	if errors.Is(e.err, reach.ErrFuture) {
		return nil, fail(fiber.StatusNotFound, "ranking.no_quarter")
	}
	return e.r, e.err
}

// quarterParam reads ?quarter=, the current quarter when absent.
func (s *Server) quarterParam(c *fiber.Ctx) (reach.Quarter, error) {
	v := c.Query("quarter")
	if v == "" {
		return reach.QuarterOf(s.now()), nil
	}
	q, err := reach.ParseQuarter(v)
	if err != nil {
		return q, fail(fiber.StatusBadRequest, "ranking.bad_quarter")
	}
	return q, nil
}

// rankingGrid is the table of provinces, or of one province's communes.
func (s *Server) rankingGrid(lang string, entries []reach.Entry, first string, link func(reach.Entry) string) *grid {
	g := &grid{Cols: []gridCol{
		{s.msgs.T(lang, "ranking.col.rank"), sheet.Number},
		{s.msgs.T(lang, first), sheet.Text},
		{s.msgs.T(lang, "place.col.share"), sheet.Percent},
		{s.msgs.T(lang, "place.col.covered"), sheet.Number},
		{s.msgs.T(lang, "place.col.households"), sheet.Number},
		{s.msgs.T(lang, "ranking.col.certificates"), sheet.Number},
		{s.msgs.T(lang, "ranking.col.active"), sheet.Number},
		{s.msgs.T(lang, "ranking.col.learners"), sheet.Number},
	}, LinkAt: 1}
	num := func(p *int) any {
		if p == nil {
			return nil
		}
		return *p
	}
	for _, e := range entries {
		var rank, share any
		if e.Rank > 0 {
			rank = e.Rank
		}
		if e.Share != nil {
			share = *e.Share
		}
		r := gridRow{Cells: []any{rank, e.Name, share, num(e.Covered), num(e.Households), num(e.Certificates), num(e.Active), num(e.Learners)}}
		if link != nil {
			r.Link = link(e)
		}
		g.Rows = append(g.Rows, r)
	}
	return g
}

func (s *Server) rankingTable(c *fiber.Ctx) (*reach.Ranking, *grid, string, error) {
	q, err := s.quarterParam(c)
	if err != nil {
		return nil, nil, "", err
	}
	rk, err := s.ranking(c, q)
	if err != nil {
		return nil, nil, "", err
	}
	lang := s.lang(c)
	if code := c.Query("province"); code != "" {
		p := s.places.Province(code)
		if p == nil {
			return nil, nil, "", errNotFound
		}
		return rk, s.rankingGrid(lang, rk.Communes[code], "place.col.commune", nil), p.Name, nil
	}
	g := s.rankingGrid(lang, rk.Provinces, "ranking.col.province", func(e reach.Entry) string {
		return "/ranking?quarter=" + rk.Quarter + "&province=" + e.Code
	})
	return rk, g, "", nil
}

// rankingPage is the public ranking: no sign-in, aggregates only.
func (s *Server) rankingPage(c *fiber.Ctx) error {
	rk, g, provinceName, err := s.rankingTable(c)
	if err != nil {
		return err
	}
	lang := s.lang(c)
	type quarter struct{ Value, Label string }
	var quarters []quarter
	for q, n := reach.QuarterOf(s.now()), 0; !q.Before(reach.FirstQuarter) && n < 8; q, n = q.Prev(), n+1 {
		quarters = append(quarters, quarter{q.String(), s.quarterLabel(lang, q)})
	}
	shown, _ := reach.ParseQuarter(rk.Quarter)
	return s.render(c, "ranking", "ranking.title", fiber.Map{
		"Ranking": rk, "Table": s.gridHTML(lang, s.msgs.T(lang, "ranking.title"), g, g.Rows), "ProvinceName": provinceName, "Province": c.Query("province"),
		"Quarters": quarters, "Quarter": s.quarterLabel(lang, shown), "MinLearners": reach.MinLearners,
	})
}

// quarterLabel is "Quý 3/2026" or "Q3 2026".
func (s *Server) quarterLabel(lang string, q reach.Quarter) string {
	return s.msgs.T(lang, "ranking.quarter_label", "Q", q.Q, "Year", strconv.Itoa(q.Year))
}

// rankingAPI gives the same ranking as JSON, or as CSV or XLSX with
// ?format=.
func (s *Server) rankingAPI(c *fiber.Ctx) error {
	rk, g, _, err := s.rankingTable(c)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderAccessControlAllowOrigin, "*")
	switch f := c.Query("format"); f {
	case "csv", "xlsx":
		name := "xep-hang-" + rk.Quarter
		if p := c.Query("province"); p != "" {
			name += "-tinh-" + p
		}
		return g.send(c, f, name, rk.Quarter)
	case "", "json":
	default:
		return fail(fiber.StatusBadRequest, "ranking.bad_format")
	}
	if p := c.Query("province"); p != "" {
		return c.JSON(fiber.Map{"quarter": rk.Quarter, "final": rk.Final, "counted_at": rk.At, "province": p, "communes": rk.Communes[p]})
	}
	return c.JSON(rk)
}
