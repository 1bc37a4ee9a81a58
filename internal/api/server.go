// Package api is wangge's HTTP surface: thin Echo handlers that parse, call
// the store or a service, and write. Every failure leaves through one error
// handler in one JSON shape (see apperr).
package api

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"wangge/internal/apperr"
	"wangge/internal/auth"
	"wangge/internal/changes"
	"wangge/internal/hotspots"
	"wangge/internal/lookup"
	"wangge/internal/mapdata"
	"wangge/internal/media"
	"wangge/internal/rastershift"
	"wangge/internal/store"
)

// Options configure the server.
type Options struct {
	Store          *store.Store
	Read           *store.Store     // map, lookup, OGC and report reads: a replica store (store.Replica) or nil: Store
	Changes        *changes.Hub     // unit change events from every instance (NOTIFY); may be nil in tests
	Lookup         *lookup.Service  // in-memory grid lookups; nil: built from Store (subscribed to Changes when set)
	Map            *mapdata.Service // map layers and tile cache; nil: built from Store and Changes
	Static         fs.FS            // the embedded front end
	Logger         *slog.Logger
	BodyLimit      int64 // bytes
	RequestTimeout time.Duration
	ShutdownGrace  time.Duration // for requests in flight at shutdown; default 20s
	BasemapURL     string
	BasemapCRS     string           // "gcj02": BasemapURL is GCJ-02 and is served shifted through /tiles/basemap
	PublicURL      string           // base of links (OGC, TileJSON, QR codes); "": the request's scheme and host
	Clock          func() time.Time // the incidents workflow's clock; nil is time.Now
	PositionMaxAge time.Duration    // last positions older than this are not shown; default 30m
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names the
	// client; none: the connection's address, whatever headers say (so a
	// forged header neither walks around the login limit nor enters the audit).
	TrustedProxies []*net.IPNet

	// Hotspots serves hotspot maps (issue #17); nil: built from Store,
	// subscribed to Changes (its NOTIFY listener is the caller's to start).
	Hotspots *hotspots.Service

	// MediaBucket keeps photos in an S3-compatible object store; nil: in
	// PostgreSQL's media table.
	MediaBucket *media.Bucket

	SessionTTL       time.Duration // default 12h
	LoginPerMinute   float64       // per client address; default 10
	LoginBurst       int           // default 20
	MaxLoginFailures int           // in a row before lock-out; default 5
	LockFor          time.Duration // default 15m
}

// Server holds the handlers' dependencies.
type Server struct {
	opt      Options
	echo     *echo.Echo
	sessions sessionCache
	gis      gisAuth
	hotspots *hotspots.Service
	metrics  *metrics            // Prometheus series (metrics.go)
	basemap  *rastershift.Source // the GCJ-02 basemap served shifted; nil: none
}

// New builds the Echo instance with middleware and every route.
func New(opt Options) *Server {
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if opt.RequestTimeout == 0 {
		opt.RequestTimeout = 30 * time.Second
	}
	if opt.PositionMaxAge == 0 {
		opt.PositionMaxAge = 30 * time.Minute
	}
	if opt.ShutdownGrace == 0 {
		opt.ShutdownGrace = 20 * time.Second
	}
	if opt.BodyLimit == 0 {
		opt.BodyLimit = 32 << 20
	}
	if opt.SessionTTL == 0 {
		opt.SessionTTL = 12 * time.Hour
	}
	if opt.LoginPerMinute == 0 {
		opt.LoginPerMinute, opt.LoginBurst = 10, 20
	}
	if opt.MaxLoginFailures == 0 {
		opt.MaxLoginFailures = 5
	}
	if opt.LockFor == 0 {
		opt.LockFor = 15 * time.Minute
	}
	if opt.Read == nil {
		opt.Read = opt.Store
	}
	if opt.Map == nil {
		opt.Map = mapdata.New(opt.Read, mapdata.Options{Changes: opt.Changes, Logger: opt.Logger})
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	if opt.Lookup == nil {
		opt.Lookup = lookup.New(opt.Read, opt.Logger)
		if opt.Changes != nil {
			opt.Lookup.Subscribe(opt.Changes)
		}
	}
	s := &Server{opt: opt, echo: e, gis: newGISAuth(opt.LoginPerMinute, opt.LoginBurst), hotspots: opt.Hotspots}
	if s.hotspots == nil {
		s.hotspots = hotspots.New(opt.Store, hotspots.Options{Logger: opt.Logger})
		if opt.Changes != nil {
			s.hotspots.Subscribe(opt.Changes)
		}
	}
	if opt.BasemapURL != "" && opt.BasemapCRS == "gcj02" {
		s.basemap = rastershift.New(opt.BasemapURL, &http.Client{Timeout: 10 * time.Second}, 64<<20)
	}
	e.HTTPErrorHandler = s.handleError
	e.IPExtractor = clientIP(opt.TrustedProxies)
	e.Use(middleware.RequestID())
	e.Use(requestIDToSQL)
	e.Use(s.requestLogger())
	s.metrics = newMetrics(s)
	e.Use(s.metrics.middleware)
	e.Use(s.errorsToJSON)
	e.Use(middleware.RecoverWithConfig(middleware.RecoverConfig{DisableStackAll: true, LogErrorFunc: s.logPanic}))
	e.Use(middleware.BodyLimit(fmt.Sprintf("%dB", opt.BodyLimit)))
	e.Use(securityHeaders)
	e.Use(validText)
	e.Use(middleware.ContextTimeout(opt.RequestTimeout))
	e.Use(s.readYourWrites)
	s.routes()
	return s
}

// routes registers every endpoint: the whole API on one screen.
func (s *Server) routes() {
	e := s.echo
	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)

	e.GET("/api/config", s.clientConfig)
	// The API's OpenAPI contract and its reference page (apidocs.go), no login.
	e.GET("/api/openapi.json", s.openAPIDoc)
	e.GET("/api/docs", s.apiDocs)
	e.POST("/api/login", s.login, loginLimiter(s.gis.logins))

	// Everything else under /api needs a login, and a role allowed the action.
	// (Middleware per route, not per group: a group's middleware turns 405 into 404.)
	api := e.Group("/api")
	api.POST("/logout", s.logout, s.authenticate)
	api.GET("/me", s.me, s.authenticate)
	api.GET("/grids", s.listGrids, s.may(auth.ReadMap)...)
	api.GET("/grids/search", s.searchGrids, s.may(auth.ReadMap)...)
	api.GET("/grids/:code", s.getGrid, s.may(auth.ReadMap)...)
	api.GET("/grids/:code/activity", s.gridActivity, s.may(auth.ReadIncidents)...)
	api.GET("/audit", s.listAudit, s.may(auth.ReadAudit)...)
	api.POST("/patrol/points", s.addPatrolFixes, s.may(auth.RecordPatrol)...)

	// Address gazetteer and household import (addresses.go, imports.go).
	api.GET("/addresses/search", s.searchAddresses, s.may(auth.ReadMap)...)
	api.POST("/import/households", s.importHouseholds, s.may(auth.ImportPlaces)...)

	// Boundary editing, history, validation, balance, layers (boundaries.go, history.go, balance.go, layers.go).
	api.POST("/grids", s.createGrid, s.mayEdit(auth.EditBoundaries)...)
	api.POST("/grids/merge", s.mergeGrids, s.mayEdit(auth.EditBoundaries)...)
	api.PUT("/grids/:code", s.replaceGrid, s.mayEdit(auth.EditBoundaries)...)
	api.DELETE("/grids/:code", s.deleteGrid, s.mayEdit(auth.EditBoundaries)...)
	api.POST("/grids/:code/split", s.splitGrid, s.mayEdit(auth.EditBoundaries)...)
	api.POST("/grids/:code/check", s.checkGrid, s.may(auth.EditBoundaries)...)
	api.GET("/grids/:code/versions", s.gridVersions, s.may(auth.ReadMap)...)
	api.GET("/history/grids", s.gridsAsOf, s.may(auth.ReadMap)...)
	api.GET("/history/diff", s.historyDiff, s.may(auth.ReadMap)...)
	api.GET("/history/changes", s.historyChanges, s.may(auth.ReadMap)...)
	api.GET("/validation", s.validation, s.may(auth.ReadMap)...)
	api.GET("/balance", s.balance, s.may(auth.ReadStats)...)
	api.POST("/layers/import", s.importLayer, s.mayEdit(auth.EditBoundaries)...)
	api.GET("/layers/export", s.exportLayer, s.may(auth.ReadMap)...)

	// Which grid, who is responsible; households and reports (locate.go, households.go, reports.go).
	api.GET("/locate", s.locatePoint, s.may(auth.ReadMap)...)
	api.POST("/locate", s.locateBatch, s.may(auth.ReadMap)...)
	api.GET("/households", s.listHouseholds, s.may(auth.ReadHouseholds)...)
	api.GET("/reports/grid-counts", s.gridCounts, s.may(auth.ReadStats)...)
	api.GET("/reports/unplaced", s.unplaced, s.may(auth.ReadStats)...)
	api.GET("/reports/empty-grids", s.emptyGrids, s.may(auth.ReadStats)...)
	s.statsRoutes(api)

	// Map tiles and OGC API – Features (tiles.go, features.go): login (also Basic or a map key, gisauth.go), ReadMap.
	e.GET("/tiles/basemap/:z/:x/:y", s.getBasemapTile, s.mayReadMap()...)
	e.GET("/tiles/:file", s.getTileJSON, s.mayReadMap()...)
	e.GET("/tiles/:layer/:z/:x/:y", s.getTile, s.mayReadMap()...)
	e.GET("/ogc", s.ogcLanding, s.mayReadMap()...)
	e.GET("/ogc/api", s.ogcAPI, s.mayReadMap()...)
	e.GET("/ogc/conformance", s.ogcConformance, s.mayReadMap()...)
	e.GET("/ogc/collections", s.ogcCollectionsList, s.mayReadMap()...)
	e.GET("/ogc/collections/:id", s.ogcCollection, s.mayReadMap()...)
	e.GET("/ogc/collections/:id/items", s.ogcItems, s.mayReadMap()...)
	e.GET("/ogc/collections/:id/items/:fid", s.ogcItem, s.mayReadMap()...)

	// Incidents (事件): reports, workflow, photos, Open311 (incidents.go, open311.go).
	s.incidentRoutes(api)
	// Hotspot maps and their tiles (hotspots.go, issue #17).
	s.hotspotRoutes(api)
	// Periodic work reports 工作月报/季报 (work_reports.go, issue #17).
	s.workReportRoutes(api)

	// Safety inspections and hazards (安全检查与隐患整改, inspections.go).
	s.inspectionRoutes(api)
	s.organisationRoutes(api)

	if s.opt.Static != nil {
		// Precompressed, hashed and cached (assets.go). A front end that cannot be
		// read is a broken build, not a condition to run with.
		a, err := loadAssets(s.opt.Static)
		if err != nil {
			panic(err)
		}
		e.GET("/*", a.serve)
	}

	// Patrol tracks, day figures, coverage gaps and the daily sweep (patrol_days.go).
	api.GET("/patrol/days", s.patrolDays, s.may(auth.ReadPatrol)...)
	api.GET("/patrol/tracks", s.patrolTracks, s.may(auth.ReadPatrol)...)
	api.GET("/patrol/playback", s.patrolPlayback, s.may(auth.ReadPatrol)...)
	api.GET("/patrol/gaps", s.patrolGaps, s.may(auth.ReadPatrol)...)
	api.GET("/patrol/visits", s.patrolVisits, s.may(auth.ReadPatrol)...)
	api.GET("/patrol/summary", s.patrolSummary, s.may(auth.ReadPatrol)...)
	api.POST("/patrol/sweep", s.patrolSweep, s.may(auth.ManagePatrol)...)
	api.PUT("/patrol/targets/:code", s.putPatrolTarget, s.may(auth.ManagePatrol)...)
	// Track tiles and live positions (patrol_live.go).
	api.GET("/patrol/tiles/:z/:x/:y", s.patrolTile, s.may(auth.ReadPatrol)...)
	api.GET("/patrol/positions", s.patrolPositions, s.may(auth.ReadPatrol)...)
	// Cameras and their blind spots (cameras.go).
	api.POST("/cameras", s.postCamera, s.may(auth.PlaceCameras)...)
	api.POST("/cameras/import", s.importCameras, s.may(auth.PlaceCameras)...)
	api.GET("/cameras", s.getCameras, s.may(auth.ReadMap)...)
	api.GET("/patrol/blind-spots", s.blindSpots, s.may(auth.ReadPatrol)...)
	api.POST("/streets/import", s.importStreets, s.may(auth.EditBoundaries)...)
	api.POST("/water/import", s.importWater, s.may(auth.EditBoundaries)...)
	// Jurisdiction (issue 12): units in and out, unit attributes and settings, the grid force,
	// notice boards, contact cards and the login-free card page their QR codes open (jurisdiction.go).
	api.POST("/units/import", s.importUnits, s.mayEdit(auth.EditBoundaries)...)
	api.GET("/units/export", s.exportUnits, s.may(auth.ReadMap)...)
	api.PATCH("/units/:code", s.patchUnit, s.mayEdit(auth.EditBoundaries)...)
	api.PUT("/units/:code/geometry", s.replaceUnitGeometry, s.mayEdit(auth.EditBoundaries)...)
	api.GET("/units/:code/settings", s.unitSettings, s.may(auth.ReadMap)...)
	api.PUT("/units/:code/settings", s.putUnitSettings, s.may(auth.EditBoundaries)...)
	api.GET("/units/:code/boards.pdf", s.unitBoards, s.may(auth.ReadMap)...)
	api.POST("/staff", s.createStaff, s.may(auth.ManageStaff)...)
	api.GET("/staff/:id", s.getStaff, s.may(auth.ManageStaff)...)
	api.PUT("/staff/:id", s.updateStaff, s.mayEdit(auth.ManageStaff)...)
	api.POST("/staff/:id/retire", s.retireStaff, s.mayEdit(auth.ManageStaff)...)
	api.POST("/staff/:id/photo", s.putStaffPhoto, s.may(auth.ManageStaff)...)
	api.GET("/staff/:id/photo", s.getStaffPhoto, s.may(auth.ReadMap)...)
	api.POST("/staff/:id/leave", s.staffLeave, s.mayEdit(auth.ManageStaff)...)
	api.POST("/staff-assignments/:id/approve", s.decideAssignment(true), s.mayEdit(auth.ApproveStaff)...)
	api.POST("/staff-assignments/:id/reject", s.decideAssignment(false), s.mayEdit(auth.ApproveStaff)...)
	api.POST("/grids/:code/staff", s.assignStaff, s.mayEdit(auth.ManageStaff)...)
	api.GET("/grids/:code/staff", s.gridStaff, s.may(auth.ReadMap)...)
	api.GET("/grids/:code/board.pdf", s.gridBoard, s.may(auth.ReadMap)...)
	api.GET("/grids/:code/contact-cards.pdf", s.contactCards, s.may(auth.ReadMap)...)
	e.GET("/p/grids/:code", s.publicCard, publicLimiter(120, 60))
	e.GET("/p/staff/:id/photo", s.publicPhoto, publicLimiter(600, 120))
	// Residents and visits (residents.go).
	api.POST("/persons", s.createPerson, s.may(auth.WritePersons)...)
	api.GET("/households/:id/persons", s.householdPersons, s.may(auth.ReadHouseholds)...)
	api.POST("/persons/:id/moves", s.movePerson, s.may(auth.WritePersons)...)
	api.GET("/persons/:id", s.getPerson, s.may(auth.ReadHouseholds)...)
	api.PATCH("/persons/:id", s.patchPerson, s.may(auth.WritePersons)...)
	api.DELETE("/persons/:id", s.deletePerson, s.may(auth.WritePersons)...)
	api.POST("/import/persons", s.importPersons, s.may(auth.WritePersons)...)
	api.POST("/visits", s.recordVisit, s.may(auth.RecordVisits)...)
	// Map keys for GIS clients (mapkeys.go).
	api.POST("/map-keys", s.createMapKey, s.may(auth.UseMapKeys)...)
	api.GET("/map-keys", s.listMapKeys, s.may(auth.UseMapKeys)...)
	api.DELETE("/map-keys/:id", s.revokeMapKey, s.may(auth.UseMapKeys)...)
	api.GET("/visits/due", s.dueVisits, s.may(auth.ReadHouseholds)...)
	api.GET("/reports/visits", s.visitReport, s.may(auth.ReadStats)...)
	// Grid worker assessment (assessment.go).
	s.assessmentRoutes(api)
	// Change feed for the district platform and other systems (changefeed.go, issue 21).
	s.changeFeedRoutes(api)
}

// errorsToJSON writes a handler's error inside the middleware chain, so the
// request logger sees the final status.
func (s *Server) errorsToJSON(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if err := next(c); err != nil {
			s.handleError(err, c)
		}
		return nil
	}
}

// Handler is the server as an http.Handler (tests use httptest with it).
func (s *Server) Handler() http.Handler { return s.echo }

// errShuttingDown is the cause of the requests' contexts cancelled when the
// shutdown grace is over; handleError answers them 503 with Retry-After.
var errShuttingDown = errors.New("api: server shutting down")

// Start serves on addr until ctx is done, then shuts down gracefully:
// requests in flight get ShutdownGrace to finish; those still running are
// then cancelled and answered 503 with Retry-After (another instance, or
// this one restarted, takes the retry), never a 500 or a dropped connection.
func (s *Server) Start(ctx context.Context, addr string) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("api: listen on %s: %w", addr, err)
	}
	return s.Serve(ctx, l)
}

// Serve is Start on a listener of the caller's.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	base, cancelRequests := context.WithCancelCause(context.Background())
	defer cancelRequests(nil)
	srv := &http.Server{Handler: s.echo, ReadHeaderTimeout: 10 * time.Second,
		BaseContext: func(net.Listener) context.Context { return base }}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	select {
	case err := <-errc:
		return fmt.Errorf("api: serve on %s: %w", l.Addr(), err)
	case <-ctx.Done():
	}
	grace, cancel := context.WithTimeout(context.Background(), s.opt.ShutdownGrace)
	defer cancel()
	if err := srv.Shutdown(grace); err == nil {
		return nil
	}
	// Grace is over: cancel what still runs and let it write its 503.
	cancelRequests(errShuttingDown)
	answered, cancel2 := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel2()
	if err := srv.Shutdown(answered); err != nil {
		_ = srv.Close()
		return fmt.Errorf("api: shutdown: requests still running: %w", err)
	}
	return nil
}

// handleError writes err in the one JSON shape; 5xx are logged.
func (s *Server) handleError(err error, c echo.Context) {
	// Cancelled by the shutdown: whatever the error became on its way up
	// (a query cancelled, a connection closed), the answer is "retry".
	if context.Cause(c.Request().Context()) == errShuttingDown {
		err = apperr.New(apperr.ErrUnavailable, "server restarting; retry")
	} else if errors.Is(err, context.Canceled) {
		// The client went away: nothing to answer and nothing wrong here.
		s.opt.Logger.Debug("request cancelled by client", "path", c.Request().URL.Path,
			"request_id", c.Response().Header().Get(echo.HeaderXRequestID))
		if !c.Response().Committed {
			c.Response().WriteHeader(499) // nginx's "client closed request"; nobody reads it
		}
		return
	}
	if c.Response().Committed {
		s.opt.Logger.Error("error after response started", "err", err, "path", c.Request().URL.Path)
		return
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		err = fromEcho(he)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		err = apperr.New(apperr.ErrUnavailable, "request timed out")
	} else if store.Unavailable(err) {
		s.opt.Logger.Warn("database unavailable", "err", err, "path", c.Request().URL.Path)
		err = apperr.New(apperr.ErrUnavailable, "database temporarily unavailable; retry")
	}
	status, body := apperr.ToBody(err)
	if status >= 500 {
		s.opt.Logger.Error("request failed", "err", err, "path", c.Request().URL.Path,
			"request_id", c.Response().Header().Get(echo.HeaderXRequestID))
		if status == http.StatusServiceUnavailable {
			c.Response().Header().Set("Retry-After", "2")
		}
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(status)
		return
	}
	// A handler that streams (GeoJSON, tiles) names its type before the
	// store can still fail; the error is JSON whatever it said (c.JSON keeps
	// a type already set).
	c.Response().Header().Set(echo.HeaderContentType, echo.MIMEApplicationJSON)
	_ = c.JSON(status, body)
}

// fromEcho maps Echo's own errors (unknown route, body too large, …) to apperr.
func fromEcho(he *echo.HTTPError) error {
	msg := fmt.Sprint(he.Message)
	switch he.Code {
	case http.StatusNotFound:
		return apperr.New(apperr.ErrNotFound, "no such endpoint")
	case http.StatusMethodNotAllowed:
		return apperr.New(apperr.ErrMethod, "method not allowed")
	case http.StatusRequestEntityTooLarge:
		return apperr.New(apperr.ErrTooLarge, "request body too large")
	case http.StatusUnsupportedMediaType:
		return apperr.New(apperr.ErrUnsupported, "%s", msg)
	case http.StatusServiceUnavailable:
		return apperr.New(apperr.ErrUnavailable, "%s", msg)
	case http.StatusUnauthorized:
		return apperr.New(apperr.ErrUnauthorized, "%s", msg)
	case http.StatusForbidden:
		return apperr.New(apperr.ErrForbidden, "%s", msg)
	case http.StatusTooManyRequests:
		return apperr.New(apperr.ErrRateLimited, "%s", msg)
	}
	if he.Code >= 400 && he.Code < 500 {
		return apperr.New(apperr.ErrInvalid, "%s", msg)
	}
	return he
}

func (s *Server) requestLogger() echo.MiddlewareFunc {
	return middleware.RequestLoggerWithConfig(middleware.RequestLoggerConfig{
		LogStatus: true, LogURI: true, LogMethod: true, LogLatency: true, LogRequestID: true,
		LogValuesFunc: func(c echo.Context, v middleware.RequestLoggerValues) error {
			level := slog.LevelInfo
			if v.Status == 499 {
				level = slog.LevelDebug
			} else if v.Status >= 500 {
				level = slog.LevelError
			} else if v.Status < 400 && c.Path() == "/tiles/:layer/:z/:x/:y" {
				// A map view fetches dozens of tiles a second: served tiles
				// are logged at debug (formatting them was 5% of the CPU
				// of cached tile serving).
				level = slog.LevelDebug
			}
			s.opt.Logger.LogAttrs(context.Background(), level, "request",
				slog.String("method", v.Method), slog.String("uri", redactKey(v.URI)), slog.Int("status", v.Status),
				slog.Duration("latency", v.Latency), slog.String("request_id", v.RequestID))
			return nil
		},
	})
}

func (s *Server) logPanic(c echo.Context, err error, stack []byte) error {
	s.opt.Logger.Error("panic", "err", err, "path", c.Request().URL.Path, "stack", string(stack))
	return err
}
