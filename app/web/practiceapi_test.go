package web_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"kynangso/app/certcode"
)

// The verification JSON says what the verification page says of the
// practice behind a certificate, and the OpenAPI document describes it:
// present for a course with practical tasks, absent otherwise.
func TestVerifyJSONCarriesPractice(t *testing.T) {
	p := startPractice(t)
	const course = "dich-vu-cong"
	tasks := p.tasks(t, course)
	p.pass(t, course)
	for _, tk := range tasks {
		mustStatus(t, "confirm", p.tap(p.leader, course, tk, "confirm"), http.StatusSeeOther)
	}
	withTasks := p.certs(t, course)
	p.pass(t, "tim-kiem-tin-gia")
	without := p.certs(t, "tim-kiem-tin-gia")
	if len(withTasks) != 1 || len(without) != 1 {
		t.Fatalf("certificates: %d with tasks, %d without", len(withTasks), len(without))
	}
	anon := p.rig.Client(t)

	var doc map[string]any
	if err := json.Unmarshal([]byte(anon.Get("/api/openapi.json").Body), &doc); err != nil {
		t.Fatal(err)
	}
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	if _, ok := schemas["Verification"].(map[string]any)["properties"].(map[string]any)["practice"]; !ok {
		t.Fatal("the OpenAPI Verification schema has no practice")
	}
	resp := resolve(doc, doc["paths"].(map[string]any)["/api/v1/verify/{code}"].(map[string]any)["get"].(map[string]any)["responses"].(map[string]any)["200"].(map[string]any))
	schema := resp["content"].(map[string]any)["application/json"].(map[string]any)["schema"].(map[string]any)

	get := func(code string) (string, map[string]any) {
		t.Helper()
		res := anon.Get("/api/v1/verify/" + certcode.Format(code))
		mustStatus(t, "verify "+code, res, http.StatusOK)
		var body map[string]any
		if err := json.Unmarshal([]byte(res.Body), &body); err != nil {
			t.Fatal(err)
		}
		for _, e := range validate(doc, schema, body, "$") {
			t.Errorf("%s: %s", code, e)
		}
		return res.Body, body
	}

	raw, body := get(withTasks[0].Code)
	pr, ok := body["practice"].(map[string]any)
	if !ok {
		t.Fatalf("no practice in the JSON of a certificate of a course with practical tasks:\n%s", raw)
	}
	co := p.rig.P.Courses.Get(course)
	got := pr["tasks"].([]any)
	if len(got) != len(co.Tasks) {
		t.Fatalf("%d tasks, want %d", len(got), len(co.Tasks))
	}
	for i, tk := range co.Tasks {
		g := got[i].(map[string]any)
		title := g["title"].(map[string]any)
		if g["id"] != tk.ID || title["vi"] != tk.Title["vi"] || title["en"] != tk.Title["en"] {
			t.Errorf("task %d: %v, want %s %v", i, g, tk.ID, tk.Title)
		}
	}
	if teams := pr["teams"].([]any); len(teams) != 1 || teams[0] != "Tổ CNSCĐ bản Mòng" {
		t.Errorf("teams %v", teams)
	}
	on, err := time.Parse(time.DateOnly, pr["confirmed_on"].(string))
	if err != nil {
		t.Fatalf("confirmed_on: %v", err)
	}
	// The same day as the verification page gives.
	page := anon.Get("/v/" + certcode.Format(withTasks[0].Code)).Body
	mustContain(t, "verify page", page, "xác nhận xong ngày "+on.Format("02/01/2006"))
	// Only what the page shows the public: no leader, no phone.
	for _, secret := range []string{"Lò Thị Xuân", "0915000111", "0915000222", p.memberID} {
		if strings.Contains(raw, secret) {
			t.Errorf("the JSON gives %q", secret)
		}
	}
	// In English the same (the titles carry both languages).
	en := p.rig.Client(t)
	en.Lang = "en"
	mustContain(t, "English", en.Get("/api/v1/verify/"+certcode.Format(withTasks[0].Code)).Body, "Look up an application")

	raw, body = get(without[0].Code)
	if _, ok := body["practice"]; ok {
		t.Errorf("practice in the JSON of a course without practical tasks:\n%s", raw)
	}
}
