package crs

import (
	"math"

	"github.com/paulmach/orb"
)

// Published GCJ-02 constants: the Krasovsky 1940 ellipsoid.
const (
	krasovskyA  = 6378245.0
	krasovskyEE = 0.00669342162296594323
)

// InChina reports whether p lies in the rough bounding box inside which
// GCJ-02 applies its offset (lon 72.004…137.8347, lat 0.8293…55.8271, the
// box used by eviltransform/coordtransform). Outside it GCJ-02 equals
// WGS-84. The box is deliberately loose: it includes parts of neighbouring
// countries, as the apps themselves do.
func InChina(p orb.Point) bool {
	lon, lat := p[0], p[1]
	return lon >= 72.004 && lon <= 137.8347 && lat >= 0.8293 && lat <= 55.8271
}

// gcjOffset returns the GCJ-02 offset (dlon, dlat) in degrees to add to a
// WGS-84 point, without the China test.
func gcjOffset(lon, lat float64) (dlon, dlat float64) {
	x, y := lon-105.0, lat-35.0
	dlat = transformLat(x, y)
	dlon = transformLon(x, y)
	radLat := lat / 180.0 * math.Pi
	magic := math.Sin(radLat)
	magic = 1 - krasovskyEE*magic*magic
	sqrtMagic := math.Sqrt(magic)
	dlat = (dlat * 180.0) / ((krasovskyA * (1 - krasovskyEE)) / (magic * sqrtMagic) * math.Pi)
	dlon = (dlon * 180.0) / (krasovskyA / sqrtMagic * math.Cos(radLat) * math.Pi)
	return dlon, dlat
}

func transformLat(x, y float64) float64 {
	ret := -100.0 + 2.0*x + 3.0*y + 0.2*y*y + 0.1*x*y + 0.2*math.Sqrt(math.Abs(x))
	ret += (20.0*math.Sin(6.0*x*math.Pi) + 20.0*math.Sin(2.0*x*math.Pi)) * 2.0 / 3.0
	ret += (20.0*math.Sin(y*math.Pi) + 40.0*math.Sin(y/3.0*math.Pi)) * 2.0 / 3.0
	ret += (160.0*math.Sin(y/12.0*math.Pi) + 320*math.Sin(y*math.Pi/30.0)) * 2.0 / 3.0
	return ret
}

func transformLon(x, y float64) float64 {
	ret := 300.0 + x + 2.0*y + 0.1*x*x + 0.1*x*y + 0.1*math.Sqrt(math.Abs(x))
	ret += (20.0*math.Sin(6.0*x*math.Pi) + 20.0*math.Sin(2.0*x*math.Pi)) * 2.0 / 3.0
	ret += (20.0*math.Sin(x*math.Pi) + 40.0*math.Sin(x/3.0*math.Pi)) * 2.0 / 3.0
	ret += (150.0*math.Sin(x/12.0*math.Pi) + 300.0*math.Sin(x/30.0*math.Pi)) * 2.0 / 3.0
	return ret
}

// xPi is the published BD-09 constant π·3000/180.
const xPi = math.Pi * 3000.0 / 180.0

// Published BD-09 shift of the origin, in degrees.
const (
	bdDLon = 0.0065
	bdDLat = 0.006
)
