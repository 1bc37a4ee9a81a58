package ingest

import (
	"bufio"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb"

	"wangge/geo/crs"
)

// Limits of a track file logged offline by a device.
const (
	MaxFileFixes = 2_000_000 // about three weeks at one fix a second
)

// Earliest is the first time a logged fix may carry; earlier is a device
// clock that was never set.
var Earliest = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// checkLogged applies the bounds of offline logs: a valid position, a time
// from 2000 to MaxClockAhead after now.
func checkLogged(i int, t time.Time, lon, lat float64, now time.Time) error {
	switch {
	case !finite(lon) || lon < -180 || lon > 180 || !finite(lat) || lat < -90 || lat > 90:
		return &BatchError{i, fmt.Sprintf("lon %v, lat %v: outside longitude/latitude range", lon, lat)}
	case t.Before(Earliest) || t.After(now.Add(MaxClockAhead)):
		return &BatchError{i, fmt.Sprintf("time %s: before 2000 or in the future", t.Format(time.RFC3339))}
	}
	return nil
}

type gpxFile struct {
	XMLName xml.Name `xml:"gpx"`
	Tracks  []struct {
		Segments []struct {
			Points []struct {
				Lat  string `xml:"lat,attr"`
				Lon  string `xml:"lon,attr"`
				Time string `xml:"time"`
			} `xml:"trkpt"`
		} `xml:"trkseg"`
	} `xml:"trk"`
}

// ParseGPX reads the track points of a GPX 1.0/1.1 file (every trk and
// trkseg, in order) in the given system; each needs lat, lon and a time.
// Indexes in errors count track points from 0 across the file.
func ParseGPX(r io.Reader, system crs.System, now time.Time) ([]Fix, error) {
	var g gpxFile
	dec := xml.NewDecoder(io.LimitReader(r, 1<<30))
	if err := dec.Decode(&g); err != nil {
		return nil, &BatchError{Index: -1, Reason: "not a GPX file: " + err.Error()}
	}
	var out []Fix
	i := 0
	for _, t := range g.Tracks {
		for _, s := range t.Segments {
			for _, p := range s.Points {
				if i >= MaxFileFixes {
					return nil, &BatchError{Index: -1, Reason: fmt.Sprintf("more than %d track points", MaxFileFixes)}
				}
				lat, err1 := strconv.ParseFloat(strings.TrimSpace(p.Lat), 64)
				lon, err2 := strconv.ParseFloat(strings.TrimSpace(p.Lon), 64)
				if err1 != nil || err2 != nil {
					return nil, &BatchError{i, fmt.Sprintf("lat %q, lon %q: not numbers", p.Lat, p.Lon)}
				}
				at, err := time.Parse(time.RFC3339, strings.TrimSpace(p.Time))
				if err != nil {
					return nil, &BatchError{i, fmt.Sprintf("time %q: want an ISO 8601 time with a zone", p.Time)}
				}
				if err := checkLogged(i, at, lon, lat, now); err != nil {
					return nil, err
				}
				out = append(out, Fix{At: at.Truncate(time.Microsecond), Point: crs.ToWGS84(system, orb.Point{lon, lat})})
				i++
			}
		}
	}
	if len(out) == 0 {
		return nil, &BatchError{Index: -1, Reason: "no track points"}
	}
	return out, nil
}

// ParsePLT reads a GeoLife .plt trajectory: six header lines, then
// "lat,lon,0,altitude_ft,days,YYYY-MM-DD,HH:MM:SS" with times in GMT.
// Indexes in errors count data lines from 0.
func ParsePLT(r io.Reader, system crs.System, now time.Time) ([]Fix, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 64*1024)
	line := 0
	var out []Fix
	for sc.Scan() {
		line++
		if line <= 6 {
			continue
		}
		i := line - 7
		if i >= MaxFileFixes {
			return nil, &BatchError{Index: -1, Reason: fmt.Sprintf("more than %d points", MaxFileFixes)}
		}
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		f := strings.Split(text, ",")
		if len(f) != 7 {
			return nil, &BatchError{i, fmt.Sprintf("%d fields, want 7 (lat,lon,0,alt,days,date,time)", len(f))}
		}
		lat, err1 := strconv.ParseFloat(f[0], 64)
		lon, err2 := strconv.ParseFloat(f[1], 64)
		if err1 != nil || err2 != nil {
			return nil, &BatchError{i, fmt.Sprintf("lat %q, lon %q: not numbers", f[0], f[1])}
		}
		at, err := time.Parse("2006-01-02 15:04:05", f[5]+" "+f[6])
		if err != nil {
			return nil, &BatchError{i, fmt.Sprintf("date %q time %q: want YYYY-MM-DD and HH:MM:SS", f[5], f[6])}
		}
		if err := checkLogged(i, at, lon, lat, now); err != nil {
			return nil, err
		}
		out = append(out, Fix{At: at, Point: crs.ToWGS84(system, orb.Point{lon, lat})})
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, &BatchError{Index: line - 6, Reason: "line too long"}
		}
		return nil, &BatchError{Index: -1, Reason: err.Error()}
	}
	if line < 6 {
		return nil, &BatchError{Index: -1, Reason: "not a GeoLife .plt file: fewer than six header lines"}
	}
	if len(out) == 0 {
		return nil, &BatchError{Index: -1, Reason: "no points"}
	}
	return out, nil
}

// ParseTrackFile reads a .gpx or GeoLife .plt file by its name's extension.
func ParseTrackFile(name string, r io.Reader, system crs.System, now time.Time) ([]Fix, error) {
	switch strings.ToLower(filepathExt(name)) {
	case ".gpx":
		return ParseGPX(r, system, now)
	case ".plt":
		return ParsePLT(r, system, now)
	}
	return nil, &BatchError{Index: -1, Reason: fmt.Sprintf("%s: want a .gpx or GeoLife .plt file", name)}
}

func filepathExt(name string) string {
	if i := strings.LastIndexByte(name, '.'); i >= 0 && !strings.ContainsAny(name[i:], `/\`) {
		return name[i:]
	}
	return ""
}
