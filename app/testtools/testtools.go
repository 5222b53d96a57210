// Package testtools lets a test use an outside program (zbarimg, chromium,
// node, ...): on a developer's machine without it the test is skipped with
// a note; where KNS_REQUIRE_TOOLS is set, as in .ci/run, it fails instead,
// so CI never passes by skipping.
package testtools

import (
	"os"
	"os/exec"
	"testing"
)

// Need returns the path of a program, or skips (or fails) the test.
func Need(t testing.TB, name, hint string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	Missing(t, name+" not installed ("+hint+")")
	return ""
}

// Missing skips the test, or fails it where tools are required.
func Missing(t testing.TB, why string) {
	t.Helper()
	if os.Getenv("KNS_REQUIRE_TOOLS") != "" {
		t.Fatalf("required here: %s", why)
	}
	t.Skip(why)
}
