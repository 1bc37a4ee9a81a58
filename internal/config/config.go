// Package config reads wangge's settings from the environment once, at start.
package config

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"wangge/internal/media"
	"wangge/internal/pglocal"
)

// Config holds every setting; see README "Configuration".
type Config struct {
	Addr           string        // WANGGE_ADDR, default :8080
	MetricsAddr    string        // WANGGE_METRICS_ADDR: where /metrics is served; empty: not served
	DatabaseURL    string        // DATABASE_URL; empty: the private cluster
	ReadURL        string        // DATABASE_READ_URL: a hot standby of DatabaseURL for map, lookup, OGC and report reads; empty: none
	PGDataDir      string        // WANGGE_PGDATA, default <repo>/.pgdata
	PGPort         int           // WANGGE_PG_PORT, default derived from PGDataDir (25000–25899)
	BodyLimit      int64         // WANGGE_BODY_LIMIT_MB, default 32 (MiB)
	RequestTimeout time.Duration // WANGGE_REQUEST_TIMEOUT, default 30s
	BasemapURL     string        // WANGGE_BASEMAP_URL, an XYZ raster tile template; empty: no basemap
	BasemapCRS     string        // WANGGE_BASEMAP_CRS: wgs84 (default; also CGCS2000) or gcj02 (served shifted onto WGS-84)
	PublicURL      string        // WANGGE_PUBLIC_URL, the base of links in OGC answers, TileJSON and QR codes; empty: the request's host
	LogLevel       string        // WANGGE_LOG_LEVEL: debug, info, warn, error
	PositionMaxAge time.Duration // WANGGE_POSITION_MAX_AGE, default 30m: older last positions are not shown
	ChangeFeedDays int           // WANGGE_CHANGE_FEED_DAYS, default 90: how long the change feed keeps a change
	// WANGGE_LOGIN_PER_MINUTE, default 10 (burst twice that): login attempts
	// per client address; a street office behind one NAT address needs more.
	LoginPerMinute int
	// WANGGE_TRUSTED_PROXIES: comma-separated addresses or CIDR ranges of the
	// reverse proxies whose X-Forwarded-For is believed; empty: none, the
	// client address is the connection's.
	TrustedProxies []*net.IPNet
	// WANGGE_MEDIA_S3_ENDPOINT (host:port), _BUCKET, _ACCESS_KEY,
	// _SECRET_KEY, _REGION, _USE_SSL (default true): photos in an
	// S3-compatible bucket; no endpoint: in PostgreSQL's media table.
	MediaS3 media.S3Config
}

// Load parses the environment and validates it.
func Load() (Config, error) {
	c := Config{
		Addr:           env("WANGGE_ADDR", ":8080"),
		MetricsAddr:    os.Getenv("WANGGE_METRICS_ADDR"),
		DatabaseURL:    os.Getenv("DATABASE_URL"),
		ReadURL:        os.Getenv("DATABASE_READ_URL"),
		PGDataDir:      env("WANGGE_PGDATA", filepath.Join(RepoRoot(), ".pgdata")),
		BasemapURL:     os.Getenv("WANGGE_BASEMAP_URL"),
		BasemapCRS:     env("WANGGE_BASEMAP_CRS", "wgs84"),
		PublicURL:      strings.TrimRight(os.Getenv("WANGGE_PUBLIC_URL"), "/"),
		LogLevel:       env("WANGGE_LOG_LEVEL", "info"),
		BodyLimit:      32 << 20,
		RequestTimeout: 30 * time.Second,
		PositionMaxAge: 30 * time.Minute,
		ChangeFeedDays: 90,
		LoginPerMinute: 10,
	}
	c.PGPort = DefaultPGPort(c.PGDataDir)
	var errs []error
	if v := os.Getenv("WANGGE_PG_PORT"); v != "" {
		p, err := strconv.Atoi(v)
		if err != nil || p < 1 || p > 65535 {
			errs = append(errs, fmt.Errorf("WANGGE_PG_PORT=%q: want a port number", v))
		}
		c.PGPort = p
	}
	switch c.BasemapCRS {
	case "wgs84", "cgcs2000", "gcj02":
	default:
		errs = append(errs, fmt.Errorf("WANGGE_BASEMAP_CRS=%q: want wgs84, cgcs2000 or gcj02", c.BasemapCRS))
	}
	for _, v := range strings.Split(os.Getenv("WANGGE_TRUSTED_PROXIES"), ",") {
		if v = strings.TrimSpace(v); v == "" {
			continue
		}
		if !strings.Contains(v, "/") {
			if ip := net.ParseIP(v); ip != nil && ip.To4() != nil {
				v += "/32"
			} else {
				v += "/128"
			}
		}
		_, n, err := net.ParseCIDR(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("WANGGE_TRUSTED_PROXIES: %q: want an address or a CIDR range", v))
			continue
		}
		c.TrustedProxies = append(c.TrustedProxies, n)
	}
	if v := os.Getenv("WANGGE_BODY_LIMIT_MB"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			errs = append(errs, fmt.Errorf("WANGGE_BODY_LIMIT_MB=%q: want a positive number", v))
		}
		c.BodyLimit = int64(n) << 20
	}
	if v := os.Getenv("WANGGE_REQUEST_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			errs = append(errs, fmt.Errorf("WANGGE_REQUEST_TIMEOUT=%q: want a duration such as 30s", v))
		}
		c.RequestTimeout = d
	}
	if v := os.Getenv("WANGGE_POSITION_MAX_AGE"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 || d > 24*time.Hour {
			errs = append(errs, fmt.Errorf("WANGGE_POSITION_MAX_AGE=%q: want a duration such as 30m, at most 24h", v))
		}
		c.PositionMaxAge = d
	}
	if v := os.Getenv("WANGGE_CHANGE_FEED_DAYS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 3650 {
			errs = append(errs, fmt.Errorf("WANGGE_CHANGE_FEED_DAYS=%q: want a number of days, 1–3650", v))
		}
		c.ChangeFeedDays = n
	}
	if v := os.Getenv("WANGGE_LOGIN_PER_MINUTE"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100000 {
			errs = append(errs, fmt.Errorf("WANGGE_LOGIN_PER_MINUTE=%q: want a number of attempts, 1–100000", v))
		}
		c.LoginPerMinute = n
	}
	if v := os.Getenv("WANGGE_MEDIA_S3_ENDPOINT"); v != "" {
		c.MediaS3 = media.S3Config{Endpoint: v, Bucket: os.Getenv("WANGGE_MEDIA_S3_BUCKET"),
			AccessKey: os.Getenv("WANGGE_MEDIA_S3_ACCESS_KEY"), SecretKey: os.Getenv("WANGGE_MEDIA_S3_SECRET_KEY"),
			Region: os.Getenv("WANGGE_MEDIA_S3_REGION"), UseSSL: true}
		if strings.Contains(v, "://") || strings.Contains(v, "/") {
			errs = append(errs, fmt.Errorf("WANGGE_MEDIA_S3_ENDPOINT=%q: want host:port, without scheme or path (WANGGE_MEDIA_S3_USE_SSL chooses https)", v))
		}
		if c.MediaS3.Bucket == "" || c.MediaS3.AccessKey == "" || c.MediaS3.SecretKey == "" {
			errs = append(errs, errors.New("WANGGE_MEDIA_S3_ENDPOINT is set: WANGGE_MEDIA_S3_BUCKET, _ACCESS_KEY and _SECRET_KEY are needed too"))
		}
		if v := os.Getenv("WANGGE_MEDIA_S3_USE_SSL"); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("WANGGE_MEDIA_S3_USE_SSL=%q: want true or false", v))
			}
			c.MediaS3.UseSSL = b
		}
	}
	if err := c.ValidateAddr(); err != nil {
		errs = append(errs, err)
	}
	if c.MetricsAddr != "" {
		if _, _, err := net.SplitHostPort(c.MetricsAddr); err != nil {
			errs = append(errs, fmt.Errorf("WANGGE_METRICS_ADDR=%q: want HOST:PORT, e.g. 127.0.0.1:9108", c.MetricsAddr))
		}
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("WANGGE_LOG_LEVEL=%q: want debug, info, warn or error", c.LogLevel))
	}
	return c, errors.Join(errs...)
}

// DefaultPGPort derives the private cluster's port from its data directory,
// so two checkouts on one machine (a developer's and CI's) never share one.
// It lies below Linux's ephemeral range (32768–60999): an outgoing
// connection's local port can never hold it when the cluster starts (seen
// with 55390 while tests talked to another cluster).
func DefaultPGPort(dataDir string) int {
	abs, err := filepath.Abs(dataDir)
	if err != nil {
		abs = dataDir
	}
	h := fnv.New32a()
	h.Write([]byte(abs))
	return 25000 + int(h.Sum32()%900)
}

// ValidateAddr checks that Addr is HOST:PORT.
func (c Config) ValidateAddr() error {
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return fmt.Errorf("listen address %q: want HOST:PORT or :PORT", c.Addr)
	}
	return nil
}

func env(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// RepoRoot is the nearest directory at or above the working directory that
// holds go.mod, or the working directory when there is none (an installed
// binary): the private cluster lives next to the checkout it serves.
func RepoRoot() string {
	wd, err := os.Getwd()
	if err != nil {
		return "."
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if d == filepath.Dir(d) {
			return wd
		}
	}
}

// Cluster describes the private PostgreSQL cluster used when DatabaseURL is empty.
func (c Config) Cluster(logf func(string, ...any)) pglocal.Cluster {
	return pglocal.Cluster{Dir: c.PGDataDir, Port: c.PGPort, Database: "wangge", Log: logf}
}

// DSN is the one resolution of the database: DATABASE_URL when set, else the
// private cluster's, brought up if needed (logf reports its progress).
func (c Config) DSN(ctx context.Context, logf func(string, ...any)) (string, error) {
	if c.DatabaseURL != "" {
		return c.DatabaseURL, nil
	}
	return c.Cluster(logf).Ensure(ctx)
}
