package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"kynangso/app/store"
)

const certCols = "code, user_id, course, holder, score, issued_at, team_id, team_name, commune, status, revoked_at, revoke_reason, replaced_by, show_full_name, status_index"

func scanCert(sc scanner, c *store.Certificate) error {
	var issued int64
	var revoked sql.NullInt64
	if err := sc.Scan(&c.Code, &c.UserID, &c.Course, &c.Holder, &c.Score, &issued, &c.TeamID, &c.TeamName, &c.Commune,
		&c.Status, &revoked, &c.RevokeReason, &c.ReplacedBy, &c.ShowFullName, &c.StatusIndex); err != nil {
		return err
	}
	c.IssuedAt, c.RevokedAt = fromMS(issued), fromMSPtr(revoked)
	return nil
}

const insertCert = "INSERT INTO certificates (" + certCols + ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"

func certArgs(c *store.Certificate) []any {
	return []any{c.Code, c.UserID, c.Course, c.Holder, c.Score, ms(c.IssuedAt), c.TeamID, c.TeamName, c.Commune,
		c.Status, msPtr(c.RevokedAt), c.RevokeReason, c.ReplacedBy, b2i(c.ShowFullName), c.StatusIndex}
}

// normalise gives c's times as the database gives them back, and a new
// certificate its status, so that what a method returns equals what a
// later read finds.
func normalise(c *store.Certificate) {
	c.IssuedAt = trunc(c.IssuedAt)
	if c.RevokedAt != nil {
		t := trunc(*c.RevokedAt)
		c.RevokedAt = &t
	}
	if c.Status == "" {
		c.Status = store.CertValid
	}
}

func (s *Store) oneCert(ctx context.Context, query string, args ...any) (*store.Certificate, error) {
	c := new(store.Certificate)
	if err := scanCert(s.rd.QueryRowContext(ctx, query, args...), c); err != nil {
		return nil, wrap("read certificate", err)
	}
	return c, nil
}

// IssueCertificate issues c unless the learner holds a certificate for
// the course already, which it then returns with false. It runs in one
// transaction, so a retry after a crash finds either nothing (and issues)
// or the certificate issued (and returns it): never a second one. The
// partial unique index on valid certificates holds the rule even against
// code that skips this method.
func (s *Store) IssueCertificate(ctx context.Context, c *store.Certificate, earnedAt time.Time) (*store.Certificate, bool, error) {
	var got *store.Certificate
	var issued bool
	err := s.inTx(ctx, func(t *Store) error {
		got, issued = nil, false
		// The same issue retried: its certificate is there.
		if old, err := t.oneCert(ctx, "SELECT "+certCols+" FROM certificates WHERE code = ?", c.Code); err == nil {
			if old.UserID != c.UserID || old.Course != c.Course {
				return store.ErrDuplicate // another's code
			}
			got = old
			return nil
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		// The one in force, else the latest revoked one.
		old, err := t.oneCert(ctx, "SELECT "+certCols+" FROM certificates WHERE user_id = ? AND course = ? "+
			"ORDER BY status = 'valid' DESC, issued_at DESC, status_index DESC LIMIT 1", c.UserID, c.Course)
		switch {
		case err == nil && (old.Status == store.CertValid || old.ReplacedBy != "" ||
			old.RevokedAt != nil && !old.RevokedAt.Before(earnedAt)):
			// In force, replaced, or revoked after this pass was earned:
			// an older pass never brings a revoked certificate back.
			got = old
			return nil
		case err != nil && !errors.Is(err, store.ErrNotFound):
			return err
		}
		// None, or revoked without replacement before this pass: issue.
		idx, err := t.allocate(ctx)
		if err != nil {
			return err
		}
		if err := store.Step(ctx, "sqlite.IssueCertificate.status_index"); err != nil {
			return err
		}
		c.StatusIndex = idx
		normalise(c)
		if _, err := t.exec(ctx, "issue certificate", insertCert, certArgs(c)...); err != nil {
			return err
		}
		got, issued = c, true
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	return got, issued, nil
}

// allocate hands out the next status-list position. The counter never
// falls behind the positions taken (a Load of certificates may have
// written ones past it), so the unique index never refuses it.
func (s *Store) allocate(ctx context.Context) (int, error) {
	var n int
	err := s.wr.QueryRowContext(ctx, `
UPDATE counters SET n = max(n, (SELECT coalesce(max(status_index) + 1, 0) FROM certificates)) + 1
WHERE name = 'status_index' RETURNING n - 1`).Scan(&n)
	return n, wrap("allocate status index", err)
}

// AllocateStatusIndex reserves a status-list position no other
// certificate holds.
func (s *Store) AllocateStatusIndex(ctx context.Context) (int, error) {
	return s.allocate(ctx)
}

// Certificate returns a certificate by code (no dashes).
func (s *Store) Certificate(ctx context.Context, code string) (*store.Certificate, error) {
	return s.oneCert(ctx, "SELECT "+certCols+" FROM certificates WHERE code = ?", code)
}

// CertificatesOf lists a learner's certificates, newest first.
func (s *Store) CertificatesOf(ctx context.Context, userID string) ([]store.Certificate, error) {
	if userID == "" {
		// Erased holders' certificates belong to no one.
		return []store.Certificate{}, nil
	}
	return list(ctx, s.rd, "list certificates", scanCert,
		"SELECT "+certCols+" FROM certificates WHERE user_id = ? ORDER BY issued_at DESC, status_index DESC", userID)
}

// TeamCertificates lists the certificates earned in a team, oldest first;
// validOnly keeps those in force.
func (s *Store) TeamCertificates(ctx context.Context, teamID string, validOnly bool, p store.Page) ([]store.Certificate, error) {
	limit, offset := p.Bounds()
	q := "SELECT " + certCols + " FROM certificates WHERE team_id = ?"
	if validOnly {
		q += " AND status = 'valid'"
	}
	return list(ctx, s.rd, "list team certificates", scanCert, q+" ORDER BY issued_at, status_index LIMIT ? OFFSET ?", teamID, limit, offset)
}

// RevokedIndexes lists the status-list positions of revoked ones, in order.
func (s *Store) RevokedIndexes(ctx context.Context) ([]int, error) {
	return list(ctx, s.rd, "list revoked", func(sc scanner, n *int) error { return sc.Scan(n) },
		"SELECT status_index FROM certificates WHERE status = 'revoked' ORDER BY status_index")
}

// RevokeCertificate records r and applies it, in one transaction. The
// decision is kept in revocations, so a second call returns it as first
// made (reason, time and replacement) instead of its own.
func (s *Store) RevokeCertificate(ctx context.Context, r *store.Revocation) (*store.Revocation, bool, error) {
	var got *store.Revocation
	var recorded bool
	err := s.inTx(ctx, func(t *Store) error {
		got, recorded = nil, false
		prev, err := t.revocation(ctx, r.Code)
		if err == nil {
			// Decided before: make sure it is applied (it always is here,
			// the first try having been one transaction), return it.
			got = prev
			return t.applyRevocation(ctx, prev)
		}
		if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		c, err := t.oneCert(ctx, "SELECT "+certCols+" FROM certificates WHERE code = ?", r.Code)
		if err != nil {
			return err
		}
		if c.Status != store.CertValid {
			// Revoked by other means (account deletion) or loaded revoked:
			// the decision is the one the certificate carries.
			got = &store.Revocation{Code: c.Code, Reason: c.RevokeReason}
			if c.RevokedAt != nil {
				got.At = *c.RevokedAt
			}
			if c.ReplacedBy != "" {
				next, err := t.oneCert(ctx, "SELECT "+certCols+" FROM certificates WHERE code = ?", c.ReplacedBy)
				if err != nil && !errors.Is(err, store.ErrNotFound) {
					return err
				}
				got.Replacement = next
			}
			return nil
		}
		next := *r
		next.At = trunc(r.At)
		if r.Replacement != nil {
			rc := *r.Replacement
			normalise(&rc)
			next.Replacement = &rc
		}
		repl, err := replacementJSON(next.Replacement)
		if err != nil {
			return err
		}
		if _, err := t.exec(ctx, "record revocation", "INSERT INTO revocations (code, reason, at, replacement) VALUES (?,?,?,?)",
			next.Code, next.Reason, ms(next.At), repl); err != nil {
			return err
		}
		if err := store.Step(ctx, "sqlite.RevokeCertificate.recorded"); err != nil {
			return err
		}
		if err := t.applyRevocation(ctx, &next); err != nil {
			return err
		}
		got, recorded = &next, true
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	return got, recorded, nil
}

// applyRevocation revokes r's certificate if it is still valid, then
// issues the replacement if it is not there yet: each step a no-op when
// done, so applying a decision twice is harmless.
func (s *Store) applyRevocation(ctx context.Context, r *store.Revocation) error {
	replacedBy := ""
	if r.Replacement != nil {
		replacedBy = r.Replacement.Code
	}
	if _, err := s.exec(ctx, "revoke certificate", `
UPDATE certificates SET status = 'revoked', revoked_at = ?, revoke_reason = ?, replaced_by = ?
WHERE code = ? AND status = 'valid'`, ms(r.At), r.Reason, replacedBy, r.Code); err != nil {
		return err
	}
	if r.Replacement == nil {
		return nil
	}
	if err := store.Step(ctx, "sqlite.RevokeCertificate.revoked"); err != nil {
		return err
	}
	_, err := s.exec(ctx, "issue replacement", "INSERT INTO certificates ("+certCols+") "+
		"SELECT ?,?,?,?,?,?,?,?,?,?,?,?,?,?,? WHERE NOT EXISTS (SELECT 1 FROM certificates WHERE code = ?)",
		append(certArgs(r.Replacement), r.Replacement.Code)...)
	return err
}

func (s *Store) revocation(ctx context.Context, code string) (*store.Revocation, error) {
	r := &store.Revocation{}
	var at int64
	var repl sql.NullString
	err := s.rd.QueryRowContext(ctx, "SELECT code, reason, at, replacement FROM revocations WHERE code = ?", code).Scan(&r.Code, &r.Reason, &at, &repl)
	if err != nil {
		return nil, wrap("read revocation", err)
	}
	r.At = fromMS(at)
	if repl.Valid {
		r.Replacement = new(store.Certificate)
		if err := json.Unmarshal([]byte(repl.String), r.Replacement); err != nil {
			return nil, fmt.Errorf("revocation %s: replacement: %w", code, err)
		}
		normalise(r.Replacement)
	}
	return r, nil
}

func replacementJSON(c *store.Certificate) (any, error) {
	if c == nil {
		return nil, nil
	}
	b, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("replacement: %w", err)
	}
	return string(b), nil
}

// ScrubCertificates revokes a person's valid certificates at their
// request and erases the name and the link to the person from all of
// them, in one transaction. It returns the codes it revoked.
func (s *Store) ScrubCertificates(ctx context.Context, userID string, at time.Time) ([]string, error) {
	if userID == "" {
		// "" is every erased holder's; there is no one to scrub.
		return []string{}, nil
	}
	var codes []string
	err := s.inTx(ctx, func(t *Store) error {
		var err error
		codes, err = list(ctx, t.wr, "scrub certificates", func(sc scanner, code *string) error { return sc.Scan(code) }, `
UPDATE certificates SET status = 'revoked', revoked_at = ?, revoke_reason = ?
WHERE user_id = ? AND status = 'valid' RETURNING code`, ms(at), store.ReasonRequest, userID)
		if err != nil {
			return err
		}
		if err := store.Step(ctx, "sqlite.ScrubCertificates.revoked"); err != nil {
			return err
		}
		_, err = t.exec(ctx, "scrub certificates", "UPDATE certificates SET holder = '', show_full_name = 0, user_id = '' WHERE user_id = ?", userID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return codes, nil
}

// SetShowFullName records the holder's choice; ErrNotFound if c is not
// userID's.
func (s *Store) SetShowFullName(ctx context.Context, userID, code string, show bool) error {
	if userID == "" {
		return store.ErrNotFound
	}
	return s.update(ctx, "set show full name", "UPDATE certificates SET show_full_name = ? WHERE code = ? AND user_id = ?", b2i(show), code, userID)
}
