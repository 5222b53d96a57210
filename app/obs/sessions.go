package obs

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	_ "modernc.org/sqlite" // the driver the embedded store uses
)

// sessionsEvery is how often the live sessions are counted at most: a
// count is one indexed query, but scrapes may come every few seconds
// from several Prometheus servers.
const sessionsEvery = 30 * time.Second

type sessionsGauge struct {
	desc  *prometheus.Desc
	count func(context.Context) (int64, error)

	mu  sync.Mutex
	at  time.Time
	n   int64
	err error
}

func newSessionsGauge(count func(context.Context) (int64, error)) *sessionsGauge {
	return &sessionsGauge{
		desc:  prometheus.NewDesc("kns_sessions_live", "Sessions in the database that have not expired (every instance, counted at most every 30 s).", nil, nil),
		count: count,
	}
}

func (g *sessionsGauge) Describe(ch chan<- *prometheus.Desc) { ch <- g.desc }

func (g *sessionsGauge) Collect(ch chan<- prometheus.Metric) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.at.IsZero() || time.Since(g.at) >= sessionsEvery {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		g.n, g.err = g.count(ctx)
		cancel()
		g.at = time.Now()
	}
	if g.err != nil {
		// No sample rather than a wrong one; the database's trouble shows
		// in kns_store_errors_total and /readyz.
		return
	}
	ch <- prometheus.MustNewConstMetric(g.desc, prometheus.GaugeValue, float64(g.n))
}

// SQLiteSessions counts the live sessions of the embedded database file
// at path, on a read-only connection of its own, opened on first use.
// (store.Store has no count of sessions.)
func SQLiteSessions(path string) (count func(context.Context) (int64, error), closeFn func() error) {
	var (
		mu sync.Mutex
		db *sql.DB
	)
	count = func(ctx context.Context) (int64, error) {
		mu.Lock()
		defer mu.Unlock()
		if db == nil {
			d, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+"?mode=ro&_pragma=busy_timeout(2000)")
			if err != nil {
				return 0, err
			}
			d.SetMaxOpenConns(1)
			db = d
		}
		var n int64
		if err := db.QueryRowContext(ctx, "SELECT count(*) FROM sessions WHERE expires > ?", time.Now().UnixMilli()).Scan(&n); err != nil {
			return 0, fmt.Errorf("count sessions: %w", err)
		}
		return n, nil
	}
	closeFn = func() error {
		mu.Lock()
		defer mu.Unlock()
		if db == nil {
			return nil
		}
		err := db.Close()
		db = nil
		return err
	}
	return count, closeFn
}

// MongoSessions counts the live sessions of a MongoDB database, on a
// client of its own (one connection), made on first use.
func MongoSessions(uri, database string) (count func(context.Context) (int64, error), closeFn func() error) {
	var (
		mu sync.Mutex
		cl *mongo.Client
	)
	count = func(ctx context.Context) (int64, error) {
		mu.Lock()
		defer mu.Unlock()
		if cl == nil {
			c, err := mongo.Connect(options.Client().ApplyURI(uri).SetMaxPoolSize(1).SetAppName("kynangso-metrics"))
			if err != nil {
				return 0, err
			}
			cl = c
		}
		n, err := cl.Database(database).Collection("sessions").CountDocuments(ctx, bson.M{"expires": bson.M{"$gt": time.Now()}})
		if err != nil {
			return 0, fmt.Errorf("count sessions: %w", err)
		}
		return n, nil
	}
	closeFn = func() error {
		mu.Lock()
		defer mu.Unlock()
		if cl == nil {
			return nil
		}
		err := cl.Disconnect(context.Background())
		cl = nil
		return err
	}
	return count, closeFn
}
