// assessment: the leader's monthly grid worker assessment (网格员效能评价) —
// the ranking of a street's workers, each worker's items with the deductions
// and the records behind them, the grids coloured by score on the map, and
// the XLSX/CSV exports and closing of a month.
import { api, get } from './api.js';
import { t, onLang, applyTo, addStrings } from './i18n.js';
import { state, fitTo } from './gridmap.js';
import { showError, h } from './card.js';

addStrings({
  mode_assessment: ['效能评价', 'Assessment'],
  as_title: ['网格员效能评价', 'Grid worker assessment'],
  as_unit: ['街道', 'Street'],
  as_month: ['月份', 'Month'],
  as_rank: ['排名', 'Rank'],
  as_worker: ['网格员', 'Worker'],
  as_grid: ['网格', 'Grid'],
  as_score: ['得分', 'Score'],
  as_money: ['扣款(元)', 'Money (yuan)'],
  as_flags: ['末位', 'Bottom'],
  as_replace: ['须更换', 'replace'],
  as_state_open: ['未归档（按记录实时计算）', 'open (scored live from the records)'],
  as_state_closed: ['已归档', 'closed (frozen)'],
  as_rules: ['评分细则 {unit} 第 {v} 版', 'rules {unit} v{v}'],
  as_rules_default: ['默认', 'default'],
  as_close: ['归档本月', 'Close the month'],
  as_detail: ['{worker} 的扣分明细', 'Deductions of {worker}'],
  as_no_deductions: ['无扣分', 'nothing deducted'],
  as_item_max: ['满分 {n}', 'out of {n}'],
  as_export_xlsx: ['导出 Excel', 'Export XLSX'],
  as_export_csv: ['导出 CSV', 'Export CSV'],
  as_legend: ['地图颜色：得分 <60 · 60–80 · 80–90 · ≥90', 'map colours: score <60 · 60–80 · 80–90 · ≥90'],
  as_work_days: ['本月工作日 {n} 天', '{n} working days'],
});

const empty = () => ({ type: 'FeatureCollection', features: [] });
const COLOURS = ['#d62828', '#f77f00', '#fcbf49', '#2a9d8f']; // <60, 60–80, 80–90, ≥90
let month = null; // GET /api/assessment answer
let chosen = null; // worker_id of the drill-down

const val = (id) => /** @type {HTMLInputElement} */ (document.getElementById(id)).value;

/** initAssessment builds the panel (once). */
export function initAssessment() {
  const sec = h('section', { id: 'assessment-panel', class: 'mode-panel', hidden: '' },
    h('h2', { 'data-i18n': 'as_title' }),
    h('div', { class: 'actions' },
      h('label', {}, h('span', { 'data-i18n': 'as_unit' }), h('select', { id: 'as-unit' })),
      h('label', {}, h('span', { 'data-i18n': 'as_month' }), h('input', { id: 'as-month', type: 'month' }))),
    h('p', { id: 'as-state', class: 'muted' }),
    h('div', { class: 'actions' },
      h('a', { id: 'as-xlsx', class: 'button', 'data-i18n': 'as_export_xlsx' }),
      h('a', { id: 'as-csv', class: 'button', 'data-i18n': 'as_export_csv' }),
      h('button', { type: 'button', id: 'as-close', 'data-i18n': 'as_close' })),
    h('div', { id: 'as-table-wrap' }, h('table', { id: 'as-ranking', class: 'stats' })),
    h('div', { id: 'as-detail' }),
    h('p', { class: 'muted', 'data-i18n': 'as_legend' }));
  document.getElementById('panel').appendChild(sec);
  applyTo(sec);
  const now = new Date(Date.now() + 8 * 3600e3);
  const last = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
  /** @type {HTMLInputElement} */ (document.getElementById('as-month')).value = last.toISOString().slice(0, 7);
  document.getElementById('as-unit').onchange = () => load().catch(showError);
  document.getElementById('as-month').onchange = () => load().catch(showError);
  document.getElementById('as-close').onclick = () => closeMonth().catch(showError);
  onLang(() => render());
}

function ensureLayers() {
  const map = state.map;
  if (map.getSource('as-scores')) return;
  map.addSource('as-scores', { type: 'geojson', data: empty(), promoteId: 'code' });
  map.addLayer({ id: 'as-scores-fill', type: 'fill', source: 'as-scores', paint: {
    'fill-color': ['step', ['get', 'score'], COLOURS[0], 60, COLOURS[1], 80, COLOURS[2], 90, COLOURS[3]], 'fill-opacity': 0.7 } });
  map.addLayer({ id: 'as-scores-line', type: 'line', source: 'as-scores', paint: { 'line-color': '#333', 'line-width': 1 } });
}

/** enterAssessment shows the panel with the streets the user may read. */
export async function enterAssessment() {
  state.onClick = (e, f) => { if (f) pickGrid(f.properties.code); };
  ensureLayers();
  for (const l of ['as-scores-fill', 'as-scores-line']) state.map.setLayoutProperty(l, 'visibility', 'visible');
  const sel = /** @type {HTMLSelectElement} */ (document.getElementById('as-unit'));
  if (!sel.options.length) {
    const streets = await get('/api/grids?level=street');
    sel.replaceChildren(...streets.features.map((f) => h('option', { value: f.properties.code }, f.properties.name)));
  }
  await load();
}

/** leaveAssessment hides the score layers. */
export function leaveAssessment() {
  for (const l of ['as-scores-fill', 'as-scores-line']) if (state.map.getLayer(l)) state.map.setLayoutProperty(l, 'visibility', 'none');
}

function query() { return `unit=${encodeURIComponent(val('as-unit'))}&month=${encodeURIComponent(val('as-month'))}`; }

async function load() {
  if (!val('as-unit') || !val('as-month')) return;
  const q = query();
  const [m, grids] = await Promise.all([get(`/api/assessment?${q}`), get(`/api/grids?parent=${encodeURIComponent(val('as-unit'))}`)]);
  month = m;
  if (!month.workers.some((w) => w.worker_id === chosen)) chosen = month.workers[0]?.worker_id ?? null;
  /** @type {HTMLAnchorElement} */ (document.getElementById('as-xlsx')).href = `/api/assessment/export?${q}&format=xlsx`;
  /** @type {HTMLAnchorElement} */ (document.getElementById('as-csv')).href = `/api/assessment/export?${q}&format=csv`;
  const byGrid = new Map(month.workers.map((w) => [w.grid_code, w.score]));
  const feats = grids.features.filter((f) => byGrid.has(f.properties.code))
    .map((f) => ({ ...f, properties: { code: f.properties.code, score: byGrid.get(f.properties.code) } }));
  /** @type {any} */ (state.map.getSource('as-scores')).setData({ type: 'FeatureCollection', features: feats });
  if (feats.length) fitTo(feats.map((f) => f.geometry));
  render();
}

function pickGrid(code) {
  const w = month?.workers.find((x) => x.grid_code === code);
  if (w) { chosen = w.worker_id; render(); }
}

function render() {
  if (!month) return;
  const rulesUnit = month.rules_unit || t('as_rules_default');
  document.getElementById('as-state').textContent = [t(`as_state_${month.state}`), t('as_rules', { unit: rulesUnit, v: month.rules_version }),
    t('as_work_days', { n: month.work_days })].join(' · ');
  /** @type {HTMLButtonElement} */ (document.getElementById('as-close')).disabled = month.state === 'closed';
  const tbl = document.getElementById('as-ranking');
  tbl.replaceChildren(
    h('tr', {}, h('th', {}, t('as_rank')), h('th', {}, t('as_worker')), ...month.items.map((it) => h('th', { title: it.name }, it.name)),
      h('th', {}, t('as_score')), h('th', {}, t('as_money')), h('th', {}, t('as_flags'))),
    ...month.workers.map((w) => {
      const tr = h('tr', { 'data-worker': w.worker_id, class: [w.worker_id === chosen ? 'selected' : '', w.bottom ? 'under_target' : ''].join(' ').trim() },
        h('td', {}, w.rank), h('td', {}, w.worker), ...w.items.map((it) => h('td', { 'data-item': it.item }, it.points)),
        h('td', { class: 'score' }, w.score), h('td', {}, w.money),
        h('td', {}, w.bottom ? `${w.bottom_months}${w.replace ? ` · ${t('as_replace')}` : ''}` : ''));
      tr.onclick = () => { chosen = w.worker_id; render(); };
      return tr;
    }));
  renderDetail();
}

function renderDetail() {
  const box = document.getElementById('as-detail');
  const w = month.workers.find((x) => x.worker_id === chosen);
  if (!w) return box.replaceChildren();
  box.replaceChildren(h('h3', {}, t('as_detail', { worker: `${w.worker}（${w.grid_code}）` })),
    ...w.items.map((it) => h('div', { class: 'as-item', 'data-item': it.item },
      h('h4', {}, `${it.name}：${it.points}（${t('as_item_max', { n: it.max })}）`),
      it.deductions.length
        ? h('ul', {}, ...it.deductions.map((d) => h('li', { 'data-ref': d.ref },
          h('b', {}, String(d.points)), d.money ? ` · ¥${d.money}` : '', ' ', d.reason, ' ', h('code', {}, d.ref))))
        : h('p', { class: 'muted' }, t('as_no_deductions')))));
}

async function closeMonth() {
  await api('POST', '/api/assessment/close', { unit_code: val('as-unit'), month: val('as-month') });
  await load();
}
