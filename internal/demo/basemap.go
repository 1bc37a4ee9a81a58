package demo

import (
	"context"
	"fmt"
)

// The demo's street network follows its boundaries, as real grids follow
// streets (街巷定界): every community boundary is a road (主干道), every
// other grid boundary a lane (支路/巷), named from a list; the longest road
// has a canal beside it, 30 m wide. They land in the streets and water
// tables like an imported OSM extract, before the patrol days are swept, so
// the demo's worker-days have a street coverage too.
var basemapSQL = []string{
	`DELETE FROM streets WHERE region_code = $1`,
	`DELETE FROM water WHERE region_code = $1`,
	`INSERT INTO streets (region_code, name, kind, geom)
SELECT $1, (ARRAY['文一路','文二路','学院路','教工路','古墩路','丰潭路','莫干山路','湖墅路','体育场路','凤起路','庆春路','解放路','延安路','中山路','环城北路','天目山路'])[1 + (n - 1) % 16]
       || CASE WHEN n > 16 THEN ((n - 1) / 16 + 1)::text || '段' ELSE '' END, 'primary', geom
FROM (SELECT row_number() OVER (ORDER BY ST_XMin(d.geom), ST_YMin(d.geom)) AS n, d.geom
      FROM (SELECT (ST_Dump(ST_LineMerge(ST_Union(ST_Boundary(geom))))).geom FROM units WHERE region_code = $1 AND level = 3) d
      WHERE GeometryType(d.geom) = 'LINESTRING') r`,
	`INSERT INTO streets (region_code, name, kind, geom)
SELECT $1, c.name || (ARRAY['一','二','三','四','五','六','七','八','九','十'])[1 + (n - 1) % 10] || '巷', 'residential', l.geom
FROM units c,
     LATERAL (SELECT row_number() OVER (ORDER BY ST_XMin(d.geom), ST_YMin(d.geom)) AS n, d.geom
              FROM (SELECT (ST_Dump(ST_LineMerge(ST_Difference(ST_Union(ST_Boundary(g.geom)), ST_Boundary(c.geom))))).geom
                    FROM units g WHERE g.parent_code = c.code AND g.level = 4) d
              WHERE GeometryType(d.geom) = 'LINESTRING' AND ST_Length(d.geom::geography) > 5) l
WHERE c.region_code = $1 AND c.level = 3`,
	`INSERT INTO water (region_code, name, kind, geom)
SELECT $1, '运河', 'canal', ST_Multi(ST_ReducePrecision(ST_Buffer(geom::geography, 15)::geometry, 1e-7))
FROM streets WHERE region_code = $1 AND kind = 'primary' ORDER BY ST_Length(geom::geography) DESC LIMIT 1`,
}

func (l *loader) basemap(ctx context.Context) error {
	for _, q := range basemapSQL {
		if _, err := l.tx.Exec(ctx, q, l.opt.Region); err != nil {
			return fmt.Errorf("base map: %w", err)
		}
	}
	return l.tx.QueryRow(ctx, `SELECT count(*) FROM streets WHERE region_code = $1`, l.opt.Region).Scan(&l.sum.Roads)
}
