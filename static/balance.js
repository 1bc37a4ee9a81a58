// balance (户数均衡): the planner's grids coloured by their households and
// people against the unit's target band (GET /api/balance: under, within,
// over; special grids are not bound), with the server's proposed split line
// drawn across each over-band grid, and one click from that line to the
// planner's split tool, which checks it and saves it through the confirm
// step with a reason like any split.
import { get } from './api.js';
import { t, addStrings, onLang } from './i18n.js';
import { h, showError, errorText } from './card.js';
import { showLegend } from './legend.js';
import { fitTo, state } from './gridmap.js';
import { overlay, clearOverlay } from './overlay.js';

addStrings({
  bal_title: ['户数均衡', 'Household balance'],
  bal_show: ['按目标户数着色', 'Colour grids against the target band'],
  bal_band: ['目标：{minh}–{maxh} 户，{minp}–{maxp} 人（基础网格）', 'Target: {minh}–{maxh} households, {minp}–{maxp} people (basic grids)'],
  bal_over: ['超出目标 {n} 个', 'Over the band: {n}'],
  bal_ok: ['在目标内 {n} 个', 'Within the band: {n}'],
  bal_under: ['低于目标 {n} 个', 'Under the band: {n}'],
  bal_na: ['专属网格（不适用）{n} 个', 'Special grids (not bound): {n}'],
  bal_split_line: ['建议拆分线', 'Proposed split line'],
  bal_grid: ['{name}（{code}）：{households} 户，{people} 人', '{name} ({code}): {households} households, {people} people'],
  bal_split_along: ['沿建议线拆分（两侧约 {a} / {b} 户）', 'Split along the line (about {a} / {b} households each side)'],
  bal_no_line: ['没有可用的建议线', 'no split line proposed'],
  bal_none_over: ['没有超出目标的网格', 'No grid is over the band'],
  bal_try: ['试算户数标准', 'Try another household band'],
  bal_try_apply: ['试算', 'Apply'],
  bal_try_reset: ['恢复本单位标准', 'Back to the unit\'s band'],
  bal_straight: ['直线建议：没有街巷横穿本网格并使两侧各占四成以上户数，线放在楼栋之间，使两侧户数相近', 'A straight line: no street crosses the grid leaving 40 % of the households on each side; it runs between buildings so each side gets about half'],
  bal_along_street: ['沿街巷“{street}”拆分', 'Along the street {street}'],
});

/** COLOURS fill a grid by its flag from the server. */
export const COLOURS = { over: '#d62828', ok: '#2a9d8f', under: '#4895ef', 'n/a': '#adb5bd' };
const FLAGS = ['over', 'ok', 'under', 'n/a'];
const FILL = ['match', ['get', 'flag'], ...FLAGS.flatMap((f) => [f, COLOURS[f]]), '#ffffff'];
const LINE = '#6a040f';

let answer = null; // the last GET /api/balance
let on = false;
/** @type {{splitAlong: (code: string, line: any) => Promise<void>}} */
let hooks = { splitAlong: () => Promise.resolve() };
const ui = {};

/**
 * initBalance adds the panel to the planner's; hooks.splitAlong(code, line)
 * starts the planner's split of grid code along line.
 * @param {HTMLElement} panel
 * @param {{splitAlong: (code: string, line: any) => Promise<void>}} h0
 */
export function initBalance(panel, h0) {
  hooks = h0;
  ui.on = h('input', { type: 'checkbox', id: 'bal-on', onchange: () => toggle(ui.on.checked).catch(showError) });
  ui.band = h('p', { id: 'bal-band', class: 'muted' });
  ui.counts = h('ul', { id: 'bal-counts', class: 'bal-counts' });
  ui.over = h('ul', { id: 'bal-over', class: 'bal-over' });
  ui.title = h('summary', {}, t('bal_title'));
  ui.label = h('span', {}, t('bal_show'));
  // A band to try (the server's min/max_households override the unit's, nothing is stored).
  ui.min = h('input', { id: 'bal-min', type: 'number', min: 0, step: 1, style: 'width:5rem' });
  ui.max = h('input', { id: 'bal-max', type: 'number', min: 0, step: 1, style: 'width:5rem' });
  ui.tryLabel = h('span', {}, t('bal_try'));
  ui.apply = h('button', { type: 'button', id: 'bal-apply', onclick: () => { ui.on.checked = true; toggle(true).catch(showError); } }, t('bal_try_apply'));
  ui.reset = h('button', { type: 'button', id: 'bal-reset', class: 'link', onclick: () => { ui.min.value = ''; ui.max.value = ''; if (on) toggle(true).catch(showError); } }, t('bal_try_reset'));
  panel.append(h('details', { id: 'pl-balance', class: 'pl-tool' }, ui.title, h('label', { class: 'gaps' }, ui.on, ' ', ui.label),
    h('div', { class: 'row' }, ui.tryLabel, ui.min, '–', ui.max, ui.apply, ui.reset), ui.band, ui.counts, ui.over));
  onLang(() => {
    ui.title.textContent = t('bal_title'); ui.label.textContent = t('bal_show'); ui.tryLabel.textContent = t('bal_try');
    ui.apply.textContent = t('bal_try_apply'); ui.reset.textContent = t('bal_try_reset');
    render();
  });
}

/** toggle loads the balance (afresh each time: grids change) and draws it, or hides it. */
async function toggle(show) {
  on = show;
  if (!show) { leaveBalance(); return; }
  const q = new URLSearchParams();
  if (ui.min.value !== '') q.set('min_households', ui.min.value);
  if (ui.max.value !== '') q.set('max_households', ui.max.value);
  let next;
  try {
    next = await get(`/api/balance${q.size ? `?${q}` : ''}`);
  } catch (e) {
    // A band refused (minimum above maximum): say so in the panel, keep the last answer.
    ui.band.replaceChildren(h('span', { class: 'warn', id: 'bal-error' }, errorText(e)));
    return;
  }
  if (!on) return;
  answer = next;
  const splits = answer.features.filter((f) => f.properties.split?.line).map((f) => ({
    type: 'Feature', geometry: f.properties.split.line, properties: { code: f.properties.code } }));
  overlay('bal', answer, [
    { id: 'bal-fill', type: 'fill', paint: { 'fill-color': FILL, 'fill-opacity': 0.6 } },
  ]);
  overlay('bal-split', { type: 'FeatureCollection', features: splits }, [
    { id: 'bal-split-line', type: 'line', paint: { 'line-color': LINE, 'line-width': 3, 'line-dasharray': [2, 1] } },
  ], '');
  render();
}

/**
 * balanceClick starts the split along a proposed line clicked on the map
 * (within a few pixels of it); false when no line is there.
 * @param {{point: {x: number, y: number}}} e a map click
 */
export function balanceClick(e) {
  const map = state.map;
  if (!on || !map.getLayer('bal-split-line')) return false;
  const f = map.queryRenderedFeatures([[e.point.x - 6, e.point.y - 6], [e.point.x + 6, e.point.y + 6]], { layers: ['bal-split-line'] })[0];
  const grid = f && answer?.features.find((g) => g.properties.code === f.properties.code);
  if (!grid?.properties.split?.line) return false;
  hooks.splitAlong(grid.properties.code, grid.properties.split.line).catch(showError);
  return true;
}

/** refreshBalance reloads a balance on show (after a save). */
export function refreshBalance() {
  if (on) toggle(true).catch(showError);
}

/** leaveBalance hides the layer (the planner mode is left, or the box unticked). */
export function leaveBalance() {
  on = false;
  if (ui.on) ui.on.checked = false;
  clearOverlay('bal');
  clearOverlay('bal-split');
  ui.band?.replaceChildren();
  ui.counts?.replaceChildren();
  ui.over?.replaceChildren();
  if (answer) showLegend(null);
  answer = null;
}

function render() {
  if (!answer || !on) return;
  const b = answer.band;
  ui.band.textContent = t('bal_band', { minh: b.min_households, maxh: b.max_households, minp: b.min_people, maxp: b.max_people });
  const n = Object.fromEntries(FLAGS.map((f) => [f, 0]));
  for (const f of answer.features) n[f.properties.flag] = (n[f.properties.flag] || 0) + 1;
  const key = { over: 'bal_over', ok: 'bal_ok', under: 'bal_under', 'n/a': 'bal_na' };
  ui.counts.replaceChildren(...FLAGS.map((f) => h('li', { 'data-flag': f, 'data-n': n[f] }, h('i', { style: `--c:${COLOURS[f]}` }), t(key[f], { n: n[f] }))));
  const keys = FLAGS.map((f) => ({ colour: COLOURS[f], label: t(key[f], { n: n[f] }) }));
  showLegend([...keys, { colour: LINE, label: t('bal_split_line'), shape: /** @type {'line'} */ ('line') }]);
  const over = answer.features.filter((f) => f.properties.flag === 'over');
  ui.over.replaceChildren(...(over.length ? over.map(overItem) : [h('li', { class: 'muted' }, t('bal_none_over'))]));
}

function overItem(f) {
  const p = f.properties, s = p.split;
  return h('li', { 'data-code': p.code },
    h('a', { href: '#', onclick: (e) => { e.preventDefault(); fitTo([f.geometry], { maxZoom: 17, padding: 60 }); } }, t('bal_grid', p)),
    s?.line
      ? [h('button', { type: 'button', class: 'split-along', onclick: () => hooks.splitAlong(p.code, s.line).catch(showError) },
        t('bal_split_along', { a: s.households?.[0] ?? '?', b: s.households?.[1] ?? '?' })),
      h('div', { class: 'muted street' }, s.street_aligned ? t('bal_along_street', { street: s.street }) : t('bal_straight'))]
      : h('div', { class: 'muted' }, t('bal_no_line')));
}
