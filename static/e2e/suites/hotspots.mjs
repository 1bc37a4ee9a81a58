// Hotspot layer of the leader's display (issue #17): the demo's planted
// cluster of market complaints is drawn hot at 99 %, the legend keys the
// classes, and a category with few cases says no significance is claimed.
import { sql, assert, login, idle } from '../helpers.mjs';

export const tests = [
  {
    name: 'hotspots: the leader display draws the Gi* hotspot layer over the demo cluster',
    viewport: { width: 1600, height: 900 },
    async run({ page, server, shot }) {
      await login(page, server, 'leader');
      await page.waitForSelector('#dp-layers input[data-layer=hotspots]');
      const [[lon, lat, n]] = sql(server.dsn, "SELECT avg(ST_X(pt)), avg(ST_Y(pt)), count(*) FROM incidents WHERE title LIKE '%集市'");
      assert(Number(n) >= 60, `demo cluster has ${n} cases`);
      await page.evaluate(([x, y]) => window.wangge.state.map.jumpTo({ center: [x, y], zoom: 14 }), [Number(lon), Number(lat)]);
      await idle(page);
      await Promise.all([page.waitForResponse((r) => r.url().includes('/api/hotspots?') && r.status() === 200),
        page.check('#dp-layers input[data-layer=hotspots]')]);
      await page.waitForSelector('#hs-summary[data-significance=true]');
      await page.waitForTimeout(300);
      await idle(page);
      const drawn = await page.evaluate(() => {
        const m = window.wangge.state.map;
        return m.queryRenderedFeatures({ layers: ['dp-hotspots'] }).map((f) => f.properties.class);
      });
      assert(drawn.length > 0, 'hotspot layer not drawn');
      assert(drawn.includes('hot99'), `no hexagon hot at 99% drawn near the cluster: ${[...new Set(drawn)]}`);
      const at = await page.evaluate(([x, y]) => {
        const m = window.wangge.state.map;
        return m.queryRenderedFeatures(m.project([x, y]), { layers: ['dp-hotspots'] })[0]?.properties.class;
      }, [Number(lon), Number(lat)]);
      assert(at === 'hot99', `the hexagon at the cluster's centre is ${at}`);
      const legend = await page.textContent('#map-legend');
      assert(legend.includes('热点 99% 置信') && legend.includes('冷点 99% 置信') && legend.includes('不显著'), `legend: ${legend}`);
      const total = Number(await page.getAttribute('#hs-summary', 'data-total'));
      assert(total >= Number(n), `summary counts ${total} cases, cluster alone ${n}`);
      // The charts (ECharts, vendored): cases per week and per category add up to the summary's total.
      const sums = await page.evaluate(() => ['hs-trend', 'hs-cats'].map((id) => {
        const c = echarts.getInstanceByDom(document.getElementById(id));
        return c ? c.getOption().series[0].data.reduce((a, b) => a + b, 0) : -1;
      }));
      assert(sums[0] === total, `weekly chart sums to ${sums[0]}, summary ${total}`);
      assert(sums[1] > 0 && sums[1] <= total, `category chart sums to ${sums[1]} of ${total}`);
      await shot('hotspots', 'display-hotspots');

      // The trend (against the five 30-day windows before): the demo's cluster is recent, so new.
      await Promise.all([page.waitForResponse((r) => r.url().includes('trend=1') && r.url().includes('/api/hotspots')),
        page.check('#hs-trend-on')]);
      await page.waitForTimeout(300);
      await idle(page);
      const trend = await page.evaluate(([x, y]) => {
        const m = window.wangge.state.map;
        return m.queryRenderedFeatures(m.project([x, y]), { layers: ['dp-hotspots-trend'] })[0]?.properties.trend
          ?? m.queryRenderedFeatures(m.project([x, y]), { layers: ['dp-hotspots'] })[0]?.properties.trend;
      }, [Number(lon), Number(lat)]);
      assert(trend === 'new', `trend at the cluster: ${trend}`);
      assert((await page.textContent('#map-legend')).includes('新热点'), 'no trend keys in the legend');
      await shot('hotspots-trend');
      await page.uncheck('#hs-trend-on');

      // Grids as bins: the same layer, one feature per grid.
      await Promise.all([page.waitForResponse((r) => r.url().includes('bins=grid') && r.url().includes('/api/hotspots')),
        page.selectOption('#hs-bins', 'grid')]);
      await page.waitForTimeout(300);
      await idle(page);
      const grids = await page.evaluate(([x, y]) => {
        const m = window.wangge.state.map;
        return m.queryRenderedFeatures(m.project([x, y]), { layers: ['dp-hotspots'] })[0]?.properties;
      }, [Number(lon), Number(lat)]);
      assert(grids && /^\d{15}$/.test(grids.id) && String(grids.class).startsWith('hot'), `grid at the cluster: ${JSON.stringify(grids)}`);

      // A category with a handful of cases: no significance claimed, said so.
      await Promise.all([page.waitForResponse((r) => r.url().includes('category=safety') && r.url().includes('/api/hotspots')),
        page.selectOption('#hs-category', 'safety')]);
      await page.waitForSelector('#hs-summary[data-significance=false]');
      const line = await page.textContent('#hs-summary');
      assert(line.includes('不作显著性判断'), `summary: ${line}`);
    },
  },
  {
    name: 'hotspots: the display drills down district → street → community to its grids, with the hotspot layer on',
    viewport: { width: 1600, height: 900 },
    async run({ page, server }) {
      await login(page, server, 'leader');
      await page.waitForSelector('#dp-level[data-level="1"]');
      await Promise.all([page.waitForResponse((r) => r.url().includes('/api/hotspots?')), page.check('#dp-layers input[data-layer=hotspots]')]);
      for (const level of [2, 3]) {
        const code = await page.getAttribute('#dp-level a[data-unit]', 'data-unit');
        await page.click(`#dp-level a[data-unit="${code}"]`);
        await page.waitForSelector(`#dp-level[data-unit="${code}"]`);
        const [[kids]] = sql(server.dsn, `SELECT count(*) FROM units WHERE parent_code = '${code}'`);
        assert(String(await page.locator('#dp-level tr[data-code]').count()) === kids, `level ${level} ${code}: rows, children ${kids}`);
      }
      // At a community the rows are its grids (15-digit codes), households as the kept counts say.
      const codes = await page.locator('#dp-level tr[data-code]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-code')));
      assert(codes.length > 0 && codes.every((c) => /^\d{15}$/.test(c)), `community rows are not grids: ${codes}`);
      const [[hh]] = sql(server.dsn, `SELECT count(*) FROM households h JOIN buildings b ON b.id = h.building_id WHERE b.grid_code = '${codes[0]}'`);
      const row = await page.textContent(`#dp-level tr[data-code="${codes[0]}"] td:nth-child(2)`);
      assert(row.replace(/,/g, '') === hh, `grid ${codes[0]}: households ${row}, database ${hh}`);
      assert(await page.isVisible('#dp-hotspots'), 'hotspot controls gone after drilling down');
    },
  },
];
