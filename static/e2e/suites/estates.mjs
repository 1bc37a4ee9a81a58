// Estates (小区, #12) in the browser: a planner draws an estate inside a grid
// in the grid force panel, corrects its outline by dragging a vertex, and an
// estate drawn over it is refused with the server's reason and not stored.
import { assert, clickLngLat, idle, login, sql } from '../helpers.mjs';

// drawSquare clicks the corners of [x0, y0, x1, y1] and closes the ring on the first one.
// terra-draw follows the pointer, so each click is reached by a move.
async function drawSquare(page, [x0, y0, x1, y1]) {
  const px = await page.evaluate((cs) => {
    const m = window.wangge.state.map, b = m.getContainer().getBoundingClientRect();
    return cs.map((c) => { const p = m.project(c); return [b.left + p.x, b.top + p.y]; });
  }, [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]);
  for (const [a, b] of px) {
    await page.mouse.move(a - 5, b - 5);
    await page.mouse.move(a, b, { steps: 4 });
    await page.mouse.click(a, b);
    await page.waitForTimeout(150);
  }
  await page.waitForFunction(() => !document.getElementById('est-save').disabled, null, { timeout: 5000 })
    .catch(async (e) => { throw new Error(`${e.message}: ${await page.textContent('#est-result')}`); });
}

export const tests = [
  {
    name: 'estates: the planner draws an estate in a grid, drags one of its vertices, and an overlapping one is refused',
    async run({ page, server, shot }) {
      const [[grid, cx, cy]] = sql(server.dsn, `
        SELECT u.code, ST_X(p), ST_Y(p) FROM units u JOIN users s ON left(u.code, 9) = left(s.unit_code, 9),
        ST_PointOnSurface(u.geom) p
        WHERE s.username = 'planner' AND u.level = 4 AND ST_Contains(u.geom, ST_Buffer(p, 0.0012))
          AND NOT EXISTS (SELECT 1 FROM units e WHERE e.parent_code = u.code) ORDER BY u.code LIMIT 1`);
      const x = Number(cx), y = Number(cy), d = 0.0004;
      await login(page, server, 'planner');
      await page.click('#modes button[data-mode=staff]');
      await page.evaluate(([a, b, r]) => window.wangge.state.map.fitBounds([[a - 3 * r, b - 3 * r], [a + 3 * r, b + 3 * r]], { duration: 0 }), [x, y, d]);
      await idle(page);
      await clickLngLat(page, x, y);
      await page.waitForSelector('#jur-estates:not([hidden]) #est-list li');

      // Draw and name it: stored as the grid's first estate, inside the grid.
      await page.click('#est-draw');
      await drawSquare(page, [x - d, y - d, x + d, y + d]);
      await page.fill('#est-name', '青芝坞小区');
      await page.click('#est-save');
      const code = `${grid}001`;
      await page.waitForSelector(`#est-result[data-saved="${code}"]`, { state: 'attached', timeout: 15000 });
      const [[name, inside, v1, a1]] = sql(server.dsn, `SELECT e.name, ST_Within(e.geom, g.geom), e.version, ST_Area(e.geom::geography)
        FROM units e JOIN units g ON g.code = e.parent_code WHERE e.code = '${code}' AND e.level = 5`);
      assert(name === '青芝坞小区' && inside === 't' && v1 === '1', `estate not stored as drawn: ${name} ${inside} ${v1}`);
      await page.waitForSelector(`#est-list li[data-estate="${code}"]`);

      // Drag its north-east corner 25 px further out: a new version, a larger area.
      await page.click(`#est-list button[data-edit="${code}"]`);
      await page.waitForFunction(() => !document.getElementById('est-save').disabled, null, { timeout: 5000 })
        .catch(async (e) => { throw new Error(`${e.message}: ${await page.textContent('#est-result')}`); });
      const drag = await page.evaluate(([px, py]) => {
        const m = window.wangge.state.map, r = m.getContainer().getBoundingClientRect(), v = m.project([px, py]);
        return { from: [r.left + v.x, r.top + v.y], to: [r.left + v.x + 25, r.top + v.y - 25] };
      }, [x + d, y + d]);
      await page.mouse.move(...drag.from);
      await page.mouse.down();
      await page.mouse.move(...drag.to, { steps: 10 });
      await page.mouse.up();
      await page.waitForTimeout(200);
      await page.evaluate(() => { document.getElementById('est-result').dataset.saved = ''; });
      await page.click('#est-save');
      await page.waitForSelector(`#est-result[data-saved="${code}"]`, { state: 'attached', timeout: 15000 });
      const [[v2, a2, kept]] = sql(server.dsn, `SELECT version, ST_Area(geom::geography), name FROM units WHERE code = '${code}'`);
      assert(v2 === '2' && Number(a2) > Number(a1) && kept === '青芝坞小区', `dragged outline not stored: version ${v2}, area ${a1} → ${a2}, name ${kept}`);

      // An estate drawn over it is refused with the reason and nothing is stored.
      await page.click('#est-draw');
      await drawSquare(page, [x, y, x + 2 * d, y + 2 * d]);
      await page.fill('#est-name', '重叠小区');
      await page.click('#est-save');
      await page.waitForSelector('#est-result p.warn', { timeout: 15000 });
      const why = await page.textContent('#est-result');
      assert(/overlap|重叠/i.test(why), `refusal does not say why: ${why}`);
      const [[n]] = sql(server.dsn, `SELECT count(*) FROM units WHERE parent_code = '${grid}'`);
      assert(n === '1', `${n} estates after the refused one, want 1`);
      await shot('estates');
    },
  },
];
