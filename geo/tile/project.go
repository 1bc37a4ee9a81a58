package tile

import (
	"math"

	"github.com/paulmach/orb"
)

// maxLat is the latitude limit of Web Mercator; beyond it points are clamped.
const maxLat = 85.05112877980659

// toWorld maps lon/lat to Web Mercator world coordinates in [0,1]² with y
// pointing south, the frame of tile numbering.
func toWorld(p orb.Point) orb.Point {
	lat := math.Max(-maxLat, math.Min(maxLat, p[1]))
	s := math.Sin(lat * math.Pi / 180)
	return orb.Point{p[0]/360 + 0.5, 0.5 - math.Log((1+s)/(1-s))/(4*math.Pi)}
}

// fromWorld is the inverse of toWorld.
func fromWorld(p orb.Point) orb.Point {
	lat := math.Atan(math.Sinh(math.Pi*(1-2*p[1]))) * 180 / math.Pi
	return orb.Point{(p[0] - 0.5) * 360, lat}
}

// worldGeometry returns a copy of g with every point mapped by toWorld. Rings
// are kept as given; winding is fixed when tiles are written.
func worldGeometry(g orb.Geometry) orb.Geometry {
	switch g := g.(type) {
	case orb.Point:
		return toWorld(g)
	case orb.MultiPoint:
		return orb.MultiPoint(worldPoints(g))
	case orb.LineString:
		return orb.LineString(worldPoints(g))
	case orb.MultiLineString:
		out := make(orb.MultiLineString, len(g))
		for i, l := range g {
			out[i] = worldPoints(l)
		}
		return out
	case orb.Ring:
		return orb.Polygon{worldPoints(g)}
	case orb.Polygon:
		return worldPolygon(g)
	case orb.MultiPolygon:
		out := make(orb.MultiPolygon, len(g))
		for i, p := range g {
			out[i] = worldPolygon(p)
		}
		return out
	}
	return nil
}

func worldPolygon(p orb.Polygon) orb.Polygon {
	out := make(orb.Polygon, len(p))
	for i, r := range p {
		out[i] = worldPoints(r)
	}
	return out
}

func worldPoints(ps []orb.Point) []orb.Point {
	out := make([]orb.Point, len(ps))
	for i, p := range ps {
		out[i] = toWorld(p)
	}
	return out
}
