// History within a day (#19): two changes made today are listed by their
// time (China time, to the second), newest first, with who and why; each
// opens the grid map just before or just after it.
import { assert, idle, login, sql } from '../helpers.mjs';

async function patchName(server, token, code, name, reason) {
  const r = await fetch(`${server.base}/api/units/${code}`, { method: 'PATCH', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body: JSON.stringify({ name, reason }) });
  assert(r.status === 200, `rename: ${r.status} ${await r.text()}`);
}

// asOfName is the grid's name in the history map on screen.
const asOfName = (page, code) => page.evaluate((c) => window.wangge.state.history?.features.find((f) => f.properties.code === c)?.properties.name, code);

export const tests = [
  {
    name: "history: today's two changes of a grid are listed by time, newest first, and open the map just before and after each",
    async run({ page, server, shot }) {
      const [[code, original]] = sql(server.dsn, `SELECT code, name FROM units WHERE level = 4 ORDER BY code OFFSET 12 LIMIT 1`);
      const signin = await fetch(`${server.base}/api/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ username: 'planner', password: server.password }) });
      const { token } = await signin.json();
      await patchName(server, token, code, `${original}（甲）`, '第一次改名');
      await patchName(server, token, code, `${original}（乙）`, '第二次改名');
      const times = sql(server.dsn, `SELECT to_char(valid_from AT TIME ZONE 'Asia/Shanghai', 'HH24:MI:SS'), reason FROM unit_versions
        WHERE code = '${code}' AND version > 1 ORDER BY version DESC`);
      await login(page, server, 'planner');
      await page.waitForSelector(`#pl-changes li[data-code="${code}"]`);
      assert((await page.textContent('#pl-changes-title')) === '今天的变更', `title: ${await page.textContent('#pl-changes-title')}`);
      const rows = await page.$$eval(`#pl-changes li[data-code="${code}"]`, (ls) => ls.map((l) => [l.querySelector('time').textContent, l.textContent]));
      // The two renames, and the grid's creation by this morning's demo load.
      assert(rows.length === 3 && rows[2][1].includes('新增'), `listed ${rows.length} changes of ${code}: ${rows.map((r) => r[1])}`);
      for (let i = 0; i < 2; i++) {
        assert(rows[i][0] === times[i][0], `change ${i}: time ${rows[i][0]}, the database ${times[i][0]}`);
        assert(rows[i][1].includes(times[i][1]) && rows[i][1].includes('planner') && rows[i][1].includes('修改'), `change ${i}: ${rows[i][1]}`);
      }
      // Newest first, and every change of the day is ordered by time.
      const all = await page.$$eval('#pl-changes li[data-at]', (ls) => ls.map((l) => l.dataset.at));
      assert(all.every((a, i) => i === 0 || Date.parse(a) <= Date.parse(all[i - 1])), 'the list is not newest first');
      await shot('history-today');
      const [newest, older] = await page.$$(`#pl-changes li[data-code="${code}"]`);
      // Just before the newest change: the first new name; just after: the second.
      await (await newest.$('button.before')).click();
      await page.waitForFunction(() => !document.getElementById('asof-banner').hidden);
      await idle(page);
      assert((await asOfName(page, code)) === `${original}（甲）`, `just before the second change: ${await asOfName(page, code)}`);
      assert((await page.textContent('#asof-banner')).includes(times[0][0].slice(0, 5)), `banner: ${await page.textContent('#asof-banner')}`);
      await (await newest.$('button.after')).click();
      await page.waitForFunction((n) => window.wangge.state.history?.features.some((f) => f.properties.name === n), `${original}（乙）`);
      // Just before the first change: the name as loaded.
      await (await older.$('button.before')).click();
      await page.waitForFunction(([c, n]) => window.wangge.state.history?.features.find((f) => f.properties.code === c)?.properties.name === n, [code, original]);
      // The map of the end of today (date and time fields) has both changes.
      const [[today]] = sql(server.dsn, `SELECT to_char(now() AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD')`);
      await page.fill('#pl-date', today);
      await page.click('#pl-asof');
      await page.waitForFunction((n) => window.wangge.state.history?.features.some((f) => f.properties.name === n), `${original}（乙）`);
      await page.click('#pl-now');
      await page.waitForFunction(() => document.getElementById('asof-banner').hidden && !window.wangge.state.history);
    },
  },
];
