package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"kynangso/app/store"
	"kynangso/app/testrig"
)

// An appointment made for a phone with no account waits for the claim
// code its appointer was shown: whoever signs up with the number first
// gets a learner's account and nothing of the place; the code, entered at
// sign-up or on the account page, gives the role. Wrong codes are told at
// their field and count against the code's five tries; a voided code
// opens nothing.
func TestAppointmentWaitsForItsClaimCode(t *testing.T) {
	rig := testrig.Start(t)
	ctx := context.Background()
	admin := rig.Admin(t)
	const phone = "0922000001"
	grant := store.GrantID(store.GrantProvince, "31", phone)
	codePage := "/appointments/" + store.ClaimOfGrant(grant) + "/code"

	res := admin.Post("/places/31/officials", url.Values{"phone": {"0922 000 001"}})
	if res.Status != http.StatusSeeOther || res.Location != codePage {
		t.Fatalf("appoint: %d %q, want the code's page %s", res.Status, res.Location, codePage)
	}
	first := testrig.ShownClaimCode(t, admin, codePage)
	mustContain(t, "code page", admin.Get(codePage).Body, "cán bộ tỉnh Thành phố Hải Phòng", "0922 000 001", "14 ngày")
	pp := admin.Get("/places/31").Body
	mustContain(t, "province page", pp, "Chờ nhận nhiệm vụ bằng mã", "Đã tạo mã nhận nhiệm vụ")
	if !strings.Contains(pp, `href="`+codePage+`"`) {
		t.Error("the province page has no link to the code's page")
	}
	// Nobody else sees the code, or may make one.
	mustStatus(t, "a learner and the code page", rig.Register(t, "Người Học", "0911000001", nil).Get(codePage), http.StatusForbidden)
	if other := rig.Client(t); strings.Contains(other.Get(codePage).Body, "bigcode") {
		t.Error("a signed-out visitor sees the code")
	}

	// Signed up with the number alone: a learner, who sees nothing of
	// the province.
	taker := rig.Register(t, "Người Đăng Ký Trước", phone, inCommune("10507"))
	for _, path := range []string{"/places", "/places/31", "/places/31/10507", "/places/31/communes.csv"} {
		mustStatus(t, "no code: "+path, taker.Get(path), http.StatusForbidden)
	}
	if u, _ := rig.P.Store.UserByPhone(ctx, phone); u == nil || u.Role != store.RoleLearner {
		t.Fatalf("signed up without the code: %+v, want a learner", u)
	}
	mustContain(t, "still waiting", admin.Get("/places/31").Body, "Chờ nhận nhiệm vụ bằng mã")

	// Bad input, told at the field.
	bad := taker.Post("/account/claim", url.Values{"claim": {"12ab"}})
	mustStatus(t, "a malformed code", bad, http.StatusUnprocessableEntity)
	fieldError(t, "a malformed code", bad.Body, "claim", "gồm 8 chữ số")
	wrong := taker.Post("/account/claim", url.Values{"claim": {"0000 0000"}})
	mustStatus(t, "a wrong code", wrong, http.StatusUnauthorized)
	fieldError(t, "a wrong code", wrong.Body, "claim", "Mã nhận nhiệm vụ không đúng")

	// A new code voids the old.
	mustStatus(t, "a new code", admin.Post(codePage, nil), http.StatusSeeOther)
	second := testrig.ShownClaimCode(t, admin, codePage)
	if second == first {
		t.Fatal("the new code is the old one")
	}
	mustStatus(t, "the voided code", taker.Post("/account/claim", url.Values{"claim": {first}}), http.StatusUnauthorized)
	mustStatus(t, "still no province", taker.Get("/places/31"), http.StatusForbidden)

	// The right one, twice (a double tap): both end on her account page,
	// and she is the province's official.
	for i := range 2 {
		r := taker.Post("/account/claim", url.Values{"claim": {second[:4] + " " + second[4:]}})
		if r.Status != http.StatusSeeOther || r.Location != "/account?saved=claim" {
			t.Fatalf("claim %d: %d %q", i, r.Status, r.Location)
		}
	}
	mustContain(t, "account", taker.Get("/account?saved=claim").Body, "Bạn đã nhận nhiệm vụ được giao")
	mustStatus(t, "her province", taker.Get("/places/31"), http.StatusOK)
	if l, _ := rig.P.Store.ClaimCodes(ctx, phone, time.Now()); len(l) != 0 {
		t.Errorf("the code used is still live: %v", l)
	}
	if !strings.Contains(admin.Get("/places/31").Body, "Người Đăng Ký Trước") {
		t.Error("the province page does not name who took it up")
	}
	mustStatus(t, "the code page once taken up", admin.Get(codePage), http.StatusNotFound)
	mustContain(t, "audit", admin.Get("/admin/audit").Body, "Tạo mã nhận nhiệm vụ", "Nhận quyền cán bộ bằng mã nhận nhiệm vụ")
	log, _ := rig.P.Store.AuditLog(ctx, store.Page{Limit: 100})
	n := map[string]int{}
	for _, e := range log {
		n[e.Action]++
	}
	if n[store.ActClaimCode] != 2 || n[store.ActGrantClaim] != 1 {
		t.Errorf("audit %v: want 2 codes made, 1 used", n)
	}
}

// Five wrong tries end a code, whatever comes after; and a code is bound
// to its phone.
func TestClaimCodeTriesAreCounted(t *testing.T) {
	rig := testrig.Start(t)
	admin := rig.Admin(t)
	res := admin.Post("/places/31/10507/officials", url.Values{"phone": {"0933000001"}})
	code := testrig.ShownClaimCode(t, admin, res.Location)
	// Another number with the right code: nothing.
	other := rig.Client(t)
	r := other.Post("/register", url.Values{"name": {"Người Khác"}, "phone": {"0933000002"}, "password": {"mat-khau-123"},
		"province": {"31"}, "commune": {"x"}, "commune_code": {"10507"}, "consent": {"yes"}, "claim": {code}})
	mustStatus(t, "the code with another number", r, http.StatusUnauthorized)
	fieldError(t, "the code with another number", r.Body, "claim", "Mã nhận nhiệm vụ không đúng")
	if _, err := rig.P.Store.UserByPhone(context.Background(), "0933000002"); err == nil {
		t.Error("a sign-up refused for its code made an account")
	}
	signup := func(claim string) *testrig.Resp {
		return rig.Client(t).Post("/register", url.Values{"name": {"Cán Bộ Xã"}, "phone": {"0933000001"}, "password": {"mat-khau-123"},
			"province": {"31"}, "commune": {"x"}, "commune_code": {"10507"}, "consent": {"yes"}, "claim": {claim}})
	}
	for i := range 5 {
		r := signup("1111111" + string(rune('0'+i)))
		if code == "1111111"+string(rune('0'+i)) {
			continue
		}
		mustStatus(t, "a wrong code at sign-up", r, http.StatusUnauthorized)
		if !strings.Contains(r.Body, `value="Cán Bộ Xã"`) {
			t.Error("a sign-up refused for its code lost what was typed")
		}
	}
	r = signup(code)
	mustStatus(t, "the right code after five wrong ones", r, http.StatusUnauthorized)
	fieldError(t, "used up", r.Body, "claim", "nhập sai 5 lần")
	// The appointer makes a new one; it works.
	admin.Post(res.Location, nil)
	fresh := testrig.ShownClaimCode(t, admin, res.Location)
	mustStatus(t, "a new code at sign-up", signup(fresh), http.StatusSeeOther)
}

// A team awaiting its leader: signed up without the code she leads
// nothing; a double tap of the sign-up with it makes one account that
// leads the team.
func TestTeamLeaderTakesUpHerTeamWithTheCode(t *testing.T) {
	rig := testrig.Start(t)
	ctx := context.Background()
	admin := rig.Admin(t)
	newTeam := func(name, phone string) (string, string) {
		res := admin.Post("/admin/teams", url.Values{"name": {name}, "province": {"31"}, "commune": {"x"}, "commune_code": {"10507"}, "leader": {phone}})
		team, ok := strings.CutPrefix(res.Location, "/appointments/team:")
		if res.Status != http.StatusSeeOther || !ok {
			t.Fatalf("create team: %d %q", res.Status, res.Location)
		}
		team = strings.TrimSuffix(team, "/code")
		return team, testrig.ShownClaimCode(t, admin, res.Location)
	}
	first, firstCode := newTeam("Tổ thôn Đông", "0944000001")
	second, secondCode := newTeam("Tổ thôn Tây", "0944000002")
	cp := admin.Get("/places/31/10507").Body
	mustContain(t, "commune page", cp, "Chờ nhận nhiệm vụ bằng mã (0944 000 001)")
	if !strings.Contains(cp, `href="/appointments/team:`+first+`/code"`) {
		t.Error("the commune page has no link to the team's code")
	}

	early := rig.Register(t, "Đăng Ký Trước", "0944000001", inCommune("10507"))
	mustStatus(t, "no code: the team", early.Get("/teams/"+first), http.StatusForbidden)
	if tm, _ := rig.P.Store.Team(ctx, first); tm.LeaderID != "" || tm.LeaderPhone != "0944000001" {
		t.Fatalf("signed up without the code, the team: %+v", tm)
	}
	// Appointed again to the same number: it still waits.
	admin.Post("/admin/teams/"+first+"/leader", url.Values{"leader": {"0944000001"}})
	mustStatus(t, "appointed again, no code: the team", early.Get("/teams/"+first), http.StatusForbidden)
	mustStatus(t, "her code on her account", early.Post("/account/claim", url.Values{"claim": {firstCode}}), http.StatusSeeOther)
	mustStatus(t, "with the code: the team", early.Get("/teams/"+first), http.StatusOK)

	c := rig.Client(t)
	form := url.Values{"name": {"Tổ Trưởng Tây"}, "phone": {"0944000002"}, "password": {"mat-khau-123"},
		"province": {"31"}, "commune": {"x"}, "commune_code": {"10507"}, "consent": {"yes"}, "claim": {secondCode}}
	c.Get("/register") // the form's token, as a browser has it before a double tap
	got := parallel(2, func(int) int { return c.Post("/register", form).Status })
	if got[0] != http.StatusSeeOther || got[1] != http.StatusSeeOther {
		t.Fatalf("sign-up with the code, twice at once: %v", got)
	}
	u, err := rig.P.Store.UserByPhone(ctx, "0944000002")
	if err != nil || u.Role != store.RoleLeader || u.TeamID != second {
		t.Fatalf("the leader: %+v %v", u, err)
	}
	mustStatus(t, "her team", c.Get("/teams/"+second), http.StatusOK)
	log, _ := rig.P.Store.AuditAbout(ctx, second, store.ActTeamLeader, time.Now().AddDate(0, 0, -1), 10)
	if len(log) != 2 {
		t.Errorf("leader entries of the team: %d, want appointed and taken up", len(log))
	}
}

// A resident registered with a leader's help, who took a one-time code:
// she sets her password with it, and takes up the appointment waiting for
// her number only with its claim code. The leader, who saw the one-time
// code, cannot take it up for her.
func TestAssistedResidentTakesUpHerAppointmentWithTheClaimCode(t *testing.T) {
	rig := testrig.Start(t)
	ctx := context.Background()
	admin := rig.Admin(t)
	leader := rig.Register(t, "Tổ Trưởng Hòa", "0911000222", nil)
	team := rig.Team(t, admin, "Tổ xóm Mới", "0911000222")

	assisted := func(name, phone string) (claim, reset string) {
		res := admin.Post("/places/31/10507/officials", url.Values{"phone": {phone}})
		claim = testrig.ShownClaimCode(t, admin, res.Location)
		action, fields, _ := assistStep1(t, leader, team, name, phone)
		done := leader.Post(action, with(fields, "consent", "yes", "way", "code", "password", ""))
		mustStatus(t, "registered with help", done, http.StatusSeeOther)
		m := bigCode.FindStringSubmatch(leader.Get(done.Location).Body)
		if m == nil {
			t.Fatal("no one-time code on the leader's page")
		}
		return claim, strings.ReplaceAll(m[1], " ", "")
	}

	// She sets her password with her one-time code, then enters the
	// claim code the province gave her.
	claim, reset := assisted("Bà Năm Được Giao", "0955000001")
	her := rig.Client(t)
	mustStatus(t, "her password", her.Post("/reset", url.Values{"phone": {"0955000001"}, "code": {reset}, "password": {"mat-khau-rieng-1"}}), http.StatusSeeOther)
	mustStatus(t, "before her claim code", her.Get("/places/31/10507"), http.StatusForbidden)
	mustStatus(t, "her claim code", her.Post("/account/claim", url.Values{"claim": {claim}}), http.StatusSeeOther)
	mustStatus(t, "her commune", her.Get("/places/31/10507"), http.StatusOK)

	// The leader uses the one-time code she saw: she is in the
	// resident's account, but no official, and no guess makes her one.
	_, reset2 := assisted("Ông Sáu Được Giao", "0955000002")
	thief := rig.Client(t)
	mustStatus(t, "the leader uses the code", thief.Post("/reset", url.Values{"phone": {"0955000002"}, "code": {reset2}, "password": {"mat-khau-cua-to-truong"}}), http.StatusSeeOther)
	mustStatus(t, "the leader in her account: the commune", thief.Get("/places/31/10507"), http.StatusForbidden)
	mustStatus(t, "a guess", thief.Post("/account/claim", url.Values{"claim": {"12345678"}}), http.StatusUnauthorized)
	mustStatus(t, "after a guess: the commune", thief.Get("/places/31/10507"), http.StatusForbidden)
	if u, _ := rig.P.Store.UserByPhone(ctx, "0955000002"); u == nil || u.Role != store.RoleLearner {
		t.Errorf("the resident the leader got into: %+v, want a learner", u)
	}

	// Each registration with help is in the audit log: who, whom, where.
	log, _ := rig.P.Store.AuditLog(ctx, store.Page{Limit: 100})
	leaderUser, _ := rig.P.Store.UserByPhone(ctx, "0911000222")
	helped := map[string]bool{}
	for _, e := range log {
		if e.Action == store.ActAssistedRegister {
			if e.Actor != leaderUser.ID || e.Detail != team {
				t.Errorf("assisted entry %+v: want by the leader into %s", e, team)
			}
			helped[e.Target] = true
		}
	}
	for _, p := range []string{"0955000001", "0955000002"} {
		if u, _ := rig.P.Store.UserByPhone(ctx, p); u == nil || !helped[u.ID] {
			t.Errorf("no audit entry for the registration of %s", p)
		}
	}
	mustContain(t, "audit page", admin.Get("/admin/audit").Body, "Đăng ký giúp người dân")
}
