// Map keys (#10): a planner makes a key for QGIS in the page, the key reads
// the OGC API without a login, and revoking it in the page shuts it out.
import { assert, login, sql } from '../helpers.mjs';

export const tests = [
  {
    name: 'mapkeys: the planner makes a map key, it opens the OGC API without a login, and revoking it in the page shuts it out',
    async run({ page, server, shot }) {
      await login(page, server, 'planner');
      await page.click('#modes button[data-mode=keys]');
      await page.waitForSelector('#keys-panel:not([hidden])');
      await page.fill('#keys-name', 'QGIS 办公室');
      await page.click('#keys-form button[type=submit]');
      await page.waitForSelector('#keys-new:not([hidden])');
      const secret = (await page.textContent('#keys-secret')).trim();
      const ogc = (await page.textContent('#keys-ogc')).trim();
      assert(secret.length >= 20 && ogc.endsWith(`/ogc?key=${encodeURIComponent(secret)}`), `secret ${secret}, OGC URL ${ogc}`);
      const [[id, name, revoked]] = sql(server.dsn, `SELECT k.id, k.name, k.revoked_at IS NOT NULL FROM map_keys k JOIN users u ON u.id = k.user_id
        WHERE u.username = 'planner' ORDER BY k.id DESC LIMIT 1`);
      assert(name === 'QGIS 办公室' && revoked === 'f', `stored key ${name} ${revoked}`);
      await page.waitForSelector(`#keys-list li[data-key="${id}"] button.revoke`);
      // The secret is shown once: the list never carries it.
      assert(!(await page.textContent('#keys-list')).includes(secret), 'the list shows the secret');
      const items = `${server.base}/ogc/collections/grids/items?limit=1&key=${encodeURIComponent(secret)}`;
      assert((await fetch(items)).status === 200, 'the new key does not open the OGC API');
      await shot('mapkeys');
      await page.click(`#keys-list li[data-key="${id}"] button.revoke`);
      await page.waitForSelector(`#keys-list li[data-key="${id}"].revoked`);
      assert(await page.isHidden('#keys-new'), 'the secret stays on screen after revoking');
      const [[after]] = sql(server.dsn, `SELECT revoked_at IS NOT NULL FROM map_keys WHERE id = ${id}`);
      assert(after === 't', 'the key is not revoked in the database');
      assert((await fetch(items)).status === 401, 'the revoked key still opens the OGC API');
    },
  },
];
