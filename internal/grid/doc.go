// Package grid owns coverage defects and their one GeoJSON encoding, the
// comparison of shapes on the 1e-7° grid, and the single step every
// grid-geometry write goes through (Commit): the boundary editor and the
// layer import only compute change sets. The words (codes, levels, kinds)
// are package unit's.
package grid
