package credential

import (
	"errors"
	"testing"
	"time"
)

// A posted credential is outside input: whatever bytes arrive, the
// checks end quickly, never panic, and only a document our key signed
// verifies.
func FuzzVerify(f *testing.F) {
	k := openKeyring(f, testStore(f), testSecret, Options{})
	doc, err := k.Sign(testIssue())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(doc)
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"@context":["https://www.w3.org/ns/credentials/v2"],"type":["VerifiableCredential"],"credentialSubject":{"a":{"b":{}}}}`))
	noList := func(string) ([]byte, error) { return nil, ErrStatusList }
	f.Fuzz(func(t *testing.T, b []byte) {
		start := time.Now()
		if _, err := Claims(b); err == nil && len(b) > maxDocBytes {
			t.Fatalf("Claims took a %d-byte document", len(b))
		}
		v, err := k.Verify(b, noList)
		if el := time.Since(start); el > 2*time.Second {
			t.Fatalf("checking %d bytes took %v", len(b), el)
		}
		if err == nil || errors.Is(err, ErrStatusList) {
			if v == nil || v.Issuer != k.IssuerDID() {
				t.Fatalf("verified a document not signed by our key: %+v", v)
			}
		}
	})
}
