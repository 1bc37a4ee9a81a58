// Grid search (#19): a planner finds a grid by name, the map flies to it and
// it is the selected grid for an edit; an officer on a phone finds one by
// code in the map mode and gets its card. Expected grids come from the database.
import { assert, idle, login, sql } from '../helpers.mjs';

// centreInView tells whether the grid's bounding-box centre is on screen and the view is zoomed to it.
async function flownTo(page, code, server) {
  const [[x0, y0, x1, y1]] = sql(server.dsn, `SELECT ST_XMin(geom), ST_YMin(geom), ST_XMax(geom), ST_YMax(geom) FROM units WHERE code = '${code}'`);
  return page.evaluate(([a, b, c, d]) => {
    const m = window.wangge.state.map, v = m.getBounds();
    const cx = (a + c) / 2, cy = (b + d) / 2;
    // On screen, and the grid fills a fair part of the view (not the whole district).
    return v.contains([cx, cy]) && (c - a) > (v.getEast() - v.getWest()) / 8;
  }, [x0, y0, x1, y1].map(Number));
}

export const tests = [
  {
    name: 'gridsearch: the planner types a grid name, picks it from the list, the map flies there and the grid is selected for editing',
    async run({ page, server, shot }) {
      // A grid far from the first one, and a name shared by several (…第3网格 in every community).
      const [[code, name, community]] = sql(server.dsn, `SELECT g.code, g.name, c.name FROM units g JOIN units c ON c.code = g.parent_code
        WHERE g.level = 4 AND g.kind = 'basic' ORDER BY g.code DESC LIMIT 1`);
      await login(page, server, 'planner');
      assert(await page.isVisible('#grid-search'), 'no search box in the planner mode');
      assert(!(await flownTo(page, code, server)), 'the map starts zoomed to the grid already');
      const suffix = name.slice(community.length); // 第N网格
      await page.fill('#gs-q', `${community} ${suffix}`);
      await page.waitForSelector(`#gs-results button[data-code="${code}"]`);
      const listed = await page.$$eval('#gs-results button', (bs) => bs.map((b) => b.dataset.code));
      const [[want]] = sql(server.dsn, `SELECT count(*) FROM units WHERE level >= 2 AND strpos(name, '${community}') > 0 AND strpos(name, '${suffix}') > 0`);
      assert(listed.length === Math.min(10, Number(want)), `listed ${listed.length}, the database has ${want}`);
      await shot('gridsearch-planner');
      await page.click(`#gs-results button[data-code="${code}"]`);
      await page.waitForFunction((n) => document.getElementById('pl-hint').textContent.includes(n), name);
      await page.waitForSelector('#card:not([hidden])');
      assert((await page.textContent('#card')).includes(name), 'the card is not the chosen grid');
      await idle(page);
      assert(await flownTo(page, code, server), 'the map did not fly to the chosen grid');
      assert((await page.$$('#gs-results li')).length === 0, 'the list stays open after the choice');
      // Selected for editing: Edit boundary starts on it (without a selected grid it does nothing).
      await page.click('#pl-edit');
      await page.waitForFunction(() => document.getElementById('pl-hint').textContent.includes('拖动顶点'));
      assert(!(await page.isDisabled('#pl-check')), 'the check stays disabled: no edit started on the chosen grid');
      // A query that matches nothing says so, in Chinese.
      await page.click('#pl-cancel');
      await page.fill('#gs-q', '不存在的网格名称');
      await page.waitForFunction(() => document.getElementById('gs-status').textContent === '没有找到');
      assert((await page.$$('#gs-results li')).length === 0, 'results shown for a name that matches nothing');
    },
  },
  {
    name: 'gridsearch: an officer on a phone finds a grid by its code in the map mode and gets its card',
    viewport: { width: 390, height: 844 },
    touch: true,
    async run({ page, server, shot }) {
      const [[code, name]] = sql(server.dsn, `SELECT code, name FROM units WHERE level = 4 ORDER BY code OFFSET 30 LIMIT 1`);
      await login(page, server, 'officer');
      assert(await page.isHidden('#grid-search'), 'the search box shows in the lookup mode');
      await page.tap('#modes button[data-mode=map]');
      await page.waitForSelector('#grid-search:not([hidden])');
      const box = await page.locator('#grid-search').boundingBox();
      assert(box && box.x >= 0 && box.x + box.width <= 390, `the search box leaves the phone screen: ${JSON.stringify(box)}`);
      await page.fill('#gs-q', code);
      await page.waitForSelector(`#gs-results button[data-code="${code}"]`);
      assert((await page.getAttribute('#gs-results li:first-child button', 'data-code')) === code, 'the exact code is not the first result');
      await page.tap(`#gs-results button[data-code="${code}"]`);
      await page.waitForFunction((n) => !document.getElementById('card').hidden && document.getElementById('card').textContent.includes(n), name);
      await idle(page);
      assert(await flownTo(page, code, server), 'the map did not fly to the grid');
      await shot('gridsearch-phone');
    },
  },
];
