// Patrol (#14): every worker's tracks of a day as vector tiles, and the last
// known positions with their age.
import { assert, idle, login, sql, sweepDemoPatrol } from '../helpers.mjs';

export const tests = [
  {
    name: 'patrol: the leader sees every worker\'s tracks of a day in colour and the live positions, fading with age',
    viewport: { width: 1600, height: 900 },
    async run({ page, server, shot }) {
      await sweepDemoPatrol(server);
      const [[day, workers]] = sql(server.dsn, `SELECT day, count(*) FROM patrol_days WHERE track IS NOT NULL GROUP BY day ORDER BY count(*) DESC, day LIMIT 1`);
      assert(Number(workers) >= 2, `the demo day has ${workers} tracks`);
      // A fresh fix of one worker, two minutes old: the live position.
      const [[uid, who, lon, lat]] = sql(server.dsn, `SELECT u.id, u.username, ST_X(ST_PointOnSurface(g.geom)), ST_Y(ST_PointOnSurface(g.geom))
        FROM patrol_workers w JOIN users u ON u.id = w.user_id JOIN units g ON g.code = w.unit_code ORDER BY u.username LIMIT 1`);
      sql(server.dsn, `INSERT INTO patrol_points (region_code, user_id, recorded_at, pt) VALUES ('330199', ${uid}, now() - interval '2 minutes', ST_SetSRID(ST_MakePoint(${lon}, ${lat}), 4326))`);

      await login(page, server, 'leader');
      await page.click('#modes button[data-mode=patrol]');
      await page.waitForSelector('#patrol-panel:not([hidden])');
      await page.fill('#pt-date', day);
      await page.dispatchEvent('#pt-date', 'change');
      await page.check('#pt-layers input[data-layer=all]');
      const [[x0, y0, x1, y1]] = sql(server.dsn, `SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(track) AS e FROM patrol_days WHERE day = '${day}') t`);
      await page.evaluate((b) => window.wangge.state.map.fitBounds([[b[0], b[1]], [b[2], b[3]]], { duration: 0 }), [x0, y0, x1, y1].map(Number));
      await page.waitForFunction(() => window.wangge.state.map.queryRenderedFeatures({ layers: ['pt-all'] }).length > 0, null, { timeout: 20000 });
      await idle(page);
      const drawn = await page.evaluate(() => {
        const fs = window.wangge.state.map.queryRenderedFeatures({ layers: ['pt-all'] });
        return { workers: [...new Set(fs.map((f) => f.properties.worker))], colours: [...new Set(fs.map((f) => f.properties.colour))], days: [...new Set(fs.map((f) => f.properties.day))] };
      });
      assert(drawn.days.length === 1 && drawn.days[0] === day, `tracks of days ${drawn.days}, chose ${day}`);
      assert(drawn.workers.length >= 2 && drawn.colours.length >= 2, `tracks of ${drawn.workers.length} workers in ${drawn.colours.length} colours`);
      const [[inDb]] = sql(server.dsn, `SELECT count(*) FROM patrol_days WHERE day = '${day}' AND track IS NOT NULL`);
      assert(drawn.workers.length <= Number(inDb), `${drawn.workers.length} workers drawn, ${inDb} tracked`);

      await page.check('#pt-layers input[data-layer=positions]');
      await page.waitForFunction(() => Number(document.getElementById('pt-legend').dataset.positions) > 0, null, { timeout: 15000 });
      await page.evaluate(([x, y]) => window.wangge.state.map.jumpTo({ center: [x, y], zoom: 16 }), [Number(lon), Number(lat)]);
      await idle(page);
      const pos = await page.evaluate(() => window.wangge.state.map.queryRenderedFeatures({ layers: ['pt-positions'] }).map((f) => f.properties));
      const mine = pos.find((p) => p.worker === who);
      assert(mine && mine.age_s >= 110 && mine.age_s < 600, `position of ${who}: ${JSON.stringify(pos)}`);
      const label = await page.evaluate(() => window.wangge.state.map.queryRenderedFeatures({ layers: ['pt-positions-label'] }).map((f) => f.properties.label));
      assert(label.some((l) => /2 分钟前|2 min ago/.test(l)), `labels: ${label}`);
      await shot('patrol-live');
    },
  },
  {
    name: 'patrol: the leader sees the camera views and blind spots of a worker\'s grid, the blind area as the database has it',
    viewport: { width: 1600, height: 900 },
    async run({ page, server, shot }) {
      const token = await sweepDemoPatrol(server);
      const [[worker, day, grid, lon, lat]] = sql(server.dsn, `SELECT u.username, d.day, w.unit_code, ST_X(ST_PointOnSurface(g.geom)), ST_Y(ST_PointOnSurface(g.geom))
        FROM patrol_days d JOIN users u ON u.id = d.user_id JOIN patrol_workers w ON w.user_id = d.user_id JOIN units g ON g.code = w.unit_code
        WHERE d.closed AND d.fixes > 50 ORDER BY d.patrol_seconds DESC, u.username LIMIT 1`);
      const put = await fetch(`${server.base}/api/cameras`, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
        body: JSON.stringify({ name: 'e2e 路口', lon: Number(lon), lat: Number(lat), azimuth: 30, angle: 100, range_m: 80 }) });
      assert(put.status === 201, `camera: ${put.status} ${await put.text()}`);

      await login(page, server, 'leader');
      await page.click('#modes button[data-mode=patrol]');
      await page.waitForSelector('#patrol-panel:not([hidden])');
      await page.fill('#pt-date', day);
      await page.dispatchEvent('#pt-date', 'change');
      await page.waitForSelector(`#pt-worker option[value="${worker}"]`, { state: 'attached' });
      await page.selectOption('#pt-worker', worker);
      await Promise.all([page.waitForResponse((r) => r.url().includes('/api/patrol/blind-spots')), page.check('#pt-layers input[data-layer=blind]')]);
      await page.waitForFunction(() => document.getElementById('pt-legend').dataset.blindArea !== '');
      await page.evaluate(([x, y]) => window.wangge.state.map.jumpTo({ center: [x, y], zoom: 16 }), [Number(lon), Number(lat)]);
      await idle(page);
      const drawn = (layer) => page.evaluate((l) => window.wangge.state.map.queryRenderedFeatures({ layers: [l] }).length, layer);
      assert(await drawn('pt-cameras') > 0, 'camera view not drawn');
      assert(await drawn('pt-blind') > 0, 'blind spots not drawn');
      const [[blindArea]] = sql(server.dsn, `SELECT ST_Area(ST_Difference(g.geom, (SELECT ST_Union(view) FROM cameras c WHERE c.view && g.geom))::geography)
        FROM units g WHERE g.code = '${grid}'`);
      const shown = Number(await page.getAttribute('#pt-legend', 'data-blind-area'));
      assert(Math.abs(shown - Number(blindArea)) <= 0.001 * Number(blindArea) + 1, `blind area ${shown} m², database ${blindArea} m²`);
      assert(/个监控|cameras/.test(await page.textContent('#pt-legend')), 'legend lacks the camera count');
      await shot('patrol-blind-spots');
    },
  },
];
