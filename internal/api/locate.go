package api

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/paulmach/orb"

	"wangge/geo/crs"
	"wangge/geo/precision"
	"wangge/internal/apperr"
	"wangge/internal/lookup"
	"wangge/internal/store"
)

// MaxLocatePoints bounds one batch lookup.
const MaxLocatePoints = 100000

// locateAnswer is the JSON of one located point.
type locateAnswer struct {
	GridCode          *string           `json:"grid_code"`
	GridName          string            `json:"grid_name,omitempty"`
	Chain             []store.ChainLink `json:"chain,omitempty"`
	Staff             []store.Staff     `json:"staff,omitempty"`
	BoundaryDistanceM *float64          `json:"boundary_distance_m,omitempty"`
	NearBoundary      *bool             `json:"near_boundary,omitempty"`
	Nearest           *nearestGrid      `json:"nearest,omitempty"`
	Input             *pointInput       `json:"input,omitempty"`
	WGS84             *[2]float64       `json:"wgs84,omitempty"`
	Error             string            `json:"error,omitempty"`
}

type nearestGrid struct {
	GridCode  string  `json:"grid_code"`
	DistanceM float64 `json:"distance_m"`
}

type pointInput struct {
	Lon float64 `json:"lon"`
	Lat float64 `json:"lat"`
	CRS string  `json:"crs"`
}

// roundM keeps distances to the centimetre.
func roundM(v float64) float64 { return math.Round(v*100) / 100 }

// locatePoint answers GET /api/locate?lon=&lat=&crs=.
func (s *Server) locatePoint(c echo.Context) error {
	q := c.QueryParams()
	sys, err := parseCRS(q.Get("crs"))
	if err != nil {
		return err
	}
	lon, err := parseCoord("lon", q.Get("lon"), 180)
	if err != nil {
		return err
	}
	lat, err := parseCoord("lat", q.Get("lat"), 90)
	if err != nil {
		return err
	}
	w := crs.ToWGS84(sys, orb.Point{lon, lat})
	a, err := s.opt.Lookup.Locate(c.Request().Context(), w)
	if err != nil {
		return err
	}
	out := locateAnswer{Input: &pointInput{Lon: lon, Lat: lat, CRS: string(sys)}, WGS84: &[2]float64{precision.Round(w[0]), precision.Round(w[1])}}
	if a.Found {
		code, d, near := a.GridCode, roundM(a.BoundaryDistanceM), a.NearBoundary
		out.GridCode, out.GridName, out.BoundaryDistanceM, out.NearBoundary = &code, a.GridName, &d, &near
		out.Chain, out.Staff = a.Chain, a.Staff
		if out.Staff == nil {
			out.Staff = []store.Staff{}
		}
	} else if a.NearestCode != "" {
		out.Nearest = &nearestGrid{GridCode: a.NearestCode, DistanceM: roundM(a.NearestDistanceM)}
	}
	return c.JSON(http.StatusOK, out)
}

func parseCRS(v string) (crs.System, error) {
	if v == "" {
		return crs.WGS84, nil
	}
	sys, err := crs.Parse(v)
	if err != nil {
		return "", apperr.New(apperr.ErrInvalid, "crs %q: want wgs84, gcj02, bd09 or cgcs2000", v)
	}
	return sys, nil
}

// parseCoord reads one finite coordinate within ±limit.
func parseCoord(name, v string, limit float64) (float64, error) {
	if v == "" {
		return 0, apperr.New(apperr.ErrInvalid, "%s is required", name)
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, apperr.New(apperr.ErrInvalid, "%s %q is not a number", name, v)
	}
	if f < -limit || f > limit {
		return 0, apperr.New(apperr.ErrInvalid, "%s %v is out of range (±%v)", name, f, limit)
	}
	return f, nil
}

// batchPoint is one input point of a batch; err says why it cannot be placed.
type batchPoint struct {
	id       string
	lon, lat float64
	err      string
}

// checkRange fills p.err for coordinates outside longitude/latitude range.
func (p *batchPoint) checkRange() {
	if p.err == "" && (p.lon < -180 || p.lon > 180 || p.lat < -90 || p.lat > 90) {
		p.err = "out of range"
	}
}

// locateBatch answers POST /api/locate: JSON {"points":[[lon,lat],…],"crs":…}
// gives {"results":[…]} in input order; a text/csv body (lon,lat[,id], header
// optional; crs in the query) gives CSV. The answer is streamed.
func (s *Server) locateBatch(c echo.Context) error {
	mt, _, _ := mime.ParseMediaType(c.Request().Header.Get(echo.HeaderContentType))
	switch mt {
	case "text/csv":
		sys, err := parseCRS(c.QueryParam("crs"))
		if err != nil {
			return err
		}
		pts, err := readCSVPoints(c.Request().Body)
		if err != nil {
			return err
		}
		return s.writeCSVResults(c, sys, pts)
	case "application/json", "":
		sys, pts, err := readJSONPoints(c.Request().Body, c.QueryParam("crs"))
		if err != nil {
			return err
		}
		return s.writeJSONResults(c, sys, pts)
	}
	return apperr.New(apperr.ErrUnsupported, "Content-Type %q: send application/json or text/csv", mt)
}

func tooMany() error {
	return apperr.WithDetails(apperr.ErrTooLarge, map[string]int{"max_points": MaxLocatePoints},
		"more than %d points in one request; split the batch", MaxLocatePoints)
}

func bodyError(err error) error {
	var he *echo.HTTPError
	if errors.As(err, &he) && he.Code == http.StatusRequestEntityTooLarge {
		return apperr.New(apperr.ErrTooLarge, "request body too large")
	}
	return apperr.New(apperr.ErrInvalid, "request body: %v", err)
}

// readJSONPoints reads {"points": [...], "crs": "..."} token by token so a
// batch over the limit is refused without decoding it all. A point that is
// not a pair of numbers is kept with its error.
func readJSONPoints(r io.Reader, queryCRS string) (crs.System, []batchPoint, error) {
	dec := json.NewDecoder(r)
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return "", nil, apperr.New(apperr.ErrInvalid, `request body: want {"points": [[lon, lat], …], "crs": "wgs84"}`)
	}
	crsName, sawPoints := queryCRS, false
	var pts []batchPoint
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return "", nil, bodyError(err)
		}
		switch t {
		case "crs":
			if err := dec.Decode(&crsName); err != nil {
				return "", nil, apperr.New(apperr.ErrInvalid, "crs: want a string")
			}
		case "points":
			sawPoints = true
			if t, err := dec.Token(); err != nil || t != json.Delim('[') {
				return "", nil, apperr.New(apperr.ErrInvalid, "points: want an array of [lon, lat]")
			}
			for dec.More() {
				if len(pts) == MaxLocatePoints {
					return "", nil, tooMany()
				}
				var raw json.RawMessage
				if err := dec.Decode(&raw); err != nil {
					return "", nil, bodyError(err)
				}
				pts = append(pts, jsonPoint(raw))
			}
			if _, err := dec.Token(); err != nil {
				return "", nil, bodyError(err)
			}
		default:
			return "", nil, apperr.New(apperr.ErrInvalid, "unknown field %v: want points and crs", t)
		}
	}
	if _, err := dec.Token(); err != nil {
		return "", nil, bodyError(err)
	}
	if dec.More() {
		return "", nil, apperr.New(apperr.ErrInvalid, "request body has data after the JSON value")
	}
	if !sawPoints {
		return "", nil, apperr.New(apperr.ErrInvalid, "points is required")
	}
	sys, err := parseCRS(crsName)
	return sys, pts, err
}

// jsonPoint reads one [lon, lat] element.
func jsonPoint(raw json.RawMessage) batchPoint {
	var pair []json.RawMessage
	if err := json.Unmarshal(raw, &pair); err != nil || len(pair) != 2 {
		return batchPoint{err: "want [lon, lat]"}
	}
	var p batchPoint
	if json.Unmarshal(pair[0], &p.lon) != nil || json.Unmarshal(pair[1], &p.lat) != nil {
		return batchPoint{err: "not a number"}
	}
	p.checkRange()
	return p
}

// readCSVPoints reads lon,lat[,id] rows; a first row whose lon is not a
// number is a header when it says lon/lng/x.
func readCSVPoints(r io.Reader) ([]batchPoint, error) {
	cr := csv.NewReader(bufio.NewReaderSize(r, 64<<10))
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	cr.TrimLeadingSpace = true
	var pts []batchPoint
	for row := 0; ; row++ {
		rec, err := cr.Read()
		if err == io.EOF {
			return pts, nil
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) && !errors.Is(pe.Err, csv.ErrFieldCount) {
				return nil, apperr.New(apperr.ErrInvalid, "CSV: %v", err)
			}
			return nil, bodyError(err)
		}
		if row == 0 && len(rec) > 0 && isHeader(rec[0]) {
			continue
		}
		if len(pts) == MaxLocatePoints {
			return nil, tooMany()
		}
		p := batchPoint{id: strconv.Itoa(len(pts) + 1)}
		if len(rec) >= 3 {
			p.id = rec[2]
		}
		switch {
		case len(rec) < 2 || len(rec) > 3:
			p.err = "want lon,lat[,id]"
		default:
			lon, e1 := strconv.ParseFloat(strings.TrimSpace(rec[0]), 64)
			lat, e2 := strconv.ParseFloat(strings.TrimSpace(rec[1]), 64)
			if e1 != nil || e2 != nil || math.IsNaN(lon) || math.IsNaN(lat) || math.IsInf(lon, 0) || math.IsInf(lat, 0) {
				p.err = "not a number"
			} else {
				p.lon, p.lat = lon, lat
				p.checkRange()
			}
		}
		pts = append(pts, p)
	}
}

func isHeader(field string) bool {
	switch strings.ToLower(strings.TrimSpace(strings.TrimPrefix(field, "\ufeff"))) {
	case "lon", "lng", "longitude", "x", "经度":
		return true
	}
	return false
}

// writeJSONResults streams {"results":[…]}.
func (s *Server) writeJSONResults(c echo.Context, sys crs.System, pts []batchPoint) error {
	rd, err := s.opt.Lookup.Snapshot(c.Request().Context())
	if err != nil {
		return err
	}
	resp := c.Response()
	resp.Header().Set(echo.HeaderContentType, echo.MIMEApplicationJSON)
	resp.WriteHeader(http.StatusOK)
	bw := bufio.NewWriterSize(resp, 64<<10)
	enc := json.NewEncoder(bw)
	bw.WriteString(`{"results":[`)
	for i, p := range pts {
		if i > 0 {
			bw.WriteByte(',')
		}
		if err := enc.Encode(batchAnswer(rd, sys, p)); err != nil {
			return err
		}
	}
	bw.WriteString("]}\n")
	return bw.Flush()
}

func batchAnswer(rd *lookup.Reader, sys crs.System, p batchPoint) locateAnswer {
	if p.err != "" {
		return locateAnswer{Error: p.err}
	}
	w := crs.ToWGS84(sys, orb.Point{p.lon, p.lat})
	b := rd.Brief(w)
	out := locateAnswer{WGS84: &[2]float64{precision.Round(w[0]), precision.Round(w[1])}}
	if b.Found {
		code, d, near := b.Code, roundM(b.BoundaryDistanceM), b.BoundaryDistanceM <= lookup.NearBoundaryM
		out.GridCode, out.GridName, out.BoundaryDistanceM, out.NearBoundary = &code, b.Name, &d, &near
	} else if b.NearestCode != "" {
		out.Nearest = &nearestGrid{GridCode: b.NearestCode, DistanceM: roundM(b.NearestDistanceM)}
	}
	return out
}

// writeCSVResults streams id,lon,lat,grid_code,grid_name,boundary_distance_m,error.
func (s *Server) writeCSVResults(c echo.Context, sys crs.System, pts []batchPoint) error {
	rd, err := s.opt.Lookup.Snapshot(c.Request().Context())
	if err != nil {
		return err
	}
	resp := c.Response()
	resp.Header().Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	resp.WriteHeader(http.StatusOK)
	cw := csv.NewWriter(resp) // buffered (4 KiB) by csv itself
	cw.Write([]string{"id", "lon", "lat", "grid_code", "grid_name", "boundary_distance_m", "error"})
	rec := make([]string, 7)
	for _, p := range pts {
		rec[0], rec[1], rec[2], rec[3], rec[4], rec[5], rec[6] = p.id, "", "", "", "", "", p.err
		if p.err == "" {
			rec[1], rec[2] = strconv.FormatFloat(p.lon, 'f', -1, 64), strconv.FormatFloat(p.lat, 'f', -1, 64)
			b := rd.Brief(crs.ToWGS84(sys, orb.Point{p.lon, p.lat}))
			if b.Found {
				rec[3], rec[4], rec[5] = b.Code, b.Name, strconv.FormatFloat(roundM(b.BoundaryDistanceM), 'f', 2, 64)
			} else {
				rec[6] = fmt.Sprintf("in no grid; nearest %s at %.2f m", b.NearestCode, b.NearestDistanceM)
			}
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
