// Package platform starts and stops the whole program: config, logs, the
// store (embedded SQLite or MongoDB), the course catalogue, the signing
// keys and the web server; and runs the commands (export, import, backup,
// copy-to, rotate-key, setup-link). Tests start it the same way.
package platform

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/gofiber/fiber/v2"

	"kynangso/app/config"
	"kynangso/app/credential"
	"kynangso/app/locality"
	"kynangso/app/obs"
	"kynangso/app/reach"
	"kynangso/app/store"
	"kynangso/app/web"
	"kynangso/courses"
)

// Platform is a started program, not yet serving.
type Platform struct {
	Config  *config.Config
	Store   store.Store
	App     *fiber.App
	Log     *slog.Logger
	Keys    *credential.Keyring
	Courses *courses.Catalogue
	Metrics *obs.Metrics // also read by tests
	unlock  func()
	closers []func() error
}

// Start opens everything the server needs. On the embedded store it
// holds the data folder for itself: a second program on the same folder
// is refused.
func Start(ctx context.Context, cfg *config.Config, log *slog.Logger) (*Platform, error) {
	return start(ctx, cfg, log, true)
}

func start(ctx context.Context, cfg *config.Config, log *slog.Logger, exclusive bool) (*Platform, error) {
	p := &Platform{Config: cfg, Log: log}
	cat, err := courses.LoadWith(cfg.CoursesDir)
	p.Courses = cat
	if err != nil {
		return nil, fmt.Errorf("courses: %w", err)
	}
	if p.Store, p.unlock, err = openStore(ctx, cfg, log, exclusive); err != nil {
		return nil, err
	}
	secret, err := secretKey(cfg)
	if err != nil {
		p.Close()
		return nil, err
	}
	opt := credential.Options{ExternalFile: cfg.KeyFile}
	if cfg.MongoURI == "" {
		opt.LegacyDir = legacyKeysDir(cfg)
	}
	if p.Keys, err = credential.Open(ctx, p.Store, secret, opt); err != nil {
		p.Close()
		err = fmt.Errorf("signing keys: %w", err)
		if cfg.MongoURI == "" {
			err = dataFolderError(cfg.DataDir, err)
		}
		return nil, err
	}
	p.Metrics = p.newMetrics()
	p.App, err = web.New(web.Deps{Config: cfg, Store: obs.WrapStore(p.Store, p.Metrics), Courses: cat, Keys: p.Keys, Log: log,
		Observe: p.Metrics.Middleware(log)})
	if err != nil {
		p.Close()
		return nil, err
	}
	return p, nil
}

// Close closes the store and lets go of the data folder.
func (p *Platform) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if p.Store != nil {
		_ = p.Store.Close(ctx)
	}
	for _, c := range p.closers {
		_ = c()
	}
	if p.unlock != nil {
		p.unlock()
	}
}

// Run is the program: it serves until ctx ends, then shuts down
// gracefully; or it runs the command in args.
func Run(ctx context.Context, args []string) error {
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	log := obs.NewLogger(os.Stderr, cfg.LogFormat, cfg.LogLevel)
	slog.SetDefault(log)
	if len(args) > 0 {
		return command(ctx, cfg, log, args)
	}
	p, err := Start(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer p.Close()
	if err := printSetupLink(ctx, p, false); err != nil {
		if cfg.MongoURI == "" {
			err = dataFolderError(cfg.DataDir, err)
		}
		return err
	}
	go upkeep(ctx, p)
	go backupLoop(ctx, p, p.Metrics.BackupDone)
	if err := serveMetrics(ctx, p); err != nil {
		return err
	}

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

// upkeep removes what has expired (the embedded store has no TTL
// indexes) and picks up signing keys another instance made.
func upkeep(ctx context.Context, p *Platform) {
	sweep := time.NewTicker(10 * time.Minute)
	defer sweep.Stop()
	keys := time.NewTicker(time.Minute)
	defer keys.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-sweep.C:
			if err := p.Store.Sweep(ctx, now); err != nil {
				p.Log.Warn("sweep expired records", slog.Any("err", err))
			}
			freezeRanking(ctx, p, now)
		case <-keys.C:
			if err := p.Keys.Refresh(ctx); err != nil {
				p.Log.Warn("refresh signing keys", slog.Any("err", err))
			}
		}
	}
}

// freezeRanking publishes the quarter just ended as it stood at its end,
// within minutes of it: later changes (a revocation, a late sign-in) then
// never alter it. Whichever instance comes first writes it.
func freezeRanking(ctx context.Context, p *Platform, now time.Time) {
	places, err := locality.Load()
	if err == nil {
		r := &reach.Ranker{Store: p.Store, Skills: reach.SkillsOf(p.Courses), Places: places}
		_, err = r.Get(ctx, reach.QuarterOf(now).Prev(), now)
	}
	if err != nil && !errors.Is(err, reach.ErrFuture) {
		p.Log.Warn("freeze the ranking", slog.Any("err", err))
	}
}
