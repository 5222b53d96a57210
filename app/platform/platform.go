// Package platform starts and stops the whole program: config, logs, the
// database (embedded or not), the course catalogue, the signing keys and
// the web server. Tests start it the same way.
package platform

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/gofiber/fiber/v2"

	"kynangso/app/config"
	"kynangso/app/credential"
	"kynangso/app/embeddb"
	"kynangso/app/store"
	"kynangso/app/web"
	"kynangso/courses"
)

// Platform is a started program, not yet serving.
type Platform struct {
	Config  *config.Config
	Store   *store.Store
	App     *fiber.App
	Log     *slog.Logger
	Keys    *credential.Keyring
	Courses *courses.Catalogue
	db      *embeddb.Server
}

// Start opens everything the server needs.
func Start(ctx context.Context, cfg *config.Config, log *slog.Logger) (*Platform, error) {
	p := &Platform{Config: cfg, Log: log}
	cat, err := courses.LoadWith(cfg.CoursesDir)
	p.Courses = cat
	if err != nil {
		return nil, fmt.Errorf("courses: %w", err)
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data folder: %w", err)
	}
	uri := cfg.MongoURI
	if uri == "" {
		if p.db, err = embeddb.Start(filepath.Join(cfg.DataDir, "db"), log); err != nil {
			return nil, err
		}
		uri = p.db.URI
		log.Info("embedded database started", slog.String("dir", filepath.Join(cfg.DataDir, "db")))
	}
	if p.Store, err = store.Open(ctx, uri, cfg.Database); err != nil {
		p.Close()
		return nil, err
	}
	if p.Keys, err = credential.LoadOrCreate(cfg.DataDir, cfg.KeyFile); err != nil {
		p.Close()
		return nil, fmt.Errorf("signing keys: %w", err)
	}
	p.App, err = web.New(web.Deps{Config: cfg, Store: p.Store, Courses: cat, Keys: p.Keys, Log: log})
	if err != nil {
		p.Close()
		return nil, err
	}
	return p, nil
}

// Close stops the database.
func (p *Platform) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if p.Store != nil {
		_ = p.Store.Close(ctx)
	}
	if p.db != nil {
		p.db.Stop()
	}
}

// Run is the program: it serves until ctx ends, then shuts down gracefully.
func Run(ctx context.Context, args []string) error {
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))
	slog.SetDefault(log)
	p, err := Start(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer p.Close()

	if len(args) > 0 {
		switch args[0] {
		case "setup-link":
			return printSetupLink(ctx, p, true)
		case "rotate-key":
			// Credentials signed before keep verifying: old keys stay in the
			// keyring and their status lists stay served.
			if err := p.Keys.Rotate(); err != nil {
				return err
			}
			fmt.Println("New signing key / Khóa ký mới:", p.Keys.IssuerDID())
			fmt.Println("Restart running servers to sign with it.")
			return nil
		case "copy-to":
			if len(args) != 2 {
				return errors.New("usage: copy-to mongodb://host/... (copies all data into that deployment)")
			}
			return copyTo(ctx, p, args[1])
		default:
			return fmt.Errorf("unknown command %q (want setup-link, rotate-key or copy-to)", args[0])
		}
	}
	if err := printSetupLink(ctx, p, false); err != nil {
		return err
	}
	go pruneLoop(ctx, p)

	errc := make(chan error, 1)
	go func() { errc <- p.App.Listen(cfg.Addr) }()
	log.Info("listening", slog.String("addr", cfg.Addr), slog.String("url", cfg.BaseURL))
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	if err := p.App.ShutdownWithTimeout(15 * time.Second); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

// printSetupLink shows the one-time link that creates the first admin,
// for as long as there is no admin.
func printSetupLink(ctx context.Context, p *Platform, always bool) error {
	tok, err := p.Store.SetupToken(ctx)
	if err != nil {
		return err
	}
	if tok == "" {
		if always {
			fmt.Println("An admin already exists; no setup link is needed. / Đã có quản trị viên.")
		}
		return nil
	}
	link := p.Config.BaseURL + "/setup/" + tok
	fmt.Printf("\n  Tạo tài khoản quản trị đầu tiên / Create the first admin:\n  %s\n\n", link)
	return nil
}

func pruneLoop(ctx context.Context, p *Platform) {
	t := time.NewTicker(10 * time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			if err := p.Store.PruneRateLimits(ctx, now); err != nil {
				p.Log.Warn("prune rate limits", slog.Any("err", err))
			}
			if err := p.Store.PruneSessions(ctx, now); err != nil {
				p.Log.Warn("prune sessions", slog.Any("err", err))
			}
		}
	}
}

// copyTo copies the whole database into another deployment.
func copyTo(ctx context.Context, p *Platform, uri string) error {
	dst, err := store.Open(ctx, uri, p.Config.Database)
	if err != nil {
		return err
	}
	defer dst.Close(ctx)
	counts, err := p.Store.CopyTo(ctx, dst)
	for name, n := range counts {
		fmt.Printf("%-14s %d\n", name, n)
	}
	if err != nil {
		return err
	}
	fmt.Println("Copied. Start the platform with KNS_MONGODB_URI set to that deployment.")
	return nil
}
