package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"

	"kynangso/app/certcode"
	"kynangso/app/credential"
	"kynangso/app/store"
)

// Each signing key publishes its own status list, at a URL naming the key,
// because a verifier requires the list and the credential to share an
// issuer; after a key rotation, credentials signed before it keep
// pointing at the old key's list, which is still served and signed.
func (s *Server) statusListURL(did string) string {
	return s.cfg.BaseURL + "/credentials/status/" + listID(did)
}

func listID(did string) string {
	id := strings.TrimPrefix(did, "did:key:")
	if len(id) > 24 {
		id = id[len(id)-24:]
	}
	return id
}

// signCredential signs ct under the holder name given (the full name for
// the holder's own copy, the name as the verification page shows it for
// the public one) with the current key.
func (s *Server) signCredential(ctx context.Context, ct *store.Certificate, holder string) ([]byte, error) {
	return s.signCredentialWith(ctx, ct, holder, s.keys.IssuerDID())
}

// signCredentialWith signs ct with the key whose did:key is did, pointing
// at that key's status list. The same certificate, name and key give the
// same document byte for byte.
func (s *Server) signCredentialWith(ctx context.Context, ct *store.Certificate, holder, did string) ([]byte, error) {
	co := s.courses.Get(ct.Course)
	// Practice confirmed in person goes in as evidence (issue 10).
	evidence, err := s.evidence(ctx, ct)
	if err != nil {
		return nil, err
	}
	ach := credential.Achievement{
		ID: s.cfg.BaseURL + "/courses/" + ct.Course, Name: ct.Course, Type: "Course", Language: "vi",
		HumanCode: ct.Course,
	}
	if co != nil {
		ach.Name, ach.Description = co.Title.In("vi"), co.Summary.In("vi")
		ach.Criteria = co.Certifies.In("vi")
	}
	if ach.Criteria == "" || ach.Description == "" {
		ach.Criteria, ach.Description = ach.Name, ach.Name
	}
	return s.keys.SignWith(did, credential.Issue{
		CredentialURL: s.verifyURL(ct.Code),
		Subject:       credential.Subject{Name: holder},
		Achievement:   ach,
		IssuedAt:      ct.IssuedAt,
		IssuerName:    s.msgs.T("vi", "app.name"),
		IssuerURL:     s.cfg.BaseURL,
		StatusListURL: s.statusListURL(did),
		StatusIndex:   ct.StatusIndex,
		Evidence:      evidence,
	})
}

// credentialJSON is the certificate as a signed Open Badges 3.0
// credential, public like the verification page it mirrors, and like it
// naming the holder only as the holder chose (Luật 91/2025/QH15).
func (s *Server) credentialJSON(c *fiber.Ctx) error {
	if p := canonicalPath(c, "/credentials/", ".json"); p != "" {
		return c.Redirect(p, fiber.StatusMovedPermanently)
	}
	code, err := certcode.Parse(typedCode(c))
	if err != nil {
		if err := s.missedCheck(c); err != nil {
			return err
		}
		return errNotFound
	}
	ct, err := s.store.Certificate(c.UserContext(), code)
	if errors.Is(err, store.ErrNotFound) {
		if err := s.missedCheck(c); err != nil {
			return err
		}
	}
	if err != nil {
		return err
	}
	if err := s.store.RecordVerification(c.UserContext(), &store.Verification{ID: store.NewID(), Code: ct.Code, Channel: "credential", At: s.now()}); err != nil {
		return err
	}
	return s.sendCredential(c, ct, holderName(ct, false))
}

// myCredential is the holder's own copy, with the full name, to present
// to an employer or keep in a wallet. The team leader and admins who may
// open the certificate get the public credential: the name as the holder
// chose to show it, never her full-name copy.
func (s *Server) myCredential(c *fiber.Ctx) error {
	ct, err := s.certParam(c)
	if err != nil {
		return err
	}
	return s.sendCredential(c, ct, holderName(ct, ct.UserID != "" && ct.UserID == user(c).ID))
}

func (s *Server) sendCredential(c *fiber.Ctx, ct *store.Certificate, holder string) error {
	doc, err := s.signCredential(c.UserContext(), ct, holder)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/vc+ld+json")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+certcode.Format(ct.Code)+`.json"`)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Send(doc)
}

func (s *Server) statusList(c *fiber.Ctx) error {
	id := c.Params("list")
	i := slices.IndexFunc(s.keys.IssuerDIDs(), func(d string) bool { return listID(d) == id })
	if i < 0 {
		return errNotFound
	}
	doc, err := s.signStatusList(c, s.keys.IssuerDIDs()[i])
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/vc+ld+json")
	c.Set(fiber.HeaderCacheControl, "no-cache")
	return c.Send(doc)
}

// signStatusList signs the current revocation bits with one key's list.
func (s *Server) signStatusList(c *fiber.Ctx, did string) ([]byte, error) {
	revoked, err := s.store.RevokedIndexes(c.UserContext())
	if err != nil {
		return nil, err
	}
	size := 0
	for _, r := range revoked {
		size = max(size, r+1)
	}
	return s.keys.SignStatusListWith(did, s.statusListURL(did), revoked, size, s.now())
}

func (s *Server) jwks(c *fiber.Ctx) error {
	doc, err := s.keys.JWKS()
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/jwk-set+json")
	c.Set(fiber.HeaderCacheControl, "public, max-age=3600")
	return c.Send(doc)
}

// verifyCredential is the platform's own check of a credential someone
// holds: its signature, that this platform issued it, and its revocation
// status, read straight from the database rather than over the network.
//
// Canonicalising a document costs time that can grow steeply with its
// shape, so the posted document never is: what it claims is read cheaply
// (issuer, id), the credential is rebuilt from the certificate that id
// names, and only when the two are the same JSON is the proof checked, on
// our own document.
func (s *Server) verifyCredential(c *fiber.Ctx) error {
	body := c.Body()
	if len(body) == 0 {
		return fail(fiber.StatusBadRequest, "verify.credential.empty")
	}
	statusList := func(url string) ([]byte, error) {
		for _, did := range s.keys.IssuerDIDs() {
			if url == s.statusListURL(did) {
				return s.signStatusList(c, did)
			}
		}
		return nil, credential.ErrStatusList
	}
	ours, err := s.issuedCredential(c, body)
	var v *credential.Verified
	if err == nil {
		v, err = s.keys.Verify(ours, statusList)
	}
	if err != nil {
		reason := "invalid"
		switch {
		case errors.Is(err, credential.ErrRevoked):
			reason = "revoked"
		case errors.Is(err, credential.ErrBadSignature):
			reason = "bad_signature"
		case errors.Is(err, credential.ErrUnknownKey):
			reason = "unknown_issuer"
		case errors.Is(err, credential.ErrMalformed):
			reason = "malformed"
		}
		return c.Status(fiber.StatusUnprocessableEntity).JSON(fiber.Map{"verified": false, "reason": reason, "detail": err.Error()})
	}
	return c.JSON(fiber.Map{"verified": true, "id": v.ID, "holder": v.SubjectName, "achievement": v.AchievementName, "issuer": v.Issuer, "valid_from": v.ValidFrom})
}

// issuedCredential returns the credential this platform issued that
// posted claims to be, rebuilt from the certificate, if posted is that
// credential (the same JSON, whatever the key order and spacing); else an
// error saying why not, without any costly work: one parse of posted, one
// certificate read, one signature of ours.
func (s *Server) issuedCredential(c *fiber.Ctx, posted []byte) ([]byte, error) {
	claimed, err := credential.Claims(posted)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(s.keys.IssuerDIDs(), claimed.Issuer) {
		return nil, fmt.Errorf("%w: issuer %.28s… is not one of this platform's keys", credential.ErrUnknownKey, claimed.Issuer)
	}
	notOurs := fmt.Errorf("%w: not a credential this platform issued, or altered since", credential.ErrBadSignature)
	prefix := s.cfg.BaseURL + "/v/"
	if !strings.HasPrefix(claimed.ID, prefix) {
		return nil, notOurs
	}
	code, err := certcode.Parse(strings.TrimPrefix(claimed.ID, prefix))
	if err != nil || s.verifyURL(code) != claimed.ID {
		return nil, notOurs
	}
	ct, err := s.store.Certificate(c.UserContext(), code)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notOurs
	}
	if err != nil {
		return nil, err
	}
	if ct.Holder == "" && ct.Status == store.CertRevoked {
		// Withdrawn at the holder's request and her name erased: whatever
		// name the document gives can no longer be compared, and the
		// certificate it names is revoked.
		return nil, credential.ErrRevoked
	}
	// The holder's copy names her in full, the public one as she chose
	// to show it; either may be presented, and is then the very document
	// we sign today.
	masked := *ct
	masked.ShowFullName = false
	if n := claimed.SubjectName; n == holderName(ct, true) || n == holderName(&masked, false) {
		ours, err := s.signCredentialWith(c.UserContext(), ct, claimed.SubjectName, claimed.Issuer)
		if err != nil {
			return nil, err
		}
		if sameJSON(posted, ours) {
			return ours, nil
		}
	}
	// A credential of one of our certificates, by one of our keys, but
	// not as we would write it today: issued before a course's texts, the
	// issuer's name or the address changed, or before a name correction.
	// Its own proof decides. Canonicalising it is bounded: before any
	// costly work the blank-node guard (credential/canon.go) refuses the
	// structures that make it costly.
	return posted, nil
}

// sameJSON reports whether a and b are the same JSON value, whatever the
// order of keys and the spacing.
func sameJSON(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}
