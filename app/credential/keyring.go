package credential

import (
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
	"slices"
	"strings"
	"sync"
)

// ErrExternalKey is returned by Rotate when the signing key comes from an
// operator-provided key file, which this package must not replace.
var ErrExternalKey = errors.New("credential: signing key is an external key file; rotate it there")

type signingKey struct {
	priv ed25519.PrivateKey
	pub  ed25519.PublicKey
}

func (k *signingKey) did() string { return didKey(k.pub) }

// Keyring holds the platform's Ed25519 keys: the last one signs, all of them
// (older ones included) still sign status lists for the credentials they
// issued and are listed in the JWKS. Safe for concurrent use.
type Keyring struct {
	mu       sync.RWMutex
	dir      string
	external bool
	keys     []*signingKey // oldest first; the last is current
	lastSeq  int           // sequence number of the newest key file
}

const keyPrefix, keySuffix = "ed25519-", ".pem"

// LoadOrCreate loads the keys in dataDir/keys (created 0700; key files 0600),
// generating the first key on first start. If keyFile is not empty, that
// PEM PKCS#8 Ed25519 private key is the current signing key instead, and the
// keys in dataDir/keys, if any, are kept only as older keys.
func LoadOrCreate(dataDir, keyFile string) (*Keyring, error) {
	k := &Keyring{dir: filepath.Join(dataDir, "keys")}
	if err := os.MkdirAll(k.dir, 0o700); err != nil {
		return nil, err
	}
	// MkdirAll leaves an existing directory's mode alone; tighten it.
	if err := os.Chmod(k.dir, 0o700); err != nil {
		return nil, err
	}
	names, err := filepath.Glob(filepath.Join(k.dir, keyPrefix+"*"+keySuffix))
	if err != nil {
		return nil, err
	}
	// Files are numbered, not timestamped, so a clock going backwards can't
	// change which key is current. Zero padding makes name order = age.
	slices.Sort(names)
	for _, name := range names {
		if _, err := fmt.Sscanf(filepath.Base(name), keyPrefix+"%d"+keySuffix, &k.lastSeq); err != nil {
			return nil, fmt.Errorf("credential: unexpected key file name %s", name)
		}
		if err := os.Chmod(name, 0o600); err != nil {
			return nil, err
		}
		key, err := readKeyFile(name)
		if err != nil {
			return nil, err
		}
		k.keys = append(k.keys, key)
	}
	if keyFile != "" {
		key, err := readKeyFile(keyFile)
		if err != nil {
			return nil, err
		}
		k.external = true
		k.keys = slices.DeleteFunc(k.keys, func(o *signingKey) bool { return o.pub.Equal(key.pub) })
		k.keys = append(k.keys, key)
		return k, nil
	}
	if len(k.keys) == 0 {
		if err := k.generate(); err != nil {
			return nil, err
		}
	}
	return k, nil
}

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

// generate writes a new key file and makes it current. Caller holds mu.
func (k *Keyring) generate() error {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(k.dir, ".tmp-key-*") // created 0600
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := pem.Encode(tmp, &pem.Block{Type: "PRIVATE KEY", Bytes: der}); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	// Link, unlike Rename, refuses to overwrite an existing key file.
	name := filepath.Join(k.dir, fmt.Sprintf("%s%06d%s", keyPrefix, k.lastSeq+1, keySuffix))
	if err := os.Link(tmp.Name(), name); err != nil {
		return err
	}
	k.lastSeq++
	k.keys = append(k.keys, &signingKey{priv: priv, pub: pub})
	return nil
}

// Rotate generates a new current key. Older keys stay for verification and
// for re-signing the status lists of the credentials they issued.
func (k *Keyring) Rotate() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.external {
		return ErrExternalKey
	}
	return k.generate()
}

func (k *Keyring) current() *signingKey {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.keys[len(k.keys)-1]
}

// byDID returns the key whose did:key is did, or nil.
func (k *Keyring) byDID(did string) *signingKey {
	k.mu.RLock()
	defer k.mu.RUnlock()
	for _, key := range k.keys {
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
	k.mu.RLock()
	defer k.mu.RUnlock()
	out := make([]string, 0, len(k.keys))
	for i := len(k.keys) - 1; i >= 0; i-- {
		out = append(out, k.keys[i].did())
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
	k.mu.RLock()
	defer k.mu.RUnlock()
	set := struct {
		Keys []jwk `json:"keys"`
	}{}
	for i := len(k.keys) - 1; i >= 0; i-- {
		pub := k.keys[i].pub
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
