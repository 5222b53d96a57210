package credential

import (
	"crypto/ed25519"
	"errors"
	"strings"

	"github.com/mr-tron/base58"
)

// ed25519Multicodec is the varint-encoded multicodec prefix for an Ed25519
// public key (0xed), as did:key and Multikey require.
var ed25519Multicodec = []byte{0xed, 0x01}

// multikey returns the Multikey (publicKeyMultibase) form of pub: 'z' +
// base58btc(0xed01 || pub). It is also the did:key method-specific id.
func multikey(pub ed25519.PublicKey) string {
	return "z" + base58.Encode(append(append([]byte{}, ed25519Multicodec...), pub...))
}

func didKey(pub ed25519.PublicKey) string { return "did:key:" + multikey(pub) }

// verificationMethod is the id of the single key in a did:key document.
func verificationMethod(pub ed25519.PublicKey) string {
	return didKey(pub) + "#" + multikey(pub)
}

// parseVerificationMethod resolves a did:key verification method id offline:
// the public key is encoded in the DID itself. It returns the DID and key.
func parseVerificationMethod(vm string) (string, ed25519.PublicKey, error) {
	did, frag, ok := strings.Cut(vm, "#")
	mk, isKey := strings.CutPrefix(did, "did:key:")
	if !ok || !isKey || frag != mk {
		return "", nil, errors.New("verification method is not a did:key key id")
	}
	pub, err := decodeMultikey(mk)
	return did, pub, err
}

func decodeMultikey(mk string) (ed25519.PublicKey, error) {
	if !strings.HasPrefix(mk, "z") {
		return nil, errors.New("did:key is not base58btc multibase")
	}
	raw, err := base58.Decode(mk[1:])
	if err != nil {
		return nil, err
	}
	if len(raw) != 2+ed25519.PublicKeySize || raw[0] != ed25519Multicodec[0] || raw[1] != ed25519Multicodec[1] {
		return nil, errors.New("did:key is not an Ed25519 public key")
	}
	return ed25519.PublicKey(raw[2:]), nil
}
