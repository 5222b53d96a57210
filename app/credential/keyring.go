package credential

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"kynangso/app/store"
)

// ErrExternalKey is returned by Rotate when the signing key comes from an
// operator-provided key file, which this package must not replace.
var ErrExternalKey = errors.New("credential: signing key is an external key file; rotate it there")

type signingKey struct {
	seq  int // 0 for an external key file
	priv ed25519.PrivateKey
	pub  ed25519.PublicKey
}

func (k *signingKey) did() string { return didKey(k.pub) }

// KeyStore is where the keys live, shared by every instance of the
// platform (the database); private keys reach it sealed only.
type KeyStore interface {
	SigningKeys(ctx context.Context) ([]store.SigningKey, error)
	AddSigningKey(ctx context.Context, k *store.SigningKey) error
}

// Keyring holds the platform's Ed25519 keys: the last one signs, all of them
// (older ones included) still sign status lists for the credentials they
// issued and are listed in the JWKS. Every instance on one database loads
// the same keys, so each verifies and serves the status lists of what any
// other issued. Safe for concurrent use.
type Keyring struct {
	mu       sync.RWMutex
	ks       KeyStore
	aead     cipher.AEAD
	external *signingKey
	keys     []*signingKey // oldest first; the last is current unless external
}

// Options are where keys may come from besides the key store.
type Options struct {
	// LegacyDir is the keys folder of an earlier version (one PEM file per
	// key); its keys are moved into the key store on first start.
	LegacyDir string
	// ExternalFile is a PEM PKCS#8 Ed25519 private key that signs instead
	// of the stored keys (which stay for verification).
	ExternalFile string
}

// SecretSize is the size of the secret that seals private keys.
const SecretSize = 32

// Open loads the keys from ks, unsealing them with secret (at least
// SecretSize bytes, the same on every instance), moving an earlier
// version's key files in, and making the first key if there is none. Two
// instances starting together make one first key between them.
func Open(ctx context.Context, ks KeyStore, secret []byte, opt Options) (*Keyring, error) {
	if len(secret) < SecretSize {
		return nil, fmt.Errorf("credential: the key-sealing secret has %d bytes, want at least %d", len(secret), SecretSize)
	}
	// The secret may be a passphrase-like string: derive the AES key from it.
	sum := sha256.Sum256(append([]byte("kynangso signing keys v1\x00"), secret...))
	block, err := aes.NewCipher(sum[:])
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	k := &Keyring{ks: ks, aead: aead}
	if err := k.Refresh(ctx); err != nil {
		return nil, err
	}
	if len(k.keys) == 0 && opt.LegacyDir != "" {
		if err := k.importLegacy(ctx, opt.LegacyDir); err != nil {
			return nil, err
		}
	}
	if opt.ExternalFile != "" {
		key, err := readKeyFile(opt.ExternalFile)
		if err != nil {
			return nil, err
		}
		k.external = key
		return k, nil
	}
	if len(k.keys) == 0 {
		if err := k.add(ctx, 1, nil); err != nil {
			return nil, err
		}
	}
	return k, nil
}

// Refresh reloads the keys from the key store, to pick up a key another
// instance made.
func (k *Keyring) Refresh(ctx context.Context) error {
	stored, err := k.ks.SigningKeys(ctx)
	if err != nil {
		return fmt.Errorf("credential: read signing keys: %w", err)
	}
	keys := make([]*signingKey, 0, len(stored))
	for _, s := range stored {
		key, err := k.unseal(s)
		if err != nil {
			return err
		}
		keys = append(keys, key)
	}
	k.mu.Lock()
	k.keys = keys
	k.mu.Unlock()
	return nil
}

func (k *Keyring) unseal(s store.SigningKey) (*signingKey, error) {
	n := k.aead.NonceSize()
	if len(s.Sealed) < n {
		return nil, fmt.Errorf("credential: signing key %d is damaged", s.Seq)
	}
	seed, err := k.aead.Open(nil, s.Sealed[:n], s.Sealed[n:], aad(s.Seq))
	if err != nil || len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("credential: signing key %d does not open with this secret (KNS_SECRET_KEY differs from the one it was sealed with)", s.Seq)
	}
	priv := ed25519.NewKeyFromSeed(seed)
	pub := priv.Public().(ed25519.PublicKey)
	if !pub.Equal(ed25519.PublicKey(s.Public)) {
		return nil, fmt.Errorf("credential: signing key %d: public key does not match", s.Seq)
	}
	return &signingKey{seq: s.Seq, priv: priv, pub: pub}, nil
}

func aad(seq int) []byte { return []byte(fmt.Sprintf("kynangso signing key %d", seq)) }

// add seals and stores key (a new one when nil) as number seq. When
// another instance stored seq first, add takes the stored keys instead.
func (k *Keyring) add(ctx context.Context, seq int, key *signingKey) error {
	if key == nil {
		pub, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return err
		}
		key = &signingKey{priv: priv, pub: pub}
	}
	nonce := make([]byte, k.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return err
	}
	sealed := k.aead.Seal(nonce, nonce, key.priv.Seed(), aad(seq))
	err := k.ks.AddSigningKey(ctx, &store.SigningKey{Seq: seq, Public: key.pub, Sealed: sealed, Created: time.Now().UTC().Truncate(time.Millisecond)})
	if err != nil && !errors.Is(err, store.ErrDuplicate) {
		return fmt.Errorf("credential: store signing key: %w", err)
	}
	return k.Refresh(ctx)
}

// importLegacy moves an earlier version's key files into the key store,
// oldest first, so credentials signed before the upgrade keep verifying.
func (k *Keyring) importLegacy(ctx context.Context, dir string) error {
	names, err := filepath.Glob(filepath.Join(dir, keyPrefix+"*"+keySuffix))
	if err != nil {
		return err
	}
	// Files are numbered, zero padded: name order is age.
	slices.Sort(names)
	for i, name := range names {
		key, err := readKeyFile(name)
		if err != nil {
			return err
		}
		if err := k.add(ctx, i+1, key); err != nil {
			return err
		}
	}
	return nil
}

const keyPrefix, keySuffix = "ed25519-", ".pem"

func readKeyFile(name string) (*signingKey, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("credential: %s: not a PEM \"PRIVATE KEY\" (PKCS#8)", name)
	}
	parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("credential: %s: %w", name, err)
	}
	priv, ok := parsed.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("credential: %s: not an Ed25519 key", name)
	}
	return &signingKey{priv: priv, pub: priv.Public().(ed25519.PublicKey)}, nil
}

// Rotate makes a new current key, seen by every instance once it
// refreshes. Older keys stay for verification and for re-signing the
// status lists of the credentials they issued.
func (k *Keyring) Rotate(ctx context.Context) error {
	if k.external != nil {
		return ErrExternalKey
	}
	if err := k.Refresh(ctx); err != nil {
		return err
	}
	k.mu.RLock()
	next := 1
	if n := len(k.keys); n > 0 {
		next = k.keys[n-1].seq + 1
	}
	k.mu.RUnlock()
	return k.add(ctx, next, nil)
}

func (k *Keyring) current() *signingKey {
	if k.external != nil {
		return k.external
	}
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.keys[len(k.keys)-1]
}

// all lists every key, oldest first, the external one last.
func (k *Keyring) all() []*signingKey {
	k.mu.RLock()
	defer k.mu.RUnlock()
	out := slices.Clone(k.keys)
	if k.external != nil {
		out = slices.DeleteFunc(out, func(o *signingKey) bool { return o.pub.Equal(k.external.pub) })
		out = append(out, k.external)
	}
	return out
}

// byDID returns the key whose did:key is did, or nil.
func (k *Keyring) byDID(did string) *signingKey {
	for _, key := range k.all() {
		if key.did() == did {
			return key
		}
	}
	return nil
}

// IssuerDID is the did:key of the current signing key; it is the issuer id
// of newly signed credentials.
func (k *Keyring) IssuerDID() string { return k.current().did() }

// IssuerDIDs lists the did:key of every key, current first.
func (k *Keyring) IssuerDIDs() []string {
	keys := k.all()
	out := make([]string, 0, len(keys))
	for i := len(keys) - 1; i >= 0; i-- {
		out = append(out, keys[i].did())
	}
	return out
}

type jwk struct {
	Kty string `json:"kty"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Kid string `json:"kid"`
	Alg string `json:"alg"`
	Use string `json:"use"`
}

// JWKS returns every public key, current first, as a JWK Set for
// /.well-known/jwks.json. Each kid is the did:key verification method id
// that appears in proofs.
func (k *Keyring) JWKS() ([]byte, error) {
	keys := k.all()
	set := struct {
		Keys []jwk `json:"keys"`
	}{}
	for i := len(keys) - 1; i >= 0; i-- {
		pub := keys[i].pub
		set.Keys = append(set.Keys, jwk{Kty: "OKP", Crv: "Ed25519", X: base64.RawURLEncoding.EncodeToString(pub),
			Kid: verificationMethod(pub), Alg: "EdDSA", Use: "sig"})
	}
	return json.Marshal(set)
}

// Verify is the package-level Verify plus a check that the credential was
// issued by one of this keyring's keys; any other issuer is ErrUnknownKey.
func (k *Keyring) Verify(doc []byte, statusList StatusListFunc) (*Verified, error) {
	// Someone else's credential is refused before any costly work.
	var head struct {
		Issuer json.RawMessage `json:"issuer"`
	}
	if len(doc) <= maxDocBytes && json.Unmarshal(doc, &head) == nil {
		var issuer profileJSON
		if json.Unmarshal(head.Issuer, &issuer.ID) != nil {
			_ = json.Unmarshal(head.Issuer, &issuer)
		}
		if issuer.ID != "" && k.byDID(issuer.ID) == nil {
			return nil, fmt.Errorf("%w: issuer %s is not one of this platform's keys", ErrUnknownKey, shortDID(issuer.ID))
		}
	}
	v, err := Verify(doc, statusList)
	if err != nil {
		return v, err
	}
	if k.byDID(v.Issuer) == nil {
		return v, fmt.Errorf("%w: issuer %s is not one of this platform's keys", ErrUnknownKey, shortDID(v.Issuer))
	}
	return v, nil
}

func shortDID(did string) string {
	if len(did) > 24 && strings.HasPrefix(did, "did:key:") {
		return did[:20] + "…"
	}
	return did
}
