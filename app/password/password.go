// Package password hashes passwords with argon2id (RFC 9106), in the PHC
// string format so the parameters can be raised later without breaking
// stored hashes.
package password

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strings"

	"golang.org/x/crypto/argon2"
)

// OWASP's minimum for argon2id: 19 MiB, 2 passes, 1 lane. Cheap enough for
// a 2-core server at sign-up bursts, slow enough for a stolen table.
const (
	memory  = 19 * 1024
	time    = 2
	threads = 1
	keyLen  = 32
)

var b64 = base64.RawStdEncoding

// Each hash takes 19 MiB for a few tens of milliseconds; a flood of
// sign-ins must queue rather than take the server's memory, so no more
// run at once than there are CPUs to work on them. (Measured with the load
// tool's login route on 2 cores: four at once were no faster than two,
// and raised the server's peak memory from about 180 to 290 MiB.)
var slots = make(chan struct{}, runtime.NumCPU())

func idKey(pw, salt []byte, t, m uint32, p uint8, n uint32) []byte {
	slots <- struct{}{}
	defer func() { <-slots }()
	return argon2.IDKey(pw, salt, t, m, p, n)
}

// Hash returns the PHC string of pw.
func Hash(pw string) string {
	salt := make([]byte, 16)
	_, _ = rand.Read(salt)
	key := idKey([]byte(pw), salt, time, memory, threads, keyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, memory, time, threads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// Check tells whether pw matches hash.
func Check(hash, pw string) bool {
	var v, m, t, p int
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return false
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return false
	}
	salt, err1 := b64.DecodeString(parts[4])
	want, err2 := b64.DecodeString(parts[5])
	if errors.Join(err1, err2) != nil || m <= 0 || t <= 0 || p <= 0 || p > 255 {
		return false
	}
	if m > 256*1024 || t > 16 {
		return false // a hash no one here made; don't spend a gigabyte on it
	}
	got := idKey([]byte(pw), salt, uint32(t), uint32(m), uint8(p), uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// Dummy is a valid hash of nothing anyone types, checked when a phone is
// unknown so that a wrong phone takes as long as a wrong password.
var Dummy = Hash("\x00no such user\x00")
