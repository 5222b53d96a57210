package obs

import (
	"context"
	"errors"
	"strings"
	"time"

	"kynangso/app/store"
)

// Store times the operations worth watching of the store it wraps, and
// counts what they do (certificates issued and revoked, rate-limit
// refusals). It embeds store.Store, so methods it does not override
// (and methods added to the interface later) pass straight through.
//
// Counts made inside Atomic are kept until the unit of work commits, so
// a rolled-back transaction counts nothing.
type Store struct {
	store.Store
	m       *Metrics
	pending *pending // inside Atomic: counts to apply when it commits
}

// WrapStore wraps st; with m nil it returns st itself.
func WrapStore(st store.Store, m *Metrics) store.Store {
	if m == nil {
		return st
	}
	return &Store{Store: st, m: m}
}

// Unwrap is the store underneath.
func (s *Store) Unwrap() store.Store { return s.Store }

type pending struct {
	issued         int
	revoked, scrub int
}

func (s *Store) time(op string, start time.Time, err error) {
	s.m.storeOps.WithLabelValues(op).Observe(time.Since(start).Seconds())
	if err != nil && !errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrDuplicate) &&
		!errors.Is(err, context.Canceled) {
		s.m.storeErrors.WithLabelValues(op).Inc()
	}
}

func (s *Store) count(f func(p *pending)) {
	if s.pending != nil {
		f(s.pending)
		return
	}
	var p pending
	f(&p)
	s.m.apply(&p)
}

func (m *Metrics) apply(p *pending) {
	m.issued.Add(float64(p.issued))
	m.revoked.WithLabelValues("admin").Add(float64(p.revoked))
	m.revoked.WithLabelValues("holder").Add(float64(p.scrub))
}

func (s *Store) Atomic(ctx context.Context, fn func(ctx context.Context, tx store.Store) error) (err error) {
	defer func(t time.Time) { s.time("atomic", t, err) }(time.Now())
	if s.pending != nil {
		// Nested: the outer unit of work commits the counts.
		return s.Store.Atomic(ctx, func(ctx context.Context, tx store.Store) error {
			return fn(ctx, &Store{Store: tx, m: s.m, pending: s.pending})
		})
	}
	p := &pending{}
	err = s.Store.Atomic(ctx, func(ctx context.Context, tx store.Store) error {
		*p = pending{} // a unit of work run again starts its counts again
		return fn(ctx, &Store{Store: tx, m: s.m, pending: p})
	})
	if err == nil {
		s.m.apply(p)
	}
	return err
}

func (s *Store) Ping(ctx context.Context) (err error) {
	defer func(t time.Time) { s.time("ping", t, err) }(time.Now())
	return s.Store.Ping(ctx)
}

func (s *Store) CreateUser(ctx context.Context, u *store.User) (err error) {
	defer func(t time.Time) { s.time("create_user", t, err) }(time.Now())
	return s.Store.CreateUser(ctx, u)
}

func (s *Store) UserByID(ctx context.Context, id string) (u *store.User, err error) {
	defer func(t time.Time) { s.time("user_by_id", t, err) }(time.Now())
	return s.Store.UserByID(ctx, id)
}

func (s *Store) UserByPhone(ctx context.Context, phone string) (u *store.User, err error) {
	defer func(t time.Time) { s.time("user_by_phone", t, err) }(time.Now())
	return s.Store.UserByPhone(ctx, phone)
}

func (s *Store) TeamMembers(ctx context.Context, teamID string, p store.Page) (us []store.User, err error) {
	defer func(t time.Time) { s.time("team_members", t, err) }(time.Now())
	return s.Store.TeamMembers(ctx, teamID, p)
}

func (s *Store) CreateSession(ctx context.Context, ss *store.Session) (err error) {
	defer func(t time.Time) { s.time("create_session", t, err) }(time.Now())
	return s.Store.CreateSession(ctx, ss)
}

func (s *Store) SessionUser(ctx context.Context, id string, now time.Time) (ss *store.Session, u *store.User, err error) {
	defer func(t time.Time) { s.time("session_user", t, err) }(time.Now())
	return s.Store.SessionUser(ctx, id, now)
}

func (s *Store) Teams(ctx context.Context, p store.Page) (ts []store.Team, err error) {
	defer func(t time.Time) { s.time("teams", t, err) }(time.Now())
	return s.Store.Teams(ctx, p)
}

func (s *Store) TeamCounts(ctx context.Context, ids []string) (c map[string]store.TeamCounts, err error) {
	defer func(t time.Time) { s.time("team_counts", t, err) }(time.Now())
	return s.Store.TeamCounts(ctx, ids)
}

func (s *Store) MarkLessonDone(ctx context.Context, userID, course, lesson string, at time.Time) (err error) {
	defer func(t time.Time) { s.time("mark_lesson_done", t, err) }(time.Now())
	return s.Store.MarkLessonDone(ctx, userID, course, lesson, at)
}

func (s *Store) ProgressOf(ctx context.Context, userID string) (p map[string]*store.Progress, err error) {
	defer func(t time.Time) { s.time("progress_of", t, err) }(time.Now())
	return s.Store.ProgressOf(ctx, userID)
}

func (s *Store) ProgressOfUsers(ctx context.Context, userIDs []string) (p map[string]map[string]*store.Progress, err error) {
	defer func(t time.Time) { s.time("progress_of_users", t, err) }(time.Now())
	return s.Store.ProgressOfUsers(ctx, userIDs)
}

func (s *Store) CreateAttempt(ctx context.Context, a *store.Attempt) (err error) {
	defer func(t time.Time) { s.time("create_attempt", t, err) }(time.Now())
	return s.Store.CreateAttempt(ctx, a)
}

func (s *Store) SubmitAttempt(ctx context.Context, a *store.Attempt) (g *store.Attempt, first bool, err error) {
	defer func(t time.Time) { s.time("submit_attempt", t, err) }(time.Now())
	return s.Store.SubmitAttempt(ctx, a)
}

func (s *Store) IssueCertificate(ctx context.Context, c *store.Certificate, earnedAt time.Time) (got *store.Certificate, made bool, err error) {
	defer func(t time.Time) { s.time("issue_certificate", t, err) }(time.Now())
	got, made, err = s.Store.IssueCertificate(ctx, c, earnedAt)
	if err == nil && made {
		s.count(func(p *pending) { p.issued++ })
	}
	return got, made, err
}

// Certificate also tells a request's probe (Middleware) the status of
// the certificate it found, so a check is counted as valid or revoked.
func (s *Store) Certificate(ctx context.Context, code string) (c *store.Certificate, err error) {
	defer func(t time.Time) { s.time("certificate", t, err) }(time.Now())
	c, err = s.Store.Certificate(ctx, code)
	if pr, ok := ctx.Value(probeKey{}).(*probe); ok && err == nil && c != nil {
		pr.cert.Store(c.Status)
	}
	return c, err
}

func (s *Store) RevokeCertificate(ctx context.Context, r *store.Revocation) (got *store.Revocation, recorded bool, err error) {
	defer func(t time.Time) { s.time("revoke_certificate", t, err) }(time.Now())
	got, recorded, err = s.Store.RevokeCertificate(ctx, r)
	if err == nil && recorded {
		s.count(func(p *pending) {
			p.revoked++
			if r.Replacement != nil {
				p.issued++
			}
		})
	}
	return got, recorded, err
}

func (s *Store) ScrubCertificates(ctx context.Context, userID string, at time.Time) (codes []string, err error) {
	defer func(t time.Time) { s.time("scrub_certificates", t, err) }(time.Now())
	codes, err = s.Store.ScrubCertificates(ctx, userID, at)
	if err == nil && len(codes) > 0 {
		s.count(func(p *pending) { p.scrub += len(codes) })
	}
	return codes, err
}

func (s *Store) RevokedIndexes(ctx context.Context) (ix []int, err error) {
	defer func(t time.Time) { s.time("revoked_indexes", t, err) }(time.Now())
	return s.Store.RevokedIndexes(ctx)
}

func (s *Store) RecordVerification(ctx context.Context, v *store.Verification) (err error) {
	defer func(t time.Time) { s.time("record_verification", t, err) }(time.Now())
	return s.Store.RecordVerification(ctx, v)
}

func (s *Store) Audit(ctx context.Context, e *store.AuditEntry) (err error) {
	defer func(t time.Time) { s.time("audit", t, err) }(time.Now())
	return s.Store.Audit(ctx, e)
}

func (s *Store) AuditLog(ctx context.Context, p store.Page) (es []store.AuditEntry, err error) {
	defer func(t time.Time) { s.time("audit_log", t, err) }(time.Now())
	return s.Store.AuditLog(ctx, p)
}

// refusalLimits names the rate limits whose count over the limit refuses
// the request, by the prefix of their key (app/web: ratelimit.go,
// accounts.go, reset.go). Other keys counted with HitUpTo are not limits
// (a limit of 1 that asks "first time in this window?"). The name check's
// limit counts with Hit; the middleware counts its refusals (a 429 of
// POST /v/:code/name).
var refusalLimits = map[string]string{
	"verify-miss":     "verify",         // KNS_VERIFY_LIMIT: checks of codes that name no certificate
	"verify":          "verify_ceiling", // every check, ten times that
	"register":        "sign_up_address",
	"login":           "sign_in_phone",
	"login-ip-phones": "sign_in_address",
	"reset-ip":        "reset_address",
	"reset":           "reset_code",
}

func (s *Store) HitUpTo(ctx context.Context, key string, limit int, window time.Duration, now time.Time) (n int, err error) {
	defer func(t time.Time) { s.time("hit", t, err) }(time.Now())
	n, err = s.Store.HitUpTo(ctx, key, limit, window, now)
	if err == nil && n > limit {
		prefix, _, _ := strings.Cut(key, ":")
		if name, ok := refusalLimits[prefix]; ok {
			s.m.refused.WithLabelValues(name).Inc()
		}
	}
	return n, err
}

func (s *Store) Hit(ctx context.Context, key string, window time.Duration, now time.Time) (n int, err error) {
	defer func(t time.Time) { s.time("hit", t, err) }(time.Now())
	return s.Store.Hit(ctx, key, window, now)
}

func (s *Store) Hits(ctx context.Context, key string, window time.Duration, now time.Time) (n int, err error) {
	defer func(t time.Time) { s.time("hits", t, err) }(time.Now())
	return s.Store.Hits(ctx, key, window, now)
}
