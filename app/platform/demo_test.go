package platform_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"kynangso/app/config"
	"kynangso/app/platform"
	"kynangso/app/testrig"
)

// The demo fills an empty data folder, refuses one with data, and its
// printed sign-ins open the pages each role has.
func TestDemoCommand(t *testing.T) {
	if testrig.OnMongoDB() {
		t.Skip("the demo fills the embedded store")
	}
	dir := t.TempDir()
	t.Setenv("KNS_DATA_DIR", dir)
	t.Setenv("KNS_LOG_LEVEL", "error")
	if err := platform.Run(context.Background(), []string{"demo"}); err != nil {
		t.Fatalf("demo on an empty folder: %v", err)
	}
	err := platform.Run(context.Background(), []string{"demo"})
	if err == nil || !strings.Contains(err.Error(), "already holds data") {
		t.Fatalf("demo run twice: %v, want a refusal", err)
	}

	rig := testrig.StartWith(t, func(c *config.Config) { c.DataDir = dir })
	signIn := func(phone string) *testrig.Client {
		c := rig.Client(t)
		if r := c.Post("/login", url.Values{"phone": {phone}, "password": {"thu-nghiem-2026"}, "next": {"/"}}); r.Status != http.StatusSeeOther {
			t.Fatalf("sign in as %s: %d\n%s", phone, r.Status, testrig.Text(r.Body))
		}
		return c
	}
	province := signIn("0300000002")
	if r := province.Get("/places"); r.Location != "/places/31" {
		t.Fatalf("the province official's places lead to %q", r.Location)
	}
	page := province.Get("/places/31")
	mustStatusP(t, "province page", page, http.StatusOK)
	text := testrig.Text(page.Body)
	if !strings.Contains(text, "Thành phố Hải Phòng") || strings.Contains(text, " 0/0 hộ") {
		t.Errorf("the province page shows no households:\n%.800s", text)
	}
	commune := signIn("0300000003")
	if r := commune.Get("/places"); !strings.HasPrefix(r.Location, "/places/31/") {
		t.Fatalf("the commune official's places lead to %q", r.Location)
	}
	mustStatusP(t, "commune official on the province", commune.Get("/places/31"), http.StatusForbidden)
	leader := signIn("0300000004")
	if r := leader.Get("/teams"); !strings.HasPrefix(r.Location, "/teams/") {
		t.Fatalf("the leader's teams lead to %q", r.Location)
	}
	learner := signIn("0300000005")
	mustStatusP(t, "learner on places", learner.Get("/places"), http.StatusForbidden)

	js := rig.Client(t).Get("/api/v1/ranking?province=31").Body
	if !strings.Contains(js, `"rank":1`) || !strings.Contains(js, `"suppressed":true`) {
		t.Errorf("the demo's ranking ranks no commune of Hải Phòng, or hides none:\n%.600s", js)
	}
}

func mustStatusP(t *testing.T, what string, r *testrig.Resp, want int) {
	t.Helper()
	if r.Status != want {
		t.Errorf("%s: status %d, want %d", what, r.Status, want)
	}
}
