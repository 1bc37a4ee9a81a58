// Package locate answers "which grid cell contains this point" from an
// in-memory index of cell polygons.
//
// An Index holds an immutable Snapshot behind an atomic pointer: readers
// never lock, and each update (Upsert, Delete) builds a new snapshot by
// copy-on-write of the previous one (tidwall/rtree Copy, plus the touched
// rows of an acceleration grid), so one edited grid does not rebuild
// everything.
//
// Boundary rule (the only one used everywhere in this package): a point
// belongs to the cell with the lexicographically smallest code among the
// cells whose closed area (interior plus boundary, hole rings included)
// contains it. For a valid partition this means a point strictly inside a
// cell belongs to that cell, and a point on an edge or vertex shared by
// several cells goes to the smallest code. PostGIS equivalent:
//
//	SELECT min(code) FROM grid WHERE ST_Intersects(geom, point)
//
// Boundary membership is decided exactly on the float64 coordinates (robust
// orientation, as in GEOS). The answer therefore equals that query for
// every point except ones within rounding distance of a diagonal edge, where
// PostGIS's own floating-point side test may round differently.
// Cells are expected to be valid (OGC) polygons, as a grid partition must
// be; for self-intersecting rings or overlapping parts of one MultiPolygon
// the answer is unspecified.
//
// Coordinates are WGS-84 longitude/latitude; distances in metres use a local
// equirectangular scale at the query point's latitude (see metresPerDegree).
package locate
