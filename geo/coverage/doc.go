// Package coverage validates a set of polygons that must partition a parent
// area (grids of a community, districts of a city): invalid geometry,
// overlaps, gaps, parts outside the parent, slivers and invalid edges with
// the semantics of the JTS/GEOS CoverageValidator.
//
// Coordinates are WGS-84 lon/lat unless Options.Planar is set; sizes are then
// square metres (areas) or metres (lengths) computed on the ellipsoid.
//
// Enclaves: without a parent every hole of the union of the members is
// reported as a gap, because nothing tells a legitimate enclave from a
// missing grid. Pass the parent (with the enclave as one of its holes) and
// only the parts of the parent not covered by members are gaps.
//
// Slivers: when Options.Tolerance > 0, an overlap or gap whose mean width
// (2·area/perimeter) is below the tolerance is reported with Kind Sliver
// instead of Overlap or Gap (its Message says which); it is never reported
// twice.
package coverage
