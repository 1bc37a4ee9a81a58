// Safety inspections (#16): an inspection recorded on a phone-sized page.
import { assert, login, sql } from '../helpers.mjs';

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
    name: 'inspections: in a school grid the officer records the semester fire drill on a phone; the check turns done',
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
      await page.click('#in-drill button[type=submit]');
      await page.waitForFunction(() => document.getElementById('in-drill-result').dataset.drill, null, { timeout: 10000 });
      const rows = sql(server.dsn, `SELECT grid_code, scenario, participants FROM drills`);
      assert(rows.length === 1 && rows[0][0] === grid && rows[0][1] === '实验楼火灾疏散' && rows[0][2] === '320', `drills ${JSON.stringify(rows)}`);
      await page.waitForFunction((b) => document.getElementById('in-drill-status').textContent !== b, before, { timeout: 10000 });
      assert((await page.textContent('#in-drill-status')).includes(today), 'the semester check does not show the drill');
    },
  },
];
