package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"kynangso/app/testrig"
)

// After a key rotation, credentials signed before it still verify, new
// ones are signed with the new key, and both keys are published.
func TestKeyRotationKeepsOldCredentialsValid(t *testing.T) {
	rig := testrig.Start(t)
	holder := rig.Register(t, "Quách Văn Bình", "0911333555", nil)
	code := passCourse(t, rig, holder, "tim-kiem-tin-gia")
	before := holder.Get("/certificates/" + code + "/credential.json").Body
	anyone := rig.Client(t)

	if err := rig.P.Keys.Rotate(context.Background()); err != nil {
		t.Fatal(err)
	}
	after := holder.Get("/certificates/" + code + "/credential.json").Body
	issuer := func(doc string) string {
		var v struct {
			Issuer struct {
				ID string `json:"id"`
			} `json:"issuer"`
		}
		_ = json.Unmarshal([]byte(doc), &v)
		return v.Issuer.ID
	}
	if issuer(before) == issuer(after) || issuer(before) == "" {
		t.Fatalf("the rotation did not change the signing key: %s / %s", issuer(before), issuer(after))
	}
	for name, doc := range map[string]string{"signed before": before, "signed after": after} {
		if r := verifyCred(t, anyone, doc); r["verified"] != true {
			t.Errorf("%s the rotation: %v", name, r)
		}
	}
	jwks := anyone.Get("/.well-known/jwks.json")
	mustStatus(t, "jwks", jwks, http.StatusOK)
	for _, doc := range []string{before, after} {
		did := strings.TrimPrefix(issuer(doc), "did:key:")
		if !strings.Contains(jwks.Body, did) {
			t.Errorf("JWKS lacks the key %s", did)
		}
	}
}
