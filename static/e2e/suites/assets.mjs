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
      // CDP events of one request may come in any order (the extra-info ones
      // before requestWillBeSent): gather them by request id, resolve by URL after.
      const byId = new Map();
      const rec = (id) => { if (!byId.has(id)) byId.set(id, {}); return byId.get(id); };
      cdp.on('Network.requestWillBeSent', (e) => { rec(e.requestId).url = new URL(e.request.url); });
      cdp.on('Network.requestServedFromCache', (e) => { rec(e.requestId).fromCache = true; });
      cdp.on('Network.requestWillBeSentExtraInfo', (e) => { rec(e.requestId).sent = Object.fromEntries(Object.entries(e.headers).map(([k, v]) => [k.toLowerCase(), v])); });
      cdp.on('Network.responseReceived', (e) => {
        const h = Object.fromEntries(Object.entries(e.response.headers).map(([k, v]) => [k.toLowerCase(), v]));
        Object.assign(rec(e.requestId), { status: e.response.status, encoding: h['content-encoding'], cache: h['cache-control'],
          disk: e.response.fromDiskCache || e.response.fromPrefetchCache });
      });
      // seen: path?query → what happened to it (the last request of that URL).
      const seenNow = () => {
        const m = new Map();
        for (const r of byId.values()) if (r.url) m.set(r.url.pathname + r.url.search, { ...r, fromCache: r.fromCache || r.disk });
        return m;
      };
      await login(page, server, 'admin');
      let seen = seenNow();
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
      byId.clear();
      await page.goto(server.base);
      await page.waitForSelector('body[data-ready=true]', { timeout: 30000 });
      await idle(page);
      seen = seenNow();
      for (const k of vendored) {
        const s = seen.get(k);
        assert(s?.fromCache && !s.sent, `${k} on the second visit: ${JSON.stringify(s)} (want it from the cache, no request)`);
      }
      const again = seen.get('/app.js');
      // Revalidated: asked again (no-cache) and answered 304 (the server only says so to a matching If-None-Match).
      assert(again?.status === 304, `/app.js on the second visit: ${JSON.stringify(again)} (want a 304)`);
      if (again.sent) assert(again.sent['if-none-match'], `/app.js revalidated without If-None-Match: ${JSON.stringify(again.sent)}`);
      assert((await rendered(page, 'units-grid-fill')).length > 0, 'no grid drawn from the cached libraries');
      // The libraries the page uses are the ones loaded (globals present).
      assert(await page.evaluate(() => typeof maplibregl === 'object' && typeof terraDraw === 'object' && typeof echarts === 'object'), 'a vendored library missing');
      assert(external.length === 0, `requests left the server: ${external}`);
    },
  },
];
