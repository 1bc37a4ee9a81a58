package importer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"

	"github.com/jackc/pgx/v5"

	"wangge/geo/crs"
	"wangge/internal/apperr"
	"wangge/internal/store"
	"wangge/internal/unit"
)

// Options configure one household import.
type Options struct {
	Format  Format
	Size    int64            // bytes, for progress; 0 if unknown
	Mapping map[string]Field // explicit header → field (ParseMapping)
	CRS     crs.System       // for rows without a crs cell; "" = WGS-84
	// Scope is the importing user's unit ("" everywhere): rows whose building
	// lies outside it are errors.
	Scope string
	// Progress, when set, is called every few thousand rows and at the end.
	Progress func(rows int, done float64)
}

// Rejected is the answer for a file with bad rows: nothing was imported.
type Rejected struct {
	Problems []Problem `json:"problems"` // in row order, at most MaxProblems
	BadRows  int       `json:"bad_rows"`
	Rows     int       `json:"rows"`
}

func (r *Rejected) Error() string {
	if len(r.Problems) == 0 {
		return fmt.Sprintf("%d of %d rows are bad: nothing imported", r.BadRows, r.Rows)
	}
	return fmt.Sprintf("%d of %d rows are bad (first: %s): nothing imported", r.BadRows, r.Rows, r.Problems[0])
}

// Households loads one household file in tx, all or nothing: it streams the
// checked rows into a staging table with COPY, has the database place them
// (grid by point, building by estate and number), and if any row is bad —
// in the file or in place — returns *Rejected and writes nothing (the
// caller rolls tx back). Re-importing a file changes nothing: buildings,
// addresses and households are matched, not duplicated (see store.ApplyImport).
// A file that cannot be read at all is apperr.ErrInvalid.
func Households(ctx context.Context, st *store.Store, tx pgx.Tx, rd io.Reader, opt Options) (store.ImportCounts, error) {
	var counts store.ImportCounts
	p, err := NewParser(rd, opt.Format, opt.Size, opt.Mapping, opt.CRS)
	if err != nil {
		return counts, apperr.New(apperr.ErrInvalid, "%v", err)
	}
	defer p.Close()
	if err := st.StageImport(ctx, tx); err != nil {
		return counts, err
	}
	src := &rowSource{p: p, progress: opt.Progress}
	if _, err := st.CopyImportRows(ctx, tx, src); err != nil {
		if src.err != nil {
			return counts, apperr.New(apperr.ErrInvalid, "reading the file: %v", src.err)
		}
		return counts, err
	}
	if opt.Progress != nil {
		opt.Progress(p.Rows, 1)
	}
	prefix := ""
	if opt.Scope != "" {
		prefix = opt.Scope[:unit.PrefixLen(opt.Scope)]
	}
	dbProbs, err := st.CheckImport(ctx, tx, opt.Scope, prefix, MaxProblems)
	if err != nil {
		return counts, err
	}
	if p.Bad > 0 || len(dbProbs) > 0 {
		return counts, reject(p, dbProbs)
	}
	if p.Rows == 0 {
		return counts, &Rejected{Problems: []Problem{{Row: 2, Reason: "no data rows below the header"}}, BadRows: 1}
	}
	return st.ApplyImport(ctx, tx)
}

// reject merges the file's and the database's problems in row order.
func reject(p *Parser, dbProbs []store.ImportProblem) *Rejected {
	probs := append([]Problem(nil), p.Problems...)
	badRows := map[int]bool{}
	for _, d := range dbProbs {
		col := p.cols.name(Field(d.Field))
		probs = append(probs, Problem{Row: d.Row, Column: col, Reason: d.Reason})
		badRows[d.Row] = true
	}
	sort.SliceStable(probs, func(i, j int) bool { return probs[i].Row < probs[j].Row })
	if len(probs) > MaxProblems {
		probs = probs[:MaxProblems]
	}
	return &Rejected{Problems: probs, BadRows: p.Bad + len(badRows), Rows: p.Rows}
}

// rowSource feeds the parser's good rows to COPY.
type rowSource struct {
	p        *Parser
	row      Row
	err      error
	progress func(int, float64)
}

const progressEvery = 4096

func (s *rowSource) Next() bool {
	r, err := s.p.Next()
	if errors.Is(err, io.EOF) {
		return false
	}
	if err != nil {
		s.err = err
		return false
	}
	s.row = r
	if s.progress != nil && s.p.Rows%progressEvery == 0 {
		s.progress(s.p.Rows, s.p.Done())
	}
	return true
}

func (s *rowSource) Values() ([]any, error) {
	r := s.row
	tags := r.Tags
	if tags == nil {
		tags = []string{}
	}
	return []any{int32(r.Line), r.Estate, r.BuildingNo, r.UnitNo, r.Room,
		r.EstateKey, r.BuildingKey, r.UnitKey, r.RoomKey, r.Lon, r.Lat,
		r.HeadName, r.IDNumber, r.Phone, int16(r.Members), tags}, nil
}

func (s *rowSource) Err() error { return s.err }
