// Package obs is what an operator watches: Prometheus metrics (served on
// their own address, KNS_METRICS_ADDR), one structured access-log line
// per request, and the store's operation latencies, measured by a
// wrapper around store.Store.
//
// Nothing here puts a phone number, a name, a password, a code, a
// session id or a request path into a label or a log line: routes are
// named by their pattern (/v/:code), rate limits by a fixed name.
package obs

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Version names the build; set with
// -ldflags "-X kynangso/app/obs.Version=v1.2.3" (the Dockerfile does). When
// empty, the module version or VCS revision Go recorded is used.
var Version string

// Metrics is one program's metrics, on a registry of its own (tests run
// many platforms in one process).
type Metrics struct {
	Registry *prometheus.Registry
	own      []prometheus.Collector // the kns_ ones

	requests    *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	inflight    prometheus.Gauge
	storeOps    *prometheus.HistogramVec
	storeErrors *prometheus.CounterVec
	issued      prometheus.Counter
	revoked     *prometheus.CounterVec
	verified    *prometheus.CounterVec
	refused     *prometheus.CounterVec

	backupOK     prometheus.Gauge
	backupFailed prometheus.Counter
	backupBytes  prometheus.Gauge
	backupSecs   prometheus.Gauge
}

// New makes the metrics. sessions, when not nil, counts the live
// sessions in the database (read at most every 30 seconds, on scrape).
func New(sessions func(context.Context) (int64, error)) *Metrics {
	m := &Metrics{Registry: prometheus.NewRegistry()}
	f := func(c prometheus.Collector) { m.Registry.MustRegister(c); m.own = append(m.own, c) }
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "kns_http_requests_total", Help: "HTTP requests answered, by method, route pattern and status code.",
	}, []string{"method", "route", "code"})
	m.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "kns_http_request_duration_seconds", Help: "Time to answer an HTTP request, by method, route pattern and status code.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	}, []string{"method", "route", "code"})
	m.inflight = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "kns_http_requests_in_flight", Help: "HTTP requests being answered now.",
	})
	m.storeOps = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "kns_store_operation_duration_seconds", Help: "Time of a database operation, by operation (atomic is a whole workflow's transaction).",
		Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, 1, 5},
	}, []string{"op"})
	m.storeErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "kns_store_errors_total", Help: "Database operations that failed (not counting 'not found' and 'already exists'), by operation.",
	}, []string{"op"})
	m.issued = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "kns_certificates_issued_total", Help: "Certificates issued by this instance (replacements included).",
	})
	m.revoked = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "kns_certificates_revoked_total", Help: "Certificates revoked by this instance: by an admin (admin), or withdrawn when the holder erased her account (holder).",
	}, []string{"by"})
	m.verified = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "kns_verifications_total", Help: "Certificate checks, by channel (page, json, name_check, credential, credential_check) and result (valid, revoked, unknown, mistyped, invalid, rate_limited, bad_request, error).",
	}, []string{"channel", "result"})
	m.refused = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "kns_rate_limit_refusals_total", Help: "Requests refused by a rate limit, by limit (verify: KNS_VERIFY_LIMIT, checks of codes naming no certificate; verify_ceiling: all checks; name_check; sign_in_phone; sign_in_address; sign_up_address; reset_address; reset_code).",
	}, []string{"limit"})
	m.backupOK = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "kns_backup_last_success_timestamp_seconds", Help: "When the last scheduled backup of the embedded database finished (Unix time); 0 before the first.",
	})
	m.backupFailed = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "kns_backup_failures_total", Help: "Scheduled backups that failed.",
	})
	m.backupBytes = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "kns_backup_last_size_bytes", Help: "Size of the last scheduled backup.",
	})
	m.backupSecs = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "kns_backup_last_duration_seconds", Help: "How long the last scheduled backup took.",
	})
	for _, c := range []prometheus.Collector{m.requests, m.duration, m.inflight, m.storeOps, m.storeErrors,
		m.issued, m.revoked, m.verified, m.refused, m.backupOK, m.backupFailed, m.backupBytes, m.backupSecs} {
		f(c)
	}
	version, revision := buildVersion()
	f(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "kns_build_info", Help: "The running build: always 1, with the version, VCS revision and Go version as labels.",
		ConstLabels: prometheus.Labels{"version": version, "revision": revision, "goversion": goVersion()},
	}, func() float64 { return 1 }))
	if sessions != nil {
		f(newSessionsGauge(sessions))
	}
	m.Registry.MustRegister(collectors.NewGoCollector())
	m.Registry.MustRegister(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Gauge adds a gauge read at each scrape; fn's false leaves the sample
// out (the value cannot be known now).
func (m *Metrics) Gauge(name, help string, fn func() (float64, bool)) {
	g := &funcGauge{desc: prometheus.NewDesc(name, help, nil, nil), fn: fn}
	m.Registry.MustRegister(g)
	m.own = append(m.own, g)
}

type funcGauge struct {
	desc *prometheus.Desc
	fn   func() (float64, bool)
}

func (g *funcGauge) Describe(ch chan<- *prometheus.Desc) { ch <- g.desc }

func (g *funcGauge) Collect(ch chan<- prometheus.Metric) {
	if v, ok := g.fn(); ok {
		ch <- prometheus.MustNewConstMetric(g.desc, prometheus.GaugeValue, v)
	}
}

// Names lists the names of the metrics this program serves (kns_ ones;
// a histogram's samples add _bucket, _sum and _count), whether or not
// anything was counted yet.
func (m *Metrics) Names() []string {
	ch := make(chan *prometheus.Desc, 64)
	go func() {
		for _, c := range m.own {
			c.Describe(ch)
		}
		close(ch)
	}()
	var out []string
	for d := range ch {
		// Desc has no accessor for its name; its String() starts with it.
		s := d.String()
		if i := strings.Index(s, `fqName: "`); i >= 0 {
			s = s[i+len(`fqName: "`):]
			out = append(out, s[:strings.IndexByte(s, '"')])
		}
	}
	return out
}

// Handler serves the metrics in Prometheus's text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry})
}

// Serve serves GET /metrics on addr until ctx ends. The address should
// be one the public cannot reach (127.0.0.1:9090, or a private network):
// the metrics are not secret but are nobody else's business.
func (m *Metrics) Serve(ctx context.Context, ln net.Listener, log *slog.Logger) error {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, WriteTimeout: 30 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	log.Info("metrics listening", slog.String("addr", ln.Addr().String()))
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// BackupDone records a scheduled backup.
func (m *Metrics) BackupDone(at time.Time, size int64, took time.Duration, err error) {
	if m == nil {
		return
	}
	if err != nil {
		m.backupFailed.Inc()
		return
	}
	m.backupOK.Set(float64(at.Unix()))
	m.backupBytes.Set(float64(size))
	m.backupSecs.Set(took.Seconds())
}

func buildVersion() (version, revision string) {
	version, revision = Version, "unknown"
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		if version == "" {
			version = "unknown"
		}
		return
	}
	modified := false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			revision = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if modified {
		revision += "-modified"
	}
	if version == "" {
		version = bi.Main.Version
	}
	if version == "" {
		version = "(devel)"
	}
	return
}

func goVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		return bi.GoVersion
	}
	return "unknown"
}
