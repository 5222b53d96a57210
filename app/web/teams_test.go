package web_test

import (
	"context"
	"encoding/csv"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"kynangso/app/store"
	"kynangso/app/testrig"
)

// Journey 7: the first admin, a team in a commune, its leader, residents
// joining through the link, and the leader's table and CSV.
func TestTeamsFromSetupToLeaderTable(t *testing.T) {
	rig := testrig.Start(t)
	admin := rig.Admin(t)
	if tok, _ := rig.P.Store.SetupToken(context.Background()); tok != "" {
		t.Fatal("the setup link still works after an admin exists")
	}
	leader := rig.Register(t, "Trần Văn Tổ", "0911111111", nil)

	form := admin.Get("/admin").Body
	code := form[strings.Index(form, `name="code" value="`)+len(`name="code" value="`):]
	code = code[:strings.IndexByte(code, '"')]
	// A double click sends the form twice at once: one team.
	created := parallel(2, func(int) int {
		return admin.Post("/admin/teams", url.Values{"name": {"Tổ CNSCĐ thôn Đông"}, "province": {"1"}, "commune": {"hoan kiem"}, "leader": {"0911 111 111"}, "code": {code}}).Status
	})
	if created[0] != http.StatusSeeOther || created[1] != http.StatusSeeOther {
		t.Fatalf("create team twice: %v", created)
	}
	teams, err := rig.P.Store.Teams(context.Background(), store.Page{})
	if err != nil || len(teams) != 1 {
		t.Fatalf("teams: %v %v", teams, err)
	}
	team := teams[0]
	if team.Commune != "70" {
		t.Errorf("team commune %q, want Phường Hoàn Kiếm (70)", team.Commune)
	}

	// A resident signs up through the join link.
	visitor := rig.Client(t)
	mustContain(t, "join page", visitor.Get("/join/"+team.ID).Body, "Tổ CNSCĐ thôn Đông", "Đăng ký và tham gia tổ")
	resident := rig.Register(t, "Phạm Thị Hoa", "0922222222", url.Values{"team": {team.ID}})
	// Another joins later, after signing up on their own.
	late := rig.Register(t, "Hoàng Văn Nam", "0933333333", nil)
	mustStatus(t, "join later", late.Post("/join/"+team.ID, nil), http.StatusSeeOther)

	const course = "lam-quen-dien-thoai"
	co := rig.P.Courses.Get(course)
	resident.Post("/courses/"+course+"/lessons/"+co.Lessons[0].ID, nil)
	lateCode := passCourse(t, rig, late, course)
	// Earned with the team, the certificate names the team's commune, not
	// the one the member lives in.
	mustContain(t, "issuer", rig.Client(t).Get("/v/"+lateCode).Body, "Tổ CNSCĐ thôn Đông — Phường Hoàn Kiếm")

	mustStatus(t, "resident can't see the table", resident.Get("/teams/"+team.ID), http.StatusForbidden)
	mustStatus(t, "resident can't get the CSV", resident.Get("/teams/"+team.ID+"/members.csv"), http.StatusForbidden)

	table := leader.Get("/teams/" + team.ID)
	mustStatus(t, "leader table", table, http.StatusOK)
	mustContain(t, "leader table", table.Body, "Phạm Thị Hoa", "Hoàng Văn Nam", "1/", "Đạt (100%)")

	csvRes := leader.Get("/teams/" + team.ID + "/members.csv")
	mustStatus(t, "CSV", csvRes, http.StatusOK)
	if !strings.HasPrefix(csvRes.Body, "\ufeff") {
		t.Fatal("the CSV has no byte-order mark: Excel would garble Vietnamese")
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(csvRes.Body, "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	// The same people, in the same order, as on screen.
	text := testrig.Text(table.Body)
	last := -1
	for _, r := range rows[1:] {
		i := strings.Index(text, r[0])
		if i < 0 || i < last {
			t.Errorf("CSV row %q is not on screen in the same order", r[0])
		}
		last = i
		if !strings.Contains(text, r[len(r)-1]) {
			t.Errorf("CSV status %q not on screen", r[len(r)-1])
		}
	}
	if len(rows) != 4 { // header, leader, resident, late
		t.Errorf("CSV has %d rows, want a header and 3 members", len(rows))
	}
	mustContain(t, "poster", leader.Get("/join/"+team.ID+"/poster").Body, team.ID)
	if png := visitor.Get("/join/" + team.ID + "/qr.png"); png.Header.Get("Content-Type") != "image/png" {
		t.Error("no join QR code")
	} else if got := decodeQR(t, []byte(png.Body)); got != "" && got != rig.URL+"/join/"+team.ID {
		t.Errorf("join QR decodes to %q", got)
	}
	mustStatus(t, "team certificates PDF", leader.Get("/teams/"+team.ID+"/certificates.pdf"), http.StatusOK)
	mustStatus(t, "learner can't open admin", resident.Get("/admin"), http.StatusForbidden)
	mustContain(t, "admin overview", admin.Get("/admin").Body, "3 thành viên · 1 chứng nhận còn hiệu lực")
}
