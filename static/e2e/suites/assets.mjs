// Static assets (#19): the page names its vendored libraries by content hash,
// they arrive gzip-compressed and cached for a year; the app modules are
// revalidated (304) and the page works from what the cache kept.
import { assert, idle, login, rendered } from '../helpers.mjs';

export const tests = [
  {
    name: 'assets: vendored libraries load under hashed URLs, gzip, cached a year; app modules revalidate with 304; the map works',
    async run({ page, context, server }) {
      // The runner's route (nothing leaves the machine) turns the browser cache
      // off; this test needs the cache, so it watches the origin itself.
      const external = [];
      await context.unrouteAll();
      page.on('request', (r) => { const u = r.url(); if (!u.startsWith(server.base) && !u.startsWith('blob:') && !u.startsWith('data:')) external.push(u); });
      const cdp = await context.newCDPSession(page);
      await cdp.send('Network.enable');
      const seen = new Map(); // path → { status, encoding, cache, fromCache, sent }
      const byId = new Map();
      cdp.on('Network.requestWillBeSent', (e) => byId.set(e.requestId, new URL(e.request.url)));
      cdp.on('Network.requestServedFromCache', (e) => { const u = byId.get(e.requestId); if (u) seen.set(u.pathname + u.search, { ...seen.get(u.pathname + u.search), fromCache: true }); });
      cdp.on('Network.requestWillBeSentExtraInfo', (e) => { const u = byId.get(e.requestId); if (u) seen.set(u.pathname + u.search, { ...seen.get(u.pathname + u.search), sent: e.headers }); });
      cdp.on('Network.responseReceived', (e) => {
        const u = new URL(e.response.url), h = Object.fromEntries(Object.entries(e.response.headers).map(([k, v]) => [k.toLowerCase(), v]));
        seen.set(u.pathname + u.search, { ...seen.get(u.pathname + u.search), status: e.response.status, encoding: h['content-encoding'], cache: h['cache-control'],
          fromCache: e.response.fromDiskCache || e.response.fromPrefetchCache || seen.get(u.pathname + u.search)?.fromCache });
      });
      await login(page, server, 'admin');
      const vendored = [...seen.keys()].filter((k) => k.startsWith('/vendor/'));
      assert(vendored.length >= 5, `vendored files loaded: ${vendored}`);
      for (const k of vendored) {
        const s = seen.get(k);
        assert(/\?v=[0-9a-f]{16}$/.test(k), `${k}: not a content-hashed URL`);
        assert(s.status === 200 && s.cache === 'public, max-age=31536000, immutable', `${k}: ${s.status} Cache-Control ${s.cache}`);
        assert(s.encoding === 'gzip', `${k}: Content-Encoding ${s.encoding}`);
      }
      const app = seen.get('/app.js');
      assert(app?.status === 200 && app.cache === 'no-cache' && app.encoding === 'gzip', `/app.js: ${JSON.stringify(app)}`);
      assert((await rendered(page, 'units-grid-fill')).length > 0, 'no grid drawn on the first load');

      // A second visit: the vendored libraries come from the cache without asking,
      // the app modules are asked again with their ETag and answered 304.
      seen.clear();
      await page.goto(server.base);
      await page.waitForSelector('body[data-ready=true]', { timeout: 30000 });
      await idle(page);
      for (const k of vendored) {
        const s = seen.get(k);
        assert(s?.fromCache && !s.sent, `${k} on the second visit: ${JSON.stringify(s)} (want it from the cache, no request)`);
      }
      const again = seen.get('/app.js');
      assert(again?.sent?.['If-None-Match'] || again?.sent?.['if-none-match'], `/app.js revalidated without If-None-Match: ${JSON.stringify(again)}`);
      assert(again.status === 304 || again.fromCache, `/app.js second visit: ${JSON.stringify(again)}`);
      assert((await rendered(page, 'units-grid-fill')).length > 0, 'no grid drawn from the cached libraries');
      // The libraries the page uses are the ones loaded (globals present).
      assert(await page.evaluate(() => typeof maplibregl === 'object' && typeof terraDraw === 'object' && typeof echarts === 'object'), 'a vendored library missing');
      assert(external.length === 0, `requests left the server: ${external}`);
    },
  },
];
