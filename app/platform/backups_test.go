package platform_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"kynangso/app/platform"
	"kynangso/app/store"
	"kynangso/app/store/sqlite"
	"kynangso/app/testrig"
)

// A backup taken while writes go on, restored into an empty data folder,
// holds every record acknowledged before the backup began, and is one
// consistent moment: each write (a person and the audit entry naming
// her, in one unit of work) is there whole or not at all.
func TestRestoreBackupTakenDuringWrites(t *testing.T) {
	if testrig.OnMongoDB() {
		t.Skip("backups are of the embedded database")
	}
	rig := testrig.Start(t)
	ctx := context.Background()
	st := rig.P.Store

	var (
		mu        sync.Mutex
		acked     []string
		attempted = map[string]bool{}
		wg        sync.WaitGroup
	)
	stop := make(chan struct{})
	warm := make(chan struct{})
	var warmOnce sync.Once
	const writers = 4
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				id := store.NewID()
				mu.Lock()
				attempted[id] = true
				mu.Unlock()
				now := time.Now().UTC()
				err := st.Atomic(ctx, func(ctx context.Context, tx store.Store) error {
					u := &store.User{ID: id, Name: "Người Thử", NameFolded: "nguoi thu", Phone: fmt.Sprintf("09%d%07d", w, i),
						Role: store.RoleLearner, Province: "1", Commune: "00004", Created: now, LastActive: now}
					if err := tx.CreateUser(ctx, u); err != nil {
						return err
					}
					return tx.Audit(ctx, &store.AuditEntry{ID: "backup-test-" + id, At: now, Actor: id, Action: "test.write", Target: id})
				})
				if err != nil {
					t.Errorf("write: %v", err)
					return
				}
				mu.Lock()
				acked = append(acked, id)
				n := len(acked)
				mu.Unlock()
				if n >= 200 {
					warmOnce.Do(func() { close(warm) })
				}
			}
		}()
	}
	<-warm
	mu.Lock()
	before := append([]string(nil), acked...)
	mu.Unlock()
	dir := filepath.Join(t.TempDir(), "backups")
	file, err := rig.P.Backup(ctx, dir, 3)
	mu.Lock()
	atEnd := len(acked)
	mu.Unlock()
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatalf("backup: %v", err)
	}
	t.Logf("%d writes acknowledged before the backup, %d by its end, %d in all", len(before), atEnd, len(acked))
	if fi, err := os.Stat(file); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("backup file: %v; want mode 0600", err)
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("backup folder: %v; want mode 0700", err)
	}

	// Restore into an empty folder that holds only the secret.
	newDir := t.TempDir()
	secret, err := os.ReadFile(filepath.Join(rig.P.Config.DataDir, "secret.key"))
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("KNS_DATA_DIR", newDir)
	t.Setenv("KNS_LOG_LEVEL", "error")
	if err := platform.Run(ctx, []string{"restore", file}); err == nil || !strings.Contains(err.Error(), "secret.key") {
		t.Fatalf("restore without the secret that sealed the keys: %v", err)
	}
	if err := os.WriteFile(filepath.Join(newDir, "secret.key"), secret, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := platform.Run(ctx, []string{"restore", file}); err != nil {
		t.Fatalf("restore: %v", err)
	}
	if err := platform.Run(ctx, []string{"restore", file}); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Fatalf("restore over a database: %v", err)
	}

	got, err := sqlite.Open(ctx, filepath.Join(newDir, "kynangso.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer got.Close(ctx)
	users, audits := map[string]bool{}, map[string]bool{}
	err = got.Dump(ctx, func(r store.Record) error {
		switch v := r.Value.(type) {
		case *store.User:
			if v.Role == store.RoleLearner {
				users[v.ID] = true
			}
		case *store.AuditEntry:
			if v.Action == "test.write" {
				audits[v.Target] = true
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range before {
		if !users[id] || !audits[id] {
			t.Errorf("acknowledged before the backup, missing after the restore: %s (person %v, audit %v)", id, users[id], audits[id])
		}
	}
	for id := range users {
		if !audits[id] {
			t.Errorf("half a write restored: %s has no audit entry", id)
		}
		if !attempted[id] {
			t.Errorf("restored a person never written: %s", id)
		}
	}
	for id := range audits {
		if !users[id] {
			t.Errorf("half a write restored: audit entry of %s without the person", id)
		}
	}
	t.Logf("restored %d of the writes", len(users))
	if len(users) < len(before) || len(users) > len(acked) {
		t.Errorf("restored %d writes; want between %d and %d", len(users), len(before), len(acked))
	}

	// The restored folder serves: the platform starts on it with the
	// same signing key.
	restored, err := platform.Start(ctx, embedded(newDir), quiet())
	if err != nil {
		t.Fatalf("start on the restored folder: %v", err)
	}
	defer restored.Close()
	if restored.Keys.IssuerDID() != rig.P.Keys.IssuerDID() {
		t.Errorf("the restored platform signs as %s, not %s", restored.Keys.IssuerDID(), rig.P.Keys.IssuerDID())
	}
}

// Scheduled backups keep the newest KNS_BACKUP_KEEP and leave other
// files in the folder alone.
func TestBackupsKeepTheNewest(t *testing.T) {
	if testrig.OnMongoDB() {
		t.Skip("backups are of the embedded database")
	}
	rig := testrig.Start(t)
	dir := t.TempDir()
	other := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(other, []byte("mine"), 0o600); err != nil {
		t.Fatal(err)
	}
	var made []string
	for range 4 {
		f, err := rig.P.Backup(context.Background(), dir, 2)
		if err != nil {
			t.Fatal(err)
		}
		made = append(made, f)
	}
	ents, _ := os.ReadDir(dir)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	want := []string{filepath.Base(made[2]), filepath.Base(made[3]), "notes.txt"}
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Fatalf("backup folder holds %v, want %v", names, want)
	}
}
