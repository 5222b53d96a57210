package platform

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"

	"kynangso/app/obs"
)

// sessionCounter counts the live sessions for the kns_sessions_live
// gauge, on a connection of its own opened at the first scrape.
func (p *Platform) sessionCounter() func(context.Context) (int64, error) {
	count, closeFn := obs.SQLiteSessions(filepath.Join(p.Config.DataDir, dbFile))
	if p.Config.MongoURI != "" {
		count, closeFn = obs.MongoSessions(p.Config.MongoURI, p.Config.Database)
	}
	p.closers = append(p.closers, closeFn)
	return count
}

// serveMetrics serves GET /metrics on KNS_METRICS_ADDR, when set, until
// ctx ends. The address is taken at once, so a wrong one stops the start.
func serveMetrics(ctx context.Context, p *Platform) error {
	if p.Config.MetricsAddr == "" {
		return nil
	}
	ln, err := net.Listen("tcp", p.Config.MetricsAddr)
	if err != nil {
		return fmt.Errorf("KNS_METRICS_ADDR: %w", err)
	}
	go func() {
		if err := p.Metrics.Serve(ctx, ln, p.Log); err != nil {
			p.Log.Error("metrics server", slog.Any("err", err))
		}
	}()
	return nil
}
