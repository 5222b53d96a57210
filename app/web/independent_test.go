package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"kynangso/app/testrig"
	"kynangso/app/testtools"
)

// TestIndependentVerifierAcceptsIssuedCredentials has a verifier no one
// here wrote (Digital Bazaar's libraries, tools/vc-verify) check a
// credential as the platform serves it, with the status list it serves:
// valid, then tampered, then revoked.
func TestIndependentVerifierAcceptsIssuedCredentials(t *testing.T) {
	node := testtools.Need(t, "node", "Node.js runs tools/vc-verify")
	tool, _ := filepath.Abs("../../tools/vc-verify")
	if _, err := os.Stat(filepath.Join(tool, "node_modules")); err != nil {
		testtools.Missing(t, "run `npm ci --prefix tools/vc-verify` first")
	}
	rig := testrig.Start(t)
	admin := rig.Admin(t)
	holder := rig.Register(t, "Trịnh Thị Thu Hương", "0944555666", nil)
	code := passCourse(t, rig, holder, "bao-ve-du-lieu")
	anyone := rig.Client(t)
	dir := t.TempDir()

	fetch := func() (cred, list string) {
		c := holder.Get("/certificates/" + code + "/credential.json")
		mustStatus(t, "credential", c, http.StatusOK)
		var doc struct {
			Issuer struct {
				ID string `json:"id"`
			} `json:"issuer"`
			CredentialStatus struct {
				StatusListCredential string `json:"statusListCredential"`
			} `json:"credentialStatus"`
		}
		if err := json.Unmarshal([]byte(c.Body), &doc); err != nil {
			t.Fatal(err)
		}
		listURL := strings.TrimPrefix(doc.CredentialStatus.StatusListCredential, rig.URL)
		l := anyone.Get(listURL)
		mustStatus(t, "status list", l, http.StatusOK)
		return c.Body, l.Body
	}
	run := func(name, cred, list string) (bool, string) {
		cf, lf := filepath.Join(dir, name+".json"), filepath.Join(dir, name+"-status.json")
		_ = os.WriteFile(cf, []byte(cred), 0o600)
		_ = os.WriteFile(lf, []byte(list), 0o600)
		out, err := exec.Command(node, filepath.Join(tool, "verify.mjs"), cf, lf).CombinedOutput()
		return err == nil && strings.Contains(string(out), "verified: true"), string(out)
	}

	cred, list := fetch()
	if ok, out := run("valid", cred, list); !ok {
		t.Fatalf("the independent verifier rejects a valid credential:\n%s", out)
	}
	if ok, out := run("tampered", strings.Replace(cred, "Trịnh Thị Thu Hương", "Trịnh Thị Thu Hường", 1), list); ok {
		t.Fatalf("the independent verifier accepts a tampered credential:\n%s", out)
	}
	mustStatus(t, "revoke", admin.Post("/admin/certificates/"+code+"/revoke", url.Values{"confirm": {"yes"}, "reason": {"error"}}), http.StatusSeeOther)
	_, list = fetch()
	if ok, out := run("revoked", cred, list); ok || !strings.Contains(out, "revocation") {
		t.Fatalf("the independent verifier accepts a revoked credential:\n%s", out)
	}
}
