package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"kynangso/app/certcode"
	"kynangso/app/config"
	"kynangso/app/testrig"
)

// The leader of the member's team and an admin may open her certificate,
// but the credential they download is the public one, naming her as she
// chose (masked by default); only she gets the copy with her full name.
func TestOnlyTheHolderGetsTheFullNameCredential(t *testing.T) {
	rig := testrig.Start(t)
	admin := rig.Admin(t)
	leader := rig.Register(t, "Tổ Trưởng Lâm", "0911000777", nil)
	team := rig.Team(t, admin, "Tổ thôn Đông", "0911000777")
	member := rig.Register(t, "Trần Thị Mai Lan", "0922000777", url.Values{"team": {team}})
	code := passCourse(t, rig, member, "tim-kiem-tin-gia")
	path := "/certificates/" + code + "/credential.json"

	own := member.Get(path)
	mustStatus(t, "holder's copy", own, http.StatusOK)
	if !strings.Contains(own.Body, "Trần Thị Mai Lan") {
		t.Fatalf("the holder's copy lacks her full name:\n%.400s", own.Body)
	}
	for who, c := range map[string]*testrig.Client{"leader": leader, "admin": admin} {
		r := c.Get(path)
		mustStatus(t, who+"'s copy", r, http.StatusOK)
		if strings.Contains(r.Body, "Trần Thị Mai Lan") || !strings.Contains(r.Body, "Trần T. M. L.") {
			t.Errorf("the %s downloads the full name, not the public credential", who)
		}
		if v := verifyCred(t, rig.Client(t), r.Body); v["verified"] != true {
			t.Errorf("the %s's copy does not verify: %v", who, v)
		}
	}
	// Once she shows her full name, the public credential carries it.
	mustStatus(t, "privacy", member.Post("/certificates/"+code+"/privacy", url.Values{"show_full_name": {"yes"}}), http.StatusSeeOther)
	if r := leader.Get(path); !strings.Contains(r.Body, "Trần Thị Mai Lan") {
		t.Errorf("the leader's copy does not follow the holder's choice")
	}
}

// The name check tells an employer whether the printed name matches
// without showing it; so that it cannot be used to find the name behind a
// masked one, 5 different names a day can be compared with a
// certificate's, by anyone from anywhere (counted in the database; the
// same name typed again is not a new guess), each check in the holder's
// verification log. Past that the employer is told why, in her language.
func TestNameCheckIsLimitedAndLogged(t *testing.T) {
	rig := testrig.StartWith(t, func(c *config.Config) { c.VerifyLimit = 0 })
	holder := rig.Register(t, "Phan Văn Đức", "0911000888", nil)
	code := passCourse(t, rig, holder, "tim-kiem-tin-gia")
	name := "/v/" + code + "/name"

	for _, guess := range []string{"Phan Văn An", " phan  văn AN", "Phan Văn Anh", "Phan Văn Bình", "Phan Văn Dũng", "Phan Văn Đạt"} {
		r := rig.Client(t).Post(name, url.Values{"name": {guess}}) // a new client each time
		mustStatus(t, "guess "+guess, r, http.StatusOK)
		mustContain(t, "guess "+guess, r.Body, "Chưa khớp:")
	}
	sixth := rig.Client(t).Post(name, url.Values{"name": {"Phan Văn Đức"}})
	mustStatus(t, "a sixth name", sixth, http.StatusTooManyRequests)
	mustContain(t, "limit", sixth.Body, "đã được đối chiếu quá số lần cho phép", "Mã chứng nhận vẫn kiểm tra được")
	if strings.Contains(testrig.Text(sixth.Body), "Khớp:") || sixth.Header.Get("Retry-After") == "" {
		t.Errorf("the sixth name was compared, or no Retry-After")
	}
	mustStatus(t, "that name again", rig.Client(t).Post(name, url.Values{"name": {"Phan Văn Đức"}}), http.StatusTooManyRequests)
	en := rig.Client(t).Post(name+"?lang=en", url.Values{"name": {"Phan Văn Anh"}})
	mustStatus(t, "in English", en, http.StatusTooManyRequests)
	mustContain(t, "limit in English", en.Body, "compared too many times today")
	mustContain(t, "the certificate itself still checks", rig.Client(t).Get("/v/"+code).Body, "Chứng nhận thật")

	raw, _ := certcode.Parse(code)
	checks, err := rig.P.Store.Verifications(context.Background(), raw, 50)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, v := range checks {
		if v.Channel == "name_check" {
			n++
		}
	}
	if n != 6 {
		t.Errorf("%d name checks in the holder's log, want the 6 answered", n)
	}
	mustContain(t, "holder's log", holder.Get("/certificates/"+code).Body, "đối chiếu họ tên trên trang kiểm tra")
	mustContain(t, "holder's log in English", holder.Get("/certificates/"+code+"?lang=en").Body, "name compared on the check page")

	// Counted first, then checked: of 40 different names sent at once
	// for a fresh certificate, 5 are compared.
	other := passCourse(t, rig, holder, "mua-ban-truc-tuyen")
	// The rig's server waits for open connections when it stops: close
	// the idle ones these clients leave (cleanups run last first).
	t.Cleanup(http.DefaultTransport.(*http.Transport).CloseIdleConnections)
	clients := make([]*testrig.Client, 40)
	tokens := make([]string, len(clients))
	for i := range clients {
		clients[i] = rig.Client(t)
		tokens[i] = clients[i].CSRF()
	}
	var wg sync.WaitGroup
	statuses := make([]int, len(clients))
	for i, c := range clients {
		wg.Go(func() {
			guess := fmt.Sprintf("Phan Văn Tên%d", i)
			statuses[i] = c.PostRaw("/v/"+other+"/name", url.Values{"name": {guess}, "_csrf": {tokens[i]}}).Status
		})
	}
	wg.Wait()
	answered := 0
	for _, s := range statuses {
		switch s {
		case http.StatusOK:
			answered++
		case http.StatusTooManyRequests:
		default:
			t.Errorf("parallel name check: status %d", s)
		}
	}
	if answered != 5 {
		t.Errorf("%d of %d parallel name checks answered, want 5", answered, len(clients))
	}
}
