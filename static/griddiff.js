// griddiff (变更对比): a grid's or unit's shapes at two times side by side
// (GET /api/history/diff?from=&to=&parent=): the shape before dashed, after
// outlined, the area each grid gained in green and lost in red, with the
// server's figures (area before → after, m² gained and lost, the households
// registered in buildings there). Opened from its form or from a change in
// the day's history list (just before that change → just after it).
import { get } from './api.js';
import { t, addStrings, onLang } from './i18n.js';
import { h, showError, errorText } from './card.js';
import { fitTo } from './gridmap.js';
import { formatArea } from './geometry.js';
import { overlay, clearOverlay } from './overlay.js';

addStrings({
  df_title: ['变更对比', 'Compare two times'],
  df_unit: ['网格或社区编码（空：本辖区）', 'grid or community code (empty: your whole unit)'],
  df_selected: ['用所选网格', 'Use the selected grid'],
  df_from: ['从', 'From'],
  df_to: ['到（空：现在）', 'To (empty: now)'],
  df_run: ['对比', 'Compare'],
  df_none: ['这段时间没有网格变化', 'No grid changed in between'],
  df_failed: ['对比失败：{msg}', 'Compare failed: {msg}'],
  df_added: ['新增', 'added'],
  df_removed: ['删除', 'removed'],
  df_changed: ['修改', 'changed'],
  df_row: ['{name}（{code}）{change}：{before} → {after}（{delta}）', '{name} ({code}) {change}: {before} → {after} ({delta})'],
  df_gain_loss: ['增加 {added}，减少 {removed}；户数 +{hg} / −{hl}', 'gained {added}, lost {removed}; households +{hg} / −{hl}'],
  df_households_note: ['户数：现登记在增加或减少区域内楼栋的住户', 'households: those registered now in buildings in the area gained or lost'],
  df_key_added: ['增加的区域', 'Area gained'],
  df_key_removed: ['减少的区域', 'Area lost'],
  df_key_before: ['变更前边界', 'Boundary before'],
  df_key_after: ['变更后边界', 'Boundary after'],
  df_compare: ['对比', 'compare'],
});

export const ADDED = '#2b9348', REMOVED = '#d00000';
const ui = {};
let hooks = { selected: () => /** @type {string|null} */ (null) };
let last = null; // {query, features}

/**
 * initDiff adds the panel; hooks.selected() is the planner's selected grid code.
 * @param {HTMLElement} panel
 * @param {{selected: () => string|null}} h0
 */
export function initDiff(panel, h0) {
  hooks = h0;
  ui.code = h('input', { id: 'df-code', size: 16, placeholder: t('df_unit') });
  ui.from = h('input', { id: 'df-from', type: 'datetime-local', step: 1 });
  ui.to = h('input', { id: 'df-to', type: 'datetime-local', step: 1 });
  ui.out = h('div', { id: 'df-result' });
  ui.title = h('summary', {}, t('df_title'));
  ui.sel = h('button', { type: 'button', id: 'df-selected', onclick: () => { ui.code.value = hooks.selected() || ''; } }, t('df_selected'));
  ui.run = h('button', { type: 'button', id: 'df-run', class: 'primary', onclick: () => runForm().catch(showError) }, t('df_run'));
  ui.lfrom = h('span', {}, t('df_from'));
  ui.lto = h('span', {}, t('df_to'));
  ui.box = h('details', { id: 'pl-diff', class: 'pl-tool' }, ui.title,
    h('div', { class: 'row' }, ui.code, ui.sel),
    h('label', {}, ui.lfrom, ui.from), h('label', {}, ui.lto, ui.to), ui.run, ui.out);
  panel.append(ui.box);
  onLang(() => {
    ui.title.textContent = t('df_title'); ui.sel.textContent = t('df_selected'); ui.run.textContent = t('df_run');
    ui.lfrom.textContent = t('df_from'); ui.lto.textContent = t('df_to'); ui.code.placeholder = t('df_unit');
    if (last) render();
  });
}

// China time: the form's fields are local times in China (+08:00), whatever the browser's zone.
const cst = (v) => (v ? `${v.length === 16 ? `${v}:00` : v}+08:00` : '');
const fieldOf = (iso) => new Date(Date.parse(iso) + 8 * 3600e3).toISOString().slice(0, 19);

async function runForm() {
  if (!ui.from.value) { ui.from.focus(); return; }
  await showDiff({ parent: ui.code.value.trim(), from: cst(ui.from.value), to: cst(ui.to.value) });
}

/**
 * showDiff asks the server for the changes between from and to (RFC 3339;
 * to empty: now) under parent (a unit code, or empty) and draws them.
 * @param {{parent?: string, from: string, to?: string}} q
 */
export async function showDiff(q) {
  ui.box.open = true;
  ui.code.value = q.parent || '';
  ui.from.value = fieldOf(q.from);
  ui.to.value = q.to ? fieldOf(q.to) : '';
  const params = new URLSearchParams({ from: q.from });
  if (q.to) params.set('to', q.to);
  if (q.parent) params.set('parent', q.parent);
  let fc;
  try {
    fc = await get(`/api/history/diff?${params}`);
  } catch (e) {
    last = null;
    clearDiff();
    ui.out.replaceChildren(h('p', { class: 'warn' }, t('df_failed', { msg: errorText(e) })));
    return;
  }
  last = { query: q, features: fc.features };
  const feats = [];
  for (const f of fc.features) {
    const p = f.properties;
    if (p.before) feats.push({ type: 'Feature', geometry: p.before, properties: { code: p.code, part: 'before' } });
    if (p.after) feats.push({ type: 'Feature', geometry: p.after, properties: { code: p.code, part: 'after' } });
    if (p.added) feats.push({ type: 'Feature', geometry: p.added, properties: { code: p.code, part: 'added', m2: p.added_m2 } });
    if (p.removed) feats.push({ type: 'Feature', geometry: p.removed, properties: { code: p.code, part: 'removed', m2: p.removed_m2 } });
  }
  const part = (x) => ['==', ['get', 'part'], x];
  overlay('diff', { type: 'FeatureCollection', features: feats }, [
    // Lost under gained: the area one grid gives up is the area its neighbour takes (green, outlined red).
    { id: 'diff-removed', type: 'fill', filter: part('removed'), paint: { 'fill-color': REMOVED, 'fill-opacity': 0.3 } },
    { id: 'diff-added', type: 'fill', filter: part('added'), paint: { 'fill-color': ADDED, 'fill-opacity': 0.55 } },
    { id: 'diff-removed-line', type: 'line', filter: part('removed'), paint: { 'line-color': REMOVED, 'line-width': 2, 'line-dasharray': [1, 1] } },
    { id: 'diff-before', type: 'line', filter: part('before'), paint: { 'line-color': '#495057', 'line-width': 2, 'line-dasharray': [2, 2] } },
    { id: 'diff-after', type: 'line', filter: part('after'), paint: { 'line-color': '#1d4ed8', 'line-width': 3 } },
  ], '');
  const geoms = fc.features.flatMap((f) => [f.properties.before, f.properties.after]).filter(Boolean);
  if (geoms.length) fitTo(geoms, { maxZoom: 17, padding: 60 });
  render();
}

function render() {
  const signed = (d) => `${d >= 0 ? '+' : '−'}${formatArea(Math.abs(d))}`;
  const rows = last.features.map((f) => {
    const p = f.properties;
    const before = p.area_before_m2 ?? 0, after = p.area_after_m2 ?? 0;
    return h('li', { 'data-code': p.code, 'data-change': p.change, 'data-added-m2': Math.round(p.added_m2 || 0), 'data-removed-m2': Math.round(p.removed_m2 || 0),
      'data-households-gained': p.households_gained, 'data-households-lost': p.households_lost },
    h('a', { href: '#', onclick: (e) => { e.preventDefault(); fitTo([p.after || p.before], { maxZoom: 17, padding: 60 }); } },
      t('df_row', { name: p.name, code: p.code, change: t(`df_${p.change}`), before: formatArea(before), after: formatArea(after), delta: signed(after - before) })),
    h('div', { class: 'muted' }, t('df_gain_loss', { added: formatArea(p.added_m2 || 0), removed: formatArea(p.removed_m2 || 0), hg: p.households_gained, hl: p.households_lost })));
  });
  ui.out.replaceChildren(
    rows.length ? h('ul', { class: 'df-rows' }, rows) : h('p', { class: 'muted' }, t('df_none')),
    rows.length ? h('p', { class: 'muted' }, t('df_households_note')) : '',
    rows.length ? h('ul', { class: 'bal-counts' }, [['df_key_added', ADDED], ['df_key_removed', REMOVED], ['df_key_before', '#495057'], ['df_key_after', '#1d4ed8']]
      .map(([k, c]) => h('li', {}, h('i', { style: `--c:${c}` }), t(k)))) : '');
}

/** clearDiff removes the drawing (the planner mode is left). */
export function clearDiff() {
  clearOverlay('diff');
}

/** leaveDiff forgets the answer and its drawing. */
export function leaveDiff() {
  last = null;
  clearDiff();
  ui.out?.replaceChildren();
}

/**
 * compareButton is the history list's button for one change: the diff of
 * its grid's community from just before it to its time.
 * @param {{code: string, at: string}} c
 */
export function compareButton(c) {
  const before = new Date(Date.parse(c.at) - 1).toISOString();
  // A grid's community: an adjust-mode edit changes its neighbours at the same time.
  const parent = c.code.length === 15 ? c.code.slice(0, 12) : c.code;
  return h('button', { type: 'button', class: 'compare', onclick: () => showDiff({ parent, from: before, to: c.at }).catch(showError) }, t('df_compare'));
}
