package platform_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"kynangso/app/platform"
)

// noRoomToWrite makes every write of this process to a file fail, as on a
// full disk, until the test ends. A true full disk needs a file system of
// its own (a mount, which tests may not make); RLIMIT_FSIZE at 0 makes the
// kernel refuse each write with EFBIG ("file too large") instead of
// ENOSPC, even for root, which a read-only mode bit would not stop. Go
// ignores the SIGXFSZ that comes with it. Only for tests that do not run
// in parallel: the limit holds for the whole test binary.
func noRoomToWrite(t *testing.T) {
	t.Helper()
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: 0, Max: old.Max}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
			t.Fatal(err)
		}
	})
}

// oneClearLine checks a start-up error: one line that names the folder
// and says what to do, not a database's words.
func oneClearLine(t *testing.T, what string, err error, dir string, says ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: the program started", what)
	}
	msg := err.Error()
	t.Logf("%s: %s", what, msg)
	if strings.Contains(msg, "\n") || !strings.Contains(msg, dir) || !strings.Contains(msg, "then start again") {
		t.Errorf("%s: want one line naming %s and what to do, got %q", what, dir, msg)
	}
	for _, s := range says {
		if !strings.Contains(msg, s) {
			t.Errorf("%s: %q does not say %q", what, msg, s)
		}
	}
	for _, trace := range []string{"sqlite", "SQL", "migrate", "I/O error", "(778)", "embedded database:"} {
		if strings.Contains(msg, trace) {
			t.Errorf("%s: %q reads like a database trace (%q)", what, msg, trace)
		}
	}
}

// A full disk stops the program at start with one line: for a new data
// folder, and for one that holds a database already.
func TestStartOnFullDiskSaysSo(t *testing.T) {
	used := filepath.Join(t.TempDir(), "used")
	p, err := platform.Start(context.Background(), embedded(used), quiet())
	if err != nil {
		t.Fatal(err)
	}
	p.Close()
	fresh := filepath.Join(t.TempDir(), "fresh")

	noRoomToWrite(t)
	_, err = platform.Start(context.Background(), embedded(fresh), quiet())
	oneClearLine(t, "new folder", err, fresh, "is full", "free some space", "KNS_DATA_DIR")
	_, err = platform.Start(context.Background(), embedded(used), quiet())
	oneClearLine(t, "folder in use before", err, used, "is full", "free some space", "KNS_DATA_DIR")
}

// A data folder the program cannot write stops it at start with one line
// saying so. Tests run as root in CI, and root writes through a 0500
// mode, so the cases are ones that stop root too: a folder under /sys
// (the kernel's, where nobody may make one), a file where the folder
// should be, a folder where the database file should be; the 0500 folder
// only when not root.
func TestStartOnUnwritableFolderSaysSo(t *testing.T) {
	base := t.TempDir()

	file := filepath.Join(base, "a-file")
	if err := os.WriteFile(file, []byte("not a folder"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := platform.Start(context.Background(), embedded(file), quiet())
	oneClearLine(t, "a file", err, file, "not a folder", "KNS_DATA_DIR")

	dbDir := filepath.Join(base, "db-is-a-folder")
	if err := os.MkdirAll(filepath.Join(dbDir, "kynangso.db"), 0o700); err != nil {
		t.Fatal(err)
	}
	_, err = platform.Start(context.Background(), embedded(dbDir), quiet())
	oneClearLine(t, "database file a folder", err, dbDir, "kynangso.db", "move it away")

	if fi, err := os.Stat("/sys/kernel"); err == nil && fi.IsDir() {
		sys := "/sys/kynangso-test-data"
		_, err = platform.Start(context.Background(), embedded(sys), quiet())
		oneClearLine(t, "under /sys", err, sys, "may not write", "KNS_DATA_DIR")
	} else {
		t.Log("no /sys here: the folder that even root may not write is not tried")
	}

	if os.Geteuid() != 0 {
		ro := filepath.Join(base, "read-only")
		if err := os.Mkdir(ro, 0o500); err != nil {
			t.Fatal(err)
		}
		_, err = platform.Start(context.Background(), embedded(ro), quiet())
		oneClearLine(t, "mode 0500", err, ro, "may not write", "KNS_DATA_DIR")
	} else {
		t.Log("running as root: a 0500 folder would be written anyway, so it is not tried")
	}
}
