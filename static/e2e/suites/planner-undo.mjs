// Planner undo and the confirm step (#19): each vertex move is undone by
// Ctrl+Z or the button, back to the stored shape exactly; saving shows what
// will change (the grids of the server's dry run with their area change in
// m², the households moved) and asks for the reason, which the history keeps.
import { assert, clickLngLat, fitRing, idle, login, sql } from '../helpers.mjs';

// vertexDrag is the screen path that moves vertex i of the ring px pixels away from its middle (negative: inwards).
function vertexDrag(page, ring, i, px) {
  return page.evaluate(([r, k, d]) => {
    const m = window.wangge.state.map, box = m.getContainer().getBoundingClientRect();
    const pts = r.slice(0, -1);
    const mid = pts.reduce((s, p) => [s[0] + p[0] / pts.length, s[1] + p[1] / pts.length], [0, 0]);
    const v = m.project(pts[k]), o = m.project(mid), len = Math.hypot(v.x - o.x, v.y - o.y);
    return { from: [box.left + v.x, box.top + v.y], to: [box.left + v.x + (d * (v.x - o.x)) / len, box.top + v.y + (d * (v.y - o.y)) / len] };
  }, [ring, i, px]);
}

async function drag(page, path) {
  await page.mouse.move(...path.from);
  await page.mouse.down();
  await page.mouse.move(...path.to, { steps: 10 });
  await page.mouse.up();
  await page.waitForFunction(() => !document.getElementById('pl-undo').disabled);
}

// checked presses the server check and returns the ring the page sent.
async function checked(page, code) {
  const [req] = await Promise.all([
    page.waitForRequest((r) => r.method() === 'PUT' && r.url().includes(`/api/grids/${code}?`) && r.url().includes('dry_run=true')),
    page.click('#pl-check'),
  ]);
  await page.waitForSelector('#pl-result p');
  const g = JSON.parse(req.postData()).geometry;
  return g.type === 'Polygon' ? g.coordinates[0] : g.coordinates[0][0];
}

const same = (a, b) => a.length === b.length && a.every((p, i) => Math.abs(p[0] - b[i][0]) < 1e-9 && Math.abs(p[1] - b[i][1]) < 1e-9);

export const tests = [
  {
    name: 'planner-undo: two vertex moves undone one by one (Ctrl+Z, then the button) back to the stored shape; the confirm step sums up the change and keeps the reason',
    async run({ page, server, shot }) {
      const [[code, lon, lat, version]] = sql(server.dsn, `
        SELECT u.code, ST_X(p), ST_Y(p), u.version FROM units u, ST_PointOnSurface(u.geom) p
        WHERE u.level = 4 AND u.kind = 'basic' AND ST_NumGeometries(u.geom) = 1
          AND NOT ST_Intersects(ST_Boundary(u.geom), ST_Boundary((SELECT geom FROM units WHERE code = u.parent_code)))
        ORDER BY u.code OFFSET 2 LIMIT 1`);
      await login(page, server, 'planner');
      await clickLngLat(page, Number(lon), Number(lat));
      await page.waitForSelector('#card:not([hidden])');
      const stored = await page.evaluate(async (c) => (await (await fetch(`/api/grids/${c}`)).json()).geometry.coordinates[0][0], code);
      await fitRing(page, stored, 150);
      await idle(page);
      await page.click('#pl-edit');
      await page.waitForFunction(() => document.getElementById('pl-hint').textContent.includes('拖动顶点'));
      assert(await page.isDisabled('#pl-undo'), 'undo enabled before any step');
      assert(same(await checked(page, code), stored), 'the unedited shape is not the stored one');

      await drag(page, await vertexDrag(page, stored, 0, 35));
      const one = await checked(page, code);
      assert(!same(one, stored), 'the first drag did not move the vertex');
      await drag(page, await vertexDrag(page, stored, 2, -25));
      const two = await checked(page, code);
      assert(!same(two, one), 'the second drag did not move the vertex');
      // Ctrl+Z with the focus on the map: back to the first move only.
      await page.locator('#map canvas').focus();
      await page.keyboard.press('Control+z');
      assert(same(await checked(page, code), one), 'Ctrl+Z did not undo the second move exactly');
      // The button: back to the stored shape; nothing left to undo.
      await page.click('#pl-undo');
      assert(same(await checked(page, code), stored), 'the undo button did not bring back the stored shape');
      assert(await page.isDisabled('#pl-undo'), 'undo still enabled at the stored shape');
      // Redo (Ctrl+Shift+Z) brings the first move back.
      await page.locator('#map canvas').focus();
      await page.keyboard.press('Control+Shift+z');
      assert(same(await checked(page, code), one), 'redo did not bring back the first move');

      // Adjust mode, checked: the confirm step lists what the dry run changes.
      await page.check('input[name=edit-mode][value=adjust]');
      const [resp] = await Promise.all([
        page.waitForResponse((r) => r.request().method() === 'PUT' && r.url().includes('dry_run=true')),
        page.click('#pl-check'),
      ]);
      const dry = await resp.json();
      await page.waitForSelector('#pl-result .preview');
      assert(await page.isHidden('#pl-confirm'), 'the confirm step opens before Save is pressed');
      await page.click('#pl-save');
      await page.waitForSelector('#pl-confirm:not([hidden])');
      const listed = await page.$$eval('#pl-confirm .touched li', (ls) => ls.map((l) => [l.dataset.code, Number(l.dataset.delta), l.textContent]));
      const want = dry.changed.map((c) => c.code).sort();
      assert(JSON.stringify(listed.map((l) => l[0]).sort()) === JSON.stringify(want), `confirm lists ${listed.map((l) => l[0])}, the dry run changes ${want}`);
      assert(listed.every((l) => l[2].includes('m²')), `areas not in m²: ${listed.map((l) => l[2])}`);
      // The server's own areas (PostGIS, geography) against the page's, per grid, within 1 % or 1 m².
      const areas = sql(server.dsn, `SELECT code, ST_Area(geom::geography) FROM units WHERE code IN (${want.map((c) => `'${c}'`).join(',')})`);
      const own = listed.find((l) => l[0] === code);
      assert(own && own[1] > 0, `the edited grid's change ${own?.[1]} should be a gain (the vertex moved outwards)`);
      const losers = listed.filter((l) => l[0] !== code);
      assert(losers.length > 0 && losers.every((l) => l[1] < 0), `neighbours do not lose: ${JSON.stringify(losers)}`);
      const moved = Number(await page.getAttribute('#pl-confirm .moved', 'data-households'));
      assert(moved === dry.moved.households, `households moved ${moved}, the dry run says ${dry.moved.households}`);
      assert(areas.length === want.length, 'grids missing in the database');
      // No reason: the save stays disabled, and says why.
      assert(await page.isDisabled('#pl-confirm-save') && await page.isVisible('#pl-confirm-need'), 'saving without a reason is allowed');
      await page.fill('#pl-reason', '按新建道路调整边界');
      assert(!(await page.isDisabled('#pl-confirm-save')), 'a reason given, the save stays disabled');
      await shot('planner-confirm');
      await page.click('#pl-confirm-save');
      await page.waitForFunction((v) => document.querySelector('#card .meta')?.textContent.includes(`v${v}`), Number(version) + 1, { timeout: 15000 });
      const [[v2, reason]] = sql(server.dsn, `SELECT version, reason FROM unit_versions WHERE code = '${code}' AND valid_to IS NULL`);
      assert(Number(v2) === Number(version) + 1 && reason === '按新建道路调整边界', `stored version ${v2}, reason ${reason}`);
      // What the page said would change is what changed: the edited grid's new area.
      const [[now]] = sql(server.dsn, `SELECT ST_Area(geom::geography) - ${Number(areas.find((a) => a[0] === code)[1])} FROM units WHERE code = '${code}'`);
      assert(Math.abs(Number(now) - own[1]) <= Math.max(1, Math.abs(own[1]) * 0.01), `the page said ${own[1]} m², the database changed by ${now} m²`);
    },
  },
];
