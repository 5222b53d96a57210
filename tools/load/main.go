// Command load measures the platform under load, on loopback only. It
// seeds a fresh data folder with N learners (teams of about a hundred in
// real communes, their progress, graded attempts, certificates for about
// 40% of them and checks of those, a live session each, one admin),
// written straight into the embedded database; then starts the server as a
// child process on that folder (the same binary, re-executed with
// KNS_LOAD_CHILD=1, so the server's memory is its own); then sends each
// route requests from concurrent clients for a while and prints, per
// route, latency percentiles, requests per second and errors, and after
// them the server's memory and the database's size per learner.
//
//	go run ./tools/load -seed 1000 -duration 3s
//	go run ./tools/load -seed 100000 -duration 10s -clients 8 -json
//	go run ./tools/load -seed 100000 -keep     # keep the data folder
//	go run ./tools/load -seed 100000 -routes healthz,province,commune,ranking
//	go run ./tools/load -seed 100000 -pprof /tmp/prof   # server CPU profile per route
//	go tool pprof -top /tmp/prof/team.pprof
//
// With -json the last line of standard output is one JSON object:
//
//	{"learners": N, "seed_seconds": …, "rss_mb": …, "peak_rss_mb": …,
//	 "db_bytes_per_learner": …, "routes": {"healthz": {"p50_ms": …,
//	 "p95_ms": …, "rps": …, "errors": …}, …}}
//
// An error is a transport error or any answer but the one the route
// expects (a 5xx, an unexpected 4xx, a redirect to the login page); the
// first few of each route are described on standard error. Each route runs
// for -duration and at most -max requests.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"kynangso/app/platform"
)

// childEnv marks the re-executed binary that runs the server; pprofEnv
// gives it a loopback address to serve its CPU profile on (-pprof).
const (
	childEnv = "KNS_LOAD_CHILD"
	pprofEnv = "KNS_LOAD_PPROF"
)

func main() {
	if os.Getenv(childEnv) == "1" {
		if addr := os.Getenv(pprofEnv); addr != "" {
			// -pprof: the server's CPU profile, on loopback.
			mux := http.NewServeMux()
			mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
			go func() { _ = http.ListenAndServe(addr, mux) }()
		}
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		err := platform.Run(ctx, nil)
		stop()
		if err != nil {
			fmt.Fprintln(os.Stderr, "load (server):", err)
			os.Exit(1)
		}
		return
	}
	var o options
	flag.IntVar(&o.learners, "seed", 1000, "learners to seed (at least 100)")
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "how long each route runs")
	flag.IntVar(&o.clients, "clients", 8, "concurrent clients")
	flag.IntVar(&o.max, "max", 200_000, "most requests per route")
	flag.BoolVar(&o.json, "json", false, "end the output with one line of JSON")
	flag.BoolVar(&o.keep, "keep", false, "keep the data folder")
	flag.Uint64Var(&o.randSeed, "rand", 1, "seed of the generated data")
	flag.StringVar(&o.only, "routes", "", "run only these routes, by `name`s separated by commas (all when empty)")
	flag.StringVar(&o.pprofDir, "pprof", "", "write the server's CPU profile during each route to `DIR`/<route>.pprof")
	flag.Parse()
	if o.learners < 100 || o.clients < 1 || o.duration <= 0 || o.max < 1 {
		fmt.Fprintln(os.Stderr, "load: want -seed ≥ 100, -clients ≥ 1, -duration > 0, -max ≥ 1")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, o)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

type options struct {
	learners, clients, max int
	duration               time.Duration
	json, keep             bool
	randSeed               uint64
	pprofDir, only         string
}

// report is the -json line.
type report struct {
	Learners          int                    `json:"learners"`
	SeedSeconds       float64                `json:"seed_seconds"`
	RSSMB             float64                `json:"rss_mb"`
	PeakRSSMB         float64                `json:"peak_rss_mb"`
	DBBytesPerLearner float64                `json:"db_bytes_per_learner"`
	Routes            map[string]routeReport `json:"routes"`
}

type routeReport struct {
	P50    float64 `json:"p50_ms"`
	P95    float64 `json:"p95_ms"`
	RPS    float64 `json:"rps"`
	Errors int64   `json:"errors"`
}

func run(ctx context.Context, o options) (err error) {
	dir, err := os.MkdirTemp("", "kns-load-")
	if err != nil {
		return err
	}
	if o.keep {
		defer fmt.Fprintln(os.Stderr, "data folder kept:", dir)
	} else {
		defer os.RemoveAll(dir)
	}

	fmt.Printf("seeding %d learners into %s …\n", o.learners, dir)
	sd, err := seed(ctx, dir, o.learners, o.randSeed)
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	fmt.Printf("seeded in %.1f s: %d records, %.0f rows/s (%d teams, %d certificates)\n %s\n",
		sd.Seconds, sd.Records, float64(sd.Records)/sd.Seconds, sd.Teams, sd.Certificates, countsLine(sd.Counts))

	if o.pprofDir != "" {
		if err := os.MkdirAll(o.pprofDir, 0o755); err != nil {
			return err
		}
	}
	srv, err := startServer(ctx, dir, o.pprofDir != "")
	if err != nil {
		return err
	}
	defer func() {
		if e := srv.stop(); e != nil && err == nil {
			err = e
		}
	}()
	fmt.Printf("server pid %d on %s (started in %.1f s), %d clients, %s per route, at most %d requests, load GOMAXPROCS=%d\n\n",
		srv.cmd.Process.Pid, srv.base, srv.startup.Seconds(), o.clients, o.duration, o.max, runtime.GOMAXPROCS(0))

	rep := report{Learners: o.learners, SeedSeconds: round(sd.Seconds, 2), Routes: map[string]routeReport{}}
	fmt.Printf("%-15s %9s %9s %8s %8s %8s %7s %9s %9s\n", "route", "requests", "req/s", "p50 ms", "p95 ms", "p99 ms", "errors", "bytes", "peak MiB")
	for _, rt := range routes(srv.base, sd) {
		if o.only != "" && !slices.Contains(strings.Split(o.only, ","), rt.name) {
			continue
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if srv.exited() {
			return errors.New("the server stopped during the run")
		}
		prof := srv.profile(rt.name, o.duration, o.pprofDir)
		r := hammer(ctx, srv.base, rt, o.clients, o.duration, o.max)
		if err := prof(); err != nil {
			fmt.Fprintf(os.Stderr, "  %s: profile: %v\n", rt.name, err)
		}
		// The server's peak memory so far: which route raised it.
		_, hwm, err := memoryOf(srv.cmd.Process.Pid)
		if err != nil {
			return err
		}
		fmt.Printf("%-15s %9d %9.1f %8.2f %8.2f %8.2f %7d %9d %9.1f\n", rt.name, len(r.lat), r.rate, r.p(50), r.p(95), r.p(99), r.errors, r.size, float64(hwm)/1024)
		for _, s := range r.samples {
			fmt.Fprintf(os.Stderr, "  %s: %s\n", rt.name, s)
		}
		rep.Routes[rt.name] = routeReport{P50: round(r.p(50), 3), P95: round(r.p(95), 3), RPS: round(r.rate, 1), Errors: r.errors}
	}

	rss, hwm, err := memoryOf(srv.cmd.Process.Pid)
	if err != nil {
		return err
	}
	var dbBytes int64
	for _, f := range []string{"kynangso.db", "kynangso.db-wal"} {
		if fi, err := os.Stat(filepath.Join(dir, f)); err == nil {
			dbBytes += fi.Size()
		}
	}
	rep.RSSMB, rep.PeakRSSMB = round(float64(rss)/1024, 1), round(float64(hwm)/1024, 1)
	rep.DBBytesPerLearner = round(float64(dbBytes)/float64(o.learners), 0)
	fmt.Printf("\nserver memory after the run: %.1f MiB resident, %.1f MiB at peak\n", rep.RSSMB, rep.PeakRSSMB)
	fmt.Printf("database: %.1f MiB (with its WAL), %.0f bytes per learner\n", float64(dbBytes)/(1<<20), rep.DBBytesPerLearner)
	if o.json {
		b, err := json.Marshal(rep)
		if err != nil {
			return err
		}
		fmt.Println(string(b))
	}
	return nil
}

func round(x float64, places int) float64 {
	p := math.Pow(10, float64(places))
	return math.Round(x*p) / p
}

// server is the platform running as a child process.
type server struct {
	cmd     *exec.Cmd
	base    string
	pprof   string // the profile's address, with -pprof
	startup time.Duration
	done    chan struct{} // closed when the process has exited
	waitErr error
}

// startServer runs this binary again as the platform on dir, on a free
// loopback port, and waits until it answers /healthz.
func startServer(ctx context.Context, dir string, profile bool) (*server, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	var pprofAddr string
	if profile {
		if ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			return nil, err
		}
		pprofAddr = ln.Addr().String()
		_ = ln.Close()
	}

	// The child's settings are ours alone: none of the caller's KNS_*
	// (a MongoDB URI would send the server elsewhere).
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "KNS_") && !strings.HasPrefix(kv, "MONGODB_URI=") {
			env = append(env, kv)
		}
	}
	env = append(env, childEnv+"=1", "KNS_DATA_DIR="+dir, "KNS_ADDR="+addr, "KNS_BASE_URL=http://"+addr,
		"KNS_LOG_LEVEL=error", "KNS_VERIFY_LIMIT=0")
	if profile {
		env = append(env, pprofEnv+"="+pprofAddr)
	}
	cmd := exec.Command(exe)
	cmd.Env = env
	// Should this process die without stopping it, the server goes too.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	// Whatever the server prints goes to standard error, so that the
	// JSON stays the last line of standard output.
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start the server: %w", err)
	}
	s := &server{cmd: cmd, base: "http://" + addr, pprof: pprofAddr, done: make(chan struct{})}
	go func() { s.waitErr = cmd.Wait(); close(s.done) }()

	hc := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(90 * time.Second)
	for {
		res, err := hc.Get(s.base + "/healthz")
		if err == nil {
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				s.startup = time.Since(t0)
				hc.CloseIdleConnections()
				return s, nil
			}
		}
		select {
		case <-s.done:
			return nil, fmt.Errorf("the server exited before it answered: %v", s.waitErr)
		case <-ctx.Done():
			_ = s.stop()
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			_ = s.stop()
			return nil, errors.New("the server did not answer /healthz within 90 s")
		}
	}
}

// profile starts taking the server's CPU profile for d (whole seconds,
// rounded up) into dir/name.pprof; the function returned waits for it.
// Without -pprof it does nothing.
func (s *server) profile(name string, d time.Duration, dir string) func() error {
	if s.pprof == "" || dir == "" {
		return func() error { return nil }
	}
	secs := int(math.Ceil(d.Seconds()))
	errc := make(chan error, 1)
	go func() {
		hc := &http.Client{Timeout: time.Duration(secs)*time.Second + 30*time.Second}
		res, err := hc.Get(fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", s.pprof, secs))
		if err != nil {
			errc <- err
			return
		}
		defer res.Body.Close()
		if res.StatusCode != http.StatusOK {
			errc <- fmt.Errorf("status %d", res.StatusCode)
			return
		}
		f, err := os.Create(filepath.Join(dir, name+".pprof"))
		if err != nil {
			errc <- err
			return
		}
		_, err = io.Copy(f, res.Body)
		errc <- errors.Join(err, f.Close())
	}()
	return func() error { return <-errc }
}

func (s *server) exited() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// stop interrupts the server and waits for it to shut down; after 20
// seconds it is killed.
func (s *server) stop() error {
	if s.exited() {
		return nil
	}
	_ = s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.done:
		return nil
	case <-time.After(20 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
		return errors.New("the server did not stop within 20 s of SIGINT; killed")
	}
}

// memoryOf reads a process's resident memory now and at its peak, in KiB.
func memoryOf(pid int) (rss, hwm int64, err error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, 0, fmt.Errorf("server memory: %w", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		name, val, ok := strings.Cut(line, ":")
		if !ok || (name != "VmRSS" && name != "VmHWM") {
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(val), " kB"), 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("server memory: %s: %w", line, err)
		}
		if name == "VmRSS" {
			rss = n
		} else {
			hwm = n
		}
	}
	return rss, hwm, nil
}
