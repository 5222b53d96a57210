// Package config reads the program's settings from environment variables,
// each with a default, so that no file is needed to start.
package config

import (
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// Config is every setting of the program.
type Config struct {
	Addr       string     // KNS_ADDR
	DataDir    string     // KNS_DATA_DIR
	MongoURI   string     // KNS_MONGODB_URI or MONGODB_URI; empty runs the embedded database
	Database   string     // KNS_DATABASE
	BaseURL    string     // KNS_BASE_URL; printed in QR codes, never taken from requests
	LogLevel   slog.Level // KNS_LOG_LEVEL
	CoursesDir string     // KNS_COURSES_DIR: extra courses beside the built-in ones
	KeyFile    string     // KNS_SIGNING_KEY_FILE: Ed25519 key for credentials instead of a generated one
	// KNS_SECRET_KEY (or KNS_SECRET_KEY_FILE): seals the signing keys kept
	// in the database; every instance on one database needs the same. On
	// the embedded store it may be left out: one is made in the data
	// folder.
	SecretKey string
	// KNS_TRUSTED_PROXIES: addresses or CIDR ranges of the reverse proxies
	// in front; from them only, the client's address is taken from the
	// X-Real-IP header, which the proxy must set (overwriting any sent).
	TrustedProxies []string
	// KNS_VERIFY_LIMIT: certificate checks a client may make per minute;
	// 0 turns the limit off (for load tests).
	VerifyLimit int
	// KNS_METRICS_ADDR: where GET /metrics (Prometheus) is served, on a
	// listener of its own; empty serves no metrics.
	MetricsAddr string
	// KNS_LOG_FORMAT: "text" (key=value) or "json".
	LogFormat string
	// KNS_BACKUP_DIR, KNS_BACKUP_EVERY, KNS_BACKUP_KEEP: scheduled backups
	// of the embedded database into a folder, every so often, keeping the
	// newest so many. No folder, no scheduled backups.
	BackupDir   string
	BackupEvery time.Duration
	BackupKeep  int
	// Now is the clock, for tests that must start at a window's beginning
	// (rate limits count in fixed windows); nil is the real one. No
	// environment variable sets it.
	Now func() time.Time
}

// Load reads the environment. It fails on a value it cannot use, naming it.
func Load() (*Config, error) { return load(os.Getenv) }

func load(env func(string) string) (*Config, error) {
	get := func(name, def string) string {
		if v := strings.TrimSpace(env(name)); v != "" {
			return v
		}
		// A secret may come from a file, as container platforms mount them.
		if f := env(name + "_FILE"); f != "" {
			if b, err := os.ReadFile(f); err == nil {
				return strings.TrimSpace(string(b))
			}
		}
		return def
	}
	var err error
	c := &Config{
		Addr:       get("KNS_ADDR", ":3000"),
		DataDir:    get("KNS_DATA_DIR", "./data"),
		MongoURI:   get("KNS_MONGODB_URI", get("MONGODB_URI", "")),
		Database:   get("KNS_DATABASE", "kynangso"),
		CoursesDir: get("KNS_COURSES_DIR", ""),
		KeyFile:    get("KNS_SIGNING_KEY_FILE", ""),
		SecretKey:  get("KNS_SECRET_KEY", ""),
	}
	if c.SecretKey != "" && len(c.SecretKey) < 32 {
		return nil, fmt.Errorf("KNS_SECRET_KEY: want at least 32 characters (for example the output of: openssl rand -hex 32)")
	}
	for _, p := range strings.Split(get("KNS_TRUSTED_PROXIES", ""), ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		if _, _, err := net.ParseCIDR(p); err != nil && net.ParseIP(p) == nil {
			return nil, fmt.Errorf("KNS_TRUSTED_PROXIES: %q is not an IP address or CIDR range", p)
		}
		c.TrustedProxies = append(c.TrustedProxies, p)
	}
	if c.VerifyLimit, err = strconv.Atoi(get("KNS_VERIFY_LIMIT", "30")); err != nil || c.VerifyLimit < 0 {
		return nil, fmt.Errorf("KNS_VERIFY_LIMIT: want a number of checks per minute, 0 for none")
	}
	c.MetricsAddr = get("KNS_METRICS_ADDR", "")
	if c.MetricsAddr != "" {
		if _, _, err := net.SplitHostPort(c.MetricsAddr); err != nil {
			return nil, fmt.Errorf("KNS_METRICS_ADDR %q: want host:port, for example 127.0.0.1:9464", c.MetricsAddr)
		}
	}
	if c.LogFormat = get("KNS_LOG_FORMAT", "text"); c.LogFormat != "text" && c.LogFormat != "json" {
		return nil, fmt.Errorf("KNS_LOG_FORMAT: want text or json")
	}
	c.BackupDir = get("KNS_BACKUP_DIR", "")
	if c.BackupEvery, err = time.ParseDuration(get("KNS_BACKUP_EVERY", "6h")); err != nil || c.BackupEvery < time.Minute {
		return nil, fmt.Errorf("KNS_BACKUP_EVERY: want a duration of at least 1m, for example 6h or 30m")
	}
	if c.BackupKeep, err = strconv.Atoi(get("KNS_BACKUP_KEEP", "14")); err != nil || c.BackupKeep < 1 {
		return nil, fmt.Errorf("KNS_BACKUP_KEEP: want the number of backups to keep, at least 1")
	}
	if err := c.LogLevel.UnmarshalText([]byte(get("KNS_LOG_LEVEL", "info"))); err != nil {
		return nil, fmt.Errorf("KNS_LOG_LEVEL: want debug, info, warn or error: %w", err)
	}
	_, port, err := net.SplitHostPort(c.Addr)
	if err != nil {
		return nil, fmt.Errorf("KNS_ADDR %q: want host:port or :port: %w", c.Addr, err)
	}
	c.BaseURL = strings.TrimRight(get("KNS_BASE_URL", "http://localhost:"+port), "/")
	u, err := url.Parse(c.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("KNS_BASE_URL %q: want an absolute http(s) URL", c.BaseURL)
	}
	return c, nil
}

// Secure tells whether the public site is served over TLS, so cookies must
// be marked Secure.
func (c *Config) Secure() bool { return strings.HasPrefix(c.BaseURL, "https://") }
