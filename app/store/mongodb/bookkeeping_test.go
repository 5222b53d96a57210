package mongodb_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"slices"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"kynangso/app/store"
	"kynangso/app/store/mongodb"
	"kynangso/app/store/mongodb/ferrettest"
)

// rawDatabase opens a store and the same database through the driver,
// to look at what the store keeps besides records.
func rawDatabase(t *testing.T) (*mongodb.Store, *mongo.Database, bool) {
	t.Helper()
	ctx := context.Background()
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	name := "kns_test_" + hex.EncodeToString(b)
	s, err := mongodb.Open(ctx, ferrettest.URI(t), name)
	must(t, err)
	client, err := mongo.Connect(options.Client().ApplyURI(ferrettest.URI(t)))
	must(t, err)
	t.Cleanup(func() {
		_ = s.Drop(ctx)
		_ = s.Close(ctx)
		_ = client.Disconnect(ctx)
	})
	var info bson.M
	must(t, client.Database(name).RunCommand(ctx, bson.D{{Key: "buildInfo", Value: 1}}).Decode(&info))
	_, ferret := info["ferretdbVersion"]
	return s, client.Database(name), ferret
}

// TTL indexes exist on MongoDB; FerretDB v1.24.2 refuses the option, so
// there they are left out and Sweep does their work.
func TestIndexes(t *testing.T) {
	_, db, ferret := rawDatabase(t)
	ctx := context.Background()
	for _, coll := range []string{"sessions", "ratelimit", "resets", "decisions"} {
		cur, err := db.Collection(coll).Indexes().List(ctx)
		must(t, err)
		var specs []bson.M
		must(t, cur.All(ctx, &specs))
		ttl := false
		for _, sp := range specs {
			if v, ok := sp["expireAfterSeconds"]; ok {
				ttl = true
				if n, _ := v.(int32); n != 0 {
					t.Errorf("%s: expireAfterSeconds %v, want 0", coll, v)
				}
			}
		}
		if ttl == ferret {
			t.Errorf("%s: TTL index present=%v on FerretDB=%v", coll, ttl, ferret)
		}
	}
	cur, err := db.Collection("users").Indexes().List(ctx)
	must(t, err)
	var specs []bson.M
	must(t, cur.All(ctx, &specs))
	found := false
	for _, sp := range specs {
		if u, _ := sp["unique"].(bool); u {
			found = true
		}
	}
	if !found {
		t.Error("no unique index on users")
	}
}

// Sweep drops the decisions that only guard a record until it is
// written, and keeps those that later calls answer from.
func TestSweepKeepsLastingDecisions(t *testing.T) {
	s, db, _ := rawDatabase(t)
	ctx := context.Background()
	u := newUser(t, s, "0912000001")
	a := newAttempt(t, s, u)
	_, _, err := s.SubmitAttempt(ctx, graded(a, true, t0))
	must(t, err)
	old := newCert(u, "c1", t0)
	_, _, err = s.IssueCertificate(ctx, old, t0)
	must(t, err)
	_, _, err = s.RevokeCertificate(ctx, &store.Revocation{Code: old.Code, Reason: store.ReasonError, At: t0.Add(time.Hour)})
	must(t, err)
	taken, isNew, err := s.IssueCertificate(ctx, newCert(u, "c1", t0.Add(2*time.Hour)), t0.Add(2*time.Hour))
	must(t, err)
	if !isNew {
		t.Fatal("no takeover")
	}
	tok, err := s.SetupToken(ctx)
	must(t, err)
	ok, err := s.UseSetupToken(ctx, tok, "0912000001")
	must(t, err)
	if !ok {
		t.Fatal("setup token refused")
	}
	kinds := func() []string {
		res := db.Collection("decisions").Distinct(ctx, "kind", bson.M{})
		var ks []string
		must(t, res.Decode(&ks))
		slices.Sort(ks)
		return ks
	}
	if k := kinds(); !slices.Equal(k, []string{"revoke", "setup", "slot", "status_index", "submit"}) {
		t.Errorf("decisions before Sweep: %v", k)
	}
	must(t, s.Sweep(ctx, time.Now().Add(8*24*time.Hour)))
	if k := kinds(); !slices.Equal(k, []string{"revoke", "setup", "status_index"}) {
		t.Errorf("decisions after Sweep: %v", k)
	}
	// What the swept decisions guarded is answered from the records.
	got, first, err := s.SubmitAttempt(ctx, graded(a, false, t0.Add(time.Hour)))
	must(t, err)
	if first || !got.Passed {
		t.Errorf("after Sweep, a resend regraded the attempt: %+v %v", got, first)
	}
	held, isNew, err := s.IssueCertificate(ctx, newCert(u, "c1", t0.Add(3*time.Hour)), t0.Add(3*time.Hour))
	must(t, err)
	if isNew || held.Code != taken.Code {
		t.Errorf("after Sweep, issue gives %s new=%v, want %s", held.Code, isNew, taken.Code)
	}
	if ok, _ := s.UseSetupToken(ctx, tok, "0912000001"); !ok {
		t.Error("after Sweep, the same person's setup retry is refused")
	}
	if ok, _ := s.UseSetupToken(ctx, tok, "0999999999"); ok {
		t.Error("after Sweep, another phone uses the setup token")
	}
}

// Load rebuilds the slots and status-list claims of what it loads.
func TestLoadRebuildsBookkeeping(t *testing.T) {
	s := ferrettest.Database(t)
	ctx := context.Background()
	u := &store.User{ID: "u1", Name: "An", NameFolded: "an", Phone: "0912000001", Role: store.RoleLearner, Created: t0}
	revokedAt := t0.Add(time.Hour)
	mk := func(code, course string, idx int, status string) *store.Certificate {
		c := &store.Certificate{Code: code, UserID: u.ID, Course: course, Holder: "An", IssuedAt: t0, Status: status, StatusIndex: idx}
		if status == store.CertRevoked {
			c.RevokedAt, c.RevokeReason = &revokedAt, store.ReasonError
		}
		return c
	}
	older := mk("REVOKED0", "c1", 3, store.CertRevoked)
	older.IssuedAt = t0.Add(-time.Hour)
	recs := []store.Record{
		{Kind: store.KindUser, Value: u},
		// Two revoked certificates for c1: the newer is the slot's.
		{Kind: store.KindCertificate, Value: mk("REVOKED1", "c1", 5, store.CertRevoked)},
		{Kind: store.KindCertificate, Value: older},
		{Kind: store.KindCertificate, Value: mk("VALID2", "c2", 7, store.CertValid)},
		{Kind: store.KindCertificate, Value: &store.Certificate{Code: "SCRUBBED", Course: "c1", IssuedAt: t0, Status: store.CertRevoked, StatusIndex: 9, RevokedAt: &revokedAt}},
		{Kind: store.KindProgress, Value: &store.Progress{ID: store.ProgressID(u.ID, "c1"), UserID: u.ID, Course: "c1", Updated: t0}},
	}
	// In two batches, the valid one first, as Import may cut them.
	must(t, s.Load(ctx, recs[:1]))
	must(t, s.Load(ctx, []store.Record{recs[3], recs[1]}))
	must(t, s.Load(ctx, []store.Record{recs[2], recs[4], recs[5]}))

	if got, isNew, err := s.IssueCertificate(ctx, newCert(u, "c1", t0), t0); err != nil || isNew || got.Code != "REVOKED1" {
		t.Errorf("a pass older than the loaded revocation: %v new=%v %v", got, isNew, err)
	}
	if got, isNew, err := s.IssueCertificate(ctx, newCert(u, "c2", t0.Add(time.Hour)), t0.Add(time.Hour)); err != nil || isNew || got.Code != "VALID2" {
		t.Errorf("the loaded valid certificate is not the learner's: %v new=%v %v", got, isNew, err)
	}
	fresh, isNew, err := s.IssueCertificate(ctx, newCert(u, "c1", t0.Add(2*time.Hour)), t0.Add(2*time.Hour))
	must(t, err)
	if !isNew || slices.Contains([]int{3, 5, 7, 9}, fresh.StatusIndex) {
		t.Errorf("a pass after the loaded revocation: new=%v, status index %d", isNew, fresh.StatusIndex)
	}
	if p, _ := s.ProgressOf(ctx, u.ID); p["c1"] == nil || p["c1"].Lessons == nil {
		t.Errorf("loaded progress = %+v", p["c1"])
	}
}

// Times come back in UTC at the milliseconds the driver keeps, also from
// a call that returns what it has just written.
func TestTimesUTCMillis(t *testing.T) {
	s := ferrettest.Database(t)
	ctx := context.Background()
	hanoi := time.FixedZone("ICT", 7*3600)
	at := time.Date(2026, 11, 2, 15, 30, 0, 123_456_789, hanoi)
	want := at.Truncate(time.Millisecond)
	check := func(what string, got time.Time) {
		t.Helper()
		if got.Location() != time.UTC || !got.Equal(want) {
			t.Errorf("%s = %v, want %v in UTC", what, got, want.UTC())
		}
	}
	u := newUser(t, s, "0912000001")
	must(t, s.CreateSession(ctx, &store.Session{ID: "s", UserID: u.ID, Created: at, Expires: at.Add(time.Hour)}))
	ss, err := s.SessionByID(ctx, "s", at)
	must(t, err)
	check("session created", ss.Created)
	a := newAttempt(t, s, u)
	g, _, err := s.SubmitAttempt(ctx, graded(a, true, at))
	must(t, err)
	check("graded at", g.At)
	c := newCert(u, "c1", at)
	got, _, err := s.IssueCertificate(ctx, c, at)
	must(t, err)
	check("issued at", got.IssuedAt)
	r, _, err := s.RevokeCertificate(ctx, &store.Revocation{Code: c.Code, Reason: store.ReasonError, At: at})
	must(t, err)
	check("revoked at", r.At)
	stored, err := s.Certificate(ctx, c.Code)
	must(t, err)
	check("stored revoked at", *stored.RevokedAt)
}

// A second instance, or a restart, opens a database whose indexes exist.
func TestOpenExisting(t *testing.T) {
	s, db, _ := rawDatabase(t)
	ctx := context.Background()
	newUser(t, s, "0912000001")
	again, err := mongodb.Open(ctx, ferrettest.URI(t), db.Name())
	must(t, err)
	defer again.Close(ctx)
	if _, err := again.UserByPhone(ctx, "0912000001"); err != nil {
		t.Errorf("the second instance does not see the first's user: %v", err)
	}
}
