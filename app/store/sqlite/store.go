// Package sqlite is the embedded backend of store.Store: one SQLite file
// under the data folder, written through one connection and read through
// a few, in WAL mode so that readers never wait for the writer.
//
// Unlike MongoDB, SQLite has transactions: every method that writes more
// than once does so in one, and Atomic gives a workflow one. The once-only
// methods still record their decision in a row of their own and return
// it as stored, so that both backends answer a retry the same way.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"modernc.org/libc"
	"modernc.org/libc/sys/types"
	msqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"kynangso/app/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is the database. A Store bound to a transaction (inside Atomic)
// sends every read and write through it; the plain Store reads from the
// reader pool and writes through the single writer connection.
type Store struct {
	db *pools
	tx *sql.Tx // set when bound to a transaction
	rd querier // where reads go: the reader pool, or tx
	wr querier // where writes go: the writer, or tx
}

var _ store.Store = (*Store)(nil)

// pools are the connections one open database file shares.
type pools struct {
	path string
	w, r *sql.DB
	// Prepared on the reader pool: every request reads its session and
	// its user.
	sessionByID, userByID, sessionUser *sql.Stmt
	// reads counts the queries sent to the reader pool, so tests can show
	// that a page's work does not grow with the data (Reads).
	reads atomic.Int64
}

// Reads is the number of queries sent to the reader pool so far.
func (s *Store) Reads() int64 { return s.db.reads.Load() }

// countedReads is the reader pool, counting what it is sent.
type countedReads struct {
	*sql.DB
	n *atomic.Int64
}

func (c countedReads) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	c.n.Add(1)
	return c.DB.QueryContext(ctx, query, args...)
}

func (c countedReads) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	c.n.Add(1)
	return c.DB.QueryRowContext(ctx, query, args...)
}

// querier is what *sql.DB and *sql.Tx have in common, so that every query
// is written once for the plain and the transaction-bound Store.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Pragmas every connection runs when it opens. busy_timeout covers another
// process (a backup or import tool) holding the file for a moment.
const pragmas = "_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)&_pragma=busy_timeout(10000)"

// Open opens (creating if needed) the database file at path, applies
// migrations, and returns the store. The caller makes the folder 0700.
func Open(ctx context.Context, path string) (*Store, error) {
	if strings.ContainsAny(path, "?#") {
		// The driver reads its options after a "?".
		return nil, fmt.Errorf("database path %q: must not contain ? or #", path)
	}
	pinAllocator()
	// SQLite creates a missing file with the umask's mode, and gives the
	// -wal and -shm files the mode of the database: create it 0600 first.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create database file: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("create database file: %w", err)
	}
	// Writes are serialised by SQLite anyway; one connection makes them
	// queue in the pool instead of spinning on SQLITE_BUSY, and
	// _txlock=immediate takes the write lock at BEGIN, so a transaction
	// never fails half-way for want of it.
	w, err := sql.Open("sqlite", path+"?"+pragmas+"&_pragma=cache_size(-32000)&_pragma=temp_store(MEMORY)&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	if err := migrate(ctx, w); err != nil {
		_ = w.Close()
		return nil, err
	}
	// query_only makes a write sent to the wrong pool fail loudly.
	r, err := sql.Open("sqlite", path+"?"+pragmas+"&_pragma=cache_size(-8000)&_pragma=query_only(1)")
	if err != nil {
		_ = w.Close()
		return nil, fmt.Errorf("open database: %w", err)
	}
	n := min(max(runtime.NumCPU(), 4), 8)
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	r.SetConnMaxLifetime(0)
	r.SetConnMaxIdleTime(0)
	p := &pools{path: path, w: w, r: r}
	s := &Store{db: p, rd: countedReads{r, &p.reads}, wr: w}
	if p.sessionByID, err = r.PrepareContext(ctx, sessionByIDQuery); err == nil {
		if p.userByID, err = r.PrepareContext(ctx, userByIDQuery); err == nil {
			p.sessionUser, err = r.PrepareContext(ctx, sessionUserQuery)
		}
	}
	if err != nil {
		_ = s.Close(ctx)
		return nil, fmt.Errorf("prepare statements: %w", err)
	}
	return s, nil
}

// pinAllocator works around the C allocator under the pure-Go SQLite: it
// carves blocks of a size class out of 1 MiB pages and unmaps a page as
// soon as its last block is freed. SQLite allocates and frees a few large
// buffers per statement (parser, program, b-tree balancing), so each cost
// an mmap and a munmap: a third of a bulk load's CPU. One block kept for
// good in each size class keeps a page of each alive. Harmless, a few
// bytes resident, if the allocator changes.
var pinOnce sync.Once

func pinAllocator() {
	pinOnce.Do(func() {
		tls := libc.NewTLS()
		defer tls.Close()
		for log := 4; log <= 18; log++ { // 16 B … 256 KiB, the pooled sizes
			libc.Xmalloc(tls, types.Size_t(1)<<log)
		}
	})
}

// migrate applies the embedded migrations the file has not seen yet, in
// one transaction; the file's PRAGMA user_version is the last applied.
func migrate(ctx context.Context, w *sql.DB) error {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return fmt.Errorf("list migrations: %w", err)
	}
	type migration struct {
		version int
		name    string
	}
	var list []migration
	for _, name := range names {
		base := strings.TrimPrefix(name, "migrations/")
		num, _, _ := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if err != nil || v <= 0 {
			return fmt.Errorf("migration %s: name must start with its version", base)
		}
		list = append(list, migration{v, name})
	}
	sort.Slice(list, func(i, j int) bool { return list[i].version < list[j].version })
	for i, m := range list {
		if m.version != i+1 {
			return fmt.Errorf("migration %s: versions must run 1, 2, … without gaps", m.name)
		}
	}

	tx, err := w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	var have int
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&have); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if have > len(list) {
		return fmt.Errorf("database schema version %d is newer than this program knows (%d): run a newer release", have, len(list))
	}
	for _, m := range list[have:] {
		body, err := migrations.ReadFile(m.name)
		if err != nil {
			return fmt.Errorf("read migration: %w", err)
		}
		if _, err := tx.ExecContext(ctx, string(body)); err != nil {
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
		// PRAGMA takes no parameters; the version is our own integer.
		if _, err := tx.ExecContext(ctx, "PRAGMA user_version = "+strconv.Itoa(m.version)); err != nil {
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// Close closes the connections; a Store bound to a transaction has none
// of its own.
func (s *Store) Close(ctx context.Context) error {
	if s.tx != nil {
		return nil
	}
	p := s.db
	for _, st := range []*sql.Stmt{p.sessionByID, p.userByID, p.sessionUser} {
		if st != nil {
			_ = st.Close()
		}
	}
	// Keeps the query planner's statistics fresh for the next start.
	_, _ = p.w.ExecContext(ctx, "PRAGMA optimize")
	return errors.Join(p.r.Close(), p.w.Close())
}

// Ping tells whether the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if s.tx != nil {
		return nil
	}
	if err := s.db.r.PingContext(ctx); err != nil {
		return fmt.Errorf("ping database: %w", err)
	}
	return nil
}

// Atomic runs fn in one transaction, begun IMMEDIATE on the writer:
// committed if fn returns nil, rolled back otherwise. Inside Atomic it
// simply runs fn on the same transaction. fn must use the Store it is
// given: the outer one's writes would wait for the writer fn holds.
func (s *Store) Atomic(ctx context.Context, fn func(ctx context.Context, tx store.Store) error) error {
	return s.inTx(ctx, func(t *Store) error { return fn(ctx, t) })
}

// inTx runs fn with a Store bound to a transaction: s's own when it has
// one, else a new one on the writer.
func (s *Store) inTx(ctx context.Context, fn func(t *Store) error) (err error) {
	if s.tx != nil {
		return fn(s)
	}
	tx, err := s.db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	defer func() {
		// A panic in fn must not leave the one writer connection in a
		// transaction.
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
	}()
	if err := fn(&Store{db: s.db, tx: tx, rd: tx, wr: tx}); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// Backup writes a consistent copy of the database to dest, which must not
// exist, while the store keeps running (VACUUM INTO reads one snapshot).
func (s *Store) Backup(ctx context.Context, dest string) error {
	// Made first, empty and 0600, so the copy is never readable by others;
	// VACUUM INTO accepts an empty file. O_EXCL refuses an existing one.
	f, err := os.OpenFile(dest, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	// A connection of its own: the reader pool is query_only, which
	// refuses VACUUM, and the writer would hold every write back while the
	// copy is made. VACUUM INTO reads one WAL snapshot, so writes go on.
	db, err := sql.Open("sqlite", s.db.path+"?"+pragmas)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	db.SetMaxOpenConns(1)
	_, err = db.ExecContext(ctx, "VACUUM INTO ?", dest)
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(dest)
		return fmt.Errorf("backup: %w", err)
	}
	// VACUUM INTO does not sync the copy; a backup should survive a crash.
	if f, err = os.OpenFile(dest, os.O_RDWR, 0); err == nil {
		err = errors.Join(f.Sync(), f.Close())
	}
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	return nil
}

// Times are stored as milliseconds since the epoch, 0 for the zero time,
// and come back in UTC: MongoDB keeps milliseconds too, so a record moved
// from one backend to the other reads the same.

func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}

// trunc is t as it comes back from the database.
func trunc(t time.Time) time.Time { return fromMS(ms(t)) }

func msPtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return ms(*t)
}

func fromMSPtr(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromMS(v.Int64)
	return &t
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// wrap turns the driver's errors into the store's: no rows is
// store.ErrNotFound, a unique key taken store.ErrDuplicate, a missing
// referenced row (a user) store.ErrNotFound with what was missing; any
// other error is wrapped with what was being done.
func wrap(what string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return store.ErrNotFound
	}
	var se *msqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return store.ErrDuplicate
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return fmt.Errorf("%s: the user does not exist: %w", what, store.ErrNotFound)
		}
	}
	return fmt.Errorf("%s: %w", what, err)
}

// exec runs one write.
func (s *Store) exec(ctx context.Context, what, query string, args ...any) (sql.Result, error) {
	r, err := s.wr.ExecContext(ctx, query, args...)
	return r, wrap(what, err)
}

// update runs one write that must change a row; ErrNotFound if none.
// SQLite counts a row the WHERE matched even if its values stay the same.
func (s *Store) update(ctx context.Context, what, query string, args ...any) error {
	r, err := s.exec(ctx, what, query, args...)
	if err != nil {
		return err
	}
	n, err := r.RowsAffected()
	if err != nil {
		return wrap(what, err)
	}
	if n == 0 {
		return store.ErrNotFound
	}
	return nil
}

// count runs a query that returns one integer.
func (s *Store) count(ctx context.Context, what, query string, args ...any) (int64, error) {
	var n int64
	err := s.rd.QueryRowContext(ctx, query, args...).Scan(&n)
	return n, wrap(what, err)
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// list runs a query and scans every row with scan; never nil.
func list[T any](ctx context.Context, q querier, what string, scan func(scanner, *T) error, query string, args ...any) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, wrap(what, err)
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		var v T
		if err := scan(rows, &v); err != nil {
			return nil, wrap(what, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(what, err)
	}
	return out, nil
}

// chunk is how many ids go in one IN (…): well under SQLite's limit on
// parameters, and each chunk one query.
const chunk = 500

// inList returns "?,?,…" for n values and ids as arguments, after any
// arguments in pre.
func inList(ids []string, pre ...any) (string, []any) {
	args := make([]any, 0, len(pre)+len(ids))
	args = append(args, pre...)
	for _, id := range ids {
		args = append(args, id)
	}
	return strings.TrimSuffix(strings.Repeat("?,", len(ids)), ","), args
}

// chunks calls fn with ids in slices of at most chunk.
func chunks(ids []string, fn func(part []string) error) error {
	for len(ids) > 0 {
		n := min(len(ids), chunk)
		if err := fn(ids[:n]); err != nil {
			return err
		}
		ids = ids[n:]
	}
	return nil
}
