package web

import (
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
)

// Every limit counts first, then checks, then lets the work happen: the
// store counts each request atomically (store.Store.HitUpTo), so of any
// number of requests at once exactly the limit get through, on every
// backend and across instances. A limit that read the count, did the work
// and counted afterwards let 200 requests at once all through.
//
// The limits, and why each is where it is (README, "Configuration"):
//
//   - certificate checks: KNS_VERIFY_LIMIT (30) a minute per address for
//     codes that name no certificate (unknown, mistyped, part of a code),
//     which is what a guessing run tries; 55 random bits already make
//     guessing hopeless, and the limit keeps it from loading the server.
//     Checks of real certificates are held only to verifyCeiling times
//     that (300 a minute) with everything else: employers at a job fair
//     behind one Wi-Fi, checking 50 certificates each with a name check,
//     stay far below it.
//   - sign-in: 10 wrong passwords per phone number per 15 minutes
//     (accounts.go), and per address 100 phone numbers tried without a
//     sign-in: a room of 50 people has at most 50 numbers, typos and all,
//     and those who get in do not count; a guessing run goes over many.
//   - sign-up: 100 new accounts per address per hour (a room of 50, each
//     tapping twice, stays within it; 4,080 a minute does not).
//   - password reset: 5 tries per code, and 300 tries per address per
//     15 minutes (50 people using all five tries of a code stay under it).

// Verification is public, so codes could be enumerated by brute force.
const verifyWindow = time.Minute

// verifyCeiling: all certificate checks of one address, real ones
// included, are held to this many times KNS_VERIFY_LIMIT a minute.
const verifyCeiling = 10

// missedCheck counts a check of a code that names no certificate, after
// the lookup that found none: at most KNS_VERIFY_LIMIT of them a minute
// per address are answered. Of any number at once no more than that get
// an answer (the count is atomic); what each costs before it is counted
// is one indexed read, held to the ceiling by the middleware.
func (s *Server) missedCheck(c *fiber.Ctx) error {
	limit := s.cfg.VerifyLimit
	if limit <= 0 {
		return nil
	}
	now := s.now()
	over, err := s.over(c, "verify-miss:"+c.IP(), limit, verifyWindow, now)
	if err != nil {
		return err
	}
	if over {
		retryAfter(c, verifyWindow, now)
		return fail(fiber.StatusTooManyRequests, "error.rate_limited")
	}
	return nil
}

// rateLimit counts requests per client address in the database, first,
// so the limit holds across instances and under concurrency.
func (s *Server) rateLimit(name string, limit int, window time.Duration) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if limit <= 0 {
			return c.Next()
		}
		now := s.now()
		over, err := s.over(c, name+":"+c.IP(), limit, window, now)
		if err != nil {
			return err
		}
		if over {
			retryAfter(c, window, now)
			return fail(fiber.StatusTooManyRequests, "error.rate_limited")
		}
		return c.Next()
	}
}

// over counts this request of key in the window holding now, and tells
// whether it is over limit.
func (s *Server) over(c *fiber.Ctx, key string, limit int, window time.Duration, now time.Time) (bool, error) {
	n, err := s.store.HitUpTo(c.UserContext(), key, limit, window, now)
	return n > limit, err
}

// retryAfter says when the window holding now ends.
func retryAfter(c *fiber.Ctx, window time.Duration, now time.Time) {
	left := now.Truncate(window).Add(window).Sub(now)
	c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(left.Seconds())+1))
}
