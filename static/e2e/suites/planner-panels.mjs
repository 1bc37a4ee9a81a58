// The planner's panels for what the server already answers (#19): the
// household balance as a coloured layer with its split line one click from
// a split, the diff of two times, a layer import with its defect report
// drawn, and the export as a download — each checked against the database.
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { assert, clickLngLat, idle, login, sql } from '../helpers.mjs';

async function token(server, username = 'planner') {
  const r = await fetch(`${server.base}/api/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username, password: server.password }) });
  return (await r.json()).token;
}

async function apiGet(server, tok, p) {
  const r = await fetch(`${server.base}${p}`, { headers: { Authorization: `Bearer ${tok}` } });
  if (!r.ok) throw new Error(`GET ${p}: ${r.status} ${await r.text()}`);
  return r;
}

// open unfolds a panel of the planner (a <details>).
async function open(page, id) {
  await page.evaluate((i) => { /** @type {HTMLDetailsElement} */ (document.getElementById(i)).open = true; }, id);
  await page.locator(`#${id}`).scrollIntoViewIfNeeded();
}

// households is each grid's households and people, counted from the household records.
function households(server, where) {
  return new Map(sql(server.dsn, `SELECT u.code, u.kind, count(h.id), coalesce(sum(h.members), 0) FROM units u
      LEFT JOIN buildings b ON b.grid_code = u.code LEFT JOIN households h ON h.building_id = b.id
      WHERE u.level = 4 ${where} GROUP BY u.code, u.kind`).map(([c, k, n, p]) => [c, { kind: k, households: Number(n), people: Number(p) }]));
}

const near = (a, b, tol) => Math.abs(a - b) <= tol;

export const tests = [
  {
    name: 'planner-panels balance: grids coloured by households against the band, the counts in the legend, the proposed line one click from a split saved with a reason',
    async run({ page, server, shot }) {
      await login(page, server, 'planner');
      await open(page, 'pl-balance');
      const [resp] = await Promise.all([page.waitForResponse((r) => r.url().includes('/api/balance')), page.check('#bal-on')]);
      const answer = await resp.json();
      await page.waitForSelector('#bal-counts li');
      await idle(page);
      // Every grid's class, from the database's households and people against its band.
      const db = households(server, '');
      const want = new Map();
      for (const f of answer.features) {
        const p = f.properties, d = db.get(p.code), b = p.band;
        assert(d, `grid ${p.code} is not in the database`);
        const flag = d.kind !== 'basic' ? 'n/a' : d.households > b.max_households || d.people > b.max_people ? 'over'
          : d.households < b.min_households || d.people < b.min_people ? 'under' : 'ok';
        want.set(p.code, flag);
      }
      assert(want.size === db.size, `the balance has ${want.size} grids, the database ${db.size}`);
      // What the map draws at each grid's inside point is that class.
      const points = new Map(sql(server.dsn, `SELECT code, ST_X(p), ST_Y(p) FROM units, ST_PointOnSurface(geom) p WHERE level = 4`).map(([c, x, y]) => [c, [Number(x), Number(y)]]));
      const drawn = await page.evaluate((pts) => {
        const m = window.wangge.state.map, out = {};
        for (const [code, p] of pts) {
          const f = m.queryRenderedFeatures(m.project(p), { layers: ['bal-fill'] }).find((x) => x.properties.code === code);
          if (f) out[code] = f.properties.flag;
        }
        return out;
      }, [...points]);
      assert(Object.keys(drawn).length >= want.size * 0.8, `only ${Object.keys(drawn).length} of ${want.size} grids drawn in the balance layer`);
      for (const [code, flag] of Object.entries(drawn)) assert(flag === want.get(code), `grid ${code} drawn as ${flag}, its households make it ${want.get(code)}`);
      // The legend: each class's colour is the fill's, and its count the database's.
      const fill = await page.evaluate(() => window.wangge.state.map.getPaintProperty('bal-fill', 'fill-color'));
      const colourOf = (flag) => fill[fill.indexOf(flag) + 1];
      const legend = await page.$$eval('#map-legend .key', (ks) => ks.map((k) => [k.querySelector('i').getAttribute('style'), k.textContent]));
      for (const flag of ['over', 'ok', 'under', 'n/a']) {
        const n = [...want.values()].filter((f) => f === flag).length;
        const key = legend.find(([s]) => s.includes(colourOf(flag)));
        assert(key && key[1].includes(String(n)), `legend for ${flag} (${colourOf(flag)}): ${key?.[1]}, want ${n}`);
        assert(Number(await page.getAttribute(`#bal-counts li[data-flag="${flag}"]`, 'data-n')) === n, `panel count for ${flag}`);
      }
      // The over-band grids are listed, each with the server's proposed line drawn.
      const over = [...want].filter(([, f]) => f === 'over').map(([c]) => c).sort();
      const listed = (await page.$$eval('#bal-over li[data-code]', (ls) => ls.map((l) => l.dataset.code))).sort();
      assert(over.length > 0 && JSON.stringify(listed) === JSON.stringify(over), `over-band grids listed ${listed}, the database ${over}`);
      const code = over.find((c) => answer.features.find((f) => f.properties.code === c).properties.split);
      const proposal = answer.features.find((f) => f.properties.code === code).properties.split;
      const lines = await page.evaluate(() => window.wangge.state.map.querySourceFeatures('bal-split').map((f) => f.properties.code));
      assert(lines.includes(code), `no split line drawn for ${code}`);
      await page.locator('#bal-over').scrollIntoViewIfNeeded();
      await shot('planner-balance', 'planner-balance');

      // A click on the line on the map starts the split along it, for its grid.
      const [a, z] = [proposal.line.coordinates[0], proposal.line.coordinates.at(-1)];
      await clickLngLat(page, (a[0] + z[0]) / 2, (a[1] + z[1]) / 2);
      await page.waitForFunction((n) => document.getElementById('pl-hint').textContent.includes('拆分线已画好') && document.getElementById('pl-hint').textContent.includes(n),
        answer.features.find((f) => f.properties.code === code).properties.name);
      await page.click('#pl-cancel');
      // One click in the list does the same; the check sends the line; the confirm step saves it with a reason.
      await page.click(`#bal-over li[data-code="${code}"] button.split-along`);
      await page.waitForFunction(() => document.getElementById('pl-hint').textContent.includes('拆分线已画好') && !document.getElementById('pl-check').disabled);
      const [req, dry] = await Promise.all([
        page.waitForRequest((r) => r.method() === 'POST' && r.url().includes(`/api/grids/${code}/split?`) && r.url().includes('dry_run=true')),
        page.waitForResponse((r) => r.request().method() === 'POST' && r.url().includes(`/api/grids/${code}/split?`)),
        page.click('#pl-check'),
      ]);
      const sent = JSON.parse(req.postData()).line.coordinates;
      assert(sent.length === proposal.line.coordinates.length && sent.every((p, i) => near(p[0], proposal.line.coordinates[i][0], 1e-7) && near(p[1], proposal.line.coordinates[i][1], 1e-7)),
        `the split sent ${JSON.stringify(sent)}, the proposal is ${JSON.stringify(proposal.line.coordinates)}`);
      assert(dry.status() === 200, `dry run: ${dry.status()}`);
      const checkedAnswer = await dry.json();
      await page.waitForSelector('#pl-result p.ok');
      await page.click('#pl-save');
      await page.waitForSelector('#pl-confirm:not([hidden])');
      assert(await page.isDisabled('#pl-confirm-save'), 'the split can be saved without a reason');
      await page.fill('#pl-reason', '户数超标，按建议线拆分');
      await page.click('#pl-confirm-save');
      await page.waitForFunction(() => document.querySelector('#pl-result p.ok')?.textContent.includes('已保存'), null, { timeout: 15000 });
      const after = sql(server.dsn, `SELECT code, version, valid_to IS NULL FROM unit_versions WHERE reason = '户数超标，按建议线拆分' ORDER BY code, version`);
      // What changed is what the check said would (the split grid, the new one, and neighbours given the line's end vertices).
      const touched = checkedAnswer.changed.map((c) => c.code).sort();
      assert(JSON.stringify(after.map((r) => r[0])) === JSON.stringify(touched) && after.every((r) => r[2] === 't'), `after the split, the versions with its reason: ${JSON.stringify(after)}, checked ${touched}`);
      // Each side holds the households the proposal said.
      const sides = sql(server.dsn, `SELECT count(h.id) FROM units u LEFT JOIN buildings b ON b.grid_code = u.code LEFT JOIN households h ON h.building_id = b.id
        WHERE u.code IN (${checkedAnswer.codes.map((c) => `'${c}'`).join(',')}) GROUP BY u.code ORDER BY 1`).map((r) => Number(r[0]));
      assert(JSON.stringify(sides) === JSON.stringify([...proposal.households].sort((a, b) => a - b)), `households each side ${sides}, the proposal ${proposal.households}`);
      // The balance is reloaded after the save: the split grid is no longer over.
      await page.waitForFunction((c) => !document.querySelector(`#bal-over li[data-code="${c}"]`), code);

      // Another band tried: at most 400 households, the classes follow the database's counts against it.
      await page.fill('#bal-min', '150');
      await page.fill('#bal-max', '400');
      const [tried] = await Promise.all([page.waitForResponse((r) => r.url().includes('/api/balance?')), page.click('#bal-apply')]);
      assert(tried.url().includes('min_households=150') && tried.url().includes('max_households=400'), `asked ${tried.url()}`);
      const band = (await tried.json()).band;
      const now = households(server, '');
      const expect = { over: 0, ok: 0, under: 0, 'n/a': 0 };
      for (const d of now.values()) {
        expect[d.kind !== 'basic' ? 'n/a' : d.households > 400 || d.people > band.max_people ? 'over' : d.households < 150 || d.people < band.min_people ? 'under' : 'ok']++;
      }
      await page.waitForFunction((n) => Number(document.querySelector('#bal-counts li[data-flag="over"]')?.dataset.n) === n, expect.over);
      for (const [flag, n] of Object.entries(expect)) {
        assert(Number(await page.getAttribute(`#bal-counts li[data-flag="${flag}"]`, 'data-n')) === n, `band 150–400: ${flag} should be ${n}`);
      }
      assert((await page.textContent('#bal-band')).includes('150–400'), `band shown: ${await page.textContent('#bal-band')}`);
      // A minimum above the maximum is refused by the server, said in Chinese in the panel.
      await page.fill('#bal-min', '500');
      await page.click('#bal-apply');
      await page.waitForSelector('#bal-error');
      assert((await page.textContent('#bal-error')) === '输入有误', `error shown: ${await page.textContent('#bal-error')}`);
    },
  },
  {
    name: 'planner-panels diff: a change from the history opens the before/after shapes with the area gained and lost and the households there, as the database has them',
    async run({ page, server, shot }) {
      // A grid inside its community (no edge on the community's boundary) reaches out in adjust mode past
      // the nearest building of a neighbour with households: a vertex added beyond it on the nearest edge.
      const [[code, version, ring, bx, by]] = sql(server.dsn, `
        SELECT u.code, u.version, ST_AsGeoJSON(ST_ExteriorRing(ST_GeometryN(u.geom, 1)), 7), ST_X(b.pt), ST_Y(b.pt) FROM units u
        CROSS JOIN LATERAL (SELECT b.pt FROM buildings b JOIN units n ON n.code = b.grid_code
          WHERE n.parent_code = u.parent_code AND n.code <> u.code AND EXISTS (SELECT 1 FROM households h WHERE h.building_id = b.id)
          ORDER BY ST_Distance(b.pt, u.geom) LIMIT 1) b
        WHERE u.level = 4 AND u.kind = 'basic' AND ST_NumGeometries(u.geom) = 1 AND u.parent_code = '330199001003'
          AND NOT ST_Intersects(ST_Boundary(u.geom), ST_Boundary((SELECT geom FROM units WHERE code = u.parent_code)))
        ORDER BY u.code LIMIT 1`);
      const pts = JSON.parse(ring).coordinates, b = [Number(bx), Number(by)];
      let best = null;
      for (let i = 0; i + 1 < pts.length; i++) {
        const [p, q] = [pts[i], pts[i + 1]], d = [q[0] - p[0], q[1] - p[1]];
        const k = Math.max(0, Math.min(1, ((b[0] - p[0]) * d[0] + (b[1] - p[1]) * d[1]) / (d[0] * d[0] + d[1] * d[1])));
        const c = [p[0] + k * d[0], p[1] + k * d[1]], dist = Math.hypot(b[0] - c[0], b[1] - c[1]);
        if (!best || dist < best.dist) best = { i, c, dist };
      }
      const out = [b[0] + (b[0] - best.c[0]) * 0.5, b[1] + (b[1] - best.c[1]) * 0.5].map((v) => Number(v.toFixed(7)));
      const next = [...pts.slice(0, best.i + 1), out, ...pts.slice(best.i + 1)];
      const tok = await token(server);
      const put = await fetch(`${server.base}/api/grids/${code}?mode=adjust`, { method: 'PUT', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${tok}` },
        body: JSON.stringify({ geometry: { type: 'Polygon', coordinates: [next] }, version: Number(version), reason: '对比测试：向外移动顶点' }) });
      assert(put.status === 200, `edit: ${put.status} ${await put.text()}`);
      const [[at]] = sql(server.dsn, `SELECT to_char(valid_from AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') FROM unit_versions WHERE code = '${code}' AND valid_to IS NULL`);
      // The database's own figures for each grid this change touched.
      const figures = new Map(sql(server.dsn, `
        WITH n AS (SELECT * FROM unit_versions WHERE valid_from = '${at}' AND level = 4),
        o AS (SELECT * FROM unit_versions WHERE valid_to = '${at}' AND level = 4),
        d AS (SELECT n.code, ST_Difference(n.geom, o.geom) AS added, ST_Difference(o.geom, n.geom) AS removed FROM n JOIN o USING (code))
        SELECT d.code, ST_Area(added::geography), ST_Area(removed::geography),
          (SELECT count(*) FROM buildings b JOIN households h ON h.building_id = b.id WHERE ST_Intersects(b.pt, d.added)),
          (SELECT count(*) FROM buildings b JOIN households h ON h.building_id = b.id WHERE ST_Intersects(b.pt, d.removed))
        FROM d`).map(([c, a, r, hg, hl]) => [c, { added: Number(a), removed: Number(r), hg: Number(hg), hl: Number(hl) }]));
      assert(figures.size >= 2 && figures.get(code).added > 0, `the edit changed ${[...figures.keys()]}`);

      await login(page, server, 'planner');
      const item = page.locator(`#pl-changes li[data-code="${code}"]`).first();
      await item.waitFor();
      await item.locator('button.compare').click();
      await page.waitForSelector('#df-result li[data-code]');
      await idle(page);
      const rows = await page.$$eval('#df-result li[data-code]', (ls) => ls.map((l) => ({ code: l.dataset.code, change: l.dataset.change, added: Number(l.dataset.addedM2),
        removed: Number(l.dataset.removedM2), hg: Number(l.dataset.householdsGained), hl: Number(l.dataset.householdsLost), text: l.textContent })));
      assert(JSON.stringify(rows.map((r) => r.code).sort()) === JSON.stringify([...figures.keys()].sort()), `diff lists ${rows.map((r) => r.code)}, the change touched ${[...figures.keys()]}`);
      for (const r of rows) {
        const f = figures.get(r.code);
        assert(r.change === 'changed' && near(r.added, f.added, 1) && near(r.removed, f.removed, 1), `${r.code}: +${r.added} −${r.removed} m², the database +${f.added} −${f.removed}`);
        assert(r.hg === f.hg && r.hl === f.hl, `${r.code}: households +${r.hg} −${r.hl}, the database +${f.hg} −${f.hl}`);
        assert(r.text.includes('m²') && r.text.includes('修改'), `row text: ${r.text}`);
      }
      const own = rows.find((r) => r.code === code);
      assert(own.added > 0 && rows.filter((r) => r.code !== code).every((r) => r.removed > 0), 'the edited grid gains and its neighbours lose');
      assert(own.hg > 0 && rows.some((r) => r.hl > 0), `the building's households did not move: +${own.hg}, lost ${rows.map((r) => r.hl)}`);
      // Drawn: the area gained in green where the database has it (at the moved vertex's side), before and after outlines.
      const [[gx, gy]] = sql(server.dsn, `SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(ST_Difference(n.geom, o.geom)) p FROM unit_versions n, unit_versions o
        WHERE n.code = '${code}' AND o.code = n.code AND n.valid_from = '${at}' AND o.valid_to = '${at}') x`);
      const hit = await page.evaluate(([x, y, c]) => {
        const m = window.wangge.state.map;
        return m.queryRenderedFeatures(m.project([x, y]), { layers: ['diff-added'] }).filter((f) => f.properties.code === c).length;
      }, [Number(gx), Number(gy), code]);
      assert(hit > 0, 'the area gained is not drawn where the database has it');
      const parts = await page.evaluate(() => [...new Set(window.wangge.state.map.querySourceFeatures('diff').map((f) => f.properties.part))].sort());
      assert(JSON.stringify(parts) === JSON.stringify(['added', 'after', 'before', 'removed']), `parts drawn: ${parts}`);
      await page.locator('#df-result').scrollIntoViewIfNeeded();
      await shot('planner-diff', 'planner-diff');
    },
  },
  {
    name: 'planner-panels import: a layer with a gap is checked, its defect listed and drawn where the server reports it and flown to; the clean layer is then imported with a reason',
    async run({ page, server, artefacts, shot }) {
      const comm = '330199001002';
      const tok = await token(server);
      const layer = await (await apiGet(server, tok, `/api/layers/export?parent=${comm}&format=geojson`)).json();
      const good = path.join(artefacts, `import-${comm}.geojson`);
      fs.writeFileSync(good, JSON.stringify(layer));
      // A vertex of one grid pulled 40 % towards its middle: a gap opens beside it.
      const bad = structuredClone(layer);
      const victim = bad.features.find((f) => f.geometry.coordinates[0][0].length > 5);
      const r = victim.geometry.coordinates[0][0], pts = r.slice(0, -1);
      const mid = pts.reduce((s, p) => [s[0] + p[0] / pts.length, s[1] + p[1] / pts.length], [0, 0]);
      r[2] = [r[2][0] + (mid[0] - r[2][0]) * 0.4, r[2][1] + (mid[1] - r[2][1]) * 0.4].map((v) => Number(v.toFixed(7)));
      const badFile = path.join(artefacts, `import-${comm}-gap.geojson`);
      fs.writeFileSync(badFile, JSON.stringify(bad));
      // The gap as PostGIS measures it: the community less the file's grids.
      const gj = JSON.stringify(bad.features.map((f) => f.geometry)).replace(/'/g, "''");
      const [[gapArea]] = sql(server.dsn, `SELECT ST_Area(ST_Difference((SELECT geom FROM units WHERE code = '${comm}'),
        (SELECT ST_Union(ST_SetSRID(ST_GeomFromGeoJSON(g::text), 4326)) FROM json_array_elements('${gj}'::json) g))::geography)`);

      await login(page, server, 'planner');
      await open(page, 'pl-import');
      await page.setInputFiles('#io-file', badFile);
      const [resp] = await Promise.all([page.waitForResponse((x) => x.url().includes('/api/layers/import')), page.click('#io-check')]);
      const report = await resp.json();
      assert(report.dry_run && !report.loaded, `the check loaded: ${JSON.stringify(report).slice(0, 200)}`);
      await page.waitForSelector('#io-result .io-defects li');
      const defects = report.defects.features;
      const gaps = defects.filter((d) => d.properties.kind === 'gap');
      assert(gaps.length > 0, `no gap reported: ${defects.map((d) => d.properties.kind)}`);
      const total = gaps.reduce((s, d) => s + d.properties.size, 0);
      assert(near(total, Number(gapArea), Math.max(1, Number(gapArea) * 0.01)), `gaps of ${total} m² reported, PostGIS measures ${gapArea} m²`);
      const items = await page.$$eval('#io-result .io-defects li', (ls) => ls.map((l) => ({ kind: l.dataset.kind, at: l.dataset.at, text: l.textContent })));
      assert(items.length === defects.length && items.every((it, i) => it.kind === defects[i].properties.kind), `listed ${items.map((x) => x.kind)}, reported ${defects.map((d) => d.properties.kind)}`);
      assert(items[defects.indexOf(gaps[0])].text.includes('缝隙') && items[defects.indexOf(gaps[0])].text.includes('m²'), `gap text: ${items[defects.indexOf(gaps[0])].text}`);
      // Drawn where the server put it: the drawn geometry is the reported one, rendered at its inside point.
      const src = await page.evaluate(() => window.wangge.state.map.getSource('io-defects').getData());
      assert(JSON.stringify(src.features.map((f) => f.geometry)) === JSON.stringify(defects.map((d) => d.geometry)), 'the drawn defects are not the reported ones');
      assert(await page.isHidden('#io-apply-box'), 'a layer with defects can be imported');
      // A click on the gap flies to it; there it is drawn in red.
      const i = defects.indexOf(gaps[0]);
      await page.click(`#io-result .io-defects li[data-i="${i}"] a`);
      const at = items[i].at.split(',').map(Number);
      const [[inside]] = sql(server.dsn, `SELECT ST_Contains(ST_SetSRID(ST_GeomFromGeoJSON('${JSON.stringify(gaps[0].geometry)}'), 4326), ST_SetSRID(ST_MakePoint(${at[0]}, ${at[1]}), 4326))`);
      assert(inside === 't', `the point flown to (${at}) is not inside the gap`);
      await page.waitForFunction(([x, y]) => { const c = window.wangge.state.map.getCenter(); return Math.abs(c.lng - x) < 1e-6 && Math.abs(c.lat - y) < 1e-6 && !window.wangge.state.map.isMoving(); }, at);
      await idle(page);
      const red = await page.evaluate(() => {
        const m = window.wangge.state.map, c = m.project(m.getCenter());
        return m.queryRenderedFeatures(c, { layers: ['io-defects-fill'] }).map((f) => f.properties.kind);
      });
      assert(red.includes('gap'), `at the map's centre: ${red}`);
      await page.locator('#io-result').scrollIntoViewIfNeeded();
      await shot('planner-import', 'planner-import');

      // The file as exported is clean: it may be imported, with a reason.
      await page.setInputFiles('#io-file', good);
      await page.click('#io-check');
      await page.waitForSelector('#io-apply-box:not([hidden])');
      assert(await page.isDisabled('#io-apply') && await page.isVisible('#io-reason-need'), 'an import without a reason is allowed');
      assert((await page.evaluate(() => window.wangge.state.map.getSource('io-defects').getData())).features.length === 0, 'the old defects are still drawn');
      await page.fill('#io-reason', '重新导入社区网格图层');
      const [applied] = await Promise.all([
        page.waitForResponse((x) => x.url().includes('/api/layers/import') && x.request().postData().includes('name="dry_run"\r\n\r\nfalse')),
        page.click('#io-apply'),
      ]);
      assert(applied.status() === 200 && (await applied.json()).loaded, `import: ${applied.status()}`);
      await page.waitForSelector('#io-loaded');
      const [[audits]] = sql(server.dsn, `SELECT count(*) FROM audit_log WHERE action = 'layer.import' AND object_id = '${comm}' AND reason = '重新导入社区网格图层'`);
      assert(Number(audits) === 1, `audit rows of the import: ${audits}`);
    },
  },
  {
    name: 'planner-panels export: a community downloaded as GeoJSON holds its grids as stored, and as a zipped Shapefile one record per grid',
    async run({ page, server }) {
      const comm = '330199001004';
      await login(page, server, 'planner');
      await open(page, 'pl-export');
      await page.waitForSelector(`#io-unit option[value="${comm}"]`, { state: 'attached' });
      await page.selectOption('#io-unit', comm);
      await page.selectOption('#io-format', 'geojson');
      const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#io-download')]);
      assert(dl.suggestedFilename() === `grids_${comm}.geojson`, `file name ${dl.suggestedFilename()}`);
      const fc = JSON.parse(fs.readFileSync(await dl.path(), 'utf8'));
      const db = new Map(sql(server.dsn, `SELECT code, name, kind, ST_AsGeoJSON(geom, 7) FROM units WHERE level = 4 AND parent_code = '${comm}'`)
        .map(([c, n, k, g]) => [c, { name: n, kind: k, geom: JSON.parse(g) }]));
      assert(fc.features.length === db.size, `${fc.features.length} grids in the file, ${db.size} in the database`);
      for (const f of fc.features) {
        const d = db.get(f.properties.code);
        assert(d && d.name === f.properties.name && d.kind === f.properties.kind, `grid ${f.properties.code}: ${JSON.stringify(f.properties)}`);
        const a = JSON.stringify(f.geometry.coordinates.flat(3)), b = JSON.stringify(d.geom.coordinates.flat(3));
        const [[same]] = sql(server.dsn, `SELECT ST_Equals(ST_GeomFromGeoJSON('${JSON.stringify(f.geometry)}'), ST_GeomFromGeoJSON('${JSON.stringify(d.geom)}'))`);
        assert(same === 't' || a === b, `grid ${f.properties.code}: the exported shape is not the stored one`);
      }
      await page.selectOption('#io-format', 'shapefile');
      const [zip] = await Promise.all([page.waitForEvent('download'), page.click('#io-download')]);
      assert(zip.suggestedFilename() === `grids_${comm}.zip`, `file name ${zip.suggestedFilename()}`);
      const file = await zip.path();
      const list = spawnSync('unzip', ['-Z1', file], { encoding: 'utf8' }).stdout.trim().split('\n').sort();
      assert(['dbf', 'prj', 'shp', 'shx'].every((e) => list.includes(`grids_${comm}.${e}`)), `zip holds ${list}`);
      // The .dbf header counts the records (bytes 4–7): one per grid; each grid's code is in it.
      const dbf = spawnSync('unzip', ['-p', file, `grids_${comm}.dbf`], { maxBuffer: 1 << 24 }).stdout;
      assert(dbf.readUInt32LE(4) === db.size, `the Shapefile has ${dbf.readUInt32LE(4)} records, the database ${db.size} grids`);
      const text = dbf.toString('latin1');
      for (const c of db.keys()) assert(text.includes(c), `grid ${c} is not in the Shapefile`);
    },
  },
  {
    name: 'planner-panels coverage: a gap in the stored grids is listed with its size and drawn where the database has it',
    async run({ page, server }) {
      const comm = '330199001005';
      // A grid shrunk 10 m inwards straight in the database (as a bad bulk update would): a gap rings it.
      const [[code]] = sql(server.dsn, `SELECT code FROM units WHERE level = 4 AND parent_code = '${comm}' ORDER BY code LIMIT 1`);
      const [[old]] = sql(server.dsn, `SELECT ST_AsEWKT(geom) FROM units WHERE code = '${code}'`);
      sql(server.dsn, `UPDATE units SET geom = ST_Multi(ST_Buffer(geom::geography, -10)::geometry) WHERE code = '${code}'`);
      try {
        const [[gapArea, x, y]] = sql(server.dsn, `WITH g AS (SELECT ST_Difference((SELECT geom FROM units WHERE code = '${comm}'),
            (SELECT ST_Union(geom) FROM units WHERE level = 4 AND parent_code = '${comm}')) AS gap)
          SELECT ST_Area(gap::geography), ST_X(ST_PointOnSurface(gap)), ST_Y(ST_PointOnSurface(gap)) FROM g`);
        await login(page, server, 'planner');
        await open(page, 'pl-export');
        await page.waitForSelector(`#io-unit option[value="${comm}"]`, { state: 'attached' });
        await page.selectOption('#io-unit', comm);
        const [resp] = await Promise.all([page.waitForResponse((r) => r.url().includes('/api/validation')), page.click('#io-validate')]);
        const fc = await resp.json();
        await page.waitForSelector('#io-validation .io-defects li');
        const gaps = fc.features.filter((f) => f.properties.kind === 'gap');
        const total = gaps.reduce((a, f) => a + f.properties.size, 0);
        assert(gaps.length > 0 && near(total, Number(gapArea), Math.max(1, Number(gapArea) * 0.02)), `gaps of ${total} m² reported, PostGIS measures ${gapArea} m²`);
        const listed = await page.$$eval('#io-validation .io-defects li', (ls) => ls.map((l) => l.dataset.kind));
        assert(JSON.stringify(listed) === JSON.stringify(fc.features.map((f) => f.properties.kind)), `listed ${listed}`);
        assert((await page.textContent('#io-validation')).includes(`${fc.features.length} 处缺陷`), 'the count is not shown');
        // Drawn in red on the gap, where the database has it.
        await page.evaluate(([a, b]) => window.wangge.state.map.jumpTo({ center: [a, b], zoom: 17 }), [Number(x), Number(y)]);
        await idle(page);
        const red = await page.evaluate(([a, b]) => {
          const m = window.wangge.state.map;
          return m.queryRenderedFeatures(m.project([a, b]), { layers: ['io-defects-fill', 'io-defects-line'] }).map((f) => f.properties.kind);
        }, [Number(x), Number(y)]);
        assert(red.includes('gap'), `at the gap: ${red}`);
      } finally {
        sql(server.dsn, `UPDATE units SET geom = '${old}'::geometry WHERE code = '${code}'`);
      }
    },
  },
];
