package credential

import (
	"errors"
	"kynangso/app/testtools"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestIndependentVerifier checks our credentials with tools/vc-verify, a
// verifier built from Digital Bazaar's open-source libraries, so that a bug
// shared by our signer and our verifier can't hide. CI runs `npm ci` first.
func TestIndependentVerifier(t *testing.T) {
	node := testtools.Need(t, "node", "the independent verifier in tools/vc-verify needs Node.js")
	tool, _ := filepath.Abs(filepath.Join("..", "..", "tools", "vc-verify"))
	if _, err := os.Stat(filepath.Join(tool, "node_modules")); err != nil {
		testtools.Missing(t, "tools/vc-verify/node_modules missing: run `npm ci --prefix tools/vc-verify` to run this test")
	}

	k, other := newKeyring(t), newKeyring(t)
	sign := func(k *Keyring, idx int, statusURL string) []byte {
		in := testIssue()
		// Quotes, backslashes, tabs and newlines must be escaped the same
		// way by both canonicalizers.
		in.Achievement.Criteria += "\nDòng 2: \"trích dẫn\" \\ và\ttab."
		in.StatusIndex, in.StatusListURL = idx, statusURL
		doc, err := k.Sign(in)
		if err != nil {
			t.Fatal(err)
		}
		return doc
	}
	valid := sign(k, 42, testList)
	// Practice confirmed in person (issue 10) goes in as OB 3.0 evidence.
	withEvidence := func() []byte {
		in := testIssue()
		in.StatusIndex, in.StatusListURL = 43, testList
		in.Evidence = []Evidence{
			{Name: "Tự quét mã QR để chuyển 10.000 đồng cho người thân", Description: "Tổ trưởng Tổ công nghệ số thôn Đông xác nhận đã xem tận mắt, ngày 02/11/2026"},
			{Name: "Tự tra cứu một hồ sơ", Description: "Xác nhận \"tận mắt\"", Narrative: "Dòng 1\nDòng 2"},
		}
		doc, err := k.Sign(in)
		if err != nil {
			t.Fatal(err)
		}
		return doc
	}()
	list, _ := k.SignStatusList(testList, []int{7}, 0, testTime)
	tampered := edit(t, valid, func(m map[string]any) { obj(m, "credentialSubject")["name"] = "Trần Văn B" })
	forged := sign(forger(k, other), 42, testList)
	otherList, _ := other.SignStatusList(testList, []int{7}, 0, testTime)

	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	listFile := write("status-list.json", list)
	if _, err := Verify(withEvidence, lists(map[string][]byte{testList: list})); err != nil {
		t.Fatalf("our verifier refuses the credential with evidence: %v", err)
	}
	cases := []struct {
		name      string
		args      []string
		ok        bool
		reasonHas string
	}{
		{"valid", []string{write("valid.json", valid), listFile}, true, ""},
		{"valid, with evidence", []string{write("evidence.json", withEvidence), listFile}, true, ""},
		{"evidence tampered", []string{write("evidence-tampered.json", edit(t, withEvidence, func(m map[string]any) {
			m["evidence"].([]any)[0].(map[string]any)["description"] = "Không ai xem"
		})), listFile}, false, "Invalid signature"},
		{"valid, no status", []string{write("nostatus.json", sign(k, 0, ""))}, true, ""},
		{"tampered", []string{write("tampered.json", tampered), listFile}, false, "Invalid signature"},
		{"wrong key", []string{write("wrong-key.json", forged), listFile}, false, "Invalid signature"},
		{"revoked", []string{write("revoked.json", sign(k, 7, testList)), listFile}, false, "revocation bit 7 is set"},
		{"valid, pinned issuer", []string{write("pinned.json", valid), listFile, "--issuer=" + k.IssuerDID()}, true, ""},
		{"another issuer, pinned", []string{write("theirs.json", sign(other, 0, "")), "--issuer=" + k.IssuerDID()}, false, "not the expected"},
		{"status list by another key", []string{write("valid2.json", valid), write("other-list.json", otherList)}, false, "do not match"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cmd := exec.Command(node, append([]string{"verify.mjs"}, c.args...)...)
			cmd.Dir = tool
			start := time.Now()
			out, err := cmd.CombinedOutput()
			t.Logf("%s in %v:\n%s", c.name, time.Since(start).Round(time.Millisecond), out)
			var exit *exec.ExitError
			if err != nil && !(errors.As(err, &exit) && exit.ExitCode() == 1) {
				t.Fatalf("verifier did not run: %v", err)
			}
			if got := strings.Contains(string(out), "verified: true"); got != c.ok || (err == nil) != c.ok {
				t.Fatalf("verified %v (exit %v), want %v", got, err, c.ok)
			}
			if !strings.Contains(string(out), c.reasonHas) {
				t.Fatalf("reason does not mention %q", c.reasonHas)
			}
		})
	}
}
