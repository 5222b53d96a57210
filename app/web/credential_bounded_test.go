package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"kynangso/app/credential/credtest"
	"kynangso/app/testrig"
)

// blankNodeBomb adds to a credential two identical objects without an id,
// each holding k identical children under absolute-IRI property names:
// about 2 KB that passes every shape guard, and whose canonicalisation
// (URDNA2015 permutes identical blank nodes) takes minutes at k=10.
func blankNodeBomb(t *testing.T, cred string, k int) string {
	t.Helper()
	out, err := credtest.BlankNodeBomb([]byte(cred), k)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// One public request cannot keep a core busy: a document built to make
// canonicalisation explode, naming our key and one of our certificates, is
// refused at once with a 422, as is the same bomb naming a certificate we
// never issued. Our own credential, re-serialised (other key order, no
// spacing), still verifies.
func TestCredentialBombIsRefusedQuickly(t *testing.T) {
	rig := testrig.Start(t)
	holder := rig.Register(t, "Vũ Thị Thu", "0911222444", nil)
	code := passCourse(t, rig, holder, "tim-kiem-tin-gia")
	c := rig.Client(t)
	public := c.Get("/credentials/" + code + ".json")
	mustStatus(t, "public credential", public, http.StatusOK)

	ours := blankNodeBomb(t, public.Body, 10)
	stranger := strings.Replace(ours, "/v/"+code, "/v/0000-0000-0000", 1)
	for name, doc := range map[string]string{"naming our certificate": ours, "naming no certificate": stranger} {
		t.Logf("%s: %d bytes", name, len(doc))
		start := time.Now()
		done := make(chan *testrig.Resp, 1)
		go func() { done <- c.PostJSON("/api/v1/credentials/verify", doc) }()
		var res *testrig.Resp
		select {
		case res = <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: no answer after 10 s", name)
		}
		el := time.Since(start)
		t.Logf("%s: %d %s in %v", name, res.Status, res.Body, el)
		var out map[string]any
		if err := json.Unmarshal([]byte(res.Body), &out); err != nil || res.Status != http.StatusUnprocessableEntity || out["verified"] != false {
			t.Errorf("%s: %d %s, want 422 not verified", name, res.Status, res.Body)
		}
		if r := out["reason"]; r != "bad_signature" && r != "malformed" {
			t.Errorf("%s: reason %v", name, r)
		}
		if el > 2*time.Second {
			t.Errorf("%s: took %v to refuse", name, el)
		}
	}

	var m map[string]any
	if err := json.Unmarshal([]byte(public.Body), &m); err != nil {
		t.Fatal(err)
	}
	compact, _ := json.Marshal(m) // keys sorted, no spacing
	if r := verifyCred(t, c, string(compact)); r["verified"] != true {
		t.Errorf("our credential, re-serialised: %v", r)
	}
}

// A credential issued before its certificate was re-issued under a
// corrected name is not the document the platform would sign today; its
// own proof is checked, and it reads as revoked, not as a forgery.
func TestCredentialFromBeforeANameCorrection(t *testing.T) {
	rig := testrig.Start(t)
	admin := rig.Admin(t)
	holder := rig.Register(t, "Nguyễn Văn Bìnhh", "0916000111", nil)
	code := passCourse(t, rig, holder, "tim-kiem-tin-gia")
	before := holder.Get("/certificates/" + code + "/credential.json").Body
	if r := verifyCred(t, rig.Client(t), before); r["verified"] != true {
		t.Fatalf("the credential before the correction: %v", r)
	}
	mustStatus(t, "rename", admin.Post("/admin/certificates/"+code+"/rename", url.Values{"name": {"Nguyễn Văn Bình"}}), http.StatusSeeOther)
	if r := verifyCred(t, rig.Client(t), before); r["verified"] != false || r["reason"] != "revoked" {
		t.Fatalf("the credential issued before the name correction: %v, want revoked", r)
	}
}
