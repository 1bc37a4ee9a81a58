// Visits (#15) in the browser: a visit that needs follow-up reports its case
// from the same form, with a category from the catalogue; the case is stored
// once, under the visit's UUID, in the household's grid.
import { assert, login, sql } from '../helpers.mjs';

export const tests = [
  {
    name: 'visits: the officer on a phone marks a visit for follow-up and reports its case from the same form',
    viewport: { width: 390, height: 844 },
    async run({ page, server, shot }) {
      const [[grid]] = sql(server.dsn, `SELECT unit_code FROM users WHERE username = 'officer'`);
      const [[hid, lon, lat]] = sql(server.dsn, `
        SELECT h.id, ST_X(b.pt), ST_Y(b.pt) FROM households h JOIN buildings b ON b.id = h.building_id
        WHERE b.grid_code = '${grid}' AND NOT EXISTS (SELECT 1 FROM visits v WHERE v.household_id = h.id) ORDER BY h.id DESC LIMIT 1`);
      const [[category, zh]] = sql(server.dsn, `SELECT code, name_zh FROM incident_categories WHERE parent_code IS NOT NULL ORDER BY code LIMIT 1`);
      await page.context().grantPermissions(['geolocation']);
      await page.context().setGeolocation({ longitude: Number(lon), latitude: Number(lat) });
      await login(page, server, 'officer');
      await page.click('#modes button[data-mode=visits]');
      const row = page.locator(`#rv-due li[data-household="${hid}"]`);
      await row.waitFor({ timeout: 10000 });
      await row.locator('button').click();
      assert(await page.isHidden('#rv-follow-up-case'), 'the case fields show before follow-up is asked for');
      await page.fill('#rv-troubles', '楼道堆放杂物，消防通道堵塞');
      await page.check('#rv-follow-up');
      await page.waitForSelector(`#rv-follow-up-category option[value="${category}"]`, { state: 'attached' });
      assert((await page.textContent(`#rv-follow-up-category option[value="${category}"]`)).includes(zh), 'category not named in Chinese');
      await page.selectOption('#rv-follow-up-category', category);
      await page.click('#rv-form button[type=submit]');
      await page.waitForSelector('#rv-result[data-incident]', { state: 'attached', timeout: 15000 });
      const visit = await page.getAttribute('#rv-result', 'data-visit');
      const incident = await page.getAttribute('#rv-result', 'data-incident');
      assert(visit === incident, `the case ${incident} is not under the visit's UUID ${visit}`);
      const rows = sql(server.dsn, `SELECT i.category, i.grid_code, i.description, v.follow_up, v.incident_id::text = i.client_id::text
        FROM visits v JOIN incidents i ON i.client_id = v.id WHERE v.id = '${visit}'`);
      assert(rows.length === 1 && rows[0][0] === category && rows[0][1] === grid && rows[0][2] === '楼道堆放杂物，消防通道堵塞' && rows[0][3] === 't' && rows[0][4] === 't',
        `the visit's case is not stored as reported: ${JSON.stringify(rows)}`);
      await shot('visits-follow-up-phone');
    },
  },
];
