// Organisations and facilities (地、物、组织) and collection completeness
// (信息采集率), issue #15: the leader's display draws them from the
// organisations tiles and a grid's card counts them per kind and shows the
// completeness rates — each checked against the database.
import { sql, assert, login, idle, clickLngLat } from '../helpers.mjs';

export const tests = [
  {
    name: 'orgs: the display draws organisations and facilities, and the grid card counts them per kind and shows its completeness',
    viewport: { width: 1600, height: 900 },
    async run({ page, server, shot }) {
      const [[unit]] = sql(server.dsn, `SELECT unit_code FROM users WHERE username = 'leader'`);
      const prefix = unit.slice(0, 6);
      // A grid of the leader's district with households; four organisations and facilities in it, near its middle.
      const [[grid, lon, lat]] = sql(server.dsn, `
        SELECT u.code, ST_X(p), ST_Y(p) FROM units u, ST_PointOnSurface(u.geom) p
         WHERE u.level = 4 AND u.kind = 'basic' AND u.code LIKE '${prefix}%'
           AND EXISTS (SELECT 1 FROM buildings b JOIN households h ON h.building_id = b.id WHERE b.grid_code = u.code)
         ORDER BY u.code OFFSET 3 LIMIT 1`);
      sql(server.dsn, `
        INSERT INTO places (grid_code, kind, name, pt, region_code, contact_name, phone)
        SELECT '${grid}', kind, name, ST_SetSRID(ST_MakePoint(${lon} + dx, ${lat} + dy), 4326), '${prefix}', '联系人', '13800001234'
          FROM (VALUES ('shop', '便民超市 orgs', 0.0003, 0.0), ('shop', '五金店 orgs', -0.0003, 0.0),
                       ('fire_hydrant', '消火栓 orgs', 0.0, 0.0003), ('camera', '探头 orgs', 0.0, -0.0003)) v(kind, name, dx, dy)`);
      // A gap in the records: an address of the grid with no household on it.
      sql(server.dsn, `INSERT INTO addresses (region_code, building_id, full_text)
        SELECT region_code, id, '空置 orgs' FROM buildings WHERE grid_code = '${grid}' ORDER BY id LIMIT 1`);
      await page.waitForTimeout(1000); // the layers reload on the places' notification

      await login(page, server, 'leader');
      await page.waitForSelector('#dp-layers input[data-layer=organisations]');
      await page.evaluate(([x, y]) => window.wangge.state.map.jumpTo({ center: [x, y], zoom: 17 }), [Number(lon), Number(lat)]);
      await page.check('#dp-layers input[data-layer=organisations]');
      await page.waitForTimeout(500);
      await idle(page);
      const drawn = await page.evaluate(() => window.wangge.state.map.queryRenderedFeatures({ layers: ['dp-organisations'] })
        .map((f) => `${f.properties.id}/${f.properties.kind}/${f.properties.domain}`));
      const want = sql(server.dsn, `SELECT p.id || '/' || p.kind || '/' || k.domain FROM places p JOIN place_kinds k ON k.code = p.kind
         WHERE k.domain IN ('organisation', 'facility') AND ST_DWithin(p.pt, ST_SetSRID(ST_MakePoint(${lon}, ${lat}), 4326), 0.0005)`).map((r) => r[0]);
      const got = [...new Set(drawn)].sort();
      assert(want.length >= 4 && JSON.stringify(got) === JSON.stringify(want.sort()), `drawn ${JSON.stringify(got)}, database ${JSON.stringify(want)}`);
      assert(!JSON.stringify(await page.evaluate(() => window.wangge.state.map.queryRenderedFeatures({ layers: ['dp-organisations'] })
        .map((f) => f.properties))).includes('13800001234'), 'a contact phone reached the tiles');
      const legend = await page.textContent('#map-legend');
      assert(legend.includes('设施（消火栓、探头、公厕…）'), `legend ${legend}`);
      await shot('orgs-layer', 'display-organisations');

      // The grid's card: counts per kind and the completeness, as the database has them.
      await clickLngLat(page, Number(lon), Number(lat));
      await page.waitForSelector('#card-orgs dl.org-counts', { timeout: 15000 });
      assert((await page.textContent('#card h2')).length > 0, 'no card');
      const counts = sql(server.dsn, `SELECT p.kind, count(*) FROM places p JOIN place_kinds k ON k.code = p.kind
         WHERE p.grid_code = '${grid}' AND k.domain IN ('organisation', 'facility') GROUP BY 1`);
      for (const [kind, n] of counts) {
        const shown = await page.textContent(`#card-orgs dd[data-kind=${kind}]`);
        assert(shown === n, `card ${kind} ${shown}, database ${n}`);
      }
      assert(await page.locator('#card-orgs dd').count() === counts.length, 'the card lists kinds the grid has none of');
      await page.waitForSelector('#compl-addresses');
      const [[addrs, empty, hh, noMember, persons, noPhone]] = sql(server.dsn, `SELECT
          (SELECT count(*) FROM addresses a JOIN buildings b ON b.id = a.building_id WHERE b.grid_code = '${grid}'),
          (SELECT count(*) FROM addresses a JOIN buildings b ON b.id = a.building_id WHERE b.grid_code = '${grid}'
              AND NOT EXISTS (SELECT 1 FROM households h WHERE h.address_id = a.id)),
          (SELECT count(*) FROM households h JOIN buildings b ON b.id = h.building_id WHERE b.grid_code = '${grid}'),
          (SELECT count(*) FROM households h JOIN buildings b ON b.id = h.building_id WHERE b.grid_code = '${grid}'
              AND NOT EXISTS (SELECT 1 FROM persons p WHERE p.household_id = h.id)),
          (SELECT count(*) FROM persons p JOIN households h ON h.id = p.household_id JOIN buildings b ON b.id = h.building_id WHERE b.grid_code = '${grid}'),
          (SELECT count(*) FROM persons p JOIN households h ON h.id = p.household_id JOIN buildings b ON b.id = h.building_id
              WHERE b.grid_code = '${grid}' AND p.phone = '')`);
      const pct = (missing, n) => `${(Math.round((1000 * (n - missing)) / n) / 10).toFixed(1)}%`;
      const addrText = await page.textContent('#compl-addresses');
      assert(Number(empty) >= 1 && addrText.startsWith(pct(Number(empty), Number(addrs))) && addrText.includes(`缺 ${empty}`),
        `addresses with households: card ${addrText}, database ${empty} of ${addrs} without`);
      const hhText = await page.textContent('#compl-households');
      assert(hhText.startsWith(pct(Number(noMember), Number(hh))), `households with members: card ${hhText}, database ${noMember} of ${hh} without`);
      const phoneText = await page.textContent('#compl-phone');
      assert(Number(persons) === 0 ? phoneText === '—' : phoneText.startsWith(pct(Number(noPhone), Number(persons))),
        `persons with phone: card ${phoneText}, database ${noPhone} of ${persons} without`);
      await page.locator('#card-completeness').scrollIntoViewIfNeeded();
      await shot('orgs-card', 'card-organisations');
    },
  },
];
