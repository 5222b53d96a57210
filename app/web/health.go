package web

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
)

func (s *Server) healthz(c *fiber.Ctx) error { return c.SendString("ok") }

// Readiness: how long one answer is kept, how long a check may take, and
// the rate-limit key the write probe counts under (its windows are swept
// like any other).
const (
	readyKeep    = time.Second
	readyTimeout = 2 * time.Second
	readyKey     = "readyz:write-probe"
)

// readyz answers 503 while the database does not answer or does not take
// a write (a full disk, a read-only file system, a lost primary), so a
// load balancer stops sending traffic here. The write is one rate-limit
// count, the cheapest write every backend has. The answer is kept for a
// second, and one check runs at a time (the others wait for it), so
// /readyz under load does not queue on the database's one writer.
func (s *Server) readyz() fiber.Handler {
	var (
		mu   sync.Mutex
		at   time.Time
		last string // why not ready; empty when ready
	)
	return func(c *fiber.Ctx) error {
		mu.Lock()
		if at.IsZero() || time.Since(at) >= readyKeep {
			why, err := s.notReady()
			if why != last {
				if why != "" {
					s.log.Warn("not ready", slog.String("why", why), slog.Any("err", err))
				} else if !at.IsZero() {
					s.log.Info("ready again")
				}
			}
			last, at = why, time.Now()
		}
		why := last
		mu.Unlock()
		c.Set(fiber.HeaderCacheControl, "no-store")
		if why != "" {
			return c.Status(fiber.StatusServiceUnavailable).SendString(why)
		}
		return c.SendString("ready")
	}
}

// notReady checks the database: it answers, and takes a write.
func (s *Server) notReady() (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		return "database unreachable", err
	}
	if _, err := s.store.Hit(ctx, readyKey, time.Minute, s.now()); err != nil {
		return "database does not take writes", err
	}
	return "", nil
}

func (s *Server) staticFile(c *fiber.Ctx) error {
	a := s.assets.ByURL(c.Path())
	if a == nil {
		return errNotFound
	}
	c.Set(fiber.HeaderContentType, a.ContentType)
	c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	return c.Send(a.Data)
}

func (s *Server) favicon(c *fiber.Ctx) error {
	a := s.assets.ByName("icon.svg")
	if a == nil {
		return errNotFound
	}
	c.Set(fiber.HeaderContentType, a.ContentType)
	c.Set(fiber.HeaderCacheControl, "public, max-age=86400")
	return c.Send(a.Data)
}

// fixedFile serves one of the static files that must keep a fixed URL: the
// service worker (its URL is its identity, and it must cover the whole
// site) and the web app manifest.
func (s *Server) fixedFile(name, contentType string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		a := s.assets.ByName(name)
		if a == nil {
			return errNotFound
		}
		c.Set(fiber.HeaderContentType, contentType)
		c.Set(fiber.HeaderCacheControl, "no-cache")
		return c.Send(a.Data)
	}
}
