// Package hotspot finds where counts cluster: Getis-Ord Gi* over bins
// (hexagons or grids) with binary spatial weights, two-sided normal
// p-values, a Benjamini–Hochberg false discovery rate correction across bins,
// and the hot/cold classes at 90/95/99 % confidence that ArcGIS's Hot Spot
// Analysis reports as Gi_Bin (and PySAL's esda.G_Local with star=True gives as
// Zs/p_norm). It also bins points into flat-top hexagons on a local
// projection. Pure: no database, no HTTP.
//
// The statistic (Getis and Ord 1992, Ord and Getis 1995), for bin i with
// values x_j, binary weights w_ij that include i itself (the "star"), n bins,
// mean X̄ and population standard deviation S:
//
//	Gi* = (Σ_j w_ij x_j − X̄ Σ_j w_ij) / (S √((n Σ_j w_ij² − (Σ_j w_ij)²) / (n − 1)))
//
// which is already the z-score. Row-standardising the weights (PySAL's
// default transform 'R') scales numerator and denominator alike, so the
// z-scores are the same.
package hotspot
