package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"kynangso/app/store"
)

// Dump calls fn with every record, kind by kind in store.Kinds order, all
// read from one snapshot: a dump taken while the platform runs is
// consistent. Each record is a fresh value fn may keep.
func (s *Store) Dump(ctx context.Context, fn func(store.Record) error) error {
	q := s.rd
	if s.tx == nil {
		tx, err := s.db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
		if err != nil {
			return fmt.Errorf("dump: %w", err)
		}
		defer func() { _ = tx.Rollback() }()
		q = tx
	}
	steps := []func() error{
		func() error {
			return dumpKind(ctx, q, store.KindUser, "SELECT "+userCols+" FROM users ORDER BY rowid", scanUser, fn)
		},
		func() error {
			return dumpKind(ctx, q, store.KindTeam, "SELECT "+teamCols+" FROM teams ORDER BY rowid", scanTeam, fn)
		},
		func() error {
			return dumpKind(ctx, q, store.KindHousehold, "SELECT "+householdCols+" FROM households ORDER BY rowid", scanHousehold, fn)
		},
		func() error {
			return dumpKind(ctx, q, store.KindGrant, "SELECT "+grantCols+" FROM grants ORDER BY rowid", scanGrant, fn)
		},
		func() error {
			return dumpKind(ctx, q, store.KindSnapshot, "SELECT "+snapshotCols+" FROM snapshots ORDER BY rowid", scanSnapshot, fn)
		},
		func() error {
			return dumpKind(ctx, q, store.KindSession, "SELECT id, user_id, created, expires FROM sessions ORDER BY rowid", scanSession, fn)
		},
		func() error {
			return dumpKind(ctx, q, store.KindProgress, "SELECT "+progressCols+" FROM progress ORDER BY rowid", scanProgress, fn)
		},
		func() error {
			return dumpKind(ctx, q, store.KindAttempt, "SELECT "+attemptCols+" FROM attempts ORDER BY rowid", scanAttempt, fn)
		},
		func() error {
			return dumpKind(ctx, q, store.KindConfirmation, "SELECT "+confirmationCols+" FROM confirmations ORDER BY rowid", scanConfirmation, fn)
		},
		func() error {
			return dumpKind(ctx, q, store.KindCertificate, "SELECT "+certCols+" FROM certificates ORDER BY rowid", scanCert, fn)
		},
		func() error {
			return dumpKind(ctx, q, store.KindVerification, "SELECT id, code, at, channel FROM verifications ORDER BY rowid", scanVerification, fn)
		},
		func() error {
			return dumpKind(ctx, q, store.KindAudit, "SELECT id, at, actor, action, target, detail FROM audit ORDER BY rowid", scanAudit, fn)
		},
		func() error {
			return dumpKind(ctx, q, store.KindReset, "SELECT "+resetCols+" FROM resets ORDER BY rowid", scanReset, fn)
		},
		func() error {
			return dumpKind(ctx, q, store.KindClaimCode, "SELECT "+claimCodeCols+" FROM claim_codes ORDER BY rowid", scanClaimCode, fn)
		},
		func() error {
			return dumpKind(ctx, q, store.KindSigningKey, "SELECT seq, public, sealed, created FROM signing_keys ORDER BY seq", scanKey, fn)
		},
		func() error {
			// The token is live while no admin exists; after, it opens
			// nothing and is not worth carrying over.
			var tok string
			err := q.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = 'setup_token'
				AND NOT EXISTS (SELECT 1 FROM users WHERE role = ?)`, store.RoleAdmin).Scan(&tok)
			if err == sql.ErrNoRows {
				return nil
			}
			if err != nil {
				return fmt.Errorf("dump setup token: %w", err)
			}
			return fn(store.Record{Kind: store.KindSetupToken, Value: &store.SetupTokenRecord{Token: tok}})
		},
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

func dumpKind[T any](ctx context.Context, q querier, kind, query string, scan func(scanner, *T) error, fn func(store.Record) error) error {
	rows, err := q.QueryContext(ctx, query)
	if err != nil {
		return fmt.Errorf("dump %s: %w", kind, err)
	}
	defer rows.Close()
	for rows.Next() {
		v := new(T)
		if err := scan(rows, v); err != nil {
			return fmt.Errorf("dump %s: %w", kind, err)
		}
		if err := fn(store.Record{Kind: kind, Value: v}); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("dump %s: %w", kind, err)
	}
	return nil
}

// Load writes records as they are, in one transaction. The driver parses
// a statement every time it runs one, prepared or not, so the records of
// a kind go in multi-row INSERTs, all of a kind together whatever their
// mix in recs: one parse per dozen rows or so. Foreign keys are checked
// at commit, so a batch may hold a user's sessions before the user. Load
// moves the status-index counter past every index loaded.
func (s *Store) Load(ctx context.Context, recs []store.Record) error {
	if len(recs) == 0 {
		return nil
	}
	return s.inTx(ctx, func(t *Store) error {
		if _, err := t.tx.ExecContext(ctx, "PRAGMA defer_foreign_keys = ON"); err != nil {
			return fmt.Errorf("load: %w", err)
		}
		// Records grouped by statement, in the order each first appears;
		// within a kind, in the order given.
		type run struct {
			head, row, kind string
			rows            [][]any
		}
		var runs []*run
		byHead := map[string]*run{}
		certs := false
		for i, r := range recs {
			query, a, err := loadArgs(r)
			if err != nil {
				return fmt.Errorf("load record %d: %w", i, err)
			}
			h, rw, ok := strings.Cut(query, " VALUES ")
			if !ok {
				return fmt.Errorf("load record %d: bad insert %q", i, query)
			}
			g := byHead[h]
			if g == nil {
				g = &run{head: h, row: rw, kind: r.Kind}
				byHead[h] = g
				runs = append(runs, g)
			}
			g.rows = append(g.rows, a)
			certs = certs || r.Kind == store.KindCertificate
		}
		for _, g := range runs {
			if err := t.loadRun(ctx, g.head, g.row, g.rows); err != nil {
				return wrap("load "+g.kind, err)
			}
		}
		if certs {
			if _, err := t.exec(ctx, "load: status index", `
UPDATE counters SET n = max(n, (SELECT coalesce(max(status_index) + 1, 0) FROM certificates)) WHERE name = 'status_index'`); err != nil {
				return err
			}
		}
		return nil
	})
}

// loadRun inserts rows with head ("INSERT INTO t (cols)") and row, the
// statement's "(?,…)", in multi-row INSERTs of up to loadParams
// parameters.
func (s *Store) loadRun(ctx context.Context, head, row string, rows [][]any) error {
	// OR FAIL, not the default ABORT: an error rolls the whole load back
	// anyway, and without the need to undo a statement's earlier rows
	// SQLite keeps no statement journal.
	if h, ok := strings.CutPrefix(head, "INSERT INTO "); ok {
		head = "INSERT OR FAIL INTO " + h
	}
	var q strings.Builder
	args := make([]any, 0, loadParams)
	for len(rows) > 0 {
		q.Reset()
		q.WriteString(head)
		q.WriteString(" VALUES ")
		args = args[:0]
		n := 0
		for n < len(rows) && (n == 0 || len(args)+len(rows[n]) <= loadParams) {
			if n > 0 {
				q.WriteByte(',')
			}
			q.WriteString(row)
			args = append(args, rows[n]...)
			n++
		}
		if _, err := s.tx.ExecContext(ctx, q.String(), args...); err != nil {
			return err
		}
		rows = rows[n:]
	}
	return nil
}

// loadParams bounds the parameters of one INSERT of Load. The driver
// matches each parameter to its argument by a linear search, so binding
// costs the square of their number: a couple of hundred balance that
// against parsing the statement once per row.
const loadParams = 200

// loadArgs returns the insert for r and its arguments. r.Value is a
// pointer to its kind's type, as store.Record says.
func loadArgs(r store.Record) (string, []any, error) {
	switch v := r.Value.(type) {
	case *store.User:
		return insertUser, userArgs(v), nil
	case *store.Team:
		return insertTeam, teamArgs(v), nil
	case *store.Household:
		return insertHousehold, householdArgs(v), nil
	case *store.Grant:
		return insertGrant, grantArgs(v), nil
	case *store.Snapshot:
		return insertSnapshot, snapshotArgs(v), nil
	case *store.Session:
		return "INSERT INTO sessions (id, user_id, created, expires) VALUES (?,?,?,?)",
			[]any{v.ID, v.UserID, ms(v.Created), ms(v.Expires)}, nil
	case *store.Progress:
		lessons := v.Lessons
		if lessons == nil {
			lessons = []string{}
		}
		b, err := json.Marshal(lessons)
		if err != nil {
			return "", nil, fmt.Errorf("progress %s: %w", v.ID, err)
		}
		return "INSERT INTO progress (" + progressCols + ") VALUES (?,?,?,?,?,?,?)",
			[]any{v.ID, v.UserID, v.Course, string(b), v.Best, b2i(v.Passed), ms(v.Updated)}, nil
	case *store.Attempt:
		args, err := attemptArgs(v)
		return insertAttempt, args, err
	case *store.Confirmation:
		return insertConfirmation, confirmationArgs(v), nil
	case *store.Certificate:
		return insertCert, certArgs(v), nil
	case *store.Verification:
		return insertVerification, []any{v.ID, v.Code, ms(v.At), v.Channel}, nil
	case *store.AuditEntry:
		return insertAudit, []any{v.ID, ms(v.At), v.Actor, v.Action, v.Target, v.Detail}, nil
	case *store.Reset:
		return insertReset, []any{v.UserID, v.Hash, ms(v.Expires), v.Failures, v.By}, nil
	case *store.ClaimCode:
		return insertClaimCode, claimCodeArgs(v), nil
	case *store.SigningKey:
		return insertKey, []any{v.Seq, v.Public, v.Sealed, ms(v.Created)}, nil
	case *store.SetupTokenRecord:
		return "INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)", []any{"setup_token", v.Token}, nil
	}
	return "", nil, fmt.Errorf("kind %q: unexpected value %T", r.Kind, r.Value)
}
