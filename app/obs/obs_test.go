package obs_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"kynangso/app/certcode"
	"kynangso/app/config"
	"kynangso/app/obs"
	"kynangso/app/store"
	"kynangso/app/testrig"
)

func TestMain(m *testing.M) { testrig.Main(m) }

// scrape reads the platform's metrics in the text format, as Prometheus
// does, and returns the samples by name{labels}.
func scrape(t *testing.T, r *testrig.Rig) map[string]string {
	t.Helper()
	srv := httptest.NewServer(r.P.Metrics.Handler())
	defer srv.Close()
	res, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Fatalf("content type %q", ct)
	}
	out := map[string]string{}
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		out[line[:i]] = line[i+1:]
	}
	return out
}

func want(t *testing.T, m map[string]string, sample, value string) {
	t.Helper()
	if got, ok := m[sample]; !ok || got != value {
		var near []string
		name, _, _ := strings.Cut(sample, "{")
		for k, v := range m {
			if strings.HasPrefix(k, name) {
				near = append(near, k+" "+v)
			}
		}
		t.Errorf("%s = %q (present %v), want %s; samples of %s:\n%s", sample, got, ok, value, name, strings.Join(near, "\n"))
	}
}

// mistyped is code, as printed, with a wrong check character.
func mistyped(code string) string {
	f := []byte(certcode.Format(code))
	last := len(f) - 1
	if f[last] == '7' {
		f[last] = '8'
	} else {
		f[last] = '7'
	}
	return string(f)
}

func certificateOf(t *testing.T, r *testrig.Rig, phone string) *store.Certificate {
	t.Helper()
	u, err := r.P.Store.UserByPhone(context.Background(), phone)
	if err != nil {
		t.Fatal(err)
	}
	certs, err := r.P.Store.CertificatesOf(context.Background(), u.ID)
	if err != nil || len(certs) != 1 {
		t.Fatalf("%d certificates: %v", len(certs), err)
	}
	return &certs[0]
}

// What an operator reads: requests by route pattern and status (a kept
// page, a refused form and an unknown path named as the router would),
// certificates issued and revoked, checks by channel and result, live
// sessions, store latencies, the build.
func TestMetricsSeeWhatHappens(t *testing.T) {
	r := testrig.Start(t)
	admin := r.Admin(t)
	learner := r.Register(t, "Trần Thị Hoa", "0912000111", nil)
	path, form := r.QuizAnswers(t, learner, "tim-kiem-tin-gia", true)
	if res := learner.Post(path, form); res.Status >= 400 {
		t.Fatalf("quiz submit: %d", res.Status)
	}
	ct := certificateOf(t, r, "0912000111")
	anon := r.Client(t)
	for _, p := range []string{"/api/v1/verify/" + ct.Code, "/v/" + ct.Code, "/api/v1/verify/0000-0000-0000", "/v/" + mistyped(ct.Code), "/courses/vneid", "/courses/vneid", "/no/such/page"} {
		anon.Get(p)
	}
	if res := anon.PostRaw("/login", url.Values{"phone": {"0912000111"}, "password": {"x"}}); res.Status != http.StatusForbidden {
		t.Fatalf("a form without its token: %d", res.Status)
	}
	cred := anon.Get("/credentials/" + ct.Code + ".json").Body
	if res := anon.PostJSON("/api/v1/credentials/verify", cred); res.Status != http.StatusOK {
		t.Fatalf("credential check: %d %s", res.Status, res.Body)
	}
	if res := admin.Post("/admin/certificates/"+ct.Code+"/revoke", url.Values{"confirm": {"yes"}, "reason": {"error"}}); res.Status >= 400 {
		t.Fatalf("revoke: %d\n%s", res.Status, testrig.Text(res.Body))
	}
	anon.Get("/api/v1/verify/" + ct.Code)
	if res := anon.PostJSON("/api/v1/credentials/verify", cred); res.Status != http.StatusUnprocessableEntity {
		t.Fatalf("credential check after revocation: %d %s", res.Status, res.Body)
	}

	m := scrape(t, r)
	want(t, m, `kns_certificates_issued_total`, "1")
	want(t, m, `kns_certificates_revoked_total{by="admin"}`, "1")
	want(t, m, `kns_verifications_total{channel="json",result="valid"}`, "1")
	want(t, m, `kns_verifications_total{channel="json",result="revoked"}`, "1")
	want(t, m, `kns_verifications_total{channel="json",result="unknown"}`, "1")
	want(t, m, `kns_verifications_total{channel="page",result="valid"}`, "1")
	want(t, m, `kns_verifications_total{channel="page",result="mistyped"}`, "1")
	want(t, m, `kns_verifications_total{channel="credential",result="valid"}`, "1")
	want(t, m, `kns_verifications_total{channel="credential_check",result="valid"}`, "1")
	want(t, m, `kns_verifications_total{channel="credential_check",result="revoked"}`, "1")
	want(t, m, `kns_http_requests_total{code="200",method="GET",route="/courses/:course"}`, "2")
	want(t, m, `kns_http_requests_total{code="404",method="GET",route="unmatched"}`, "1")
	want(t, m, `kns_http_requests_total{code="403",method="POST",route="/login"}`, "1")
	want(t, m, `kns_http_requests_total{code="200",method="GET",route="/v/:code"}`, "1")
	want(t, m, `kns_http_requests_total{code="303",method="POST",route="/register"}`, "1")
	want(t, m, `kns_sessions_live`, "2") // the admin and the learner
	want(t, m, `kns_http_requests_in_flight`, "0")
	if m[`kns_store_operation_duration_seconds_count{op="issue_certificate"}`] == "" || m[`kns_store_operation_duration_seconds_count{op="atomic"}`] == "" {
		t.Error("no store latencies for issue_certificate or atomic")
	}
	found := false
	for k := range m {
		if strings.HasPrefix(k, "kns_build_info{") && strings.Contains(k, `goversion="go`) {
			found = true
		}
		// No label holds a code, a phone number or a path.
		if strings.Contains(k, ct.Code) || strings.Contains(k, "0912000111") || strings.Contains(k, "/no/such") {
			t.Errorf("a label holds what it must not: %s", k)
		}
	}
	if !found {
		t.Error("no kns_build_info")
	}
}

// A refused request is counted under its limit's name, never its key
// (which holds an address or a phone number).
func TestMetricsCountRateLimitRefusals(t *testing.T) {
	r := testrig.StartWith(t, func(c *config.Config) { c.VerifyLimit = 2 })
	c := r.Client(t)
	for range 3 {
		c.Get("/api/v1/verify/0000-0000-0000")
	}
	m := scrape(t, r)
	want(t, m, `kns_rate_limit_refusals_total{limit="verify"}`, "1")
	for k := range m {
		if strings.HasPrefix(k, "kns_rate_limit_refusals_total") && strings.Contains(k, "127.0.0.1") {
			t.Errorf("a limit's label holds the address: %s", k)
		}
	}
	want(t, m, `kns_verifications_total{channel="json",result="rate_limited"}`, "1")
	want(t, m, `kns_verifications_total{channel="json",result="unknown"}`, "2")
	want(t, m, `kns_http_requests_total{code="429",method="GET",route="/api/v1/verify/:code"}`, "1")
}

// One access-log line per request: method, route pattern, status,
// duration and size; never the path, the query or a cookie.
func TestAccessLogLine(t *testing.T) {
	var buf bytes.Buffer
	log := obs.NewLogger(&buf, "json", slog.LevelInfo)
	m := obs.New(nil)
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Use(m.Middleware(log))
	app.Get("/v/:code", func(c *fiber.Ctx) error { return c.SendString("genuine") })
	app.Get("/boom", func(c *fiber.Ctx) error { return fiber.NewError(fiber.StatusTeapot, "no") })
	app.Get("/stream", func(c *fiber.Ctx) error {
		return c.SendStream(strings.NewReader(strings.Repeat("row\n", 1000)), -1)
	})
	req := httptest.NewRequest("GET", "/v/7K3M-9QXP-4TDA?phone=0912000111&name=Hoa", nil)
	req.Header.Set("Cookie", "kns_session=secret-session-id")
	if _, err := app.Test(req); err != nil {
		t.Fatal(err)
	}
	if res, err := app.Test(httptest.NewRequest("GET", "/boom", nil)); err != nil || res.StatusCode != fiber.StatusTeapot {
		t.Fatalf("the error handler's status: %v %v", res.StatusCode, err)
	}
	res, err := app.Test(httptest.NewRequest("GET", "/stream", nil))
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := io.ReadAll(res.Body); len(b) != 4000 {
		t.Fatalf("the stream: %d bytes", len(b))
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines, want 3:\n%s", len(lines), buf.String())
	}
	// A streamed body is not read to be measured (its size is unknown).
	if !strings.Contains(lines[2], `"route":"/stream","status":200`) || !strings.Contains(lines[2], `"bytes":-1`) {
		t.Errorf("the streamed answer's line: %s", lines[2])
	}
	var e struct {
		Msg, Method, Route string
		Status, Bytes      int
		MS                 *float64
	}
	if err := json.Unmarshal([]byte(lines[0]), &e); err != nil {
		t.Fatal(err)
	}
	if e.Msg != "request" || e.Method != "GET" || e.Route != "/v/:code" || e.Status != 200 || e.Bytes != len("genuine") || e.MS == nil {
		t.Errorf("line: %s", lines[0])
	}
	for _, secret := range []string{"7K3M", "0912000111", "Hoa", "secret-session-id", "phone"} {
		if strings.Contains(buf.String(), secret) {
			t.Errorf("the access log holds %q:\n%s", secret, buf.String())
		}
	}
	if !strings.Contains(lines[1], `"status":418`) {
		t.Errorf("the second line does not give the error handler's status: %s", lines[1])
	}
}

// The example dashboard and alerts (deploy/) name only metrics the
// program serves.
func TestDashboardAndAlertsNameServedMetrics(t *testing.T) {
	r := testrig.Start(t)
	served := map[string]bool{}
	for _, n := range r.P.Metrics.Names() {
		served[n] = true
		for _, suffix := range []string{"_bucket", "_sum", "_count"} {
			served[n+suffix] = true
		}
	}
	for _, want := range []string{"kns_database_up", "kns_data_dir_free_bytes", "kns_sessions_live", "kns_build_info", "kns_http_requests_total"} {
		if !served[want] && !(want == "kns_data_dir_free_bytes" && testrig.OnMongoDB()) {
			t.Errorf("%s is not served", want)
		}
	}
	if testrig.OnMongoDB() {
		// The embedded database's disk: named by the dashboard, not served here.
		served["kns_data_dir_free_bytes"] = true
	}
	name := regexp.MustCompile(`\bkns_[a-z_]+`)
	for _, f := range []string{"../../deploy/grafana/kynangso.json", "../../deploy/prometheus/alerts.yml"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		found := name.FindAllString(string(b), -1)
		if len(found) < 5 {
			t.Errorf("%s names %d metrics", f, len(found))
		}
		for _, n := range found {
			if !served[n] {
				t.Errorf("%s names %s, which the program does not serve", f, n)
			}
		}
	}
}

// The sign-in limit by phone (ten wrong passwords) and the name check's
// (five names a day per certificate) are counted too.
func TestMetricsCountSignInAndNameCheckRefusals(t *testing.T) {
	r := testrig.Start(t)
	learner := r.Register(t, "Phạm Thị Lan", "0914000333", nil)
	path, form := r.QuizAnswers(t, learner, "tim-kiem-tin-gia", true)
	learner.Post(path, form)
	ct := certificateOf(t, r, "0914000333")
	c := r.Client(t)
	for i := range 11 {
		c.Post("/login", url.Values{"phone": {"0914000333"}, "password": {fmt.Sprintf("sai-mat-khau-%d", i)}})
	}
	var last int
	for _, name := range []string{"An", "Bình", "Chi", "Dũng", "Giang", "Hà"} {
		last = c.Post("/v/"+certcode.Format(ct.Code)+"/name", url.Values{"name": {name}}).Status
	}
	if last != http.StatusTooManyRequests {
		t.Fatalf("the sixth name: %d", last)
	}
	m := scrape(t, r)
	want(t, m, `kns_rate_limit_refusals_total{limit="sign_in_phone"}`, "1")
	want(t, m, `kns_rate_limit_refusals_total{limit="name_check"}`, "1")
	want(t, m, `kns_verifications_total{channel="name_check",result="valid"}`, "5")
	want(t, m, `kns_verifications_total{channel="name_check",result="rate_limited"}`, "1")
}
