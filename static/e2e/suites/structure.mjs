// structure (#11): the planner's save refreshes the touched tiles once.
import { assert, clickLngLat, fitRing, idle, login, sql } from '../helpers.mjs';

export const tests = [
  {
    name: 'structure: after a save the touched grid tiles come in one version only, the new shape',
    async run({ page, server }) {
      await login(page, server, 'planner');
      // An inner basic grid other than the core planner test's, as the demo
      // made it: none that another suite's user (the planner's split) made or reshaped.
      const [[code, lon, lat, version]] = sql(server.dsn, `
        SELECT u.code, ST_X(p), ST_Y(p), u.version FROM units u, ST_PointOnSurface(u.geom) p
        WHERE u.level = 4 AND u.kind = 'basic'
          AND NOT EXISTS (SELECT 1 FROM unit_versions v WHERE v.code = u.code AND v.changed_by IS NOT NULL)
          AND NOT ST_Intersects(ST_Boundary(u.geom), ST_Boundary((SELECT geom FROM units WHERE code = u.parent_code)))
        ORDER BY u.code OFFSET 5 LIMIT 1`);
      await clickLngLat(page, Number(lon), Number(lat));
      await page.waitForSelector('#card:not([hidden])');
      const geometry = await page.evaluate(async (c) => (await (await fetch(`/api/grids/${c}`, { credentials: 'same-origin' })).json()).geometry, code);
      await fitRing(page, geometry.coordinates[0][0], 120);
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

      // Every version of the grid tiles served after the save's answer. Tiles
      // carry max-age=5 and MapLibre reloads a tile when it expires, so a tile
      // may be asked for twice around a save; what must never come after the
      // answer is the old tile (the old client refetched before the purge and
      // again a second later): one ETag per tile, and it draws the new shape.
      let answered = false;
      const versions = new Map();
      const seen = (resp) => {
        const m = new URL(resp.url()).pathname.match(/^\/tiles\/grids\/(\d+\/\d+\/\d+)\.mvt$/);
        if (!m || !answered || (resp.status() !== 200 && resp.status() !== 304)) return;
        if (!versions.has(m[1])) versions.set(m[1], new Set());
        versions.get(m[1]).add(resp.headers().etag);
      };
      page.on('response', seen);
      await page.click('#pl-save'); // the confirm step, then the save
      await page.fill('#pl-reason', '结构测试');
      await Promise.all([
        page.waitForResponse((r) => r.request().method() === 'PUT' && new URL(r.url()).pathname === `/api/grids/${code}`).then(() => { answered = true; }),
        page.click('#pl-confirm-save'),
      ]);
      await page.waitForFunction((v) => document.querySelector('#card .meta')?.textContent.includes(`v${v}`), Number(version) + 1, { timeout: 15000 });
      await idle(page);
      // The first fetch already has the new shape.
      const drawn = await codesAt(drag.inside);
      // A second round (the old client's, a second after the save) would come now.
      await page.waitForTimeout(2500);
      await idle(page);
      page.off('response', seen);
      assert(drawn.includes(code), `the tiles fetched after the save do not draw the moved vertex: ${drawn}`);
      assert(versions.size > 0, 'no grid tile fetched after the save');
      const two = [...versions].filter(([, v]) => v.size > 1);
      assert(two.length === 0, `grid tiles served in two versions after the save: ${two.map(([t]) => t).join(', ')}`);
      console.log(`    structure: ${versions.size} grid tiles refetched after the save, one version each`);
    },
  },
];
