package credential

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Every instance on one database signs with the same keys: a second
// keyring on the store finds the first one's key, sees a rotation once it
// refreshes, and the database alone holds no usable private key.
func TestKeysSharedThroughTheStore(t *testing.T) {
	ctx := context.Background()
	st := testStore(t)
	a := openKeyring(t, st, testSecret, Options{})
	b := openKeyring(t, st, testSecret, Options{})
	first := a.IssuerDID()
	if !strings.HasPrefix(first, "did:key:z6Mk") {
		t.Fatalf("issuer DID %q is not an Ed25519 did:key", first)
	}
	if b.IssuerDID() != first {
		t.Fatalf("two instances sign with %s and %s", first, b.IssuerDID())
	}
	doc, err := a.Sign(testIssue())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Verify(doc, lists(map[string][]byte{testList: mustList(t, b, "", nil)})); err != nil {
		t.Fatalf("B rejects A's credential: %v", err)
	}
	if err := a.Rotate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := b.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if b.IssuerDID() != a.IssuerDID() || a.IssuerDID() == first {
		t.Fatalf("after rotation and refresh: A %s, B %s", a.IssuerDID(), b.IssuerDID())
	}
	if got := b.IssuerDIDs(); len(got) != 2 || got[1] != first {
		t.Fatalf("IssuerDIDs = %v", got)
	}
	keys, err := st.SigningKeys(ctx)
	if err != nil || len(keys) != 2 {
		t.Fatalf("stored keys: %d, %v", len(keys), err)
	}
	for _, k := range keys {
		for _, priv := range []*signingKey{a.keys[0], a.keys[1]} {
			if bytes.Contains(k.Sealed, priv.priv.Seed()) {
				t.Fatal("a private key is stored in the clear")
			}
		}
	}
	if _, err := Open(ctx, st, []byte("another secret, also thirty-two bytes"), Options{}); err == nil || !strings.Contains(err.Error(), "KNS_SECRET_KEY") {
		t.Fatalf("the wrong secret: %v; want a message naming KNS_SECRET_KEY", err)
	}
	if _, err := Open(ctx, st, []byte("short"), Options{}); err == nil {
		t.Fatal("a short secret was accepted")
	}
}

// Two instances starting at once on an empty database make one key.
func TestFirstKeyMadeOnce(t *testing.T) {
	st := testStore(t)
	dids := make(chan string, 4)
	for range 4 {
		go func() {
			k, err := Open(context.Background(), st, testSecret, Options{})
			if err != nil {
				t.Error(err)
				dids <- ""
				return
			}
			dids <- k.IssuerDID()
		}()
	}
	first := <-dids
	for range 3 {
		if d := <-dids; d != first {
			t.Fatalf("instances started together sign with different keys: %s and %s", first, d)
		}
	}
}

// The key files of the earlier version move into the store, in order,
// so what they signed keeps verifying.
func TestLegacyKeyFilesCarriedOver(t *testing.T) {
	dir := t.TempDir()
	var pubs []ed25519.PublicKey
	for i := 1; i <= 2; i++ {
		pub, priv, _ := ed25519.GenerateKey(rand.Reader)
		der, _ := x509.MarshalPKCS8PrivateKey(priv)
		name := filepath.Join(dir, fmt.Sprintf("ed25519-%06d.pem", i))
		if err := os.WriteFile(name, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		pubs = append(pubs, pub)
	}
	st := testStore(t)
	k := openKeyring(t, st, testSecret, Options{LegacyDir: dir})
	if k.IssuerDID() != didKey(pubs[1]) {
		t.Fatalf("current key %s, want the newest file's %s", k.IssuerDID(), didKey(pubs[1]))
	}
	if got := k.IssuerDIDs(); len(got) != 2 || got[1] != didKey(pubs[0]) {
		t.Fatalf("IssuerDIDs = %v", got)
	}
	// Once moved, the store is what counts.
	again := openKeyring(t, st, testSecret, Options{})
	if again.IssuerDID() != k.IssuerDID() {
		t.Fatal("keys were not kept in the store")
	}
}

func TestExternalKeyFile(t *testing.T) {
	dir := t.TempDir()
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	der, _ := x509.MarshalPKCS8PrivateKey(priv)
	file := filepath.Join(dir, "platform.pem")
	os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)

	st := testStore(t)
	k := openKeyring(t, st, testSecret, Options{ExternalFile: file})
	if k.IssuerDID() != didKey(pub) {
		t.Fatalf("IssuerDID %s is not the key file's %s", k.IssuerDID(), didKey(pub))
	}
	if err := k.Rotate(context.Background()); !errors.Is(err, ErrExternalKey) {
		t.Fatalf("Rotate with a key file: %v, want ErrExternalKey", err)
	}

	os.WriteFile(file, []byte("not a key"), 0o600)
	if _, err := Open(context.Background(), st, testSecret, Options{ExternalFile: file}); err == nil {
		t.Fatal("a garbage key file was accepted")
	}
}

func TestJWKSListsEveryKey(t *testing.T) {
	k := newKeyring(t)
	k.Rotate(context.Background())
	k.Rotate(context.Background())
	b, err := k.JWKS()
	if err != nil {
		t.Fatal(err)
	}
	var set struct{ Keys []map[string]string }
	if err := json.Unmarshal(b, &set); err != nil {
		t.Fatal(err)
	}
	dids := k.IssuerDIDs()
	if len(set.Keys) != 3 || len(dids) != 3 {
		t.Fatalf("JWKS has %d keys, keyring %d; want 3", len(set.Keys), len(dids))
	}
	for i, j := range set.Keys {
		x, err := base64.RawURLEncoding.DecodeString(j["x"])
		if err != nil || j["kty"] != "OKP" || j["crv"] != "Ed25519" {
			t.Fatalf("key %d: %v %v", i, j, err)
		}
		if want := verificationMethod(ed25519.PublicKey(x)); j["kid"] != want || !strings.HasPrefix(want, dids[i]+"#") {
			t.Errorf("key %d kid %q, want %q for %s", i, j["kid"], want, dids[i])
		}
	}
}

func TestDIDKeyRoundTrip(t *testing.T) {
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	did, got, err := parseVerificationMethod(verificationMethod(pub))
	if err != nil || did != didKey(pub) || !got.Equal(pub) {
		t.Fatalf("round trip: %s %x %v", did, got, err)
	}
	for _, bad := range []string{
		didKey(pub),                                 // no fragment
		didKey(pub) + "#other",                      // fragment names another key
		"did:web:example.com#" + multikey(pub),      // not did:key
		"did:key:zQ3shokFTS3brHcDQrn82RUDfCZESWL1Z", // secp256k1 prefix, not Ed25519
	} {
		if _, _, err := parseVerificationMethod(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
