package credential

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestKeyFilesArePrivateAndReloaded(t *testing.T) {
	dir := t.TempDir()
	k, err := LoadOrCreate(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	first := k.IssuerDID()
	if !strings.HasPrefix(first, "did:key:z6Mk") {
		t.Fatalf("issuer DID %q is not an Ed25519 did:key", first)
	}
	if err := k.Rotate(); err != nil {
		t.Fatal(err)
	}
	keysDir := filepath.Join(dir, "keys")
	if fi, err := os.Stat(keysDir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("keys dir mode %v, %v; want 0700", fi.Mode().Perm(), err)
	}
	entries, _ := os.ReadDir(keysDir)
	if len(entries) != 2 {
		t.Fatalf("%d files in keys dir, want 2 (no temp files left)", len(entries))
	}
	for _, e := range entries {
		fi, _ := e.Info()
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", e.Name(), fi.Mode().Perm())
		}
	}

	again, err := LoadOrCreate(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	if again.IssuerDID() != k.IssuerDID() || again.IssuerDID() == first {
		t.Fatalf("after reload current key is %s, want the rotated %s", again.IssuerDID(), k.IssuerDID())
	}
	if got := again.IssuerDIDs(); len(got) != 2 || got[1] != first {
		t.Fatalf("IssuerDIDs after reload = %v", got)
	}
}

func TestExternalKeyFile(t *testing.T) {
	dir := t.TempDir()
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	der, _ := x509.MarshalPKCS8PrivateKey(priv)
	file := filepath.Join(dir, "platform.pem")
	os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)

	k, err := LoadOrCreate(dir, file)
	if err != nil {
		t.Fatal(err)
	}
	if k.IssuerDID() != didKey(pub) {
		t.Fatalf("IssuerDID %s is not the key file's %s", k.IssuerDID(), didKey(pub))
	}
	if err := k.Rotate(); !errors.Is(err, ErrExternalKey) {
		t.Fatalf("Rotate with a key file: %v, want ErrExternalKey", err)
	}

	os.WriteFile(file, []byte("not a key"), 0o600)
	if _, err := LoadOrCreate(dir, file); err == nil {
		t.Fatal("a garbage key file was accepted")
	}
}

func TestJWKSListsEveryKey(t *testing.T) {
	k := newKeyring(t)
	k.Rotate()
	k.Rotate()
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
