package web

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"
)

func (s *Server) healthz(c *fiber.Ctx) error { return c.SendString("ok") }

// readyz answers 503 while the database does not, so a load balancer
// stops sending traffic here.
func (s *Server) readyz(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), 2*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		return c.Status(fiber.StatusServiceUnavailable).SendString("database unreachable")
	}
	return c.SendString("ready")
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
