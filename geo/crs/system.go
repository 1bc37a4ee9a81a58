package crs

import (
	"fmt"
	"strings"
)

// System names a geographic coordinate system a point may be expressed in.
type System string

// Supported systems. CGCS2000 is handled exactly like WGS84 (see package doc).
const (
	WGS84    System = "wgs84"
	GCJ02    System = "gcj02"
	BD09     System = "bd09"
	CGCS2000 System = "cgcs2000"
)

// Parse returns the System named by s, ignoring case and surrounding space.
// Accepted spellings: "wgs84", "wgs-84", "epsg:4326", "4326", "gcj02",
// "gcj-02", "bd09", "bd-09", "bd09ll", "cgcs2000", "epsg:4490", "4490".
// Any other input returns an error.
func Parse(s string) (System, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "wgs84", "wgs-84", "epsg:4326", "4326":
		return WGS84, nil
	case "gcj02", "gcj-02":
		return GCJ02, nil
	case "bd09", "bd-09", "bd09ll":
		return BD09, nil
	case "cgcs2000", "epsg:4490", "4490":
		return CGCS2000, nil
	}
	return "", fmt.Errorf("crs: unknown coordinate system %q (want wgs84, gcj02, bd09 or cgcs2000)", s)
}
