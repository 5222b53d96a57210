package web

import (
	"time"

	"github.com/gofiber/fiber/v2"
)

// Verification is public, so codes could be enumerated by brute force.
// 55 random bits already make guessing hopeless; the limit also keeps a
// scraper from loading the server. An employer checking a few papers
// never meets it.
const verifyWindow = time.Minute

// rateLimit counts requests per client IP in the database, so the limit
// holds across instances.
func (s *Server) rateLimit(name string, limit int, window time.Duration) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if limit <= 0 {
			return c.Next()
		}
		n, err := s.store.Hit(c.UserContext(), name+":"+c.IP(), window, s.now())
		if err != nil {
			return err
		}
		if n > limit {
			c.Set(fiber.HeaderRetryAfter, "60")
			return fail(fiber.StatusTooManyRequests, "error.rate_limited")
		}
		return c.Next()
	}
}
