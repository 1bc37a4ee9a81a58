// The API reference (#21): /api/docs renders the OpenAPI document with the
// vendored Swagger UI, logged out, under the server's Content-Security-Policy.
import { assert } from '../helpers.mjs';

export const tests = [
  {
    name: 'openapi: the API reference page renders the document logged out, every operation under its tag, under the CSP',
    async run({ page, server, shot }) {
      const errors = [];
      page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
      // A blocked script or style is a securitypolicyviolation event, not a page error.
      await page.addInitScript(() => {
        window.cspViolations = [];
        document.addEventListener('securitypolicyviolation', (e) => window.cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`));
      });
      const doc = await (await fetch(`${server.base}/api/openapi.json`)).json();
      // One operation of the document, opened by its deep link: path, summary, parameters.
      const op = doc.paths['/api/changes'].get;
      const resp = await page.goto(`${server.base}/api/docs#/${op.tags[0]}/${op.operationId}`);
      assert(resp.status() === 200, `GET /api/docs: ${resp.status()}`);
      const csp = resp.headers()['content-security-policy'] || '';
      assert(csp.includes("script-src 'self'"), `the page is served without the CSP: ${csp}`);
      const block = `#operations-${op.tags[0]}-${op.operationId}`;
      await page.waitForSelector(`${block} .parameters tr[data-param-name="after"]`, { timeout: 20000 });
      const text = await page.textContent(block);
      assert(text.includes('/api/changes') && text.includes(op.summary), `operation block: ${text}`);
      for (const p of op.parameters) {
        assert(await page.isVisible(`${block} tr[data-param-name="${p.name}"]`), `parameter ${p.name} is not shown`);
      }
      assert((await page.textContent('.info .title')).includes(doc.info.title), 'the title is not the document\'s');
      await shot('openapi-docs');
      // Every operation, tag by tag: the whole list is rendered lazily as it
      // scrolls; the filter (which also matches paths) shows a tag's at once.
      const byTag = {};
      for (const [path, item] of Object.entries(doc.paths)) {
        for (const [method, o] of Object.entries(item)) {
          if (['get', 'put', 'post', 'delete', 'patch'].includes(method)) (byTag[o.tags[0]] ??= []).push(`${method} ${path}`);
        }
      }
      assert(Object.keys(byTag).length === doc.tags.length, `operations under ${Object.keys(byTag).length} tags, the document declares ${doc.tags.length}`);
      for (const tag of doc.tags.map((t) => t.name)) {
        await page.fill('.operation-filter-input', tag);
        await page.waitForFunction(([t, n]) => document.querySelectorAll(`.opblock[id^="operations-${t}-"]`).length === n,
          [tag, byTag[tag].length], { timeout: 10000 });
      }
      const violations = await page.evaluate(() => window.cspViolations);
      assert(violations.length === 0, `CSP violations: ${violations.join('; ')}`);
      assert(errors.length === 0, `console errors: ${errors.join('; ')}`);
    },
  },
];
