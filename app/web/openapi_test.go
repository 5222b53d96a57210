package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"kynangso/app/certcode"
	"kynangso/app/config"
	"kynangso/app/testrig"
)

// The OpenAPI document says what the public API answers; here every
// answer it documents is produced for real and checked against its
// schema (our own responses allow no undocumented field), every public
// API route of the app is in the document, and every path of the
// document is a route.
func TestOpenAPIDocumentMatchesTheAPI(t *testing.T) {
	r := testrig.StartWith(t, func(c *config.Config) { c.VerifyLimit = 0 })
	anon := r.Client(t)
	res := anon.Get("/api/openapi.json")
	mustStatus(t, "openapi.json", res, http.StatusOK)
	var doc map[string]any
	if err := json.Unmarshal([]byte(res.Body), &doc); err != nil {
		t.Fatalf("the document is not JSON: %v", err)
	}
	if doc["openapi"] != "3.1.0" {
		t.Fatalf("openapi %v", doc["openapi"])
	}
	if s := doc["servers"].([]any)[0].(map[string]any)["url"]; s != r.URL {
		t.Fatalf("server %v, want the base URL %s", s, r.URL)
	}
	paths := doc["paths"].(map[string]any)

	// Routes and document agree.
	documented := map[string]bool{}
	for p, ops := range paths {
		for m := range ops.(map[string]any) {
			documented[strings.ToUpper(m)+" "+p] = true
		}
	}
	param := regexp.MustCompile(`:([A-Za-z]+)`)
	public := func(p string) bool {
		return strings.HasPrefix(p, "/api/v") || strings.HasPrefix(p, "/credentials/") || strings.HasPrefix(p, "/.well-known/")
	}
	routes := map[string]bool{}
	for _, rt := range r.P.App.GetRoutes(true) {
		if (rt.Method == "GET" || rt.Method == "POST") && public(rt.Path) {
			routes[rt.Method+" "+param.ReplaceAllString(rt.Path, "{$1}")] = true
		}
	}
	for k := range routes {
		if !documented[k] {
			t.Errorf("route %s is not in the OpenAPI document", k)
		}
	}
	for k := range documented {
		if !routes[k] {
			t.Errorf("the OpenAPI document has %s, which is no route", k)
		}
	}

	// Real answers: a valid certificate, a revoked one, unknown and
	// mistyped codes, credentials genuine and revoked, the status list.
	admin := r.Admin(t)
	learner := r.Register(t, "Lê Văn Tám", "0913000222", nil)
	for _, course := range []string{"tim-kiem-tin-gia", "bao-ve-du-lieu"} {
		path, form := r.QuizAnswers(t, learner, course, true)
		if res := learner.Post(path, form); res.Status >= 400 {
			t.Fatalf("quiz %s: %d", course, res.Status)
		}
	}
	u, err := r.P.Store.UserByPhone(context.Background(), "0913000222")
	if err != nil {
		t.Fatal(err)
	}
	certs, err := r.P.Store.CertificatesOf(context.Background(), u.ID)
	if err != nil || len(certs) != 2 {
		t.Fatalf("%d certificates: %v", len(certs), err)
	}
	valid, revoked := certcode.Format(certs[0].Code), certcode.Format(certs[1].Code)
	revokedCred := anon.Get("/credentials/" + revoked + ".json").Body
	mustStatus(t, "revoke", admin.Post("/admin/certificates/"+certs[1].Code+"/revoke", url.Values{"confirm": {"yes"}, "reason": {"error"}}), http.StatusSeeOther)
	mistyped := []byte(valid)
	if mistyped[len(mistyped)-1] == '7' {
		mistyped[len(mistyped)-1] = '8'
	} else {
		mistyped[len(mistyped)-1] = '7'
	}
	validCred := anon.Get("/credentials/" + valid + ".json").Body
	list := ""
	var cred map[string]any
	if err := json.Unmarshal([]byte(validCred), &cred); err != nil {
		t.Fatalf("credential: %v\n%s", err, validCred)
	}
	if st, ok := cred["credentialStatus"].(map[string]any); ok {
		list = strings.TrimPrefix(st["statusListCredential"].(string), r.URL)
	}
	if list == "" {
		t.Fatal("the credential names no status list")
	}

	type call struct {
		method, path, docPath, body string
	}
	calls := []call{
		{"GET", "/api/v1/verify/" + valid, "/api/v1/verify/{code}", ""},
		{"GET", "/api/v1/verify/" + revoked, "/api/v1/verify/{code}", ""},
		{"GET", "/api/v1/verify/" + strings.ToLower(valid), "/api/v1/verify/{code}", ""},
		{"GET", "/api/v1/verify/0000-0000-0000", "/api/v1/verify/{code}", ""},
		{"GET", "/api/v1/verify/" + string(mistyped), "/api/v1/verify/{code}", ""},
		{"GET", "/api/v1/verify/7K3M9", "/api/v1/verify/{code}", ""},
		{"POST", "/api/v1/credentials/verify", "/api/v1/credentials/verify", validCred},
		{"POST", "/api/v1/credentials/verify", "/api/v1/credentials/verify", revokedCred},
		{"POST", "/api/v1/credentials/verify", "/api/v1/credentials/verify", `{"issuer":"did:key:z6Mkfoo","id":"x"}`},
		{"POST", "/api/v1/credentials/verify", "/api/v1/credentials/verify", ""},
		{"GET", "/credentials/" + valid + ".json", "/credentials/{code}.json", ""},
		{"GET", "/credentials/0000-0000-0000.json", "/credentials/{code}.json", ""},
		{"GET", list, "/credentials/status/{list}", ""},
		{"GET", "/credentials/status/nosuchlist", "/credentials/status/{list}", ""},
		{"GET", "/.well-known/jwks.json", "/.well-known/jwks.json", ""},
		{"GET", "/api/v1/provinces/1/communes", "/api/v1/provinces/{code}/communes", ""},
		{"GET", "/api/v1/provinces/1/communes?q=ba%20dinh", "/api/v1/provinces/{code}/communes", ""},
		{"GET", "/api/v1/provinces/999/communes", "/api/v1/provinces/{code}/communes", ""},
		{"GET", "/api/v1/ranking", "/api/v1/ranking", ""},
		{"GET", "/api/v1/ranking?province=1", "/api/v1/ranking", ""},
		{"GET", "/api/v1/ranking?format=csv", "/api/v1/ranking", ""},
		{"GET", "/api/v1/ranking?format=xlsx&province=1", "/api/v1/ranking", ""},
		{"GET", "/api/v1/ranking?quarter=2026-5", "/api/v1/ranking", ""},
		{"GET", "/api/v1/ranking?format=pdf", "/api/v1/ranking", ""},
		{"GET", "/api/v1/ranking?quarter=2999-Q1", "/api/v1/ranking", ""},
		{"GET", "/api/v1/ranking?province=999", "/api/v1/ranking", ""},
	}
	seen := map[string]bool{}
	statuses := map[string][]string{}
	for _, c := range calls {
		var res *testrig.Resp
		if c.method == "POST" {
			res = anon.PostJSON(c.path, c.body)
		} else {
			res = anon.Get(c.path)
		}
		op, ok := paths[c.docPath].(map[string]any)[strings.ToLower(c.method)].(map[string]any)
		if !ok {
			t.Fatalf("%s %s is not documented", c.method, c.docPath)
		}
		resp, ok := op["responses"].(map[string]any)[strconv.Itoa(res.Status)].(map[string]any)
		if !ok {
			t.Errorf("%s %s answered %d, which the document does not list\n%.300s", c.method, c.path, res.Status, res.Body)
			continue
		}
		resp = resolve(doc, resp)
		seen[c.method+" "+c.docPath+" "+strconv.Itoa(res.Status)] = true
		ct, _, _ := strings.Cut(res.Header.Get("Content-Type"), ";")
		seen[c.method+" "+c.docPath+" "+strconv.Itoa(res.Status)+" "+ct] = true
		media, ok := resp["content"].(map[string]any)[ct].(map[string]any)
		if !ok {
			t.Errorf("%s %s answered %d as %q, which the document does not list", c.method, c.path, res.Status, ct)
			continue
		}
		if !strings.HasSuffix(ct, "json") {
			continue
		}
		var body any
		if err := json.Unmarshal([]byte(res.Body), &body); err != nil {
			t.Errorf("%s %s: not JSON: %v", c.method, c.path, err)
			continue
		}
		for _, e := range validate(doc, media["schema"].(map[string]any), body, "$") {
			t.Errorf("%s %s (%d): %s", c.method, c.path, res.Status, e)
		}
		if m, ok := body.(map[string]any); ok {
			if s, ok := m["status"].(string); ok {
				statuses[c.docPath] = append(statuses[c.docPath], s)
			}
		}
	}
	// Every documented answer was produced (but 429, which needs a
	// limit; the limit test makes it).
	for p, ops := range paths {
		for m, op := range ops.(map[string]any) {
			for code := range op.(map[string]any)["responses"].(map[string]any) {
				k := strings.ToUpper(m) + " " + p + " " + code
				if code == "429" {
					continue
				}
				if !seen[k] {
					t.Errorf("the document lists %s, which no call here produced", k)
				}
				resp := resolve(doc, op.(map[string]any)["responses"].(map[string]any)[code].(map[string]any))
				for ct := range resp["content"].(map[string]any) {
					if !seen[k+" "+ct] && !(m == "post" && ct == "application/vc+ld+json") {
						t.Errorf("the document lists %s as %s, which no call here produced", k, ct)
					}
				}
			}
		}
	}
	got := statuses["/api/v1/verify/{code}"]
	sort.Strings(got)
	if want := []string{"mistyped", "mistyped", "revoked", "unknown", "valid", "valid"}; !slices.Equal(got, want) {
		t.Errorf("verify statuses %v, want %v", got, want)
	}
}

// The 429 the document lists, for real.
func TestOpenAPIRateLimitAnswer(t *testing.T) {
	r := testrig.StartWith(t, func(c *config.Config) { c.VerifyLimit = 1 })
	c := r.Client(t)
	c.Get("/api/v1/verify/0000-0000-0000")
	res := c.Get("/api/v1/verify/0000-0000-0000")
	mustStatus(t, "second check", res, http.StatusTooManyRequests)
	var doc map[string]any
	if err := json.Unmarshal([]byte(c.Get("/api/openapi.json").Body), &doc); err != nil {
		t.Fatal(err)
	}
	resp := resolve(doc, doc["paths"].(map[string]any)["/api/v1/verify/{code}"].(map[string]any)["get"].(map[string]any)["responses"].(map[string]any)["429"].(map[string]any))
	if res.Header.Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
	var body any
	if err := json.Unmarshal([]byte(res.Body), &body); err != nil {
		t.Fatalf("429 body: %v: %s", err, res.Body)
	}
	schema := resp["content"].(map[string]any)["application/json"].(map[string]any)["schema"].(map[string]any)
	for _, e := range validate(doc, schema, body, "$") {
		t.Error(e)
	}
}

// resolve follows a $ref within the document.
func resolve(doc map[string]any, v map[string]any) map[string]any {
	for {
		ref, ok := v["$ref"].(string)
		if !ok {
			return v
		}
		var cur any = doc
		for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
			cur = cur.(map[string]any)[part]
		}
		v = cur.(map[string]any)
	}
}

// validate checks v against the part of JSON Schema the document uses:
// $ref, type, const, enum, properties, required, additionalProperties,
// items, minItems, and the formats date-time and uri.
func validate(doc, schema map[string]any, v any, at string) []string {
	schema = resolve(doc, schema)
	var errs []string
	bad := func(f string, a ...any) { errs = append(errs, at+": "+fmt.Sprintf(f, a...)) }
	if c, ok := schema["const"]; ok && c != v {
		bad("%v, want %v", v, c)
	}
	if e, ok := schema["enum"].([]any); ok && !slices.Contains(e, v) {
		bad("%v is not one of %v", v, e)
	}
	if one, ok := schema["oneOf"].([]any); ok {
		n := 0
		var all []string
		for _, o := range one {
			e := validate(doc, o.(map[string]any), v, at)
			if len(e) == 0 {
				n++
			}
			all = append(all, e...)
		}
		if n != 1 {
			bad("matches %d of oneOf, want 1: %s", n, strings.Join(all, "; "))
		}
	}
	typ := schema["type"]
	if types, ok := typ.([]any); ok {
		typ = nil
		for _, ty := range types {
			if ty == "null" && v == nil {
				return errs
			}
			if ty != "null" {
				typ = ty
			}
		}
	}
	switch typ {
	case "number":
		if _, ok := v.(float64); !ok {
			bad("not a number: %v", v)
		}
	case "object":
		m, ok := v.(map[string]any)
		if !ok {
			bad("not an object: %v", v)
			return errs
		}
		for _, r := range asList(schema["required"]) {
			if _, ok := m[r.(string)]; !ok {
				bad("%s is missing", r)
			}
		}
		props, _ := schema["properties"].(map[string]any)
		for k, val := range m {
			if p, ok := props[k].(map[string]any); ok {
				errs = append(errs, validate(doc, p, val, at+"."+k)...)
				continue
			}
			switch ap := schema["additionalProperties"].(type) {
			case bool:
				if !ap {
					bad("%s is not in the document", k)
				}
			case map[string]any:
				errs = append(errs, validate(doc, ap, val, at+"."+k)...)
			}
		}
	case "array":
		l, ok := v.([]any)
		if !ok {
			bad("not an array")
			return errs
		}
		if n, ok := schema["minItems"].(float64); ok && len(l) < int(n) {
			bad("%d items, want at least %v", len(l), n)
		}
		if it, ok := schema["items"].(map[string]any); ok {
			for i, e := range l {
				errs = append(errs, validate(doc, it, e, fmt.Sprintf("%s[%d]", at, i))...)
			}
		}
	case "string":
		s, ok := v.(string)
		if !ok {
			bad("not a string: %v", v)
			return errs
		}
		switch schema["format"] {
		case "date-time":
			if _, err := time.Parse(time.RFC3339, s); err != nil {
				bad("not a date-time: %q", s)
			}
		case "uri":
			if u, err := url.Parse(s); err != nil || !u.IsAbs() {
				bad("not an absolute URI: %q", s)
			}
		}
	case "integer":
		if f, ok := v.(float64); !ok || f != float64(int64(f)) {
			bad("not an integer: %v", v)
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			bad("not a boolean: %v", v)
		}
	}
	return errs
}

func asList(v any) []any { l, _ := v.([]any); return l }
