// Package credential issues and verifies course certificates as Open Badges
// 3.0 OpenBadgeCredentials (W3C VC Data Model 2.0) secured with a Data
// Integrity proof, cryptosuite eddsa-rdfc-2022, and revokes them through
// Bitstring Status Lists. The issuer is a did:key, so anyone can verify a
// certificate offline; JSON-LD contexts are bundled and never fetched.
package credential

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"
)

// Sentinel errors; test with errors.Is.
var (
	ErrMalformed    = errors.New("credential: malformed or unsupported document")
	ErrBadSignature = errors.New("credential: signature does not match: the document or its proof was altered, or signed by another key")
	ErrUnknownKey   = errors.New("credential: signing key is not the issuer's")
	ErrRevoked      = errors.New("credential: revoked")
	ErrSuspended    = errors.New("credential: suspended")
	ErrStatusList   = errors.New("credential: status list unavailable or invalid")
	ErrNotYetValid  = errors.New("credential: not valid yet")
	ErrExpired      = errors.New("credential: expired")
)

// Achievement is what the certificate is for, usually a course.
type Achievement struct {
	ID          string // absolute URL of the course/achievement page
	Name        string
	Description string
	Criteria    string // narrative: what the learner had to do
	CriteriaURL string // optional page describing the criteria
	Type        string // optional OB achievementType, e.g. "Course", "Certificate"
	HumanCode   string // optional course code
	ImageURL    string // optional badge image
	Language    string // optional BCP 47 tag of the texts, e.g. "vi"
}

// Subject is the learner the certificate was awarded to.
type Subject struct {
	Name string // the holder's name as printed
}

// Evidence is something the holder was seen doing to earn the
// certificate (OB 3.0 Evidence): here a practical task a team leader
// confirmed in person. Every term is one the OB 3.0 context defines.
type Evidence struct {
	Name        string // what was done
	Description string // who saw it, and when
	Narrative   string // optional
}

// Issue is one certificate to sign.
type Issue struct {
	CredentialURL string // absolute URL: the credential id and its public verification page
	Name          string // optional display name; defaults to Achievement.Name
	Subject       Subject
	Achievement   Achievement
	IssuedAt      time.Time // validFrom and proof creation time
	ValidUntil    time.Time // optional
	IssuerName    string
	IssuerURL     string
	StatusListURL string // optional; with StatusIndex, where revocation is published
	StatusIndex   int
	Evidence      []Evidence // optional: what the holder was seen doing
}

// StatusListFunc returns the BitstringStatusListCredential at url.
type StatusListFunc func(url string) ([]byte, error)

// Verified describes a credential whose proof and status checked out.
type Verified struct {
	ID                 string
	Types              []string
	Issuer             string // did:key of the signing key
	IssuerName         string
	VerificationMethod string
	Name               string
	SubjectName        string
	AchievementID      string
	AchievementName    string
	ValidFrom          time.Time
	ValidUntil         time.Time // zero if none
	StatusChecked      bool      // a credentialStatus was present and its bit is clear
}

// JSON shapes. Field order here is the order in the output.
type (
	vcJSON struct {
		Context           []string            `json:"@context"`
		ID                string              `json:"id"`
		Type              []string            `json:"type"`
		Name              string              `json:"name,omitempty"`
		Issuer            any                 `json:"issuer"`
		ValidFrom         string              `json:"validFrom"`
		ValidUntil        string              `json:"validUntil,omitempty"`
		CredentialSubject any                 `json:"credentialSubject"`
		CredentialStatus  *statusEntryJSON    `json:"credentialStatus,omitempty"`
		Evidence          []evidenceJSON      `json:"evidence,omitempty"`
		Proof             *dataIntegrityProof `json:"proof,omitempty"`
	}
	profileJSON struct {
		ID   string   `json:"id"`
		Type []string `json:"type"`
		Name string   `json:"name,omitempty"`
		URL  string   `json:"url,omitempty"`
	}
	subjectJSON struct {
		Type        []string         `json:"type"`
		Name        string           `json:"name,omitempty"`
		Identifier  []identityJSON   `json:"identifier"`
		Achievement *achievementJSON `json:"achievement"`
	}
	// identityJSON names the recipient in plain text (hashed false): the
	// learner has no DID, and OB 3.0 needs an id or an identifier.
	identityJSON struct {
		Type         string `json:"type"`
		IdentityHash string `json:"identityHash"`
		IdentityType string `json:"identityType"`
		Hashed       bool   `json:"hashed"`
	}
	achievementJSON struct {
		ID              string       `json:"id"`
		Type            []string     `json:"type"`
		AchievementType string       `json:"achievementType,omitempty"`
		Name            string       `json:"name"`
		Description     string       `json:"description"`
		Criteria        criteriaJSON `json:"criteria"`
		HumanCode       string       `json:"humanCode,omitempty"`
		Image           *imageJSON   `json:"image,omitempty"`
		InLanguage      string       `json:"inLanguage,omitempty"`
	}
	criteriaJSON struct {
		ID        string `json:"id,omitempty"`
		Narrative string `json:"narrative,omitempty"`
	}
	evidenceJSON struct {
		Type        []string `json:"type"`
		Name        string   `json:"name"`
		Description string   `json:"description"`
		Narrative   string   `json:"narrative,omitempty"`
	}
	imageJSON struct {
		ID   string `json:"id"`
		Type string `json:"type"`
	}
	statusEntryJSON struct {
		ID                   string `json:"id,omitempty"`
		Type                 string `json:"type"`
		StatusPurpose        string `json:"statusPurpose"`
		StatusListIndex      string `json:"statusListIndex"`
		StatusListCredential string `json:"statusListCredential"`
	}
	statusListJSON struct {
		ID            string `json:"id"`
		Type          string `json:"type"`
		StatusPurpose string `json:"statusPurpose"`
		EncodedList   string `json:"encodedList"`
	}
)

// Sign returns the signed OpenBadgeCredential JSON for in, issued by the
// current key.
func (k *Keyring) Sign(in Issue) ([]byte, error) { return signIssue(in, k.current()) }

// SignWith is Sign with the key whose did:key is issuerDID (see
// IssuerDIDs): the same Issue and key give the same document, byte for
// byte (Ed25519 signatures are deterministic), so a credential an older
// key issued can be rebuilt to compare with one presented.
func (k *Keyring) SignWith(issuerDID string, in Issue) ([]byte, error) {
	key := k.byDID(issuerDID)
	if key == nil {
		return nil, fmt.Errorf("%w: %s is not in the keyring", ErrUnknownKey, shortDID(issuerDID))
	}
	return signIssue(in, key)
}

func signIssue(in Issue, key *signingKey) ([]byte, error) {
	if err := in.validate(); err != nil {
		return nil, err
	}
	a := in.Achievement
	ach := &achievementJSON{
		ID: a.ID, Type: []string{"Achievement"}, AchievementType: a.Type,
		Name: a.Name, Description: a.Description,
		Criteria:  criteriaJSON{ID: a.CriteriaURL, Narrative: a.Criteria},
		HumanCode: a.HumanCode, InLanguage: a.Language,
	}
	if a.ImageURL != "" {
		ach.Image = &imageJSON{ID: a.ImageURL, Type: "Image"}
	}
	name := in.Name
	if name == "" {
		name = a.Name
	}
	vc := vcJSON{
		Context: []string{ContextCredentialsV2, ContextOpenBadges},
		ID:      in.CredentialURL,
		Type:    []string{"VerifiableCredential", "OpenBadgeCredential"},
		Name:    name,
		Issuer: profileJSON{ID: key.did(), Type: []string{"Profile"},
			Name: in.IssuerName, URL: in.IssuerURL},
		ValidFrom: xsdTime(in.IssuedAt),
		CredentialSubject: subjectJSON{
			Type: []string{"AchievementSubject"},
			Name: in.Subject.Name,
			Identifier: []identityJSON{{Type: "IdentityObject", IdentityHash: in.Subject.Name,
				IdentityType: "name", Hashed: false}},
			Achievement: ach,
		},
	}
	if !in.ValidUntil.IsZero() {
		vc.ValidUntil = xsdTime(in.ValidUntil)
	}
	if in.StatusListURL != "" {
		idx := strconv.Itoa(in.StatusIndex)
		vc.CredentialStatus = &statusEntryJSON{
			ID: in.StatusListURL + "#" + idx, Type: "BitstringStatusListEntry",
			StatusPurpose: "revocation", StatusListIndex: idx, StatusListCredential: in.StatusListURL,
		}
	}
	for _, e := range in.Evidence {
		vc.Evidence = append(vc.Evidence, evidenceJSON{Type: []string{"Evidence"}, Name: e.Name, Description: e.Description, Narrative: e.Narrative})
	}
	return signVC(vc, key, in.IssuedAt)
}

func signVC(vc vcJSON, key *signingKey, at time.Time) ([]byte, error) {
	p, err := prove(vc, key, at)
	if err != nil {
		return nil, err
	}
	vc.Proof = p
	return json.MarshalIndent(vc, "", "  ")
}

func (in *Issue) validate() error {
	bad := func(what string) error { return fmt.Errorf("%w: issue: %s", ErrMalformed, what) }
	a := in.Achievement
	switch {
	case !isAbsURL(in.CredentialURL):
		return bad("CredentialURL must be an absolute URL")
	case !isAbsURL(a.ID):
		return bad("Achievement.ID must be an absolute URL")
	case in.Subject.Name == "":
		return bad("Subject.Name is empty")
	case a.Name == "" || a.Description == "":
		return bad("Achievement.Name and Description are required")
	case a.Criteria == "" && a.CriteriaURL == "":
		return bad("Achievement needs Criteria or CriteriaURL")
	case (a.CriteriaURL != "" && !isAbsURL(a.CriteriaURL)) || (a.ImageURL != "" && !isAbsURL(a.ImageURL)):
		return bad("Achievement URLs must be absolute")
	case in.IssuedAt.IsZero():
		return bad("IssuedAt is zero")
	case !in.ValidUntil.IsZero() && !in.ValidUntil.After(in.IssuedAt):
		return bad("ValidUntil must be after IssuedAt")
	case in.IssuerName == "" || !isAbsURL(in.IssuerURL):
		return bad("IssuerName and an absolute IssuerURL are required")
	case in.StatusListURL != "" && (!isAbsURL(in.StatusListURL) || in.StatusIndex < 0):
		return bad("StatusListURL must be absolute and StatusIndex >= 0")
	}
	for _, e := range in.Evidence {
		if e.Name == "" || e.Description == "" {
			return bad("Evidence needs Name and Description")
		}
	}
	return nil
}

func isAbsURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.Scheme != "" && (u.Host != "" || u.Opaque != "") && absIRI.MatchString(s)
}

// SignStatusList returns a signed BitstringStatusListCredential (purpose
// revocation) at listURL, issued by the current key, with the given indexes
// set. size is raised to at least MinStatusListBits and rounded up to whole
// bytes. A status list must be issued by the same key as the credentials
// that point at it (verifiers check this), so after Rotate keep re-signing
// older lists with SignStatusListWith and start new lists for new credentials.
func (k *Keyring) SignStatusList(listURL string, revoked []int, size int, at time.Time) ([]byte, error) {
	return signStatusList(k.current(), listURL, revoked, size, at)
}

// SignStatusListWith is SignStatusList with the key whose did:key is
// issuerDID (see IssuerDIDs), for lists of credentials an older key issued.
func (k *Keyring) SignStatusListWith(issuerDID, listURL string, revoked []int, size int, at time.Time) ([]byte, error) {
	key := k.byDID(issuerDID)
	if key == nil {
		return nil, fmt.Errorf("%w: %s is not in the keyring", ErrUnknownKey, shortDID(issuerDID))
	}
	return signStatusList(key, listURL, revoked, size, at)
}

func signStatusList(key *signingKey, listURL string, revoked []int, size int, at time.Time) ([]byte, error) {
	if !isAbsURL(listURL) || at.IsZero() {
		return nil, fmt.Errorf("%w: status list needs an absolute URL and a time", ErrMalformed)
	}
	size = max(size, MinStatusListBits)
	size = (size + 7) / 8 * 8
	enc, err := encodeBitstring(revoked, size)
	if err != nil {
		return nil, err
	}
	vc := vcJSON{
		Context:   []string{ContextCredentialsV2},
		ID:        listURL,
		Type:      []string{"VerifiableCredential", "BitstringStatusListCredential"},
		Issuer:    key.did(),
		ValidFrom: xsdTime(at),
		CredentialSubject: statusListJSON{ID: listURL + "#list", Type: "BitstringStatusList",
			StatusPurpose: "revocation", EncodedList: enc},
	}
	return signVC(vc, key, at)
}
