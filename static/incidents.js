// incidents: cases (事件) — the grid worker's phone panel (report with
// category, description, position and photo; their own cases and the moves
// they may make) and the acceptance centre's / leader's queue (by state,
// overdue first, with the workflow's buttons and pending extension requests),
// plus the cases as a vector-tile layer coloured by state.
//
// A report gets its UUID on the device and waits in IndexedDB until the
// server answered; it is sent again (same UUID, same body, so stored once),
// with whatever else waits, as one batch (POST /api/incidents/batch),
// when the browser comes back online. A photo that fails never holds the
// report back: the report goes without it.
import { api, get, ApiError } from './api.js';
import { t, onLang, applyTo, getLang } from './i18n.js';
import { state } from './gridmap.js';
import { h, showError, errorText } from './card.js';

const DB = 'wangge-incidents';
const STORE = 'queue';
export const STATE_COLOURS = {
  reported: '#e63946', accepted: '#f4a261', dispatched: '#e9c46a', handled: '#2a9d8f',
  verified: '#457b9d', closed: '#8d99ae', invalid: '#cfcfcf', parked: '#6d597a',
};
const STATES = Object.keys(STATE_COLOURS);
let me = null;
let categories = [];
let where = null; // {lon, lat, source} of the report being written
let flushing = null;
let retry = 0;

const $ = (id) => /** @type {HTMLInputElement} */ (document.getElementById(id));

// ---- the offline queue (IndexedDB: a photo Blob survives a reload, unlike localStorage)

function openDB() {
  return new Promise((resolve, reject) => {
    const r = indexedDB.open(DB, 1);
    r.onupgradeneeded = () => r.result.createObjectStore(STORE, { keyPath: 'id' });
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

async function tx(mode, f) {
  const db = await openDB();
  try {
    return await new Promise((resolve, reject) => {
      const x = db.transaction(STORE, mode);
      const req = f(x.objectStore(STORE));
      x.oncomplete = () => resolve(req?.result);
      x.onerror = () => reject(x.error);
    });
  } finally { db.close(); }
}

/** queued lists the reports waiting to be sent, oldest first. */
export const queued = () => tx('readonly', (s) => s.getAll()).then((xs) => xs.sort((a, b) => a.report.reported_at.localeCompare(b.report.reported_at)));
const keep = (item) => tx('readwrite', (s) => s.put(item));
const drop = (id) => tx('readwrite', (s) => s.delete(id));

/** uploadPhoto sends the photo under its own UUID (a retry is harmless); null when it cannot go. */
async function uploadPhoto(item) {
  if (!item.photo || item.photoSent) return item.photoSent ? item.photoId : null;
  let r;
  try {
    r = await fetch(`/api/media?id=${item.photoId}`, { method: 'POST', credentials: 'same-origin', body: item.photo, headers: { 'Content-Type': item.photo.type || 'application/octet-stream' } });
  } catch {
    throw new Error('offline');
  }
  if (!r.ok) { item.photoError = (await r.json().catch(() => null))?.error?.message || String(r.status); return null; }
  item.photoSent = true;
  await keep(item);
  return item.photoId;
}

const BATCH = 256; // the server's limit of a batch (incidents.MaxBatch)

/** settle records the server's answer for one queued report: stored (201, or 200 for a retry) or refused. */
async function settle(item, status, x, error) {
  if (status === 200 || status === 201) {
    await drop(item.id);
    note(item.photoError ? t('inc_sent_no_photo', { msg: item.photoError }) : t('inc_sent'), x.id);
    return;
  }
  // A refusal settles the report; no session, a busy or failing server does not: it waits.
  if (status < 500 && ![401, 408, 429].includes(status)) {
    await drop(item.id); note(t('inc_refused', { msg: error?.message || String(status) }), item.id);
  }
}

/** sendBatch posts queued reports in one request (POST /api/incidents/batch,
 * one transaction on the server); false when the network or server is down. */
async function sendBatch(items) {
  const reports = [];
  try {
    for (const item of items) {
      const photo = await uploadPhoto(item);
      reports.push({ ...item.report, photos: photo ? [photo] : [] });
    }
    const { results } = await api('POST', '/api/incidents/batch', { reports });
    for (const [i, r] of results.entries()) await settle(items[i], r.status, r.incident, r.error);
  } catch (e) {
    // The whole batch refused (not one report of it): said once, the reports wait.
    if (e instanceof ApiError) note(errorText(e), null);
    return false;
  }
  return true;
}

/** flush sends every queued report, oldest first, in batches, one pass at a time. */
export function flush() {
  flushing ??= (async () => {
    try {
      const items = await queued();
      for (let i = 0; i < items.length; i += BATCH) if (!(await sendBatch(items.slice(i, i + BATCH)))) break;
    } finally {
      flushing = null;
      await renderQueue();
      clearTimeout(retry);
      // The online event is not reliable on every phone: try again while anything waits.
      if ((await queued()).length) retry = window.setTimeout(() => flush().catch(() => {}), 20000);
    }
  })();
  return flushing;
}

function note(msg, id) {
  const out = $('inc-result');
  out.textContent = msg;
  if (id) out.dataset.sent = id;
}

async function renderQueue() {
  const n = (await queued()).length;
  const q = $('inc-queued');
  q.textContent = n ? t('inc_queued_n', { n }) : '';
  q.dataset.n = String(n);
}

// ---- the report form

function position() {
  return new Promise((resolve) => {
    if (!navigator.geolocation) return resolve(null);
    navigator.geolocation.getCurrentPosition(
      (p) => resolve({ lon: p.coords.longitude, lat: p.coords.latitude, source: 'gps' }),
      () => resolve(null), { timeout: 10000, maximumAge: 60000 });
  });
}

function showWhere() {
  $('inc-where').textContent = where ? `${where.lon.toFixed(6)}, ${where.lat.toFixed(6)} (${t(`inc_where_${where.source}`)})` : t('inc_where_none');
}

async function submit(e) {
  e.preventDefault();
  if (!where) where = await position();
  showWhere();
  if (!where) { note(t('inc_no_position')); return; }
  const file = $('inc-photo').files?.[0] || null;
  const item = {
    id: crypto.randomUUID(),
    report: {
      category: $('inc-category').value, description: $('inc-description').value, address: $('inc-address').value,
      lon: where.lon, lat: where.lat, crs: 'wgs84', reported_at: new Date().toISOString(),
    },
    photo: file, photoId: file ? crypto.randomUUID() : null, photoSent: false,
  };
  item.report.id = item.id;
  await keep(item); // kept first: a crash or a dead network loses nothing
  /** @type {HTMLFormElement} */ (document.getElementById('inc-form')).reset();
  where = null; showWhere();
  note(t('inc_queued'), null);
  await flush();
  await loadCases().catch(() => {}); // offline: the list comes back with the network
}

// ---- the cases: mine (grid worker) or the queue (centre, leader)

const needs = { dispatched: ['unit', 'hours'], extended: ['hours'], request: ['hours'] };

function caseRow(x, actions) {
  const li = h('li', { 'data-id': x.id, 'data-state': x.state, class: x.overdue ? 'overdue' : '' },
    h('span', { class: 'badge', style: `background:${STATE_COLOURS[x.state] || '#ccc'}` }, t(`inc_state_${x.state}`)),
    x.overdue ? h('span', { class: 'badge warn' }, t('inc_overdue')) : null,
    h('strong', {}, x.title),
    h('small', {}, `${new Date(x.reported_at).toLocaleString()} · ${x.grid_code || x.community_code || ''}${x.due_at ? ` · ${t('inc_due')} ${new Date(x.due_at).toLocaleString()}` : ''}`));
  const moves = [...actions];
  // The level responsible may ask the level above for more time (延期申请).
  if (x.level === levelOf(me) && ['reported', 'accepted', 'dispatched', 'handled'].includes(x.state) && me.role !== 'leader') moves.push('request');
  if (!moves.length) return li;
  const noteIn = h('input', { class: 'inc-note', 'data-i18n-placeholder': 'inc_note' });
  const unitIn = h('input', { class: 'inc-unit', 'data-i18n-placeholder': 'inc_unit', hidden: '' });
  const hoursIn = h('input', { class: 'inc-hours', type: 'number', min: 1, max: 2000, 'data-i18n-placeholder': 'inc_hours', hidden: '' });
  const form = h('div', { class: 'actions' }, noteIn, unitIn, hoursIn, ...moves.map((to) => h('button', {
    type: 'button', 'data-to': to,
    onclick: () => move(x, to, { note: noteIn.value, unit: unitIn.value, hours: Number(hoursIn.value) || 0 }, { unitIn, hoursIn }).catch(showError),
  }, t(`inc_do_${to}`))));
  applyTo(form);
  li.append(form);
  return li;
}

/** move asks for one transition (or an extension request); a missing field is asked for first. */
async function move(x, to, v, inputs) {
  const want = needs[to] || [];
  if ((want.includes('unit') && !v.unit && inputs.unitIn.hidden) || (to !== 'dispatched' && want.includes('hours') && !v.hours)) {
    if (want.includes('unit')) inputs.unitIn.hidden = false;
    if (want.includes('hours')) inputs.hoursIn.hidden = false;
    return;
  }
  try {
    if (to === 'request') await api('POST', `/api/incidents/${x.id}/extensions`, { hours: v.hours, note: v.note });
    else await api('POST', `/api/incidents/${x.id}/transitions`, { to, note: v.note, unit: v.unit, hours: v.hours, version: x.version });
    $('inc-list-result').textContent = t('inc_moved', { to: t(`inc_do_${to}`) });
  } catch (e) {
    $('inc-list-result').textContent = errorText(e);
  }
  await loadCases();
}

function levelOf(u) {
  const n = (u?.unit_code || '').length;
  return n === 0 ? 0 : n <= 6 ? 1 : n <= 9 ? 2 : n <= 12 ? 3 : 4;
}

/** loadCases lists the chosen state, overdue cases first, and the pending extension requests. */
export async function loadCases() {
  const st = $('inc-state').value;
  const q = st ? `&state=${st}` : '';
  const [late, rest] = await Promise.all([get(`/api/incidents?overdue=true&limit=100${q}`), get(`/api/incidents?overdue=false&limit=100${q}`)]);
  const actions = { ...late.actions, ...rest.actions };
  $('inc-list').replaceChildren(...[...late.incidents, ...rest.incidents].map((x) => caseRow(x, actions[x.id] || [])));
  $('inc-count').textContent = t('inc_n', { n: late.incidents.length + rest.incidents.length, late: late.incidents.length });
  const ext = await get('/api/incidents/extensions?status=pending').catch(() => ({ requests: [] }));
  $('inc-ext').replaceChildren(...ext.requests.map((r) => h('li', { 'data-request': r.id },
    h('strong', {}, r.title), h('small', {}, t('inc_ext_line', { who: r.requested_name, hours: r.hours, reason: r.reason })),
    r.can_decide ? h('div', { class: 'actions' },
      h('button', { type: 'button', 'data-decide': 'approve', onclick: () => decide(r, true).catch(showError) }, t('inc_ext_approve')),
      h('button', { type: 'button', 'data-decide': 'reject', onclick: () => decide(r, false).catch(showError) }, t('inc_ext_reject'))) : null)));
  $('inc-ext-title').hidden = ext.requests.length === 0;
  refreshLayer();
}

async function decide(r, approve) {
  try {
    await api('POST', `/api/incidents/extensions/${r.id}/decision`, { approve, note: approve ? '同意延期 approved' : '不予延期 refused' });
    $('inc-list-result').textContent = t(approve ? 'inc_ext_approved' : 'inc_ext_rejected');
  } catch (e) {
    $('inc-list-result').textContent = errorText(e);
  }
  await loadCases();
}

// ---- the map layer: vector tiles of the caller's cases, coloured by state

function tileURL() {
  const p = new URLSearchParams();
  const cat = $('inc-layer-category').value, days = Number($('inc-layer-days').value);
  if (cat) p.set('category', cat);
  if (days > 0) p.set('from', new Date(Date.now() - days * 86400e3).toISOString().replace(/\.\d+Z$/, 'Z'));
  p.set('v', String(Date.now())); // a new URL after every move: the tiles are per caller and change
  return `${location.origin}/api/incidents/tiles/{z}/{x}/{y}.mvt?${p}`;
}

function refreshLayer() {
  const map = state.map;
  if (!map) return;
  const src = /** @type {any} */ (map.getSource('incidents'));
  if (src) { src.setTiles([tileURL()]); return; }
  map.addSource('incidents', { type: 'vector', tiles: [tileURL()], minzoom: 10, maxzoom: 18 });
  map.addLayer({ id: 'incidents-points', type: 'circle', source: 'incidents', 'source-layer': 'incidents', paint: {
    'circle-radius': ['case', ['get', 'overdue'], 7, 5],
    'circle-color': ['match', ['get', 'state'], ...STATES.flatMap((s) => [s, STATE_COLOURS[s]]), '#999'],
    'circle-stroke-color': ['case', ['get', 'overdue'], '#000', '#fff'], 'circle-stroke-width': 1.5 } });
}

// ---- the panel

/** initIncidents builds the panel (once). */
export function initIncidents() {
  const sec = h('section', { id: 'incidents-panel', class: 'mode-panel', hidden: '' },
    h('form', { id: 'inc-form' },
      h('h2', { 'data-i18n': 'inc_report_title' }),
      h('label', {}, h('span', { 'data-i18n': 'inc_category' }), h('select', { id: 'inc-category', required: '' })),
      h('label', {}, h('span', { 'data-i18n': 'inc_description' }), h('textarea', { id: 'inc-description', required: '', maxlength: 4000 })),
      h('label', {}, h('span', { 'data-i18n': 'inc_address' }), h('input', { id: 'inc-address', maxlength: 500 })),
      h('label', {}, h('span', { 'data-i18n': 'inc_photo' }), h('input', { id: 'inc-photo', type: 'file', accept: 'image/jpeg,image/png,image/*', capture: 'environment' })),
      h('p', {}, h('output', { id: 'inc-where' }), ' ', h('button', { type: 'button', id: 'inc-here', 'data-i18n': 'inc_here' })),
      h('p', { class: 'muted', 'data-i18n': 'inc_tap_hint' }),
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary', 'data-i18n': 'inc_submit' })),
      h('p', { id: 'inc-result', role: 'status' }), h('p', { id: 'inc-queued', class: 'warn' })),
    h('h2', { id: 'inc-list-title' }),
    h('label', {}, h('span', { 'data-i18n': 'inc_state' }), h('select', { id: 'inc-state' },
      h('option', { value: '', 'data-i18n': 'inc_state_all' }), h('option', { value: 'open', 'data-i18n': 'inc_state_open' }), ...STATES.map((s) => h('option', { value: s, 'data-i18n': `inc_state_${s}` })))),
    h('p', { id: 'inc-count', class: 'muted' }), h('p', { id: 'inc-list-result', role: 'status' }),
    h('ul', { id: 'inc-list', class: 'due-list' }),
    h('h3', { id: 'inc-ext-title', 'data-i18n': 'inc_ext_title', hidden: '' }), h('ul', { id: 'inc-ext', class: 'due-list' }),
    h('fieldset', {}, h('legend', { 'data-i18n': 'inc_layer' }),
      h('label', {}, h('span', { 'data-i18n': 'inc_category' }), h('select', { id: 'inc-layer-category' }, h('option', { value: '', 'data-i18n': 'inc_state_all' }))),
      h('label', {}, h('span', { 'data-i18n': 'inc_layer_days' }), h('input', { id: 'inc-layer-days', type: 'number', min: 0, max: 365, value: 30 })),
      h('div', { class: 'legend' }, ...STATES.map((s) => h('span', {}, h('span', { class: 'swatch', style: `display:inline-block;width:10px;height:10px;border-radius:5px;background:${STATE_COLOURS[s]}` }), ' ', h('span', { 'data-i18n': `inc_state_${s}` }), ' ')))));
  document.getElementById('panel').appendChild(sec);
  applyTo(sec);
  document.getElementById('inc-form').addEventListener('submit', (e) => submit(e).catch((x) => note(errorText(x))));
  $('inc-here').onclick = () => position().then((p) => { where = p; showWhere(); if (!p) note(t('inc_no_position')); });
  $('inc-state').onchange = () => loadCases().catch(showError);
  $('inc-layer-category').onchange = () => refreshLayer();
  $('inc-layer-days').onchange = () => refreshLayer();
  window.addEventListener('online', () => { if (me) flush().then(loadCases).catch(() => {}); });
  onLang(() => { showWhere(); renderCategories(); });
}

/**
 * categoryOptions fills sel with the catalogue's categories grouped under
 * their top-level ones (the catalogue is loaded once), keeping its choice;
 * the visit form's follow-up picks from it too.
 * @param {HTMLSelectElement} sel
 */
export async function categoryOptions(sel) {
  if (!categories.length) categories = (await get('/api/incidents/categories')).categories;
  const leaves = categories.filter((c) => c.parent_code);
  const name = (c) => (getLang() === 'en' ? c.name_en : c.name_zh);
  const groups = categories.filter((c) => !c.parent_code).map((p) => h('optgroup', { label: name(p) },
    ...leaves.filter((c) => c.parent_code === p.code).map((c) => h('option', { value: c.code }, name(c)))));
  const had = sel.value;
  sel.replaceChildren(...groups);
  if (had) sel.value = had;
}

function renderCategories() {
  categoryOptions(/** @type {HTMLSelectElement} */ (document.getElementById('inc-category')));
  const name = (c) => (getLang() === 'en' ? c.name_en : c.name_zh);
  const layer = $('inc-layer-category'), lhad = layer.value;
  layer.replaceChildren(h('option', { value: '' }, t('inc_state_all')), ...categories.filter((c) => !c.parent_code).map((c) => h('option', { value: c.code }, name(c))));
  layer.value = lhad;
}

/** enterIncidents shows the panel for user: the report form for who may report, then the list. */
export async function enterIncidents(user) {
  me = user;
  const worker = me.role === 'officer' && levelOf(me) === 4;
  $('inc-form').hidden = !['officer', 'admin'].includes(me.role);
  document.getElementById('inc-list-title').textContent = t(worker ? 'inc_mine' : 'inc_queue_title');
  if (!categories.length) { await categoryOptions(/** @type {HTMLSelectElement} */ (document.getElementById('inc-category'))); renderCategories(); }
  $('inc-state').value = worker ? '' : $('inc-state').value || 'open';
  showWhere();
  // A tap on the map places the report there.
  state.onClick = (e) => { where = { lon: e.lngLat.lng, lat: e.lngLat.lat, source: 'map' }; showWhere(); };
  if (state.map.getLayer('incidents-points')) state.map.setLayoutProperty('incidents-points', 'visibility', 'visible');
  await flush();
  await loadCases();
}

/** leaveIncidents hides the layer. */
export function leaveIncidents() {
  if (state.map?.getLayer('incidents-points')) state.map.setLayoutProperty('incidents-points', 'visibility', 'none');
}
