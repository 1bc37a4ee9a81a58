package lookup_test

import (
	"io"
	"log/slog"

	"wangge/geo/locate"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

type cellT = locate.Cell
