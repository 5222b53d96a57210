package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"kynangso/app/testrig"
)

// The rights the consent text promises: see, copy, leave, change, delete.
func TestAccountRights(t *testing.T) {
	rig := testrig.Start(t)
	admin := rig.Admin(t)
	rig.Register(t, "Tổ Trưởng Sơn", "0911444555", nil)
	team := rig.Team(t, admin, "Tổ thôn Hạ", "0911444555")
	me := rig.Register(t, "Đỗ Thị Hằng", "0922555666", url.Values{"team": {team}})
	code := passCourse(t, rig, me, "tim-kiem-tin-gia")
	other := rig.Register(t, "Người Khác", "0933666777", nil)

	page := me.Get("/account")
	mustContain(t, "account", page.Body, "Đỗ Thị Hằng", "0922 555 666", "Tổ thôn Hạ", "Tổ Trưởng Sơn", "Đã đồng ý ngày")
	data := me.Get("/account/data.json")
	mustStatus(t, "my data", data, http.StatusOK)
	var copy struct {
		Account      map[string]any   `json:"account"`
		Certificates []map[string]any `json:"certificates"`
		Attempts     []map[string]any `json:"quiz_attempts"`
	}
	if err := json.Unmarshal([]byte(data.Body), &copy); err != nil {
		t.Fatal(err)
	}
	if copy.Account["phone"] != "0922555666" || len(copy.Certificates) != 1 || len(copy.Attempts) == 0 || strings.Contains(data.Body, "argon2") {
		t.Fatalf("my data: %s", data.Body)
	}

	mustStatus(t, "wrong old password", me.Post("/account/password", url.Values{"old": {"sai"}, "new": {"mat-khau-moi-9"}}), http.StatusUnprocessableEntity)
	mustStatus(t, "change password", me.Post("/account/password", url.Values{"old": {"mat-khau-123"}, "new": {"mat-khau-moi-9"}}), http.StatusSeeOther)
	mustStatus(t, "new password works", rig.Client(t).Post("/login", url.Values{"phone": {"0922555666"}, "password": {"mat-khau-moi-9"}}), http.StatusSeeOther)

	mustStatus(t, "leave team", me.Post("/account/leave-team", nil), http.StatusSeeOther)
	mustContain(t, "left", me.Get("/account").Body, "Chưa tham gia tổ nào")

	mustStatus(t, "delete without confirming", me.Post("/account/delete", url.Values{"password": {"mat-khau-moi-9"}}), http.StatusUnprocessableEntity)
	mustStatus(t, "delete with a wrong password", me.Post("/account/delete", url.Values{"password": {"sai"}, "confirm": {"yes"}}), http.StatusUnprocessableEntity)
	mustStatus(t, "delete", me.Post("/account/delete", url.Values{"password": {"mat-khau-moi-9"}, "confirm": {"yes"}}), http.StatusSeeOther)

	if _, err := rig.P.Store.UserByPhone(context.Background(), "0922555666"); err == nil {
		t.Fatal("the account still exists")
	}
	v := rig.Client(t).Get("/v/" + code)
	mustContain(t, "withdrawn certificate", v.Body, "Chứng nhận đã bị thu hồi", "Theo đề nghị của người được cấp")
	if strings.Contains(v.Body, "Đỗ") {
		t.Error("the withdrawn certificate still names the person")
	}
	mustStatus(t, "signed out", me.Get("/account"), http.StatusFound)
	// The admin can still open it: page and PDF, no name.
	mustStatus(t, "admin sees the withdrawn certificate", admin.Get("/certificates/"+code), http.StatusOK)
	mustStatus(t, "admin's PDF of it", admin.Get("/certificates/"+code+"/certificate.pdf"), http.StatusOK)
	cred := rig.Client(t).Get("/credentials/" + code + ".json")
	mustStatus(t, "its public credential", cred, http.StatusOK)
	if r := verifyCred(t, rig.Client(t), cred.Body); r["verified"] != false || r["reason"] != "revoked" {
		t.Errorf("the withdrawn certificate's credential: %v", r)
	}
	// Others are untouched.
	mustContain(t, "other account", other.Get("/account").Body, "Người Khác")
	// A leader must hand the team over first.
	leader := rig.Client(t)
	leader.Post("/login", url.Values{"phone": {"0911444555"}, "password": {"mat-khau-123"}})
	mustStatus(t, "leader leaves", leader.Post("/account/leave-team", nil), http.StatusConflict)
}
