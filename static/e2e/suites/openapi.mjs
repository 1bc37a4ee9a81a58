// The API reference (#21): /api/docs renders the OpenAPI document with the
// vendored Swagger UI, logged out, under the server's Content-Security-Policy.
import { assert } from '../helpers.mjs';

export const tests = [
  {
    name: 'openapi: the API reference page renders every operation of the document logged out, under the CSP',
    async run({ page, server, shot }) {
      const errors = [];
      page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
      // A blocked script or style is a securitypolicyviolation event, not a page error.
      await page.addInitScript(() => {
        window.cspViolations = [];
        document.addEventListener('securitypolicyviolation', (e) => window.cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`));
      });
      const resp = await page.goto(`${server.base}/api/docs`);
      assert(resp.status() === 200, `GET /api/docs: ${resp.status()}`);
      const csp = resp.headers()['content-security-policy'] || '';
      assert(csp.includes("script-src 'self'"), `the page is served without the CSP: ${csp}`);
      const doc = await (await fetch(`${server.base}/api/openapi.json`)).json();
      // One operation taken from the document: its block, path and summary.
      const op = doc.paths['/api/changes'].get;
      const block = `#operations-${op.tags[0]}-${op.operationId}`;
      await page.waitForSelector(block, { timeout: 20000 });
      const text = await page.textContent(block);
      assert(text.includes('/api/changes') && text.includes(op.summary), `operation block: ${text}`);
      assert((await page.textContent('.info .title')).includes(doc.info.title), 'the title is not the document\'s');
      // Opened, it lists the document's parameters.
      await page.click(`${block} .opblock-summary`);
      await page.waitForSelector(`${block} .parameters tr[data-param-name="after"]`);
      for (const p of op.parameters) {
        assert(await page.isVisible(`${block} tr[data-param-name="${p.name}"]`), `parameter ${p.name} is not shown`);
      }
      let operations = 0;
      for (const item of Object.values(doc.paths)) {
        operations += Object.keys(item).filter((k) => ['get', 'put', 'post', 'delete', 'patch'].includes(k)).length;
      }
      const shown = await page.locator('.opblock').count();
      assert(shown === operations, `${shown} operations shown, the document has ${operations}`);
      await shot('openapi-docs');
      const violations = await page.evaluate(() => window.cspViolations);
      assert(violations.length === 0, `CSP violations: ${violations.join('; ')}`);
      assert(errors.length === 0, `console errors: ${errors.join('; ')}`);
    },
  },
];
