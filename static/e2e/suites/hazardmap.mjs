// Hazard layer of the leader's display (#16): open hazards at their places
// coloured by severity, overdue ones outlined, and the share of places'
// checklists on schedule — each checked against the database.
import { sql, assert, login, idle } from '../helpers.mjs';

// shareSQL is the share of (place, checklist) pairs under prefix that are not
// overdue: none this period nor in the whole previous one (CST periods).
const shareSQL = (prefix) => `
  WITH t AS (SELECT DISTINCT ON (code) code, kind, schedule FROM inspection_templates ORDER BY code, version DESC),
  r AS (SELECT p.created_at, t.schedule, n,
               (SELECT max(i.inspected_at) FROM inspections i WHERE i.place_id = p.id AND i.template_code = t.code) AS last
          FROM places p JOIN t ON t.kind = p.kind, (SELECT now() AT TIME ZONE 'Asia/Shanghai' AS n) c
         WHERE p.grid_code LIKE '${prefix}%'),
  s AS (SELECT *, CASE schedule WHEN 'daily' THEN date_trunc('day', n) WHEN 'weekly' THEN date_trunc('week', n)
                    WHEN 'monthly' THEN date_trunc('month', n)
                    ELSE date_trunc('month', n) - make_interval(months => (extract(month FROM n)::int + 10) % 6) END AS cur FROM r),
  q AS (SELECT *, cur - CASE schedule WHEN 'daily' THEN interval '1 day' WHEN 'weekly' THEN interval '1 week'
                    WHEN 'monthly' THEN interval '1 month' ELSE interval '6 months' END AS prev FROM s)
  SELECT count(*), count(*) FILTER (WHERE NOT (created_at < (cur AT TIME ZONE 'Asia/Shanghai')
           AND (last IS NULL OR last < (prev AT TIME ZONE 'Asia/Shanghai')))) FROM q`;

export const tests = [
  {
    name: 'hazardmap: the leader display draws open and overdue hazards by severity and the share inspected on schedule',
    viewport: { width: 1600, height: 900 },
    async run({ page, server, shot }) {
      const [[unit]] = sql(server.dsn, `SELECT unit_code FROM users WHERE username = 'leader'`);
      const prefix = unit.slice(0, 6);
      assert(/^\d{6}0{6}$/.test(unit), `the leader's unit ${unit} is not a district`);
      // Two labs in one of the district's grids, found long ago: one inspected now with two failed items
      // (a major hazard still open, a general one overdue), the other never inspected (overdue checklist).
      const [[lab, lon, lat], [lab2]] = sql(server.dsn, `
        INSERT INTO places (grid_code, kind, name, pt, region_code, created_at)
        SELECT code, 'school_lab', name, ST_Translate(ST_PointOnSurface(geom), dx, 0), left(code, 6), now() - interval '1 year'
          FROM (SELECT code, geom FROM units WHERE level = 4 AND code LIKE '${prefix}%' ORDER BY code LIMIT 1) g,
               (VALUES ('化学实验室 hazardmap', 0.0), ('物理实验室 hazardmap', 0.002)) v(name, dx)
        RETURNING id, ST_X(pt), ST_Y(pt)`);
      sql(server.dsn, `
        INSERT INTO inspections (id, request_hash, place_id, template_code, template_version, inspector_name, inspected_at,
                                 pt, distance_m, far, passed, results, region_code)
        SELECT 'a0000000-0000-4000-8000-00000000e016', '\\x00', id, 'school.lab', 1, 'e2e', now(), pt, 0, false, false, '[]', region_code
          FROM places WHERE id = ${lab};
        INSERT INTO hazards (inspection_id, place_id, grid_code, item, item_text, severity, found_at, deadline, state, escalated_at, region_code)
        SELECT 'a0000000-0000-4000-8000-00000000e016', id, grid_code, v.item, v.item, v.sev, now() - interval '10 days', now() + v.due, v.state, v.esc, region_code
          FROM places, (VALUES ('exits_clear', 'major', interval '3 days', 'open', NULL::timestamptz),
                               ('wiring', 'general', interval '-2 days', 'overdue', now())) v(item, sev, due, state, esc)
         WHERE id = ${lab}`);
      // The second lab: one general hazard, open (its checklist still overdue: the hazard came with no inspection of it).
      sql(server.dsn, `INSERT INTO hazards (inspection_id, place_id, grid_code, item, item_text, severity, found_at, deadline, region_code)
        SELECT 'a0000000-0000-4000-8000-00000000e016', id, grid_code, 'gas', 'gas', 'general', now(), now() + interval '5 days', region_code
          FROM places WHERE id = ${lab2}`);

      await login(page, server, 'leader');
      await page.waitForSelector('#dp-layers input[data-layer=hazards]');
      await page.evaluate(([x, y]) => window.wangge.state.map.jumpTo({ center: [x, y], zoom: 16 }), [Number(lon), Number(lat)]);
      await idle(page);
      await Promise.all([page.waitForResponse((r) => r.url().includes('/api/inspections/stats') && r.status() === 200),
        page.check('#dp-layers input[data-layer=hazards]')]);
      await page.waitForSelector(`#hz-summary p[data-unit="${unit}"]`);
      await page.waitForTimeout(300);
      await idle(page);

      // The rendered points, one per place: its worst severity, outlined when a hazard of it is overdue — the database's.
      const drawn = await page.evaluate(() => window.wangge.state.map.queryRenderedFeatures({ layers: ['dp-hazards'] })
        .map((f) => `${f.properties.place_id}/${f.properties.severity}/${f.properties.state}/${f.properties.hazards}`));
      const want = sql(server.dsn, `SELECT p.id || '/' || CASE WHEN bool_or(severity = 'major') THEN 'major' ELSE 'general' END || '/'
            || CASE WHEN bool_or(state = 'overdue') THEN 'overdue' ELSE 'open' END || '/' || count(*)
          FROM hazards h JOIN places p ON p.id = h.place_id
         WHERE state <> 'closed' AND h.grid_code LIKE '${prefix}%'
           AND ST_DWithin(p.pt, ST_SetSRID(ST_MakePoint(${lon}, ${lat}), 4326), 0.003) GROUP BY p.id`).map((r) => r[0]);
      const got = [...new Set(drawn)].sort();
      assert(JSON.stringify(got) === JSON.stringify(want.sort()), `drawn ${JSON.stringify(got)}, database ${JSON.stringify(want)}`);
      assert(got.includes(`${lab}/major/overdue/2`) && got.includes(`${lab2}/general/open/1`),
        `the lab with an open major and an overdue general hazard, the other with an open general one, drawn ${got}`);
      // Colour and outline by the rendered feature's paint: major red, overdue outlined.
      const paint = await page.evaluate(() => window.wangge.state.map.queryRenderedFeatures({ layers: ['dp-hazards'] })
        .map((f) => [f.properties.severity, f.properties.state, Math.round(f.layer.paint['circle-color'].r * 255), f.layer.paint['circle-stroke-width']]));
      for (const [sev, st, colour, stroke] of paint) {
        assert((sev === 'major') === (colour === 208), `${sev} hazard drawn ${colour}`);
        assert((st === 'overdue') === (stroke === 3), `${st} hazard outlined ${stroke}`);
      }
      // The share on schedule, in the summary and in the legend, is the database's.
      const [[all, on]] = sql(server.dsn, shareSQL(prefix));
      assert(Number(all) >= 2, `${all} checklists in the district`);
      const row = page.locator(`#hz-summary p[data-unit="${unit}"]`);
      assert(await row.getAttribute('data-all') === all && await row.getAttribute('data-on') === on,
        `summary ${await row.getAttribute('data-on')}/${await row.getAttribute('data-all')}, database ${on}/${all}`);
      const share = Math.round((Number(on) / Number(all)) * 1000) / 10;
      const legend = await page.textContent('#map-legend');
      assert(legend.includes(`按期检查 ${share}%`), `legend ${legend}; want the share ${share}%`);
      const [[open, overdue]] = sql(server.dsn, `SELECT count(*) FILTER (WHERE state = 'open'), count(*) FILTER (WHERE state = 'overdue') FROM hazards WHERE grid_code LIKE '${prefix}%'`);
      assert(legend.includes(`逾期未整改（外圈） ${overdue} 处`), `legend ${legend}; want ${overdue} overdue (${open} open)`);
      assert(await page.locator('#hz-summary p').count() > 1, 'no unit below the district in the summary');
      await shot('hazardmap', 'display-hazards');
    },
  },
];
