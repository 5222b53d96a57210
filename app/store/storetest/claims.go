package storetest

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"kynangso/app/store"
)

// A grant made for a phone that had no account waits, named by no
// holder, until the person with the phone enters its claim code; it is
// then hers, and nobody else's.
func testClaimGrant(t *testing.T, s store.Store) {
	ctx := context.Background()
	const phone = "0977000011"
	g := &store.Grant{ID: store.GrantID(store.GrantCommune, "00004", phone), Role: store.GrantCommune, Place: "00004", Province: "01",
		Phone: phone, By: "admin", At: t0}
	_, err := s.PutGrant(ctx, g)
	must(t, err)
	held := &store.Grant{ID: store.GrantID(store.GrantProvince, "01", phone), Role: store.GrantProvince, Place: "01", Province: "01",
		Phone: phone, By: "admin", At: t0, UserID: "u-at-once"}
	_, err = s.PutGrant(ctx, held)
	must(t, err)
	holder := func(id string) string {
		t.Helper()
		for _, x := range grantsOf(t, s, phone) {
			if x.ID == id {
				return x.UserID
			}
		}
		t.Fatalf("grant %s is gone", id)
		return ""
	}
	if h := holder(g.ID); h != "" {
		t.Fatalf("a grant made for no account is held by %q", h)
	}
	if h := holder(held.ID); h != "u-at-once" {
		t.Fatalf("a grant made for an account is held by %q, want u-at-once", h)
	}
	// Two of her requests at once, and a third later: all hers.
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = s.ClaimGrant(ctx, g.ID, "u1") }()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("claim %d: %v", i, err)
		}
	}
	must(t, s.ClaimGrant(ctx, g.ID, "u1"))
	if h := holder(g.ID); h != "u1" {
		t.Errorf("the grant claimed is held by %q, want u1", h)
	}
	if err := s.ClaimGrant(ctx, g.ID, "u2"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("another claims a held grant: %v, want ErrNotFound", err)
	}
	if err := s.ClaimGrant(ctx, held.ID, "u2"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("another claims a grant held from the start: %v, want ErrNotFound", err)
	}
	if err := s.ClaimGrant(ctx, "commune:00004:0977000099", "u1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("claim of no grant: %v, want ErrNotFound", err)
	}
	if h := holder(g.ID); h != "u1" {
		t.Errorf("after refused claims the grant is held by %q, want u1", h)
	}
}

func grantsOf(t *testing.T, s store.Store, phone string) []store.Grant {
	t.Helper()
	l, err := s.Grants(context.Background(), store.GrantQuery{Phone: phone})
	must(t, err)
	return l
}

// A team awaiting a phone is taken up one team at a time: the claim names
// the team, leaves the phone's other teams waiting, and a repeat by the
// same person finds it hers.
func testClaimTeam(t *testing.T, s store.Store) {
	ctx := context.Background()
	const phone = "0987000021"
	for _, id := range []string{"CA", "CB"} {
		must(t, s.CreateTeam(ctx, &store.Team{ID: id, Name: "Tổ " + id, Province: "01", Commune: "00004", Created: t0}))
		must(t, s.AwaitTeamLeader(ctx, id, phone))
	}
	if _, err := s.ClaimTeam(ctx, "CA", "0987000022", "u1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("claim with another phone: %v, want ErrNotFound", err)
	}
	got := make([]*store.Team, 3)
	errs := make([]error, 3)
	var wg sync.WaitGroup
	for i := range got {
		wg.Add(1)
		go func() { defer wg.Done(); got[i], errs[i] = s.ClaimTeam(ctx, "CA", phone, "u1") }()
	}
	wg.Wait()
	for i := range got {
		if errs[i] != nil || got[i] == nil || got[i].ID != "CA" || got[i].LeaderID != "u1" || got[i].LeaderPhone != "" {
			t.Errorf("claim %d: %+v %v, want CA led by u1", i, got[i], errs[i])
		}
	}
	if tm, _ := s.Team(ctx, "CA"); tm == nil || tm.LeaderID != "u1" || tm.LeaderPhone != "" || tm.Name != "Tổ CA" {
		t.Errorf("team claimed: %+v", tm)
	}
	if tm, _ := s.Team(ctx, "CB"); tm == nil || tm.LeaderID != "" || tm.LeaderPhone != phone {
		t.Errorf("the phone's other team: %+v, want still waiting", tm)
	}
	if _, err := s.ClaimTeam(ctx, "CA", phone, "u2"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("another claims a team led already: %v, want ErrNotFound", err)
	}
	if _, err := s.ClaimTeam(ctx, "nosuch", phone, "u1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("claim of no team: %v, want ErrNotFound", err)
	}
	// Appointed anew to another phone: the old phone claims nothing.
	must(t, s.AwaitTeamLeader(ctx, "CB", "0987000023"))
	if _, err := s.ClaimTeam(ctx, "CB", phone, "u1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("claim after the team awaits another phone: %v, want ErrNotFound", err)
	}
	// Awaited again after a claim: claimed afresh.
	must(t, s.AwaitTeamLeader(ctx, "CA", phone))
	if tm, err := s.ClaimTeam(ctx, "CA", phone, "u3"); err != nil || tm.LeaderID != "u3" {
		t.Errorf("claim of a team awaited again: %+v %v, want led by u3", tm, err)
	}
}

// A claim code per appointment, the newest; found by phone or by
// appointment while live; removed only while it is the one named.
func testClaimCodes(t *testing.T, s store.Store) {
	ctx := context.Background()
	const p1, p2 = "0977000031", "0977000032"
	day := 24 * time.Hour
	code := func(id, phone, hash string, made time.Time) *store.ClaimCode {
		return &store.ClaimCode{ID: id, Phone: phone, Hash: hash, Expires: made.Add(14 * day), By: "admin", Made: made}
	}
	ga := store.ClaimOfGrant(store.GrantID(store.GrantCommune, "00004", p1))
	tb := store.ClaimOfTeam("TB")
	tc := store.ClaimOfTeam("TC")
	must(t, s.SetClaimCode(ctx, code(ga, p1, "h1", t0)))
	must(t, s.SetClaimCode(ctx, code(tb, p1, "h2", t0.Add(time.Minute))))
	must(t, s.SetClaimCode(ctx, code(tc, p2, "h3", t0)))
	hashes := func(l []store.ClaimCode) []string {
		out := []string{}
		for _, c := range l {
			out = append(out, c.Hash)
		}
		return out
	}
	l, err := s.ClaimCodes(ctx, p1, t0)
	must(t, err)
	if !slices.Equal(hashes(l), []string{"h1", "h2"}) {
		t.Fatalf("codes of p1: %v, want h1, h2", hashes(l))
	}
	if c := l[0]; c.ID != ga || c.Phone != p1 || c.By != "admin" || !c.Made.Equal(t0) || !c.Expires.Equal(t0.Add(14*day)) {
		t.Errorf("code as read: %+v", c)
	}
	// A new code replaces the old, even for another phone.
	must(t, s.SetClaimCode(ctx, code(tb, p2, "h4", t0.Add(2*time.Minute))))
	if l, _ := s.ClaimCodes(ctx, p1, t0); !slices.Equal(hashes(l), []string{"h1"}) {
		t.Errorf("codes of p1 after the team's new code for p2: %v, want h1", hashes(l))
	}
	if l, _ := s.ClaimCodes(ctx, p2, t0); !slices.Equal(hashes(l), []string{"h3", "h4"}) {
		t.Errorf("codes of p2: %v, want h3, h4", hashes(l))
	}
	by, err := s.ClaimCodesByID(ctx, []string{ga, tb, "team:nosuch"}, t0)
	must(t, err)
	if len(by) != 2 || by[ga] == nil || by[ga].Hash != "h1" || by[tb] == nil || by[tb].Hash != "h4" {
		t.Errorf("codes by id: %v", by)
	}
	if by, err := s.ClaimCodesByID(ctx, nil, t0); err != nil || len(by) != 0 {
		t.Errorf("codes of no ids: %v %v", by, err)
	}
	// Live up to and including its expiry; gone after.
	end := t0.Add(14 * day)
	if l, _ := s.ClaimCodes(ctx, p1, end); len(l) != 1 {
		t.Errorf("at its expiry: %d codes, want 1", len(l))
	}
	if l, _ := s.ClaimCodes(ctx, p1, end.Add(time.Millisecond)); len(l) != 0 {
		t.Errorf("after its expiry: %d codes, want none", len(l))
	}
	if by, _ := s.ClaimCodesByID(ctx, []string{ga}, end.Add(time.Millisecond)); len(by) != 0 {
		t.Errorf("after its expiry, by id: %v", by)
	}
	// Removed only while it is the one named; "" removes any.
	must(t, s.DeleteClaimCode(ctx, ga, "old"))
	if l, _ := s.ClaimCodes(ctx, p1, t0); len(l) != 1 {
		t.Error("a code was removed under another hash")
	}
	must(t, s.DeleteClaimCode(ctx, ga, "h1"))
	must(t, s.DeleteClaimCode(ctx, ga, "h1")) // again: harmless
	must(t, s.DeleteClaimCode(ctx, tc, ""))
	if l, _ := s.ClaimCodes(ctx, p2, t0); !slices.Equal(hashes(l), []string{"h4"}) {
		t.Errorf("codes of p2 after removing TC's: %v, want h4", hashes(l))
	}
	// Sweep takes the expired ones away.
	must(t, s.Sweep(ctx, end.Add(time.Hour)))
	if by, _ := s.ClaimCodesByID(ctx, []string{tb}, t0); len(by) != 0 {
		t.Errorf("after a sweep: %v", by)
	}
}
