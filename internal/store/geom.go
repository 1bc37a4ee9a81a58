package store

// The one geometry codec of the store: PostGIS geometry (EWKB from a raw
// column, WKB from ST_AsBinary) into orb, and orb into WKB for parameters.

import (
	"bufio"
	"fmt"
	"io"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/ewkb"
	"github.com/paulmach/orb/encoding/wkb"
)

// decodeGeometry reads EWKB or WKB (an SRID, when present, is dropped:
// everything is EPSG:4326); nil for NULL.
func decodeGeometry(b []byte) (orb.Geometry, error) {
	if len(b) == 0 {
		return nil, nil
	}
	g, _, err := ewkb.Unmarshal(b)
	if err != nil {
		return nil, fmt.Errorf("store: geometry: %w", err)
	}
	return g, nil
}

// decodeMultiPolygon reads a polygonal geometry as a MultiPolygon (the
// polygonal parts of a collection); nil for NULL, an error for anything
// else.
func decodeMultiPolygon(b []byte) (orb.MultiPolygon, error) {
	g, err := decodeGeometry(b)
	if err != nil || g == nil {
		return nil, err
	}
	switch g := g.(type) {
	case orb.MultiPolygon:
		return g, nil
	case orb.Polygon:
		return orb.MultiPolygon{g}, nil
	case orb.Collection:
		var mp orb.MultiPolygon
		for _, x := range g {
			switch x := x.(type) {
			case orb.Polygon:
				mp = append(mp, x)
			case orb.MultiPolygon:
				mp = append(mp, x...)
			}
		}
		return mp, nil
	}
	return nil, fmt.Errorf("store: geometry is a %T, not polygonal", g)
}

// multiPolygonCol scans a polygonal geometry column (EWKB, or WKB from
// ST_AsBinary) into *dst (nil for NULL): rows.Scan(..., multiPolygonCol{&g.Geom}).
type multiPolygonCol struct{ dst *orb.MultiPolygon }

func (c multiPolygonCol) Scan(src any) (err error) {
	b, _ := src.([]byte)
	*c.dst, err = decodeMultiPolygon(b)
	return err
}

// geometryCol scans any geometry column into *dst (nil for NULL).
type geometryCol struct{ dst *orb.Geometry }

func (c geometryCol) Scan(src any) (err error) {
	b, _ := src.([]byte)
	*c.dst, err = decodeGeometry(b)
	return err
}

// encodeWKB writes g as WKB for a query parameter (nil if orb cannot).
func encodeWKB(g orb.Geometry) []byte {
	b, err := wkb.Marshal(g)
	if err != nil {
		return nil
	}
	return b
}

// streamFeatures writes rows of one GeoJSON Feature each (as text) as a
// FeatureCollection, row by row, so a city-sized answer is never held in
// memory.
func streamFeatures(rows pgx.Rows, w io.Writer) error {
	defer rows.Close()
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.WriteString(`{"type":"FeatureCollection","features":[`)
	first := true
	for rows.Next() {
		var f []byte
		if err := rows.Scan(&f); err != nil {
			return fmt.Errorf("store: features: %w", err)
		}
		if !first {
			bw.WriteByte(',')
		}
		first = false
		bw.Write(f)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: features: %w", err)
	}
	bw.WriteString("]}\n")
	return bw.Flush()
}
