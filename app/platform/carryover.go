package platform

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"kynangso/app/config"
	"kynangso/app/store"
	"kynangso/app/store/legacy"
)

func init() { carryOver = carryOverLegacy }

// carryOver moves the data of an earlier version (embedded FerretDB
// files under db/) into the new store on its first start. The old folder
// is renamed, never deleted, so nothing is lost if something looks wrong.
func carryOverLegacy(ctx context.Context, cfg *config.Config, log *slog.Logger, st store.Store) error {
	dir := filepath.Join(cfg.DataDir, legacyDB)
	if !legacy.Detect(dir) {
		return nil
	}
	if empty, err := isEmpty(ctx, st); err != nil || !empty {
		if err == nil {
			err = fmt.Errorf("the data folder holds both the old embedded database (%s) and data in the new one (%s); move one of them away", dir, dbFile)
		}
		return err
	}
	log.Info("carrying over the data of the earlier version", slog.String("from", dir))
	counts, err := legacy.Migrate(ctx, dir, cfg.Database, st)
	if err != nil {
		return fmt.Errorf("carry over %s: %w (nothing was changed there; the new database may be deleted to try again)", dir, err)
	}
	done := dir + ".migrated-" + time.Now().Format("20060102-150405")
	if err := os.Rename(dir, done); err != nil {
		return err
	}
	log.Info("carried over", slog.Any("records", counts), slog.String("old_folder_kept_as", done))
	return nil
}
