package platform

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// lockDir takes the data folder for this program: the embedded database
// is one program's, and two writing it would corrupt each other's view.
// The lock is the kernel's (flock), so it goes with the process, however
// that ends; no stale lock file to clean up after a crash.
func lockDir(dir string) (func(), error) {
	name := filepath.Join(dir, "kynangso.lock")
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock the data folder: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("the data folder %s is in use by another running copy of the program; stop it first, or give this one another KNS_DATA_DIR", dir)
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
