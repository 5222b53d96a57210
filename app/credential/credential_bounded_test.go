package credential

import (
	"errors"
	"strings"
	"testing"
	"time"

	"kynangso/app/credential/credtest"
)

// blankNodeBomb adds to a signed credential two identical objects without
// an id, each holding k identical children under absolute-IRI property
// names: about 1.4 KB that passes every shape guard, but whose
// canonicalisation (URDNA2015 permutes identical blank nodes) takes
// seconds at k=8 and minutes at k=10.
func blankNodeBomb(t testing.TB, signed []byte, k int) []byte {
	t.Helper()
	out, err := credtest.BlankNodeBomb(signed, k)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// A document built to make canonicalisation explode is refused at once,
// by the package-level Verify (any did:key) as by Keyring.Verify.
func TestBlankNodeBombIsRefusedQuickly(t *testing.T) {
	k := newKeyring(t)
	signed, err := k.Sign(testIssue())
	if err != nil {
		t.Fatal(err)
	}
	bomb := blankNodeBomb(t, signed, 10)
	t.Logf("document of %d bytes", len(bomb))
	for name, verify := range map[string]func([]byte, StatusListFunc) (*Verified, error){
		"Verify": Verify, "Keyring.Verify": k.Verify,
	} {
		start := time.Now()
		done := make(chan error, 1)
		go func() { _, err := verify(bomb, nil); done <- err }()
		select {
		case err := <-done:
			el := time.Since(start)
			t.Logf("%s: %v in %v", name, err, el)
			if !errors.Is(err, ErrMalformed) {
				t.Errorf("%s: got %v, want ErrMalformed", name, err)
			}
			if el > 2*time.Second {
				t.Errorf("%s: took %v to refuse", name, el)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: still canonicalising after 5 s", name)
		}
	}
}

// Claims reads what a document says without canonicalising it, and a
// credential can be rebuilt byte for byte with the key that signed it,
// also after a rotation: together they let a verifier compare what is
// presented with what it issued before doing anything costly.
func TestClaimsAndRebuild(t *testing.T) {
	ctx := t.Context()
	k := newKeyring(t)
	in := testIssue()
	signed, err := k.Sign(in)
	if err != nil {
		t.Fatal(err)
	}
	old := k.IssuerDID()
	if err := k.Rotate(ctx); err != nil {
		t.Fatal(err)
	}
	again, err := k.SignWith(old, in)
	if err != nil {
		t.Fatal(err)
	}
	if string(again) != string(signed) {
		t.Fatalf("rebuilt with the same key, the credential differs:\n%s\n%s", signed, again)
	}
	if _, err := k.SignWith("did:key:z6MkNotOurs", in); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("SignWith an unknown key: %v", err)
	}

	c, err := Claims(blankNodeBomb(t, signed, 10))
	if err != nil {
		t.Fatal(err)
	}
	if c.ID != in.CredentialURL || c.Issuer != old || c.SubjectName != in.Subject.Name {
		t.Errorf("claims: %+v", c)
	}
	for name, d := range map[string]string{
		"not JSON": "{", "not a credential": `{"a":1}`,
		"no proof": strings.Replace(string(signed), `"proof"`, `"proof2"`, 1),
	} {
		if _, err := Claims([]byte(d)); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v, want ErrMalformed", name, err)
		}
	}
}
