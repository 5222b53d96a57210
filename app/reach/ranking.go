package reach

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"kynangso/app/locality"
	"kynangso/app/store"
)

// Quarter is a calendar quarter, in Vietnam time.
type Quarter struct{ Year, Q int }

// FirstQuarter is the earliest quarter the ranking answers for: the first
// with today's provinces and communes (in force since 1 July 2025).
var FirstQuarter = Quarter{2025, 3}

var ErrBadQuarter = errors.New("reach: not a quarter")

// ParseQuarter reads "2026-Q3" (or "2026-q3").
func ParseQuarter(s string) (Quarter, error) {
	if len(s) != 7 || s[4] != '-' || (s[5] != 'Q' && s[5] != 'q') {
		return Quarter{}, ErrBadQuarter
	}
	y, err := strconv.Atoi(s[:4])
	q := int(s[6] - '0')
	if err != nil || q < 1 || q > 4 {
		return Quarter{}, ErrBadQuarter
	}
	return Quarter{y, q}, nil
}

// QuarterOf is the quarter t falls in.
func QuarterOf(t time.Time) Quarter {
	t = t.In(vnTime)
	return Quarter{t.Year(), (int(t.Month())-1)/3 + 1}
}

func (q Quarter) String() string { return fmt.Sprintf("%d-Q%d", q.Year, q.Q) }

// Start is the quarter's first instant; End the next quarter's.
func (q Quarter) Start() time.Time {
	return time.Date(q.Year, time.Month(3*(q.Q-1)+1), 1, 0, 0, 0, 0, vnTime)
}
func (q Quarter) End() time.Time { return q.Start().AddDate(0, 3, 0) }

func (q Quarter) Prev() Quarter {
	if q.Q == 1 {
		return Quarter{q.Year - 1, 4}
	}
	return Quarter{q.Year, q.Q - 1}
}

func (q Quarter) Next() Quarter {
	if q.Q == 4 {
		return Quarter{q.Year + 1, 1}
	}
	return Quarter{q.Year, q.Q + 1}
}

func (q Quarter) Before(r Quarter) bool { return q.Year < r.Year || (q.Year == r.Year && q.Q < r.Q) }

// MinLearners is the fewest registered learners a locality needs for its
// figures to be shown: below it, a figure could point at a person.
const MinLearners = 10

// Entry is one locality of the ranking.
type Entry struct {
	Code string `json:"code"`
	Name string `json:"name"`
	// Rank is 1 for the best; 0 when not ranked (no figures, or no
	// households recorded).
	Rank int `json:"rank,omitempty"`
	// Suppressed: fewer than MinLearners learners; no figures are given.
	Suppressed bool `json:"suppressed,omitempty"`
	// The figures, absent when Suppressed.
	Learners     *int     `json:"learners,omitempty"`
	Active       *int     `json:"active_learners,omitempty"`
	Certificates *int     `json:"certificates_in_quarter,omitempty"`
	Households   *int     `json:"households_recorded,omitempty"`
	Covered      *int     `json:"households_covered,omitempty"`
	Share        *float64 `json:"share_covered,omitempty"` // absent when no household is recorded
}

// Ranking is a quarter's table: provinces, and each province's communes.
type Ranking struct {
	Quarter string `json:"quarter"`
	// Final: the quarter has ended and these figures are frozen as they
	// were first published after its end.
	Final     bool               `json:"final"`
	At        time.Time          `json:"counted_at"`
	Provinces []Entry            `json:"provinces"`
	Communes  map[string][]Entry `json:"communes"` // by province code
}

// Ranker makes rankings; a past quarter's is frozen in the store the
// first time it is asked for (or by Freeze, which upkeep runs).
type Ranker struct {
	Store  store.Store
	Skills Skills
	Places *locality.Divisions
}

func snapshotID(q Quarter) string { return "ranking/" + q.String() }

// ErrFuture is returned for a quarter that has not begun, or one before
// FirstQuarter.
var ErrFuture = errors.New("reach: quarter out of range")

// Get returns q's ranking as of now: live for the current quarter, frozen
// for a past one.
func (r *Ranker) Get(ctx context.Context, q Quarter, now time.Time) (*Ranking, error) {
	cur := QuarterOf(now)
	if cur.Before(q) || q.Before(FirstQuarter) {
		return nil, ErrFuture
	}
	if q == cur {
		return r.count(ctx, q, now)
	}
	snap, err := r.Store.Snapshot(ctx, snapshotID(q))
	if errors.Is(err, store.ErrNotFound) {
		return r.Freeze(ctx, q, now)
	}
	if err != nil {
		return nil, err
	}
	return decode(snap)
}

// Freeze counts an ended quarter as of its end and stores it, unless an
// instance did first: then it returns what that one stored.
func (r *Ranker) Freeze(ctx context.Context, q Quarter, now time.Time) (*Ranking, error) {
	rk, err := r.count(ctx, q, q.End())
	if err != nil {
		return nil, err
	}
	rk.Final, rk.At = true, now
	body, err := json.Marshal(rk)
	if err != nil {
		return nil, err
	}
	snap, err := r.Store.PutSnapshot(ctx, &store.Snapshot{ID: snapshotID(q), Body: body, At: now})
	if err != nil {
		return nil, err
	}
	return decode(snap)
}

func decode(snap *store.Snapshot) (*Ranking, error) {
	rk := new(Ranking)
	if err := json.Unmarshal(snap.Body, rk); err != nil {
		return nil, fmt.Errorf("ranking %s: %w", snap.ID, err)
	}
	return rk, nil
}

// AllTeams reads every team, a page at a time.
func AllTeams(ctx context.Context, st store.Store) ([]store.Team, error) {
	var all []store.Team
	for off := 0; ; off += store.MaxLimit {
		page, err := st.Teams(ctx, store.Page{Limit: store.MaxLimit, Offset: off})
		if err != nil {
			return nil, err
		}
		all = append(all, page...)
		if len(page) < store.MaxLimit {
			return all, nil
		}
	}
}

func (r *Ranker) count(ctx context.Context, q Quarter, until time.Time) (*Ranking, error) {
	teams, err := AllTeams(ctx, r.Store)
	if err != nil {
		return nil, err
	}
	t, err := Count(ctx, r.Store, r.Skills, Options{Level: ByCommune, Teams: teams, Until: until,
		ActiveSince: q.Start(), IssuedSince: q.Start()})
	if err != nil {
		return nil, err
	}
	rk := &Ranking{Quarter: q.String(), At: until, Communes: map[string][]Entry{}}
	for _, p := range r.Places.Provinces {
		var total Figures
		var communes []Entry
		var listed []*Figures
		for _, c := range p.Communes {
			f := t.Row(c.Code)
			total.add(f)
			if f.Residents > 0 || f.Households > 0 {
				communes = append(communes, entry(c.Code, c.Name, f))
				listed = append(listed, f)
			}
		}
		suppressAlso(communes, listed)
		rk.Provinces = append(rk.Provinces, entry(p.Code, p.Name, &total))
		rk.Communes[p.Code] = rank(communes)
	}
	rk.Provinces = rank(rk.Provinces)
	return rk, nil
}

func entry(code, name string, f *Figures) Entry {
	e := Entry{Code: code, Name: name}
	if f.Residents < MinLearners {
		e.Suppressed = true
		return e
	}
	n := func(v int) *int { return &v }
	e.Learners, e.Active, e.Certificates = n(f.Residents), n(f.Active), n(f.Certificates)
	e.Households, e.Covered = n(f.Households), n(f.Covered)
	if s, ok := f.Share(); ok {
		e.Share = &s
	}
	return e
}

// suppressAlso hides more communes when those already hidden hold
// between one and MinLearners-1 learners together: the province's total
// minus the communes shown would give their figures. The communes with
// fewest learners go first, until the hidden ones hold MinLearners.
func suppressAlso(es []Entry, fs []*Figures) {
	hidden := 0
	for i := range es {
		if es[i].Suppressed {
			hidden += fs[i].Residents
		}
	}
	for hidden > 0 && hidden < MinLearners {
		k := -1
		for i := range es {
			if !es[i].Suppressed && (k < 0 || fs[i].Residents < fs[k].Residents) {
				k = i
			}
		}
		if k < 0 {
			return
		}
		es[k] = Entry{Code: es[k].Code, Name: es[k].Name, Suppressed: true}
		hidden += fs[k].Residents
	}
}

// rank orders entries by share of households covered, then certificates
// in the quarter; those without a share come after, by name.
func rank(es []Entry) []Entry {
	slices.SortStableFunc(es, func(a, b Entry) int {
		ra, rb := a.Share != nil, b.Share != nil
		if ra != rb {
			if ra {
				return -1
			}
			return 1
		}
		if ra {
			if c := cmp.Compare(*b.Share, *a.Share); c != 0 {
				return c
			}
			if c := cmp.Compare(*b.Certificates, *a.Certificates); c != 0 {
				return c
			}
		}
		return cmp.Compare(locality.Fold(a.Name), locality.Fold(b.Name))
	})
	rank := 0
	for i := range es {
		if es[i].Share != nil {
			rank++
			es[i].Rank = rank
		}
	}
	return es
}
