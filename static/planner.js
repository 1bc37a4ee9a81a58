// planner: boundary editing with terra-draw (its MapLibre adapter) — move
// vertices of a grid, draw a new grid, split with a line, merge, delete.
// Nothing is saved without the server's check: a dry run first, whose
// defects (gaps, overlaps, invalid geometry) are drawn in red with their
// size, and whose adjust-mode preview shows what each neighbour loses or
// gains; only then "confirm and save" sends the same request for real.
// Every step of a drawing or an edit can be undone (terra-draw's own
// undo/redo history: the button, Ctrl+Z, Ctrl+Shift+Z/Ctrl+Y to redo), and
// saving goes through a confirm step that sums up the checked answer (grids
// touched, their area change in m², households moved) with the change reason.
// History: the grid map as of a date and time (GET /api/history/grids?as_of=),
// and the day's changes by time (GET /api/history/changes), each one step
// away from the map just before or just after it.
// The map itself is vector tiles: the planner fetches the GeoJSON of the
// selected grid and of the grids around the edit (for snapping) only, and
// after a save refreshes just the tiles under the old and new shapes.
import { api, get, ApiError } from './api.js';
import { t, onLang } from './i18n.js';
import { state, loadUnits, select, refreshTiles, fitTo, TILESETS, tileLayer } from './gridmap.js';
import { gapsLayer } from './gaps.js';
import { showLegend, defaultKeys } from './legend.js';
import { area, bbox, formatArea, labelPoint, onGrid, polygons } from './geometry.js';
import { showCard, hideCard, showError, errorText, h } from './card.js';
import { liveCheck, clearLive } from './livecheck.js';
import { initTools, leaveTools, afterSave, compareButton, balanceClick } from './plannertools.js';

const SNAP_PX = 12;
// BUILDINGS draws the footprints in the planner (grey, outlined), as the display does.
const BUILDINGS = { type: 'fill', paint: { 'fill-color': '#adb5bd', 'fill-outline-color': '#495057', 'fill-opacity': 0.7 } };
const ui = {}; // elements by id
let draw = null;
let op = null;            // 'edit' | 'new' | 'split' | 'merge' | 'delete'
let target = null;        // the selected grid (GET /api/grids/{code}: full geometry and version)
let nearby = [];          // grids around the edit (GET /api/grids?bbox=), for snapping
const names = new Map();  // code → name of grids clicked, for the merge list
let drawId = null;        // terra-draw feature being edited/drawn
let mergeSet = [];
const mergeVersions = new Map(); // code → version, read when the grid was picked for a merge
let pending = null;       // the last checked request, replayed by save
let markers = [];
let lastResult = null;
let session = null;       // terra-draw's session undo history
let editBase = 0;         // its size when the grid being edited was added

/** initPlanner wires the planner panel. */
export function initPlanner() {
  for (const id of ['pl-hint', 'pl-edit', 'pl-new', 'pl-split', 'pl-merge', 'pl-delete', 'pl-check', 'pl-save', 'pl-cancel',
    'pl-result', 'pl-new-form', 'pl-name', 'pl-kind', 'pl-parent', 'pl-date', 'pl-asof', 'pl-now', 'pl-undo', 'pl-reason',
    'pl-confirm', 'pl-confirm-summary', 'pl-confirm-save', 'pl-confirm-back', 'pl-confirm-need', 'pl-time', 'pl-changes',
    'pl-changes-title', 'pl-changes-refresh', 'pl-live']) ui[id] = document.getElementById(id);
  ui['pl-edit'].onclick = () => start('edit');
  ui['pl-new'].onclick = () => start('new');
  ui['pl-split'].onclick = () => start('split');
  ui['pl-merge'].onclick = () => start('merge');
  ui['pl-delete'].onclick = () => start('delete');
  ui['pl-check'].onclick = () => submit(true).catch(showError);
  ui['pl-save'].onclick = openConfirm;
  ui['pl-confirm-save'].onclick = () => submit(false).catch(showError);
  ui['pl-confirm-back'].onclick = closeConfirm;
  ui['pl-reason'].addEventListener('input', reasonChanged);
  ui['pl-undo'].onclick = () => step('undo');
  document.addEventListener('keydown', (e) => {
    if (!op || !(e.ctrlKey || e.metaKey) || document.body.dataset.mode !== 'planner') return;
    const el = /** @type {HTMLElement} */ (e.target);
    if (el && (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT')) return; // their own undo
    const k = e.key.toLowerCase();
    if (k === 'z' && !e.shiftKey) { e.preventDefault(); step('undo'); }
    if ((k === 'z' && e.shiftKey) || k === 'y') { e.preventDefault(); step('redo'); }
  });
  ui['pl-cancel'].onclick = cancel;
  ui['pl-asof'].onclick = () => {
    const d = ui['pl-date'].value;
    if (!d) return;
    const tm = ui['pl-time'].value || '23:59:59';
    history(`${d}T${tm.length === 5 ? `${tm}:00` : tm}+08:00`, `${d} ${tm}`).catch(showError);
  };
  ui['pl-date'].addEventListener('change', () => loadChanges().catch(showError));
  ui['pl-changes-refresh'].onclick = () => loadChanges().catch(showError);
  ui['pl-now'].onclick = () => history(null).catch(showError);
  for (const r of document.querySelectorAll('input[name=edit-mode]')) /** @type {HTMLInputElement} */ (r).onchange = stale;
  onLang(() => { hint(); if (lastResult) renderResult(lastResult); renderChanges(); });
  // Gaps in the records (gaps.js): a layer with its counts in the legend.
  const gaps = h('input', { type: 'checkbox', id: 'pl-gaps', onchange: () => showGaps(gaps.checked).catch(showError) });
  // Buildings (楼栋) under the grids, so a boundary can be drawn along them (from zoom 13).
  const buildings = h('input', { type: 'checkbox', id: 'pl-buildings', onchange: () => tileLayer('pl-buildings', 'buildings', BUILDINGS, buildings.checked) });
  document.getElementById('planner-panel').append(h('label', { class: 'gaps' }, gaps, ' ', gapsLayer.title()),
    h('label', { class: 'gaps' }, buildings, ' ', t('layer_buildings')));
  initTools(document.getElementById('planner-panel'), { splitAlong, selected: () => target?.properties.code || null });
}

/** showGaps switches the gaps layer and puts its counts in the legend. */
async function showGaps(on) {
  await gapsLayer.show(state.map, on);
  showLegend(on ? [...defaultKeys(), ...gapsLayer.keys()] : null);
}

/** editMode is the visible strict/adjust choice. */
export function editMode() { return /** @type {HTMLInputElement} */ (document.querySelector('input[name=edit-mode]:checked')).value; }

/**
 * mapDraw is the map's one terra-draw instance, started on first use: the
 * planner's, also drawing place outlines in the inspections mode (a second
 * instance would add the same sources to the map). Its modes: static,
 * select, polygon, linestring.
 */
export function mapDraw() {
  if (!draw) {
    draw = makeDraw();
    draw.start();
    draw.on('finish', (id) => {
      if (op === 'new' || op === 'split') {
        drawId = id;
        if (op === 'new') { ui['pl-new-form'].hidden = false; fillParents(); }
        draw.setMode('select');
        draw.selectFeature(id);
        hint();
      }
    });
    draw.on('change', (ids, type) => { if (type === 'update' || type === 'delete') stale(); });
    draw.on('history', updateUndo); // a step recorded (a drag ends, a point is placed) or taken back
  }
  return draw;
}

/** enterPlanner starts terra-draw and makes a click select a grid (or add it to a merge). */
export function enterPlanner() {
  mapDraw();
  loadChanges().catch(showError);
  state.onClick = (e, f) => {
    // While a shape is edited or drawn, clicks belong to the drawing: the
    // double-click that finishes a split line must not select the neighbour.
    if (op === 'edit' || op === 'new' || op === 'split') return;
    if (!op && balanceClick(e)) return; // a proposed split line (balance panel): split along it
    if (!f) return;
    const code = f.properties.code;
    names.set(code, f.properties.name);
    if (op === 'merge') {
      if (!mergeSet.includes(code)) {
        mergeSet.push(code);
        get(`/api/grids/${code}`).then((u) => { mergeVersions.set(code, u.properties.version); }).catch(showError);
      }
    } else {
      showCard(code, { zoom: false }).then((u) => { target = u; hint(); }).catch(showError);
    }
    hint();
  };
  hint();
}

/**
 * pickGrid is a search result chosen (gridsearch.js): fly to it and select it
 * as a click would — added to a merge, else the selected grid (a drawing in
 * progress is dropped first: the search moved the view away from it).
 * @param {{code: string, name: string}} r
 */
export function pickGrid(r) {
  names.set(r.code, r.name);
  if (op === 'merge') {
    if (!mergeSet.includes(r.code)) mergeSet.push(r.code);
    get(`/api/grids/${r.code}`).then((u) => { mergeVersions.set(r.code, u.properties.version); fitTo([u.geometry], { maxZoom: 16, padding: 60 }); }).catch(showError);
    hint();
    return;
  }
  if (op) cancel();
  showCard(r.code).then((u) => { target = u; hint(); }).catch(showError);
}

/** leavePlanner drops any unsaved drawing. */
export function leavePlanner() {
  cancel();
  leaveTools();
  const gaps = /** @type {HTMLInputElement|null} */ (document.getElementById('pl-gaps'));
  if (gaps?.checked) { gaps.checked = false; showGaps(false).catch(showError); }
}

// stale drops the checked request (the shape or the mode changed): check
// again before saving. An edited grid's new shape is checked live at once.
function stale() {
  pending = null;
  ui['pl-save'].disabled = true;
  closeConfirm();
  live();
}

// live sends the edited grid's shape to the live check (livecheck.js).
function live() {
  if (op !== 'edit' || !target || !drawnGeometry()) return;
  liveCheck(ui['pl-live'], target.properties.code, editedGeometry(), editMode());
}

// step undoes or redoes the last step of the drawing (terra-draw keeps the
// history: a vertex dragged, added or deleted, a point of a line or polygon
// being drawn, a finished drawing).
function step(which) {
  if (!draw || !op) return;
  if (which === 'undo' ? !canUndo() : !draw.canRedo()) return;
  if (which === 'undo') draw.undo(); else draw.redo();
  // Undoing a finished drawing's last step takes it back to drawing.
  if (drawId != null && !draw.getSnapshotFeature(drawId)) {
    drawId = null;
    ui['pl-new-form'].hidden = true;
    if (op === 'new' || op === 'split') draw.setMode(op === 'new' ? 'polygon' : 'linestring');
  }
  stale();
  updateUndo();
  hint();
}

function canUndo() {
  if (op === 'edit') return session.undoSize() > editBase;
  return (op === 'new' || op === 'split') && draw.canUndo();
}

function updateUndo() {
  ui['pl-undo'].disabled = !(draw && canUndo());
}

function makeDraw() {
  const { TerraDraw, TerraDrawSelectMode, TerraDrawPolygonMode, TerraDrawLineStringMode, TerraDrawSessionUndoRedo, TerraDrawModeUndoRedo } = terraDraw;
  const snapping = { toCustom: snapToGrids };
  return new TerraDraw({
    adapter: new terraDrawMaplibreGlAdapter.TerraDrawMapLibreGLAdapter({ map: state.map }),
    // Undo/redo of edits (session) and of the points of a drawing in progress
    // (mode); keys are the page's (step), so they work wherever the focus is.
    undoRedo: { sessionLevel: session = new TerraDrawSessionUndoRedo(), modeLevel: new TerraDrawModeUndoRedo() },
    modes: [
      new TerraDrawSelectMode({
        flags: {
          polygon: { feature: { draggable: false, coordinates: { draggable: true, midpoints: true, deletable: true, snappable: snapping } } },
          linestring: { feature: { draggable: false, coordinates: { draggable: true, midpoints: true, deletable: true, snappable: snapping } } },
        },
      }),
      new TerraDrawPolygonMode({ snapping, styles: { fillColor: '#ffb703', outlineColor: '#fb8500', outlineWidth: 2 } }),
      new TerraDrawLineStringMode({ snapping, styles: { lineStringColor: '#fb8500', lineStringWidth: 3 } }),
    ],
  });
}

// snapToGrids pulls the pointer onto the nearest vertex, else the nearest
// edge, of a neighbouring grid within SNAP_PX pixels, so new boundaries meet
// the existing ones exactly. The grid being edited is skipped: its own old
// vertices would hold each dragged vertex in place.
function snapToGrids(ev) {
  const map = state.map;
  const here = [ev.containerX, ev.containerY];
  let best = null, bestD = SNAP_PX, bestVertex = null, bestVD = SNAP_PX;
  const skip = op === 'edit' && target ? target.properties.code : null;
  for (const f of nearby) {
    if (f.properties.code === skip) continue;
    for (const poly of polygons(f.geometry)) for (const ring of poly) {
      let prev = null, prevP = null;
      for (const c of ring) {
        const p = map.project(c);
        const dv = Math.hypot(p.x - here[0], p.y - here[1]);
        if (dv < bestVD) { bestVD = dv; bestVertex = c; }
        if (prev) {
          const dx = p.x - prevP.x, dy = p.y - prevP.y, len2 = dx * dx + dy * dy;
          const k = len2 ? Math.max(0, Math.min(1, ((here[0] - prevP.x) * dx + (here[1] - prevP.y) * dy) / len2)) : 0;
          const d = Math.hypot(prevP.x + k * dx - here[0], prevP.y + k * dy - here[1]);
          if (d < bestD) { bestD = d; best = [prev[0] + k * (c[0] - prev[0]), prev[1] + k * (c[1] - prev[1])]; }
        }
        prev = c; prevP = p;
      }
    }
  }
  const out = bestVertex || best;
  return out ? [Number(out[0].toFixed(7)), Number(out[1].toFixed(7))] : undefined;
}

// loadNearby fetches the grids around the edit for snapping: those meeting
// the selected grid's box, or for a new grid those in view.
async function loadNearby(around) {
  const map = state.map;
  let [w, s, e, n] = around ? bbox(around) : map.getBounds().toArray().flat();
  const pad = Math.max(e - w, n - s) * 0.25;
  [w, s, e, n] = [Math.max(-180, w - pad), Math.max(-90, s - pad), Math.min(180, e + pad), Math.min(90, n + pad)];
  const fc = await get(`/api/grids?level=grid&bbox=${[w, s, e, n].map((v) => v.toFixed(7)).join(',')}`);
  nearby = fc.features;
  for (const f of nearby) names.set(f.properties.code, f.properties.name);
}

/**
 * splitAlong selects grid code and starts its split with line (the balance
 * panel's proposal) already drawn: the planner may move its vertices, then
 * checks and saves it through the confirm step as any split.
 * @param {string} code
 * @param {{type: string, coordinates: number[][]}} line
 */
async function splitAlong(code, line) {
  cancel();
  target = await showCard(code, { zoom: false });
  fitTo([target.geometry], { maxZoom: 17, padding: 80 });
  start('split');
  drawId = draw.getFeatureId();
  const res = draw.addFeatures([{ id: drawId, type: 'Feature', geometry: { type: 'LineString', coordinates: onGrid(line.coordinates) }, properties: { mode: 'linestring' } }]);
  if (res[0] && !res[0].valid) { showError(new Error(res[0].reason || 'invalid line')); cancel(); return; }
  draw.setMode('select');
  draw.selectFeature(drawId);
  hint();
}

function start(which) {
  cancel();
  if ((which === 'edit' || which === 'split' || which === 'delete') && !target) { hint(); return; }
  op = which;
  if (which === 'edit' || which === 'split' || which === 'new') loadNearby(which === 'new' ? null : target.geometry).catch(showError);
  if (which === 'edit') {
    // Edit the largest part of a multipolygon; the others are sent back unchanged.
    const polys = polygons(target.geometry);
    const main = polys.reduce((a, b) => (area({ type: 'Polygon', coordinates: b }) > area({ type: 'Polygon', coordinates: a }) ? b : a));
    drawId = draw.getFeatureId();
    const res = draw.addFeatures([{ id: drawId, type: 'Feature', geometry: { type: 'Polygon', coordinates: onGrid(main) }, properties: { mode: 'polygon' } }]);
    if (res[0] && !res[0].valid) { showError(new Error(res[0].reason || 'invalid polygon')); cancel(); return; }
    draw.setMode('select');
    draw.selectFeature(drawId);
    editBase = session.undoSize(); // the grid as stored is where undo stops (adding it may count as a step)
    ui.rest = polys.filter((p) => p !== main);
    live();
  } else if (which === 'new') {
    drawId = null;
    draw.setMode('polygon');
  } else if (which === 'split') {
    drawId = null;
    draw.setMode('linestring');
  } else if (which === 'merge') {
    mergeSet = [target?.properties.code].filter(Boolean);
    mergeVersions.clear();
    if (target) mergeVersions.set(target.properties.code, target.properties.version);
  }
  hint();
}

function cancel() {
  op = null; drawId = null; mergeSet = []; pending = null; lastResult = null;
  if (draw) { draw.clear(); draw.setMode('static'); draw.clearUndoRedoHistory(); }
  closeConfirm();
  clearOverlays();
  clearLive();
  ui['pl-result'].replaceChildren();
  ui['pl-save'].disabled = true;
  ui['pl-new-form'].hidden = true;
  hint();
}

function hint() {
  const name = target?.properties.name;
  const lines = [];
  if (!op) lines.push(target ? t('selected', { name }) : t('planner_hint'));
  if (op === 'edit') lines.push(t('selected', { name }), t('editing'));
  if (op === 'new') lines.push(t('drawing_polygon'));
  if (op === 'split') lines.push(t('selected', { name }), drawId != null ? t('mapfront_split_ready') : t('drawing_line'));
  if (op === 'merge') lines.push(t('merge_set', { names: mergeSet.map(nameOf).join('、') || '—' }));
  if (op === 'delete') lines.push(t('selected', { name }));
  ui['pl-hint'].replaceChildren(...lines.map((l) => h('div', {}, l)));
  ui['pl-check'].disabled = !op;
  updateUndo();
}

function nameOf(code) {
  return names.get(code) || code;
}

// fillParents offers the communities in the loaded tiles, the one under the drawing first.
function fillParents() {
  const sel = ui['pl-parent'];
  const seen = new Map();
  for (const f of state.map.querySourceFeatures('units-community', { sourceLayer: TILESETS.community })) seen.set(f.properties.code, f.properties.name);
  sel.replaceChildren(...[...seen].sort((a, b) => a[1].localeCompare(b[1], 'zh')).map(([code, name]) => h('option', { value: code }, name)));
  const g = drawnGeometry();
  const c = g && labelPoint(g);
  const hit = c && state.map.queryRenderedFeatures(state.map.project(c), { layers: ['units-community-fill'] })[0];
  if (hit) sel.value = hit.properties.code;
  else if (target) sel.value = target.properties.parent_code;
}

function drawnGeometry() {
  const f = drawId != null && draw.getSnapshotFeature(drawId);
  return f ? f.geometry : null;
}

// editedGeometry is the edited grid's whole new shape: the part drawn and
// the parts of a multipolygon sent back unchanged.
function editedGeometry() {
  const g = drawnGeometry();
  return ui.rest?.length ? { type: 'MultiPolygon', coordinates: [g.coordinates, ...ui.rest] } : g;
}

/**
 * request builds the server call for the current operation: [method, path, body].
 * @returns {[string, string, any] | null}
 */
function request(dryRun) {
  const q = `mode=${editMode()}&dry_run=${dryRun}`;
  const g = drawnGeometry();
  // The change reason goes into the unit's history (GET /api/grids/{code}/versions).
  const reason = /** @type {HTMLInputElement} */ (document.getElementById('pl-reason')).value.trim();
  switch (op) {
    case 'edit':
      return ['PUT', `/api/grids/${target.properties.code}?${q}`, { geometry: editedGeometry(), version: target.properties.version, reason }];
    case 'new':
      return ['POST', `/api/grids?${q}`, { parent: ui['pl-parent'].value, name: ui['pl-name'].value.trim(), kind: ui['pl-kind'].value, geometry: g, reason }];
    case 'split':
      return ['POST', `/api/grids/${target.properties.code}/split?${q}`, { line: g, version: target.properties.version, reason }];
    case 'merge':
      return ['POST', `/api/grids/merge?${q}`, { codes: mergeSet, versions: mergeSet.map((c) => mergeVersions.get(c)), reason }];
    case 'delete':
      return ['DELETE', `/api/grids/${target.properties.code}?${q}&version=${target.properties.version}&reason=${encodeURIComponent(reason)}`, undefined];
  }
  return null;
}

// checkedAs is a request without its reason: the reason is written in the
// confirm step, after the check, and does not change what was checked.
function checkedAs(req) {
  const [method, path, body] = req;
  return JSON.stringify([method, path.replace(/&reason=[^&]*/, ''), body && { ...body, reason: undefined }]);
}

// openConfirm is the step between a passed check and the save: what will
// change, from the checked answer, and the reason for the history.
function openConfirm() {
  if (!pending || !lastResult?.ok || !lastResult.dryRun) return;
  const body = lastResult.body || {};
  const changed = body.changed || [];
  const opName = { edit: t('edit_boundary'), new: t('draw_new'), split: t('split'), merge: t('merge'), delete: t('delete') }[op];
  const rows = changed.map((c) => {
    const before = c.before ? area(c.before) : 0, after = c.after ? area(c.after) : 0;
    return { code: c.code, before, after, delta: after - before };
  });
  const net = rows.reduce((s, r) => s + r.delta, 0);
  const signed = (d) => `${d >= 0 ? '+' : ''}${formatArea(d)}`;
  ui['pl-confirm-summary'].replaceChildren(
    h('p', { class: 'op' }, t('mapfront_confirm_op', { op: opName, mode: t(`mapfront_mode_${editMode()}_short`) })),
    h('p', {}, rows.length ? t('mapfront_confirm_grids', { n: rows.length }) : t('mapfront_confirm_none')),
    rows.length ? h('ul', { class: 'touched' }, rows.map((r) => h('li', { 'data-code': r.code, 'data-delta': Math.round(r.delta), class: r.delta < 0 ? 'loses' : 'gains' },
      r.after ? t('area_change', { name: `${nameOf(r.code)}（${r.code}）`, before: formatArea(r.before), after: formatArea(r.after), delta: signed(r.delta) })
        : t('mapfront_confirm_removed', { name: `${nameOf(r.code)}（${r.code}）`, before: formatArea(r.before) })))) : '',
    rows.length ? h('p', { class: 'net', 'data-delta': Math.round(net) }, t('mapfront_confirm_net', { delta: signed(net) })) : '',
    body.moved ? h('p', { class: 'moved', 'data-households': body.moved.households }, t('moved', body.moved)) : '',
  );
  ui['pl-confirm'].hidden = false;
  reasonChanged();
  ui['pl-reason'].focus();
}

function closeConfirm() {
  ui['pl-confirm'].hidden = true;
}

function reasonChanged() {
  const ok = ui['pl-reason'].value.trim() !== '';
  ui['pl-confirm-save'].disabled = !ok || !pending;
  ui['pl-confirm-need'].hidden = ok;
}

/** submit checks (dryRun) or saves the current operation. */
async function submit(dryRun) {
  if (!op) return;
  if ((op === 'new' || op === 'split' || op === 'edit') && !drawnGeometry()) return;
  const req = request(dryRun);
  if (!dryRun && (!pending || checkedAs(pending) !== checkedAs(request(true)))) return; // save only what was checked
  if (!dryRun && !ui['pl-reason'].value.trim()) return;
  clearOverlays();
  let result;
  try {
    result = { ok: true, body: await api(...req), dryRun };
  } catch (e) {
    if (!(e instanceof ApiError)) throw e;
    result = { ok: false, error: e, dryRun };
  }
  lastResult = result;
  renderResult(result);
  if (result.ok && dryRun) { pending = req; ui['pl-save'].disabled = false; }
  if (result.ok && !dryRun) {
    // The grid to show afterwards: the edited one, or the one created, split off or merged into.
    const code = op === 'edit' ? target?.properties.code : result.body?.code || null;
    const touched = [target?.geometry, drawnGeometry(), ...(result.body?.changed || []).flatMap((c) => [c.before, c.after])]
      .filter((g) => g && g.type);
    const kept = lastResult;
    ui['pl-reason'].value = '';
    cancel();
    lastResult = kept;
    renderResult(kept);
    refreshAfterSave(touched);
    target = null;
    if (code) target = await showCard(code, { zoom: false }).catch(() => null);
    if (!target) hideCard();
    hint();
    loadChanges().catch(showError);
    afterSave();
  }
}

// refreshAfterSave fetches again, once, the grid tiles under the edit's old
// and new shapes: the server answers a save only after its tile cache has
// dropped them (mapdata.Sync), so the first fetch gets the new tiles.
function refreshAfterSave(geoms) {
  refreshTiles(geoms);
}

function renderResult(r) {
  const box = ui['pl-result'];
  if (!r.ok) {
    const e = r.error;
    const defects = e.code === 'topology' ? e.details?.features || [] : [];
    if (defects.length) drawDefects(defects);
    box.replaceChildren(
      h('p', { class: 'warn refused' }, t('check_refused', { msg: errorText(e) })),
      defects.length ? h('ul', { class: 'defects' }, defects.map((d) => h('li', {}, defectText(d.properties || {})))) : '',
    );
    return;
  }
  const changed = r.body?.changed || [];
  if (r.dryRun && changed.length) drawPreview(changed);
  box.replaceChildren(
    h('p', { class: 'ok' }, r.dryRun ? t('check_ok') : t('saved')),
    changed.length ? h('div', { class: 'preview' }, h('h3', {}, t('preview')), h('ul', {}, changed.map((c) => {
      const before = typeof c.before === 'number' ? c.before : c.before ? area(c.before) : 0;
      const after = typeof c.after === 'number' ? c.after : c.after ? area(c.after) : 0;
      const delta = after - before;
      return h('li', { class: delta < 0 ? 'loses' : 'gains' }, t('area_change', { name: nameOf(c.code), before: formatArea(before), after: formatArea(after), delta: `${delta >= 0 ? '+' : ''}${formatArea(delta)}` }));
    }))) : '',
    r.body?.moved ? h('p', { class: 'muted moved' }, t('moved', r.body.moved)) : '',
  );
}

function defectText(p) {
  const kind = { gap: t('defect_gap'), overlap: t('defect_overlap'), invalid: t('defect_invalid') }[p.kind] || p.kind || '';
  // The server writes units plainly (m2, m); the page shows m².
  const unit = (p.unit || '').replace(/^m2$/, 'm²');
  const size = p.size != null ? ` ${Number(p.size).toLocaleString('en', { maximumFractionDigits: 1 })} ${unit}` : '';
  return `${kind}${size}${p.message ? ` — ${p.message}` : ''}`;
}

function overlaySource(id, data) {
  const map = state.map;
  if (map.getSource(id)) { map.getSource(id).setData(data); return false; }
  map.addSource(id, { type: 'geojson', data });
  return true;
}

// drawDefects draws the server's defects in red, each labelled with its kind and size.
function drawDefects(features) {
  const map = state.map;
  if (overlaySource('pl-defects', { type: 'FeatureCollection', features })) {
    map.addLayer({ id: 'pl-defects-fill', type: 'fill', source: 'pl-defects', filter: ['==', ['geometry-type'], 'Polygon'], paint: { 'fill-color': '#e63946', 'fill-opacity': 0.55 } });
    map.addLayer({ id: 'pl-defects-line', type: 'line', source: 'pl-defects', paint: { 'line-color': '#d00000', 'line-width': 3 } });
    map.addLayer({ id: 'pl-defects-point', type: 'circle', source: 'pl-defects', filter: ['==', ['geometry-type'], 'Point'], paint: { 'circle-color': '#d00000', 'circle-radius': 7 } });
  }
  for (const f of features) {
    const g = f.geometry;
    const at = g.type === 'Point' ? g.coordinates : polygons(g).length ? labelPoint(g) : g.coordinates?.[0];
    if (!at) continue;
    const el = h('div', { class: 'defect-label' }, defectText({ ...f.properties, message: '' }));
    markers.push(new maplibregl.Marker({ element: el }).setLngLat(at).addTo(map));
  }
}

// drawPreview shows each neighbour before (dashed) and after (orange) an adjust.
function drawPreview(changed) {
  const map = state.map;
  const feats = [];
  for (const c of changed) {
    if (c.before?.type) feats.push({ type: 'Feature', geometry: c.before, properties: { code: c.code, phase: 'before' } });
    if (c.after?.type) feats.push({ type: 'Feature', geometry: c.after, properties: { code: c.code, phase: 'after' } });
  }
  if (overlaySource('pl-preview', { type: 'FeatureCollection', features: feats })) {
    map.addLayer({ id: 'pl-preview-after', type: 'fill', source: 'pl-preview', filter: ['==', ['get', 'phase'], 'after'], paint: { 'fill-color': '#fb8500', 'fill-opacity': 0.35 } });
    map.addLayer({ id: 'pl-preview-before', type: 'line', source: 'pl-preview', filter: ['==', ['get', 'phase'], 'before'], paint: { 'line-color': '#555', 'line-width': 2, 'line-dasharray': [2, 2] } });
  }
}

function clearOverlays() {
  for (const m of markers) m.remove();
  markers = [];
  const map = state.map;
  if (!map) return;
  for (const id of ['pl-defects', 'pl-preview']) if (map.getSource(id)) map.getSource(id).setData({ type: 'FeatureCollection', features: [] });
}

const CHINA = 'Asia/Shanghai';
/** chinaDate is the day of d in China ('YYYY-MM-DD'). */
const chinaDate = (d) => new Intl.DateTimeFormat('en-CA', { timeZone: CHINA, year: 'numeric', month: '2-digit', day: '2-digit' }).format(d);
/** chinaTime is the time of d in China ('HH:MM:SS'). */
const chinaTime = (d) => new Intl.DateTimeFormat('en-GB', { timeZone: CHINA, hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }).format(d);

let changes = null; // the last answer of GET /api/history/changes, and its day
let changesDay = '';
const CHANGES_LIMIT = 100;

// loadChanges lists the changes of the day in the date field (today when empty), newest first.
async function loadChanges() {
  const day = ui['pl-date'].value || chinaDate(new Date());
  const next = new Date(Date.parse(`${day}T00:00:00+08:00`) + 86400e3);
  const answer = await get(`/api/history/changes?from=${day}&to=${encodeURIComponent(`${chinaDate(next)}T00:00:00+08:00`)}&limit=${CHANGES_LIMIT}`);
  changes = answer.changes;
  changesDay = day;
  renderChanges();
}

function renderChanges() {
  if (!changes) return;
  const today = changesDay === chinaDate(new Date());
  ui['pl-changes-title'].textContent = today ? t('mapfront_changes_today') : t('mapfront_changes_of', { date: changesDay });
  const signed = (d) => `${d >= 0 ? '+' : ''}${formatArea(d)}`;
  const items = changes.map((c) => {
    const at = new Date(c.at);
    const delta = c.area_before_m2 != null && c.area_after_m2 != null ? c.area_after_m2 - c.area_before_m2 : null;
    // Just before: a millisecond earlier (the server keeps microseconds; a version starts at its valid_from).
    const before = new Date(at.getTime() - 1).toISOString();
    return h('li', { 'data-code': c.code, 'data-at': c.at },
      h('time', { datetime: c.at }, chinaTime(at)),
      `${c.name} · ${t(`mapfront_change_${c.change}`)} v${c.version}`,
      delta != null && Math.abs(delta) >= 0.5 ? ` · ${signed(delta)}` : '',
      c.changed_by ? ` · ${t('mapfront_change_by', { who: c.changed_by })}` : '',
      c.reason ? h('div', { class: 'reason' }, c.reason) : '',
      h('button', { type: 'button', class: 'before', onclick: () => history(before, `${changesDay} ${chinaTime(at)} −`).catch(showError) }, t('mapfront_change_before')),
      c.change !== 'removed' ? h('button', { type: 'button', class: 'after', onclick: () => history(c.at, `${changesDay} ${chinaTime(at)}`).catch(showError) }, t('mapfront_change_after')) : '',
      compareButton(c));
  });
  if (!items.length) items.push(h('li', { class: 'muted' }, t('mapfront_changes_none')));
  if (changes.length === CHANGES_LIMIT) items.push(h('li', { class: 'muted' }, t('mapfront_changes_more', { n: CHANGES_LIMIT })));
  ui['pl-changes'].replaceChildren(...items);
}

/**
 * history shows the grid map as of asOf (an RFC 3339 time, or a bare date
 * for its midnight), labelled label in the banner; null: back to now.
 * @param {string|null} asOf
 * @param {string} [label]
 */
async function history(asOf, label) {
  cancel();
  state.asOf = asOf || null;
  target = null;
  hideCard();
  await loadUnits();
  select(null);
  const b = document.getElementById('asof-banner');
  b.hidden = !state.asOf;
  b.textContent = state.asOf ? t('mapfront_as_of_time', { time: label || state.asOf }) : '';
}
