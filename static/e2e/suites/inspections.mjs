// Safety inspections (#16): an inspection recorded on a phone-sized page.
import { assert, clickLngLat, idle, login, sql } from '../helpers.mjs';

export const tests = [
  {
    name: 'inspections: on a phone the officer fills a lab checklist with a photo; a lost answer is resent, stored once, and opens one hazard',
    viewport: { width: 390, height: 844 },
    async run({ page, server, shot }) {
      const [[grid]] = sql(server.dsn, `SELECT unit_code FROM users WHERE username = 'officer'`);
      const [[place, lon, lat]] = sql(server.dsn, `
        INSERT INTO places (grid_code, kind, name, pt, region_code)
        SELECT code, 'school_lab', '化学实验室 e2e', ST_PointOnSurface(geom), left(code, 6) FROM units WHERE code = '${grid}'
        RETURNING id, ST_X(pt), ST_Y(pt)`);
      await page.context().grantPermissions(['geolocation']);
      await page.context().setGeolocation({ longitude: Number(lon) + 0.0003, latitude: Number(lat) });
      await login(page, server, 'officer');
      await page.click('#modes button[data-mode=inspections]');
      const row = page.locator(`#in-places li[data-place="${place}"]`);
      await row.waitFor({ timeout: 10000 });
      assert((await row.locator('small').textContent()).length > 0, 'the place shows no due state');
      await row.locator('button').click();
      assert(await page.isVisible('#in-form'), 'checklist not shown');
      const [[items]] = sql(server.dsn, `SELECT jsonb_array_length(items) FROM inspection_templates WHERE code = 'school.lab' ORDER BY version DESC LIMIT 1`);
      assert(await page.locator('#in-items .insp-item').count() === Number(items), 'the checklist does not show every item');
      await page.uncheck('#in-items [data-item=exits_clear] input.ok');
      await page.fill('#in-items [data-item=exits_clear] input.note', '走廊堆放纸箱');
      await page.fill('#in-items [data-item=extinguisher_pressure] input.value', '1.2');
      const jpeg = await page.screenshot({ type: 'jpeg', clip: { x: 0, y: 0, width: 200, height: 150 } });
      await page.setInputFiles('#in-items [data-item=photo] input.photo', { name: 'lab.jpg', mimeType: 'image/jpeg', buffer: jpeg });
      // The answer is lost on the way back: the phone keeps the inspection and resends it.
      let reached = 0, sent = null;
      await page.route('**/api/inspections', async (route) => {
        reached++; sent = route.request().postData(); await route.fetch(); await route.abort('internetdisconnected');
      }, { times: 1 });
      await page.click('#in-form button[type=submit]');
      await page.waitForFunction(() => JSON.parse(localStorage.getItem('wangge.inspections.pending') || '[]').length === 1, null, { timeout: 15000 });
      const id = await page.evaluate(() => JSON.parse(localStorage.getItem('wangge.inspections.pending'))[0].body.id);
      assert(reached === 1, `the inspection did not reach the server before the lost answer (${reached})`);
      await page.evaluate(() => window.dispatchEvent(new Event('online')));
      await page.waitForFunction(() => JSON.parse(localStorage.getItem('wangge.inspections.pending') || '[]').length === 0, null, { timeout: 15000 });
      await page.locator('#in-hazards li').first().waitFor({ timeout: 10000 });
      assert(await page.isHidden('#in-form'), 'the checklist stayed open after its inspection was sent');
      const again = await page.evaluate(async (body) => (await fetch('/api/inspections', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body })).status, sent);
      assert(again === 200, `the resent inspection was not answered 200: ${again}`);
      const rows = sql(server.dsn, `SELECT count(*), bool_and(NOT far), bool_and(NOT passed) FROM inspections WHERE place_id = ${place}`);
      assert(rows[0][0] === '1' && rows[0][1] === 't' && rows[0][2] === 't', `inspection not stored once, near, failed: ${JSON.stringify(rows)}`);
      const hz = sql(server.dsn, `SELECT item, state, note, deadline > now() FROM hazards WHERE place_id = ${place}`);
      assert(hz.length === 1 && hz[0][0] === 'exits_clear' && hz[0][1] === 'open' && hz[0][2] === '走廊堆放纸箱' && hz[0][3] === 't',
        `hazards ${JSON.stringify(hz)}`);
      const [[photo]] = sql(server.dsn, `SELECT count(*) FROM media m JOIN inspections i ON i.results @> jsonb_build_array(jsonb_build_object('photos', jsonb_build_array(m.id::text))) WHERE i.id = '${id}'`);
      assert(photo === '1', `the photo is not stored with the inspection (${photo})`);
      // The map draws the place red (an open major hazard), from the rendered features.
      await page.waitForFunction((id) => window.wangge.state.map.querySourceFeatures('in-places')
        .some((f) => f.properties.id === Number(id) && f.properties.hazard === 'major'), place, { timeout: 10000 });
      // The grid's open hazards are listed (other suites may have left some in it), this one among them.
      const [[hid]] = sql(server.dsn, `SELECT id FROM hazards WHERE place_id = ${place}`);
      const [[inGrid]] = sql(server.dsn, `SELECT count(*) FROM hazards WHERE grid_code = '${grid}' AND state <> 'closed'`);
      await page.waitForSelector(`#in-hazards li[data-hazard="${hid}"]`, { timeout: 10000 });
      const li = await page.locator('#in-hazards li').count();
      assert(li === Number(inGrid), `${li} hazards listed, the grid has ${inGrid} open`);
      await shot('inspections-phone', 'inspections');
    },
  },
  {
    name: 'inspections: in a school grid the officer records the semester fire drill with a photo on a phone; a lost answer is resent with the same UUIDs, stored once; the check turns done',
    viewport: { width: 390, height: 844 },
    async run({ page, server }) {
      const [[grid]] = sql(server.dsn, `SELECT unit_code FROM users WHERE username = 'officer'`);
      sql(server.dsn, `UPDATE units SET kind = 'school' WHERE code = '${grid}'`);
      await login(page, server, 'officer');
      await page.click('#modes button[data-mode=inspections]');
      await page.waitForFunction(() => document.getElementById('in-drill-status').textContent.length > 0, null, { timeout: 10000 });
      const before = await page.textContent('#in-drill-status');
      const today = await page.evaluate(() => { const d = new Date(); return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`; });
      await page.fill('#in-drill-date', today);
      await page.fill('#in-drill-scenario', '实验楼火灾疏散');
      await page.fill('#in-drill-participants', '320');
      const jpeg = await page.screenshot({ type: 'jpeg', clip: { x: 0, y: 0, width: 240, height: 160 } });
      await page.setInputFiles('#in-drill-photos', { name: 'drill.jpg', mimeType: 'image/jpeg', buffer: jpeg });
      // The drill reaches the server, its answer is lost: the phone keeps it with its photo.
      let reached = 0, sent = null;
      await page.route('**/api/drills', async (route) => {
        reached++; sent = route.request().postData(); await route.fetch(); await route.abort('internetdisconnected');
      }, { times: 1 });
      await page.click('#in-drill button[type=submit]');
      await page.waitForFunction(() => JSON.parse(localStorage.getItem('wangge.inspections.pending') || '[]').length === 1, null, { timeout: 15000 });
      const kept = await page.evaluate(() => JSON.parse(localStorage.getItem('wangge.inspections.pending'))[0]);
      assert(reached === 1 && kept.url === '/api/drills' && kept.photos.length === 1 && kept.body.photos[0] === kept.photos[0].id,
        `kept drill ${JSON.stringify({ reached, url: kept.url, photos: kept.body.photos })}`);
      assert((await page.textContent('#in-drill-result')).length > 0, 'the phone does not say the drill was kept');
      await page.evaluate(() => window.dispatchEvent(new Event('online')));
      await page.waitForFunction(() => JSON.parse(localStorage.getItem('wangge.inspections.pending') || '[]').length === 0, null, { timeout: 15000 });
      await page.waitForFunction(() => document.getElementById('in-drill-result').dataset.drill, null, { timeout: 10000 });
      const again = await page.evaluate(async (body) => (await fetch('/api/drills', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body })).status, sent);
      assert(again === 200, `the resent drill was not answered 200: ${again}`);
      const rows = sql(server.dsn, `SELECT d.id, d.grid_code, d.scenario, d.participants, cardinality(d.photos),
          (SELECT count(*) FROM media m WHERE m.id = ANY (d.photos)) FROM drills d`);
      assert(rows.length === 1 && rows[0][0] === kept.body.id && rows[0][1] === grid && rows[0][2] === '实验楼火灾疏散' && rows[0][3] === '320' &&
        rows[0][4] === '1' && rows[0][5] === '1', `drills ${JSON.stringify(rows)}`);
      await page.waitForFunction((b) => document.getElementById('in-drill-status').textContent !== b, before, { timeout: 10000 });
      assert((await page.textContent('#in-drill-status')).includes(today), 'the semester check does not show the drill');
    },
  },
  {
    name: 'inspections: the officer draws a room outline inside a building on the map; it is stored inside the grid and the building, and drawn',
    async run({ page, server, shot }) {
      const [[grid]] = sql(server.dsn, `SELECT unit_code FROM users WHERE username = 'officer'`);
      const [[cx, cy, r]] = sql(server.dsn, `SELECT ST_X(center), ST_Y(center), radius FROM units, ST_MaximumInscribedCircle(geom) WHERE code = '${grid}'`);
      const [x, y, rad] = [Number(cx), Number(cy), Number(r)];
      const [[building]] = sql(server.dsn, `
        INSERT INTO places (grid_code, kind, name, pt, polygon, region_code)
        VALUES ('${grid}', 'building', '实验楼 e2e', ST_SetSRID(ST_MakePoint(${x}, ${y}), 4326),
                ST_Multi(ST_Expand(ST_SetSRID(ST_MakePoint(${x}, ${y}), 4326), ${rad * 0.6})), left('${grid}', 6)) RETURNING id`);
      await login(page, server, 'officer');
      await page.click('#modes button[data-mode=inspections]');
      await page.waitForSelector(`#in-np-parent option[value="${building}"]`, { state: 'attached', timeout: 10000 });
      await page.fill('#in-np-name', '化学实验室 绘制 e2e');
      await page.selectOption('#in-np-kind', 'school_lab');
      await page.selectOption('#in-np-parent', String(building));
      await page.evaluate(([a, b, d]) => window.wangge.state.map.fitBounds([[a - d, b - d], [a + d, b + d]], { padding: 40, duration: 0 }), [x, y, rad * 0.7]);
      await idle(page);
      await page.click('#in-np-draw');
      // The room: a square of half side 0.3 r in the building's middle, clicked corner by corner and closed on the first.
      const h = rad * 0.3;
      const corners = [[x - h, y - h], [x + h, y - h], [x + h, y + h], [x - h, y + h], [x - h, y - h]];
      const px = await page.evaluate((cs) => {
        const m = window.wangge.state.map, b = m.getContainer().getBoundingClientRect();
        return cs.map((c) => { const p = m.project(c); return [b.left + p.x, b.top + p.y]; });
      }, corners);
      for (const [i, [a, b]] of px.entries()) {
        await page.mouse.move(a - 5, b - 5);
        await page.mouse.move(a, b, { steps: 4 });
        await page.mouse.click(a, b);
        if (i < px.length - 1) await page.waitForTimeout(150);
      }
      await page.waitForSelector('#in-np-save:not([disabled])', { timeout: 10000 });
      await page.click('#in-np-save');
      await page.waitForFunction(() => document.getElementById('in-np-result').dataset.place, null, { timeout: 10000 });
      const id = await page.evaluate(() => document.getElementById('in-np-result').dataset.place);
      const [[kind, parent, npoints, inBuilding, inGrid, onPoint, area]] = sql(server.dsn, `
        SELECT p.kind, p.parent_id, ST_NPoints(p.polygon), ST_Covers(b.polygon, p.polygon), ST_Covers(u.geom, p.polygon),
               ST_Covers(p.polygon, p.pt), ST_Area(p.polygon) / ${(2 * h) ** 2}
          FROM places p JOIN places b ON b.id = p.parent_id JOIN units u ON u.code = p.grid_code WHERE p.id = ${Number(id)}`);
      assert(kind === 'school_lab' && parent === building && npoints === '5' && inBuilding === 't' && inGrid === 't' && onPoint === 't',
        `stored ${JSON.stringify({ kind, parent, npoints, inBuilding, inGrid, onPoint })}`);
      assert(Math.abs(Number(area) - 1) < 0.1, `the stored room is ${Number(area).toFixed(3)} of the drawn square's area`);
      const api = await page.evaluate(async (g) => (await (await fetch(`/api/places?grid=${g}`)).json()), grid);
      const got = api.find((p) => p.id === Number(id));
      assert(got && got.geometry && got.geometry.type === 'MultiPolygon', `GET /api/places: ${JSON.stringify(got)}`);
      // On the stored 1e-7° grid (the drawing has 15 digits).
      const off = got.geometry.coordinates.flat(3).map((v) => Math.abs(v * 1e7 - Math.round(v * 1e7)));
      assert(Math.max(...off) < 1e-3, `vertices off the 1e-7° grid: ${got.geometry.coordinates}`);
      // Drawn in the inspections mode: the outline as a filled shape (green: no hazard yet).
      await page.waitForFunction((i) => window.wangge.state.map.querySourceFeatures('in-outlines')
        .some((f) => f.properties.id === Number(i) && f.properties.hazard === ''), id, { timeout: 10000 });
      await idle(page);
      await shot('inspections-outline');
    },
  },
  {
    name: "card: a school grid's card lists its places with kind, the person responsible (a room falls to its building's), due state and open hazards",
    async run({ page, server }) {
      const [[grid, lon, lat]] = sql(server.dsn, `SELECT u.code, ST_X(p), ST_Y(p) FROM users us JOIN units u ON u.code = us.unit_code, ST_PointOnSurface(u.geom) p WHERE us.username = 'officer'`);
      sql(server.dsn, `UPDATE units SET kind = 'school' WHERE code = '${grid}'`);
      const [[staff]] = sql(server.dsn, `INSERT INTO staff (name, phone) VALUES ('赵老师 e2e', '13700000000') RETURNING id`);
      const [[block]] = sql(server.dsn, `INSERT INTO places (grid_code, kind, name, pt, responsible_staff_id, region_code)
        SELECT code, 'building', '综合楼 card', ST_PointOnSurface(geom), ${staff}, left(code, 6) FROM units WHERE code = '${grid}' RETURNING id`);
      // Registered ten days ago: yesterday passed without an inspection too.
      const [[room]] = sql(server.dsn, `INSERT INTO places (grid_code, parent_id, kind, name, pt, region_code, created_at)
        SELECT code, ${block}, 'kitchen', '食堂 card', ST_PointOnSurface(geom), left(code, 6), now() - interval '10 days' FROM units WHERE code = '${grid}' RETURNING id`);
      // An inspection long ago with a failed item: the kitchen (daily) is overdue and has an open major hazard.
      sql(server.dsn, `INSERT INTO inspections (id, request_hash, place_id, template_code, template_version, inspector_name, inspected_at, pt, distance_m, far, passed, results, region_code)
        SELECT gen_random_uuid(), '\\x00', id, 'school.kitchen', 1, 'e2e', now() - interval '5 days', pt, 0, false, false, '[]', region_code FROM places WHERE id = ${room}`);
      sql(server.dsn, `INSERT INTO hazards (inspection_id, place_id, grid_code, item, item_text, severity, found_at, deadline, region_code)
        SELECT i.id, i.place_id, '${grid}', 'gas', '燃气 gas', 'major', i.inspected_at, now() + interval '1 day', i.region_code FROM inspections i WHERE i.place_id = ${room}`);
      await login(page, server, 'leader');
      await clickLngLat(page, Number(lon), Number(lat));
      const li = `#card-places li[data-place="${room}"]`;
      await page.waitForSelector(li, { timeout: 15000 });
      const text = await page.textContent(li);
      for (const want of ['食堂厨房', '食堂 card', '赵老师 e2e', '已逾期', '隐患 1 项（重大 1）']) assert(text.includes(want), `card place row "${text}" lacks ${want}`);
      assert(await page.locator(li).evaluate((e) => e.classList.contains('major')), 'the kitchen row is not marked major');
      const b = await page.textContent(`#card-places li[data-place="${block}"]`);
      assert(b.includes('楼栋') && b.includes('赵老师 e2e') && !b.includes('隐患'), `building row "${b}"`);
      const [[n]] = sql(server.dsn, `SELECT count(*) FROM places WHERE grid_code = '${grid}'`);
      assert(await page.locator('#card-places li').count() === Number(n), `the card lists ${await page.locator('#card-places li').count()} places, the grid has ${n}`);
    },
  },
];
