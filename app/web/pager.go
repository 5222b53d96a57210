package web

import (
	"net/url"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"kynangso/app/store"
)

// Pages of the lists that grow (teams, members, audit entries): every
// such page reads one window of records, so its cost does not grow with
// the list.
const (
	teamsPerPage   = 50
	membersPerPage = 100
	auditPerPage   = 100
)

// pager is one page of a list and the links to its neighbours.
type pager struct {
	store.Page
	N          int   // page number, from 1
	Of         int   // pages in all; 0 when not counted
	Total      int64 // records in all; -1 when not counted
	Prev, Next string
	path       string
	query      url.Values
}

// pageOf reads ?page= (from 1); total is the list's length, or -1 when
// it is not counted (the next link then depends on more).
func pageOf(c *fiber.Ctx, total int64, size int) *pager {
	n, err := strconv.Atoi(c.Query("page"))
	if err != nil || n < 1 {
		n = 1
	}
	if total >= 0 {
		n = min(n, max(1, int((total+int64(size)-1)/int64(size))))
	}
	q := url.Values{}
	c.Context().QueryArgs().VisitAll(func(k, v []byte) {
		if string(k) != "page" {
			q.Add(string(k), string(v))
		}
	})
	p := &pager{Page: store.Page{Limit: size, Offset: (n - 1) * size}, N: n, Total: total, path: c.Path(), query: q}
	if total >= 0 {
		p.Of = max(1, int((total+int64(size)-1)/int64(size)))
	}
	if n > 1 {
		p.Prev = p.link(n - 1)
	}
	if total >= 0 && int64(n*size) < total {
		p.Next = p.link(n + 1)
	}
	return p
}

// more sets the next link of an uncounted list from the page's length.
func (p *pager) more(got int) {
	if got == p.Limit {
		p.Next = p.link(p.N + 1)
	}
}

func (p *pager) link(n int) string {
	q := url.Values{}
	for k, v := range p.query {
		q[k] = v
	}
	if n > 1 {
		q.Set("page", strconv.Itoa(n))
	}
	if len(q) == 0 {
		return p.path
	}
	return p.path + "?" + q.Encode()
}
