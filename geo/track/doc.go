// Package track turns raw patrol GPS fixes into what a leader reads: kept
// fixes, trips, stay points and per-day figures. It is pure and
// deterministic (no clock, no I/O): the same fixes give the same answer.
//
// Rules, in the order they run (Params holds the numbers):
//
//   - Sort by time; of two fixes at the same instant the first is kept.
//   - Drop fixes whose reported accuracy is worse than MaxAccuracyM.
//   - Drop spikes: a fix that jumps out and back, i.e. reaching it from the
//     previous kept fix and leaving it for the next both need more than
//     MaxSpeedMPS, while going straight from the previous to the next does not.
//   - Drop impossible jumps: a fix reached from the last kept fix faster than
//     MaxSpeedMPS. After a gap longer than MaxGap the last kept fix no longer
//     anchors (the worker may have taken a bus), so the next fix is kept.
//   - Trips: the kept fixes split where two consecutive ones are more than
//     MaxGap apart. Patrol duration is the sum of trip durations — time
//     between fixes at most MaxGap apart — the rule the grid card already used.
//   - Stay points (Li et al. 2008): within a trip, from an anchor fix extend
//     while every fix stays within StayRadiusM of the anchor; if the run lasts
//     at least StayMin it is a stop at the centroid of its fixes. Stopped time
//     is the time inside stops, moving time the rest of the patrol time.
//   - Days are calendar days in the given location (China time for reports).
//     An interval between two fixes that crosses midnight is split there in
//     proportion to time (constant speed between fixes); so is its distance.
//     A stop is listed on the day it starts; its time is counted on each day
//     it overlaps.
//   - Time inside the worker's grids: each interval is cut where the straight
//     segment between its fixes crosses a grid edge, and the pieces inside are
//     counted in proportion to their length (constant speed again).
//
// Distances are haversine metres on a sphere of radius 6378137 m
// (orb/geo.Distance). Map matching is not done: no street network is needed.
package track
