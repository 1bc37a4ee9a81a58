// Package migrations holds the numbered SQL migrations of the wangge schema,
// embedded so the binary is self-contained on offline intranets.
package migrations

import "embed"

// FS holds the files NNNNNN_name.up.sql, applied in order.
//
//go:embed *.sql
var FS embed.FS
