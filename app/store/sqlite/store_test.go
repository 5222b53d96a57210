package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"kynangso/app/store"
	"kynangso/app/store/storetest"
	"kynangso/quiz"
)

var t0 = time.Date(2026, 11, 2, 8, 30, 0, 123_456_789, time.UTC)

func open(t *testing.T, path string) *Store {
	t.Helper()
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close(context.Background()) })
	return s
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		return open(t, filepath.Join(t.TempDir(), "kns.db"))
	})
}

func user(i int) *store.User {
	return &store.User{ID: fmt.Sprintf("u%07d", i), Name: "Nguyễn Văn An", NameFolded: "nguyen van an",
		Phone: fmt.Sprintf("09%08d", i), PasswordHash: "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo",
		Role: store.RoleLearner, Province: "01", Commune: "00004", TeamID: fmt.Sprintf("T%d", i%100),
		Consent: store.Consent{Version: "1", At: t0}, Created: t0, LastActive: t0}
}

// Opening a file twice applies the migrations once and keeps the data.
func TestOpenTwice(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "kns.db")
	s, err := Open(ctx, path)
	must(t, err)
	must(t, s.CreateUser(ctx, user(1)))
	must(t, s.Close(ctx))
	s = open(t, path)
	got, err := s.UserByID(ctx, "u0000001")
	must(t, err)
	// Milliseconds, in UTC: what MongoDB keeps.
	if !got.Created.Equal(t0.Truncate(time.Millisecond)) || got.Created.Location() != time.UTC {
		t.Errorf("created = %v", got.Created)
	}
	var v int
	must(t, s.db.r.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v))
	files, _ := fs.Glob(migrations, "migrations/*.sql")
	if v != len(files) || v < 2 {
		t.Errorf("user_version = %d after opening twice, want %d (one per migration, each applied once)", v, len(files))
	}
}

// A file made by an earlier release (migrations 0001 and 0002, with data
// in it) opens: the later migrations apply to it, its records read with
// the new fields empty, and the new methods work on them.
func TestMigrateFromRelease2(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "kns.db")
	old, err := sql.Open("sqlite", path+"?"+pragmas)
	must(t, err)
	for _, name := range []string{"migrations/0001_init.sql", "migrations/0002_audit_about.sql"} {
		body, err := migrations.ReadFile(name)
		must(t, err)
		_, err = old.ExecContext(ctx, string(body))
		must(t, err)
	}
	created := t0.UnixMilli()
	for _, q := range []struct {
		query string
		args  []any
	}{
		{"PRAGMA user_version = 2", nil},
		{`INSERT INTO users (id, name, name_folded, phone, password_hash, role, province, commune, team_id, consent_version, consent_at, created, last_active)
			VALUES ('u1', 'An', 'an', '0912345678', 'h', 'learner', '01', '00004', 'T1', '1', ?, ?, ?)`, []any{created, created, created}},
		{`INSERT INTO users (id, name, name_folded, phone, password_hash, role, province, commune, consent_version, consent_at, created, last_active)
			VALUES ('u2', 'Bình', 'binh', '0912345679', 'h', 'learner', '79', '26734', '1', ?, ?, ?)`, []any{created, created, created}},
		{"INSERT INTO teams (id, name, province, commune, leader_id, created) VALUES ('T1', 'Tổ 1', '01', '00004', 'u1', ?)", []any{created}},
		{"INSERT INTO teams (id, name, province, commune, created) VALUES ('T2', 'Tổ 2', '01', '00004', ?)", []any{created}},
		{"INSERT INTO sessions (id, user_id, created, expires) VALUES ('s1', 'u1', ?, ?)", []any{created, created + 3600_000}},
	} {
		_, err := old.ExecContext(ctx, q.query, q.args...)
		must(t, err)
	}
	must(t, old.Close())

	s := open(t, path)
	var v int
	must(t, s.db.r.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v))
	files, _ := fs.Glob(migrations, "migrations/*.sql")
	if v != len(files) {
		t.Errorf("user_version = %d after migrating, want %d", v, len(files))
	}
	u, err := s.UserByID(ctx, "u1")
	must(t, err)
	if u.Name != "An" || u.TeamID != "T1" || u.Household != "" || !u.Created.Equal(t0.Truncate(time.Millisecond)) {
		t.Errorf("an old user = %+v", u)
	}
	if _, su, err := s.SessionUser(ctx, "s1", t0); err != nil || su.ID != "u1" {
		t.Errorf("an old session: %+v, %v", su, err)
	}
	tm, err := s.Team(ctx, "T2")
	must(t, err)
	if tm.LeaderID != "" || tm.LeaderPhone != "" || tm.Households != 0 || tm.Name != "Tổ 2" {
		t.Errorf("an old team = %+v", tm)
	}
	// Old teams without a leader await no one.
	if l, err := s.ClaimTeams(ctx, "", "x"); err != nil || len(l) != 0 {
		t.Errorf("ClaimTeams of the empty phone on old teams = %v, %v", l, err)
	}
	must(t, s.CreateHousehold(ctx, &store.Household{ID: "h1", TeamID: "T1", Label: "Hộ 1", Created: t0}))
	must(t, s.SetUserHousehold(ctx, "T1", "u1", "h1"))
	must(t, s.SetTeamHouseholds(ctx, "T1", 60))
	must(t, s.AwaitTeamLeader(ctx, "T2", "0912345679"))
	if l, err := s.ClaimTeams(ctx, "0912345679", "u2"); err != nil || len(l) != 1 || l[0].ID != "T2" {
		t.Errorf("ClaimTeams on an old team = %v, %v", l, err)
	}
	if isNew, err := s.PutGrant(ctx, &store.Grant{ID: "g", Role: store.GrantCommune, Place: "00004", Province: "01", Phone: "0912345679", At: t0}); err != nil || !isNew {
		t.Errorf("PutGrant after migrating: %v, %v", isNew, err)
	}
	if _, err := s.PutSnapshot(ctx, &store.Snapshot{ID: "q", Body: []byte("x"), At: t0}); err != nil {
		t.Errorf("PutSnapshot after migrating: %v", err)
	}
	n := 0
	must(t, s.ScanPeople(ctx, "01", func(p *store.PersonFact) error {
		n++
		if p.ID != "u1" || p.Household != "h1" || p.TeamID != "T1" {
			t.Errorf("ScanPeople after migrating: %+v", p)
		}
		return nil
	}))
	if n != 1 {
		t.Errorf("ScanPeople(01) after migrating gave %d people", n)
	}
	// Opened again, nothing is applied twice and the data stays.
	must(t, s.Close(ctx))
	s = open(t, path)
	if u, err := s.UserByID(ctx, "u1"); err != nil || u.Household != "h1" {
		t.Errorf("reopened: %+v, %v", u, err)
	}
}

// A file from a newer program is refused with a clear error.
func TestNewerSchema(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "kns.db")
	s, err := Open(ctx, path)
	must(t, err)
	_, err = s.db.w.ExecContext(ctx, "PRAGMA user_version = 99")
	must(t, err)
	must(t, s.Close(ctx))
	if _, err := Open(ctx, path); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Errorf("Open of a newer schema: %v", err)
	}
}

// The database, its WAL and a backup are readable by the owner only.
func TestFileModes(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := open(t, filepath.Join(dir, "kns.db"))
	must(t, s.CreateUser(ctx, user(1)))
	must(t, s.Backup(ctx, filepath.Join(dir, "backup.db")))
	for _, name := range []string{"kns.db", "kns.db-wal", "kns.db-shm", "backup.db"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Error(err)
			continue
		}
		if m := fi.Mode().Perm(); m != 0o600 {
			t.Errorf("%s: mode %o, want 600", name, m)
		}
	}
	if err := s.Backup(ctx, filepath.Join(dir, "backup.db")); err == nil {
		t.Error("a backup overwrote an existing file")
	}
}

// A backup taken while writes go on holds every write acknowledged
// before it began, and is a database Open can use.
func TestBackupWhileWriting(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := open(t, filepath.Join(dir, "kns.db"))
	var acked atomic.Int64 // users 0..acked-1 are written
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if err := s.CreateUser(ctx, user(i)); err != nil {
				t.Error(err)
				return
			}
			acked.Store(int64(i + 1))
		}
	}()
	for acked.Load() < 200 {
		time.Sleep(time.Millisecond)
	}
	before := acked.Load()
	dest := filepath.Join(dir, "backup.db")
	must(t, s.Backup(ctx, dest))
	close(stop)
	wg.Wait()

	b := open(t, dest)
	n, err := b.count(ctx, "count", "SELECT count(*) FROM users")
	must(t, err)
	if n < before {
		t.Errorf("backup has %d users, %d were acknowledged before it", n, before)
	}
	for i := range int(before) {
		if _, err := b.UserByID(ctx, user(i).ID); err != nil {
			t.Fatalf("user %d missing from the backup: %v", i, err)
		}
	}
	t.Logf("backup holds %d users (%d acknowledged before it began, %d by the end)", n, before, acked.Load())
}

// Load is the bulk path for imports and the seeding tool: many batches
// land whole. (Its speed at province size is measured by the load tool:
// go run ./tools/load -seed 100000.)
func TestLoadInBatches(t *testing.T) {
	if testing.Short() {
		t.Skip("bulk load")
	}
	ctx := context.Background()
	s := open(t, filepath.Join(t.TempDir(), "kns.db"))
	const n = 10_000
	recs := make([]store.Record, 0, 2000)
	start, cpu := time.Now(), cpuTime()
	for i := range n {
		recs = append(recs, store.Record{Kind: store.KindUser, Value: user(i)})
		if len(recs) == cap(recs) || i == n-1 {
			must(t, s.Load(ctx, recs))
			recs = recs[:0]
		}
	}
	d, c := time.Since(start), cpuTime()-cpu
	t.Logf("Load: %d users in %v (CPU %v): %.0f rows/s, %.0f rows per CPU-second", n, d.Round(time.Millisecond), c.Round(time.Millisecond), n/d.Seconds(), n/c.Seconds())

	// A mixed load, as the seeding tool makes: progress, attempts,
	// certificates per learner.
	start, cpu = time.Now(), cpuTime()
	rows := 0
	for i := range 5_000 {
		u := user(i)
		recs = append(recs,
			store.Record{Kind: store.KindProgress, Value: &store.Progress{ID: store.ProgressID(u.ID, "c1"), UserID: u.ID, Course: "c1", Lessons: []string{"l1", "l2", "l3"}, Best: 80, Passed: true, Updated: t0}},
			store.Record{Kind: store.KindAttempt, Value: &store.Attempt{ID: "a" + u.ID, UserID: u.ID, Course: "c1", Seed: 1 << 63,
				Drawn:   []quiz.Drawn{{QuestionID: "q1", Options: []string{"a", "b", "c", "d"}}, {QuestionID: "q2", Options: []string{"a", "b"}}},
				Created: t0, Submitted: true, At: t0, Result: &quiz.Result{Points: 8, Total: 10}, Passed: true}},
			store.Record{Kind: store.KindCertificate, Value: &store.Certificate{Code: "C" + u.ID, UserID: u.ID, Course: "c1", Holder: u.Name, Score: 80,
				IssuedAt: t0, TeamID: u.TeamID, Status: store.CertValid, StatusIndex: i}},
		)
		rows += 3
		if len(recs) >= 1998 {
			must(t, s.Load(ctx, recs))
			recs = recs[:0]
		}
	}
	must(t, s.Load(ctx, recs))
	d, c = time.Since(start), cpuTime()-cpu
	t.Logf("Load: %d progress, attempt and certificate rows in %v (CPU %v): %.0f rows/s, %.0f rows per CPU-second", rows, d.Round(time.Millisecond), c.Round(time.Millisecond), float64(rows)/d.Seconds(), float64(rows)/c.Seconds())

	if got, _ := s.count(ctx, "count", "SELECT count(*) FROM users"); got != n {
		t.Errorf("%d users loaded, want %d", got, n)
	}
	// The counter moved past the loaded indexes.
	idx, err := s.AllocateStatusIndex(ctx)
	must(t, err)
	if idx != 5_000 {
		t.Errorf("next status index after load = %d, want 5000", idx)
	}
	a, err := s.AttemptByAnyUser(ctx, "au0000007")
	must(t, err)
	if a.Seed != 1<<63 || a.Result.Points != 8 || len(a.Drawn) != 2 {
		t.Errorf("loaded attempt = %+v", a)
	}
}

// cpuTime is the CPU time the process has used: on a shared machine, a
// fairer measure of Load than the clock.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func TestStepRollsBack(t *testing.T) {
	ctx := context.Background()
	s := open(t, filepath.Join(t.TempDir(), "kns.db"))
	u := user(1)
	must(t, s.CreateUser(ctx, u))
	must(t, s.CreateSession(ctx, &store.Session{ID: "s", UserID: u.ID, Created: t0, Expires: t0.Add(time.Hour)}))
	boom := errors.New("boom")
	var steps []string
	cut := store.WithStepHook(ctx, func(name string) error { steps = append(steps, name); return boom })
	if err := s.DeleteUserData(cut, u.ID); !errors.Is(err, boom) {
		t.Fatalf("DeleteUserData: %v", err)
	}
	if _, err := s.SessionByID(ctx, "s", t0); err != nil {
		t.Errorf("the session went though the deletion was cut short: %v", err)
	}
	if len(steps) != 1 || steps[0] != "sqlite.DeleteUserData.sessions" {
		t.Errorf("steps = %v", steps)
	}
	// Inside Atomic, a cut rolls back the unit's earlier writes too.
	err := s.Atomic(ctx, func(ctx context.Context, tx store.Store) error {
		if err := tx.SetUserName(ctx, u.ID, "B", "b"); err != nil {
			return err
		}
		return tx.DeleteUserData(cut, u.ID)
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Atomic: %v", err)
	}
	if got, _ := s.UserByID(ctx, u.ID); got.Name != u.Name {
		t.Errorf("a rolled-back name stayed: %q", got.Name)
	}
	// Atomic inside Atomic runs on the same transaction.
	must(t, s.Atomic(ctx, func(ctx context.Context, tx store.Store) error {
		return tx.Atomic(ctx, func(ctx context.Context, tx2 store.Store) error {
			return tx2.SetUserName(ctx, u.ID, "C", "c")
		})
	}))
	if got, _ := s.UserByID(ctx, u.ID); got.Name != "C" {
		t.Errorf("nested Atomic did not commit: %q", got.Name)
	}
}

// Users referring to nothing get ErrNotFound, not a driver error.
func TestForeignKeys(t *testing.T) {
	ctx := context.Background()
	s := open(t, filepath.Join(t.TempDir(), "kns.db"))
	err := s.CreateSession(ctx, &store.Session{ID: "s", UserID: "nobody", Created: t0, Expires: t0})
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a session of no one: %v", err)
	}
	u := user(1)
	must(t, s.CreateUser(ctx, u))
	must(t, s.MarkLessonDone(ctx, u.ID, "c", "l", t0))
	must(t, s.DeleteUserData(ctx, u.ID))
	if p, _ := s.ProgressOf(ctx, u.ID); len(p) != 0 {
		t.Errorf("progress survived: %v", p)
	}
}

func BenchmarkSessionAndUser(b *testing.B) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(b.TempDir(), "kns.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close(ctx)
	u := user(1)
	if err := s.CreateUser(ctx, u); err != nil {
		b.Fatal(err)
	}
	if err := s.CreateSession(ctx, &store.Session{ID: "s", UserID: u.ID, Created: t0, Expires: t0.Add(time.Hour)}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			ss, err := s.SessionByID(ctx, "s", t0)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := s.UserByID(ctx, ss.UserID); err != nil {
				b.Fatal(err)
			}
		}
	})
}
