// structure (#11): the planner's save refreshes the touched tiles once.
import { sql, assert, login, idle, clickLngLat } from '../helpers.mjs';

export const tests = [
  {
    name: 'structure: after a save the touched grid tiles are fetched once, and that fetch draws the new shape',
    async run({ page, server }) {
      await login(page, server, 'planner');
      // An inner basic grid other than the core planner test's.
      const [[code, lon, lat, version]] = sql(server.dsn, `
        SELECT u.code, ST_X(p), ST_Y(p), u.version FROM units u, ST_PointOnSurface(u.geom) p
        WHERE u.level = 4 AND u.kind = 'basic' AND NOT ST_Intersects(ST_Boundary(u.geom), ST_Boundary((SELECT geom FROM units WHERE code = u.parent_code)))
        ORDER BY u.code OFFSET 5 LIMIT 1`);
      await clickLngLat(page, Number(lon), Number(lat));
      await page.waitForSelector('#card:not([hidden])');
      const geometry = await page.evaluate(async (c) => (await (await fetch(`/api/grids/${c}`, { credentials: 'same-origin' })).json()).geometry, code);
      await page.evaluate((g) => {
        const ring = g.coordinates[0][0];
        let [a, b, x, y] = [180, 90, -180, -90];
        for (const [p, q] of ring) { a = Math.min(a, p); b = Math.min(b, q); x = Math.max(x, p); y = Math.max(y, q); }
        window.wangge.state.map.fitBounds([[a, b], [x, y]], { padding: 120, duration: 0 });
      }, geometry);
      await idle(page);
      await page.click('#pl-edit');
      await page.waitForTimeout(300);
      // Drag the first vertex 40 px outwards, into the neighbours (saved in adjust mode).
      const drag = await page.evaluate((g) => {
        const m = window.wangge.state.map, r = m.getContainer().getBoundingClientRect();
        const ring = g.coordinates[0][0].slice(0, -1);
        const mid = ring.reduce((s, p) => [s[0] + p[0] / ring.length, s[1] + p[1] / ring.length], [0, 0]);
        const v = m.project(ring[0]), o = m.project(mid);
        const d = Math.hypot(v.x - o.x, v.y - o.y);
        const to = [v.x + (40 * (v.x - o.x)) / d, v.y + (40 * (v.y - o.y)) / d];
        const inside = [v.x + (34 * (v.x - o.x)) / d, v.y + (34 * (v.y - o.y)) / d];
        return { from: [r.left + v.x, r.top + v.y], to: [r.left + to[0], r.top + to[1]], inside: m.unproject(inside).toArray() };
      }, geometry);
      await page.mouse.move(...drag.from);
      await page.mouse.down();
      await page.mouse.move(...drag.to, { steps: 12 });
      await page.mouse.up();
      await page.waitForTimeout(200);
      await page.check('input[name=edit-mode][value=adjust]');
      await page.click('#pl-check');
      await page.waitForSelector('#pl-result .preview li.loses', { timeout: 15000 });
      await idle(page);
      const codesAt = (lngLat) => page.evaluate((p) => {
        const m = window.wangge.state.map;
        return m.queryRenderedFeatures(m.project(p), { layers: ['units-grid-fill'] }).map((f) => f.properties.code);
      }, lngLat);
      assert(!(await codesAt(drag.inside)).includes(code), 'the point beyond the old vertex is drawn in the grid before the save');

      // Count the grid tile requests from the save on. Tiles are served with
      // max-age=5, and MapLibre reloads a tile when it expires: a request 5 s or
      // more after the tile's first is that reload, not a second refresh.
      const fetched = new Map();
      const first = new Map();
      const count = (req) => {
        const m = new URL(req.url()).pathname.match(/^\/tiles\/grids\/(\d+\/\d+\/\d+)\.mvt$/);
        if (!m) return;
        const now = Date.now();
        if (!first.has(m[1])) first.set(m[1], now);
        if (now - first.get(m[1]) < 4500) fetched.set(m[1], (fetched.get(m[1]) || 0) + 1);
      };
      page.on('request', count);
      await page.click('#pl-save');
      await page.waitForFunction((v) => document.querySelector('#card .meta')?.textContent.includes(`v${v}`), Number(version) + 1, { timeout: 15000 });
      await idle(page);
      // The first fetch already has the new shape: no second one is needed.
      const drawn = await codesAt(drag.inside);
      // A second round (the old client's, a second after the save) would come now.
      await page.waitForTimeout(2500);
      await idle(page);
      page.off('request', count);
      assert(drawn.includes(code), `the tiles fetched after the save do not draw the moved vertex: ${drawn}`);
      assert(fetched.size > 0, 'no grid tile fetched after the save');
      const twice = [...fetched].filter(([, n]) => n > 1);
      assert(twice.length === 0, `grid tiles fetched more than once after the save: ${twice.map(([t, n]) => `${t}×${n}`).join(', ')}`);
      console.log(`    structure: ${fetched.size} grid tiles refetched after the save, each once`);
    },
  },
];
