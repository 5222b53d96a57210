package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"kynangso/app/store"
)

// The contract of practice confirmed in person (issue 10): one
// confirmation per member, course and task, the first kept whoever
// confirms again; withdrawn once; listed for many members in one call;
// carried by Dump and Load; erased with the person.
func testPractice(t *testing.T, s, empty store.Store) {
	ctx := context.Background()
	leader := newUser(t, s, "0912000010", "to truong", "T1")
	m := newUser(t, s, "0912000011", "thanh vien", "T1")
	n := newUser(t, s, "0912000012", "nguoi khac", "T1")
	mk := func(u *store.User, course, task string, at time.Time) *store.Confirmation {
		return &store.Confirmation{UserID: u.ID, Course: course, Task: task, TeamID: "T1", TeamName: "Tổ 1", By: leader.ID, At: at}
	}
	got, first, err := s.ConfirmTask(ctx, mk(m, "c1", "qr", t0))
	must(t, err)
	if !first || got.ID != store.ConfirmationID(m.ID, "c1", "qr") || !got.At.Equal(t0) || got.TeamName != "Tổ 1" || got.By != leader.ID {
		t.Errorf("first confirmation: %+v, %v", got, first)
	}
	// Confirmed again (a double tap, later): the first one stands.
	again, first, err := s.ConfirmTask(ctx, mk(m, "c1", "qr", t0.Add(time.Hour)))
	must(t, err)
	if first || !again.At.Equal(t0) {
		t.Errorf("second confirmation: %+v, first %v; want the first one back", again, first)
	}
	// At once: exactly one is first.
	var wg sync.WaitGroup
	var mu sync.Mutex
	firsts := 0
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, f, err := s.ConfirmTask(ctx, mk(m, "c1", "tra-cuu", t0.Add(time.Duration(i)*time.Second)))
			if err != nil && !errors.Is(err, store.ErrBusy) {
				t.Error(err)
			}
			if f {
				mu.Lock()
				firsts++
				mu.Unlock()
			}
		}(i)
	}
	wg.Wait()
	if firsts != 1 {
		t.Errorf("concurrent confirmations: %d were first, want 1", firsts)
	}
	_, _, err = s.ConfirmTask(ctx, mk(n, "c2", "qr", t0))
	must(t, err)

	l, err := s.Confirmations(ctx, []string{m.ID, n.ID})
	must(t, err)
	if len(l) != 3 || l[0].UserID > l[len(l)-1].UserID {
		t.Fatalf("confirmations: %+v, want 3 by user", l)
	}
	l, err = s.Confirmations(ctx, []string{leader.ID})
	must(t, err)
	if len(l) != 0 {
		t.Errorf("the leader's own: %+v, want none", l)
	}

	w, err := s.WithdrawTask(ctx, m.ID, "c1", "qr")
	must(t, err)
	if w.Task != "qr" || !w.At.Equal(t0) {
		t.Errorf("withdrawn: %+v", w)
	}
	if _, err := s.WithdrawTask(ctx, m.ID, "c1", "qr"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("withdrawn twice: %v, want ErrNotFound", err)
	}
	l, err = s.Confirmations(ctx, []string{m.ID})
	must(t, err)
	if len(l) != 1 || l[0].Task != "tra-cuu" {
		t.Errorf("after withdrawing: %+v", l)
	}
	// Confirmed again after a withdrawal: a new confirmation.
	re, first, err := s.ConfirmTask(ctx, mk(m, "c1", "qr", t0.Add(2*time.Hour)))
	must(t, err)
	if !first || !re.At.Equal(t0.Add(2*time.Hour)) {
		t.Errorf("confirmed after withdrawal: %+v, first %v", re, first)
	}

	var recs []store.Record
	must(t, s.Dump(ctx, func(r store.Record) error { recs = append(recs, r); return nil }))
	must(t, empty.Load(ctx, recs))
	before, err := s.Confirmations(ctx, []string{m.ID, n.ID})
	must(t, err)
	after, err := empty.Confirmations(ctx, []string{m.ID, n.ID})
	must(t, err)
	if len(before) != len(after) {
		t.Fatalf("after Dump and Load: %d confirmations, want %d", len(after), len(before))
	}
	for i := range before {
		if before[i].ID != after[i].ID || !before[i].At.Equal(after[i].At) || before[i].TeamName != after[i].TeamName || before[i].By != after[i].By {
			t.Errorf("after Dump and Load: %+v, want %+v", after[i], before[i])
		}
	}

	must(t, s.DeleteUserData(ctx, m.ID))
	l, err = s.Confirmations(ctx, []string{m.ID, n.ID})
	must(t, err)
	if len(l) != 1 || l[0].UserID != n.ID {
		t.Errorf("after the member's deletion: %+v, want only the other's", l)
	}
}
