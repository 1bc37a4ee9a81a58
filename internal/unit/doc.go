// Package unit is the vocabulary of the unit tree (区/街道/社区/网格/小区): codes
// and their checks, levels and their names, grid kinds and the workload band
// of a basic grid. It depends on nothing of wangge but apperr, so the store,
// auth and every service can use it; writes of grid geometry go through
// package grid.
package unit
