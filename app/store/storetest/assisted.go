package storetest

import (
	"context"
	"testing"
	"time"

	"kynangso/app/store"
)

// The contract of an assisted registration ("Đăng ký giúp", issue 10):
// the leader who typed the person's details is kept with her consent, read
// back by every way a user is read, and carried by Dump and Load; a person
// who signed up by herself has none.
func testAssisted(t *testing.T, s, empty store.Store) {
	ctx := context.Background()
	self := newUser(t, s, "0912000001", "tu dang ky", "T1")
	u := &store.User{ID: store.NewID(), Name: "được giúp", NameFolded: "duoc giup", Phone: "0912000002", PasswordHash: "h",
		Role: store.RoleLearner, Province: "01", Commune: "00004", TeamID: "T1",
		Consent: store.Consent{Version: "v9", At: t0, AssistedBy: self.ID}, Created: t0, LastActive: t0}
	must(t, s.CreateUser(ctx, u))
	check := func(how string, got *store.User) {
		t.Helper()
		if got == nil || got.Consent.AssistedBy != self.ID || got.Consent.Version != "v9" || !got.Consent.At.Equal(t0) {
			t.Errorf("%s: consent %+v, want assisted by %s, version v9 at %v", how, got, self.ID, t0)
		}
	}
	byID, err := s.UserByID(ctx, u.ID)
	must(t, err)
	check("UserByID", byID)
	byPhone, err := s.UserByPhone(ctx, u.Phone)
	must(t, err)
	check("UserByPhone", byPhone)
	many, err := s.UsersByIDs(ctx, []string{u.ID, self.ID})
	must(t, err)
	check("UsersByIDs", many[u.ID])
	if many[self.ID] == nil || many[self.ID].Consent.AssistedBy != "" {
		t.Errorf("signed up by herself: %+v, want no helper", many[self.ID])
	}
	members, err := s.TeamMembers(ctx, "T1", store.Page{Limit: 10})
	must(t, err)
	found := false
	for i := range members {
		if members[i].ID == u.ID {
			found = true
			check("TeamMembers", &members[i])
		}
	}
	if !found {
		t.Error("TeamMembers: the assisted member is missing")
	}
	must(t, s.CreateSession(ctx, &store.Session{ID: "sess-assisted", UserID: u.ID, Created: t0, Expires: t0.Add(time.Hour)}))
	_, su, err := s.SessionUser(ctx, "sess-assisted", t0)
	must(t, err)
	check("SessionUser", su)

	var recs []store.Record
	must(t, s.Dump(ctx, func(r store.Record) error { recs = append(recs, r); return nil }))
	must(t, empty.Load(ctx, recs))
	loaded, err := empty.UserByID(ctx, u.ID)
	must(t, err)
	check("after Dump and Load", loaded)
	other, err := empty.UserByID(ctx, self.ID)
	must(t, err)
	if other.Consent.AssistedBy != "" {
		t.Errorf("after Dump and Load, signed up by herself: assisted by %q", other.Consent.AssistedBy)
	}
}
