// Package ingest parses and checks what field devices upload (patrol GPS
// batches), before anything touches the database: a bad batch is refused
// whole with the index and reason of its first bad fix.
package ingest

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/paulmach/orb"

	"wangge/geo/crs"
)

// Limits of one GPS batch.
const (
	MaxFixes      = 10000
	MaxAge        = 30 * 24 * time.Hour // older fixes belong to a closed month
	MaxClockAhead = 5 * time.Minute     // device clocks run a little fast
)

// Fix is one GPS position of a patrol, in WGS-84.
type Fix struct {
	At        time.Time
	Point     orb.Point
	AccuracyM *float32
	SpeedMPS  *float32
}

type rawFix struct {
	T         *time.Time `json:"t"`
	Lon       *float64   `json:"lon"`
	Lat       *float64   `json:"lat"`
	AccuracyM *float32   `json:"accuracy_m"`
	SpeedMPS  *float32   `json:"speed_mps"`
}

type rawBatch struct {
	CRS    string   `json:"crs"`
	Points []rawFix `json:"points"`
}

// BatchError says which fix of a batch is wrong.
type BatchError struct {
	Index  int // -1 for the batch itself
	Reason string
}

func (e *BatchError) Error() string {
	if e.Index < 0 {
		return e.Reason
	}
	return fmt.Sprintf("points[%d]: %s", e.Index, e.Reason)
}

// ParseGPSBatch reads {"crs": "wgs84|gcj02|bd09|cgcs2000", "points": [{"t",
// "lon", "lat", "accuracy_m", "speed_mps"}, …]} and returns the fixes in
// WGS-84. Times must be RFC 3339 with a zone, within MaxAge before now and
// MaxClockAhead after it; the same time twice in one batch is an error.
func ParseGPSBatch(r io.Reader, now time.Time) ([]Fix, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var b rawBatch
	if err := dec.Decode(&b); err != nil {
		return nil, &BatchError{Index: -1, Reason: "not a GPS batch: " + err.Error()}
	}
	if dec.More() {
		return nil, &BatchError{Index: -1, Reason: "data after the batch"}
	}
	system := crs.WGS84
	if b.CRS != "" {
		s, err := crs.Parse(b.CRS)
		if err != nil {
			return nil, &BatchError{Index: -1, Reason: err.Error()}
		}
		system = s
	}
	switch {
	case len(b.Points) == 0:
		return nil, &BatchError{Index: -1, Reason: "no points"}
	case len(b.Points) > MaxFixes:
		return nil, &BatchError{Index: -1, Reason: fmt.Sprintf("%d points: at most %d per batch", len(b.Points), MaxFixes)}
	}
	out := make([]Fix, len(b.Points))
	seen := make(map[int64]int, len(b.Points))
	for i, p := range b.Points {
		switch {
		case p.T == nil:
			return nil, &BatchError{i, "missing t (RFC 3339 time)"}
		case p.Lon == nil || p.Lat == nil:
			return nil, &BatchError{i, "missing lon or lat"}
		case !finite(*p.Lon) || *p.Lon < -180 || *p.Lon > 180 || !finite(*p.Lat) || *p.Lat < -90 || *p.Lat > 90:
			return nil, &BatchError{i, fmt.Sprintf("lon %v, lat %v: outside longitude/latitude range", *p.Lon, *p.Lat)}
		case p.T.Before(now.Add(-MaxAge)) || p.T.After(now.Add(MaxClockAhead)):
			return nil, &BatchError{i, fmt.Sprintf("t %s is not within the last %d days", p.T.Format(time.RFC3339), int(MaxAge.Hours()/24))}
		case p.AccuracyM != nil && (!finite(float64(*p.AccuracyM)) || *p.AccuracyM < 0 || *p.AccuracyM > 10000):
			return nil, &BatchError{i, "accuracy_m must be 0–10000"}
		case p.SpeedMPS != nil && (!finite(float64(*p.SpeedMPS)) || *p.SpeedMPS < 0 || *p.SpeedMPS > 100):
			return nil, &BatchError{i, "speed_mps must be 0–100"}
		}
		key := p.T.UnixMicro()
		if j, dup := seen[key]; dup {
			return nil, &BatchError{i, fmt.Sprintf("same time as points[%d]", j)}
		}
		seen[key] = i
		out[i] = Fix{At: p.T.Truncate(time.Microsecond), Point: crs.ToWGS84(system, orb.Point{*p.Lon, *p.Lat}),
			AccuracyM: p.AccuracyM, SpeedMPS: p.SpeedMPS}
	}
	return out, nil
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
