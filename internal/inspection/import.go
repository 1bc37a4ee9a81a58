package inspection

import (
	"bytes"
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"wangge/internal/apperr"
	"wangge/internal/auth"
	"wangge/internal/importer"
	"wangge/internal/store"
)

// MaxImportRows bounds one places table.
const MaxImportRows = 5000

// importColumns maps the accepted headers (English or Chinese) to fields.
var importColumns = map[string]string{
	"name": "name", "名称": "name", "kind": "kind", "类型": "kind", "lon": "lon", "经度": "lon", "lat": "lat", "纬度": "lat",
	"parent": "parent", "上级": "parent", "responsible_staff_id": "staff", "责任人id": "staff",
	"wkt": "wkt", "outline": "wkt", "轮廓": "wkt",
	"contact_name": "contact", "联系人": "contact", "phone": "phone", "电话": "phone", "联系电话": "phone",
	"address": "address", "地址": "address",
}

// ReadTable reads a places table (CSV in UTF-8 or GB18030, or the first
// sheet of an XLSX file, unzipped within importer's cap) as rows of cells,
// the header first; blank rows are left out.
func ReadTable(data []byte, xlsx bool) ([][]string, error) {
	name := "places.csv"
	if xlsx {
		name = "places.xlsx"
	}
	header, rows, _, err := importer.ReadTable(bytes.NewReader(data), name, int64(len(data)), MaxImportRows)
	if err != nil {
		return nil, apperr.New(apperr.ErrInvalid, "%v", err)
	}
	return append([][]string{header}, rows...), nil
}

// ImportPlaces stores a table of places (name, kind, lon and lat or wkt —
// an outline as POLYGON/MULTIPOLYGON WKT — or both, parent?,
// responsible_staff_id?, contact_name?, phone?, address?) into grid — or,
// grid "", each row into the grid holding it —, coordinates in system sys ("" WGS-84),
// all or nothing: a bad row is a 400 naming its line and nothing is stored.
// parent names a row above it or a place already in the grid.
func (s *Service) ImportPlaces(ctx context.Context, p auth.Principal, grid, sys string, rows [][]string, audit store.AuditEntry) ([]int64, error) {
	if len(rows) < 2 {
		return nil, apperr.New(apperr.ErrInvalid, "the table needs a header and at least one row")
	}
	if len(rows) > MaxImportRows+1 {
		return nil, apperr.New(apperr.ErrInvalid, "%d rows; the limit is %d", len(rows)-1, MaxImportRows)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		if f, ok := importColumns[strings.ToLower(strings.TrimSpace(h))]; ok {
			col[f] = i
		}
	}
	system, err := parseSystem(sys)
	if err != nil {
		return nil, err
	}
	need := []string{"name", "kind", "lon", "lat"}
	if _, ok := col["wkt"]; ok {
		need = need[:2] // an outline stands for the point
	}
	for _, c := range need {
		if _, ok := col[c]; !ok {
			return nil, apperr.New(apperr.ErrInvalid, "column %q is missing (want name, kind, lon, lat or wkt, parent, responsible_staff_id, contact_name, phone, address)", c)
		}
	}
	cell := func(row []string, f string) string {
		if i, ok := col[f]; ok && i < len(row) {
			return strings.TrimSpace(row[i])
		}
		return ""
	}
	var ids []int64
	err = s.Store.InTx(ctx, func(tx pgx.Tx) error {
		byName := map[string]int64{}
		if grid != "" && p.Can(auth.ManagePlaces, grid) {
			existing, err := s.Store.PlacesInGrid(ctx, grid)
			if err != nil {
				return err
			}
			for _, e := range existing {
				byName[e.Name] = e.ID
			}
		}
		for n, row := range rows[1:] {
			line := n + 2
			np := NewPlace{GridCode: grid, Kind: cell(row, "kind"), Name: cell(row, "name"), CRS: sys,
				ContactName: cell(row, "contact"), Phone: cell(row, "phone"), Address: cell(row, "address")}
			if v := cell(row, "wkt"); v != "" {
				var err error
				if np.outline, err = outlineWKT(ctx, v, system); err != nil {
					return lineError(line, err)
				}
			}
			if np.outline == nil || cell(row, "lon") != "" || cell(row, "lat") != "" {
				lon, err1 := strconv.ParseFloat(cell(row, "lon"), 64)
				lat, err2 := strconv.ParseFloat(cell(row, "lat"), 64)
				if err1 != nil || err2 != nil {
					return apperr.New(apperr.ErrInvalid, "line %d: lon %q, lat %q: want decimal degrees (or an outline in wkt)", line, cell(row, "lon"), cell(row, "lat"))
				}
				np.Lon, np.Lat = &lon, &lat
			}
			if v := cell(row, "parent"); v != "" {
				id, ok := byName[v]
				if !ok {
					return apperr.New(apperr.ErrInvalid, "line %d: parent %q is neither a row above nor a place of grid %q", line, v, grid)
				}
				np.ParentID = &id
			}
			if v := cell(row, "staff"); v != "" {
				id, err := strconv.ParseInt(v, 10, 64)
				if err != nil {
					return apperr.New(apperr.ErrInvalid, "line %d: responsible_staff_id %q: want a staff id", line, v)
				}
				np.ResponsibleStaffID = &id
			}
			id, err := s.createPlace(ctx, tx, p, np, audit)
			if err != nil {
				return lineError(line, err)
			}
			byName[strings.TrimSpace(np.Name)] = id
			ids = append(ids, id)
		}
		return nil
	})
	return ids, err
}

// lineError names the table's line in a refusal.
func lineError(line int, err error) error {
	var e *apperr.Error
	if errors.As(err, &e) {
		return &apperr.Error{Kind: e.Kind, Message: "line " + strconv.Itoa(line) + ": " + e.Message, Details: e.Details}
	}
	return err
}
