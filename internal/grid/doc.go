// Package grid owns the vocabulary of the unit tree — codes, levels, grid
// kinds, the workload band, coverage defects and their one GeoJSON encoding —
// and the single step every grid-geometry write goes through (Commit): the
// boundary editor and the layer import only compute change sets.
package grid
