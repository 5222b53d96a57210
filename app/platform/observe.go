package platform

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"syscall"
	"time"

	"kynangso/app/config"
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

// newMetrics makes the program's metrics (served when KNS_METRICS_ADDR
// is set; counted always, as they cost little).
func (p *Platform) newMetrics() *obs.Metrics {
	p.Metrics = obs.New(p.sessionCounter())
	p.watch(p.Store)
	return p.Metrics
}

// watch adds the gauges an operator alerts on: the database answers a
// ping (kns_database_up), and on the embedded store the room left on the
// data folder's disk (kns_data_dir_free_bytes).
func (p *Platform) watch(st interface{ Ping(context.Context) error }) {
	p.Metrics.Gauge("kns_database_up", "1 when the database answers a ping (within 2 s) at this scrape, else 0.", func() (float64, bool) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if st.Ping(ctx) != nil {
			return 0, true
		}
		return 1, true
	})
	if p.Config.MongoURI != "" {
		return
	}
	dir := p.Config.DataDir
	p.Metrics.Gauge("kns_data_dir_free_bytes", "Bytes free for this program on the disk of the data folder (the embedded database).", func() (float64, bool) {
		var fs syscall.Statfs_t
		if syscall.Statfs(dir, &fs) != nil {
			return 0, false
		}
		return float64(fs.Bavail) * float64(fs.Bsize), true
	})
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

// healthcheck asks this machine's server for /healthz, for a container's
// HEALTHCHECK (the image has no curl): no error when it answers 200.
func healthcheck(cfg *config.Config) error {
	host, port, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return err
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	cl := &http.Client{Timeout: 3 * time.Second}
	res, err := cl.Get("http://" + net.JoinHostPort(host, port) + "/healthz")
	if err != nil {
		return err
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("/healthz answered %s", res.Status)
	}
	return nil
}
