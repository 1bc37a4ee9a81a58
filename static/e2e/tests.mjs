// The browser tests. Expected values come from the database (psql on the test
// database), never from the page under test; map assertions read what
// MapLibre actually rendered (queryRenderedFeatures).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { assert, clickLngLat, fitRing, idle, login, rendered, sql, sweepDemoPatrol } from './helpers.mjs';

export const tests = [
  {
    name: 'login: a wrong password is refused on the login screen',
    async run({ page, server }) {
      await page.goto(server.base);
      await page.fill('#login-user', 'officer');
      await page.fill('#login-pass', 'wrong-password');
      await page.click('#login-form button[type=submit]');
      await page.waitForFunction(() => document.getElementById('login-error').textContent.length > 0);
      assert(await page.isVisible('#login'), 'login screen hidden after a refused login');
      assert(await page.isHidden('#app'), 'app shown without a session');
    },
  },
  {
    name: 'map: every grid is rendered, labelled and styled by kind; the language toggles',
    async run({ page, server, shot }) {
      await login(page, server, 'admin');
      const want = sql(server.dsn, 'SELECT code, kind FROM units WHERE level = 4');
      let got = [];
      for (let i = 0; i < 50 && got.length < want.length; i++) { got = await rendered(page, 'units-grid-fill'); await page.waitForTimeout(100); }
      assert(got.length === want.length, `rendered ${got.length} grids, the database has ${want.length}`);
      const kinds = await page.evaluate(() => [...new Set(window.wangge.state.map.queryRenderedFeatures({ layers: ['units-grid-fill'] }).map((f) => f.properties.kind))]);
      for (const k of new Set(want.map((r) => r[1]))) assert(kinds.includes(k), `no ${k} grid rendered`);
      const colours = await page.evaluate(() => {
        const m = window.wangge.state.map;
        const pick = (kind) => m.queryRenderedFeatures({ layers: ['units-grid-fill'] }).find((f) => f.properties.kind === kind)?.layer.paint['fill-color'].toString();
        return [pick('basic'), pick('school'), pick('enterprise')];
      });
      assert(new Set(colours).size === 3, `kinds share a colour: ${colours}`);
      const communities = sql(server.dsn, 'SELECT count(*) FROM units WHERE level = 3')[0][0];
      assert((await rendered(page, 'units-community-line')).length === Number(communities), 'community outlines not all drawn');
      const labels = await page.locator('.labels .label').count();
      assert(labels >= 10, `only ${labels} labels placed`);
      await shot('map', 'map');
      await page.click('header button.lang');
      assert((await page.textContent('header h1')) === 'Grid map', 'language toggle did not switch to English');
      await shot('map-en');
      await page.click('header button.lang');
      assert((await page.textContent('header h1')) === '网格一张图', 'language toggle did not switch back');
    },
  },
  {
    name: "card: clicking a grid shows its public card with the grid worker's name and the breadcrumb",
    async run({ page, server, shot }) {
      const [[code, name, lon, lat, worker, community]] = sql(server.dsn, `
        SELECT u.code, u.name, ST_X(p), ST_Y(p), s.name, c.name
        FROM units u JOIN grid_staff s ON s.unit_code = u.code AND s.role = 'grid_worker'
        JOIN units c ON c.code = u.parent_code, ST_PointOnSurface(u.geom) p
        WHERE u.level = 4 AND u.kind = 'basic' ORDER BY u.code OFFSET 20 LIMIT 1`);
      await login(page, server, 'admin');
      await clickLngLat(page, Number(lon), Number(lat));
      await page.waitForSelector('#card:not([hidden]) .staff-grid_worker .name');
      assert((await page.textContent('#card h2')) === name, `card shows ${await page.textContent('#card h2')}, want ${name} (${code})`);
      assert((await page.textContent('#card .staff-grid_worker .name')) === worker, 'grid worker name differs');
      assert(await page.locator('#card .staff-grid_worker a.phone').count() === 1, 'no phone link');
      await idle(page);
      assert((await rendered(page, 'selection-line')).includes(code), 'selected grid not outlined');
      // The admin may read statistics: the households are always on the card.
      await page.waitForSelector('#card-households', { timeout: 10000 });
      const [[n]] = sql(server.dsn, `SELECT count(*) FROM households h JOIN buildings b ON b.id = h.building_id WHERE b.grid_code = '${code}'`);
      assert((await page.textContent('#card-households')) === n, `card households ${await page.textContent('#card-households')}, database ${n}`);
      await page.waitForSelector('#card-open-incidents');
      const [[open]] = sql(server.dsn, `SELECT count(*) FROM incidents WHERE grid_code = '${code}' AND status NOT IN ('closed', 'invalid')`);
      const shown = (await page.textContent('#card-open-incidents')).trim().split(' ')[0];
      assert(shown === open, `card open incidents ${shown}, database ${open}`);
      await shot('card', 'card');
      await page.click(`#card .crumbs a:text("${community}")`);
      await page.waitForFunction((c) => document.querySelector('#card h2')?.textContent === c, community);
      assert(await page.locator('#card .children li').count() > 1, 'community card lists no grids below it');
    },
  },
  {
    name: 'lookup: the officer on a phone finds the grid of an address and of a coordinate, near-boundary warned',
    viewport: { width: 390, height: 844 },
    async run({ page, server, shot }) {
      await login(page, server, 'officer');
      assert(await page.isVisible('#lookup-panel'), 'officer did not land in lookup mode');
      const [[gname, lon, lat, blon, blat]] = sql(server.dsn, `
        SELECT u.name, ST_X(p), ST_Y(p), ST_X(n), ST_Y(n)
        FROM units u, ST_PointOnSurface(u.geom) p,
          ST_LineInterpolatePoint(ST_ExteriorRing(ST_GeometryN(u.geom, 1)), 0.37) b,
          ST_LineInterpolatePoint(ST_MakeLine(b, p), 1.5 / ST_Distance(b::geography, p::geography)) n
        WHERE u.level = 4 ORDER BY u.code OFFSET 7 LIMIT 1`);
      await page.fill('#lookup-q', `${lon},${lat}`);
      await page.click('#lookup-form button[type=submit]');
      await page.waitForFunction((n) => document.getElementById('lookup-grid')?.textContent === n, gname, { timeout: 10000 });
      await page.waitForFunction((n) => document.querySelector('#card h2')?.textContent === n, gname, { timeout: 10000 });
      // 1.5 m inside a grid's boundary: the answer must warn.
      await page.fill('#lookup-q', `${blon},${blat}`);
      await page.click('#lookup-form button[type=submit]');
      await page.waitForSelector('.near-boundary', { timeout: 10000 });
      const [[text, agrid]] = sql(server.dsn, `
        SELECT a.full_text, u.name FROM addresses a JOIN buildings b ON b.id = a.building_id
        JOIN units u ON u.code = b.grid_code ORDER BY a.id OFFSET 150 LIMIT 1`);
      await page.fill('#lookup-q', text);
      await page.click('#lookup-form button[type=submit]');
      await page.waitForFunction((n) => document.getElementById('lookup-grid')?.textContent === n, agrid, { timeout: 10000 });
      await page.waitForFunction((n) => document.querySelector('#card h2')?.textContent === n, agrid, { timeout: 10000 });
      await idle(page);
      await shot('lookup-phone', 'lookup');
    },
  },
  {
    name: 'planner: an overlapping edit is refused and drawn in red; in adjust mode it is saved and the tiles refresh',
    async run({ page, server, shot }) {
      await login(page, server, 'planner');
      assert(await page.isVisible('#planner-panel'), 'planner did not land in planner mode');
      const [[code, lon, lat, version]] = sql(server.dsn, `
        SELECT u.code, ST_X(p), ST_Y(p), u.version FROM units u, ST_PointOnSurface(u.geom) p
        WHERE u.level = 4 AND u.kind = 'basic' AND NOT ST_Intersects(ST_Boundary(u.geom), ST_Boundary((SELECT geom FROM units WHERE code = u.parent_code)))
        ORDER BY u.code LIMIT 1`);
      await clickLngLat(page, Number(lon), Number(lat));
      await page.waitForSelector('#card:not([hidden])');
      // Zoom in on the grid, then drag its first vertex 40 px away from its middle, into the neighbours.
      const geometry = await page.evaluate(async (c) => (await (await fetch(`/api/grids/${c}`, { credentials: 'same-origin' })).json()).geometry, code);
      await fitRing(page, geometry.coordinates[0][0], 120);
      await idle(page);
      await page.click('#pl-edit');
      await page.waitForTimeout(300);
      const drag = await page.evaluate((g) => {
        const m = window.wangge.state.map, r = m.getContainer().getBoundingClientRect();
        const ring = g.coordinates[0][0].slice(0, -1);
        const mid = ring.reduce((s, p) => [s[0] + p[0] / ring.length, s[1] + p[1] / ring.length], [0, 0]);
        const v = m.project(ring[0]), o = m.project(mid);
        const d = Math.hypot(v.x - o.x, v.y - o.y);
        const to = [v.x + (40 * (v.x - o.x)) / d, v.y + (40 * (v.y - o.y)) / d];
        // inside: a point just inside the moved vertex, in the neighbours before the save and in this grid after.
        const inside = [v.x + (34 * (v.x - o.x)) / d, v.y + (34 * (v.y - o.y)) / d];
        return { from: [r.left + v.x, r.top + v.y], to: [r.left + to[0], r.top + to[1]], inside: m.unproject(inside).toArray() };
      }, geometry);
      await page.mouse.move(...drag.from);
      await page.mouse.down();
      await page.mouse.move(...drag.to, { steps: 12 });
      await page.mouse.up();
      await page.waitForTimeout(200);
      await page.click('#pl-check');
      await page.waitForSelector('#pl-result p');
      await page.waitForSelector('#pl-result .refused', { timeout: 10000 });
      // The refusal in the page's language (by the error's code), not the server's English.
      const refusal = await page.textContent('#pl-result .refused');
      assert(refusal.includes('边界不符合规则'), `refusal not in Chinese: ${refusal}`);
      await idle(page);
      const defects = await page.evaluate(() => window.wangge.state.map.queryRenderedFeatures({ layers: ['pl-defects-fill'] }).length);
      assert(defects > 0, 'refused, but no defect drawn');
      assert(await page.locator('.defect-label').count() > 0, 'defects have no size label');
      await shot('planner', 'planner');
      const [[after]] = sql(server.dsn, `SELECT version FROM units WHERE code = '${code}'`);
      assert(after === version, 'a refused edit changed the grid');
      // The same edit in adjust mode: the preview shows the neighbours' losses, then it is saved.
      await page.check('input[name=edit-mode][value=adjust]');
      await page.click('#pl-check');
      await page.waitForSelector('#pl-result .preview li.loses', { timeout: 15000 });
      await idle(page);
      assert((await rendered(page, 'pl-preview-after')).length > 0, 'adjust preview not drawn');
      await shot('planner-adjust-preview');
      // The vector tile under the moved vertex, as the browser session fetches it.
      const tile = await page.evaluate(async (g) => {
        const [lon, lat] = g.coordinates[0][0][0];
        const z = 15, n = 2 ** z, r = (lat * Math.PI) / 180;
        const url = `/tiles/grids/${z}/${Math.floor(((lon + 180) / 360) * n)}/${Math.floor(((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * n)}.mvt`;
        const res = await fetch(url, { credentials: 'same-origin' });
        return { url, status: res.status, etag: res.headers.get('ETag') };
      }, geometry);
      const codesAt = (lngLat) => page.evaluate((p) => {
        const m = window.wangge.state.map;
        return m.queryRenderedFeatures(m.project(p), { layers: ['units-grid-fill'] }).map((f) => f.properties.code);
      }, lngLat);
      assert(!(await codesAt(drag.inside)).includes(code), 'the point beyond the old vertex is drawn in the grid before the save');
      assert(tile.status === 200 && tile.etag, `tile ${tile.url} before the edit: ${tile.status}`);
      await page.click('#pl-save');
      await page.fill('#pl-reason', '按街巷调整');
      await page.click('#pl-confirm-save');
      await page.waitForFunction((v) => document.querySelector('#card .meta')?.textContent.includes(`v${v}`), Number(version) + 1, { timeout: 15000 });
      const [[saved]] = sql(server.dsn, `SELECT version FROM units WHERE code = '${code}'`);
      assert(Number(saved) === Number(version) + 1, `version ${saved} after the adjust save, want ${Number(version) + 1}`);
      await idle(page);
      assert((await rendered(page, 'units-grid-fill')).includes(code), 'edited grid not redrawn');
      // Only the touched tiles were fetched again, and they show the new shape.
      let now = [];
      for (let i = 0; i < 30 && !now.includes(code); i++) { await page.waitForTimeout(200); await idle(page); now = await codesAt(drag.inside); }
      assert(now.includes(code), `the refreshed tiles do not draw the moved vertex: ${now}`);
      // The server drops the tiles under the old and new shapes: the next fetch is a new tile.
      const fresh = await page.evaluate(async ({ url, etag }) => {
        for (let i = 0; i < 50; i++) {
          const res = await fetch(url, { credentials: 'same-origin' });
          const now = res.headers.get('ETag');
          if (res.status === 200 && now !== etag) return now;
          await new Promise((ok) => setTimeout(ok, 200));
        }
        return null;
      }, tile);
      assert(fresh, `tile ${tile.url} still the old one 10 s after the edit`);
    },
  },
  {
    name: 'display: the leader sees a dark big screen with statistics per level and prints a PNG',
    viewport: { width: 1600, height: 900 },
    async run({ page, server, shot, artefacts }) {
      // The display asks for what it shows: the chosen unit's totals and children, never every grid of the district.
      const statsRequests = [];
      page.on('request', (r) => { if (r.url().includes('/api/reports/')) statsRequests.push(new URL(r.url()).pathname + new URL(r.url()).search); });
      // A worker-day of this month for the first grid's worker (kept by migration 160's trigger); no fixes, so the
      // playback tests, which pick the longest day with fixes, never take it.
      sql(server.dsn, `INSERT INTO patrol_days (user_id, day, region_code, closed, distance_m, patrol_seconds, moving_seconds, stopped_seconds,
          in_grid_seconds, coverage_radius_m, fixes, dropped, trips, stops, unit_code, parent_code)
        SELECT w.user_id, date_trunc('month', now() AT TIME ZONE 'Asia/Shanghai')::date, left(w.unit_code, 6), true, 4200, 9000.4, 8000, 1000, 8000, 50, 0, 0,
          '[]', '[]', w.unit_code, u.parent_code
        FROM (SELECT user_id, min(unit_code) AS unit_code FROM patrol_workers GROUP BY 1) w JOIN units u ON u.code = w.unit_code
        WHERE w.unit_code = (SELECT min(code) FROM units WHERE level = 4) ON CONFLICT DO NOTHING`);
      await login(page, server, 'leader');
      assert(await page.evaluate(() => document.body.classList.contains('dark')), 'leader did not land in the dark display mode');
      await page.waitForSelector('#dp-stats td[data-level=grid]');
      for (const [level, n] of sql(server.dsn, 'SELECT level, count(*) FROM units WHERE level <= 4 GROUP BY level')) {
        const name = ['', 'district', 'street', 'community', 'grid'][level];
        assert((await page.textContent(`#dp-stats td[data-level=${name}]`)) === n, `${name}: page ${await page.textContent(`#dp-stats td[data-level=${name}]`)}, database ${n}`);
      }
      // Level statistics (GET /api/reports/unit-stats): filled on load, and following a change of level.
      await page.waitForSelector('#dp-level[data-level="1"] #dp-households');
      const [[n]] = sql(server.dsn, 'SELECT count(*) FROM households h JOIN buildings b ON b.id = h.building_id WHERE b.grid_code IS NOT NULL');
      assert((await page.textContent('#dp-households')).replace(/,/g, '') === n, `households ${await page.textContent('#dp-households')}, database ${n}`);
      const [[open]] = sql(server.dsn, "SELECT count(*) FROM incidents WHERE status NOT IN ('closed', 'invalid') AND coalesce(grid_code, community_code) IS NOT NULL");
      assert(open !== '0', 'the demo has no open case');
      const shownOpen = (await page.textContent('#dp-level .dp-total td[data-key=incidents_open]')).replace(/,/g, '');
      assert(shownOpen === open, `open cases ${shownOpen}, database ${open}`);
      const streets = sql(server.dsn, 'SELECT count(*) FROM units WHERE level = 2')[0][0];
      assert(String(await page.locator('#dp-level tr[data-code]').count()) === streets, `district rows ${await page.locator('#dp-level tr[data-code]').count()}, streets ${streets}`);
      const street = await page.getAttribute('#dp-level a[data-unit]', 'data-unit');
      await page.click(`#dp-level a[data-unit="${street}"]`);
      await page.waitForSelector(`#dp-level[data-unit="${street}"]`);
      const [[sn, comms]] = sql(server.dsn, `SELECT (SELECT count(*) FROM households h JOIN buildings b ON b.id = h.building_id WHERE left(b.grid_code, 9) = left('${street}', 9)),
        (SELECT count(*) FROM units WHERE parent_code = '${street}')`);
      assert((await page.textContent('#dp-households')).replace(/,/g, '') === sn, `street households ${await page.textContent('#dp-households')}, database ${sn}`);
      assert(String(await page.locator('#dp-level tr[data-code]').count()) === comms, `street rows, communities ${comms}`);
      const chart = await page.evaluate(() => !!echarts.getInstanceByDom(document.getElementById('dp-chart')));
      assert(chart, 'no chart of the street\'s communities');
      // Community, then one of its grids: the figures follow each level.
      const community = await page.getAttribute('#dp-level a[data-unit]', 'data-unit');
      await page.click(`#dp-level a[data-unit="${community}"]`);
      await page.waitForSelector(`#dp-level[data-unit="${community}"][data-level="3"]`);
      const [[ch, grids]] = sql(server.dsn, `SELECT (SELECT count(*) FROM households h JOIN buildings b ON b.id = h.building_id WHERE left(b.grid_code, 12) = '${community}'),
        (SELECT count(*) FROM units WHERE parent_code = '${community}')`);
      assert((await page.textContent('#dp-households')).replace(/,/g, '') === ch, `community households ${await page.textContent('#dp-households')}, database ${ch}`);
      assert(String(await page.locator('#dp-level tr[data-code]').count()) === grids, `community rows, grids ${grids}`);
      const grid = await page.getAttribute('#dp-level a[data-unit]', 'data-unit');
      await page.click(`#dp-level a[data-unit="${grid}"]`);
      await page.waitForSelector(`#dp-level[data-unit="${grid}"][data-level="4"]`);
      const [[gh, gp]] = sql(server.dsn, `SELECT (SELECT count(*) FROM households h JOIN buildings b ON b.id = h.building_id WHERE b.grid_code = '${grid}'),
        (SELECT coalesce(round((sum(round(patrol_seconds)) / 3600.0)::numeric, 1), 0) FROM patrol_days
         WHERE coalesce(unit_code, parent_code) = '${grid}' AND to_char(day, 'YYYY-MM') = to_char(now() AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM'))`);
      assert((await page.textContent('#dp-households')).replace(/,/g, '') === gh, `grid households ${await page.textContent('#dp-households')}, database ${gh}`);
      const shownPatrol = (await page.textContent('#dp-level .dp-total td[data-key=patrol_s_month]')).replace(/,/g, '');
      assert(Number(gp) > 0 && Number(shownPatrol) === Number(gp), `grid patrol hours ${shownPatrol}, database ${gp}`);
      assert(await page.locator('#dp-chart').isHidden(), 'a chart of children for a grid');
      for (let i = 0; i < 3; i++) await page.click('#dp-up');
      await page.waitForSelector('#dp-level[data-level="1"]');
      await page.check('#dp-layers input[data-layer=balance]');
      await page.waitForTimeout(300);
      await idle(page);
      assert((await rendered(page, 'dp-balance')).length > 0, 'balance layer not drawn');
      // The balance colours come with the grid tiles: each drawn grid's band as the database's households and people give it
      // (the default band, 200–500 households and 1,000–1,500 people; the demo sets no other).
      const drawn = await page.evaluate(() => Object.fromEntries(window.wangge.state.map.queryRenderedFeatures({ layers: ['dp-balance'] })
        .map((f) => [f.properties.code, f.properties.band])));
      const want = Object.fromEntries(sql(server.dsn, `SELECT g.code, CASE WHEN g.kind <> 'basic' THEN 'n/a' WHEN c.n > 500 OR c.p > 1500 THEN 'over'
          WHEN c.n < 200 OR c.p < 1000 THEN 'under' ELSE 'ok' END
        FROM units g, LATERAL (SELECT count(*) AS n, coalesce(sum(h.members), 0) AS p FROM households h JOIN buildings b ON b.id = h.building_id WHERE b.grid_code = g.code) c
        WHERE g.level = 4`));
      const wrong = Object.entries(drawn).filter(([code, band]) => want[code] !== band);
      assert(Object.keys(drawn).length > 0 && !wrong.length, `bands on the drawn grids differ from the database: ${JSON.stringify(wrong.slice(0, 5))}`);
      const wide = statsRequests.filter((u) => u.includes('grid-counts'));
      assert(!wide.length, `per-grid reports asked for: ${wide.join(' ')}`);
      assert(statsRequests.every((u) => u.startsWith('/api/reports/unit-stats') || u.startsWith('/api/reports/work')), `statistics requests ${statsRequests.join(' ')}`);
      await shot('display', 'display');
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#dp-print')]);
      const file = path.join(artefacts, 'notice-map.png');
      await download.saveAs(file);
      const png = fs.readFileSync(file);
      assert(png.subarray(1, 4).toString() === 'PNG', 'download is not a PNG');
      assert(png.length > 20000, `PNG only ${png.length} bytes`);
    },
  },
  // patrol (patrol.js): a worker-day played back, and the coverage gap layer.
  {
    name: 'patrol: the leader plays back a worker-day, pauses it, and sees the coverage gaps of its grid',
    viewport: { width: 1600, height: 900 },
    async run({ page, server, shot }) {
      // The demo's tracks were bulk-loaded: mark their days and sweep, as an admin would.
      await sweepDemoPatrol(server);
      const [[worker, day, distance, fixes, grid]] = sql(server.dsn, `SELECT u.username, d.day, d.distance_m, d.fixes, w.unit_code
        FROM patrol_days d JOIN users u ON u.id = d.user_id JOIN patrol_workers w ON w.user_id = d.user_id
        WHERE d.closed AND d.fixes > 50 ORDER BY d.patrol_seconds DESC, u.username LIMIT 1`);
      assert(worker, 'no closed worker-day after the sweep');

      await login(page, server, 'leader');
      await page.click('#modes button[data-mode=patrol]');
      await page.waitForSelector('#patrol-panel:not([hidden])');
      await page.fill('#pt-date', day);
      await page.dispatchEvent('#pt-date', 'change');
      await page.waitForSelector(`#pt-worker option[value="${worker}"]`, { state: 'attached' });
      await page.selectOption('#pt-worker', worker);
      await page.waitForFunction((km) => document.getElementById('pt-distance')?.textContent === km, `${(Number(distance) / 1000).toFixed(2)} km`, { timeout: 15000 });
      await idle(page);
      const drawn = (layer) => page.evaluate((l) => window.wangge.state.map.queryRenderedFeatures({ layers: [l] }).length, layer);
      assert(await drawn('pt-track') > 0, 'track not drawn');

      // Play at 60×, pause: the clock stops; then play to the end at 3600×.
      await page.selectOption('#pt-speed', '60');
      await page.click('#pt-play');
      await page.waitForFunction(() => Number(document.getElementById('pt-clock').dataset.index) > 3, null, { timeout: 15000 });
      await page.click('#pt-pause');
      const paused = await page.textContent('#pt-clock');
      await page.waitForTimeout(600);
      assert(await page.textContent('#pt-clock') === paused, `clock ran on while paused: ${paused} → ${await page.textContent('#pt-clock')}`);
      assert(await drawn('pt-head') === 1, 'playback position not drawn');
      await page.selectOption('#pt-speed', '3600');
      await page.click('#pt-play');
      await page.waitForSelector('#pt-clock[data-done=true]', { timeout: 60000 });
      assert(Number(await page.getAttribute('#pt-clock', 'data-index')) === Number(fixes) - 1, `playback ended at fix ${await page.getAttribute('#pt-clock', 'data-index')}, the day has ${fixes}`);

      // The gap layer: the grid minus the 10 m buffer of that day's tracks, from the database.
      await page.fill('#pt-radius', '10');
      await Promise.all([page.waitForResponse((r) => r.url().includes('/api/patrol/gaps') && r.url().includes('radius_m=10')), page.check('#pt-layers input[data-layer=gaps]')]);
      await page.waitForFunction(() => document.getElementById('pt-legend').dataset.gapArea !== '');
      await idle(page);
      assert(await drawn('pt-gaps') > 0, 'gap layer not drawn');
      const [[gapArea]] = sql(server.dsn, `SELECT ST_Area(ST_Difference(u.geom, coalesce((SELECT ST_Union(ST_Buffer(d.track::geography, 10, 'quad_segs=4')::geometry)
        FROM patrol_days d WHERE d.day = '${day}' AND d.track IS NOT NULL), 'POLYGON EMPTY'::geometry))::geography) FROM units u WHERE u.code = '${grid}'`);
      const shown = Number(await page.getAttribute('#pt-legend', 'data-gap-area'));
      assert(Number(gapArea) > 0 && Math.abs(shown - Number(gapArea)) <= 0.01 * Number(gapArea) + 1, `gap area ${shown} m², database ${gapArea} m²`);
      await shot('patrol', 'patrol');
    },
  },
  // Jurisdiction (issue 12): the grid force panel, a photo, and a printed notice board.
  {
    name: 'staff: the planner adds a worker with a photo to a grid and prints its notice board',
    async run({ page, server, shot, artefacts }) {
      await login(page, server, 'admin');
      await page.click('#modes button[data-mode=staff]');
      await page.waitForSelector('#jurisdiction-panel:not([hidden])');
      await idle(page);
      const codes = await rendered(page, 'units-grid-fill');
      assert(codes.length > 0, 'no grid rendered to click');
      const [[code, lon, lat]] = sql(server.dsn, `SELECT code, ST_X(p), ST_Y(p) FROM (SELECT code, ST_PointOnSurface(geom) p FROM units
        WHERE code = ANY('{${codes.join(',')}}') ORDER BY ST_Area(geom) DESC LIMIT 1) x`);
      await clickLngLat(page, Number(lon), Number(lat));
      await page.waitForSelector('#jur-form:not([hidden])');
      assert((await page.textContent('#jur-grid')).includes(code), `panel shows ${await page.textContent('#jur-grid')}, clicked ${code}`);
      const name = `测试员${Date.now() % 100000}`;
      await page.fill('#jur-name', name);
      await page.fill('#jur-phone', '13912345678');
      await page.fill('#jur-post', '兼职信息员');
      await page.fill('#jur-duties', '楼栋巡查');
      await page.selectOption('#jur-role', 'informant');
      // A text file is refused as a photo with the server's reason, and the form stays.
      await page.setInputFiles('#jur-photo', { name: 'note.png', mimeType: 'image/png', buffer: Buffer.from('not an image at all') });
      await page.click('#jur-submit');
      await page.waitForSelector('#jur-result .warn');
      assert(/JPEG or PNG/.test(await page.textContent('#jur-result')), `refusal reads ${await page.textContent('#jur-result')}`);
      const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAwAAAAQCAIAAACtAwlQAAAAFUlEQVR4nGM4YWNDEDGMKhpVRJwiAPuL8AFWiJT5AAAAAElFTkSuQmCC', 'base64');
      await page.fill('#jur-name', name + '乙');
      await page.setInputFiles('#jur-photo', { name: 'face.png', mimeType: 'image/png', buffer: png });
      await page.click('#jur-submit');
      await page.waitForSelector(`#jur-card li:has-text("${name}乙") img`);
      const db = sql(server.dsn, `SELECT s.photo_id IS NOT NULL, g.role FROM staff s JOIN grid_staff g ON g.staff_id = s.id
        WHERE s.name = '${name}乙' AND g.unit_code = '${code}'`);
      assert(db.length === 1 && db[0][0] === 't' && db[0][1] === 'informant', `database has ${JSON.stringify(db)} for the new worker`);
      const twins = sql(server.dsn, `SELECT count(*) FROM staff WHERE name LIKE '${name}%'`)[0][0];
      assert(twins === '1', `the refused first try left ${twins} people, want the one person reused`);
      await shot('staff', 'staff');
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#jur-board')]);
      const file = path.join(artefacts, `board-${code}.pdf`);
      await download.saveAs(file);
      const text = spawnSync('pdftotext', [file, '-'], { encoding: 'utf8' });
      assert(text.status === 0, `pdftotext: ${text.stderr}`);
      assert(text.stdout.includes(`${name}乙`) && text.stdout.includes('13912345678'), `board text lacks the worker:\n${text.stdout}`);
      assert(text.stdout.includes(code), 'board text lacks the grid code');
    },
  },
  // residents: a visit recorded from a phone-sized page with the 四必问 form.
  {
    name: 'residents: the officer on a phone records a visit with the four questions; it leaves the due list and is stored once',
    viewport: { width: 390, height: 844 },
    async run({ page, server, shot }) {
      const [[grid]] = sql(server.dsn, `SELECT unit_code FROM users WHERE username = 'officer'`);
      const [[hid, lon, lat]] = sql(server.dsn, `
        SELECT h.id, ST_X(b.pt), ST_Y(b.pt) FROM households h JOIN buildings b ON b.id = h.building_id
        WHERE b.grid_code = '${grid}' AND NOT EXISTS (SELECT 1 FROM visits v WHERE v.household_id = h.id) ORDER BY h.id LIMIT 1`);
      await page.context().grantPermissions(['geolocation']);
      await page.context().setGeolocation({ longitude: Number(lon) + 0.0003, latitude: Number(lat) });
      await login(page, server, 'officer');
      await page.click('#modes button[data-mode=visits]');
      const row = page.locator(`#rv-due li[data-household="${hid}"]`);
      await row.waitFor({ timeout: 10000 });
      const before = await page.locator('#rv-due li').count();
      await row.locator('button').click();
      assert(await page.isVisible('#rv-form'), 'visit form not shown');
      await page.fill('#rv-troubles', '楼道灯坏了');
      await page.selectOption('#rv-satisfaction', '基本满意');
      await page.fill('#rv-suggestions', '增加停车位');
      await page.fill('#rv-needs-help', '否');
      // The first answer is lost on the way back (the server stores the visit, the phone
      // sees a network error): the phone keeps it and resends it with the same UUID.
      let reached = 0, sent = null;
      await page.route('**/api/visits', async (route) => {
        reached++; sent = route.request().postData(); await route.fetch(); await route.abort('internetdisconnected');
      }, { times: 1 });
      await page.click('#rv-form button[type=submit]');
      await page.waitForFunction(() => JSON.parse(localStorage.getItem('wangge.visits.pending') || '[]').length === 1, null, { timeout: 10000 });
      const id = await page.evaluate(() => JSON.parse(localStorage.getItem('wangge.visits.pending'))[0].id);
      assert(reached === 1, `the visit did not reach the server before the lost answer (${reached})`);
      await page.evaluate(() => window.dispatchEvent(new Event('online')));
      await page.waitForFunction(() => JSON.parse(localStorage.getItem('wangge.visits.pending') || '[]').length === 0, null, { timeout: 10000 });
      await page.waitForFunction((h) => !document.querySelector(`#rv-due li[data-household="${h}"]`), hid, { timeout: 10000 });
      assert(await page.isHidden('#rv-form'), 'the form stayed open after its visit was sent');
      // A second resend, straight from the page: the same body under the same id is a 200.
      assert(JSON.parse(sent).id === id, 'the kept visit has another id than the one sent');
      const again = await page.evaluate(async (body) => (await fetch('/api/visits', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body })).status, sent);
      assert(again === 200, `the resent visit was not answered 200: ${again}`);
      const rows = sql(server.dsn, `SELECT household_id, answers->>'troubles', answers->>'satisfaction', far, distance_m < 100 FROM visits WHERE id = '${id}'`);
      assert(rows.length === 1 && rows[0][0] === hid && rows[0][1] === '楼道灯坏了' && rows[0][2] === '基本满意' && rows[0][3] === 'f' && rows[0][4] === 't',
        `visit not stored once as entered: ${JSON.stringify(rows)}`);
      const [[n]] = sql(server.dsn, `SELECT count(*) FROM visits WHERE household_id = ${hid}`);
      assert(n === '1', `visit stored ${n} times`);
      assert(await page.locator('#rv-due li').count() === before - 1, 'due list did not shrink by one');
      await shot('residents-visit-phone', 'residents-visit');
    },
  },
  // mapfront (#19): what officers, planners and leaders tripped on, each seen failing before.
  {
    name: 'mapfront: on a phone a point outside every grid clears the last card; a failed lookup says so in Chinese',
    viewport: { width: 390, height: 844 },
    touch: true,
    async run({ page, context, server }) {
      await login(page, server, 'officer');
      const [[lon, lat, gname]] = sql(server.dsn, `SELECT ST_X(p), ST_Y(p), u.name FROM units u, ST_PointOnSurface(u.geom) p WHERE u.level = 4 ORDER BY u.code OFFSET 3 LIMIT 1`);
      await page.fill('#lookup-q', `${lon},${lat}`);
      await page.tap('#lookup-form button[type=submit]');
      await page.waitForFunction((n) => document.querySelector('#card h2')?.textContent === n, gname, { timeout: 10000 });
      // 2 km west of the district: in no grid.
      const [[olon, olat]] = sql(server.dsn, `SELECT ST_XMin(e) - 0.02, (ST_YMin(e) + ST_YMax(e)) / 2 FROM (SELECT ST_Extent(geom) e FROM units WHERE level = 1) x`);
      await page.fill('#lookup-q', `${olon},${olat}`);
      await page.tap('#lookup-form button[type=submit]');
      await page.waitForFunction(() => document.getElementById('lookup-answer').textContent.includes('不在任何网格内'), null, { timeout: 10000 });
      assert(await page.isHidden('#card'), 'the previous grid\'s card is still shown for a point in no grid');
      // The card of a grid for an officer: households need the statistics permission, and the card says so.
      await page.fill('#lookup-q', `${lon},${lat}`);
      await page.tap('#lookup-form button[type=submit]');
      await page.waitForFunction(() => document.getElementById('card-stats')?.textContent.includes('无权查看统计'), null, { timeout: 10000 });
      // The server unreachable: the answer is replaced by a Chinese failure, not left in place.
      await context.route('**/api/locate*', (route) => route.abort('connectionrefused'));
      await page.fill('#lookup-q', `${olon},${olat}`);
      await page.tap('#lookup-form button[type=submit]');
      await page.waitForSelector('#lookup-answer .failed', { timeout: 10000 });
      const text = await page.textContent('#lookup-answer .failed');
      assert(text.includes('网络连接失败'), `failure shown as ${text}`);
      assert(!(await page.textContent('#status')).includes('Failed to fetch'), 'English fetch error in the header');
      assert(await page.isHidden('#card'), 'a failed lookup left the last card on screen');
      await context.unroute('**/api/locate*');
    },
  },
  {
    name: 'mapfront: degree-minute-second coordinates and "my location" (geolocation with its accuracy circle) find the grid',
    viewport: { width: 390, height: 844 },
    touch: true,
    async run({ page, context, server, shot }) {
      const [[lon, lat, gname]] = sql(server.dsn, `SELECT ST_X(p), ST_Y(p), u.name FROM units u, ST_PointOnSurface(u.geom) p WHERE u.level = 4 ORDER BY u.code OFFSET 11 LIMIT 1`);
      await context.grantPermissions(['geolocation'], { origin: server.base });
      await context.setGeolocation({ longitude: Number(lon), latitude: Number(lat), accuracy: 25 });
      await login(page, server, 'officer');
      const dms = (v, pos, neg) => {
        const a = Math.abs(v), d = Math.floor(a), m = Math.floor((a - d) * 60), sec = ((a - d) * 60 - m) * 60;
        return `${d}°${m}'${sec.toFixed(3)}"${v >= 0 ? pos : neg}`;
      };
      await page.fill('#lookup-q', `${dms(Number(lat), 'N', 'S')} ${dms(Number(lon), 'E', 'W')}`);
      await page.tap('#lookup-form button[type=submit]');
      await page.waitForFunction((n) => document.getElementById('lookup-grid')?.textContent === n, gname, { timeout: 10000 });
      await page.tap('#lookup-here');
      await page.waitForFunction(() => document.getElementById('lookup-answer').textContent.includes('精度 25 米'), null, { timeout: 10000 })
        .catch(async (e) => { throw new Error(`${e.message}; answer: ${await page.textContent('#lookup-answer')}`); });
      assert((await page.textContent('#lookup-grid')) === gname, `my location in ${await page.textContent('#lookup-grid')}, want ${gname}`);
      // The circle is a GeoJSON source drawn after the answer's text (its data goes through a worker): wait for the frame that shows it.
      await page.waitForFunction(() => {
        const m = window.wangge.state.map;
        return m.getLayer('lookup-accuracy-fill') && m.queryRenderedFeatures({ layers: ['lookup-accuracy-fill'] }).length > 0;
      }, null, { timeout: 10000 }).catch(() => { throw new Error('no accuracy circle drawn'); });
      await shot('lookup-my-location');
    },
  },
  {
    name: 'mapfront: the same address in two grids is offered as a choice, not taken silently',
    async run({ page, server }) {
      // Two addresses in different grids made to read the same (the generated search text follows).
      const [[a, text, ga], [b, , gb]] = sql(server.dsn, `
        WITH x AS (SELECT a.id, a.full_text, bl.grid_code, row_number() OVER (PARTITION BY bl.grid_code ORDER BY a.id) r
          FROM addresses a JOIN buildings bl ON bl.id = a.building_id WHERE bl.grid_code IS NOT NULL)
        SELECT id, full_text, grid_code FROM x WHERE r = 1 ORDER BY grid_code OFFSET 40 LIMIT 2`);
      assert(ga !== gb, 'picked two addresses of one grid');
      sql(server.dsn, `UPDATE addresses SET full_text = (SELECT full_text FROM addresses WHERE id = ${a}) WHERE id = ${b}`);
      await login(page, server, 'officer');
      await page.fill('#lookup-q', text);
      await page.click('#lookup-form button[type=submit]');
      await page.waitForSelector('#lookup-results .choose', { timeout: 10000 });
      assert(await page.isHidden('#card'), 'a card was opened although the match is ambiguous');
      const [[gname]] = sql(server.dsn, `SELECT name FROM units WHERE code = '${gb}'`);
      await page.click(`#lookup-results a.result:has-text("${gname}")`);
      await page.waitForFunction((n) => document.getElementById('lookup-grid')?.textContent === n, gname, { timeout: 10000 });
    },
  },
  {
    name: 'mapfront: the leader clicks a grid for its card, the legend follows the layers, no raw i18n keys',
    viewport: { width: 1920, height: 1080 },
    async run({ page, server, shot }) {
      await login(page, server, 'leader');
      await page.waitForSelector('#map-legend');
      assert((await page.textContent('#map-legend')).includes('学校专属网格'), 'no grid-kind legend on the display');
      const [[code, name, lon, lat, community]] = sql(server.dsn, `SELECT u.code, u.name, ST_X(p), ST_Y(p), c.name FROM units u JOIN units c ON c.code = u.parent_code,
        ST_PointOnSurface(u.geom) p WHERE u.level = 4 ORDER BY u.code OFFSET 5 LIMIT 1`);
      await clickLngLat(page, Number(lon), Number(lat));
      await page.waitForFunction((n) => document.querySelector('#card h2')?.textContent === n, name, { timeout: 10000 });
      await page.click(`#card .crumbs a:text("${community}")`);
      await page.waitForFunction((c) => document.querySelector('#card h2')?.textContent === c, community);
      const card = await page.textContent('#card');
      assert(!/kind_|mapfront_/.test(card), `raw i18n key on the community card: ${card}`);
      await page.check('#dp-layers input[data-layer=balance]');
      await page.waitForFunction(() => document.getElementById('map-legend').textContent.includes('超出目标'));
      await page.uncheck('#dp-layers input[data-layer=kind]');
      await page.waitForFunction(() => !document.getElementById('map-legend').textContent.includes('学校专属网格'));
      assert(code.length === 15, 'not a grid');
      await shot('display-legend');
    },
  },
  {
    name: 'mapfront: every mode has a legend; the planner\'s merge hint says a click adds a grid',
    async run({ page, server }) {
      await login(page, server, 'admin');
      for (const mode of ['map', 'lookup', 'planner', 'display']) {
        await page.click(`#modes button[data-mode=${mode}]`);
        await page.waitForSelector('#map-legend .key');
        assert((await page.locator('#map-legend .key').count()) > 0, `no legend in ${mode} mode`);
      }
      await page.click('#modes button[data-mode=planner]');
      const [[code, lon, lat], [code2, lon2, lat2]] = sql(server.dsn, `SELECT u.code, ST_X(p), ST_Y(p) FROM units u, ST_PointOnSurface(u.geom) p
        WHERE u.level = 4 ORDER BY u.code LIMIT 2`);
      await clickLngLat(page, Number(lon), Number(lat));
      await page.waitForFunction((c) => document.querySelector('#card code')?.textContent === c, code);
      await page.click('#pl-merge');
      assert(!(await page.textContent('#pl-hint')).includes('Shift'), 'merge hint still asks for Shift-click');
      await clickLngLat(page, Number(lon2), Number(lat2));
      const [[n2]] = sql(server.dsn, `SELECT name FROM units WHERE code = '${code2}'`);
      await page.waitForFunction((n) => document.getElementById('pl-hint').textContent.includes(n), n2);
      await page.click('#pl-cancel');
    },
  },
];
