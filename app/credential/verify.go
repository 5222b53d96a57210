package credential

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Verify checks a credential signed by any did:key: its eddsa-rdfc-2022
// proof (the key is decoded from the did:key in verificationMethod, no
// network), that this key is the document's issuer, the validity period,
// and, if the credential has a credentialStatus, the status list fetched
// through statusList, whose own proof and issuer are checked too. Use
// Keyring.Verify to also require that the issuer is this platform.
func Verify(doc []byte, statusList StatusListFunc) (*Verified, error) {
	return verify(doc, statusList, time.Now())
}

// looseVC is what Verify reads back from a document, whatever its shape.
type looseVC struct {
	Context           []string        `json:"@context"`
	ID                string          `json:"id"`
	Type              []string        `json:"type"`
	Name              string          `json:"name"`
	Issuer            json.RawMessage `json:"issuer"`
	ValidFrom         string          `json:"validFrom"`
	ValidUntil        string          `json:"validUntil"`
	CredentialSubject json.RawMessage `json:"credentialSubject"`
	CredentialStatus  json.RawMessage `json:"credentialStatus"`
}

// Claimed is what a credential says about itself, read without checking
// its proof.
type Claimed struct {
	ID          string // the credential's id
	Issuer      string // the issuer's id, the did:key of the proof's key
	SubjectName string // credentialSubject.name
}

// Claims reads a document's id, issuer and holder name after the checks
// Verify makes that cost nothing: size, JSON, shape, a VC Data Model 2.0
// credential, a single eddsa-rdfc-2022 proof by a key of the issuer. It
// canonicalises nothing and checks no signature, so it answers in time
// linear in the document; its errors are those Verify would give. A
// verifier that can rebuild the credentials it issued compares with its
// own before anything costly (see Keyring.Verify for the rest).
func Claims(doc []byte) (*Claimed, error) {
	_, vc, issuer, err := read(doc)
	if err != nil {
		return nil, err
	}
	var subj struct {
		Name string `json:"name"`
	}
	_ = json.Unmarshal(vc.CredentialSubject, &subj)
	return &Claimed{ID: vc.ID, Issuer: issuer.ID, SubjectName: subj.Name}, nil
}

// read makes the cheap checks of a document and returns it parsed.
func read(raw []byte) (map[string]any, *looseVC, *profileJSON, error) {
	if len(raw) > maxDocBytes {
		return nil, nil, nil, fmt.Errorf("%w: larger than %d bytes", ErrMalformed, maxDocBytes)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, nil, nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if err := checkShape(doc, 0, new(int)); err != nil {
		return nil, nil, nil, err
	}
	var vc looseVC
	if err := json.Unmarshal(raw, &vc); err != nil {
		return nil, nil, nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if len(vc.Context) == 0 || vc.Context[0] != ContextCredentialsV2 || !slices.Contains(vc.Type, "VerifiableCredential") {
		return nil, nil, nil, fmt.Errorf("%w: not a VC Data Model 2.0 credential", ErrMalformed)
	}
	var issuer profileJSON
	if json.Unmarshal(vc.Issuer, &issuer.ID) != nil {
		if err := json.Unmarshal(vc.Issuer, &issuer); err != nil {
			return nil, nil, nil, fmt.Errorf("%w: issuer: %v", ErrMalformed, err)
		}
	}
	if _, _, _, err := readProof(doc, issuer.ID); err != nil {
		return nil, nil, nil, err
	}
	return doc, &vc, &issuer, nil
}

func verify(raw []byte, statusList StatusListFunc, now time.Time) (*Verified, error) {
	doc, vc, issuer, err := read(raw)
	if err != nil {
		return nil, err
	}
	if err := checkProof(doc, issuer.ID); err != nil {
		return nil, err
	}
	did := issuer.ID
	v := &Verified{ID: vc.ID, Types: vc.Type, Name: vc.Name, Issuer: did, IssuerName: issuer.Name,
		VerificationMethod: did + "#" + strings.TrimPrefix(did, "did:key:")}
	if v.ValidFrom, err = time.Parse(time.RFC3339, vc.ValidFrom); err != nil {
		return nil, fmt.Errorf("%w: validFrom: %v", ErrMalformed, err)
	}
	if vc.ValidUntil != "" {
		if v.ValidUntil, err = time.Parse(time.RFC3339, vc.ValidUntil); err != nil {
			return nil, fmt.Errorf("%w: validUntil: %v", ErrMalformed, err)
		}
	}
	// A little slack for clocks that disagree about "now".
	const skew = 5 * time.Minute
	if v.ValidFrom.After(now.Add(skew)) {
		return v, ErrNotYetValid
	}
	if !v.ValidUntil.IsZero() && v.ValidUntil.Before(now.Add(-skew)) {
		return v, ErrExpired
	}
	var subj struct {
		Name        string `json:"name"`
		Achievement struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"achievement"`
	}
	_ = json.Unmarshal(vc.CredentialSubject, &subj) // informational only
	v.SubjectName, v.AchievementID, v.AchievementName = subj.Name, subj.Achievement.ID, subj.Achievement.Name
	if len(vc.CredentialStatus) > 0 {
		if v.StatusChecked, err = checkStatus(vc.CredentialStatus, did, statusList, now); err != nil {
			return v, err
		}
	}
	return v, nil
}

// checkStatus checks every BitstringStatusListEntry in credentialStatus and
// reports whether there was any.
func checkStatus(raw json.RawMessage, issuer string, fetch StatusListFunc, now time.Time) (bool, error) {
	var entries []*statusEntryJSON
	if json.Unmarshal(raw, &entries) != nil {
		var one *statusEntryJSON
		if err := json.Unmarshal(raw, &one); err != nil {
			return false, fmt.Errorf("%w: credentialStatus: %v", ErrMalformed, err)
		}
		entries = []*statusEntryJSON{one}
	}
	entries = slices.DeleteFunc(entries, func(e *statusEntryJSON) bool { return e == nil }) // JSON null
	for _, e := range entries {
		if e.Type != "BitstringStatusListEntry" {
			return false, fmt.Errorf("%w: unsupported credentialStatus type %q", ErrMalformed, e.Type)
		}
		if fetch == nil {
			return false, fmt.Errorf("%w: credential has a status list but no way to fetch it was given", ErrStatusList)
		}
		if err := checkEntry(*e, issuer, fetch, now); err != nil {
			return false, err
		}
	}
	return len(entries) > 0, nil
}

func checkEntry(e statusEntryJSON, issuer string, fetch StatusListFunc, now time.Time) error {
	fail := func(format string, a ...any) error {
		return fmt.Errorf("%w: %s: %s", ErrStatusList, e.StatusListCredential, fmt.Sprintf(format, a...))
	}
	idx, err := strconv.Atoi(e.StatusListIndex)
	if err != nil || idx < 0 {
		return fmt.Errorf("%w: statusListIndex %q", ErrMalformed, e.StatusListIndex)
	}
	if e.StatusPurpose != "revocation" && e.StatusPurpose != "suspension" {
		return fmt.Errorf("%w: unsupported statusPurpose %q", ErrMalformed, e.StatusPurpose)
	}
	doc, err := fetch(e.StatusListCredential)
	if err != nil {
		return fail("fetch: %v", err)
	}
	// The list's own errors are reported under ErrStatusList only, so a bad
	// list never reads as a tampered credential.
	sl, err := verify(doc, nil, now)
	if err != nil {
		return fail("%v", err)
	}
	if sl.ID != e.StatusListCredential || !slices.Contains(sl.Types, "BitstringStatusListCredential") {
		return fail("not the BitstringStatusListCredential at that URL (id %q)", sl.ID)
	}
	if sl.Issuer != issuer {
		return fail("issued by %s, not by the credential's issuer", shortDID(sl.Issuer))
	}
	var list struct {
		CredentialSubject statusListJSON `json:"credentialSubject"`
	}
	if err := json.Unmarshal(doc, &list); err != nil {
		return fail("%v", err)
	}
	s := list.CredentialSubject
	if s.Type != "BitstringStatusList" || s.StatusPurpose != e.StatusPurpose {
		return fail("list is %s/%s, want BitstringStatusList/%s", s.Type, s.StatusPurpose, e.StatusPurpose)
	}
	bits, err := decodeBitstring(s.EncodedList)
	if err != nil {
		return fail("encodedList: %v", err)
	}
	if idx >= len(bits)*8 {
		return fail("index %d beyond list of %d", idx, len(bits)*8)
	}
	if bitSet(bits, idx) {
		if e.StatusPurpose == "suspension" {
			return ErrSuspended
		}
		return ErrRevoked
	}
	return nil
}

// remarshal converts a generic JSON value into a typed one.
func remarshal(in, out any) error {
	b, err := json.Marshal(in)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, out)
}

// Canonicalising a document costs time that grows steeply with blank nodes
// that refer to each other; a few kilobytes crafted that way keep a core
// busy for minutes. Our credentials are small, name every node, and nest
// shallowly, so anything else is refused before it is canonicalised.
const (
	maxDocBytes = 64 << 10
	maxNodes    = 400
	maxDepth    = 16
)

func checkShape(v any, depth int, nodes *int) error {
	if depth > maxDepth {
		return fmt.Errorf("%w: nested deeper than %d", ErrMalformed, maxDepth)
	}
	switch v := v.(type) {
	case map[string]any:
		if *nodes++; *nodes > maxNodes {
			return fmt.Errorf("%w: more than %d objects", ErrMalformed, maxNodes)
		}
		for k, x := range v {
			if strings.HasPrefix(k, "_:") {
				return fmt.Errorf("%w: blank node identifiers are not accepted", ErrMalformed)
			}
			if err := checkShape(x, depth+1, nodes); err != nil {
				return err
			}
		}
	case []any:
		for _, x := range v {
			if err := checkShape(x, depth+1, nodes); err != nil {
				return err
			}
		}
	case string:
		if strings.HasPrefix(v, "_:") {
			return fmt.Errorf("%w: blank node identifiers are not accepted", ErrMalformed)
		}
	}
	return nil
}
