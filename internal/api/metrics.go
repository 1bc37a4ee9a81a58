package api

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"wangge/internal/store"
)

// metrics are the server's Prometheus series, in a registry of its own (one
// per Server, so tests can build many). They are served by MetricsHandler on
// a separate listen address, never on the public one.
type metrics struct {
	reg          *prometheus.Registry
	requests     *prometheus.CounterVec
	latency      *prometheus.HistogramVec
	failedLogins prometheus.Counter
}

func newMetrics(s *Server) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wangge_http_requests_total", Help: "HTTP requests by method, route template and status.",
		}, []string{"method", "route", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "wangge_http_request_duration_seconds", Help: "HTTP request latency by method and route template.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"method", "route"}),
		failedLogins: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "wangge_login_failures_total", Help: "Refused logins (wrong username or password).",
		}),
	}
	m.reg.MustRegister(m.requests, m.latency, m.failedLogins,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		&dbCollector{s: s})
	return m
}

// middleware counts every request under its route template (c.Path(), so
// /api/grids/:code is one series, not one per grid); unmatched paths share
// one label.
func (m *metrics) middleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		route := c.Path()
		if route == "" {
			route = "unmatched"
		}
		method := c.Request().Method
		m.requests.WithLabelValues(method, route, strconv.Itoa(c.Response().Status)).Inc()
		m.latency.WithLabelValues(method, route).Observe(time.Since(start).Seconds())
		return err
	}
}

// requestIDToSQL hands the request id to the store, which puts it in the
// database session's application_name (store.WithRequestID).
func requestIDToSQL(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		c.SetRequest(r.WithContext(store.WithRequestID(r.Context(), c.Response().Header().Get(echo.HeaderXRequestID))))
		return next(c)
	}
}

// MetricsHandler serves /metrics in the Prometheus text format.
func (s *Server) MetricsHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{}))
	return mux
}

var (
	poolDesc = map[string]*prometheus.Desc{
		"total":    prometheus.NewDesc("wangge_db_pool_connections", "Database pool connections by state.", []string{"state"}, nil),
		"max":      prometheus.NewDesc("wangge_db_pool_max_connections", "Largest size of the database pool.", nil, nil),
		"acquires": prometheus.NewDesc("wangge_db_pool_acquires_total", "Connections acquired from the pool.", nil, nil),
		"empty":    prometheus.NewDesc("wangge_db_pool_empty_acquires_total", "Acquires that had to wait for a connection.", nil, nil),
		"wait":     prometheus.NewDesc("wangge_db_pool_acquire_wait_seconds_total", "Time spent waiting for a connection.", nil, nil),
	}
	tileDesc = map[string]*prometheus.Desc{
		"events":  prometheus.NewDesc("wangge_tile_cache_events_total", "Tile cache lookups and upkeep by event.", []string{"event"}, nil),
		"bytes":   prometheus.NewDesc("wangge_tile_cache_bytes", "Bytes held by the tile cache.", nil, nil),
		"entries": prometheus.NewDesc("wangge_tile_cache_entries", "Tiles held by the tile cache.", nil, nil),
	}
	lookupDesc = map[string]*prometheus.Desc{
		"grids":   prometheus.NewDesc("wangge_lookup_grids", "Grids in this instance's in-memory lookup index.", nil, nil),
		"loaded":  prometheus.NewDesc("wangge_lookup_loaded_timestamp_seconds", "When the lookup index was last loaded in full.", nil, nil),
		"changed": prometheus.NewDesc("wangge_lookup_changed_timestamp_seconds", "When the lookup index last applied a unit or staff change.", nil, nil),
	}
	lagDesc   = prometheus.NewDesc("wangge_change_lag_seconds", "Time for a change event sent now to be applied by this instance's tiles (map) and lookups (lookup): a sync marker's round trip through NOTIFY, the change queue and, with a replica, its replay.", []string{"consumer"}, nil)
	queueDesc = prometheus.NewDesc("wangge_job_queue_available", "River jobs waiting to run (state available), by queue.", []string{"queue"}, nil)
)

// dbCollector reads the pool, the tile cache and the job queue at scrape
// time (nothing to keep current between scrapes).
type dbCollector struct{ s *Server }

func (d *dbCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, m := range []map[string]*prometheus.Desc{poolDesc, tileDesc, lookupDesc} {
		for _, desc := range m {
			ch <- desc
		}
	}
	ch <- queueDesc
	ch <- lagDesc
}

func (d *dbCollector) Collect(ch chan<- prometheus.Metric) {
	gauge, counter := prometheus.GaugeValue, prometheus.CounterValue
	pool := d.s.opt.Store.Pool()
	st := pool.Stat()
	ch <- prometheus.MustNewConstMetric(poolDesc["total"], gauge, float64(st.AcquiredConns()), "acquired")
	ch <- prometheus.MustNewConstMetric(poolDesc["total"], gauge, float64(st.IdleConns()), "idle")
	ch <- prometheus.MustNewConstMetric(poolDesc["total"], gauge, float64(st.ConstructingConns()), "constructing")
	ch <- prometheus.MustNewConstMetric(poolDesc["max"], gauge, float64(st.MaxConns()))
	ch <- prometheus.MustNewConstMetric(poolDesc["acquires"], counter, float64(st.AcquireCount()))
	ch <- prometheus.MustNewConstMetric(poolDesc["empty"], counter, float64(st.EmptyAcquireCount()))
	ch <- prometheus.MustNewConstMetric(poolDesc["wait"], counter, st.AcquireDuration().Seconds())

	tc := d.s.opt.Map.Cache().Stats()
	for ev, n := range map[string]uint64{"hit": tc.Hits, "miss": tc.Misses, "render": tc.Renders, "eviction": tc.Evictions, "invalidation": tc.Invalidations} {
		ch <- prometheus.MustNewConstMetric(tileDesc["events"], counter, float64(n), ev)
	}
	ch <- prometheus.MustNewConstMetric(tileDesc["bytes"], gauge, float64(tc.Bytes))
	ch <- prometheus.MustNewConstMetric(tileDesc["entries"], gauge, float64(tc.Entries))

	ch <- prometheus.MustNewConstMetric(lookupDesc["grids"], gauge, float64(d.s.opt.Lookup.Len()))
	if loaded, changed := d.s.opt.Lookup.Age(); !loaded.IsZero() {
		ch <- prometheus.MustNewConstMetric(lookupDesc["loaded"], gauge, float64(loaded.UnixNano())/1e9)
		ch <- prometheus.MustNewConstMetric(lookupDesc["changed"], gauge, float64(changed.UnixNano())/1e9)
	}
	d.collectLag(ch)

	// river_job's (state, queue, priority, scheduled_at, id) index answers
	// this without a scan of finished jobs.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	rows, err := pool.Query(ctx, `SELECT queue, count(*) FROM river_job WHERE state = 'available' GROUP BY queue`)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(queueDesc, err)
		return
	}
	defer rows.Close()
	seen := false
	for rows.Next() {
		var q string
		var n int64
		if err := rows.Scan(&q, &n); err != nil {
			ch <- prometheus.NewInvalidMetric(queueDesc, err)
			return
		}
		seen = true
		ch <- prometheus.MustNewConstMetric(queueDesc, gauge, float64(n), q)
	}
	if !seen {
		ch <- prometheus.MustNewConstMetric(queueDesc, gauge, 0, "default")
	}
}

// collectLag measures the change-event lag at scrape time: a sync marker
// sent now, timed until each consumer has applied it (one NOTIFY per
// consumer and scrape). A consumer stuck for 5 s reports an invalid metric.
func (d *dbCollector) collectLag(ch chan<- prometheus.Metric) {
	for _, c := range []struct {
		name string
		sync func(context.Context) error
	}{{"map", d.s.opt.Map.Sync}, {"lookup", d.s.opt.Lookup.Sync}} {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		start := time.Now()
		err := c.sync(ctx)
		cancel()
		if err != nil {
			ch <- prometheus.NewInvalidMetric(lagDesc, err)
			continue
		}
		ch <- prometheus.MustNewConstMetric(lagDesc, prometheus.GaugeValue, time.Since(start).Seconds(), c.name)
	}
}
