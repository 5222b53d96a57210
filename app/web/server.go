// Package web is the platform's web site and API: Fiber handlers, one file
// per feature, views in views/, all routes in routes.go.
package web

import (
	"log/slog"
	"time"

	"github.com/gofiber/fiber/v2"

	"kynangso/app/certify"
	"kynangso/app/config"
	"kynangso/app/credential"
	"kynangso/app/learning"
	"kynangso/app/locality"
	"kynangso/app/places"
	"kynangso/app/reach"
	"kynangso/app/store"
	"kynangso/courses"
	"kynangso/i18n"
	"kynangso/static"
)

// Server holds what the handlers need.
type Server struct {
	cfg     *config.Config
	store   store.Store
	certify *certify.Service
	learn   *learning.Service
	courses *courses.Catalogue
	places  *locality.Divisions
	msgs    *i18n.Bundle
	assets  *static.Assets
	views   *views
	keys    *credential.Keyring
	log     *slog.Logger
	now     func() time.Time
	observe fiber.Handler
	// Places: who runs what, the figures by place and the ranking.
	roles   *places.Service
	skills  reach.Skills
	figures figuresCache
	ranker  *reach.Ranker
	ranks   rankCache
}

// Deps are the parts a Server is built from.
type Deps struct {
	Config  *config.Config
	Store   store.Store
	Courses *courses.Catalogue
	Keys    *credential.Keyring
	Log     *slog.Logger
	// Observe, when set, runs first on every request (app/obs: metrics
	// and the access log).
	Observe fiber.Handler
}

// New builds the Fiber app with every route.
func New(d Deps) (*fiber.App, error) {
	msgs, err := i18n.Load()
	if err != nil {
		return nil, err
	}
	divs, err := locality.Load()
	if err != nil {
		return nil, err
	}
	assets, err := static.Load()
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg: d.Config, store: d.Store, courses: d.Courses, places: divs,
		msgs: msgs, assets: assets, keys: d.Keys, log: d.Log, now: time.Now, observe: d.Observe,
	}
	if d.Config.Now != nil {
		s.now = d.Config.Now
	}
	s.certify = &certify.Service{Store: d.Store, Now: func() time.Time { return s.now() }}
	s.roles = &places.Service{Store: d.Store, Places: divs, Now: func() time.Time { return s.now() }}
	s.skills = reach.SkillsOf(d.Courses)
	s.ranker = &reach.Ranker{Store: d.Store, Skills: s.skills, Places: divs}
	s.learn = &learning.Service{Store: d.Store, Certify: s.certify, Now: func() time.Time { return s.now() }}
	if s.views, err = loadViews(s); err != nil {
		return nil, err
	}
	cfg := fiber.Config{
		// Handler values outlive the request in stored documents; Fiber
		// reuses its buffers otherwise.
		Immutable:             true,
		DisableStartupMessage: true,
		ErrorHandler:          s.handleError,
		BodyLimit:             256 * 1024,
		ReadTimeout:           30 * time.Second,
		WriteTimeout:          60 * time.Second,
		IdleTimeout:           120 * time.Second,
	}
	if len(d.Config.TrustedProxies) > 0 {
		// Behind a reverse proxy every request comes from the proxy; the
		// client is the one it names, believed only from the proxy itself.
		cfg.ProxyHeader = "X-Real-IP"
		cfg.EnableTrustedProxyCheck = true
		cfg.TrustedProxies = d.Config.TrustedProxies
	}
	app := fiber.New(cfg)
	s.routes(app)
	return app, nil
}
