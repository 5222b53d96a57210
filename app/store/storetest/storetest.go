// Package storetest is the contract every store backend passes: each
// backend's tests call Run with a way to open an empty store. The tests
// say what the platform relies on, in the terms of store.Store's doc
// comments, so a backend that passes them can be swapped in.
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"kynangso/app/store"
	"kynangso/quiz"
)

// Run runs the contract against stores made by open, one per test.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"Users", testUsers},
		{"Sessions", testSessions},
		{"Teams", testTeams},
		{"Progress", testProgress},
		{"AttemptGradedOnce", testAttempts},
		{"CertificatePerLearnerAndCourse", testIssue},
		{"Revocation", testRevoke},
		{"ScrubCertificates", testScrub},
		{"Verifications", testVerifications},
		{"Audit", testAudit},
		{"SetupToken", testSetup},
		{"Resets", testResets},
		{"RateLimit", testRateLimit},
		{"RateLimitUnderConcurrency", testRateLimitConcurrency},
		{"SigningKeys", testKeys},
		{"Sweep", testSweep},
		{"DeleteUserData", testDeleteUser},
		{"TeamsAwaitingALeader", testAwaitLeader},
		{"ClaimTeamsUnderConcurrency", testClaimConcurrency},
		{"TeamsByPlace", testTeamsOfPlace},
		{"Households", testHouseholds},
		{"HouseholdDeletedWhileJoined", testHouseholdDeletedWhileJoined},
		{"Grants", testGrants},
		{"GrantsTakenUp", testClaimGrant},
		{"TeamTakenUp", testClaimTeam},
		{"ClaimCodes", testClaimCodes},
		{"ScanPeople", testScanPeople},
		{"ScanCertificates", testScanCertificates},
		{"SnapshotWrittenOnce", testSnapshots},
		{"PlacesCutShortThenFinished", testPlacesCutShort},
		{"Atomic", testAtomic},
		{"DumpLoad", func(t *testing.T, s store.Store) { testDumpLoad(t, s, open(t)) }},
		{"AssistedRegistration", func(t *testing.T, s store.Store) { testAssisted(t, s, open(t)) }},
		{"PracticeConfirmations", func(t *testing.T, s store.Store) { testPractice(t, s, open(t)) }},
		{"OnceUnderConcurrency", testConcurrency},
		{"CutShortThenFinished", testCutShort},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open(t)) })
	}
}

var t0 = time.Date(2026, 11, 2, 8, 30, 0, 123_000_000, time.UTC)

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func newUser(t *testing.T, s store.Store, phone, name, team string) *store.User {
	t.Helper()
	u := &store.User{ID: store.NewID(), Name: name, NameFolded: name, Phone: phone, PasswordHash: "h",
		Role: store.RoleLearner, Province: "01", Commune: "00004", TeamID: team,
		Consent: store.Consent{Version: "1", At: t0}, Created: t0, LastActive: t0}
	must(t, s.CreateUser(context.Background(), u))
	return u
}

func newCert(u *store.User, course string, at time.Time) *store.Certificate {
	return &store.Certificate{Code: store.NewID()[:12], UserID: u.ID, Course: course, Holder: u.Name, Score: 90,
		IssuedAt: at, TeamID: u.TeamID, Commune: u.Commune, Status: store.CertValid}
}

func testUsers(t *testing.T, s store.Store) {
	ctx := context.Background()
	a := newUser(t, s, "0912345678", "an", "T1")
	b := newUser(t, s, "0912345679", "binh", "T1")
	dup := *a
	dup.ID = store.NewID()
	if err := s.CreateUser(ctx, &dup); !errors.Is(err, store.ErrDuplicate) {
		t.Errorf("a second account on one phone: got %v, want ErrDuplicate", err)
	}
	got, err := s.UserByPhone(ctx, "0912345678")
	must(t, err)
	if got.ID != a.ID || got.Name != "an" || !got.Created.Equal(t0) || got.Consent.Version != "1" || !got.Consent.At.Equal(t0) {
		t.Errorf("UserByPhone = %+v, want %+v", got, a)
	}
	if _, err := s.UserByID(ctx, "nobody"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown user: %v", err)
	}
	must(t, s.SetUserRole(ctx, a.ID, store.RoleAdmin))
	must(t, s.SetUserName(ctx, b.ID, "Bình", "binh"))
	must(t, s.SetPassword(ctx, b.ID, "h2"))
	must(t, s.TouchUser(ctx, b.ID, t0.Add(time.Hour)))
	must(t, s.TouchUser(ctx, b.ID, t0.Add(time.Minute))) // older: ignored
	if err := s.SetUserRole(ctx, "nobody", store.RoleAdmin); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("role of an unknown user: %v", err)
	}
	got, _ = s.UserByID(ctx, b.ID)
	if got.Name != "Bình" || got.PasswordHash != "h2" || !got.LastActive.Equal(t0.Add(time.Hour)) {
		t.Errorf("after updates: %+v", got)
	}
	if n, _ := s.CountAdmins(ctx); n != 1 {
		t.Errorf("CountAdmins = %d", n)
	}
	byID, err := s.UsersByIDs(ctx, []string{a.ID, b.ID, "nobody"})
	must(t, err)
	if len(byID) != 2 || byID[b.ID].Name != "Bình" {
		t.Errorf("UsersByIDs = %v", byID)
	}
	// Members by folded name, paged.
	for i := range 5 {
		newUser(t, s, fmt.Sprintf("09800000%02d", i), fmt.Sprintf("m%d", 4-i), "T2")
	}
	p1, err := s.TeamMembers(ctx, "T2", store.Page{Limit: 3})
	must(t, err)
	p2, err := s.TeamMembers(ctx, "T2", store.Page{Limit: 3, Offset: 3})
	must(t, err)
	var names []string
	for _, u := range append(p1, p2...) {
		names = append(names, u.NameFolded)
	}
	if !slices.Equal(names, []string{"m0", "m1", "m2", "m3", "m4"}) || len(p1) != 3 {
		t.Errorf("TeamMembers pages = %v", names)
	}
	must(t, s.SetUserTeam(ctx, a.ID, "T2"))
	must(t, s.LeaveTeam(ctx, b.ID))
	if got, _ := s.UserByID(ctx, b.ID); got.TeamID != "" {
		t.Errorf("left the team but TeamID = %q", got.TeamID)
	}
	if l, _ := s.TeamMembers(ctx, "T2", store.Page{}); len(l) != 6 {
		t.Errorf("T2 has %d members, want 6", len(l))
	}
}

func testSessions(t *testing.T, s store.Store) {
	ctx := context.Background()
	u := newUser(t, s, "0912345678", "an", "")
	must(t, s.CreateSession(ctx, &store.Session{ID: "s1", UserID: u.ID, Created: t0, Expires: t0.Add(time.Hour)}))
	must(t, s.CreateSession(ctx, &store.Session{ID: "s2", UserID: u.ID, Created: t0, Expires: t0.Add(time.Hour)}))
	ss, err := s.SessionByID(ctx, "s1", t0.Add(time.Minute))
	must(t, err)
	if ss.UserID != u.ID || !ss.Expires.Equal(t0.Add(time.Hour)) {
		t.Errorf("session = %+v", ss)
	}
	if _, err := s.SessionByID(ctx, "s1", t0.Add(2*time.Hour)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("an expired session is live: %v", err)
	}
	ss, su, err := s.SessionUser(ctx, "s1", t0.Add(time.Minute))
	must(t, err)
	if ss.ID != "s1" || su.ID != u.ID || su.Phone != u.Phone || su.Name != u.Name || !su.Created.Equal(t0) || !ss.Expires.Equal(t0.Add(time.Hour)) {
		t.Errorf("SessionUser = %+v, %+v", ss, su)
	}
	if _, _, err := s.SessionUser(ctx, "s1", t0.Add(2*time.Hour)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("SessionUser of an expired session: %v", err)
	}
	if _, _, err := s.SessionUser(ctx, "nope", t0); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("SessionUser of no session: %v", err)
	}
	must(t, s.DeleteSession(ctx, "s2"))
	if _, err := s.SessionByID(ctx, "s2", t0); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleted session: %v", err)
	}
	must(t, s.CreateSession(ctx, &store.Session{ID: "s3", UserID: u.ID, Created: t0, Expires: t0.Add(time.Hour)}))
	must(t, s.DeleteUserSessions(ctx, u.ID))
	if _, err := s.SessionByID(ctx, "s3", t0); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("sessions survive DeleteUserSessions: %v", err)
	}
}

func testTeams(t *testing.T, s store.Store) {
	ctx := context.Background()
	for i := range 4 {
		must(t, s.CreateTeam(ctx, &store.Team{ID: fmt.Sprintf("T%d", i), Name: fmt.Sprintf("Tổ %d", i), Province: "01", Commune: "00004", LeaderID: "L", Created: t0.Add(time.Duration(i) * time.Hour)}))
	}
	if err := s.CreateTeam(ctx, &store.Team{ID: "T1", Name: "x"}); !errors.Is(err, store.ErrDuplicate) {
		t.Errorf("a team code taken twice: %v", err)
	}
	page, err := s.Teams(ctx, store.Page{Limit: 2})
	must(t, err)
	if len(page) != 2 || page[0].ID != "T3" || page[1].ID != "T2" {
		t.Errorf("Teams newest first = %v", page)
	}
	if n, _ := s.CountTeams(ctx); n != 4 {
		t.Errorf("CountTeams = %d", n)
	}
	must(t, s.SetTeamLeader(ctx, "T1", "M"))
	if tm, _ := s.Team(ctx, "T1"); tm.LeaderID != "M" || tm.Name != "Tổ 1" {
		t.Errorf("team = %+v", tm)
	}
	if l, _ := s.TeamsLedBy(ctx, "L"); len(l) != 3 {
		t.Errorf("TeamsLedBy = %d teams", len(l))
	}
	a := newUser(t, s, "0911111111", "a", "T1")
	newUser(t, s, "0911111112", "b", "T1")
	newUser(t, s, "0911111113", "c", "T2")
	_, _, err = s.IssueCertificate(ctx, newCert(a, "c1", t0), t0)
	must(t, err)
	got, err := s.TeamCounts(ctx, []string{"T1", "T2", "T3"})
	must(t, err)
	if got["T1"] != (store.TeamCounts{Members: 2, Certificates: 1}) || got["T2"] != (store.TeamCounts{Members: 1}) || got["T3"] != (store.TeamCounts{}) {
		t.Errorf("TeamCounts = %v", got)
	}
}

func testProgress(t *testing.T, s store.Store) {
	ctx := context.Background()
	u := newUser(t, s, "0912345678", "an", "")
	v := newUser(t, s, "0912345679", "binh", "")
	must(t, s.MarkLessonDone(ctx, u.ID, "c1", "l1", t0))
	must(t, s.MarkLessonDone(ctx, u.ID, "c1", "l1", t0))
	must(t, s.MarkLessonDone(ctx, u.ID, "c1", "l2", t0.Add(time.Minute)))
	must(t, s.RecordScore(ctx, u.ID, "c1", 80, true, t0.Add(2*time.Minute)))
	must(t, s.RecordScore(ctx, u.ID, "c1", 40, false, t0.Add(3*time.Minute)))
	must(t, s.RecordScore(ctx, v.ID, "c2", 30, false, t0))
	p, err := s.ProgressOf(ctx, u.ID)
	must(t, err)
	c1 := p["c1"]
	if c1 == nil || !slices.Equal(c1.Lessons, []string{"l1", "l2"}) || c1.Best != 80 || !c1.Passed || c1.ID != store.ProgressID(u.ID, "c1") {
		t.Fatalf("progress = %+v", c1)
	}
	if pv, _ := s.ProgressOf(ctx, v.ID); pv["c2"] == nil || pv["c2"].Lessons == nil || pv["c2"].Best != 30 {
		t.Errorf("a score without lessons: %+v", pv["c2"])
	}
	must(t, s.ClearPassed(ctx, u.ID, "c1"))
	all, err := s.ProgressOfUsers(ctx, []string{u.ID, v.ID, "nobody"})
	must(t, err)
	if all[u.ID]["c1"].Passed || all[u.ID]["c1"].Best != 80 || all[v.ID]["c2"] == nil || len(all) != 2 {
		t.Errorf("ProgressOfUsers = %v", all)
	}
}

func newAttempt(t *testing.T, s store.Store, u *store.User) *store.Attempt {
	t.Helper()
	a := &store.Attempt{ID: store.NewID(), UserID: u.ID, Course: "c1", Seed: 7,
		Drawn: []quiz.Drawn{{QuestionID: "q1", Options: []string{"a", "b"}}}, Created: t0}
	must(t, s.CreateAttempt(context.Background(), a))
	return a
}

func graded(a *store.Attempt, pass bool) *store.Attempt {
	g := *a
	g.Submitted, g.At, g.Passed = true, t0.Add(time.Minute), pass
	g.Result = &quiz.Result{Items: []quiz.Item{{QuestionID: "q1", Given: []string{"a"}, Correct: pass}}}
	return &g
}

func testAttempts(t *testing.T, s store.Store) {
	ctx := context.Background()
	u := newUser(t, s, "0912345678", "an", "")
	v := newUser(t, s, "0912345679", "binh", "")
	a := newAttempt(t, s, u)
	open, err := s.OpenAttempt(ctx, u.ID, "c1")
	must(t, err)
	if open.ID != a.ID || open.Seed != 7 || len(open.Drawn) != 1 || open.Drawn[0].Options[1] != "b" {
		t.Errorf("open attempt = %+v", open)
	}
	if _, err := s.AttemptByID(ctx, v.ID, a.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("another learner reads the attempt: %v", err)
	}
	wrong := graded(a, true)
	wrong.UserID = v.ID
	if _, _, err := s.SubmitAttempt(ctx, wrong); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("another learner submits the attempt: %v", err)
	}
	got, first, err := s.SubmitAttempt(ctx, graded(a, true))
	must(t, err)
	if !first || !got.Passed || !got.Submitted {
		t.Errorf("first submit = %+v, %v", got, first)
	}
	// A resend with other answers gets the first grading back.
	got, first, err = s.SubmitAttempt(ctx, graded(a, false))
	must(t, err)
	if first || !got.Passed || !got.Result.Items[0].Correct || !got.At.Equal(t0.Add(time.Minute)) {
		t.Errorf("second submit = %+v, %v; want the first grading", got, first)
	}
	stored, err := s.AttemptByID(ctx, u.ID, a.ID)
	must(t, err)
	if !stored.Submitted || !stored.Passed || stored.Result == nil {
		t.Errorf("stored attempt = %+v", stored)
	}
	if _, err := s.OpenAttempt(ctx, u.ID, "c1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a graded attempt is still open: %v", err)
	}
	if l, _ := s.AttemptsOf(ctx, u.ID); len(l) != 1 {
		t.Errorf("AttemptsOf = %d", len(l))
	}
	if x, err := s.AttemptByAnyUser(ctx, a.ID); err != nil || x.UserID != u.ID {
		t.Errorf("AttemptByAnyUser = %v, %v", x, err)
	}
}

func testIssue(t *testing.T, s store.Store) {
	ctx := context.Background()
	u := newUser(t, s, "0912345678", "an", "T1")
	c := newCert(u, "c1", t0)
	got, isNew, err := s.IssueCertificate(ctx, c, t0)
	must(t, err)
	if !isNew || got.Code != c.Code {
		t.Fatalf("first issue = %v %v", got, isNew)
	}
	again, isNew, err := s.IssueCertificate(ctx, newCert(u, "c1", t0.Add(time.Hour)), t0.Add(time.Hour))
	must(t, err)
	if isNew || again.Code != c.Code {
		t.Errorf("a second pass issued %s, want the first certificate %s back", again.Code, c.Code)
	}
	other, isNew, err := s.IssueCertificate(ctx, newCert(u, "c2", t0), t0)
	must(t, err)
	if !isNew || other.StatusIndex == got.StatusIndex {
		t.Errorf("second course: new=%v, status index %d and %d", isNew, other.StatusIndex, got.StatusIndex)
	}
	stored, err := s.Certificate(ctx, c.Code)
	must(t, err)
	if stored.Holder != "an" || stored.TeamID != "T1" || !stored.IssuedAt.Equal(t0) || stored.Status != store.CertValid || stored.StatusIndex != got.StatusIndex {
		t.Errorf("stored certificate = %+v", stored)
	}
	if l, _ := s.CertificatesOf(ctx, u.ID); len(l) != 2 {
		t.Errorf("CertificatesOf = %d", len(l))
	}
	// Revoked, then passed again later: a new certificate. An older pass
	// does not bring one back.
	_, _, err = s.RevokeCertificate(ctx, &store.Revocation{Code: c.Code, Reason: store.ReasonError, At: t0.Add(2 * time.Hour)})
	must(t, err)
	old, isNew, err := s.IssueCertificate(ctx, newCert(u, "c1", t0.Add(3*time.Hour)), t0.Add(time.Hour))
	must(t, err)
	if isNew || old.Code != c.Code || old.Status != store.CertRevoked {
		t.Errorf("a pass older than the revocation issued a certificate: %+v %v", old, isNew)
	}
	fresh := newCert(u, "c1", t0.Add(4*time.Hour))
	got2, isNew, err := s.IssueCertificate(ctx, fresh, t0.Add(3*time.Hour))
	must(t, err)
	if !isNew || got2.Code != fresh.Code {
		t.Errorf("a pass after the revocation: %+v %v", got2, isNew)
	}
	valid, err := s.TeamCertificates(ctx, "T1", true, store.Page{})
	must(t, err)
	all, err := s.TeamCertificates(ctx, "T1", false, store.Page{})
	must(t, err)
	if len(valid) != 2 || len(all) != 3 || all[0].Code != c.Code {
		t.Errorf("team certificates: %d valid, %d in all", len(valid), len(all))
	}
	if idx, _ := s.RevokedIndexes(ctx); !slices.Equal(idx, []int{got.StatusIndex}) {
		t.Errorf("RevokedIndexes = %v, want [%d]", idx, got.StatusIndex)
	}
	must(t, s.SetShowFullName(ctx, u.ID, fresh.Code, true))
	if err := s.SetShowFullName(ctx, "someone", fresh.Code, false); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("another person sets the name choice: %v", err)
	}
	if x, _ := s.Certificate(ctx, fresh.Code); !x.ShowFullName {
		t.Error("ShowFullName not kept")
	}
}

func testRevoke(t *testing.T, s store.Store) {
	ctx := context.Background()
	u := newUser(t, s, "0912345678", "an", "")
	c := newCert(u, "c1", t0)
	_, _, err := s.IssueCertificate(ctx, c, t0)
	must(t, err)
	if _, _, err := s.RevokeCertificate(ctx, &store.Revocation{Code: "nosuchcode", Reason: store.ReasonError, At: t0}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("revoke unknown: %v", err)
	}
	idx, err := s.AllocateStatusIndex(ctx)
	must(t, err)
	next := newCert(u, "c1", t0.Add(time.Hour))
	next.Holder, next.StatusIndex = "An", idx
	r := &store.Revocation{Code: c.Code, Reason: store.ReasonReplaced, At: t0.Add(time.Hour), Replacement: next}
	got, first, err := s.RevokeCertificate(ctx, r)
	must(t, err)
	if !first || got.Replacement == nil || got.Replacement.Code != next.Code {
		t.Errorf("first revoke = %+v %v", got, first)
	}
	again, first, err := s.RevokeCertificate(ctx, &store.Revocation{Code: c.Code, Reason: store.ReasonFraud, At: t0.Add(2 * time.Hour)})
	must(t, err)
	if first || again.Reason != store.ReasonReplaced {
		t.Errorf("second revoke = %+v %v; want the first decision", again, first)
	}
	old, _ := s.Certificate(ctx, c.Code)
	if old.Status != store.CertRevoked || old.ReplacedBy != next.Code || old.RevokeReason != store.ReasonReplaced || old.RevokedAt == nil || !old.RevokedAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("old certificate = %+v", old)
	}
	nw, err := s.Certificate(ctx, next.Code)
	must(t, err)
	if nw.Status != store.CertValid || nw.Holder != "An" || nw.StatusIndex != idx {
		t.Errorf("replacement = %+v", nw)
	}
	// The replacement is the learner's certificate for the course now.
	if held, isNew, _ := s.IssueCertificate(ctx, newCert(u, "c1", t0.Add(5*time.Hour)), t0.Add(5*time.Hour)); isNew || held.Code != next.Code {
		t.Errorf("after replacement, issue gives %s (new=%v), want %s", held.Code, isNew, next.Code)
	}
}

func testScrub(t *testing.T, s store.Store) {
	ctx := context.Background()
	u := newUser(t, s, "0912345678", "an", "")
	a, b := newCert(u, "c1", t0), newCert(u, "c2", t0)
	for _, c := range []*store.Certificate{a, b} {
		_, _, err := s.IssueCertificate(ctx, c, t0)
		must(t, err)
	}
	_, _, err := s.RevokeCertificate(ctx, &store.Revocation{Code: b.Code, Reason: store.ReasonError, At: t0})
	must(t, err)
	codes, err := s.ScrubCertificates(ctx, u.ID, t0.Add(time.Hour))
	must(t, err)
	if !slices.Equal(codes, []string{a.Code}) {
		t.Errorf("scrub revoked %v, want [%s]", codes, a.Code)
	}
	for _, code := range []string{a.Code, b.Code} {
		c, _ := s.Certificate(ctx, code)
		if c.Holder != "" || c.UserID != "" || c.Status != store.CertRevoked {
			t.Errorf("after scrub: %+v", c)
		}
	}
	if c, _ := s.Certificate(ctx, a.Code); c.RevokeReason != store.ReasonRequest || c.RevokedAt == nil {
		t.Errorf("scrubbed certificate reason %q", c.RevokeReason)
	}
	if c, _ := s.Certificate(ctx, b.Code); c.RevokeReason != store.ReasonError {
		t.Errorf("an earlier revocation's reason was overwritten: %q", c.RevokeReason)
	}
	if codes, _ := s.ScrubCertificates(ctx, u.ID, t0.Add(2*time.Hour)); len(codes) != 0 {
		t.Errorf("second scrub revoked %v", codes)
	}
	if _, first, err := s.RevokeCertificate(ctx, &store.Revocation{Code: a.Code, Reason: store.ReasonFraud, At: t0}); err != nil || first {
		t.Errorf("revoking a scrubbed certificate: first=%v err=%v", first, err)
	}
}

func testVerifications(t *testing.T, s store.Store) {
	ctx := context.Background()
	for i := range 30 {
		must(t, s.RecordVerification(ctx, &store.Verification{ID: store.NewID(), Code: "C1", At: t0.Add(time.Duration(i) * time.Minute), Channel: "page"}))
	}
	must(t, s.RecordVerification(ctx, &store.Verification{ID: store.NewID(), Code: "C2", At: t0, Channel: "json"}))
	l, err := s.Verifications(ctx, "C1", 20)
	must(t, err)
	if len(l) != 20 || !l[0].At.Equal(t0.Add(29*time.Minute)) || l[0].Channel != "page" {
		t.Errorf("Verifications: %d, newest %v", len(l), l[0].At)
	}
	if n, _ := s.CountVerifications(ctx, "C1"); n != 30 {
		t.Errorf("CountVerifications = %d", n)
	}
}

func testAudit(t *testing.T, s store.Store) {
	ctx := context.Background()
	for i := range 5 {
		must(t, s.Audit(ctx, &store.AuditEntry{At: t0.Add(time.Duration(i) * time.Minute), Actor: "A", Action: store.ActTeamCreate, Target: fmt.Sprint(i)}))
	}
	e := &store.AuditEntry{ID: "revoke:X", At: t0.Add(time.Hour), Actor: "A", Action: store.ActCertRevoke, Target: "X", Detail: "error"}
	must(t, s.Audit(ctx, e))
	must(t, s.Audit(ctx, e)) // a retried workflow
	l, err := s.AuditLog(ctx, store.Page{Limit: 3})
	must(t, err)
	if len(l) != 3 || l[0].ID != "revoke:X" || l[0].Detail != "error" || l[1].Target != "4" {
		t.Errorf("AuditLog = %+v", l)
	}
	all, _ := s.AuditLog(ctx, store.Page{Limit: 100})
	if len(all) != 6 {
		t.Errorf("%d entries, want 6 (a retried entry counts once)", len(all))
	}
	rest, _ := s.AuditLog(ctx, store.Page{Limit: 100, Offset: 4})
	if len(rest) != 2 || rest[1].Target != "0" {
		t.Errorf("second page = %+v", rest)
	}
	for i, at := range []time.Duration{-48 * time.Hour, time.Hour, 2 * time.Hour, 3 * time.Hour} {
		must(t, s.Audit(ctx, &store.AuditEntry{At: t0.Add(at), Actor: fmt.Sprint("L", i), Action: store.ActPasswordReset, Target: "P"}))
	}
	must(t, s.Audit(ctx, &store.AuditEntry{At: t0.Add(time.Hour), Actor: "L", Action: store.ActResetCode, Target: "P"}))
	must(t, s.Audit(ctx, &store.AuditEntry{At: t0.Add(time.Hour), Actor: "L", Action: store.ActPasswordReset, Target: "Q"}))
	about, err := s.AuditAbout(ctx, "P", store.ActPasswordReset, t0, 2)
	must(t, err)
	if len(about) != 2 || about[0].Actor != "L3" || about[1].Actor != "L2" || !about[0].At.Equal(t0.Add(3*time.Hour)) {
		t.Errorf("AuditAbout = %+v, want the two newest resets of P", about)
	}
	if all, _ := s.AuditAbout(ctx, "P", store.ActPasswordReset, t0, 10); len(all) != 3 {
		t.Errorf("AuditAbout since t0: %d entries, want 3 (not the older one, nor other actions or people)", len(all))
	}
	if ever, _ := s.AuditAbout(ctx, "P", store.ActPasswordReset, time.Time{}, 10); len(ever) != 4 || ever[3].Actor != "L0" {
		t.Errorf("AuditAbout since the zero time = %+v, want all four resets of P", ever)
	}

	// The same entry written by a workflow sent twice at once: neither
	// fails, one is kept, and a later write of the id changes nothing.
	AtOnce(8, func(i int) {
		if err := s.Audit(ctx, &store.AuditEntry{ID: "team.leader:T9:-:phone:>phone:0944000001", At: t0.Add(4 * time.Hour), Actor: "A", Action: store.ActTeamLeader, Target: "T9", Detail: "phone:0944000001"}); err != nil {
			t.Errorf("the entry written at once by %d: %v", i, err)
		}
	})
	must(t, s.Audit(ctx, &store.AuditEntry{ID: "team.leader:T9:-:phone:>phone:0944000001", At: t0.Add(5 * time.Hour), Actor: "B", Action: store.ActTeamLeader, Target: "T9", Detail: "other"}))
	if l, _ := s.AuditAbout(ctx, "T9", store.ActTeamLeader, t0, 10); len(l) != 1 || l[0].Actor != "A" || l[0].Detail != "phone:0944000001" || !l[0].At.Equal(t0.Add(4*time.Hour)) {
		t.Errorf("one entry written by 8 at once, then again: %+v, want the first as written", l)
	}
}

func testSetup(t *testing.T, s store.Store) {
	ctx := context.Background()
	tok, err := s.SetupToken(ctx)
	must(t, err)
	if tok == "" {
		t.Fatal("no setup token on an empty store")
	}
	if again, _ := s.SetupToken(ctx); again != tok {
		t.Errorf("setup token changed: %s then %s", tok, again)
	}
	if ok, _ := s.CheckSetupToken(ctx, "wrong", "0912345678"); ok {
		t.Error("a wrong token checks out")
	}
	if ok, _ := s.UseSetupToken(ctx, "wrong", "0912345678"); ok {
		t.Error("a wrong token is used")
	}
	ok, err := s.UseSetupToken(ctx, tok, "0912345678")
	must(t, err)
	if !ok {
		t.Fatal("the live token is refused")
	}
	if ok, _ := s.UseSetupToken(ctx, tok, "0912345678"); !ok {
		t.Error("a retry by the same person is refused: a setup cut short could never finish")
	}
	if ok, _ := s.CheckSetupToken(ctx, tok, "0912345678"); !ok {
		t.Error("the same person's retry does not check out")
	}
	if ok, _ := s.UseSetupToken(ctx, tok, "0999999999"); ok {
		t.Error("a used token works for another phone")
	}
	if ok, _ := s.CheckSetupToken(ctx, tok, "0999999999"); ok {
		t.Error("a used token checks out for another phone")
	}
	u := newUser(t, s, "0912345678", "an", "")
	must(t, s.SetUserRole(ctx, u.ID, store.RoleAdmin))
	if tok, _ := s.SetupToken(ctx); tok != "" {
		t.Errorf("a setup token %q while an admin exists", tok)
	}
}

func testResets(t *testing.T, s store.Store) {
	ctx := context.Background()
	u := newUser(t, s, "0912345678", "an", "")
	must(t, s.SetReset(ctx, &store.Reset{UserID: u.ID, Hash: "h1", Expires: t0.Add(time.Hour), By: "L"}))
	must(t, s.SetReset(ctx, &store.Reset{UserID: u.ID, Hash: "h2", Expires: t0.Add(time.Hour), By: "L"}))
	r, err := s.ResetOf(ctx, u.ID, t0)
	must(t, err)
	if r.Hash != "h2" || r.By != "L" {
		t.Errorf("reset = %+v", r)
	}
	must(t, s.FailReset(ctx, u.ID))
	must(t, s.FailReset(ctx, u.ID))
	if r, _ := s.ResetOf(ctx, u.ID, t0); r.Failures != 2 {
		t.Errorf("failures = %d", r.Failures)
	}
	if _, err := s.ResetOf(ctx, u.ID, t0.Add(2*time.Hour)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("an expired code is live: %v", err)
	}
	must(t, s.DeleteReset(ctx, u.ID, "h1")) // not the live one: kept
	if _, err := s.ResetOf(ctx, u.ID, t0); err != nil {
		t.Errorf("deleting an older code removed the live one: %v", err)
	}
	must(t, s.DeleteReset(ctx, u.ID, "h2"))
	if _, err := s.ResetOf(ctx, u.ID, t0); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a used code is live: %v", err)
	}
}

func testRateLimit(t *testing.T, s store.Store) {
	ctx := context.Background()
	w := time.Minute
	for i := 1; i <= 3; i++ {
		n, err := s.Hit(ctx, "login:1.2.3.4", w, t0)
		must(t, err)
		if n != i {
			t.Errorf("hit %d counted %d", i, n)
		}
	}
	if n, _ := s.Hits(ctx, "login:1.2.3.4", w, t0.Add(10*time.Second)); n != 3 {
		t.Errorf("Hits = %d", n)
	}
	if n, _ := s.Hits(ctx, "login:1.2.3.4", w, t0.Add(w)); n != 0 {
		t.Errorf("the next window starts at %d", n)
	}
	must(t, s.ClearHits(ctx, "login:1.2.3.4", w, t0))
	if n, _ := s.Hits(ctx, "login:1.2.3.4", w, t0); n != 0 {
		t.Errorf("after ClearHits: %d", n)
	}
}

// testRateLimitConcurrency: limits count first, then check, so each of
// many hits at once must get a count of its own. 200 hits of one key at
// once are counted 1..200, each once; with a limit of 30, exactly 30 get
// a count within it and the rest read 31; and once over, a key stays over.
func testRateLimitConcurrency(t *testing.T, s store.Store) {
	ctx := context.Background()
	const n = 200
	w := time.Minute
	run := func(hit func() (int, error)) []int {
		counts := make([]int, n)
		AtOnce(n, func(i int) {
			c, err := hit()
			if err != nil {
				t.Error(err)
			}
			counts[i] = c
		})
		slices.Sort(counts)
		return counts
	}
	counts := run(func() (int, error) { return s.Hit(ctx, "verify:10.0.0.1", w, t0) })
	for i, c := range counts {
		if c != i+1 {
			t.Fatalf("200 hits at once were counted %v, want 1..200 each once", counts)
		}
	}
	if got, err := s.Hits(ctx, "verify:10.0.0.1", w, t0.Add(time.Second)); err != nil || got != n {
		t.Errorf("Hits after 200 hits = %d, %v", got, err)
	}

	const limit = 30
	counts = run(func() (int, error) { return s.HitUpTo(ctx, "reset:u1", limit, w, t0) })
	for i, c := range counts {
		want := min(i+1, limit+1)
		if c != want {
			t.Fatalf("200 hits at once with limit %d were counted %v, want 1..%d each once, then %d", limit, counts, limit, limit+1)
		}
	}
	if got, _ := s.HitUpTo(ctx, "reset:u1", limit, w, t0.Add(30*time.Second)); got != limit+1 {
		t.Errorf("a key over its limit counted %d, want %d", got, limit+1)
	}
	if got, _ := s.Hits(ctx, "reset:u1", w, t0); got != limit+1 {
		t.Errorf("a key over its limit holds %d, want %d", got, limit+1)
	}
	// The next window starts again; another key is not touched.
	if got, _ := s.HitUpTo(ctx, "reset:u1", limit, w, t0.Add(w)); got != 1 {
		t.Errorf("the next window counted %d", got)
	}
	if got, _ := s.HitUpTo(ctx, "reset:u2", limit, w, t0); got != 1 {
		t.Errorf("another key counted %d", got)
	}
	if got, _ := s.HitUpTo(ctx, "reset:u3", 0, w, t0); got != 1 {
		t.Errorf("a limit of 0 counted %d, want 1 (over)", got)
	}
}

func testKeys(t *testing.T, s store.Store) {
	ctx := context.Background()
	must(t, s.AddSigningKey(ctx, &store.SigningKey{Seq: 1, Public: []byte{1, 2}, Sealed: []byte{3, 4}, Created: t0}))
	if err := s.AddSigningKey(ctx, &store.SigningKey{Seq: 1, Public: []byte{9}, Sealed: []byte{9}, Created: t0}); !errors.Is(err, store.ErrDuplicate) {
		t.Errorf("two instances made key 1: %v", err)
	}
	must(t, s.AddSigningKey(ctx, &store.SigningKey{Seq: 2, Public: []byte{5}, Sealed: []byte{6}, Created: t0}))
	l, err := s.SigningKeys(ctx)
	must(t, err)
	if len(l) != 2 || l[0].Seq != 1 || !bytes.Equal(l[0].Sealed, []byte{3, 4}) || l[1].Seq != 2 {
		t.Errorf("SigningKeys = %+v", l)
	}
}

func testSweep(t *testing.T, s store.Store) {
	ctx := context.Background()
	u := newUser(t, s, "0912345678", "an", "")
	must(t, s.CreateSession(ctx, &store.Session{ID: "old", UserID: u.ID, Created: t0, Expires: t0.Add(time.Minute)}))
	must(t, s.CreateSession(ctx, &store.Session{ID: "live", UserID: u.ID, Created: t0, Expires: t0.Add(time.Hour)}))
	must(t, s.SetReset(ctx, &store.Reset{UserID: u.ID, Hash: "h", Expires: t0.Add(time.Minute)}))
	_, err := s.Hit(ctx, "k", time.Minute, t0)
	must(t, err)
	must(t, s.Sweep(ctx, t0.Add(10*time.Minute)))
	var kinds []string
	must(t, s.Dump(ctx, func(r store.Record) error {
		if r.Kind == store.KindSession {
			kinds = append(kinds, r.Value.(*store.Session).ID)
		}
		if r.Kind == store.KindReset {
			kinds = append(kinds, "reset")
		}
		return nil
	}))
	if !slices.Equal(kinds, []string{"live"}) {
		t.Errorf("after Sweep: %v, want only the live session", kinds)
	}
	if n, _ := s.Hits(ctx, "k", time.Minute, t0); n != 0 {
		t.Errorf("an old rate-limit window survived Sweep: %d", n)
	}
}

func testDeleteUser(t *testing.T, s store.Store) {
	ctx := context.Background()
	u := newUser(t, s, "0912345678", "an", "")
	keep := newUser(t, s, "0912345679", "binh", "")
	for _, x := range []*store.User{u, keep} {
		must(t, s.CreateSession(ctx, &store.Session{ID: "s" + x.ID, UserID: x.ID, Created: t0, Expires: t0.Add(time.Hour)}))
		must(t, s.MarkLessonDone(ctx, x.ID, "c1", "l1", t0))
		newAttempt(t, s, x)
		must(t, s.SetReset(ctx, &store.Reset{UserID: x.ID, Hash: "h", Expires: t0.Add(time.Hour)}))
	}
	must(t, s.DeleteUserData(ctx, u.ID))
	must(t, s.DeleteUserData(ctx, u.ID))
	if _, err := s.UserByID(ctx, u.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("user remains: %v", err)
	}
	if _, err := s.UserByPhone(ctx, u.Phone); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("phone remains: %v", err)
	}
	left := map[string]int{}
	must(t, s.Dump(ctx, func(r store.Record) error { left[r.Kind]++; return nil }))
	want := map[string]int{store.KindUser: 1, store.KindSession: 1, store.KindProgress: 1, store.KindAttempt: 1, store.KindReset: 1}
	for k, n := range want {
		if left[k] != n {
			t.Errorf("%s: %d left, want %d (only the other person's)", k, left[k], n)
		}
	}
}

func testAtomic(t *testing.T, s store.Store) {
	ctx := context.Background()
	boom := errors.New("boom")
	err := s.Atomic(ctx, func(ctx context.Context, tx store.Store) error {
		newUser(t, tx, "0912345678", "an", "")
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Atomic returned %v, want fn's error", err)
	}
	must(t, s.Atomic(ctx, func(ctx context.Context, tx store.Store) error {
		newUser(t, tx, "0912345670", "binh", "")
		return nil
	}))
	if _, err := s.UserByPhone(ctx, "0912345670"); err != nil {
		t.Errorf("a committed unit is not visible: %v", err)
	}
	// Whether the failed unit left its write depends on the backend (see
	// Atomic's doc); both are fine, but a store must answer either way.
	_, err = s.UserByPhone(ctx, "0912345678")
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		t.Error(err)
	}
}

// fill writes one or more records of every kind.
func fill(t *testing.T, s store.Store) {
	ctx := context.Background()
	u := newUser(t, s, "0912345678", "Nguyễn Văn An", "T1")
	v := newUser(t, s, "0912345679", "Trần Thị Bình", "")
	must(t, s.CreateTeam(ctx, &store.Team{ID: "T1", Name: "Tổ 1", Province: "01", Commune: "00004", LeaderID: u.ID, Households: 85, Created: t0}))
	must(t, s.CreateTeam(ctx, &store.Team{ID: "T2", Name: "Tổ 2", Province: "01", Commune: "00004", Created: t0}))
	must(t, s.AwaitTeamLeader(ctx, "T2", "0912345670"))
	must(t, s.CreateHousehold(ctx, &store.Household{ID: "h1", TeamID: "T1", Label: "Hộ ông Ba", Created: t0}))
	must(t, s.SetUserHousehold(ctx, "T1", u.ID, "h1"))
	_, err := s.PutGrant(ctx, &store.Grant{ID: store.GrantID(store.GrantCommune, "00004", "0912345679"), Role: store.GrantCommune,
		Place: "00004", Province: "01", Phone: "0912345679", By: u.ID, At: t0, UserID: v.ID})
	must(t, err)
	_, err = s.PutGrant(ctx, &store.Grant{ID: store.GrantID(store.GrantProvince, "01", "0912345671"), Role: store.GrantProvince,
		Place: "01", Province: "01", Phone: "0912345671", By: u.ID, At: t0})
	must(t, err)
	must(t, s.SetClaimCode(ctx, &store.ClaimCode{ID: store.ClaimOfTeam("T2"), Phone: "0912345670", Hash: "ch", Expires: t0.Add(14 * 24 * time.Hour), By: u.ID, Made: t0}))
	_, err = s.PutSnapshot(ctx, &store.Snapshot{ID: "2026-Q3/01", Body: []byte(`{"people":2}`), At: t0})
	must(t, err)
	must(t, s.CreateSession(ctx, &store.Session{ID: "s1", UserID: u.ID, Created: t0, Expires: t0.Add(24 * time.Hour)}))
	must(t, s.MarkLessonDone(ctx, u.ID, "c1", "l1", t0))
	_, _, err = s.ConfirmTask(ctx, &store.Confirmation{UserID: u.ID, Course: "c1", Task: "t1", TeamID: "T1", TeamName: "Tổ 1", By: u.ID, At: t0})
	must(t, err)
	must(t, s.RecordScore(ctx, v.ID, "c1", 60, false, t0))
	a := newAttempt(t, s, u)
	_, _, err = s.SubmitAttempt(ctx, graded(a, true))
	must(t, err)
	newAttempt(t, s, v)
	c := newCert(u, "c1", t0)
	_, _, err = s.IssueCertificate(ctx, c, t0)
	must(t, err)
	d := newCert(v, "c1", t0)
	_, _, err = s.IssueCertificate(ctx, d, t0)
	must(t, err)
	_, _, err = s.RevokeCertificate(ctx, &store.Revocation{Code: d.Code, Reason: store.ReasonFraud, At: t0.Add(time.Hour)})
	must(t, err)
	must(t, s.RecordVerification(ctx, &store.Verification{ID: "v1", Code: c.Code, At: t0, Channel: "page"}))
	must(t, s.Audit(ctx, &store.AuditEntry{ID: "e1", At: t0, Actor: u.ID, Action: store.ActTeamCreate, Target: "T1", Detail: "Tổ 1"}))
	must(t, s.SetReset(ctx, &store.Reset{UserID: v.ID, Hash: "h", Expires: t0.Add(time.Hour), By: u.ID}))
	must(t, s.AddSigningKey(ctx, &store.SigningKey{Seq: 1, Public: []byte{1}, Sealed: []byte{2}, Created: t0}))
	_, err = s.SetupToken(ctx)
	must(t, err)
}

func dumpLines(t *testing.T, s store.Store) []string {
	var buf bytes.Buffer
	_, err := store.Export(context.Background(), s, &buf)
	must(t, err)
	lines := bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n"))
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = string(l)
	}
	sort.Strings(out)
	return out
}

func testDumpLoad(t *testing.T, s, empty store.Store) {
	fill(t, s)
	before := dumpLines(t, s)
	if len(before) < len(store.Kinds) {
		t.Fatalf("export has %d lines for %d kinds", len(before), len(store.Kinds))
	}
	var buf bytes.Buffer
	_, err := store.Export(context.Background(), s, &buf)
	must(t, err)
	counts, err := store.Import(context.Background(), empty, &buf)
	must(t, err)
	for _, k := range store.Kinds {
		if counts[k] == 0 {
			t.Errorf("no %s record exported", k)
		}
	}
	after := dumpLines(t, empty)
	if !slices.Equal(before, after) {
		t.Errorf("export → import → export differs:\nbefore %v\nafter  %v", before, after)
	}
	// The imported store goes on working: the learner's certificate is
	// still theirs, and a new one gets a status index of its own.
	ctx := context.Background()
	u, err := empty.UserByPhone(ctx, "0912345678")
	must(t, err)
	held, isNew, err := empty.IssueCertificate(ctx, newCert(u, "c1", t0.Add(time.Hour)), t0.Add(time.Hour))
	must(t, err)
	if isNew {
		t.Error("after import, a learner got a second certificate for one course")
	}
	c2, _, err := empty.IssueCertificate(ctx, newCert(u, "c2", t0), t0)
	must(t, err)
	if c2.StatusIndex == held.StatusIndex {
		t.Errorf("after import, a status index was given twice: %d", c2.StatusIndex)
	}
	// The new fields came over, and what they mean still works.
	if u.Household != "h1" {
		t.Errorf("after import, the person's household is %q", u.Household)
	}
	if tm, err := empty.Team(ctx, "T1"); err != nil || tm.Households != 85 {
		t.Errorf("after import, team T1 = %+v, %v", tm, err)
	}
	if h, err := empty.Household(ctx, "h1"); err != nil || h.Label != "Hộ ông Ba" || h.TeamID != "T1" {
		t.Errorf("after import, household = %+v, %v", h, err)
	}
	if l, err := empty.Grants(ctx, store.GrantQuery{Phone: "0912345679"}); err != nil || len(l) != 1 || !l[0].At.Equal(t0) {
		t.Errorf("after import, grants = %+v, %v", l, err)
	}
	if isNew, _ := empty.PutGrant(ctx, &store.Grant{ID: store.GrantID(store.GrantCommune, "00004", "0912345679")}); isNew {
		t.Error("after import, an imported grant is stored again as new")
	}
	if snap, err := empty.PutSnapshot(ctx, &store.Snapshot{ID: "2026-Q3/01", Body: []byte("other"), At: t0}); err != nil || string(snap.Body) != `{"people":2}` {
		t.Errorf("after import, the snapshot = %+v, %v", snap, err)
	}
	if l, err := empty.ClaimTeams(ctx, "0912345670", "newcomer"); err != nil || len(l) != 1 || l[0].ID != "T2" {
		t.Errorf("after import, the team awaiting a leader: claim = %v, %v", l, err)
	}
}

// AtOnce runs f(0) … f(n-1) on n goroutines released together, as n
// requests arriving at the same moment, and waits for all of them.
func AtOnce(n int, f func(i int)) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			f(i)
		}()
	}
	close(start)
	wg.Wait()
}

// together runs f on n goroutines at once and counts the true results.
func together(n int, f func(i int) bool) int {
	var wins atomic.Int32
	AtOnce(n, func(i int) {
		if f(i) {
			wins.Add(1)
		}
	})
	return int(wins.Load())
}

func syncLen(m *sync.Map) int {
	n := 0
	m.Range(func(_, _ any) bool { n++; return true })
	return n
}

// Everything that must happen once does, under concurrency (on FerretDB
// too, whose conditional updates are a read then a write): one caller
// wins, and every caller is given the winner's decision.
func testConcurrency(t *testing.T, s store.Store) {
	ctx := context.Background()
	const n = 8
	u := newUser(t, s, "0912000001", "an", "")
	for round := range 3 {
		a := newAttempt(t, s, u)
		var gradings sync.Map
		if w := together(n, func(i int) bool {
			g := graded(a, i%2 == 0)
			g.At = t0.Add(time.Duration(i) * time.Second)
			got, first, err := s.SubmitAttempt(ctx, g)
			if err != nil {
				t.Error(err)
				return false
			}
			gradings.Store(fmt.Sprint(got.Passed, got.At.UnixMilli()), true)
			return first
		}); w != 1 {
			t.Errorf("round %d: an attempt was graded %d times", round, w)
		}
		if k := syncLen(&gradings); k != 1 {
			t.Errorf("round %d: callers were given %d different gradings", round, k)
		}

		// n passes at once of one course: one certificate, given to all.
		issueTogether := func(course string, at time.Time) (code string) {
			var codes sync.Map
			if w := together(n, func(int) bool {
				got, isNew, err := s.IssueCertificate(ctx, newCert(u, course, at), at)
				if err != nil {
					t.Error(err)
					return false
				}
				codes.Store(got.Code, true)
				return isNew
			}); w != 1 {
				t.Errorf("round %d: %d certificates issued for one learner and course", round, w)
			}
			if k := syncLen(&codes); k != 1 {
				t.Errorf("round %d: callers were given %d different certificates", round, k)
			}
			codes.Range(func(k, _ any) bool { code = k.(string); return false })
			return code
		}
		course := fmt.Sprintf("c%d", round)
		code := issueTogether(course, t0)

		// Revoked with a replacement by several admins at once: one
		// decision, one replacement.
		var repl sync.Map
		if w := together(n, func(int) bool {
			next := newCert(u, course, t0.Add(time.Hour))
			var err error
			if next.StatusIndex, err = s.AllocateStatusIndex(ctx); err != nil {
				t.Error(err)
				return false
			}
			got, first, err := s.RevokeCertificate(ctx, &store.Revocation{Code: code, Reason: store.ReasonReplaced, At: t0.Add(time.Hour), Replacement: next})
			if err != nil {
				t.Error(err)
				return false
			}
			repl.Store(got.Replacement.Code, true)
			return first
		}); w != 1 {
			t.Errorf("round %d: revoked %d times", round, w)
		}
		if k := syncLen(&repl); k != 1 {
			t.Errorf("round %d: callers were given %d different replacements", round, k)
		}
		if l, _ := s.CertificatesOf(ctx, u.ID); countCourse(l, course) != 2 {
			t.Errorf("round %d: %d certificates for the course, want the revoked one and its replacement", round, countCourse(l, course))
		}

		// The replacement revoked without one, then passed again later
		// by several requests at once: one certificate takes its place.
		var held string
		repl.Range(func(k, _ any) bool { held = k.(string); return false })
		_, _, err := s.RevokeCertificate(ctx, &store.Revocation{Code: held, Reason: store.ReasonError, At: t0.Add(2 * time.Hour)})
		must(t, err)
		if again := issueTogether(course, t0.Add(3*time.Hour)); again == held {
			t.Errorf("round %d: the revoked certificate came back", round)
		}
	}

	// Status-list positions stay distinct when many learners pass at once.
	var seen sync.Map
	if dups := together(2*n, func(i int) bool {
		v := newUser(t, s, fmt.Sprintf("09130000%02d", i), "v", "")
		got, _, err := s.IssueCertificate(ctx, newCert(v, "c", t0), t0)
		if err != nil {
			t.Error(err)
			return false
		}
		_, dup := seen.LoadOrStore(got.StatusIndex, true)
		return dup
	}); dups != 0 {
		t.Errorf("%d certificates share a status-list position", dups)
	}

	// The setup link works for one person, however many try at once, and
	// the winner's retry still works.
	tok, err := s.SetupToken(ctx)
	must(t, err)
	var phones sync.Map
	if w := together(n, func(i int) bool {
		phone := fmt.Sprintf("09140000%02d", i)
		ok, err := s.UseSetupToken(ctx, tok, phone)
		if err != nil {
			t.Error(err)
		}
		if ok {
			phones.Store(phone, true)
		}
		return ok
	}); w != 1 {
		t.Fatalf("the setup token was used by %d people", w)
	}
	phones.Range(func(k, _ any) bool {
		if ok, _ := s.UseSetupToken(ctx, tok, k.(string)); !ok {
			t.Error("the winner's retry is refused")
		}
		return false
	})
}

// testCutShort cuts each once-only method short at each of its steps and
// shows that the next call finishes the same decision.
func testCutShort(t *testing.T, s store.Store) {
	ctx := context.Background()
	boom := errors.New("cut short")
	failAt := func(n int) (context.Context, *int) {
		seen := new(int)
		return store.WithStepHook(ctx, func(string) error {
			*seen++
			if *seen == n {
				return boom
			}
			return nil
		}), seen
	}
	u := newUser(t, s, "0912345678", "an", "")
	for n := 1; ; n++ {
		cctx, seen := failAt(n)
		a := newAttempt(t, s, u)
		_, _, err := s.SubmitAttempt(cctx, graded(a, true))
		if *seen < n { // no step left to cut
			must(t, err)
			break
		}
		if !errors.Is(err, boom) {
			t.Fatalf("SubmitAttempt cut at step %d returned %v", n, err)
		}
		got, _, err := s.SubmitAttempt(ctx, graded(a, false))
		must(t, err)
		stored, _ := s.AttemptByID(ctx, u.ID, a.ID)
		if !stored.Submitted || stored.Passed != got.Passed {
			t.Errorf("SubmitAttempt cut at step %d, then retried: stored %+v", n, stored)
		}
	}
	for n := 1; ; n++ {
		cctx, seen := failAt(n)
		course := fmt.Sprintf("cut%d", n)
		c := newCert(u, course, t0)
		_, _, err := s.IssueCertificate(cctx, c, t0)
		if *seen < n {
			must(t, err)
			break
		}
		if !errors.Is(err, boom) {
			t.Fatalf("IssueCertificate cut at step %d returned %v", n, err)
		}
		got, _, err := s.IssueCertificate(ctx, newCert(u, course, t0), t0)
		must(t, err)
		if stored, err := s.Certificate(ctx, got.Code); err != nil || stored.Status != store.CertValid {
			t.Errorf("IssueCertificate cut at step %d, then retried: %v %v", n, stored, err)
		}
		if l, _ := s.CertificatesOf(ctx, u.ID); countCourse(l, course) != 1 {
			t.Errorf("IssueCertificate cut at step %d, then retried: %d certificates", n, countCourse(l, course))
		}
	}
	for n := 1; ; n++ {
		course := fmt.Sprintf("rev%d", n)
		c := newCert(u, course, t0)
		_, _, err := s.IssueCertificate(ctx, c, t0)
		must(t, err)
		idx, err := s.AllocateStatusIndex(ctx)
		must(t, err)
		next := newCert(u, course, t0.Add(time.Hour))
		next.StatusIndex = idx
		cctx, seen := failAt(n)
		_, _, err = s.RevokeCertificate(cctx, &store.Revocation{Code: c.Code, Reason: store.ReasonReplaced, At: t0, Replacement: next})
		if *seen < n {
			must(t, err)
			break
		}
		if !errors.Is(err, boom) {
			t.Fatalf("RevokeCertificate cut at step %d returned %v", n, err)
		}
		// The admin tries again (with a fresh replacement, as a new form
		// would make): the first decision is finished, not a second one.
		other := newCert(u, course, t0.Add(2*time.Hour))
		if other.StatusIndex, err = s.AllocateStatusIndex(ctx); err != nil {
			t.Fatal(err)
		}
		_, _, err = s.RevokeCertificate(ctx, &store.Revocation{Code: c.Code, Reason: store.ReasonReplaced, At: t0, Replacement: other})
		must(t, err)
		old, _ := s.Certificate(ctx, c.Code)
		if old.Status != store.CertRevoked {
			t.Errorf("RevokeCertificate cut at step %d, then retried: still %s", n, old.Status)
		}
		if _, err := s.Certificate(ctx, old.ReplacedBy); err != nil {
			t.Errorf("RevokeCertificate cut at step %d, then retried: replacement %q missing: %v", n, old.ReplacedBy, err)
		}
		if l, _ := s.CertificatesOf(ctx, u.ID); countCourse(l, course) != 2 {
			t.Errorf("RevokeCertificate cut at step %d, then retried: %d certificates, want the old and one replacement", n, countCourse(l, course))
		}
	}
}

func countCourse(l []store.Certificate, course string) int {
	n := 0
	for _, c := range l {
		if c.Course == course {
			n++
		}
	}
	return n
}
