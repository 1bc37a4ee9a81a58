// Package static embeds the map front end so the binary serves it offline.
// vendor/ is filled from npm (package-lock.json) by scripts/build.
package static

import "embed"

// FS is the front end: index.html, its modules and vendor/.
//
//go:embed index.html app.js style.css vendor
var FS embed.FS
