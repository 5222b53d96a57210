// Command load measures the platform under load, on loopback only: it
// starts the whole program in-process on its embedded database (or the
// MongoDB in KNS_MONGODB_URI), seeds learners and certificates, then sends
// requests from concurrent clients and prints throughput, latency
// percentiles, response sizes and the server's memory.
//
//	go run ./tools/load -duration 20s -clients 16
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"kynangso/app/certcode"
	"kynangso/app/config"
	"kynangso/app/platform"
	"kynangso/app/store"
)

func main() {
	duration := flag.Duration("duration", 15*time.Second, "how long each scenario runs")
	clients := flag.Int("clients", 16, "concurrent clients")
	certs := flag.Int("certs", 500, "certificates to seed")
	flag.Parse()
	if err := run(*duration, *clients, *certs); err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

func run(duration time.Duration, clients, certs int) error {
	dir, err := os.MkdirTemp("", "kns-load-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	base := "http://" + ln.Addr().String()
	cfg := &config.Config{Addr: ln.Addr().String(), DataDir: dir, MongoURI: os.Getenv("KNS_MONGODB_URI"),
		Database: "kns_load", BaseURL: base, LogLevel: slog.LevelError, VerifyLimit: 0}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	ctx := context.Background()
	p, err := platform.Start(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer p.Close()
	defer p.Store.Drop(ctx)
	go func() { _ = p.App.Listener(ln) }()

	codes, err := seed(ctx, p, certs)
	if err != nil {
		return err
	}
	course := p.Courses.Courses[0]
	fmt.Printf("platform on %s, %d certificates seeded, %d clients, %s per scenario, GOMAXPROCS=%d\n\n",
		base, len(codes), clients, duration, runtime.GOMAXPROCS(0))
	fmt.Printf("%-22s %9s %8s %8s %8s %8s %9s\n", "scenario", "req/s", "p50 ms", "p95 ms", "p99 ms", "errors", "bytes")
	scenarios := []struct {
		name string
		path func(i int) string
	}{
		{"verify page /v/{code}", func(i int) string { return "/v/" + certcode.Format(codes[i%len(codes)]) }},
		{"verify JSON", func(i int) string { return "/api/v1/verify/" + codes[i%len(codes)] }},
		{"unknown code", func(i int) string { return "/v/0000-0000-0000" }},
		{"lesson page", func(i int) string {
			return "/courses/" + course.ID + "/lessons/" + course.Lessons[i%len(course.Lessons)].ID
		}},
		{"catalogue /", func(i int) string { return "/" }},
		{"QR PNG", func(i int) string { return "/certificates/" + codes[i%len(codes)] + "/qr.png" }},
	}
	for _, sc := range scenarios {
		r := hammer(base, clients, duration, sc.path)
		fmt.Printf("%-22s %9.0f %8.2f %8.2f %8.2f %8d %9d\n", sc.name, r.rate, r.p(50), r.p(95), r.p(99), r.errors, r.size)
	}
	var m runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m)
	fmt.Printf("\nheap in use after the run: %.1f MiB (server and load clients share the process)\n", float64(m.HeapInuse)/(1<<20))
	return nil
}

// seed inserts learners and their certificates straight into the store.
func seed(ctx context.Context, p *platform.Platform, n int) ([]string, error) {
	codes := make([]string, 0, n)
	course := p.Courses.Courses[0].ID
	for i := range n {
		u := &store.User{ID: store.NewID(), Name: fmt.Sprintf("Nguyễn Văn Thử %d", i), Phone: fmt.Sprintf("09%08d", i),
			Role: store.RoleLearner, Province: "1", Commune: "4", Created: time.Now()}
		if err := p.Store.CreateUser(ctx, u); err != nil {
			return nil, err
		}
		c := &store.Certificate{Code: certcode.New(), UserID: u.ID, Course: course, Holder: u.Name, Score: 90,
			IssuedAt: time.Now(), Commune: "4", Status: store.CertValid}
		if _, _, err := p.Store.IssueCertificate(ctx, c, c.IssuedAt); err != nil {
			return nil, err
		}
		codes = append(codes, c.Code)
	}
	return codes, nil
}

type result struct {
	rate   float64
	lat    []time.Duration
	errors int64
	size   int64
}

func (r result) p(q int) float64 {
	if len(r.lat) == 0 {
		return 0
	}
	return float64(r.lat[(len(r.lat)-1)*q/100].Microseconds()) / 1000
}

func hammer(base string, clients int, d time.Duration, path func(int) string) result {
	tr := &http.Transport{MaxIdleConnsPerHost: clients}
	hc := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	defer tr.CloseIdleConnections()
	var (
		mu     sync.Mutex
		all    []time.Duration
		errs   atomic.Int64
		size   atomic.Int64
		seq    atomic.Int64
		wg     sync.WaitGroup
		cutoff = time.Now().Add(d)
	)
	start := time.Now()
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var lat []time.Duration
			for time.Now().Before(cutoff) {
				i := int(seq.Add(1))
				t0 := time.Now()
				res, err := hc.Get(base + path(i))
				if err != nil {
					errs.Add(1)
					continue
				}
				n, _ := io.Copy(io.Discard, res.Body)
				res.Body.Close()
				lat = append(lat, time.Since(t0))
				size.Store(n)
				if res.StatusCode >= 500 || (res.StatusCode >= 400 && res.StatusCode != http.StatusNotFound) {
					errs.Add(1)
				}
			}
			mu.Lock()
			all = append(all, lat...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	slices.Sort(all)
	return result{rate: float64(len(all)) / time.Since(start).Seconds(), lat: all, errors: errs.Load(), size: size.Load()}
}
