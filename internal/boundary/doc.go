// Package boundary is the planners' grid editor: replace, create, delete,
// split and merge grids so that the grids of a community keep partitioning
// it. Every edit is one SERIALIZABLE transaction that
//
//   - snaps the new shape's vertices within a tolerance (default 0.5 m) onto
//     the neighbours' vertices and edges;
//   - nodes the old and new boundaries of the grids around the edit into one
//     arrangement of faces and rebuilds every affected grid as a union of
//     faces, so neighbours share exactly the same edges (no T-junctions,
//     checked with coverage.InvalidEdges before anything is written);
//   - in strict mode refuses any overlap, gap or part outside the parent
//     larger than the tolerance (ErrTopology with the defects as GeoJSON); in
//     adjust mode cuts what the edit takes from the neighbours and gives what
//     it releases to the neighbour with the longest shared border (or leaves
//     it as a reported gap);
//   - re-assigns buildings, households and incidents by location, writes one
//     audit entry per changed grid, and records who and why in
//     unit_versions.
package boundary
