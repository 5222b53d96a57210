package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"kynangso/app/certcode"
	"kynangso/app/testrig"
)

// A code typed as printed (issue 9, point 1): in its groups with spaces,
// in lower case, with dots, with I/L/O for 1/1/0, is found on the page,
// through the form, by the JSON API and at the credential's address, and
// the address bar then shows it as printed, XXXX-XXXX-XXXX. Before:
// "1t3f k95n y3bf" went to /v/1t3f%20k95n%20y3bf, "not found, may be
// fake", with "%20" in the box.
func TestCodeTypedAsPrinted(t *testing.T) {
	rig := testrig.Start(t)
	holder := rig.Register(t, "Nguyễn Văn An", "0911222333", nil)
	printed := passCourse(t, rig, holder, "mua-ban-truc-tuyen")
	raw, err := certcode.Parse(printed)
	if err != nil {
		t.Fatal(err)
	}
	canon := certcode.Format(raw)
	spaced := strings.ToLower(strings.ReplaceAll(canon, "-", " "))
	dotted := strings.NewReplacer("-", ".", "1", "l", "0", "o").Replace(canon)
	employer := rig.Client(t)

	// The form, as the browser sends it.
	for _, typed := range []string{spaced, dotted, " " + canon + " "} {
		r := employer.Get("/v?code=" + url.QueryEscape(typed))
		if r.Status != http.StatusSeeOther || r.Location != "/v/"+canon {
			t.Errorf("form with %q: %d to %q; want 303 to /v/%s", typed, r.Status, r.Location, canon)
		}
	}
	// The page, typed into the address bar or linked loosely.
	for _, typed := range []string{spaced, dotted, strings.ToLower(canon[:5]) + strings.ReplaceAll(canon[5:], "-", "")} {
		r := employer.Get("/v/" + url.PathEscape(typed) + "?lang=vi")
		if r.Status != http.StatusMovedPermanently || r.Location != "/v/"+canon+"?lang=vi" {
			t.Errorf("page /v/%s: %d to %q; want 301 to /v/%s?lang=vi", url.PathEscape(typed), r.Status, r.Location, canon)
		}
	}
	// In another case only, the page is answered in place (older links)
	// and names its printed address, which the page's script shows.
	lower := employer.Get("/v/" + strings.ToLower(raw))
	mustStatus(t, "lower case", lower, http.StatusOK)
	mustContain(t, "lower case", lower.Body, "Chứng nhận thật")
	if !strings.Contains(lower.Body, `<link rel="canonical" href="/v/`+canon+`">`) {
		t.Error("the page at a lower-case code names no canonical address")
	}
	page := employer.Follow("/v/" + url.PathEscape(spaced))
	mustStatus(t, "the page after the redirect", page, http.StatusOK)
	mustContain(t, "the page after the redirect", page.Body, "Chứng nhận thật", canon)
	if strings.Contains(page.Body, "%20") {
		t.Error("the page shows %20")
	}
	// The JSON API answers where it is asked, with the code as printed.
	for _, typed := range []string{spaced, dotted} {
		r := employer.Get("/api/v1/verify/" + url.PathEscape(typed))
		var out struct{ Status, Code string }
		if err := json.Unmarshal([]byte(r.Body), &out); err != nil || r.Status != http.StatusOK || out.Status != "valid" || out.Code != canon {
			t.Errorf("API with %q: %d %s; want 200, valid, code %s", typed, r.Status, r.Body, canon)
		}
	}
	// The credential's address.
	r := employer.Get("/credentials/" + url.PathEscape(spaced) + ".json")
	if r.Status != http.StatusMovedPermanently || r.Location != "/credentials/"+canon+".json" {
		t.Errorf("credential at a spaced code: %d to %q", r.Status, r.Location)
	}
	mustStatus(t, "credential as printed", employer.Get("/credentials/"+canon+".json"), http.StatusOK)

	// A code with one character wrong, typed with spaces: the page says
	// mistyped and the box shows it as typed, without %20.
	wrong := []byte(raw)
	if wrong[5] == 'A' {
		wrong[5] = 'B'
	} else {
		wrong[5] = 'A'
	}
	typo := strings.ToLower(string(wrong[:4]) + " " + string(wrong[4:8]) + " " + string(wrong[8:]))
	m := employer.Follow("/v?code=" + url.QueryEscape(typo))
	mustStatus(t, "mistyped", m, http.StatusUnprocessableEntity)
	mustContain(t, "mistyped", m.Body, "Mã này có một ký tự không khớp", certcode.Format(string(wrong)))
	// Part of a code, with spaces: the box shows the spaces, not %20.
	part := employer.Follow("/v?code=" + url.QueryEscape(spaced[:9]))
	mustStatus(t, "part of a code", part, http.StatusUnprocessableEntity)
	if strings.Contains(part.Body, "%20") || !strings.Contains(part.Body, `value="`+strings.ToUpper(spaced[:9])+`"`) {
		t.Errorf("part of a code: the box does not show it as typed:\n%s", testrig.Text(part.Body))
	}
}
