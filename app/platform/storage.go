package platform

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"kynangso/app/config"
	"kynangso/app/store"
	"kynangso/app/store/mongodb"
	"kynangso/app/store/sqlite"
)

// The embedded store's files in the data folder.
const (
	dbFile     = "kynangso.db"
	secretFile = "secret.key"
	legacyDB   = "db"   // the embedded FerretDB of versions before 2026-12
	legacyKeys = "keys" // their signing key files
)

func legacyKeysDir(cfg *config.Config) string { return filepath.Join(cfg.DataDir, legacyKeys) }

// openStore opens MongoDB when KNS_MONGODB_URI is set, else the embedded
// SQLite file in the data folder. exclusive takes the data folder for
// this program alone (the server, import); commands that only read or
// add a record (export, backup, rotate-key) share it, which SQLite's own
// locking makes safe.
func openStore(ctx context.Context, cfg *config.Config, log *slog.Logger, exclusive bool) (store.Store, func(), error) {
	if cfg.MongoURI != "" {
		st, err := mongodb.Open(ctx, cfg.MongoURI, cfg.Database)
		return st, nil, err
	}
	if err := privateDir(cfg.DataDir); err != nil {
		return nil, nil, dataFolderError(cfg.DataDir, err)
	}
	var unlock func()
	if exclusive {
		var err error
		if unlock, err = lockDir(cfg.DataDir); err != nil {
			return nil, nil, dataFolderError(cfg.DataDir, err)
		}
	}
	if err := writable(cfg.DataDir); err != nil {
		if unlock != nil {
			unlock()
		}
		if e := dataFolderError(cfg.DataDir, err); e != err {
			return nil, nil, e
		}
		return nil, nil, fmt.Errorf("the data folder %s cannot be written (%v): check the disk and the folder, or set KNS_DATA_DIR to another folder, then start again", cfg.DataDir, err)
	}
	st, err := sqlite.Open(ctx, filepath.Join(cfg.DataDir, dbFile))
	if err != nil {
		if unlock != nil {
			unlock()
		}
		return nil, nil, dataFolderError(cfg.DataDir, fmt.Errorf("embedded database: %w", err))
	}
	if exclusive && carryOver != nil {
		if err := carryOver(ctx, cfg, log, st); err != nil {
			_ = st.Close(ctx)
			unlock()
			return nil, nil, err
		}
	}
	return st, unlock, nil
}

// privateDir makes the data folder, readable by this program's user only.
func privateDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("data folder: %w", err)
	}
	// MkdirAll leaves an existing folder's mode alone.
	if err := os.Chmod(dir, 0o700); err != nil {
		return fmt.Errorf("data folder: %w", err)
	}
	return nil
}

// writable writes a little to the data folder and makes sure it reached
// the disk, so that a full disk or a folder this program may not write is
// told in one clear line before the database would say it its own way.
func writable(dir string) error {
	f, err := os.CreateTemp(dir, ".write-check-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	_, err = f.Write(make([]byte, 64<<10))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// dataFolderError says in one line what is wrong with the data folder
// and what to do, when err is the disk being full, the folder being
// read-only or not this program's to write, or not a folder at all;
// other errors are returned as they are.
func dataFolderError(dir string, err error) error {
	has := func(s string) bool { return strings.Contains(strings.ToLower(err.Error()), s) }
	switch {
	case err == nil:
		return nil
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT), errors.Is(err, syscall.EFBIG), has("disk is full"):
		return fmt.Errorf("the disk of the data folder %s is full (%s): free some space on it, or set KNS_DATA_DIR to a folder on a disk with room, then start again", dir, reason(err))
	case errors.Is(err, syscall.EROFS), has("readonly database"):
		return fmt.Errorf("the data folder %s is on a read-only file system (%s): make it writable, or set KNS_DATA_DIR to a folder that is, then start again", dir, reason(err))
	case errors.Is(err, syscall.EACCES), errors.Is(err, syscall.EPERM):
		return fmt.Errorf("this program (user id %d) may not write to the data folder %s (%s): give it write access to the folder, or set KNS_DATA_DIR to one it may write, then start again", os.Geteuid(), dir, reason(err))
	case errors.Is(err, syscall.ENOTDIR):
		return fmt.Errorf("the data folder %s is not a folder (%s): set KNS_DATA_DIR to a folder, or move what is in the way, then start again", dir, reason(err))
	case errors.Is(err, syscall.EISDIR):
		return fmt.Errorf("the data folder %s holds a folder where the database file %s should be: move it away, then start again", dir, dbFile)
	case has("disk i/o error"):
		return fmt.Errorf("the data folder %s cannot be written (disk I/O error): check that its disk has room and is not read-only or failing, then start again", dir)
	}
	return err
}

// reason is the system's own word for err ("no space left on device").
func reason(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno.Error()
	}
	return err.Error()
}

// carryOver, when linked in, moves an earlier version's data folder over
// on the first start (carryover.go).
var carryOver func(ctx context.Context, cfg *config.Config, log *slog.Logger, st store.Store) error

var errNotEmpty = errors.New("not empty")

// isEmpty tells whether a store holds no records at all.
func isEmpty(ctx context.Context, st store.Store) (bool, error) {
	err := st.Dump(ctx, func(store.Record) error { return errNotEmpty })
	if errors.Is(err, errNotEmpty) {
		return false, nil
	}
	return err == nil, err
}

// secretKey is the secret that seals the signing keys in the database.
// Several instances on MongoDB must share it, so there it must be given;
// on the embedded store one is made in the data folder on first start.
func secretKey(cfg *config.Config) ([]byte, error) {
	if cfg.SecretKey != "" {
		return []byte(cfg.SecretKey), nil
	}
	if cfg.MongoURI != "" {
		return nil, errors.New("KNS_SECRET_KEY (or KNS_SECRET_KEY_FILE) must be set with KNS_MONGODB_URI: " +
			"every instance signs certificates with keys kept in the database, sealed with this secret, " +
			"so all of them need the same one (make one with: openssl rand -hex 32)")
	}
	name := filepath.Join(cfg.DataDir, secretFile)
	b, err := os.ReadFile(name)
	if err == nil {
		return []byte(strings.TrimSpace(string(b))), nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	raw := make([]byte, 32)
	_, _ = rand.Read(raw)
	secret := hex.EncodeToString(raw)
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, dataFolderError(cfg.DataDir, fmt.Errorf("make %s: %w", name, err))
	}
	if _, err := f.WriteString(secret + "\n"); err != nil {
		f.Close()
		return nil, dataFolderError(cfg.DataDir, err)
	}
	if err := f.Close(); err != nil {
		return nil, dataFolderError(cfg.DataDir, err)
	}
	return []byte(secret), nil
}
