package api

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"wangge/internal/apperr"
	"wangge/internal/auth"
	"wangge/internal/importer"
	"wangge/internal/store"
)

// maxPersonRows bounds one import (a community's register fits).
const maxPersonRows = 100_000

// personColumns: accepted header names per field (English or Chinese).
var personColumns = map[string][]string{
	"household_id": {"household_id", "户ID", "户编号"},
	"name":         {"name", "姓名"},
	"id_number":    {"id_number", "身份证号", "公民身份号码"},
	"phone":        {"phone", "电话", "联系电话"},
	"relation":     {"relation", "与户主关系"},
	"residence":    {"residence", "户籍类型", "人口类型"},
	"categories":   {"categories", "人员类别"},
	"move_in":      {"move_in", "迁入日期"},
}

// rowProblem is one refused cell of an import.
type rowProblem struct {
	Row    int    `json:"row"`
	Column string `json:"column"`
	Reason string `json:"reason"`
}

// importPersons answers POST /api/import/persons: a multipart .csv/.xlsx
// (field "file"). Every row is checked like POST /api/persons, plus the
// household's scope and ID numbers held elsewhere or twice in the file; any
// problem gives 422 listing every one (row, column, reason) and stores
// nothing, else all rows go in one transaction.
func (s *Server) importPersons(c echo.Context) error {
	fh, err := c.FormFile("file")
	if err != nil {
		return apperr.New(apperr.ErrInvalid, "want a multipart upload with the file in field \"file\"")
	}
	f, err := fh.Open()
	if err != nil {
		return err
	}
	defer f.Close()
	header, rows, numbers, err := importer.ReadTable(f, fh.Filename, fh.Size, maxPersonRows)
	if err != nil {
		return apperr.New(apperr.ErrInvalid, "%v", err)
	}
	col := map[string]int{}
	for i, h := range header {
		for field, names := range personColumns {
			for _, n := range names {
				if strings.EqualFold(strings.TrimSpace(h), n) {
					col[field] = i
				}
			}
		}
	}
	for _, field := range []string{"household_id", "name", "residence"} {
		if _, ok := col[field]; !ok {
			return apperr.New(apperr.ErrInvalid, "missing column %s (%s)", field, strings.Join(personColumns[field], "/"))
		}
	}
	if len(rows) == 0 {
		return apperr.New(apperr.ErrInvalid, "the file has no person rows")
	}
	ctx := c.Request().Context()
	r, err := s.personReader(c, "")
	if err != nil {
		return err
	}
	now := time.Now()
	var problems []rowProblem
	bad := func(row int, column, format string, args ...any) {
		problems = append(problems, rowProblem{row, column, fmt.Sprintf(format, args...)})
	}
	ps := make([]store.Person, 0, len(rows))
	moveIn := make([]string, 0, len(rows))
	rowOf := make([]int, 0, len(rows))
	for i, rec := range rows {
		cell := func(field string) string {
			if j, ok := col[field]; ok && j < len(rec) {
				return strings.TrimSpace(rec[j])
			}
			return ""
		}
		in := personIn{Name: cell("name"), IDNumber: cell("id_number"), Phone: cell("phone"), Relation: cell("relation"), Residence: cell("residence")}
		hh, err := strconv.ParseInt(cell("household_id"), 10, 64)
		if err != nil || hh < 1 {
			bad(numbers[i], "household_id", "%q is not a household id", cell("household_id"))
			continue
		}
		in.HouseholdID = hh
		in.Categories = strings.FieldsFunc(cell("categories"), func(r rune) bool { return strings.ContainsRune(",;，；、| ", r) })
		p, err := checkPerson(in, r.sensitive, now)
		var fe *fieldError
		if errors.As(err, &fe) {
			bad(numbers[i], fe.field, "%v", fe.err)
			continue
		}
		if err := grantedAll(p.Categories, r); err != nil {
			bad(numbers[i], "categories", "%v", err)
			continue
		}
		d := cell("move_in")
		if d == "" {
			d = now.Format("2006-01-02")
		} else if _, err := time.Parse("2006-01-02", d); err != nil || !dateRe.MatchString(d) {
			bad(numbers[i], "move_in", "%q: want YYYY-MM-DD", d)
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
	grids, held, err := s.opt.Store.ImportLookups(ctx, hhs, idns)
	if err != nil {
		return err
	}
	for i, p := range ps {
		g, ok := grids[*p.HouseholdID]
		switch {
		case !ok:
			bad(rowOf[i], "household_id", "no household %d", *p.HouseholdID)
		case !principal(c).Can(auth.WritePersons, g) || g == "":
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
		return c.JSON(http.StatusUnprocessableEntity, map[string]any{"error": map[string]any{
			"code": "invalid_rows", "message": fmt.Sprintf("%d problems; nothing stored", len(problems)), "details": problems}})
	}
	e := auditBase(c, "import", "persons", fh.Filename)
	n, err := s.opt.Store.ImportPersons(ctx, ps, moveIn, principal(c).UserID, e)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]any{"imported": n})
}
