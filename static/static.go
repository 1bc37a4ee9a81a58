// Package static embeds the map front end so the binary serves it offline.
//
// The libraries in vendor/ are copied from npm (package-lock.json) by
// scripts/build and named one by one below: when they have not been copied,
// `go build` fails with "pattern vendor/…: no matching files found" instead
// of making a binary whose map page is blank. Run scripts/build (or
// `cd static && npm ci` and the copy lines in it) first.
package static

import "embed"

// FS is the front end: index.html, its modules and the vendored libraries.
//
//go:embed index.html api-docs.html style.css *.js
//go:embed vendor/maplibre-gl.js vendor/maplibre-gl.css vendor/LICENSE.txt
//go:embed vendor/terra-draw.umd.js vendor/terra-draw-maplibre-gl-adapter.umd.js
//go:embed vendor/echarts.min.js vendor/echarts-LICENSE.txt
//go:embed vendor/swagger-ui-bundle.js vendor/swagger-ui.css vendor/swagger-ui-LICENSE.txt
var FS embed.FS
