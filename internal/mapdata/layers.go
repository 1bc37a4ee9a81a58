// Package mapdata keeps wangge's map layers in memory as geo/tile layers,
// loaded from PostGIS and kept current: unit edits (changes.Hub events) update
// one feature and drop exactly the cached tiles under its old and new shapes
// on every instance; building and household writes (NOTIFY place_changes, see
// migration 000010) reload the layers that depend on them and purge their
// tiles. A Reload event (listener reconnect) reloads everything.
//
// Adding a layer is adding one Def to Defs: its tile.Spec, its fields for
// TileJSON, which sources it depends on and how to load it.
package mapdata

import (
	"context"
	"fmt"
	"math"
	"strconv"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geo"

	"wangge/geo/tile"
	"wangge/internal/store"
	"wangge/internal/unit"
)

// Source is what a layer is made from; an event of a source refreshes the
// layers depending on it.
type Source int

// Sources of layers.
const (
	Units   Source = 1 << iota // the units table (unit change events)
	Places                     // buildings, households and places (place change events)
	Basemap                    // the districts' streets and water (place change events naming them)

	allSources = Units | Places | Basemap
)

// Def declares one served layer.
type Def struct {
	Spec        tile.Spec
	Description string
	// Fields are the feature properties, name → TileJSON type (String, Number, Boolean).
	Fields map[string]string
	// Sources lists what the layer is made from.
	Sources Source
	// Level, when > 0, makes this a units layer of that level: unit events
	// of the level update single features instead of reloading.
	Level int
	// Derived layers (defects) are computed from other layers by the
	// service instead of loaded.
	Derived bool
	// Load reads every feature (nil for derived layers).
	Load func(ctx context.Context, st *store.Store) ([]tile.Feature, error)
}

// Highest zooms served: clients overzoom beyond them. They also bound the
// tiles an edit invalidates (a district-sized bound at z22 would be millions).
const (
	adminMaxZoom = 16 // districts, streets
	mapMaxZoom   = 18 // everything else
)

var unitFields = map[string]string{
	"code": "String", "name": "String", "level": "Number", "kind": "String",
	"parent_code": "String", "households": "Number", "people": "Number", "area_m2": "Number",
	"band": "String", // grids only: over, under, ok or n/a against the grid's band
}

// unitDef declares the layer of one unit level; summaries (below the
// layer's DetailZoom) keep code, name, kind, area and the counts (the
// display's density and balance layers read them at every zoom, so the big
// screen needs no per-grid report).
func unitDef(name, description string, level, maxZoom, detailZoom int) Def {
	return Def{
		Spec: tile.Spec{Name: name, MinZoom: 0, MaxZoom: maxZoom, DetailZoom: detailZoom,
			SummaryKeys: []string{"code", "name", "kind", "area_m2", "households", "people", "band"}},
		Description: description,
		Fields:      unitFields,
		Sources:     Units | Places, // the household counts come from places
		Level:       level,
		Load: func(ctx context.Context, st *store.Store) ([]tile.Feature, error) {
			us, err := st.MapUnits(ctx, level)
			if err != nil {
				return nil, err
			}
			fs := make([]tile.Feature, 0, len(us))
			for _, u := range us {
				f, err := unitFeature(u)
				if err != nil {
					return nil, err
				}
				fs = append(fs, f)
			}
			return fs, nil
		},
	}
}

// Defs are the served layers, in the order TileJSON lists them.
var Defs = []Def{
	unitDef("districts", "Districts (区/县)", unit.LevelDistrict, adminMaxZoom, 8),
	unitDef("streets", "Streets and townships (街道/乡镇)", unit.LevelStreet, adminMaxZoom, 10),
	unitDef("communities", "Communities and villages (社区/村)", unit.LevelCommunity, mapMaxZoom, 12),
	unitDef("grids", "Grids (网格) with their household and people counts and their place against the band (over, under, ok, n/a)", unit.LevelGrid, mapMaxZoom, 12),
	{
		Spec:        tile.Spec{Name: "buildings", MinZoom: 13, MaxZoom: mapMaxZoom},
		Description: "Building footprints (楼栋) with their household counts; no personal data",
		Fields:      map[string]string{"id": "Number", "grid_code": "String", "floors": "Number", "households": "Number"},
		Sources:     Places,
		Load: func(ctx context.Context, st *store.Store) ([]tile.Feature, error) {
			return buildingFeatures(ctx, st, true)
		},
	},
	{
		Spec:        tile.Spec{Name: "households", MinZoom: 12, MaxZoom: mapMaxZoom},
		Description: "Households (户) counted per building, one point per inhabited building; no personal data",
		Fields:      map[string]string{"id": "Number", "grid_code": "String", "households": "Number"},
		Sources:     Places,
		Load: func(ctx context.Context, st *store.Store) ([]tile.Feature, error) {
			return buildingFeatures(ctx, st, false)
		},
	},
	baseDef("roads", "The districts' street networks (街巷), imported lines: name, kind (e.g. OSM highway)", store.BaseStreets),
	baseDef("water", "The districts' water (水系), imported lines and areas: name, kind (e.g. OSM waterway, natural)", store.BaseWater),
	{
		Spec:        tile.Spec{Name: "organisations", MinZoom: 12, MaxZoom: mapMaxZoom},
		Description: "Organisations and facilities (地、物、组织): enterprises, shops, schools, hydrants, cameras, …, as points with kind and name; no contacts",
		Fields:      map[string]string{"id": "Number", "grid_code": "String", "kind": "String", "domain": "String", "name": "String"},
		Sources:     Places,
		Load:        organisationFeatures,
	},
	{
		Spec:        tile.Spec{Name: "defects", MinZoom: 0, MaxZoom: mapMaxZoom, Tolerance: -1},
		Description: "Coverage defects of each community's grids (gaps, overlaps, invalid edges, parts outside the community), from geo/coverage",
		// grid.Defect's properties (TileProperties): codes are the grids
		// concerned, comma-separated; parent_code is the community.
		Fields: map[string]string{"kind": "String", "codes": "String", "parent_code": "String", "level": "String",
			"size": "Number", "unit": "String", "message": "String"},
		Sources: Units,
		Derived: true,
	},
}

// baseDef declares the layer of a base map table, drawn under the grids.
func baseDef(name, description, table string) Def {
	return Def{
		Spec:        tile.Spec{Name: name, MinZoom: 10, MaxZoom: mapMaxZoom},
		Description: description,
		Fields:      map[string]string{"name": "String", "kind": "String"},
		Sources:     Basemap,
		Load: func(ctx context.Context, st *store.Store) ([]tile.Feature, error) {
			bs, err := st.MapBase(ctx, table)
			if err != nil {
				return nil, err
			}
			fs := make([]tile.Feature, len(bs))
			for i, b := range bs {
				fs[i] = tile.Feature{ID: uint64(b.ID), Geometry: b.Geom, Properties: []tile.Property{{Key: "name", Value: b.Name}, {Key: "kind", Value: b.Kind}}}
			}
			return fs, nil
		},
	}
}

// unitFeature is a unit as a tile feature; its id is its numeric code.
func unitFeature(u store.MapUnit) (tile.Feature, error) {
	id, err := strconv.ParseUint(u.Code, 10, 64)
	if err != nil {
		return tile.Feature{}, fmt.Errorf("mapdata: unit code %q: %w", u.Code, err)
	}
	props := []tile.Property{
		{Key: "code", Value: u.Code}, {Key: "name", Value: u.Name}, {Key: "level", Value: u.Level},
		{Key: "kind", Value: u.Kind}, {Key: "parent_code", Value: u.Parent}, {Key: "households", Value: u.Households},
		{Key: "people", Value: u.People}, {Key: "area_m2", Value: int64(math.Round(geo.Area(u.Geometry)))},
	}
	if u.Band != "" {
		props = append(props, tile.Property{Key: "band", Value: u.Band})
	}
	return tile.Feature{ID: id, Geometry: u.Geometry, Properties: props}, nil
}

// buildingFeatures are footprints (buildings without one are left out), or
// with points false household-count points of inhabited buildings.
func buildingFeatures(ctx context.Context, st *store.Store, footprints bool) ([]tile.Feature, error) {
	bs, err := st.MapBuildings(ctx)
	if err != nil {
		return nil, err
	}
	fs := make([]tile.Feature, 0, len(bs))
	for _, b := range bs {
		if footprints && len(b.Footprint) > 0 && len(b.Footprint[0]) >= 4 {
			fs = append(fs, tile.Feature{ID: uint64(b.ID), Geometry: b.Footprint, Properties: []tile.Property{
				{Key: "id", Value: b.ID}, {Key: "grid_code", Value: b.Grid}, {Key: "floors", Value: b.Floors},
				{Key: "households", Value: b.Households},
			}})
		}
		if !footprints && b.Households > 0 {
			fs = append(fs, tile.Feature{ID: uint64(b.ID), Geometry: b.Point, Properties: []tile.Property{
				{Key: "id", Value: b.ID}, {Key: "grid_code", Value: b.Grid}, {Key: "households", Value: b.Households},
			}})
		}
	}
	return fs, nil
}

// organisationFeatures are the organisations and facilities as points.
func organisationFeatures(ctx context.Context, st *store.Store) ([]tile.Feature, error) {
	os, err := st.MapOrganisations(ctx)
	if err != nil {
		return nil, err
	}
	fs := make([]tile.Feature, 0, len(os))
	for _, o := range os {
		fs = append(fs, tile.Feature{ID: uint64(o.ID), Geometry: orb.Point{o.Lon, o.Lat}, Properties: []tile.Property{
			{Key: "id", Value: o.ID}, {Key: "grid_code", Value: o.Grid}, {Key: "kind", Value: o.Kind},
			{Key: "domain", Value: o.Domain}, {Key: "name", Value: o.Name},
		}})
	}
	return fs, nil
}
