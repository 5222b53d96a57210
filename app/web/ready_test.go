package web_test

import (
	"context"
	"net/http"
	"sync"
	"syscall"
	"testing"
	"time"

	"kynangso/app/testrig"
)

// failWrites makes every write of this process to a file fail, as on a
// full disk, until undo is called. A true full disk needs a file system
// of its own (a mount, which tests may not make); RLIMIT_FSIZE at 0 makes
// the kernel refuse each write to a file with EFBIG instead of ENOSPC,
// even for root. The server runs in this process, so its database's
// writes fail while the test's HTTP requests (sockets) go through. Only
// for tests that do not run in parallel: the limit holds for the whole
// test binary.
func failWrites(t *testing.T) (undo func()) {
	t.Helper()
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: 0, Max: old.Max}); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	undo = func() {
		once.Do(func() {
			if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
				t.Fatal(err)
			}
		})
	}
	t.Cleanup(undo)
	return undo
}

// /readyz says 503 while the database does not take writes, and ready
// again once it does; its answer is kept for a second, so a crowd of
// probes makes one write, not one each.
func TestReadyzIsNotReadyWhileWritesFail(t *testing.T) {
	rig := testrig.Start(t)
	c := rig.Client(t)
	ready := func(want int) {
		t.Helper()
		if r := c.Get("/readyz"); r.Status != want {
			t.Fatalf("/readyz: status %d (%s), want %d", r.Status, r.Body, want)
		}
	}
	ready(http.StatusOK)

	// 200 probes at once, twice within a second: at most one more write
	// probe (its count is the store's own).
	writes := func() int {
		n, err := rig.P.Store.Hits(context.Background(), "readyz:write-probe", time.Minute, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	time.Sleep(1100 * time.Millisecond)
	if sec := time.Now().Second(); sec >= 55 {
		// The probes count in one-minute windows: stay inside one.
		time.Sleep(time.Duration(61-sec) * time.Second)
	}
	before := writes()
	var wg sync.WaitGroup
	codes := make([]int, 200)
	for i := range codes {
		wg.Go(func() {
			res, err := http.Get(rig.URL + "/readyz")
			if err != nil {
				t.Error(err)
				return
			}
			res.Body.Close()
			codes[i] = res.StatusCode
		})
	}
	wg.Wait()
	for i, code := range codes {
		if code != http.StatusOK {
			t.Fatalf("probe %d: status %d", i, code)
		}
	}
	if n := writes() - before; n < 1 || n > 2 {
		t.Errorf("200 probes within a second made %d write probes, want 1 (2 if a second boundary fell between them)", n)
	}

	undo := failWrites(t)
	time.Sleep(1100 * time.Millisecond) // the last answer is kept a second
	r := c.Get("/readyz")
	undo()
	if r.Status != http.StatusServiceUnavailable {
		t.Fatalf("/readyz while writes fail: status %d (%s), want 503", r.Status, r.Body)
	}
	t.Logf("while writes fail: %d %s", r.Status, r.Body)
	time.Sleep(1100 * time.Millisecond)
	ready(http.StatusOK)
}
