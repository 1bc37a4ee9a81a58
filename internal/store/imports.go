package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// ImportColumns are the staged columns, in CopyImportRows order.
var ImportColumns = []string{"row_no", "estate", "building_no", "unit_no", "room",
	"estate_key", "building_key", "unit_key", "room_key", "lon", "lat",
	"head_name", "id_number", "phone", "members", "tags"}

const createImportStageSQL = `
CREATE TEMP TABLE import_rows (
    row_no        int PRIMARY KEY,
    estate        text NOT NULL, building_no text NOT NULL, unit_no text NOT NULL, room text NOT NULL,
    estate_key    text NOT NULL, building_key text NOT NULL, unit_key text NOT NULL, room_key text NOT NULL,
    lon           float8 NOT NULL, lat float8 NOT NULL,
    head_name     text NOT NULL, id_number text NOT NULL, phone text NOT NULL,
    members       smallint NOT NULL, tags text[] NOT NULL,
    grid_code     text,   -- the grid the row's point is in
    building_id   bigint, -- matched or created
    building_grid text,   -- the building's grid: it decides the household's grid
    address_id    bigint,
    household_id  bigint
) ON COMMIT DROP`

// StageImport creates the transaction's staging table for household rows.
func (s *Store) StageImport(ctx context.Context, q Querier) error {
	if _, err := q.Exec(ctx, createImportStageSQL); err != nil {
		return fmt.Errorf("store: stage import: %w", err)
	}
	return nil
}

// CopyImportRows streams rows (ImportColumns order) into the staging table.
func (s *Store) CopyImportRows(ctx context.Context, q Querier, src pgx.CopyFromSource) (int64, error) {
	n, err := q.CopyFrom(ctx, pgx.Identifier{"import_rows"}, ImportColumns, src)
	if err != nil {
		return n, fmt.Errorf("store: copy import rows: %w", err)
	}
	return n, nil
}

// ImportProblem is a staged row the database refuses.
type ImportProblem struct {
	Row    int
	Field  string
	Reason string
}

// Grids by location follow geo/locate's boundary rule: a point on a shared
// edge belongs to the smallest code.
var checkImportSQL = []string{
	`ANALYZE import_rows`,
	`UPDATE import_rows r SET grid_code = (
        SELECT min(u.code) FROM units u
        WHERE u.level = 4 AND ST_Intersects(u.geom, ST_SetSRID(ST_MakePoint(r.lon, r.lat), 4326)))`,
	// Existing buildings: same estate and number within the point's community.
	`WITH k AS (
        SELECT DISTINCT left(grid_code, 12) AS community, estate_key, building_key
        FROM import_rows WHERE grid_code IS NOT NULL
    ), m AS (
        SELECT DISTINCT ON (k.community, k.estate_key, k.building_key)
               k.community, k.estate_key, k.building_key, b.id, b.grid_code
        FROM k
        JOIN units g ON g.parent_code = k.community AND g.level = 4
        JOIN buildings b ON b.grid_code = g.code
             AND gazetteer_norm(b.estate) = k.estate_key AND gazetteer_key(b.building_no) = k.building_key
        ORDER BY k.community, k.estate_key, k.building_key, b.id
    )
    UPDATE import_rows r SET building_id = m.id, building_grid = m.grid_code
    FROM m WHERE left(r.grid_code, 12) = m.community AND r.estate_key = m.estate_key AND r.building_key = m.building_key`,
	// A new building stands where its first row puts it.
	`WITH f AS (
        SELECT DISTINCT ON (left(grid_code, 12), estate_key, building_key)
               left(grid_code, 12) AS community, estate_key, building_key, grid_code
        FROM import_rows WHERE grid_code IS NOT NULL AND building_id IS NULL
        ORDER BY left(grid_code, 12), estate_key, building_key, row_no
    )
    UPDATE import_rows r SET building_grid = f.grid_code
    FROM f WHERE r.building_id IS NULL AND left(r.grid_code, 12) = f.community
         AND r.estate_key = f.estate_key AND r.building_key = f.building_key`,
}

const importProblemsSQL = `
SELECT row_no, 'lon', 'the point ' || round(lon::numeric, 6) || ', ' || round(lat::numeric, 6) || ' is not inside any grid'
FROM import_rows WHERE grid_code IS NULL
UNION ALL
SELECT row_no, 'lon', 'the building is in grid ' || building_grid || ', outside your area ' || $1
FROM import_rows WHERE building_grid IS NOT NULL AND $2 <> '' AND NOT starts_with(building_grid, $2)
UNION ALL
SELECT row_no, 'head_name', 'duplicate of row ' || first_row
FROM (
    SELECT row_no, min(row_no) OVER (PARTITION BY left(grid_code, 12), estate_key, building_key, unit_key, room_key,
                                     CASE WHEN id_number <> '' THEN 'id:' || id_number ELSE 'name:' || head_name END) AS first_row
    FROM import_rows
) d WHERE row_no <> first_row
ORDER BY 1, 2
LIMIT $3`

// CheckImport locates the staged rows (grid by point, building by estate
// and number within the community) and returns the rows that cannot load:
// outside every grid, in a building outside scope (a unit code; "" means
// everywhere; scopePrefix is the part of it that a code must start with),
// or repeating an earlier row (same dwelling and ID number, or head's name
// when there is no ID number).
func (s *Store) CheckImport(ctx context.Context, q Querier, scope, scopePrefix string, limit int) ([]ImportProblem, error) {
	for _, stmt := range checkImportSQL {
		if _, err := q.Exec(ctx, stmt); err != nil {
			return nil, fmt.Errorf("store: check import: %w", err)
		}
	}
	rows, err := q.Query(ctx, importProblemsSQL, scope, scopePrefix, limit)
	if err != nil {
		return nil, fmt.Errorf("store: check import: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[ImportProblem])
	if err != nil {
		return nil, fmt.Errorf("store: check import: %w", err)
	}
	return out, nil
}

// ImportCounts is what a load changed.
type ImportCounts struct {
	Rows                int `json:"rows"`
	BuildingsMatched    int `json:"buildings_matched"`
	BuildingsCreated    int `json:"buildings_created"`
	AddressesMatched    int `json:"addresses_matched"`
	AddressesCreated    int `json:"addresses_created"`
	HouseholdsInserted  int `json:"households_inserted"`
	HouseholdsUpdated   int `json:"households_updated"`
	HouseholdsUnchanged int `json:"households_unchanged"`
}

const (
	importBuildingsSQL = `
WITH nb AS (
    SELECT DISTINCT ON (left(grid_code, 12), estate_key, building_key)
           estate, building_no, building_grid, lon, lat
    FROM import_rows WHERE building_id IS NULL
    ORDER BY left(grid_code, 12), estate_key, building_key, row_no
), ins AS (
    INSERT INTO buildings (region_code, grid_code, name, estate, building_no, pt)
    SELECT left(building_grid, 6), building_grid, estate || building_no, estate, building_no,
           ST_SetSRID(ST_MakePoint(lon, lat), 4326)
    FROM nb
    RETURNING id, grid_code, estate, building_no, gazetteer_norm(estate) AS ek, gazetteer_key(building_no) AS bk
)
UPDATE import_rows r SET building_id = ins.id
FROM ins WHERE r.building_id IS NULL AND r.building_grid = ins.grid_code
     AND r.estate_key = ins.ek AND r.building_key = ins.bk`
	importMatchAddressesSQL = `
WITH k AS (SELECT DISTINCT building_id, unit_key, room_key FROM import_rows),
m AS (
    SELECT DISTINCT ON (k.building_id, k.unit_key, k.room_key) k.building_id, k.unit_key, k.room_key, a.id
    FROM k JOIN addresses a ON a.building_id = k.building_id
         AND gazetteer_key(a.unit_no) = k.unit_key AND gazetteer_key(a.room) = k.room_key
    ORDER BY k.building_id, k.unit_key, k.room_key, a.id
)
UPDATE import_rows r SET address_id = m.id
FROM m WHERE r.building_id = m.building_id AND r.unit_key = m.unit_key AND r.room_key = m.room_key`
	// New addresses are written like the demo's: 社区 小区 楼栋 单元 室, the
	// building's own spelling of estate and number.
	importAddressesSQL = `
WITH na AS (
    SELECT DISTINCT ON (building_id, unit_key, room_key) building_id, unit_key, room_key, unit_no, room
    FROM import_rows WHERE address_id IS NULL
    ORDER BY building_id, unit_key, room_key, row_no
), ins AS (
    INSERT INTO addresses (region_code, building_id, community_code, estate, building_no, unit_no, room, full_text)
    SELECT b.region_code, na.building_id, left(b.grid_code, 12), b.estate, b.building_no, na.unit_no, na.room,
           concat_ws(' ', nullif(cu.name, ''), nullif(b.estate, ''), nullif(b.building_no, ''),
                     nullif(na.unit_no, ''), nullif(na.room, ''))
    FROM na JOIN buildings b ON b.id = na.building_id
    LEFT JOIN units cu ON cu.code = left(b.grid_code, 12)
    RETURNING id, building_id, unit_no, room
)
UPDATE import_rows r SET address_id = ins.id
FROM ins JOIN na ON na.building_id = ins.building_id AND na.unit_no = ins.unit_no AND na.room = ins.room
WHERE r.address_id IS NULL AND r.building_id = na.building_id AND r.unit_key = na.unit_key AND r.room_key = na.room_key`
	// A household is the same one when it lives at the same address and has
	// the same ID number (or, without one, the same head's name).
	importMatchHouseholdsSQL = `
UPDATE import_rows r SET household_id = h.id
FROM households h
WHERE h.address_id = r.address_id
  AND ((r.id_number <> '' AND h.id_number = r.id_number)
    OR (r.id_number = '' AND h.id_number = '' AND h.head_name = r.head_name))`
	importUpdateHouseholdsSQL = `
UPDATE households h SET head_name = r.head_name, phone = r.phone, members = r.members, tags = r.tags, updated_at = now()
FROM import_rows r
WHERE h.id = r.household_id
  AND (h.head_name, h.phone, h.members, h.tags) IS DISTINCT FROM (r.head_name, r.phone, r.members, r.tags)`
	importInsertHouseholdsSQL = `
INSERT INTO households (region_code, building_id, address_id, head_name, id_number, phone, members, tags)
SELECT left(building_grid, 6), building_id, address_id, head_name, id_number, phone, members, tags
FROM import_rows WHERE household_id IS NULL ORDER BY row_no`
)

// ApplyImport writes the checked staging table: creates missing buildings
// (their grid by location) and addresses, then inserts new households and
// updates changed ones. Run CheckImport first, in the same transaction.
func (s *Store) ApplyImport(ctx context.Context, q Querier) (ImportCounts, error) {
	var c ImportCounts
	if _, err := q.Exec(ctx, `ALTER TABLE import_rows ADD COLUMN new_building boolean, ADD COLUMN new_address boolean`); err != nil {
		return c, fmt.Errorf("store: import: %w", err)
	}
	if _, err := q.Exec(ctx, `UPDATE import_rows SET new_building = building_id IS NULL`); err != nil {
		return c, fmt.Errorf("store: import: %w", err)
	}
	if _, err := q.Exec(ctx, importBuildingsSQL); err != nil {
		return c, fmt.Errorf("store: import buildings: %w", err)
	}
	if _, err := q.Exec(ctx, importMatchAddressesSQL); err != nil {
		return c, fmt.Errorf("store: import addresses: %w", err)
	}
	if _, err := q.Exec(ctx, `UPDATE import_rows SET new_address = address_id IS NULL`); err != nil {
		return c, fmt.Errorf("store: import: %w", err)
	}
	if _, err := q.Exec(ctx, importAddressesSQL); err != nil {
		return c, fmt.Errorf("store: import addresses: %w", err)
	}
	if _, err := q.Exec(ctx, importMatchHouseholdsSQL); err != nil {
		return c, fmt.Errorf("store: import households: %w", err)
	}
	tag, err := q.Exec(ctx, importUpdateHouseholdsSQL)
	if err != nil {
		return c, fmt.Errorf("store: import households: %w", err)
	}
	c.HouseholdsUpdated = int(tag.RowsAffected())
	tag, err = q.Exec(ctx, importInsertHouseholdsSQL)
	if err != nil {
		return c, fmt.Errorf("store: import households: %w", err)
	}
	c.HouseholdsInserted = int(tag.RowsAffected())
	err = q.QueryRow(ctx, importCountsSQL).Scan(&c.Rows, &c.BuildingsMatched, &c.BuildingsCreated, &c.AddressesMatched, &c.AddressesCreated, &c.HouseholdsUnchanged)
	if err != nil {
		return c, fmt.Errorf("store: import counts: %w", err)
	}
	c.HouseholdsUnchanged -= c.HouseholdsUpdated
	return c, nil
}

// importCountsSQL: distinct matched/created buildings and addresses, and
// households that existed (updated or unchanged).
const importCountsSQL = `
SELECT count(*), count(DISTINCT building_id) FILTER (WHERE NOT new_building),
       count(DISTINCT building_id) FILTER (WHERE new_building),
       count(DISTINCT address_id) FILTER (WHERE NOT new_address),
       count(DISTINCT address_id) FILTER (WHERE new_address),
       count(DISTINCT household_id)
FROM import_rows`
