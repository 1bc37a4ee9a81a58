// Live validation while dragging (#19): before the mouse is released, the
// page has the dragged shape checked (POST /api/grids/{code}/check, in
// memory on the server) and draws the overlap it would make; the save's own
// check (the strict dry run) then refuses the same grids; adjust mode words
// the same area as taken from the neighbour; undo back to the stored shape
// clears it. Nothing is written.
import { assert, clickLngLat, fitRing, idle, login, sql } from '../helpers.mjs';

const liveDefects = (page) => page.evaluate(() => {
  const m = window.wangge.state.map;
  return m.getLayer('pl-live-fill') ? m.queryRenderedFeatures({ layers: ['pl-live-fill'] }).map((f) => ({ kind: f.properties.kind, codes: String(f.properties.codes) })) : [];
});

export const tests = [
  {
    name: 'planner-live: a vertex dragged into the neighbour shows the overlap before the mouse is released; the save check agrees; undo clears it',
    async run({ page, server, shot }) {
      const [[code, lon, lat, version]] = sql(server.dsn, `
        SELECT u.code, ST_X(p), ST_Y(p), u.version FROM units u, ST_PointOnSurface(u.geom) p
        WHERE u.level = 4 AND u.kind = 'basic' AND ST_NumGeometries(u.geom) = 1
          AND NOT ST_Intersects(ST_Boundary(u.geom), ST_Boundary((SELECT geom FROM units WHERE code = u.parent_code)))
        ORDER BY u.code OFFSET 5 LIMIT 1`);
      await login(page, server, 'planner');
      await clickLngLat(page, Number(lon), Number(lat));
      await page.waitForSelector('#card:not([hidden])');
      const ring = await page.evaluate(async (c) => (await (await fetch(`/api/grids/${c}`)).json()).geometry.coordinates[0][0], code);
      await fitRing(page, ring, 150);
      await idle(page);
      const puts = [];
      page.on('request', (r) => { if (r.method() === 'PUT') puts.push(r.url()); });
      await page.click('#pl-edit');
      // The stored shape, checked live as the edit starts: clean.
      await page.waitForSelector('#pl-live[data-defects="0"]', { timeout: 10000 });
      const path = await page.evaluate((r) => {
        const m = window.wangge.state.map, box = m.getContainer().getBoundingClientRect();
        const pts = r.slice(0, -1);
        const mid = pts.reduce((s, p) => [s[0] + p[0] / pts.length, s[1] + p[1] / pts.length], [0, 0]);
        const v = m.project(pts[0]), o = m.project(mid), len = Math.hypot(v.x - o.x, v.y - o.y);
        return { from: [box.left + v.x, box.top + v.y], to: [box.left + v.x + (40 * (v.x - o.x)) / len, box.top + v.y + (40 * (v.y - o.y)) / len] };
      }, ring);
      await page.mouse.move(...path.from);
      await page.mouse.down();
      await page.mouse.move(...path.to, { steps: 12 });
      // Still holding the mouse: the overlap is reported and drawn.
      await page.waitForFunction(() => Number(document.getElementById('pl-live')?.dataset.defects) > 0, null, { timeout: 10000 });
      await idle(page);
      const during = await liveDefects(page);
      assert(during.length > 0 && during.every((d) => d.kind === 'overlap' && d.codes.includes(code)), `while dragging: ${JSON.stringify(during)}`);
      const words = await page.textContent('#pl-live');
      assert(words.includes('重叠'), `live status not in Chinese: ${words}`);
      await shot('planner-live', 'planner-live');
      await page.mouse.up();
      assert(puts.length === 0, `the live check wrote or dry-ran through PUT: ${puts}`);
      // The save's own check refuses the same neighbours.
      const [resp] = await Promise.all([
        page.waitForResponse((r) => r.request().method() === 'PUT' && r.url().includes('dry_run=true')),
        page.click('#pl-check'),
      ]);
      const refused = await resp.json();
      assert(resp.status() === 422 && refused.error.code === 'topology', `dry run answered ${resp.status()}`);
      await page.waitForFunction(() => Number(document.getElementById('pl-live')?.dataset.defects) > 0);
      const live = await page.evaluate(async () => {
        const d = await window.wangge.state.map.getSource('pl-live').getData(); // the features the page drew
        return d.features.map((f) => [...f.properties.codes].sort().join(','));
      });
      const saved = refused.error.details.features.map((f) => [...f.properties.codes].sort().join(','));
      assert(JSON.stringify([...live].sort()) === JSON.stringify([...saved].sort()), `live ${live}, the save's check ${saved}`);
      // Adjust mode: the same area is what the grid takes from its neighbours.
      await page.check('input[name=edit-mode][value=adjust]');
      await page.waitForFunction(() => document.getElementById('pl-live').textContent.includes('划入'), null, { timeout: 10000 });
      // Undo: back to the stored shape, clean again, nothing drawn.
      await page.click('#pl-undo');
      await page.waitForSelector('#pl-live[data-defects="0"]', { timeout: 10000 });
      await idle(page);
      assert((await liveDefects(page)).length === 0, 'live defects still drawn after the undo');
      const [[after]] = sql(server.dsn, `SELECT version FROM units WHERE code = '${code}'`);
      assert(after === version, 'the live check changed the grid');
    },
  },
];
