// Incidents (#13) in the browser: the grid worker reports from a phone while
// offline and the case arrives once when back online; the acceptance centre
// accepts and dispatches it from its queue; the leader approves the worker's
// extension request. Expected values come from the database.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { assert, login, sql } from '../helpers.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const photo = fs.readFileSync(path.join(root, 'docs/screenshots/card.png'));

// gridPoint is the officer's grid and a point inside it.
function gridPoint(dsn) {
  const [[grid, lon, lat]] = sql(dsn, `SELECT u.code, ST_X(p), ST_Y(p) FROM users s JOIN units u ON u.code = s.unit_code,
    ST_PointOnSurface(u.geom) p WHERE s.username = 'officer'`);
  return { grid, lon: Number(lon), lat: Number(lat) };
}

async function waitFor(f, msg, ms = 40000) {
  for (const t0 = Date.now(); Date.now() - t0 < ms;) {
    if (f()) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(msg);
}

export const tests = [
  {
    name: 'incidents: a report made offline on a phone, with a photo, goes out once when back online',
    viewport: { width: 390, height: 844 },
    touch: true,
    async run({ page, context, server, shot }) {
      const { grid, lon, lat } = gridPoint(server.dsn);
      await context.grantPermissions(['geolocation'], { origin: server.base });
      await context.setGeolocation({ longitude: lon, latitude: lat, accuracy: 10 });
      await login(page, server, 'officer');
      await page.click('#modes button[data-mode=incidents]');
      await page.waitForSelector('#inc-category option[value="sanitation.litter"]', { state: 'attached' });
      const text = `e2e 垃圾堆放 ${Date.now()}`;
      await page.selectOption('#inc-category', 'sanitation.litter');
      await page.fill('#inc-description', text);
      await page.setInputFiles('#inc-photo', { name: 'photo.png', mimeType: 'image/png', buffer: photo });
      await page.click('#inc-here');
      await page.waitForFunction(() => /\d+\.\d+, \d+\.\d+/.test(document.getElementById('inc-where').textContent));
      await context.setOffline(true);
      await page.click('#inc-form button[type=submit]');
      await page.waitForSelector('#inc-queued[data-n="1"]', { state: 'attached', timeout: 10000 });
      await page.waitForFunction(() => document.getElementById('inc-result').textContent.includes('联网后自动上报'));
      // A second report, still offline: both wait and go out in one batch.
      const text2 = `${text} 第二件 second`;
      await page.selectOption('#inc-category', 'fire.passage');
      await page.fill('#inc-description', text2);
      await page.click('#inc-here');
      await page.waitForFunction(() => /\d+\.\d+, \d+\.\d+/.test(document.getElementById('inc-where').textContent));
      await page.click('#inc-form button[type=submit]');
      await page.waitForSelector('#inc-queued[data-n="2"]', { state: 'attached', timeout: 10000 });
      /** @type {number[]} */
      const batches = [];
      page.on('request', (r) => {
        if (r.method() === 'POST' && new URL(r.url()).pathname === '/api/incidents/batch') batches.push(JSON.parse(r.postData() || '{}').reports?.length);
      });
      const item = await page.evaluate(() => new Promise((resolve, reject) => {
        const r = indexedDB.open('wangge-incidents', 1);
        r.onsuccess = () => { const g = r.result.transaction('queue').objectStore('queue').getAll(); g.onsuccess = () => resolve(g.result.map((x) => ({ report: x.report, photoId: x.photoId }))); };
        r.onerror = () => reject(r.error);
      }));
      const queued = /** @type {any[]} */ (item).find((x) => x.report.description === text);
      const esc = text.replace(/'/g, "''");
      assert(sql(server.dsn, `SELECT count(*) FROM incidents WHERE description = '${esc}'`)[0][0] === '0', 'stored while offline');
      await shot('incidents-offline', 'incidents-phone');
      await context.setOffline(false);
      await waitFor(() => sql(server.dsn, `SELECT count(*) FROM incidents WHERE description = '${esc}'`)[0][0] === '1', 'the queued report never arrived');
      await page.waitForSelector('#inc-queued[data-n="0"]', { state: 'attached', timeout: 10000 });
      const esc2 = text2.replace(/'/g, "''");
      assert(sql(server.dsn, `SELECT count(*) FROM incidents WHERE description = '${esc2}'`)[0][0] === '1', 'the second queued report did not arrive once');
      assert(batches.length >= 1 && batches[0] === 2, `the queue went out as batches of ${JSON.stringify(batches)}, want one batch of 2`);
      const [[id, g, state, photos, reportedAt]] = sql(server.dsn, `SELECT client_id, grid_code, status,
        (SELECT count(*) FROM incident_media m WHERE m.incident_id = i.id), reported_at = '${queued.report.reported_at}'::timestamptz
        FROM incidents i WHERE description = '${esc}'`);
      assert(id === queued.report.id, `stored id ${id}, the device made ${queued.report.id}`);
      assert(g === grid && state === 'reported', `case in ${g} as ${state}, want ${grid} reported`);
      assert(photos === '1', `${photos} photos attached`);
      assert(reportedAt === 't', 'the report lost its device time');
      // The same report again (a retry whose answer was lost) is the same case.
      const again = await page.evaluate(async (body) => (await fetch('/api/incidents', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body })).status,
        JSON.stringify({ ...queued.report, photos: [queued.photoId] }));
      assert(again === 200, `retry answered ${again}, want 200`);
      assert(sql(server.dsn, `SELECT count(*) FROM incidents WHERE client_id = '${id}'`)[0][0] === '1', 'retry stored twice');
      await page.waitForSelector(`#inc-list li[data-id="${id}"][data-state=reported]`);
      await shot('incidents-mine');
    },
  },
  {
    name: "incidents: the acceptance centre accepts and dispatches from its queue; the leader approves the worker's extension request",
    viewport: { width: 390, height: 844 },
    async run({ page, context, server, shot }) {
      const { lon, lat } = gridPoint(server.dsn);
      // The community's acceptance centre (受理中心): an officer account at the community level.
      sql(server.dsn, `INSERT INTO users (username, password_hash, role, unit_code, display_name)
        SELECT 'centre', password_hash, 'officer', left(unit_code, 12), '受理中心' FROM users WHERE username = 'officer'
        ON CONFLICT (username) DO NOTHING`);
      const id = crypto.randomUUID();
      const asOfficer = async (method, url, data) => {
        await context.clearCookies();
        const r0 = await page.request.post(`${server.base}/api/login`, { data: { username: 'officer', password: server.password } });
        assert(r0.ok(), `officer login ${r0.status()}`);
        const r = await page.request.fetch(`${server.base}${url}`, { method, data, headers: { Origin: server.base } });
        await context.clearCookies();
        return r;
      };
      const r = await asOfficer('POST', '/api/incidents', { id, category: 'sanitation.sewage', lon, lat, description: 'e2e 污水外溢', reported_at: new Date().toISOString() });
      assert(r.status() === 201, `report answered ${r.status()}`);

      await login(page, server, 'centre');
      await page.click('#modes button[data-mode=incidents]');
      assert(await page.isHidden('#inc-form') === false, 'an officer account sees the report form');
      await page.waitForSelector(`#inc-list li[data-id="${id}"] button[data-to=accepted]`);
      await page.selectOption('#inc-state', '');
      await page.click(`#inc-list li[data-id="${id}"] button[data-to=accepted]`);
      await page.waitForSelector(`#inc-list li[data-id="${id}"][data-state=accepted] button[data-to=dispatched]`);
      await page.click(`#inc-list li[data-id="${id}"] button[data-to=dispatched]`);
      await page.fill(`#inc-list li[data-id="${id}"] input.inc-unit`, '水务局');
      await page.click(`#inc-list li[data-id="${id}"] button[data-to=dispatched]`);
      await page.waitForSelector(`#inc-list li[data-id="${id}"][data-state=dispatched]`);
      const [[st, to, moves]] = sql(server.dsn, `SELECT status, dispatched_to, (SELECT string_agg(action, ',' ORDER BY e.id) FROM incident_events e WHERE e.incident_id = i.id)
        FROM incidents i WHERE client_id = '${id}'`);
      assert(st === 'dispatched' && to === '水务局', `case ${st} to ${to}`);
      assert(moves === 'reported,accepted,dispatched', `history ${moves}`);
      await shot('incidents-queue', 'incidents-queue');

      // The grid worker asks for more time; the leader above approves it.
      const ask = await asOfficer('POST', `/api/incidents/${id}/extensions`, { hours: 16, note: '需协调水务局抢修' });
      assert(ask.status() === 201, `extension request answered ${ask.status()}: ${await ask.text()}`);
      const [[due0]] = sql(server.dsn, `SELECT extract(epoch FROM due_at) FROM incidents WHERE client_id = '${id}'`);
      await context.clearCookies();
      await login(page, server, 'leader');
      await page.click('#modes button[data-mode=incidents]');
      const btn = `#inc-ext li:has-text("需协调水务局抢修") button[data-decide=approve]`;
      await page.waitForSelector(btn);
      await page.click(btn);
      await page.waitForFunction(() => !document.querySelector('#inc-ext li'));
      const [[status, due1, ev]] = sql(server.dsn, `SELECT r.status, extract(epoch FROM i.due_at),
        (SELECT count(*) FROM incident_events e WHERE e.incident_id = i.id AND e.action = 'extended')
        FROM incident_extension_requests r JOIN incidents i ON i.id = r.incident_id WHERE i.client_id = '${id}'`);
      assert(status === 'approved', `request ${status}`);
      assert(Number(due1) > Number(due0), `deadline ${due0} → ${due1}: not extended`);
      assert(ev === '1', `${ev} extended events`);
    },
  },
];
