// Buildings in planner mode (#19): the footprints can be shown under the
// grids while editing, from the buildings tiles; what is drawn is what the
// database holds.
import { assert, idle, login, sql } from '../helpers.mjs';

export const tests = [
  {
    name: 'planner-buildings: the planner shows the buildings under the grids, as the database has them, and hides them again',
    async run({ page, server, shot }) {
      const [[grid, x, y]] = sql(server.dsn, `SELECT b.grid_code, ST_X(b.pt), ST_Y(b.pt) FROM buildings b JOIN users u ON left(b.grid_code, 9) = left(u.unit_code, 9)
        WHERE u.username = 'planner' AND b.footprint IS NOT NULL ORDER BY b.id LIMIT 1`);
      await login(page, server, 'planner');
      await page.evaluate(([a, b]) => window.wangge.state.map.jumpTo({ center: [a, b], zoom: 16 }), [Number(x), Number(y)]);
      await idle(page);
      const drawn = () => page.evaluate(() => window.wangge.state.map.queryRenderedFeatures({ layers: ['pl-buildings'] }).map((f) => [f.properties.id, f.properties.grid_code]));
      await page.check('#pl-buildings');
      await page.waitForFunction(() => window.wangge.state.map.getLayer('pl-buildings'));
      await idle(page);
      const shown = await drawn();
      assert(shown.length > 0, 'no building drawn at zoom 16 over a grid with buildings');
      const ids = [...new Set(shown.map(([id]) => Number(id)))];
      const [[n, same]] = sql(server.dsn, `SELECT count(*), count(*) FILTER (WHERE grid_code = ANY('{${[...new Set(shown.map(([, g]) => g))].join(',')}}'))
        FROM buildings WHERE id IN (${ids.join(',')})`);
      assert(Number(n) === ids.length && n === same, `drawn buildings ${ids.length}, in the database ${n}, with the drawn grid ${same}`);
      assert(shown.some(([, g]) => g === grid), `the buildings of ${grid} are not among those drawn`);
      await shot('planner-buildings');
      await page.uncheck('#pl-buildings');
      await idle(page);
      assert((await drawn()).length === 0, 'buildings still drawn after hiding them');
    },
  },
];
