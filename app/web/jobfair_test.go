package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"kynangso/app/certcode"
	"kynangso/app/certify"
	"kynangso/app/store"
)

// A job fair behind one Wi-Fi (issue 9, point 3): an employer checks 50
// real certificates, each with a name check, and mistypes five codes on
// the way; every check is answered. A guessing run from the same address
// then gets the rest of KNS_VERIFY_LIMIT (30 a minute) codes that name no
// certificate answered, and no more. Before: the 31st check of any kind
// was refused for the rest of the minute.
func TestJobFairBehindOneAddress(t *testing.T) {
	rig := startAtWindow(t)
	ctx := context.Background()
	issuer := certify.New(rig.P.Store)
	var codes []string
	for i := range 50 {
		u := &store.User{ID: store.NewID(), Name: personName(i), Phone: fmt.Sprintf("0961%06d", i), Role: store.RoleLearner,
			Province: "1", Commune: "4", Created: time.Now(), LastActive: time.Now()}
		if err := rig.P.Store.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		ct, err := issuer.Issue(ctx, u, "vneid", 90, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		codes = append(codes, certcode.Format(ct.Code))
	}
	employer := rig.Client(t)
	for i, code := range codes {
		if i%10 == 0 { // a code mistyped on the way, one character off
			typo := []byte(code)
			if typo[0] == 'A' {
				typo[0] = 'B'
			} else {
				typo[0] = 'A'
			}
			mustStatus(t, fmt.Sprintf("mistyped code %d", i), employer.Get("/v/"+string(typo)), http.StatusUnprocessableEntity)
		}
		mustStatus(t, fmt.Sprintf("certificate %d", i), employer.Get("/v/"+code), http.StatusOK)
		r := employer.Post("/v/"+code+"/name", url.Values{"name": {personName(i)}})
		mustStatus(t, fmt.Sprintf("name check %d", i), r, http.StatusOK)
		mustContain(t, fmt.Sprintf("name check %d", i), r.Body, "Khớp")
	}
	got := map[int]int{}
	for i := range 40 {
		got[employer.Get(fmt.Sprintf("/api/v1/verify/%s", guess(i))).Status]++
	}
	if got[http.StatusNotFound] != 25 || got[http.StatusTooManyRequests] != 15 {
		t.Errorf("40 guessed codes after 5 mistyped ones: %v; want 25 answered (404), 15 refused (429)", got)
	}
	mustStatus(t, "a real certificate after the guessing run", employer.Get("/v/"+codes[0]), http.StatusOK)
}

// guess is a well-formed code that names no certificate.
func guess(i int) string {
	for {
		c := certcode.New()
		if i--; i < 0 {
			return c
		}
	}
}
