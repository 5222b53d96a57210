package sqlite

import (
	"context"
	"errors"
	"strconv"
	"time"

	"kynangso/app/store"
)

// Verifications

func scanVerification(sc scanner, v *store.Verification) error {
	var at int64
	if err := sc.Scan(&v.ID, &v.Code, &at, &v.Channel); err != nil {
		return err
	}
	v.At = fromMS(at)
	return nil
}

const insertVerification = "INSERT INTO verifications (id, code, at, channel) VALUES (?,?,?,?)"

// RecordVerification counts a check; an empty ID is given a new one.
func (s *Store) RecordVerification(ctx context.Context, v *store.Verification) error {
	if v.ID == "" {
		v.ID = store.NewID()
	}
	_, err := s.exec(ctx, "record verification", insertVerification, v.ID, v.Code, ms(v.At), v.Channel)
	return err
}

// Verifications lists a certificate's checks, newest first; at most limit
// of them, all when limit is 0 or less.
func (s *Store) Verifications(ctx context.Context, code string, limit int) ([]store.Verification, error) {
	if limit <= 0 {
		limit = -1 // SQLite's "no limit"
	}
	return list(ctx, s.rd, "list verifications", scanVerification,
		"SELECT id, code, at, channel FROM verifications WHERE code = ? ORDER BY at DESC, rowid DESC LIMIT ?", code, limit)
}

// CountVerifications counts a certificate's checks.
func (s *Store) CountVerifications(ctx context.Context, code string) (int64, error) {
	return s.count(ctx, "count verifications", "SELECT count(*) FROM verifications WHERE code = ?", code)
}

// Audit

func scanAudit(sc scanner, e *store.AuditEntry) error {
	var at int64
	if err := sc.Scan(&e.ID, &at, &e.Actor, &e.Action, &e.Target, &e.Detail); err != nil {
		return err
	}
	e.At = fromMS(at)
	return nil
}

const insertAudit = "INSERT OR IGNORE INTO audit (id, at, actor, action, target, detail) VALUES (?,?,?,?,?,?)"

// Audit appends an entry. One whose ID exists is taken as written (a
// retried workflow): INSERT OR IGNORE keeps the first. An empty ID is
// given a new one.
func (s *Store) Audit(ctx context.Context, e *store.AuditEntry) error {
	if e.ID == "" {
		e.ID = store.NewID()
	}
	_, err := s.exec(ctx, "audit", insertAudit, e.ID, ms(e.At), e.Actor, e.Action, e.Target, e.Detail)
	return err
}

// AuditLog lists entries, newest first; of the same millisecond, the one
// written last first.
func (s *Store) AuditLog(ctx context.Context, p store.Page) ([]store.AuditEntry, error) {
	limit, offset := p.Bounds()
	return list(ctx, s.rd, "read audit log", scanAudit,
		"SELECT id, at, actor, action, target, detail FROM audit ORDER BY at DESC, rowid DESC LIMIT ? OFFSET ?", limit, offset)
}

// AuditAbout lists the newest entries of action on target since then.
func (s *Store) AuditAbout(ctx context.Context, target, action string, since time.Time, limit int) ([]store.AuditEntry, error) {
	return list(ctx, s.rd, "read audit entries", scanAudit,
		"SELECT id, at, actor, action, target, detail FROM audit WHERE target = ? AND action = ? AND at >= ? ORDER BY at DESC, rowid DESC LIMIT ?",
		target, action, ms(since), max(limit, 1))
}

// Setup of the first admin

// liveToken returns the setup token in settings, "" for none.
func (s *Store) liveToken(ctx context.Context) (string, error) {
	var tok string
	err := s.rd.QueryRowContext(ctx, "SELECT value FROM settings WHERE key = 'setup_token'").Scan(&tok)
	if err = wrap("read setup token", err); err != nil && !errors.Is(err, store.ErrNotFound) {
		return "", err
	}
	return tok, nil
}

// SetupToken returns the one-time token that creates the first admin,
// creating it if needed; empty once an admin exists.
func (s *Store) SetupToken(ctx context.Context) (string, error) {
	n, err := s.CountAdmins(ctx)
	if err != nil || n > 0 {
		return "", err
	}
	// Read first: the setup page asks on every visit, and most visits
	// need no write.
	if tok, err := s.liveToken(ctx); err != nil || tok != "" {
		return tok, err
	}
	// Of two first visits, the first insert wins and both read its token.
	if _, err := s.exec(ctx, "create setup token",
		"INSERT INTO settings (key, value) VALUES ('setup_token', ?) ON CONFLICT (key) DO NOTHING", store.NewID()); err != nil {
		return "", err
	}
	var tok string
	err = s.wr.QueryRowContext(ctx, "SELECT value FROM settings WHERE key = 'setup_token'").Scan(&tok)
	return tok, wrap("read setup token", err)
}

// CheckSetupToken tells whether token may still be used by phone: it is
// the live token, or it was used by that same phone.
func (s *Store) CheckSetupToken(ctx context.Context, token, phone string) (bool, error) {
	if token == "" {
		return false, nil
	}
	var ok bool
	err := s.rd.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM settings WHERE key = 'setup_token' AND value = ?1)
	OR EXISTS (SELECT 1 FROM setup_uses WHERE token = ?1 AND phone = ?2)`, token, phone).Scan(&ok)
	return ok, wrap("check setup token", err)
}

// UseSetupToken records that phone used token, in one transaction: the
// first use takes the live token away and records who used it; a retry by
// the same phone finds the record and succeeds again.
func (s *Store) UseSetupToken(ctx context.Context, token, phone string) (bool, error) {
	if token == "" {
		return false, nil
	}
	var ok bool
	err := s.inTx(ctx, func(t *Store) error {
		var by string
		err := t.rd.QueryRowContext(ctx, "SELECT phone FROM setup_uses WHERE token = ?", token).Scan(&by)
		if err = wrap("read setup use", err); err == nil {
			ok = by == phone
			return nil
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		r, err := t.exec(ctx, "use setup token", "DELETE FROM settings WHERE key = 'setup_token' AND value = ?", token)
		if err != nil {
			return err
		}
		if n, err := r.RowsAffected(); err != nil || n == 0 {
			ok = false // a wrong token
			return wrap("use setup token", err)
		}
		if err := store.Step(ctx, "sqlite.UseSetupToken.deleted"); err != nil {
			return err
		}
		if _, err := t.exec(ctx, "record setup use", "INSERT INTO setup_uses (token, phone) VALUES (?, ?)", token, phone); err != nil {
			return err
		}
		ok = true
		return nil
	})
	if err != nil {
		return false, err
	}
	return ok, nil
}

// Password resets

const resetCols = "user_id, hash, expires, failures, made_by"

func scanReset(sc scanner, r *store.Reset) error {
	var expires int64
	if err := sc.Scan(&r.UserID, &r.Hash, &expires, &r.Failures, &r.By); err != nil {
		return err
	}
	r.Expires = fromMS(expires)
	return nil
}

const insertReset = "INSERT INTO resets (" + resetCols + ") VALUES (?,?,?,?,?)"

// SetReset stores a person's reset code, replacing any earlier one;
// ErrNotFound if there is no such person.
func (s *Store) SetReset(ctx context.Context, r *store.Reset) error {
	_, err := s.exec(ctx, "set reset code", insertReset+`
ON CONFLICT (user_id) DO UPDATE SET hash = excluded.hash, expires = excluded.expires, failures = excluded.failures, made_by = excluded.made_by`,
		r.UserID, r.Hash, ms(r.Expires), r.Failures, r.By)
	return err
}

// ResetOf returns a person's reset code live at now.
func (s *Store) ResetOf(ctx context.Context, userID string, now time.Time) (*store.Reset, error) {
	r := new(store.Reset)
	if err := scanReset(s.rd.QueryRowContext(ctx, "SELECT "+resetCols+" FROM resets WHERE user_id = ? AND expires >= ?", userID, ms(now)), r); err != nil {
		return nil, wrap("read reset code", err)
	}
	return r, nil
}

// FailReset counts a wrong code.
func (s *Store) FailReset(ctx context.Context, userID string) error {
	_, err := s.exec(ctx, "count failed reset", "UPDATE resets SET failures = failures + 1 WHERE user_id = ?", userID)
	return err
}

// DeleteReset removes the code if it is still the one with hash.
func (s *Store) DeleteReset(ctx context.Context, userID, hash string) error {
	_, err := s.exec(ctx, "delete reset code", "DELETE FROM resets WHERE user_id = ? AND hash = ?", userID, hash)
	return err
}

// Rate limits

// window returns the row key of key's window holding now, and when that
// window ends.
func window(key string, d time.Duration, now time.Time) (string, int64) {
	start := now.Truncate(d)
	return key + "@" + strconv.FormatInt(start.UnixMilli(), 10), start.Add(d).UnixMilli()
}

// HitUpTo counts one request of key in the fixed window holding now and
// returns its count, in one statement: SQLite runs one writer at a time,
// so every hit gets a count of its own. Past limit the row stops
// growing, and every further hit reads limit+1.
func (s *Store) HitUpTo(ctx context.Context, key string, limit int, d time.Duration, now time.Time) (int, error) {
	if limit < 0 {
		limit = 0
	}
	k, expires := window(key, d, now)
	var n int
	err := s.wr.QueryRowContext(ctx,
		"INSERT INTO ratelimit (key, n, expires) VALUES (?1, 1, ?2) ON CONFLICT (key) DO UPDATE SET n = min(n + 1, ?3 + 1) RETURNING n",
		k, expires, limit).Scan(&n)
	return n, wrap("count hit", err)
}

// Hit is HitUpTo with limit store.MaxHits.
func (s *Store) Hit(ctx context.Context, key string, d time.Duration, now time.Time) (int, error) {
	return s.HitUpTo(ctx, key, store.MaxHits, d, now)
}

// Hits reads the count of key's window holding now.
func (s *Store) Hits(ctx context.Context, key string, d time.Duration, now time.Time) (int, error) {
	k, _ := window(key, d, now)
	var n int
	err := s.rd.QueryRowContext(ctx, "SELECT n FROM ratelimit WHERE key = ?", k).Scan(&n)
	if err = wrap("read hits", err); errors.Is(err, store.ErrNotFound) {
		return 0, nil
	}
	return n, err
}

// ClearHits forgets the count of key's window holding now.
func (s *Store) ClearHits(ctx context.Context, key string, d time.Duration, now time.Time) error {
	k, _ := window(key, d, now)
	_, err := s.exec(ctx, "clear hits", "DELETE FROM ratelimit WHERE key = ?", k)
	return err
}

// Signing keys

func scanKey(sc scanner, k *store.SigningKey) error {
	var created int64
	if err := sc.Scan(&k.Seq, &k.Public, &k.Sealed, &created); err != nil {
		return err
	}
	k.Created = fromMS(created)
	return nil
}

const insertKey = "INSERT INTO signing_keys (seq, public, sealed, created) VALUES (?,?,?,?)"

// SigningKeys lists the keys, oldest first.
func (s *Store) SigningKeys(ctx context.Context) ([]store.SigningKey, error) {
	return list(ctx, s.rd, "list signing keys", scanKey, "SELECT seq, public, sealed, created FROM signing_keys ORDER BY seq")
}

// AddSigningKey stores k; ErrDuplicate when its Seq is taken.
func (s *Store) AddSigningKey(ctx context.Context, k *store.SigningKey) error {
	_, err := s.exec(ctx, "add signing key", insertKey, k.Seq, k.Public, k.Sealed, ms(k.Created))
	return err
}

// Upkeep

// Sweep removes what has expired by now, in one transaction. A rate-limit
// window has expired when it has ended; a session or a reset code is live
// up to and including its expiry.
func (s *Store) Sweep(ctx context.Context, now time.Time) error {
	t := ms(now)
	return s.inTx(ctx, func(tx *Store) error {
		for _, q := range []struct{ what, query string }{
			{"sessions", "DELETE FROM sessions WHERE expires < ?"},
			{"ratelimit", "DELETE FROM ratelimit WHERE expires <= ?"},
		} {
			if _, err := tx.exec(ctx, "sweep "+q.what, q.query, t); err != nil {
				return err
			}
			if err := store.Step(ctx, "sqlite.Sweep."+q.what); err != nil {
				return err
			}
		}
		if _, err := tx.exec(ctx, "sweep resets", "DELETE FROM resets WHERE expires < ?", t); err != nil {
			return err
		}
		_, err := tx.exec(ctx, "sweep claim codes", "DELETE FROM claim_codes WHERE expires < ?", t)
		return err
	})
}
