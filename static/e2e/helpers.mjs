// Shared by the browser test suites: psql on the test database, assertions,
// login and waiting for the map.
import { spawnSync } from 'node:child_process';

export function sql(dsn, q) {
  const r = spawnSync('psql', [dsn, '-AtF', '\t', '-qc', q], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`psql: ${r.stderr}`);
  return r.stdout.trim().split('\n').filter(Boolean).map((l) => l.split('\t'));
}

export function assert(ok, msg) { if (!ok) throw new Error(msg); }

export async function login(page, server, username) {
  await page.goto(server.base);
  await page.fill('#login-user', username);
  await page.fill('#login-pass', server.password);
  await page.click('#login-form button[type=submit]');
  await page.waitForSelector('body[data-ready=true]', { timeout: 30000 });
  await idle(page);
}

// idle waits until the map has drawn everything it has.
export async function idle(page) {
  await page.waitForFunction(() => {
    const m = window.wangge?.state.map;
    return m && m.loaded() && !m.isMoving() && m.areTilesLoaded();
  }, null, { timeout: 30000 });
}

// rendered is the set of unit codes MapLibre drew in layer.
export async function rendered(page, layer) {
  return page.evaluate((l) => [...new Set(window.wangge.state.map.queryRenderedFeatures({ layers: [l] }).map((f) => f.properties.code))], layer);
}

// fitRing fits the map to a ring of lon/lat positions, padding pixels around it.
export async function fitRing(page, ring, padding) {
  await page.evaluate(([r, pad]) => {
    let [a, b, x, y] = [180, 90, -180, -90];
    for (const [p, q] of r) { a = Math.min(a, p); b = Math.min(b, q); x = Math.max(x, p); y = Math.max(y, q); }
    window.wangge.state.map.fitBounds([[a, b], [x, y]], { padding: pad, duration: 0 });
  }, [ring, padding]);
}

// clickLngLat clicks the map at a geographic point.
export async function clickLngLat(page, lon, lat) {
  const p = await page.evaluate(([x, y]) => {
    const m = window.wangge.state.map, r = m.getContainer().getBoundingClientRect(), s = m.project([x, y]);
    return { x: r.left + s.x, y: r.top + s.y };
  }, [lon, lat]);
  await page.mouse.click(p.x, p.y);
}

// sweepDemoPatrol marks the demo's bulk-loaded patrol days and sweeps them, as
// an admin would; it returns the admin's token.
export async function sweepDemoPatrol(server) {
  const signin = await fetch(`${server.base}/api/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: server.password }) });
  const { token } = await signin.json();
  const [[from, to]] = sql(server.dsn, `SELECT (min(recorded_at) AT TIME ZONE 'Asia/Shanghai')::date, (max(recorded_at) AT TIME ZONE 'Asia/Shanghai')::date FROM patrol_points`);
  const sw = await fetch(`${server.base}/api/patrol/sweep`, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body: JSON.stringify({ mark_from: from, mark_to: to }) });
  assert(sw.status === 200, `sweep: ${sw.status} ${await sw.text()}`);
  return token;
}
