package platform

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Scheduled backups of the embedded database (KNS_BACKUP_DIR,
// KNS_BACKUP_EVERY, KNS_BACKUP_KEEP): the same consistent copy as the
// backup command (SQLite's VACUUM INTO, one snapshot while writes go on),
// made by the server itself, named by the time it was taken, the newest
// KNS_BACKUP_KEEP kept.

const (
	backupPrefix  = "kynangso-"
	backupSuffix  = ".db"
	backupPartial = ".partial"
	backupStamp   = "20060102T150405.000Z"
)

type backer interface {
	Backup(ctx context.Context, dest string) error
}

// Backup takes a backup of the embedded database into dir (made 0700 if
// need be) and removes the oldest beyond keep; it returns the file. The
// copy is made under a temporary name and renamed when complete, so a
// file with a backup's name is always a whole backup.
func (p *Platform) Backup(ctx context.Context, dir string, keep int) (string, error) {
	b, ok := p.Store.(backer)
	if !ok {
		return "", errors.New("backups are of the embedded database; for MongoDB use mongodump")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("backup folder: %w", err)
	}
	// Named by the time, to the millisecond, so names sort by age; two
	// in one millisecond (a test) take the next free one.
	at := time.Now().UTC()
	name := ""
	for {
		name = filepath.Join(dir, backupPrefix+at.Format(backupStamp)+backupSuffix)
		if _, err := os.Stat(name); errors.Is(err, os.ErrNotExist) {
			break
		}
		at = at.Add(time.Millisecond)
	}
	tmp := name + backupPartial
	_ = os.Remove(tmp) // left by a backup cut short
	if err := b.Backup(ctx, tmp); err != nil {
		_ = os.Remove(tmp)
		return "", dataFolderError(dir, err)
	}
	if err := os.Rename(tmp, name); err != nil {
		_ = os.Remove(tmp)
		return "", err
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync() // the rename reaches the disk
		d.Close()
	}
	if err := pruneBackups(dir, keep); err != nil {
		return name, fmt.Errorf("%w: %w", errPrune, err)
	}
	return name, nil
}

// errPrune: the backup was taken, but older ones could not all be removed.
var errPrune = errors.New("backup taken; removing older backups failed")

// backups lists the backups in dir, oldest first (the names sort by time).
func backups(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		n := e.Name()
		if e.Type().IsRegular() && strings.HasPrefix(n, backupPrefix) && strings.HasSuffix(n, backupSuffix) {
			out = append(out, filepath.Join(dir, n))
		}
	}
	slices.Sort(out)
	return out, nil
}

// pruneBackups removes all but the newest keep backups; other files in
// the folder are left alone.
func pruneBackups(dir string, keep int) error {
	list, err := backups(dir)
	if err != nil {
		return err
	}
	var errs []error
	for len(list) > keep {
		if err := os.Remove(list[0]); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
		list = list[1:]
	}
	return errors.Join(errs...)
}

// backupLoop takes a backup every KNS_BACKUP_EVERY until ctx ends. The
// first is due KNS_BACKUP_EVERY after the newest one already in the
// folder (at once if there is none), so restarts do not pile up backups.
func backupLoop(ctx context.Context, p *Platform, done func(at time.Time, size int64, took time.Duration, err error)) {
	cfg := p.Config
	if cfg.BackupDir == "" {
		return
	}
	if cfg.MongoURI != "" {
		p.Log.Warn("KNS_BACKUP_DIR is ignored on MongoDB: back it up with mongodump (docs/operations.md)")
		return
	}
	next := time.Now()
	if list, err := backups(cfg.BackupDir); err == nil && len(list) > 0 {
		if fi, err := os.Stat(list[len(list)-1]); err == nil {
			next = fi.ModTime().Add(cfg.BackupEvery)
		}
	}
	p.Log.Info("scheduled backups", slog.String("dir", cfg.BackupDir), slog.Duration("every", cfg.BackupEvery),
		slog.Int("keep", cfg.BackupKeep), slog.Time("next", next.Round(time.Second)))
	t := time.NewTimer(time.Until(next))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		start := time.Now()
		name, err := p.Backup(ctx, cfg.BackupDir, cfg.BackupKeep)
		took := time.Since(start)
		var size int64
		if errors.Is(err, errPrune) {
			p.Log.Warn("remove old backups", slog.Any("err", err))
			err = nil
		}
		if err == nil {
			if fi, serr := os.Stat(name); serr == nil {
				size = fi.Size()
			}
			p.Log.Info("backup taken", slog.String("file", name), slog.Int64("bytes", size), slog.Duration("took", took.Round(time.Millisecond)))
		} else if ctx.Err() == nil {
			p.Log.Error("backup failed", slog.Any("err", err))
		}
		if ctx.Err() != nil {
			return
		}
		if done != nil {
			done(time.Now(), size, took, err)
		}
		t.Reset(cfg.BackupEvery)
	}
}
