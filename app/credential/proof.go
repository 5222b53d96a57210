package credential

import (
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"time"

	"github.com/mr-tron/base58"
)

// dataIntegrityProof is a W3C Data Integrity proof, cryptosuite
// eddsa-rdfc-2022.
type dataIntegrityProof struct {
	Type               string `json:"type"`
	Cryptosuite        string `json:"cryptosuite"`
	Created            string `json:"created,omitempty"`
	VerificationMethod string `json:"verificationMethod"`
	ProofPurpose       string `json:"proofPurpose"`
	ProofValue         string `json:"proofValue,omitempty"`
}

const (
	proofType   = "DataIntegrityProof"
	cryptosuite = "eddsa-rdfc-2022"
)

// hashData is the eddsa-rdfc-2022 "hash data" step:
// SHA-256(c14n(proof options)) || SHA-256(c14n(document)), where the proof
// options are the proof without proofValue under the document's @context.
func hashData(unsecured map[string]any, p dataIntegrityProof) ([]byte, error) {
	p.ProofValue = ""
	opts, err := toMap(p)
	if err != nil {
		return nil, err
	}
	opts["@context"] = unsecured["@context"]
	c14nOpts, err := canonicalize(opts)
	if err != nil {
		return nil, err
	}
	c14nDoc, err := canonicalize(unsecured)
	if err != nil {
		return nil, err
	}
	h1, h2 := sha256.Sum256(c14nOpts), sha256.Sum256(c14nDoc)
	return append(h1[:], h2[:]...), nil
}

// prove signs an unsecured document (which must not have a "proof") and
// returns its proof.
func prove(unsecured any, key *signingKey, created time.Time) (*dataIntegrityProof, error) {
	doc, err := toMap(unsecured)
	if err != nil {
		return nil, err
	}
	p := dataIntegrityProof{
		Type:               proofType,
		Cryptosuite:        cryptosuite,
		Created:            xsdTime(created),
		VerificationMethod: verificationMethod(key.pub),
		ProofPurpose:       "assertionMethod",
	}
	data, err := hashData(doc, p)
	if err != nil {
		return nil, err
	}
	p.ProofValue = "z" + base58.Encode(ed25519.Sign(key.priv, data))
	return &p, nil
}

// checkProof verifies the single eddsa-rdfc-2022 proof of doc (a parsed JSON
// object, which it does not modify), made by a key of issuer. The key is
// resolved from the did:key itself, without any network.
func checkProof(doc map[string]any, issuer string) error {
	p, pub, sig, err := readProof(doc, issuer)
	if err != nil {
		return err
	}
	unsecured := make(map[string]any, len(doc))
	for k, v := range doc {
		if k != "proof" {
			unsecured[k] = v
		}
	}
	data, err := hashData(unsecured, p)
	if err != nil {
		return err
	}
	if !ed25519.Verify(pub, data, sig) {
		return ErrBadSignature
	}
	return nil
}

// readProof reads and checks everything about doc's proof that costs
// nothing: its fields, and that its key is the issuer's.
func readProof(doc map[string]any, issuer string) (p dataIntegrityProof, pub ed25519.PublicKey, sig []byte, err error) {
	raw, ok := doc["proof"].(map[string]any)
	if !ok {
		return p, nil, nil, fmt.Errorf("%w: no proof, or more than one", ErrMalformed)
	}
	if _, ok := raw["@context"]; ok {
		return p, nil, nil, fmt.Errorf("%w: proof has its own @context", ErrMalformed)
	}
	if err := remarshal(raw, &p); err != nil {
		return p, nil, nil, fmt.Errorf("%w: proof: %v", ErrMalformed, err)
	}
	if p.Type != proofType || p.Cryptosuite != cryptosuite {
		return p, nil, nil, fmt.Errorf("%w: proof is %s/%s, want %s/%s", ErrMalformed, p.Type, p.Cryptosuite, proofType, cryptosuite)
	}
	if p.ProofPurpose != "assertionMethod" {
		return p, nil, nil, fmt.Errorf("%w: proofPurpose %q, want assertionMethod", ErrMalformed, p.ProofPurpose)
	}
	if p.Created != "" {
		if _, err := time.Parse(time.RFC3339, p.Created); err != nil {
			return p, nil, nil, fmt.Errorf("%w: proof created: %v", ErrMalformed, err)
		}
	}
	did, pub, err := parseVerificationMethod(p.VerificationMethod)
	if err != nil {
		return p, nil, nil, fmt.Errorf("%w: %v", ErrUnknownKey, err)
	}
	// did:key documents hold exactly one key, so "a key the issuer names"
	// means the verification method's DID is the issuer id.
	if did != issuer {
		return p, nil, nil, fmt.Errorf("%w: signed by %s but issuer is %q", ErrUnknownKey, shortDID(did), issuer)
	}
	sig, err = decodeProofValue(p.ProofValue)
	if err != nil {
		return p, nil, nil, fmt.Errorf("%w: proofValue: %v", ErrMalformed, err)
	}
	return p, pub, sig, nil
}

func decodeProofValue(v string) ([]byte, error) {
	if len(v) < 2 || v[0] != 'z' {
		return nil, fmt.Errorf("not multibase base58btc")
	}
	sig, err := base58.Decode(v[1:])
	if err != nil {
		return nil, err
	}
	if len(sig) != ed25519.SignatureSize {
		return nil, fmt.Errorf("signature is %d bytes", len(sig))
	}
	return sig, nil
}

// xsdTime formats t as an XML Schema dateTimeStamp in UTC, whole seconds.
func xsdTime(t time.Time) string { return t.UTC().Truncate(time.Second).Format(time.RFC3339) }
