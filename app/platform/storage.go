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
		return nil, nil, err
	}
	var unlock func()
	if exclusive {
		var err error
		if unlock, err = lockDir(cfg.DataDir); err != nil {
			return nil, nil, err
		}
	}
	st, err := sqlite.Open(ctx, filepath.Join(cfg.DataDir, dbFile))
	if err != nil {
		if unlock != nil {
			unlock()
		}
		return nil, nil, fmt.Errorf("embedded database: %w", err)
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
		return nil, fmt.Errorf("make %s: %w", name, err)
	}
	if _, err := f.WriteString(secret + "\n"); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	return []byte(secret), nil
}
