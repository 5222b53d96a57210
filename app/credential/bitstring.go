package credential

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
)

// MinStatusListBits is the Bitstring Status List minimum length (16 KiB),
// which gives each list enough herd privacy.
const MinStatusListBits = 131072

// maxStatusListBytes bounds the decompressed list we accept from a fetcher,
// so a gzip bomb can't exhaust memory.
const maxStatusListBytes = 16 << 20

// encodeBitstring returns the encodedList for the given set bits: multibase
// base64url without padding ('u') of the GZIP of the bitstring, where index 0
// is the most significant (left-most) bit of the first byte.
func encodeBitstring(set []int, bits int) (string, error) {
	buf := make([]byte, bits/8)
	for _, i := range set {
		if i < 0 || i >= bits {
			return "", fmt.Errorf("credential: status index %d outside list of %d", i, bits)
		}
		buf[i/8] |= 0x80 >> (i % 8)
	}
	var z bytes.Buffer
	w := gzip.NewWriter(&z)
	if _, err := w.Write(buf); err != nil {
		return "", err
	}
	if err := w.Close(); err != nil {
		return "", err
	}
	return "u" + base64.RawURLEncoding.EncodeToString(z.Bytes()), nil
}

func decodeBitstring(encoded string) ([]byte, error) {
	if len(encoded) < 2 || encoded[0] != 'u' {
		return nil, errors.New("encodedList is not multibase base64url ('u')")
	}
	z, err := base64.RawURLEncoding.DecodeString(encoded[1:])
	if err != nil {
		return nil, err
	}
	r, err := gzip.NewReader(bytes.NewReader(z))
	if err != nil {
		return nil, err
	}
	buf, err := io.ReadAll(io.LimitReader(r, maxStatusListBytes+1))
	if err != nil {
		return nil, err
	}
	if len(buf) > maxStatusListBytes {
		return nil, errors.New("status list too large")
	}
	return buf, nil
}

func bitSet(list []byte, i int) bool { return list[i/8]&(0x80>>(i%8)) != 0 }
