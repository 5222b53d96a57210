package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"kynangso/app/config"
	"kynangso/app/store/mongodb/ferrettest"
	"kynangso/app/testrig"
)

var sharedSeq atomic.Int64

// Two servers on one MongoDB-protocol database behind one public address
// are one issuer: each verifies, serves the status list of, and revokes
// what the other issued.
func TestTwoInstancesOneIssuer(t *testing.T) {
	uri := ferrettest.URI(t)
	db := fmt.Sprintf("kns_shared_%d_%d", os.Getpid(), sharedSeq.Add(1))
	shared := func(c *config.Config) {
		c.MongoURI, c.Database = uri, db
		c.SecretKey = "one secret for every instance, 32+ bytes"
		c.BaseURL = "http://kynangso.example.vn" // the load balancer's address (http: the test client talks plain HTTP)
	}
	a := testrig.StartWith(t, shared)
	b := testrig.StartWith(t, shared)

	holder := a.Register(t, "Phạm Thị Lan", "0913000111", nil)
	code := passCourse(t, a, holder, "tim-kiem-tin-gia")
	cred := holder.Get("/certificates/" + code + "/credential.json")
	mustStatus(t, "credential from A", cred, http.StatusOK)

	onB := b.Client(t)
	if r := verifyCred(t, onB, cred.Body); r["verified"] != true {
		t.Fatalf("B does not verify A's credential: %v", r)
	}
	if a.P.Keys.IssuerDID() != b.P.Keys.IssuerDID() {
		t.Fatalf("A signs with %s, B with %s", a.P.Keys.IssuerDID(), b.P.Keys.IssuerDID())
	}
	list := statusListPath(t, cred.Body)
	mustStatus(t, "A's status list on B", onB.Get(list), http.StatusOK)
	mustContain(t, "A's certificate on B's page", onB.Get("/v/"+code).Body, "Chứng nhận thật")

	// The admin, signed in on B, revokes what A issued; A then says so.
	admin := b.Admin(t)
	mustStatus(t, "revoke on B", admin.Post("/admin/certificates/"+code+"/revoke", url.Values{"confirm": {"yes"}, "reason": {"error"}}), http.StatusSeeOther)
	if r := verifyCred(t, a.Client(t), cred.Body); r["verified"] != false || r["reason"] != "revoked" {
		t.Errorf("A after B revoked: %v", r)
	}
	mustContain(t, "A's page after B revoked", a.Client(t).Get("/v/"+code).Body, "Chứng nhận đã bị thu hồi")
	// A session made on one instance is good on the other.
	onBAsHolder := b.Client(t)
	onBAsHolder.SetCookies(holder)
	mustStatus(t, "the holder's session on B", onBAsHolder.Get("/certificates/"+code), http.StatusOK)
}

// Without a shared secret for the signing keys, a server on MongoDB does
// not start: each would sign with keys of its own.
func TestMongoDBNeedsASharedSecret(t *testing.T) {
	cfg := &config.Config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), MongoURI: ferrettest.URI(t),
		Database: fmt.Sprintf("kns_nosecret_%d", os.Getpid()), BaseURL: "http://127.0.0.1"}
	err := testrig.StartErr(t, cfg)
	if err == nil || !strings.Contains(err.Error(), "KNS_SECRET_KEY") {
		t.Fatalf("started without KNS_SECRET_KEY: %v", err)
	}
}

func statusListPath(t *testing.T, doc string) string {
	t.Helper()
	i := strings.Index(doc, "/credentials/status/")
	if i < 0 {
		t.Fatalf("no status list in the credential:\n%s", doc)
	}
	rest := doc[i:]
	return rest[:strings.IndexByte(rest, '"')]
}
