// estates: the estates (小区, level 5) of the grid chosen in the grid force
// panel — listed and outlined on the map, a new one drawn, an outline
// corrected — each saved through PUT /api/units/{code}/geometry, which
// checks it as the units import does (inside its grid, no overlap with the
// grid's other estates) and answers every defect, shown here as sent.
import { api, get } from './api.js';
import { t } from './i18n.js';
import { state } from './gridmap.js';
import { h } from './card.js';
import { mapDraw } from './planner.js';
import { onGrid } from './geometry.js';

const SOURCE = 'jur-estates';
let grid = null; // the chosen grid's code
let estates = null; // GET /api/units/export?level=estate&parent= of that grid
let drawing = null; // {code, name?, id}: the estate being drawn or edited
let listening = false;

const $ = (id) => /** @type {HTMLInputElement} */ (document.getElementById(id));

/** estatesBox is the panel's estates section (built once by the grid force panel). */
export function estatesBox() {
  return h('div', { id: 'jur-estates', hidden: '' },
    h('h3', { 'data-i18n': 'est_title' }),
    h('ul', { id: 'est-list' }),
    h('form', { id: 'est-form' },
      h('label', {}, h('span', { 'data-i18n': 'est_name' }), h('input', { id: 'est-name', maxlength: '100' })),
      h('div', { class: 'actions' },
        h('button', { type: 'button', id: 'est-draw', 'data-i18n': 'est_draw' }),
        h('button', { type: 'submit', class: 'primary', id: 'est-save', disabled: '', 'data-i18n': 'est_save' }),
        h('button', { type: 'button', id: 'est-cancel', 'data-i18n': 'cancel' }))),
    h('div', { id: 'est-result', role: 'status' }));
}

/** initEstates wires the section's form. */
export function initEstates() {
  $('est-draw').onclick = () => { try { start({ code: nextCode(), name: $('est-name').value.trim() }); } catch (e) { report(e); } };
  $('est-cancel').onclick = stop;
  document.getElementById('est-form').addEventListener('submit', (e) => { e.preventDefault(); save().catch(report); });
}

/** showEstates lists and outlines the estates of grid code. */
export async function showEstates(code) {
  stop();
  grid = code;
  document.getElementById('jur-estates').hidden = false;
  $('est-result').replaceChildren();
  estates = await get(`/api/units/export?level=estate&parent=${code}`);
  const list = document.getElementById('est-list');
  list.replaceChildren(...(estates.features.length ? estates.features.map((f) => h('li', { 'data-estate': f.properties.code },
    `${f.properties.name} · ${f.properties.code} `,
    h('button', { type: 'button', 'data-edit': f.properties.code, onclick: () => { try { edit(f); } catch (e) { report(e); } } }, t('est_edit'))))
    : [h('li', { class: 'muted' }, t('est_none'))]));
  const map = state.map;
  if (!map.getSource(SOURCE)) {
    map.addSource(SOURCE, { type: 'geojson', data: estates });
    map.addLayer({ id: 'jur-estates-line', type: 'line', source: SOURCE, paint: { 'line-color': '#6a4c93', 'line-width': 2, 'line-dasharray': [2, 1] } });
  } else {
    /** @type {any} */ (map.getSource(SOURCE)).setData(estates);
  }
  map.setLayoutProperty('jur-estates-line', 'visibility', 'visible');
}

/** drawingEstate says whether an estate is being drawn or edited: map clicks belong to the drawing then. */
export function drawingEstate() { return drawing != null; }

/** hideEstates stops drawing and hides the estates' outlines. */
export function hideEstates() {
  stop();
  if (state.map?.getLayer('jur-estates-line')) state.map.setLayoutProperty('jur-estates-line', 'visibility', 'none');
}

// nextCode is the grid's code and the next free three-digit number.
function nextCode() {
  const used = (estates?.features || []).map((f) => Number(f.properties.code.slice(15)));
  return grid + String(Math.max(0, ...used) + 1).padStart(3, '0');
}

function start(what) {
  const d = mapDraw();
  if (!listening) {
    listening = true;
    d.on('finish', (id) => {
      if (!drawing || drawing.id != null) return;
      drawing.id = id;
      d.setMode('select');
      d.selectFeature(id);
      $('est-save').disabled = false;
    });
  }
  if (what.id == null) d.clear(); // an edit has just loaded its outline
  drawing = what;
  $('est-result').replaceChildren(h('p', {}, t(what.id == null ? 'est_draw_hint' : 'est_edit_hint', { code: what.code })));
  if (what.id == null) {
    d.setMode('polygon');
    $('est-save').disabled = true;
  } else {
    d.setMode('select');
    d.selectFeature(what.id);
    $('est-save').disabled = false;
  }
}

// edit loads an estate's outline (its largest part) into the drawing to move its vertices.
function edit(f) {
  const d = mapDraw();
  d.clear();
  const parts = f.geometry.type === 'Polygon' ? [f.geometry.coordinates] : f.geometry.coordinates;
  const id = d.getFeatureId();
  const [res] = d.addFeatures([{ id, type: 'Feature', geometry: { type: 'Polygon', coordinates: onGrid(parts[0]) }, properties: { mode: 'polygon' } }]);
  if (res && !res.valid) throw new Error(res.reason || 'invalid polygon');
  start({ code: f.properties.code, id });
}

function stop() {
  if (!drawing) return;
  const d = mapDraw();
  d.clear();
  d.setMode('static');
  drawing = null;
  $('est-save').disabled = true;
}

async function save() {
  const f = drawing?.id != null && mapDraw().getSnapshotFeature(drawing.id);
  if (!f) return;
  const body = { geometry: f.geometry, reason: t('est_reason') };
  const name = $('est-name').value.trim();
  if (name || !estates.features.some((e) => e.properties.code === drawing.code)) body.name = name;
  const code = drawing.code;
  const r = await api('PUT', `/api/units/${code}/geometry`, body);
  stop();
  $('est-name').value = '';
  await showEstates(grid);
  const out = $('est-result');
  out.replaceChildren(h('p', { class: 'ok' }, t(r.inserted ? 'est_created' : 'est_saved', { code })));
  out.dataset.saved = code;
}

// report shows every defect the server listed (the import's report), else its message.
function report(e) {
  const defects = e.details?.defects;
  $('est-result').replaceChildren(...(Array.isArray(defects) && defects.length
    ? defects.filter((d) => d.severity === 'error').map((d) => h('p', { class: 'warn' }, d.message))
    : [h('p', { class: 'warn' }, e.message)]));
}
