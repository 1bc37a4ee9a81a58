package residents

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"wangge/internal/apperr"
	"wangge/internal/importer"
	"wangge/internal/store"
)

// MaxImportRows bounds one import (a community's register fits).
const MaxImportRows = 100_000

// Columns are the accepted header names per field (English or Chinese).
var Columns = map[string][]string{
	"household_id": {"household_id", "户ID", "户编号"},
	"name":         {"name", "姓名"},
	"id_number":    {"id_number", "身份证号", "公民身份号码"},
	"phone":        {"phone", "电话", "联系电话"},
	"relation":     {"relation", "与户主关系"},
	"residence":    {"residence", "户籍类型", "人口类型"},
	"categories":   {"categories", "人员类别"},
	"move_in":      {"move_in", "迁入日期"},
}

// Problem is one refused cell of an import.
type Problem struct {
	Row    int    `json:"row"`
	Column string `json:"column"`
	Reason string `json:"reason"`
}

// Rejected is an import refused for its rows: every problem, nothing stored.
type Rejected struct{ Problems []Problem }

func (r *Rejected) Error() string { return fmt.Sprintf("%d problems; nothing stored", len(r.Problems)) }

// ImportRequest is one register file to import.
type ImportRequest struct {
	Data     io.Reader
	Filename string // its extension says CSV or XLSX
	Size     int64
	// Allow says whether the writer may add persons to a household in grid
	// ("" when the household lies in no grid); Granted whether it may set
	// a sensitive category.
	Allow   func(grid string) bool
	Granted func(category string) bool
	UserID  int64 // the writer, on the move-in events
	Audit   store.AuditEntry
	Now     time.Time
}

// Import checks every row as a single write of a person is checked (Check),
// plus the household's existence and scope and ID numbers already held or
// twice in the file. Any problem rejects the whole file (*Rejected, every
// problem listed) and stores nothing; else all rows go in one transaction.
func Import(ctx context.Context, st *store.Store, req ImportRequest) (int, error) {
	header, rows, numbers, err := importer.ReadTable(req.Data, req.Filename, req.Size, MaxImportRows)
	if err != nil {
		return 0, apperr.New(apperr.ErrInvalid, "%v", err)
	}
	col := map[string]int{}
	for i, h := range header {
		for field, names := range Columns {
			for _, n := range names {
				if strings.EqualFold(strings.TrimSpace(h), n) {
					col[field] = i
				}
			}
		}
	}
	for _, field := range []string{"household_id", "name", "residence"} {
		if _, ok := col[field]; !ok {
			return 0, apperr.New(apperr.ErrInvalid, "missing column %s (%s)", field, strings.Join(Columns[field], "/"))
		}
	}
	if len(rows) == 0 {
		return 0, apperr.New(apperr.ErrInvalid, "the file has no person rows")
	}
	cats, err := st.PersonCategories(ctx)
	if err != nil {
		return 0, err
	}
	mine := map[string]bool{} // the sensitive categories the writer may set
	for k := range cats {
		mine[k] = req.Granted(k)
	}
	var problems []Problem
	bad := func(row int, column, format string, args ...any) {
		problems = append(problems, Problem{row, column, fmt.Sprintf(format, args...)})
	}
	ps := make([]store.Person, 0, len(rows))
	moveIn := make([]string, 0, len(rows))
	rowOf := make([]int, 0, len(rows))
	for i, rec := range rows {
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		cell := func(field string) string {
			if j, ok := col[field]; ok && j < len(rec) {
				return strings.TrimSpace(rec[j])
			}
			return ""
		}
		in := Input{Name: cell("name"), IDNumber: cell("id_number"), Phone: cell("phone"), Relation: cell("relation"), Residence: cell("residence")}
		hh, err := strconv.ParseInt(cell("household_id"), 10, 64)
		if err != nil || hh < 1 {
			bad(numbers[i], "household_id", "%q is not a household id", cell("household_id"))
			continue
		}
		in.HouseholdID = hh
		in.Categories = strings.FieldsFunc(cell("categories"), func(r rune) bool { return strings.ContainsRune(",;，；、| ", r) })
		p, err := Check(in, cats, req.Now)
		if err == nil {
			err = Granted(p.Categories, cats, mine)
		}
		var d string
		if err == nil {
			d, err = CheckMoveIn(cell("move_in"), req.Now)
		}
		var fe *FieldError
		if errors.As(err, &fe) {
			bad(numbers[i], fe.Field, "%v", fe.Err)
			continue
		}
		ps, moveIn, rowOf = append(ps, p), append(moveIn, d), append(rowOf, numbers[i])
	}
	// Households and ID numbers: two queries for the whole file.
	hhs := make([]int64, len(ps))
	idns := make([]string, 0, len(ps))
	firstRow := map[string]int{}
	for i, p := range ps {
		hhs[i] = *p.HouseholdID
		if p.IDNumber == "" {
			continue
		}
		if prev, ok := firstRow[p.IDNumber]; ok {
			bad(rowOf[i], "id_number", "the same person is on row %d: one person lives in one household", prev)
			continue
		}
		firstRow[p.IDNumber] = rowOf[i]
		idns = append(idns, p.IDNumber)
	}
	grids, held, err := st.ImportLookups(ctx, hhs, idns)
	if err != nil {
		return 0, err
	}
	for i, p := range ps {
		g, ok := grids[*p.HouseholdID]
		switch {
		case !ok:
			bad(rowOf[i], "household_id", "no household %d", *p.HouseholdID)
		case !req.Allow(g):
			bad(rowOf[i], "household_id", "household %d lies outside your units", *p.HouseholdID)
		}
		if h, ok := held[p.IDNumber]; ok && p.IDNumber != "" {
			where := "moved out"
			if h.HouseholdID != nil {
				where = fmt.Sprintf("in household %d", *h.HouseholdID)
			}
			bad(rowOf[i], "id_number", "already person %d (%s): one person lives in one household; record a move instead", h.PersonID, where)
		}
	}
	if len(problems) > 0 {
		return 0, &Rejected{problems}
	}
	return st.ImportPersons(ctx, ps, moveIn, req.UserID, req.Audit)
}
