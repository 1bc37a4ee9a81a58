// Browser tests: headless Debian chromium driven by playwright-core against a
// real wangge server on a real PostGIS with the demo district.
//
// The runner builds nothing itself when bin/wangge exists (scripts/test builds
// it first), creates a private database on the same server the Go tests use
// (DATABASE_URL's server, else the project's private cluster), loads the demo
// district into it, serves it on a free loopback port, runs the tests, and in
// every case stops the server and drops the database. Screenshots go to
// test-artifacts/e2e/ (git-ignored); with --update-docs one per mode is also
// copied to docs/screenshots/. It ends with "N passed, M failed" and exits 1
// when a test failed. WANGGE_E2E_URL + WANGGE_DEMO_PASSWORD run the tests
// against a server you started yourself instead.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { tests as coreTests } from './tests.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const artefacts = path.join(root, 'test-artifacts', 'e2e');
const updateDocs = process.argv.includes('--update-docs');
const only = process.argv.find((a) => a.startsWith('--only='))?.slice(7);
fs.mkdirSync(artefacts, { recursive: true });

// Each feature keeps its browser tests in suites/NAME.mjs (export const tests), so
// features added side by side never edit the same list.
const suites = path.join(path.dirname(fileURLToPath(import.meta.url)), 'suites');
const tests = [...coreTests];
for (const f of fs.readdirSync(suites).filter((n) => n.endsWith('.mjs')).sort()) {
  tests.push(...(await import(pathToFileURL(path.join(suites, f)).href)).tests);
}

const cleanups = [];
let cleaning = null;
/** cleanup stops what startServer started (server, database), once. */
export async function cleanup() {
  cleaning ??= (async () => { for (const f of cleanups.reverse()) { try { await f(); } catch (e) { console.error('cleanup:', e.message); } } })();
  return cleaning;
}
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { cleanup().finally(() => process.exit(130)); });

function sh(cmd, args, env = {}, timeout = 10 * 60 * 1000) {
  const r = spawnSync(cmd, args, { cwd: root, env: { ...process.env, ...env }, encoding: 'utf8', timeout });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.error?.message || ''}${r.stderr || r.stdout}`);
  return r.stdout;
}

// serverDSN is a database URL on the test server to run CREATE/DROP DATABASE from.
function serverDSN() {
  if (process.env.DATABASE_URL) return process.env.DATABASE_URL;
  // The binary knows the private cluster (its port is derived from the data
  // directory) and brings it up the way `wangge serve` does.
  const r = spawnSync(path.join(root, 'bin/wangge'), ['dburl'], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`bin/wangge dburl: ${r.stderr}`);
  return withDatabase(r.stdout.trim(), 'postgres');
}

function withDatabase(dsn, name) {
  const u = new URL(dsn);
  u.pathname = `/${name}`;
  return u.toString();
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
    s.on('error', reject);
  });
}

/** startServer loads the demo district (demoArgs: e.g. --scale 10000) into a new database and serves it. */
export async function startServer(demoArgs = ['--patrol-days', '1']) {
  const bin = path.join(root, 'bin/wangge');
  if (!fs.existsSync(bin)) sh(path.join(root, 'scripts/build'), []);
  const admin = serverDSN();
  const name = `wangge_e2e_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  sh('psql', [admin, '-Atqc', `CREATE DATABASE ${name}`]);
  cleanups.push(() => sh('psql', [admin, '-Atqc', `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`]));
  const password = randomBytes(12).toString('base64url');
  // Every test logs in from this one address: more than the default 10 a minute.
  const env = { DATABASE_URL: withDatabase(admin, name), WANGGE_DEMO_PASSWORD: password, WANGGE_LOG_LEVEL: 'warn', WANGGE_LOGIN_PER_MINUTE: '600' };
  const t0 = Date.now();
  sh(bin, ['demo', ...demoArgs], env, 60 * 60 * 1000); // a city-sized district (--scale 10000) takes minutes
  console.log(`demo district loaded into ${name} in ${Date.now() - t0} ms`);
  const port = await freePort();
  const log = fs.openSync(path.join(artefacts, 'server.log'), 'w');
  const proc = spawn(bin, ['serve', '--addr', `127.0.0.1:${port}`], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', log, log] });
  const exited = new Promise((resolve) => proc.on('exit', resolve));
  cleanups.push(async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 15000);
      await exited;
      clearTimeout(timer);
    }
  });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (proc.exitCode !== null) throw new Error(`wangge serve exited (${proc.exitCode}): see ${path.join(artefacts, 'server.log')}`);
    try { if ((await fetch(`${base}/readyz`)).ok) break; } catch { /* not yet listening */ }
    if (i > 300) throw new Error('wangge serve did not become ready in 60 s');
    await new Promise((r) => setTimeout(r, 200));
  }
  return { base, password, dsn: env.DATABASE_URL };
}

async function main() {
  let passed = 0, failed = 0;
  try {
    const server = process.env.WANGGE_E2E_URL
      ? { base: process.env.WANGGE_E2E_URL, password: process.env.WANGGE_DEMO_PASSWORD, dsn: process.env.DATABASE_URL }
      : await startServer();
    const browser = await chromium.launch({
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
    });
    cleanups.push(() => browser.close());
    for (const test of tests) {
      if (only && !test.name.includes(only)) continue;
      // touch: a phone (taps, touch events) rather than a mouse.
      const context = await browser.newContext({ viewport: test.viewport || { width: 1280, height: 800 }, acceptDownloads: true, locale: 'zh-CN',
        hasTouch: !!test.touch, isMobile: !!test.touch });
      const page = await context.newPage();
      const consoleErrors = [];
      page.on('pageerror', (e) => consoleErrors.push(e.message));
      const external = [];
      // Nothing may leave the machine: any request to another origin fails the test.
      await context.route('**/*', (route) => {
        const u = route.request().url();
        if (u.startsWith(server.base) || u.startsWith('blob:') || u.startsWith('data:')) return route.continue();
        external.push(u);
        return route.abort();
      });
      const shot = async (name, docsName) => {
        const file = path.join(artefacts, `${name}.png`);
        await page.screenshot({ path: file });
        if (updateDocs && docsName) fs.copyFileSync(file, path.join(root, 'docs', 'screenshots', `${docsName}.png`));
      };
      const t0 = Date.now();
      try {
        await test.run({ page, context, server, shot, artefacts });
        if (consoleErrors.length) throw new Error(`page errors: ${consoleErrors.join('; ')}`);
        if (external.length) throw new Error(`requests left the server: ${external.join(', ')}`);
        passed++; console.log(`ok   ${test.name} (${Date.now() - t0} ms)`);
      } catch (e) {
        failed++;
        console.log(`FAIL ${test.name}: ${e.stack || e}`);
        await page.screenshot({ path: path.join(artefacts, `FAILED-${test.name.replace(/\W+/g, '-')}.png`) }).catch(() => {});
      }
      await context.close();
    }
  } catch (e) {
    failed++;
    console.log(`FAIL setup: ${e.stack || e}`);
  } finally {
    await cleanup();
  }
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

// Run as a script (node static/e2e/run.mjs); mapload.mjs imports startServer.
if (import.meta.url === pathToFileURL(process.argv[1]).href) main();
