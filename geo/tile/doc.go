// Package tile renders Mapbox Vector Tiles (MVT v2) from features held in
// memory (geo/tile/mvtdecode, for tests, decodes them with the MVT 2.1 checks).
//
// Units: a tile has Extent (4096) integer units per side and is displayed at
// Options.TileSize pixels (256), so one pixel is Extent/TileSize = 16 units.
// Simplification tolerances and minimum feature sizes are given in pixels.
//
// Geometry rules of the encoder:
//   - Polygon rings are simplified with Douglas-Peucker, snapped to the integer
//     grid and cleaned (repeated and collinear points removed); a ring that is
//     then invalid (fewer than 4 points, zero area, self-intersecting) is
//     retried with a quarter of the tolerance and then unsimplified. An
//     exterior ring that is still invalid becomes its integer bounding box
//     when its part is at least one pixel wide or high, so small grids stay
//     visible; otherwise the part is dropped. Invalid holes are dropped.
//   - Exterior rings have positive area in tile coordinates (clockwise on
//     screen, y down) and holes negative area, as MVT 2.1 section 4.3.4.4 asks.
//   - Features whose tile-space bounding box is smaller than Spec.MinSize
//     pixels in both directions are dropped; for polygons and lines MinSize is
//     capped at one pixel. Points are never dropped for size.
//   - Only rings are checked for self-intersection; rings of one polygon are not
//     checked against each other.
package tile
