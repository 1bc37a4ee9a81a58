// Package static embeds the map front end so the binary serves it offline.
// vendor/ is filled from npm (package-lock.json) by scripts/build.
package static

import "embed"

// FS is the front end: index.html, its modules and vendor/.
//
//go:embed index.html app.js style.css i18n.js api.js geometry.js gridmap.js card.js lookup.js planner.js display.js patrol.js jurisdiction.js residents.js vendor
var FS embed.FS
