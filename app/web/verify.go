package web

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"kynangso/app/certcode"
	"kynangso/app/forms"
	"kynangso/app/learning"
	"kynangso/app/locality"
	"kynangso/app/store"
	"kynangso/courses"
)

// Verification statuses, as the page and the JSON give them.
const (
	statusValid    = "valid"
	statusRevoked  = "revoked"
	statusUnknown  = "unknown"
	statusMistyped = "mistyped"
	statusReplaced = "replaced" // on the page only: revoked, with a successor
)

// verification is what a check of a code finds.
type verification struct {
	Status  string
	Code    string // as typed, formatted when it parses
	Cert    *store.Certificate
	Course  *courses.Course
	Holder  string // as the page may show it
	Replace string // formatted code of the replacement
	Short   bool   // typed with too few or too many characters
}

// check looks a typed code up. A code that names no certificate counts
// against the address's limit of such checks (missedCheck).
func (s *Server) check(c *fiber.Ctx, typed, channel string) (*verification, error) {
	v := &verification{Status: statusUnknown, Code: strings.ToUpper(strings.TrimSpace(typed))}
	code, err := certcode.Parse(typed)
	switch {
	case errors.Is(err, certcode.ErrMistyped):
		v.Status, v.Code = statusMistyped, certcode.Format(code)
		return v, s.missedCheck(c)
	case errors.Is(err, certcode.ErrWrongLength) && len(typed) >= 4 && strings.ContainsAny(typed, "0123456789"):
		// A code copied in part, not a forgery. (Real codes nearly always
		// hold a digit; a word typed in the box does not.)
		v.Status, v.Short = statusMistyped, true
		return v, s.missedCheck(c)
	case err != nil:
		return v, s.missedCheck(c)
	}
	v.Code = certcode.Format(code)
	ct, err := s.store.Certificate(c.UserContext(), code)
	if errors.Is(err, store.ErrNotFound) {
		return v, s.missedCheck(c)
	}
	if err != nil {
		return nil, err
	}
	v.Cert, v.Course, v.Status = ct, s.courses.Get(ct.Course), statusValid
	if ct.Status == store.CertRevoked {
		v.Status = statusRevoked
		if ct.ReplacedBy != "" {
			v.Replace = certcode.Format(ct.ReplacedBy)
		}
	}
	v.Holder = holderName(ct, false)
	if channel != unrecorded {
		if err := s.store.RecordVerification(c.UserContext(), &store.Verification{ID: store.NewID(), Code: ct.Code, Channel: channel, At: s.now()}); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// unrecorded is the channel of a check that its caller records itself.
const unrecorded = ""

// typedCode is the certificate code in the URL as it was typed: a path
// keeps what the person typed escaped ("1t3f%20k95n%20y3bf"), which is
// not a code until unescaped.
func typedCode(c *fiber.Ctx) string {
	raw := c.Params("code")
	if s, err := url.PathUnescape(raw); err == nil {
		return s
	}
	return raw
}

// canonicalPath is where a code typed loosely (lower case, spaces, dots,
// I/L/O for 1/1/0) is read from, written as printed: prefix, then
// XXXX-XXXX-XXXX, then suffix, with the query kept. It is "" when the
// typed code is not 12 characters of a code, or differs from the printed
// form or from the site's own links (the 12 characters without dashes)
// in case only: such a page is answered in place, and names its printed
// address as canonical, which the page's script puts in the address bar.
// A code with a wrong check character gets its canonical address too,
// so the page that says it is mistyped shows it as the paper does.
func canonicalPath(c *fiber.Ctx, prefix, suffix string) string {
	code, err := certcode.Parse(typedCode(c))
	if err != nil && !errors.Is(err, certcode.ErrMistyped) {
		return ""
	}
	formatted := certcode.Format(code)
	if p := strings.ToUpper(c.Params("code")); p == formatted || p == code {
		return ""
	}
	p := prefix + formatted + suffix
	if q := c.Request().URI().QueryString(); len(q) > 0 {
		p += "?" + string(q)
	}
	return p
}

func (s *Server) verifyForm(c *fiber.Ctx) error {
	if typed := strings.TrimSpace(c.Query("code")); typed != "" {
		if code, err := certcode.Parse(typed); err == nil || errors.Is(err, certcode.ErrMistyped) {
			return c.Redirect("/v/"+certcode.Format(code), fiber.StatusSeeOther)
		}
		return c.Redirect("/v/"+urlPathEscape(typed), fiber.StatusSeeOther)
	}
	return s.render(c, "verify_form", "verify.form.title", fiber.Map{})
}

func (s *Server) verifyPage(c *fiber.Ctx) error {
	if p := canonicalPath(c, "/v/", ""); p != "" {
		return c.Redirect(p, fiber.StatusMovedPermanently)
	}
	v, err := s.check(c, typedCode(c), "page")
	if err != nil {
		return err
	}
	return s.showVerification(c, v, "", "")
}

func (s *Server) showVerification(c *fiber.Ctx, v *verification, nameResult, typedName string) error {
	switch v.Status {
	case statusUnknown:
		c.Status(fiber.StatusNotFound)
	case statusMistyped:
		c.Status(fiber.StatusUnprocessableEntity)
	}
	state := v.Status
	if v.Replace != "" {
		state = statusReplaced
	}
	data := fiber.Map{"V": v, "State": state, "NameResult": nameResult, "TypedName": typedName, "Issuer": s.issuerLine(v.Cert), "Compared": c.Locals(localCompared)}
	if v.Cert != nil {
		data["CredentialURL"] = "/credentials/" + v.Code + ".json"
		pv, err := s.practiceOf(c.UserContext(), v.Cert)
		if err != nil {
			return err
		}
		data["Practice"] = pv
	}
	if v.Status != statusUnknown && !v.Short {
		data["Canonical"] = "/v/" + v.Code
	}
	return s.render(c, "verify", "verify.title."+state, data)
}

// issuerLine names who issued the certificate: the platform, and the team
// and commune it was earned in.
func (s *Server) issuerLine(ct *store.Certificate) string {
	if ct == nil {
		return ""
	}
	parts := []string{}
	if ct.TeamName != "" {
		parts = append(parts, ct.TeamName)
	}
	if cm := s.places.Commune(ct.Commune); cm != nil {
		parts = append(parts, cm.Name+", "+cm.Province.Name)
	}
	return strings.Join(parts, " — ")
}

// Names compared with one certificate's a day, whoever types them: enough
// for the few employers a holder shows her paper to, too few to find the
// name behind a masked one ("Nguyễn V. A.") by trying common names. Only
// a name not yet tried that day counts: typing the same name again learns
// nothing new. The counts are in the database, so they hold across
// instances.
const (
	nameCheckLimit  = 5
	nameCheckWindow = 24 * time.Hour
)

// nameCheckAllowed counts a check of typed against certificate code and
// reports whether it may be answered, and if not, when it may again.
// Counts come first and checks after, so parallel requests cannot all
// slip in under the limit.
func (s *Server) nameCheckAllowed(c *fiber.Ctx, code, typed string) (bool, time.Duration, error) {
	ctx, now := c.UserContext(), s.now()
	key := "namecheck:" + code
	retry := now.Truncate(nameCheckWindow).Add(nameCheckWindow).Sub(now)
	n, err := s.store.Hits(ctx, key, nameCheckWindow, now)
	if err != nil || n > nameCheckLimit {
		return false, retry, err
	}
	// Names that compare the same way are one guess (see namesMatch).
	sum := sha256.Sum256([]byte(strings.ToLower(forms.Clean(typed))))
	tried, err := s.store.Hit(ctx, key+":"+hex.EncodeToString(sum[:16]), nameCheckWindow, now)
	if err != nil {
		return false, retry, err
	}
	if tried == 1 {
		if n, err = s.store.Hit(ctx, key, nameCheckWindow, now); err != nil {
			return false, retry, err
		}
	}
	return n <= nameCheckLimit, retry, nil
}

// verifyName lets an employer check the name printed on the paper without
// the page ever revealing the name. Each check is in the holder's
// verification log.
func (s *Server) verifyName(c *fiber.Ctx) error {
	v, err := s.check(c, typedCode(c), unrecorded)
	if err != nil {
		return err
	}
	typed := strings.TrimSpace(c.FormValue("name"))
	if v.Cert == nil || typed == "" || len([]rune(typed)) > 200 {
		c.Status(fiber.StatusUnprocessableEntity)
		return s.showVerification(c, v, "empty", "")
	}
	if !v.Cert.ShowFullName { // else the page shows the name anyway
		ok, retry, err := s.nameCheckAllowed(c, v.Cert.Code, typed)
		if err != nil {
			return err
		}
		if !ok {
			c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(retry.Seconds())+1))
			return fail(fiber.StatusTooManyRequests, "verify.name.limit")
		}
	}
	if err := s.store.RecordVerification(c.UserContext(), &store.Verification{ID: store.NewID(), Code: v.Cert.Code, Channel: "name_check", At: s.now()}); err != nil {
		return err
	}
	res := "no"
	cmp := compareNames(typed, v.Cert.Holder)
	switch {
	case cmp.match:
		res = "yes"
	case !cmp.marks:
		res = "no_plain"
	}
	c.Locals(localCompared, cmp.compared)
	return s.showVerification(c, v, res, typed)
}

// localCompared is the typed name as the name check compared it.
const localCompared = "compared"

// namesMatch compares a typed name with the name on a certificate,
// ignoring case, spacing and Unicode composition. Diacritics count when
// both sides have them, since "Lê" and "Lễ" are different names; when
// either side has none at all (a keyboard without Vietnamese input, or a
// name registered that way), the two are compared without them. The page
// says so above the box, and a "no" says what was compared.
func namesMatch(typed, holder string) bool { return compareNames(typed, holder).match }

// nameComparison is what a name check compared: the typed name as
// compared (lower case, spaces made single, without diacritics when they
// were left out), and whether diacritics counted.
type nameComparison struct {
	match, marks bool
	compared     string
}

func compareNames(typed, holder string) nameComparison {
	t := strings.ToLower(forms.Clean(typed))
	h := strings.ToLower(forms.Clean(holder))
	ft, fh := locality.Fold(t), locality.Fold(h)
	if ft == t || fh == h {
		return nameComparison{match: ft == fh, compared: ft}
	}
	return nameComparison{match: t == h, marks: true, compared: t}
}

// verifyJSON is the public contract for other systems.
// A code typed loosely is answered where it is asked, not redirected
// (another system may not follow redirects); "code" gives it as printed.
func (s *Server) verifyJSON(c *fiber.Ctx) error {
	v, err := s.check(c, typedCode(c), "json")
	if err != nil {
		return err
	}
	out := fiber.Map{"status": v.Status, "code": v.Code}
	switch v.Status {
	case statusUnknown:
		c.Status(fiber.StatusNotFound)
		return c.JSON(out)
	case statusMistyped:
		c.Status(fiber.StatusUnprocessableEntity)
		msg := "verify.mistyped.text"
		if v.Short {
			msg = "verify.short.text"
		}
		out["message"] = s.msgs.T(s.lang(c), msg)
		return c.JSON(out)
	}
	ct := v.Cert
	out["holder"] = v.Holder
	out["course"] = fiber.Map{"id": ct.Course}
	if v.Course != nil {
		out["course"] = fiber.Map{"id": ct.Course, "title": v.Course.Title, "certifies": v.Course.Certifies}
	}
	out["issued"] = ct.IssuedAt.UTC().Format(time.RFC3339)
	out["score"] = ct.Score
	issuer := fiber.Map{"name": s.msgs.T("vi", "app.name"), "url": s.cfg.BaseURL}
	if ct.TeamName != "" {
		issuer["team"] = ct.TeamName
	}
	if cm := s.places.Commune(ct.Commune); cm != nil {
		issuer["commune"], issuer["province"] = cm.Name, cm.Province.Name
	}
	out["issuer"] = issuer
	if pr, err := s.practiceJSON(c.UserContext(), ct, v.Course); err != nil {
		return err
	} else if pr != nil {
		out["practice"] = pr
	}
	out["verify_url"] = s.verifyURL(ct.Code)
	out["credential_url"] = s.cfg.BaseURL + "/credentials/" + v.Code + ".json"
	if v.Status == statusRevoked {
		out["revoked_at"] = ct.RevokedAt.UTC().Format(time.RFC3339)
		out["revoke_reason"] = ct.RevokeReason
		out["revoke_reason_text"] = fiber.Map{"vi": s.msgs.T("vi", "revoke.reason."+ct.RevokeReason), "en": s.msgs.T("en", "revoke.reason."+ct.RevokeReason)}
		if v.Replace != "" {
			out["replaced_by"] = v.Replace
		}
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(out)
}

// practiceJSON is the practice behind a certificate as the verification
// page shows it (the tasks, the teams whose leader confirmed them, the day
// of the last confirmation; never who confirmed), for the JSON API; nil
// for a certificate of a course without practical tasks.
func (s *Server) practiceJSON(ctx context.Context, ct *store.Certificate, co *courses.Course) (fiber.Map, error) {
	p, err := learning.PracticeOf(ctx, s.store, ct, co)
	if err != nil || p == nil {
		return nil, err
	}
	tasks := make([]fiber.Map, 0, len(p.Confirmations))
	for _, c := range p.Confirmations {
		tasks = append(tasks, fiber.Map{"id": c.Task, "title": co.Task(c.Task).Title})
	}
	return fiber.Map{"tasks": tasks, "teams": p.Teams, "confirmed_on": p.At.In(vnTime).Format(time.DateOnly)}, nil
}
