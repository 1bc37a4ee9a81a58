// Gaps in the records on the map (issue #12): buildings in no grid and grids
// without households as a layer of the leader's display and of the planner's
// map, with the counts of /api/reports/unplaced and /empty-grids in the legend.
import { assert, login, idle } from '../helpers.mjs';

/** reports fetches the two reports of user's own scope, outside the page. */
async function reports(server, user) {
  const r = await fetch(`${server.base}/api/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: user, password: server.password }) });
  const { token } = await r.json();
  const auth = { headers: { Authorization: `Bearer ${token}` } };
  const u = await (await fetch(`${server.base}/api/reports/unplaced`, auth)).json();
  const e = await (await fetch(`${server.base}/api/reports/empty-grids`, auth)).json();
  return { unplaced: u.buildings, empty: e.count, codes: e.grids.map((g) => g.grid_code) };
}

export const tests = [
  {
    name: 'jurisdiction: the leader display and the planner map show the gaps in the records with counts',
    viewport: { width: 1600, height: 900 },
    async run({ page, server, shot }) {
      const want = await reports(server, 'leader');
      assert(want.unplaced + want.empty > 0, `the demo has no gaps to show: ${JSON.stringify(want)}`);
      await login(page, server, 'leader');
      await page.waitForSelector('#dp-layers input[data-layer=gaps]');
      await Promise.all([page.waitForResponse((r) => r.url().includes('/api/reports/empty-grids') && r.status() === 200),
        page.check('#dp-layers input[data-layer=gaps]')]);
      await page.waitForFunction((n) => document.getElementById('map-legend')?.textContent.includes(`无住户网格 ${n} 个`), want.empty);
      const legend = await page.textContent('#map-legend');
      assert(legend.includes(`未入格楼栋 ${want.unplaced} 栋`), `legend lacks the unplaced count ${want.unplaced}: ${legend}`);
      if (want.empty > 0) {
        await page.evaluate((code) => {
          const m = window.wangge.state.map;
          const f = m.querySourceFeatures('units-grid', { sourceLayer: 'grids', filter: ['==', ['get', 'code'], code] })[0];
          if (f) m.jumpTo({ center: f.geometry.type === 'Polygon' ? f.geometry.coordinates[0][0] : f.geometry.coordinates[0][0][0], zoom: 15 });
        }, want.codes[0]);
        await idle(page);
        const drawn = await page.evaluate(() => [...new Set(window.wangge.state.map.queryRenderedFeatures({ layers: ['gaps-empty'] }).map((f) => f.properties.code))]);
        assert(drawn.length > 0 && drawn.every((c) => want.codes.includes(c)), `empty grids drawn ${drawn}, want among ${want.codes}`);
      }
      await shot('jurisdiction-gaps', 'display-gaps');

      await page.evaluate(() => localStorage.clear());
      await page.context().clearCookies();
      await login(page, server, 'planner');
      const mine = await reports(server, 'planner');
      await page.waitForSelector('#pl-gaps');
      await Promise.all([page.waitForResponse((r) => r.url().includes('/api/reports/unplaced') && r.status() === 200),
        page.check('#pl-gaps')]);
      await page.waitForFunction((n) => document.getElementById('map-legend')?.textContent.includes(`未入格楼栋 ${n} 栋`), mine.unplaced);
      const pl = await page.textContent('#map-legend');
      assert(pl.includes(`无住户网格 ${mine.empty} 个`), `planner legend lacks the empty-grid count ${mine.empty}: ${pl}`);
      await page.uncheck('#pl-gaps');
      await page.waitForFunction(() => !document.getElementById('map-legend')?.textContent.includes('未入格楼栋'));
    },
  },
];
