// Map-load measurement: the grid map drawn from GeoJSON (every unit of the
// four levels, as the page did before it used tiles) against the same map
// drawn from the server's vector tiles, in headless Chromium, on one server
// in one run: bytes transferred and time until the map is drawn (the first
// frame with every tile of every source loaded) on first load, and after an edit (GeoJSON: everything again; tiles:
// only those under the edited grid). Prints the medians and their ratio.
//
// Then the planner page itself (the app, logged in, landing on its map):
// time from navigation to the first drawn grid (first paint) and to every
// tile loaded (MapLibre idle), against fetching the same tile URLs with
// plain HTTP from Node, 6 at a time as Chromium does per host, in the same
// run on the same (warm) server: the ratio is what the page adds to the
// transfer (scripts, style, decoding, drawing).
//
//   node static/e2e/mapload.mjs [--scale 10000] [--runs 3] [--timeout 300] [--planner-only]
//
// Each measured step (a first load, a refresh) stops after --timeout seconds:
// it is then reported as "did not finish in N s" (a figure: the page was not
// drawn in that time), with the stage it had reached, and the page is
// closed so its leftover work does not slow the next step. The GeoJSON side
// also records when its four answers had arrived and been parsed (fetched),
// which separates the server and transfer from MapLibre's parsing and
// drawing.
//
// Without WANGGE_E2E_URL it loads the demo district at that scale into a
// database of its own (see run.mjs) and drops it afterwards.
import os from 'node:os';
import { chromium } from 'playwright-core';
import { startServer, cleanup } from './run.mjs';

const arg = (name, def) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1] : def; };
const scale = arg('scale', '10000'), runs = Number(arg('runs', '3')), timeout = Number(arg('timeout', '300'));

// measure runs in the page: builds the map the way `mode` says, waits until
// it is drawn, then refreshes it as after an edit of grid `code`.
async function measure({ mode, code }) {
  const LEVELS = ['district', 'street', 'community', 'grid'];
  const SETS = { district: 'districts', street: 'streets', community: 'communities', grid: 'grids' };
  const getJSON = async (u) => (await fetch(u, { credentials: 'same-origin' })).json();
  // drawn: the first frame with every tile of every source loaded, checked per
  // frame as the planner figures below do. Not MapLibre's 'idle' event: the
  // tiles come with max-age=5, so MapLibre revalidates each loaded tile
  // every 5 s, and once a map is older than that a loaded machine may never
  // have a frame with nothing in flight and no render pending.
  const drawn = (map) => new Promise((resolve) => {
    const frame = () => (map.loaded() && !map.isMoving() && map.areTilesLoaded() ? resolve() : requestAnimationFrame(frame));
    map.triggerRepaint();
    requestAnimationFrame(frame);
  });
  document.getElementById('m')?.remove();
  const el = Object.assign(document.createElement('div'), { id: 'm' });
  el.style.cssText = 'position:absolute;inset:0';
  document.body.append(el);
  performance.clearResourceTimings();
  const t0 = performance.now();
  window.stage = { step: 'first load', t0, fetched: null };
  // Refreshed tiles get ?r=1, as the page does (gridmap.js), so no cache answers for them.
  const refreshed = new Set();
  const transformRequest = (url) => {
    const m = url.match(/\/tiles\/grids\/(\d+\/\d+\/\d+)\.mvt$/);
    return { url: m && refreshed.has(m[1]) ? `${url}?r=1` : url };
  };
  const map = new maplibregl.Map({ container: el, style: { version: 8, sources: {}, layers: [] }, center: [120.12, 30.27], zoom: 10, attributionControl: false, transformRequest });
  await new Promise((resolve) => map.on('load', resolve));
  const src = (l) => ({ source: `u-${l}`, ...(mode === 'tiles' ? { 'source-layer': SETS[l] } : {}) });
  let bounds;
  if (mode === 'geojson') {
    const all = await Promise.all(LEVELS.map((l) => getJSON(`/api/grids?level=${l}`)));
    window.stage.fetched = performance.now() - t0;
    LEVELS.forEach((l, i) => map.addSource(`u-${l}`, { type: 'geojson', data: all[i] }));
    const b = [180, 90, -180, -90];
    for (const f of all[0].features) for (const p of f.geometry.coordinates.flat(2)) { b[0] = Math.min(b[0], p[0]); b[1] = Math.min(b[1], p[1]); b[2] = Math.max(b[2], p[0]); b[3] = Math.max(b[3], p[1]); }
    bounds = b;
  } else {
    const info = await Promise.all(LEVELS.map((l) => getJSON(`/tiles/${SETS[l]}.json`)));
    LEVELS.forEach((l, i) => map.addSource(`u-${l}`, { type: 'vector', tiles: info[i].tiles, minzoom: info[i].minzoom, maxzoom: info[i].maxzoom }));
    bounds = info[0].bounds;
  }
  for (const l of LEVELS) map.addLayer({ id: `${l}-fill`, type: 'fill', ...src(l), paint: { 'fill-color': '#a8dadc', 'fill-opacity': l === 'grid' ? 0.5 : 0.1 } });
  for (const l of LEVELS) map.addLayer({ id: `${l}-line`, type: 'line', ...src(l), paint: { 'line-color': '#1d3557', 'line-width': 1 } });
  map.fitBounds([[bounds[0], bounds[1]], [bounds[2], bounds[3]]], { padding: 40, duration: 0 });
  await drawn(map);
  window.bench = { map, refreshed, mode, code };
  return { ms: performance.now() - t0, fetched: window.stage.fetched };
}

// refresh, in the page, edits grid `code` and redraws the map as the page did (GeoJSON) or does (tiles).
async function refresh() {
  const { map, refreshed, mode, code } = window.bench;
  const LEVELS = ['district', 'street', 'community', 'grid'];
  const getJSON = async (u) => (await fetch(u, { credentials: 'same-origin' })).json();
  const drawn = () => new Promise((resolve) => { // as in measure
    const frame = () => (map.loaded() && !map.isMoving() && map.areTilesLoaded() ? resolve() : requestAnimationFrame(frame));
    map.triggerRepaint();
    requestAnimationFrame(frame);
  });
  const unit = await getJSON(`/api/grids/${code}`);
  // The same shape without repeated consecutive vertices (which the server refuses on input).
  const dedupe = (g) => ({ ...g, coordinates: g.coordinates.map((poly) => poly.map((ring) => ring.filter((p, i) => !i || p[0] !== ring[i - 1][0] || p[1] !== ring[i - 1][1]))) });
  // A real edit (the same shape as a new version) so the server drops and re-renders the grid's tiles.
  const edit = await fetch(`/api/grids/${code}?mode=strict`, { method: 'PUT', credentials: 'same-origin', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ geometry: dedupe(unit.geometry), version: unit.properties.version, reason: 'mapload measurement' }) });
  if (!edit.ok) throw new Error(`edit ${code}: ${edit.status} ${await edit.text()}`);
  await new Promise((resolve) => setTimeout(resolve, 200)); // the server's change notification
  const t1 = performance.now();
  window.stage = { step: 'after edit', t0: t1, fetched: null };
  if (mode === 'geojson') {
    const all = await Promise.all(LEVELS.map((l) => getJSON(`/api/grids?level=${l}`)));
    window.stage.fetched = performance.now() - t1;
    LEVELS.forEach((l, i) => map.getSource(`u-${l}`).setData(all[i]));
  } else {
    const pts = unit.geometry.coordinates.flat(2);
    const xs = pts.map((p) => p[0]), ys = pts.map((p) => p[1]);
    const ids = [];
    for (let z = Math.floor(map.getZoom()) - 1; z <= Math.ceil(map.getZoom()) + 1; z++) {
      const n = 2 ** z, tx = (x) => Math.floor(((x + 180) / 360) * n);
      const ty = (y) => { const r = (y * Math.PI) / 180; return Math.floor(((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * n); };
      for (let x = tx(Math.min(...xs)); x <= tx(Math.max(...xs)); x++) for (let y = ty(Math.max(...ys)); y <= ty(Math.min(...ys)); y++) { ids.push({ z, x, y }); refreshed.add(`${z}/${x}/${y}`); }
    }
    map.refreshTiles('u-grid', ids);
  }
  await drawn();
  const ms = performance.now() - t1;
  map.remove();
  return { ms, fetched: window.stage.fetched };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
// medianStep is the median step by time (a step that timed out counts as its
// timeout, the least it took), keeping its bytes and fetch time with it.
const medianStep = (steps) => (steps.length ? [...steps].sort((a, b) => a.ms - b.ms)[Math.floor(steps.length / 2)] : null);
const show = (r) => `${(r.bytes / 1e6).toFixed(2)} MB ${r.timedOut ? `did not finish in ${(r.ms / 1000).toFixed(0)} s` : `${r.ms.toFixed(0)} ms`}` +
  (r.fetched != null ? ` (answers fetched and parsed at ${r.fetched.toFixed(0)} ms)` : r.timedOut ? ' (answers not yet all fetched)' : '');

// plannerLoad opens the app as the planner (cookie session) with an empty
// browser cache and returns ms from navigation to the first drawn grid and to
// MapLibre idle, with the tile URLs the page fetched.
async function plannerLoad(context, base) {
  const page = await context.newPage();
  const urls = [];
  page.on('request', (r) => { if (new URL(r.url()).pathname.startsWith('/tiles/')) urls.push(r.url()); });
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.clearBrowserCache');
  await cdp.detach();
  await page.goto(base);
  const t = await page.evaluate(() => new Promise((resolve, reject) => {
    let first = 0;
    const timer = setTimeout(() => reject(new Error('planner map not drawn in 120 s')), 120000);
    const frame = () => {
      const m = window.wangge?.state.map;
      if (m && m.getLayer('units-grid-fill')) {
        if (!first && m.queryRenderedFeatures({ layers: ['units-grid-fill'] }).length) first = performance.now();
        if (first && m.loaded() && !m.isMoving() && m.areTilesLoaded()) { clearTimeout(timer); resolve({ first, idle: performance.now() }); return; }
      }
      requestAnimationFrame(frame);
    };
    frame();
  }));
  await page.close();
  return { ...t, urls };
}

// fetchAll gets urls with the session cookie, `parallel` at a time, and
// returns the ms until the last body arrived and the bytes.
async function fetchAll(urls, cookie, parallel = 6) {
  let next = 0, bytes = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: parallel }, async () => {
    while (next < urls.length) {
      const r = await fetch(urls[next++], { headers: { Cookie: cookie, 'Accept-Encoding': 'gzip' } });
      if (!r.ok) throw new Error(`${r.url}: ${r.status}`);
      bytes += (await r.arrayBuffer()).byteLength;
    }
  }));
  return { ms: performance.now() - t0, bytes };
}

async function plannerFigures(browser, server, runs) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  cleanups.push(() => context.close());
  const page = await context.newPage();
  await page.goto(server.base);
  const login = await page.evaluate(async (pw) => (await fetch('/api/login', { method: 'POST', credentials: 'same-origin', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: 'planner', password: pw }) })).status, server.password);
  if (login !== 200) throw new Error(`planner login: ${login}`);
  await page.close();
  const cookie = (await context.cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
  const cold = await plannerLoad(context, server.base); // the server renders and caches the tiles
  const res = [];
  for (let i = 0; i < runs; i++) {
    const b = await plannerLoad(context, server.base);
    res.push({ ...b, http: await fetchAll(b.urls, cookie) });
  }
  const m = (f) => median(res.map(f));
  const [first, idle, http, n] = [m((r) => r.first), m((r) => r.idle), m((r) => r.http.ms), m((r) => r.urls.length)];
  console.log(`planner map, medians of ${runs} warm runs (${n} tile requests, ${(m((r) => r.http.bytes) / 1e6).toFixed(2)} MB):`);
  console.log(`  first paint ${first.toFixed(0)} ms, tiles loaded ${idle.toFixed(0)} ms; the same tiles by plain HTTP ${http.toFixed(0)} ms: tiles loaded / HTTP ×${(idle / http).toFixed(1)}`);
  console.log(`  cold server cache (first visit after start): first paint ${cold.first.toFixed(0)} ms, tiles loaded ${cold.idle.toFixed(0)} ms`);
}

async function main() {
  const server = process.env.WANGGE_E2E_URL
    ? { base: process.env.WANGGE_E2E_URL, password: process.env.WANGGE_DEMO_PASSWORD }
    : await startServer(['--scale', scale, '--patrol-days', '1']);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
  });
  cleanups.push(() => browser.close());
  if (process.argv.includes('--planner-only')) return plannerFigures(browser, server, runs);
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  // openPage gives a blank page with MapLibre on the server's origin (the
  // login cookie is the context's); a step that timed out gets a new one.
  const openPage = async () => {
    const p = await context.newPage();
    await p.goto(`${server.base}/vendor/LICENSE.txt`);
    await p.setContent('<!doctype html><html><body style="margin:0"><script src="/vendor/maplibre-gl.js"></script></body></html>');
    await p.waitForFunction(() => typeof maplibregl !== 'undefined');
    return p;
  };
  let page = await openPage();
  const login = await page.evaluate(async (pw) => (await fetch('/api/login', { method: 'POST', credentials: 'same-origin', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: pw }) })).status, server.password);
  if (login !== 200) throw new Error(`login: ${login}`);
  // An inner grid of the district, edited (same shape, new version) between runs so the server re-renders its tiles.
  const grids = await page.evaluate(async () => (await (await fetch('/tiles/grids.json', { credentials: 'same-origin' })).json()).features);
  const [code] = await page.evaluate(async () => {
    const fc = await (await fetch('/api/grids?level=community', { credentials: 'same-origin' })).json();
    const c = fc.features[Math.floor(fc.features.length / 2)].properties.code;
    const g = await (await fetch(`/api/grids?level=grid&parent=${c}`, { credentials: 'same-origin' })).json();
    return [g.features[0].properties.code];
  });
  // Bytes on the wire (body as sent, plus headers) of the map's data requests,
  // the tile requests of MapLibre's workers included.
  let bytes = 0, counting = false;
  const pending = [];
  context.on('requestfinished', (r) => {
    if (!counting || !/\/(api\/grids\?|tiles\/)/.test(r.url())) return;
    pending.push(r.sizes().then((s) => { bytes += s.responseBodySize + s.responseHeadersSize; }).catch(() => {}));
  });
  // phase runs f in the page for at most `timeout` s; a step that does not
  // finish is a result too ({ timedOut }), with the stage it had reached.
  const phase = async (f, a) => {
    bytes = 0; counting = true; pending.length = 0;
    let timer;
    const ev = page.evaluate(f, a).then((r) => ({ ...r, timedOut: false }));
    const out = await Promise.race([
      ev,
      new Promise((resolve) => { timer = setTimeout(resolve, timeout * 1000, null); }),
    ]);
    clearTimeout(timer);
    let res = out;
    if (!out) {
      ev.catch(() => {}); // it fails when its page is closed below
      // A page whose main thread is busy would not answer: wait 5 s at most.
      const st = await Promise.race([page.evaluate(() => window.stage).catch(() => null), new Promise((resolve) => setTimeout(resolve, 5000, null))]);
      res = { ms: timeout * 1000, fetched: st?.fetched ?? null, timedOut: true };
      await page.close().catch(() => {});
      page = await openPage();
    } else {
      await page.waitForTimeout(300);
    }
    await Promise.all(pending);
    counting = false;
    return { ...res, bytes };
  };
  const res = { geojson: [], tiles: [] };
  for (let i = 0; i < runs; i++) {
    for (const mode of ['geojson', 'tiles']) {
      // Each run starts with an empty browser cache, as a first visit does.
      const cdp = await context.newCDPSession(page);
      await cdp.send('Network.clearBrowserCache');
      await cdp.detach();
      const first = await phase(measure, { mode, code });
      // No refresh of a map that was never drawn.
      const refreshed = first.timedOut ? null : await phase(refresh);
      res[mode].push({ first, refresh: refreshed });
      console.log(`  run ${i + 1} ${mode}: first ${show(first)}; after edit ${refreshed ? show(refreshed) : 'not measured (no map)'}`);
    }
  }
  console.log(`map load, ${grids} grids, 1280×800, headless Chromium, medians of ${runs} runs (same server, same run), load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}:`);
  for (const ph of ['first', 'refresh']) {
    const [g, t] = ['geojson', 'tiles'].map((mode) => medianStep(res[mode].map((r) => r[ph]).filter(Boolean)));
    if (!g || !t) { console.log(`  ${ph}: not measured`); continue; }
    const ratio = (g.timedOut ? '>' : '×') + (g.ms / t.ms).toFixed(1);
    console.log(`  ${ph === 'first' ? 'first load ' : 'after edit '}  GeoJSON ${show(g)}   tiles ${show(t)}   bytes ×${(g.bytes / Math.max(t.bytes, 1)).toFixed(1)} fewer, time ${ratio} faster`);
  }
  await plannerFigures(browser, server, runs);
}

const cleanups = [];
main().catch((e) => { console.error(e); process.exitCode = 1; })
  .finally(async () => { for (const f of cleanups.reverse()) await f().catch(() => {}); await cleanup(); });
