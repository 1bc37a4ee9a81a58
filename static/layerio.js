// layerio (导入 / 导出 / 覆盖检查): the planner's grid layer in and out.
// Import: a GeoJSON or zipped Shapefile is sent as a dry run first
// (POST /api/layers/import, dry_run=true); the server's defect report (bad
// rows, gaps, overlaps, slivers, invalid rings…) is listed and drawn in red
// where the server says, and a click on one flies to it. Only a clean report
// lets the same file be loaded, with a reason for the history (the server
// checks again and refuses a layer with defects). Export: the grids of the
// unit chosen as GeoJSON or a zipped Shapefile (GET /api/layers/export), a
// download. Check: the stored coverage of a unit (GET /api/validation), its
// defects listed and drawn the same way.
import { api, get } from './api.js';
import { t, addStrings, onLang } from './i18n.js';
import { h, showError, errorText } from './card.js';
import { state, TILESETS, refreshTiles } from './gridmap.js';
import { labelPoint, polygons } from './geometry.js';
import { overlay, clearOverlay } from './overlay.js';

addStrings({
  io_import: ['导入图层', 'Import a layer'],
  io_file: ['文件（GeoJSON 或压缩的 Shapefile）', 'File (GeoJSON or zipped Shapefile)'],
  io_crs: ['坐标系', 'Coordinates'],
  io_crs_auto: ['按文件（默认 WGS-84）', 'as the file says (default WGS-84)'],
  io_code_field: ['编码字段', 'Code attribute'],
  io_name_field: ['名称字段', 'Name attribute'],
  io_check: ['检查（不写入）', 'Check (nothing saved)'],
  io_apply: ['导入', 'Import'],
  io_reason: ['导入原因', 'Reason for the import'],
  io_reason_required: ['请填写导入原因（写入历史记录）', 'Give a reason (it goes into the history)'],
  io_summary: ['{features} 个要素，涉及社区 {parents}；无效要素 {bad} 个，缺陷 {defects} 个', '{features} features, communities {parents}; bad features {bad}, defects {defects}'],
  io_clean: ['检查通过：可以导入（所列社区的网格将整体替换）', 'Clean: it can be imported (the grids of the communities listed are replaced whole)'],
  io_dirty: ['有缺陷，不能导入：请修正文件后重新检查', 'Defects found: fix the file and check again before importing'],
  io_warnings: ['已去除重复顶点 {n} 处', 'Repeated vertices dropped: {n}'],
  io_loaded: ['已导入：{counts}', 'Imported: {counts}'],
  io_counts: ['{code} 新增 {Inserted}、修改 {Updated}、删除 {Deleted}', '{code} {Inserted} added, {Updated} changed, {Deleted} removed'],
  io_moved: ['移动楼栋 {buildings} 栋、住户 {households} 户', '{buildings} buildings and {households} households moved'],
  io_failed: ['导入失败：{msg}', 'Import failed: {msg}'],
  io_feature: ['要素 #{n}', 'feature #{n}'],
  io_export: ['导出图层', 'Export the layer'],
  io_unit: ['范围', 'Unit'],
  io_unit_all: ['本辖区全部网格', 'All grids in your unit'],
  io_format: ['格式', 'Format'],
  io_download: ['下载', 'Download'],
  io_validate: ['覆盖检查（缝隙、重叠）', 'Check coverage (gaps, overlaps)'],
  io_validate_none: ['没有发现缺陷', 'No defects found'],
  io_validate_n: ['发现 {n} 处缺陷', '{n} defects found'],
  defect_bad_row: ['无效要素', 'bad feature'],
  defect_invalid_geometry: ['无效几何', 'invalid geometry'],
  defect_invalid_edge: ['无效边（自相交、环未闭合）', 'invalid edge (self-crossing, ring not closed)'],
  defect_outside_parent: ['超出上级范围', 'outside the parent'],
  defect_sliver: ['细缝', 'sliver'],
  defect_repeated_vertex: ['重复顶点', 'repeated vertex'],
});

const RED = '#d00000';
const ui = {};
let checked = null; // {file, form fields, report} of the last dry run

/** initLayerIO adds the import, export and coverage-check panels to the planner's. */
export function initLayerIO(panel) {
  ui.file = h('input', { type: 'file', id: 'io-file', accept: '.geojson,.json,.zip', onchange: stale });
  ui.crs = h('select', { id: 'io-crs', onchange: stale }, h('option', { value: '', 'data-t': 'io_crs_auto' }, t('io_crs_auto')),
    ...['wgs84', 'cgcs2000', 'gcj02', 'bd09'].map((c) => h('option', { value: c }, c.toUpperCase())));
  ui.codeField = h('input', { id: 'io-code-field', size: 8, placeholder: 'code', oninput: stale });
  ui.nameField = h('input', { id: 'io-name-field', size: 8, placeholder: 'name', oninput: stale });
  ui.check = h('button', { type: 'button', id: 'io-check', class: 'primary', onclick: () => dryRun().catch(showError) }, t('io_check'));
  ui.reason = h('textarea', { id: 'io-reason', rows: 2, maxlength: 500, oninput: reasonChanged });
  ui.need = h('p', { id: 'io-reason-need', class: 'warn' }, t('io_reason_required'));
  ui.apply = h('button', { type: 'button', id: 'io-apply', class: 'primary', disabled: '', onclick: () => apply().catch(showError) }, t('io_apply'));
  ui.applyBox = h('div', { id: 'io-apply-box', hidden: '' }, h('label', { class: 'reason' }, h('span', {}, t('io_reason')), ui.reason), ui.need, ui.apply);
  ui.out = h('div', { id: 'io-result' });
  const imp = h('details', { id: 'pl-import', class: 'pl-tool' }, h('summary', { 'data-t': 'io_import' }, t('io_import')),
    h('label', {}, h('span', { 'data-t': 'io_file' }, t('io_file')), ui.file),
    h('label', {}, h('span', { 'data-t': 'io_crs' }, t('io_crs')), ui.crs),
    h('div', { class: 'row' }, h('span', { 'data-t': 'io_code_field' }, t('io_code_field')), ui.codeField, h('span', { 'data-t': 'io_name_field' }, t('io_name_field')), ui.nameField),
    ui.check, ui.out, ui.applyBox);

  ui.unit = h('select', { id: 'io-unit' });
  ui.format = h('select', { id: 'io-format' }, h('option', { value: 'geojson' }, 'GeoJSON'), h('option', { value: 'shapefile' }, 'Shapefile (.zip)'));
  ui.download = h('a', { id: 'io-download', class: 'button', href: '#', download: '', onclick: () => { ui.download.href = exportURL(); } }, t('io_download'));
  ui.validate = h('button', { type: 'button', id: 'io-validate', onclick: () => validate().catch(showError) }, t('io_validate'));
  ui.vout = h('div', { id: 'io-validation' });
  const exp = h('details', { id: 'pl-export', class: 'pl-tool', ontoggle: fillUnits }, h('summary', { 'data-t': 'io_export' }, t('io_export')),
    h('label', {}, h('span', { 'data-t': 'io_unit' }, t('io_unit')), ui.unit),
    h('label', {}, h('span', { 'data-t': 'io_format' }, t('io_format')), ui.format),
    ui.download, ' ', ui.validate, ui.vout);
  panel.append(imp, exp);
  onLang(() => {
    for (const el of [imp, exp]) for (const s of el.querySelectorAll('[data-t]')) s.textContent = t(/** @type {HTMLElement} */ (s).dataset.t);
    ui.check.textContent = t('io_check'); ui.apply.textContent = t('io_apply'); ui.need.textContent = t('io_reason_required');
    ui.download.textContent = t('io_download'); ui.validate.textContent = t('io_validate');
    if (ui.unit.options.length) ui.unit.options[0].textContent = t('io_unit_all');
    if (checked) renderReport(checked.report);
  });
}

/** exportURL is the download of the chosen unit's grids in the chosen format. */
function exportURL() {
  const q = new URLSearchParams({ format: ui.format.value });
  if (ui.unit.value) q.set('parent', ui.unit.value);
  return `/api/layers/export?${q}`;
}

// fillUnits offers the communities in the loaded tiles (the export's and the check's unit).
function fillUnits() {
  const seen = new Map();
  for (const f of state.map.querySourceFeatures('units-community', { sourceLayer: TILESETS.community })) seen.set(f.properties.code, f.properties.name);
  const had = ui.unit.value;
  ui.unit.replaceChildren(h('option', { value: '' }, t('io_unit_all')),
    ...[...seen].sort((a, b) => a[1].localeCompare(b[1], 'zh')).map(([code, name]) => h('option', { value: code }, `${name}（${code}）`)));
  if (had && seen.has(had)) ui.unit.value = had;
}

function stale() {
  checked = null;
  ui.applyBox.hidden = true;
  ui.apply.disabled = true;
}

function reasonChanged() {
  const ok = ui.reason.value.trim() !== '';
  ui.need.hidden = ok;
  ui.apply.disabled = !ok || !checked || !clean(checked.report);
}

const clean = (r) => r.bad_rows === 0 && !(r.defects?.features || []).length;

function form(dry) {
  const f = new FormData();
  f.append('file', ui.file.files[0]);
  f.append('dry_run', String(dry));
  if (ui.crs.value) f.append('source_crs', ui.crs.value);
  if (ui.codeField.value.trim()) f.append('code_field', ui.codeField.value.trim());
  if (ui.nameField.value.trim()) f.append('name_field', ui.nameField.value.trim());
  if (!dry) f.append('reason', ui.reason.value.trim());
  return f;
}

async function dryRun() {
  stale();
  clearDefects();
  if (!ui.file.files?.length) { ui.file.focus(); return; }
  let report;
  try {
    report = await api('POST', '/api/layers/import', form(true));
  } catch (e) {
    ui.out.replaceChildren(h('p', { class: 'warn refused' }, t('io_failed', { msg: errorText(e) })));
    if (e.details?.features) showDefects(ui.out, e.details.features, false);
    return;
  }
  checked = { report };
  renderReport(report);
}

function renderReport(r) {
  const defects = r.defects?.features || [];
  ui.out.replaceChildren(
    h('p', { id: 'io-summary' }, t('io_summary', { features: r.features, parents: (r.parents || []).join('、') || '—', bad: r.bad_rows, defects: defects.length })),
    h('p', { class: clean(r) ? 'ok' : 'warn', id: 'io-verdict' }, clean(r) ? t('io_clean') : t('io_dirty')),
    (r.warnings?.features || []).length ? h('p', { class: 'muted' }, t('io_warnings', { n: r.warnings.features.length })) : '');
  showDefects(ui.out, defects, true);
  ui.applyBox.hidden = !clean(r);
  reasonChanged();
}

async function apply() {
  if (!checked || !clean(checked.report) || !ui.reason.value.trim()) return;
  let r;
  try {
    // A retry of the same import (a lost answer) is answered once, not loaded twice.
    r = await api('POST', '/api/layers/import', form(false), { 'Idempotency-Key': crypto.randomUUID() });
  } catch (e) {
    // The server checks again: a layer that changed meanwhile is refused with its defects.
    stale();
    ui.out.replaceChildren(h('p', { class: 'warn refused' }, t('io_failed', { msg: errorText(e) })));
    if (e.details?.features) showDefects(ui.out, e.details.features, false);
    return;
  }
  stale();
  ui.reason.value = '';
  const counts = Object.entries(r.counts || {}).map(([code, c]) => t('io_counts', { code, ...c })).join('；');
  ui.out.replaceChildren(h('p', { class: 'ok', id: 'io-loaded' }, t('io_loaded', { counts })), h('p', { class: 'muted' }, t('io_moved', r.moved)));
  // The communities replaced: their tiles are fetched again.
  const geoms = await Promise.all((r.parents || []).map((p) => get(`/api/grids/${p}`).then((u) => u.geometry).catch(() => null)));
  refreshTiles(geoms.filter(Boolean));
}

async function validate() {
  fillUnits();
  const parent = ui.unit.value || (await get('/api/me')).unit_code;
  let fc;
  try {
    fc = await get(`/api/validation?parent=${encodeURIComponent(parent)}`);
  } catch (e) {
    ui.vout.replaceChildren(h('p', { class: 'warn' }, errorText(e)));
    return;
  }
  ui.vout.replaceChildren(h('p', {}, fc.features.length ? t('io_validate_n', { n: fc.features.length }) : t('io_validate_none')));
  clearDefects();
  showDefects(ui.vout, fc.features, false);
}

/** defectText is a defect's kind, size (m², m) and the server's message. */
export function defectText(p) {
  const key = `defect_${p.kind}`;
  const kind = t(key) !== key ? t(key) : p.kind || '';
  const unit = (p.unit || '').replace(/^m2$/, 'm²');
  const size = p.size ? ` ${Number(p.size).toLocaleString('en', { maximumFractionDigits: 1 })} ${unit}` : '';
  const where = [(p.codes || []).join('、'), (p.features || []).map((n) => t('io_feature', { n })).join('、')].filter(Boolean).join(' · ');
  return `${kind}${size}${where ? `（${where}）` : ''}${p.message ? ` — ${p.message}` : ''}`;
}

// spot is where a defect is: its label point (polygons), its first point, or null (no geometry).
function spot(g) {
  if (!g) return null;
  if (g.type === 'GeometryCollection') return g.geometries.map(spot).find(Boolean) || null;
  if (g.type === 'Point') return g.coordinates;
  if (polygons(g).length) return labelPoint(g);
  const flat = JSON.stringify(g.coordinates || []).match(/-?\d+(\.\d+)?(e-?\d+)?/g);
  return flat && flat.length >= 2 ? [Number(flat[0]), Number(flat[1])] : null;
}

/** showDefects lists the defects under box and draws them; a click on one flies to it. */
function showDefects(box, features, fromFile) {
  const drawn = features.map((f, i) => ({ ...f, properties: { ...f.properties, i } }));
  overlay('io-defects', { type: 'FeatureCollection', features: drawn }, [
    { id: 'io-defects-fill', type: 'fill', filter: ['==', ['geometry-type'], 'Polygon'], paint: { 'fill-color': RED, 'fill-opacity': 0.5 } },
    { id: 'io-defects-line', type: 'line', paint: { 'line-color': RED, 'line-width': 3 } },
    { id: 'io-defects-point', type: 'circle', filter: ['==', ['geometry-type'], 'Point'], paint: { 'circle-color': RED, 'circle-radius': 7, 'circle-stroke-color': '#fff', 'circle-stroke-width': 2 } },
  ], '');
  if (!features.length) return;
  box.append(h('ol', { class: `defects io-defects${fromFile ? ' from-file' : ''}` }, features.map((f, i) => {
    const at = spot(f.geometry);
    return h('li', { 'data-i': i, 'data-kind': f.properties.kind, 'data-at': at ? at.join(',') : '' },
      at ? h('a', { href: '#', onclick: (e) => { e.preventDefault(); state.map.flyTo({ center: at, zoom: Math.max(state.map.getZoom(), 17), duration: 300 }); } }, defectText(f.properties))
        : defectText(f.properties));
  })));
}

function clearDefects() {
  clearOverlay('io-defects');
}

/** leaveLayerIO drops the drawn defects and the checked import (the planner mode is left). */
export function leaveLayerIO() {
  stale();
  clearDefects();
  ui.out?.replaceChildren();
  ui.vout?.replaceChildren();
}
