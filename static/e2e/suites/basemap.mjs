// The district's own base map (#19): the demo's street network, which its
// grids follow, and its canal are drawn from the roads and water tiles —
// water under the grid fills, roads over them and under the outlines — with
// a legend; a lake imported through POST /api/water/import appears on the
// open map without a reload.
import { assert, idle, login, sql } from '../helpers.mjs';

const drawn = (page, layer, at) => page.evaluate(([l, p]) => {
  const m = window.wangge.state.map;
  return (p ? m.queryRenderedFeatures(m.project(p), { layers: [l] }) : m.queryRenderedFeatures({ layers: [l] })).map((f) => f.properties.name);
}, [layer, at]);

export const tests = [
  {
    name: 'basemap: the demo\'s streets and canal are drawn under the grids with a legend; an imported lake appears without a reload',
    async run({ page, server, shot }) {
      const [[lon, lat]] = sql(server.dsn, `SELECT ST_X(p), ST_Y(p) FROM water, ST_PointOnSurface(geom) p WHERE name = '运河'`);
      await login(page, server, 'admin');
      await page.evaluate(([x, y]) => window.wangge.state.map.jumpTo({ center: [x, y], zoom: 15 }), [Number(lon), Number(lat)]);
      await idle(page);
      // The canal at its own point, and roads by the names the database has.
      assert((await drawn(page, 'base-water-fill', [Number(lon), Number(lat)])).includes('运河'), 'the canal is not drawn at its point');
      const roads = new Set(await drawn(page, 'base-roads-line'));
      const names = new Set(sql(server.dsn, 'SELECT DISTINCT name FROM streets').map((r) => r[0]));
      assert(roads.size > 0 && [...roads].every((n) => names.has(n)), `roads drawn ${[...roads]}, not the database's`);
      assert([...roads].some((n) => n.endsWith('路')) && [...roads].some((n) => n.endsWith('巷')), `main roads and lanes: ${[...roads]}`);
      // The order: water, grid fills, roads, outlines.
      const order = await page.evaluate(() => window.wangge.state.map.getStyle().layers.map((l) => l.id));
      const at = (id) => order.indexOf(id);
      assert(at('base-water-fill') >= 0 && at('base-water-fill') < at('units-grid-fill') && at('units-grid-fill') < at('base-roads-line')
        && at('base-roads-line') < at('units-grid-line'), `layer order ${order}`);
      const legend = await page.textContent('#map-legend');
      assert(legend.includes('街巷') && legend.includes('水系'), `legend: ${legend}`);
      await shot('basemap', 'basemap');
      // A lake 60 m across, 150 m east of the canal's point, imported from the page's session.
      const x = Number(lon) + 0.0015, y = Number(lat);
      const lake = { type: 'FeatureCollection', features: [{ type: 'Feature', properties: { name: '西溪湖', natural: 'water' },
        geometry: { type: 'Polygon', coordinates: [[[x - 0.0003, y - 0.0003], [x + 0.0003, y - 0.0003], [x + 0.0003, y + 0.0003], [x - 0.0003, y + 0.0003], [x - 0.0003, y - 0.0003]]] } }] };
      const region = sql(server.dsn, 'SELECT region_code FROM water LIMIT 1')[0][0];
      const answer = await page.evaluate(async ([r, fc]) => {
        const res = await fetch(`/api/water/import?region=${r}`, { method: 'POST', headers: { 'Content-Type': 'application/geo+json' }, body: JSON.stringify(fc) });
        return [res.status, await res.json()];
      }, [region, lake]);
      assert(answer[0] === 200 && answer[1].features === 1 && answer[1].replaced === 1, `import: ${JSON.stringify(answer)}`);
      // Tiles are cached for seconds: the open map picks the lake up when it revalidates them.
      let here = [];
      for (let i = 0; i < 60 && !here.includes('西溪湖'); i++) {
        await page.waitForTimeout(500);
        await page.evaluate(() => window.wangge.state.map.triggerRepaint());
        here = await drawn(page, 'base-water-fill', [x, y]);
      }
      assert(here.includes('西溪湖'), `the imported lake is not drawn: ${here}`);
      assert(!(await drawn(page, 'base-water-fill', [Number(lon), Number(lat)])).includes('运河'), 'the canal the import replaced is still drawn');
    },
  },
];
