// Grid worker assessment (issue 18): the leader's ranking of a street's
// workers, and a worker's drill-down listing the records behind a deduction.
// Expected values come from the database, not from the page.
import { assert, idle, login, rendered, sql } from '../helpers.mjs';

const LAST_MONTH = `date_trunc('month', now() AT TIME ZONE 'Asia/Shanghai') - interval '1 month'`;

export const tests = [
  {
    name: 'assessment: the leader sees the ranking of the first street and a worker\'s deductions with their records',
    async run({ page, server, shot }) {
      const [[street]] = sql(server.dsn, 'SELECT min(code) FROM units WHERE level = 2');
      const [[workers]] = sql(server.dsn, `SELECT count(DISTINCT user_id) FROM grid_staff
        WHERE role = 'grid_worker' AND user_id IS NOT NULL AND unit_code LIKE left('${street}', 9) || '%' AND length(unit_code) = 15`);
      // A worker of the street with an unanswered spot-check call last month.
      const [[worker, check]] = sql(server.dsn, `SELECT c.user_id, min(c.id) FROM phone_spot_checks c
        JOIN grid_staff g ON g.user_id = c.user_id AND g.role = 'grid_worker' AND g.unit_code LIKE left('${street}', 9) || '%'
        WHERE NOT c.answered AND c.called_at >= (${LAST_MONTH}) AT TIME ZONE 'Asia/Shanghai'
          AND c.called_at < (${LAST_MONTH} + interval '1 month') AT TIME ZONE 'Asia/Shanghai'
        GROUP BY c.user_id ORDER BY c.user_id LIMIT 1`);
      await login(page, server, 'leader');
      await page.click('#modes button[data-mode=assessment]');
      await page.waitForSelector('#assessment-panel:not([hidden]) #as-ranking tr[data-worker]');
      assert(await page.inputValue('#as-unit') === street, 'the first street is not chosen');
      const rows = await page.locator('#as-ranking tr[data-worker]').count();
      assert(rows === Number(workers), `ranking has ${rows} rows, the street has ${workers} grid workers`);
      // Ranks go 1.. down the table; scores never rise.
      const table = await page.$$eval('#as-ranking tr[data-worker]', (trs) => trs.map((tr) => [Number(tr.children[0].textContent), Number(tr.querySelector('.score').textContent)]));
      assert(table[0][0] === 1, `first rank ${table[0][0]}`);
      for (let i = 1; i < table.length; i++) assert(table[i][1] <= table[i - 1][1], `scores rise at row ${i}`);
      await page.click(`#as-ranking tr[data-worker="${worker}"]`);
      const li = page.locator(`#as-detail .as-item[data-item=phone] li[data-ref="phone_check:${check}"]`);
      await li.waitFor();
      const text = await li.textContent();
      assert(text.includes('-5') && text.includes('¥30'), `phone deduction shows ${text}`);
      // The street's grids are drawn coloured by score.
      await idle(page);
      let coloured = [];
      for (let i = 0; i < 50 && coloured.length < Number(workers); i++) { coloured = await rendered(page, 'as-scores-fill'); await page.waitForTimeout(100); }
      assert(coloured.length === Number(workers), `${coloured.length} grids drawn by score, want ${workers}`);
      await shot('assessment', 'assessment');
    },
  },
];
