package platform

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"kynangso/app/config"
	"kynangso/app/credential"
	"kynangso/app/store"
	"kynangso/app/store/sqlite"
)

// restore puts a backup of the embedded database (the backup command's,
// or a scheduled one) into an empty data folder: the folder may hold the
// secret.key of the folder the backup came from, and nothing else of
// ours. The copy is checked before it takes the database's name: it opens
// (migrations of a newer program apply), it holds records, and its
// signing keys open with the secret.
func restore(ctx context.Context, cfg *config.Config, log *slog.Logger, from string) error {
	if cfg.MongoURI != "" {
		return errors.New("restore puts a backup of the embedded database into a data folder; unset KNS_MONGODB_URI (for MongoDB use mongorestore, or import)")
	}
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	head := make([]byte, 16)
	if _, err := io.ReadFull(src, head); err != nil || string(head) != "SQLite format 3\x00" {
		return fmt.Errorf("%s is not a backup of the embedded database (not an SQLite file)", from)
	}
	if _, err := src.Seek(0, io.SeekStart); err != nil {
		return err
	}
	if err := privateDir(cfg.DataDir); err != nil {
		return dataFolderError(cfg.DataDir, err)
	}
	unlock, err := lockDir(cfg.DataDir)
	if err != nil {
		return err
	}
	defer unlock()
	if err := emptyDataDir(cfg.DataDir); err != nil {
		return err
	}
	secret, err := restoreSecret(cfg)
	if err != nil {
		return err
	}

	final := filepath.Join(cfg.DataDir, dbFile)
	tmp := final + ".restoring"
	_ = os.Remove(tmp)
	if err := copyFile(tmp, src); err != nil {
		_ = os.Remove(tmp)
		return dataFolderError(cfg.DataDir, fmt.Errorf("restore: %w", err))
	}
	ok := false
	defer func() {
		if !ok {
			for _, f := range []string{tmp, tmp + "-wal", tmp + "-shm"} {
				_ = os.Remove(f)
			}
		}
	}()
	st, err := sqlite.Open(ctx, tmp)
	if err != nil {
		return fmt.Errorf("the backup does not open: %w", err)
	}
	empty, err := isEmpty(ctx, st)
	if err == nil && empty {
		err = errors.New("the backup holds no records")
	}
	if err == nil {
		if secret == nil {
			if keys, kerr := st.SigningKeys(ctx); kerr != nil {
				err = kerr
			} else if len(keys) > 0 {
				err = fmt.Errorf("the backup's signing keys are sealed with the secret of the data folder it was taken from: copy that folder's %s into %s (or set KNS_SECRET_KEY to it), then run restore again", secretFile, cfg.DataDir)
			}
		} else if _, kerr := credential.Open(ctx, st, secret, credential.Options{}); kerr != nil {
			err = fmt.Errorf("the backup's signing keys do not open with this secret (%v): use the secret.key of the data folder the backup was taken from", kerr)
		}
	}
	if cerr := st.Close(ctx); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	// Closed cleanly, the WAL is folded into the file; the rename makes
	// the database appear whole or not at all.
	if err := os.Rename(tmp, final); err != nil {
		return err
	}
	ok = true
	if d, err := os.Open(cfg.DataDir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	counts := map[string]int{}
	if st, err := sqlite.Open(ctx, final); err == nil {
		_ = st.Dump(ctx, func(r store.Record) error { counts[r.Kind]++; return nil })
		_ = st.Close(ctx)
	}
	printCounts(os.Stderr, counts)
	fmt.Printf("Restored %s into %s. Start the platform on this data folder.\n", from, cfg.DataDir)
	log.Debug("restored", slog.String("from", from))
	return nil
}

// emptyDataDir refuses a data folder that holds a database (the embedded
// one, or an earlier version's), or anything else but the secret and the
// lock.
func emptyDataDir(dir string) error {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range ents {
		n := e.Name()
		switch {
		case n == secretFile, n == "kynangso.lock", strings.HasPrefix(n, ".write-check-"), n == dbFile+".restoring":
		default:
			return fmt.Errorf("the data folder %s is not empty (it holds %s): restore goes into an empty folder, so nothing is overwritten; move what is there aside, or set KNS_DATA_DIR to a new folder", dir, n)
		}
	}
	return nil
}

// restoreSecret is the secret that sealed the backup's signing keys:
// KNS_SECRET_KEY, or the secret.key put in the data folder; nil if
// neither (restore then refuses a backup with keys, rather than make a
// new secret that could not open them).
func restoreSecret(cfg *config.Config) ([]byte, error) {
	if cfg.SecretKey != "" {
		return []byte(cfg.SecretKey), nil
	}
	b, err := os.ReadFile(filepath.Join(cfg.DataDir, secretFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return []byte(strings.TrimSpace(string(b))), nil
}

func copyFile(dest string, src io.Reader) error {
	f, err := os.OpenFile(dest, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = io.Copy(f, src)
	if err == nil {
		err = f.Sync()
	}
	return errors.Join(err, f.Close())
}
