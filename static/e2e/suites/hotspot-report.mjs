// The leader display's patrol layers, the hotspot meeting report and the
// work report downloads (issue #17).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { assert, idle, login, sql, sweepDemoPatrol } from '../helpers.mjs';

// downloaded clicks selector and returns the downloaded file's bytes.
async function downloaded(page, selector) {
  const [d] = await Promise.all([page.waitForEvent('download'), page.click(selector)]);
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'hsr-')), d.suggestedFilename() || 'file');
  await d.saveAs(file);
  return { file, bytes: fs.readFileSync(file) };
}

// pdfText is the text of a PDF by poppler's pdftotext, whitespace collapsed.
function pdfText(file) {
  const r = spawnSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
  assert(r.status === 0, `pdftotext: ${r.stderr}`);
  return r.stdout.split(/\s+/).join(' ');
}

const rendered = (page, layer) => page.evaluate((l) => window.wangge.state.map.queryRenderedFeatures({ layers: [l] }).map((f) => f.properties), layer);

export const tests = [
  {
    name: 'hotspotreport: the big screen draws patrol tracks, last positions and coverage gaps from the database, with keys',
    viewport: { width: 1600, height: 900 },
    async run({ page, server, shot }) {
      await sweepDemoPatrol(server);
      const [[day, tracked]] = sql(server.dsn, `SELECT day, count(*) FROM patrol_days WHERE track IS NOT NULL GROUP BY day ORDER BY count(*) DESC, day LIMIT 1`);
      assert(Number(tracked) >= 2, `the demo day has ${tracked} tracks`);
      const [[uid, who, lon, lat]] = sql(server.dsn, `SELECT u.id, u.username, ST_X(ST_PointOnSurface(g.geom)), ST_Y(ST_PointOnSurface(g.geom))
        FROM patrol_workers w JOIN users u ON u.id = w.user_id JOIN units g ON g.code = w.unit_code ORDER BY u.username DESC LIMIT 1`);
      sql(server.dsn, `INSERT INTO patrol_points (region_code, user_id, recorded_at, pt) VALUES ('330199', ${uid}, now() - interval '3 minutes', ST_SetSRID(ST_MakePoint(${lon}, ${lat}), 4326))`);

      await login(page, server, 'leader');
      await page.waitForSelector('#dp-level[data-level="1"]');
      const district = await page.getAttribute('#dp-level', 'data-unit');
      await page.check('#dp-layers input[data-layer=patrol-tracks]');
      await page.waitForSelector('#dp-patrol:not([hidden])');
      await Promise.all([page.waitForRequest((r) => r.url().includes('/api/patrol/tiles/') && r.url().includes(`from=${day}`)),
        page.fill('#dp-pt-date', day).then(() => page.dispatchEvent('#dp-pt-date', 'change'))]);
      const [[x0, y0, x1, y1]] = sql(server.dsn, `SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(track) AS e FROM patrol_days WHERE day = '${day}') t`);
      await page.evaluate((b) => window.wangge.state.map.fitBounds([[b[0], b[1]], [b[2], b[3]]], { duration: 0 }), [x0, y0, x1, y1].map(Number));
      await page.waitForFunction(() => window.wangge.state.map.queryRenderedFeatures({ layers: ['dp-pt-tracks'] }).length > 0, null, { timeout: 20000 });
      await idle(page);
      const tracks = await rendered(page, 'dp-pt-tracks');
      const workers = new Set(tracks.map((f) => f.worker));
      const inDb = new Set(sql(server.dsn, `SELECT u.username FROM patrol_days d JOIN users u ON u.id = d.user_id WHERE d.day = '${day}' AND d.track IS NOT NULL`).map((r) => r[0]));
      assert(tracks.every((f) => f.day === day), `tracks of days ${[...new Set(tracks.map((f) => f.day))]}, chose ${day}`);
      assert(workers.size >= 2 && [...workers].every((w) => inDb.has(w)), `tracks of ${[...workers]}, tracked that day ${[...inDb]}`);

      // Coverage gaps of the district on that day: the polygons the server cut, their area within the district's.
      await Promise.all([page.waitForResponse((r) => r.url().includes(`/api/patrol/gaps?grid=${district}`) && r.status() === 200),
        page.check('#dp-layers input[data-layer=patrol-gaps]')]);
      await page.waitForSelector('#dp-patrol[data-gaps]');
      const gapArea = Number(await page.getAttribute('#dp-patrol', 'data-gap-area'));
      const [[area]] = sql(server.dsn, `SELECT ST_Area(geom::geography) FROM units WHERE code = '${district}'`);
      assert(gapArea > 0 && gapArea < Number(area), `gap area ${gapArea} m² of the district's ${area}`);
      await idle(page);
      assert((await rendered(page, 'dp-pt-gaps')).length > 0, 'no coverage gap drawn');

      // The last positions: the fresh fix is drawn where it was recorded, with its worker.
      await page.check('#dp-layers input[data-layer=patrol-positions]');
      await page.waitForFunction(() => Number(document.getElementById('dp-patrol').dataset.positions) > 0, null, { timeout: 15000 });
      const [[live]] = sql(server.dsn, `SELECT count(DISTINCT user_id) FROM patrol_points WHERE recorded_at > now() - interval '30 minutes'`);
      assert(Number(await page.getAttribute('#dp-patrol', 'data-positions')) <= Number(live), 'more positions than fresh fixes');
      await page.evaluate(([x, y]) => window.wangge.state.map.jumpTo({ center: [x, y], zoom: 16 }), [Number(lon), Number(lat)]);
      await idle(page);
      const pos = await rendered(page, 'dp-pt-positions');
      assert(pos.some((p) => p.worker === who), `positions drawn: ${pos.map((p) => p.worker)}, want ${who}`);

      const legend = await page.textContent('#map-legend');
      for (const k of ['全部轨迹', '实时位置', '巡查盲区', '平方米']) assert(legend.includes(k), `legend lacks ${k}: ${legend}`);
      await shot('hotspotreport-patrol');

      // Drilling down to a street: the gaps are the street's.
      const street = await page.getAttribute('#dp-level a[data-unit]', 'data-unit');
      await Promise.all([page.waitForResponse((r) => r.url().includes(`/api/patrol/gaps?grid=${street}`) && r.status() === 200),
        page.click(`#dp-level a[data-unit="${street}"]`)]);
      await page.waitForSelector(`#dp-level[data-unit="${street}"]`);
      await page.uncheck('#dp-layers input[data-layer=patrol-positions]');
    },
  },
  {
    name: 'hotspotreport: the hotspot layer\'s report downloads as a PDF with the figures on screen and as a PNG map',
    viewport: { width: 1600, height: 900 },
    async run({ page, server }) {
      await login(page, server, 'leader');
      await page.waitForSelector('#dp-level[data-level="1"]');
      const district = await page.getAttribute('#dp-level', 'data-unit');
      await Promise.all([page.waitForResponse((r) => r.url().includes('/api/hotspots?') && r.status() === 200),
        page.check('#dp-layers input[data-layer=hotspots]')]);
      await page.waitForSelector('#hs-summary[data-total]');
      const total = await page.getAttribute('#hs-summary', 'data-total');
      const href = await page.getAttribute('#hs-pdf', 'href');
      assert(href.includes(`parent=${district}`) && href.includes('from=') && href.includes('zoom='), `report link ${href}`);
      const pdf = await downloaded(page, '#hs-pdf');
      assert(pdf.bytes.subarray(0, 4).toString() === '%PDF', `report is not a PDF: ${pdf.bytes.subarray(0, 40)}`);
      const text = pdfText(pdf.file);
      const [[name]] = sql(server.dsn, `SELECT name FROM units WHERE code = '${district}'`);
      for (const want of [name, district, `事件数 Cases ${total}`, '热点 99% 置信']) assert(text.includes(want), `report text lacks ${want}: ${text.slice(0, 800)}`);
      const png = await downloaded(page, '#hs-png');
      assert(png.bytes.subarray(1, 4).toString() === 'PNG' && png.bytes.readUInt32BE(16) === 1600, 'map image is not a 1600 px PNG');
    },
  },
  {
    name: 'hotspotreport: the work report of the district and of a street downloads, a row per sub-unit',
    viewport: { width: 1600, height: 900 },
    async run({ page, server }) {
      await login(page, server, 'leader');
      await page.waitForSelector('#dp-level[data-level="1"]');
      const district = await page.getAttribute('#dp-level', 'data-unit');
      await page.waitForSelector(`#dp-workreport[data-unit="${district}"]`);
      const month = await page.locator('#wr-period option').first().getAttribute('value');
      await page.selectOption('#wr-period', month);
      const check = async (unit) => {
        const pdf = await downloaded(page, '#wr-pdf');
        assert(pdf.bytes.subarray(0, 4).toString() === '%PDF', `work report of ${unit} is not a PDF: ${pdf.bytes.subarray(0, 60)}`);
        const text = pdfText(pdf.file);
        const names = sql(server.dsn, `SELECT name FROM units WHERE code = '${unit}' OR parent_code = '${unit}'`).map((r) => r[0]);
        for (const n of names) assert(text.includes(n), `work report of ${unit} lacks ${n}`);
        assert(text.includes(month), `work report lacks the period ${month}`);
        // The total line: the cases reported this month under the unit.
        const [[cases]] = sql(server.dsn, `SELECT count(*) FROM incidents WHERE starts_with(coalesce(grid_code, community_code), unit_scope('${unit}'))
          AND reported_at >= (date_trunc('month', now() AT TIME ZONE 'Asia/Shanghai') AT TIME ZONE 'Asia/Shanghai')`);
        const total = text.slice(text.lastIndexOf('合计'));
        assert(total.split(' ')[1] === cases, `work report of ${unit}: total line ${total.slice(0, 80)}, ${cases} cases this month`);
        const xlsx = await downloaded(page, '#wr-xlsx');
        assert(xlsx.bytes.subarray(0, 2).toString() === 'PK', `work report XLSX of ${unit} is not a zip`);
      };
      await check(district);
      const street = await page.getAttribute('#dp-level a[data-unit]', 'data-unit');
      await page.click(`#dp-level a[data-unit="${street}"]`);
      await page.waitForSelector(`#dp-workreport[data-unit="${street}"]`);
      assert(await page.inputValue('#wr-period') === month, 'the period was not kept on drilling down');
      await check(street);
    },
  },
];
