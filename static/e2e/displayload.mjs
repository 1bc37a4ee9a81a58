// First meaningful paint of the big screen (大屏) with numbers: time from
// navigation to the district's households filled in the statistics panel
// (#dp-households), as the leader, in headless Chromium with an empty browser
// cache, on servers given by URL (e.g. the code before the kept counts and
// now, each on its copy of the same district). Runs alternate between the
// servers, so both see the same machine load; prints the medians, the time
// the page's scripts took to load (the load event) in the same loads as a
// reference, the bytes of the statistics answers and the load average.
//
//   WANGGE_DEMO_PASSWORD=… node static/e2e/displayload.mjs --runs 5 before=http://127.0.0.1:8081 after=http://127.0.0.1:8082
import os from 'node:os';
import { chromium } from 'playwright-core';

const arg = (name, def) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1] : def; };
const runs = Number(arg('runs', '5')), timeout = Number(arg('timeout', '120')) * 1000;
const servers = process.argv.slice(2).filter((a) => /^[\w-]+=https?:/.test(a)).map((a) => a.split(/=(.*)/s).slice(0, 2));
if (!servers.length) throw new Error('usage: displayload.mjs [--runs N] NAME=URL …');
const password = process.env.WANGGE_DEMO_PASSWORD;
if (!password) throw new Error('WANGGE_DEMO_PASSWORD is not set');

// load opens the app as the leader (who lands on the big screen) and returns
// ms from navigation to the households figure, and the statistics bytes.
async function load(context, base) {
  const page = await context.newPage();
  let stats = 0;
  page.on('response', async (r) => {
    if (!/\/api\/reports\/(grid-counts|unit-stats)/.test(r.url())) return;
    try { stats += (await r.body()).length; } catch { /* page moved on */ }
  });
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.clearBrowserCache');
  await cdp.detach();
  await page.goto(base);
  await page.waitForFunction(() => /\d/.test(document.getElementById('dp-households')?.textContent || ''), null, { timeout, polling: 'raf' });
  const ms = await page.evaluate(() => performance.now());
  // The reference in the same load: the page's own scripts and styles loaded (the load event).
  const loaded = await page.evaluate(() => /** @type {PerformanceNavigationTiming} */ (performance.getEntriesByType('navigation')[0]).loadEventEnd);
  const households = await page.textContent('#dp-households');
  await page.close();
  return { ms, loaded, stats, households };
}

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'] });
try {
  const contexts = {};
  for (const [name, base] of servers) {
    const context = await browser.newContext({ viewport: { width: 1920, height: 1080 } });
    const page = await context.newPage();
    await page.goto(base);
    const st = await page.evaluate(async (pw) => (await fetch('/api/login', { method: 'POST', credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: 'leader', password: pw }) })).status, password);
    if (st !== 200) throw new Error(`${name}: leader login ${st}`);
    await page.close();
    contexts[name] = context;
    await load(context, base); // warm: the server's tile cache and the database's buffers
  }
  const res = Object.fromEntries(servers.map(([n]) => [n, []]));
  for (let i = 0; i < runs; i++) {
    for (const [name, base] of servers) res[name].push(await load(contexts[name], base));
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(`big screen, leader, ${runs} warm runs each, alternating; load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  for (const [name] of servers) {
    const r = res[name];
    console.log(`  ${name}: households shown after ${median(r.map((x) => x.ms)).toFixed(0)} ms (median; runs ${r.map((x) => x.ms.toFixed(0)).join(', ')}); page loaded (load event) ${median(r.map((x) => x.loaded)).toFixed(0)} ms; statistics answers ${(median(r.map((x) => x.stats)) / 1e3).toFixed(1)} KB, households ${r[0].households}`);
  }
} finally {
  await browser.close();
}
