// inspections: the inspector's safety checks (安全检查) on a phone — the places
// of their grid with what is due, the checklist of the picked place, and the
// open hazards (隐患). Each inspection and drill gets its UUID on the phone;
// photos are shrunk and kept with it, and one that cannot be sent stays in
// localStorage and is sent again with the same UUIDs (photos first), so a
// retry is stored once. A new place's outline is drawn on the map with the
// map's terra-draw (the planner's) and saved through POST /api/places.
import { api, get, ApiError } from './api.js';
import { t } from './i18n.js';
import { state } from './gridmap.js';
import { mapDraw } from './planner.js';
import { gridPlaces, kindName, PLACE_KINDS } from './places.js';

const PENDING = 'wangge.inspections.pending';
let me = null;
let current = null; // {place, template}
let templates = [];

const $ = (id) => /** @type {HTMLInputElement} */ (document.getElementById(id));

const pending = () => JSON.parse(localStorage.getItem(PENDING) || '[]');
const setPending = (xs) => localStorage.setItem(PENDING, JSON.stringify(xs));

/** shrink turns a camera photo into a JPEG of at most 1280 px (a data URL small enough to keep offline). */
async function shrink(file) {
  const img = await createImageBitmap(file);
  const k = Math.min(1, 1280 / Math.max(img.width, img.height));
  const c = document.createElement('canvas');
  c.width = Math.round(img.width * k); c.height = Math.round(img.height * k);
  c.getContext('2d').drawImage(img, 0, 0, c.width, c.height);
  return c.toDataURL('image/jpeg', 0.8);
}

/** upload stores one kept photo under its UUID (a retried upload is answered 200). */
async function upload(p) {
  // Decoded here: the page's CSP lets fetch reach only its own origin, not data: URLs.
  const bin = atob(p.data.slice(p.data.indexOf(',') + 1));
  const blob = new Blob([Uint8Array.from(bin, (c) => c.charCodeAt(0))], { type: 'image/jpeg' });
  const r = await fetch(`/api/media?id=${p.id}`, { method: 'POST', credentials: 'same-origin', headers: { 'Content-Type': 'image/jpeg' }, body: blob });
  if (!r.ok) {
    const e = ((await r.json().catch(() => null)) || {}).error || {};
    throw new ApiError(r.status, e.code || String(r.status), e.message || r.statusText, e.details);
  }
}

/**
 * send uploads the photos and posts the inspection (or the drill, entry.url
 * /api/drills); a network failure keeps it, an answer (even 4xx) settles it.
 */
async function send(entry) {
  try {
    for (const p of entry.photos) await upload(p);
    const r = await api('POST', entry.url || '/api/inspections', entry.body);
    setPending(pending().filter((x) => x.body.id !== entry.body.id));
    return r;
  } catch (e) {
    if (e instanceof ApiError) { setPending(pending().filter((x) => x.body.id !== entry.body.id)); throw e; }
    if (!pending().some((x) => x.body.id === entry.body.id)) setPending([...pending(), entry]);
    return null;
  }
}

async function flush() {
  for (const entry of pending()) {
    const r = await send(entry).catch(() => null);
    if (!r) continue;
    if (entry.url === '/api/drills') { drillSaved(r); continue; }
    $('in-summary').dataset.saved = r.id;
    if (current && r.place_id === current.place.id) {
      current = null;
      $('in-form').hidden = true;
      $('in-result').textContent = t('insp_saved', { n: r.hazards_opened.length });
    }
  }
}

function position() {
  return new Promise((resolve) => {
    if (!navigator.geolocation) return resolve(null);
    navigator.geolocation.getCurrentPosition(
      (p) => resolve({ lon: p.coords.longitude, lat: p.coords.latitude }),
      () => resolve(null), { timeout: 10000, maximumAge: 60000 });
  });
}

const HAZARD_COLOUR = ['match', ['get', 'hazard'], 'major', '#d62828', 'general', '#f77f00', '#2a9d8f'];

/**
 * showOnMap draws the places — outlines filled, and every place's point —
 * red with an open major hazard, orange with a general one, else green.
 */
function showOnMap(places) {
  const map = state.map;
  if (!map) return;
  if (!map.getSource('in-places')) {
    map.addSource('in-outlines', { type: 'geojson', data: { type: 'FeatureCollection', features: [] } });
    map.addLayer({ id: 'in-outlines', type: 'fill', source: 'in-outlines', paint: { 'fill-color': HAZARD_COLOUR, 'fill-opacity': 0.35 } });
    map.addLayer({ id: 'in-outlines-line', type: 'line', source: 'in-outlines', paint: { 'line-color': HAZARD_COLOUR, 'line-width': 2 } });
    map.addSource('in-places', { type: 'geojson', data: { type: 'FeatureCollection', features: [] } });
    map.addLayer({ id: 'in-places', type: 'circle', source: 'in-places', paint: {
      'circle-radius': 7, 'circle-stroke-color': '#000', 'circle-stroke-width': 1, 'circle-color': HAZARD_COLOUR } });
  }
  for (const id of ['in-outlines', 'in-outlines-line', 'in-places']) map.setLayoutProperty(id, 'visibility', 'visible');
  const props = (p) => ({ id: p.id, name: p.name, hazard: p.worst });
  map.getSource('in-outlines').setData({ type: 'FeatureCollection', features: places.filter((p) => p.geometry).map((p) => ({
    type: 'Feature', geometry: p.geometry, properties: props(p) })) });
  map.getSource('in-places').setData({ type: 'FeatureCollection', features: places.map((p) => ({
    type: 'Feature', geometry: { type: 'Point', coordinates: [p.lon, p.lat] }, properties: props(p) })) });
}

async function render() {
  const grid = me && me.unit_code;
  if (!grid || grid.length !== 15) { $('in-summary').textContent = t('insp_no_grid'); return; }
  if (!templates.length) templates = await get('/api/inspection-templates');
  const { places, due, hazards: open } = await gridPlaces(grid, templates);
  const checked = places.filter((p) => p.due);
  fillParents(places);
  $('in-summary').textContent = t('insp_due_n', { n: due.length, m: checked.length });
  $('in-places').replaceChildren(...checked.map((p) => {
    const li = document.createElement('li');
    li.dataset.place = String(p.id);
    const name = document.createElement('span');
    name.className = 'addr'; name.textContent = p.name;
    const st = document.createElement('small');
    st.textContent = t(`insp_${p.due}`);
    st.className = p.due;
    const b = document.createElement('button');
    b.textContent = t('insp_check');
    b.onclick = () => openForm(p);
    li.append(name, st, b);
    return li;
  }));
  showOnMap(places);
  $('in-hazards').replaceChildren(...open.map((h) => {
    const li = document.createElement('li');
    li.dataset.hazard = String(h.id);
    li.className = h.state;
    li.textContent = `${h.place_name} · ${h.item_text} · ${t('insp_deadline')} ${new Date(h.deadline).toLocaleString()} · ${t(`insp_${h.state}`)}`;
    return li;
  }));
}

function openForm(place) {
  const tpl = templates.find((x) => x.kind === place.kind);
  current = { place, template: tpl };
  $('in-title').textContent = `${place.name} · ${tpl.name}`;
  $('in-result').textContent = '';
  $('in-items').replaceChildren(...tpl.items.map((it) => {
    const row = document.createElement('div');
    row.className = 'insp-item';
    row.dataset.item = it.code;
    const label = document.createElement('label');
    const text = document.createElement('span');
    text.textContent = it.text;
    label.append(text);
    let input;
    if (it.judged_by === 'number') {
      input = document.createElement('input');
      input.type = 'number'; input.step = 'any'; input.required = true; input.className = 'value';
      input.placeholder = `${it.min ?? ''}–${it.max ?? ''}`;
    } else {
      input = document.createElement('input');
      input.type = 'checkbox'; input.checked = true; input.className = 'ok';
      const ok = document.createElement('small');
      ok.textContent = t('insp_pass');
      label.append(ok);
    }
    label.append(input);
    row.append(label);
    if (it.judged_by === 'photo') {
      const f = document.createElement('input');
      f.type = 'file'; f.accept = 'image/*'; f.capture = 'environment'; f.className = 'photo'; f.required = true;
      row.append(f);
    }
    const note = document.createElement('input');
    note.className = 'note'; note.placeholder = t('insp_note');
    row.append(note);
    return row;
  }));
  $('in-form').hidden = false;
}

async function submit(e) {
  e.preventDefault();
  if (!current) return;
  const out = $('in-result');
  const where = await position();
  if (!where) { out.textContent = t('insp_no_position'); return; }
  const photos = [];
  const results = [];
  for (const row of /** @type {NodeListOf<HTMLElement>} */ ($('in-items').querySelectorAll('.insp-item'))) {
    const q = (sel) => /** @type {HTMLInputElement|null} */ (row.querySelector(sel));
    const r = { item: row.dataset.item, ok: true };
    if (q('.value')) r.value = Number(q('.value').value);
    else r.ok = q('.ok').checked;
    if (q('.note').value) r.note = q('.note').value;
    const file = q('.photo') && q('.photo').files[0];
    if (file) {
      const p = { id: crypto.randomUUID(), data: await shrink(file) };
      photos.push(p);
      r.photos = [p.id];
    }
    results.push(r);
  }
  const body = {
    id: crypto.randomUUID(), place_id: current.place.id, template: current.template.code,
    template_version: current.template.version, inspected_at: new Date().toISOString(), lon: where.lon, lat: where.lat, results,
  };
  try {
    const r = await send({ body, photos });
    if (!r) { out.textContent = t('insp_queued'); return; }
    out.textContent = t(r.far ? 'insp_saved_far' : 'insp_saved', { n: r.hazards_opened.length, m: Math.round(r.distance_m) });
    out.dataset.inspection = r.id;
    current = null;
    $('in-form').hidden = true;
    $('in-summary').dataset.saved = r.id;
    await render();
  } catch (x) {
    out.textContent = x.message;
  }
}

/** renderDrill shows whether a school or enterprise grid held its drill this semester (每学期一次). */
async function renderDrill() {
  const grid = me && me.unit_code;
  const checks = grid && grid.length === 15 ? await get(`/api/drills/check?unit=${grid}`) : [];
  $('in-drill').hidden = checks.length === 0;
  const c = checks[0];
  if (c) $('in-drill-status').textContent = c.done ? t('insp_drill_done', { d: c.last_drill.slice(0, 10) }) : t('insp_drill_missing');
}

/** drillSaved shows a drill the server stored. */
function drillSaved(d) {
  $('in-drill-result').textContent = t('insp_drill_saved');
  $('in-drill-result').dataset.drill = d.id;
  renderDrill().catch(() => {});
}

/** submitDrill records the semester drill with its photos, kept and resent like an inspection when offline. */
async function submitDrill(e) {
  e.preventDefault();
  const photos = [];
  for (const file of $('in-drill-photos').files) photos.push({ id: crypto.randomUUID(), data: await shrink(file) });
  const body = {
    id: crypto.randomUUID(), grid_code: me.unit_code, held_on: $('in-drill-date').value,
    scenario: $('in-drill-scenario').value, participants: Number($('in-drill-participants').value), photos: photos.map((p) => p.id),
  };
  const d = await send({ url: '/api/drills', body, photos });
  if (!d) { $('in-drill-result').textContent = t('insp_drill_queued'); return; }
  $('in-drill-photos').value = '';
  drillSaved(d);
}

// Drawing a new place's outline: the terra-draw feature once finished.
let outlining = false;
let outlineId = null;
let listening = false; // the finish handler is on the shared instance

/** fillParents offers the grid's places as the new place's parent (a room inside its building). */
function fillParents(places) {
  const sel = /** @type {HTMLSelectElement} */ (document.getElementById('in-np-parent'));
  const keep = sel.value;
  const none = document.createElement('option');
  none.value = ''; none.textContent = t('insp_place_none');
  sel.replaceChildren(none, ...places.map((p) => {
    const o = document.createElement('option');
    o.value = String(p.id); o.textContent = `${kindName(p.kind)} · ${p.name}`;
    return o;
  }));
  sel.value = keep;
}

/** startOutline lets the officer click the outline's corners on the map. */
function startOutline() {
  const d = mapDraw();
  if (!listening) {
    listening = true;
    d.on('finish', (id) => {
      if (!outlining) return;
      outlineId = id;
      d.setMode('static');
      $('in-np-save').disabled = false;
    });
  }
  outlining = true; outlineId = null;
  d.clear();
  d.setMode('polygon');
  $('in-np-save').disabled = true;
  $('in-np-result').textContent = t('insp_draw_hint');
}

function stopOutline() {
  if (!outlining) return;
  const d = mapDraw();
  d.clear();
  d.setMode('static');
  outlining = false; outlineId = null;
  $('in-np-save').disabled = true;
}

/** savePlace posts the new place with its drawn outline (its point: one on the outline, chosen by the server). */
async function savePlace(e) {
  e.preventDefault();
  const f = outlineId != null && mapDraw().getSnapshotFeature(outlineId);
  if (!f) return;
  const parent = /** @type {HTMLSelectElement} */ (document.getElementById('in-np-parent')).value;
  const body = { grid_code: me.unit_code, kind: $('in-np-kind').value, name: $('in-np-name').value, geometry: f.geometry };
  if (parent) body.parent_id = Number(parent);
  const r = await api('POST', '/api/places', body);
  stopOutline();
  $('in-np-result').textContent = t('insp_place_saved');
  $('in-np-result').dataset.place = String(r.id);
  $('in-np-name').value = '';
  await render();
}

/** initInspections wires the form once. */
export function initInspections() {
  $('in-form').addEventListener('submit', (e) => submit(e).catch((x) => { $('in-result').textContent = x.message; }));
  $('in-cancel').onclick = () => { current = null; $('in-form').hidden = true; };
  $('in-drill').addEventListener('submit', (e) => submitDrill(e).catch((x) => { $('in-drill-result').textContent = x.message; }));
  const kinds = /** @type {HTMLSelectElement} */ (document.getElementById('in-np-kind'));
  kinds.replaceChildren(...PLACE_KINDS.map((k) => { const o = document.createElement('option'); o.value = k; o.textContent = kindName(k); return o; }));
  $('in-np-draw').onclick = startOutline;
  $('in-new-place').addEventListener('submit', (e) => savePlace(e).catch((x) => { $('in-np-result').textContent = x.message; }));
  window.addEventListener('online', () => flush().then(render).catch(() => {}));
}

/** leaveInspections hides the places layer. */
export function leaveInspections() {
  stopOutline();
  for (const id of ['in-outlines', 'in-outlines-line', 'in-places']) {
    if (state.map && state.map.getLayer(id)) state.map.setLayoutProperty(id, 'visibility', 'none');
  }
}

/** enterInspections resends kept inspections, then shows the places, what is due and the open hazards. */
export async function enterInspections(user) {
  me = user;
  state.onClick = null;
  await flush();
  await render();
  await renderDrill();
}
