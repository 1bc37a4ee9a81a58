package locate

import "wangge/geo/earth"

// metresPerDegree is the local scale of geo/earth (see earth.MetresPerDegree
// for its error over a grid-sized neighbourhood).
var metresPerDegree = earth.MetresPerDegree
