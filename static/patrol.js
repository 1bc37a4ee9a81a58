// patrol: the leader's patrol view — who patrolled on a day and for how
// long against target, one worker-day's track played back in time order
// (play, pause, speed), and the coverage gaps (where nobody came within the
// radius) and visit frequency of the worker's grid as layers with a legend;
// every worker's tracks of the day as vector tiles, a colour per worker, and
// the last known positions, polled while shown.
import { get } from './api.js';
import { t, onLang, applyTo } from './i18n.js';
import { state, fitTo, district } from './gridmap.js';
import { showError, h } from './card.js';

const empty = () => ({ type: 'FeatureCollection', features: [] });
const VISIT_COLOURS = ['#f1faee', '#a8dadc', '#457b9d', '#1d3557']; // 0, 1, 2, 3+ days
// The tiles' colour property (0–11, per worker) picks from this palette.
const WORKER_COLOURS = ['#e6194b', '#3cb44b', '#4363d8', '#f58231', '#911eb4', '#42d4f4',
  '#f032e6', '#9a6324', '#469990', '#800000', '#808000', '#000075'];
const POSITIONS_EVERY_MS = 15000;
let positionsTimer = 0;
let summary = null; // GET /api/patrol/summary of the chosen date
let play = null; // {fixes, i, simT, speed, running, raf}

/** initPatrol builds the panel (once). */
export function initPatrol() {
  const sec = h('section', { id: 'patrol-panel', class: 'mode-panel', hidden: '' },
    h('h2', { 'data-i18n': 'patrol_title' }),
    h('label', {}, h('span', { 'data-i18n': 'patrol_date' }), h('input', { id: 'pt-date', type: 'date' })),
    h('table', { id: 'pt-workers', class: 'stats' }),
    h('p', { id: 'pt-idle', class: 'muted' }),
    h('div', { class: 'actions' },
      h('label', {}, h('span', { 'data-i18n': 'patrol_worker' }), h('select', { id: 'pt-worker' })),
      h('button', { type: 'button', id: 'pt-play', 'data-i18n': 'patrol_play' }),
      h('button', { type: 'button', id: 'pt-pause', 'data-i18n': 'patrol_pause' }),
      h('select', { id: 'pt-speed', 'data-i18n-title': 'patrol_speed' },
        ...[10, 60, 300, 3600].map((s) => h('option', { value: s }, `${s}×`)))),
    h('p', {}, h('span', { 'data-i18n': 'patrol_clock' }), ' ', h('output', { id: 'pt-clock' }, '—')),
    h('dl', { id: 'pt-day' }),
    h('fieldset', { id: 'pt-layers' }, h('legend', { 'data-i18n': 'patrol_layers' }),
      h('label', {}, h('input', { type: 'checkbox', 'data-layer': 'gaps' }), ' ', h('span', { 'data-i18n': 'patrol_gaps' })),
      h('label', {}, h('input', { type: 'checkbox', 'data-layer': 'visits' }), ' ', h('span', { 'data-i18n': 'patrol_visits' })),
      h('label', {}, h('input', { type: 'checkbox', 'data-layer': 'all' }), ' ', h('span', { 'data-i18n': 'patrol_all_tracks' })),
      h('label', {}, h('input', { type: 'checkbox', 'data-layer': 'positions' }), ' ', h('span', { 'data-i18n': 'patrol_positions' })),
      h('label', {}, h('input', { type: 'checkbox', 'data-layer': 'blind' }), ' ', h('span', { 'data-i18n': 'patrol_blind' })),
      h('label', {}, h('span', { 'data-i18n': 'patrol_radius' }), h('input', { id: 'pt-radius', type: 'number', min: 1, max: 500, value: 50 }))),
    h('div', { id: 'pt-legend', class: 'legend' }));
  document.getElementById('panel').appendChild(sec);
  applyTo(sec);
  const yesterday = new Date(Date.now() + 8 * 3600e3 - 86400e3).toISOString().slice(0, 10);
  /** @type {HTMLInputElement} */ (document.getElementById('pt-date')).value = yesterday;
  document.getElementById('pt-date').onchange = () => loadSummary().catch(showError);
  document.getElementById('pt-worker').onchange = () => loadWorkerDay().catch(showError);
  document.getElementById('pt-play').onclick = () => startPlay();
  document.getElementById('pt-pause').onclick = () => pausePlay();
  document.getElementById('pt-speed').onchange = (e) => { if (play) play.speed = Number(/** @type {HTMLSelectElement} */ (e.target).value); };
  for (const cb of sec.querySelectorAll('#pt-layers input[type=checkbox]')) cb.onchange = () => loadLayers().catch(showError);
  document.getElementById('pt-radius').onchange = () => loadLayers().catch(showError);
  onLang(() => { renderSummary(); renderLegend(); });
}

function ensureLayers() {
  const map = state.map;
  if (map.getSource('pt-track')) return;
  for (const s of ['pt-gaps', 'pt-visits', 'pt-track', 'pt-head', 'pt-positions', 'pt-blind', 'pt-cameras']) map.addSource(s, { type: 'geojson', data: empty() });
  addTrackTiles(map, 'pt-all', allTracksURL());
  map.setLayoutProperty('pt-all', 'visibility', 'none');
  map.addLayer({ id: 'pt-visits', type: 'fill', source: 'pt-visits', paint: {
    'fill-color': ['step', ['get', 'days'], VISIT_COLOURS[0], 1, VISIT_COLOURS[1], 2, VISIT_COLOURS[2], 3, VISIT_COLOURS[3]], 'fill-opacity': 0.6 } });
  map.addLayer({ id: 'pt-blind', type: 'fill', source: 'pt-blind', paint: { 'fill-color': '#6a4c93', 'fill-opacity': 0.4, 'fill-outline-color': '#3c096c' } });
  map.addLayer({ id: 'pt-cameras', type: 'fill', source: 'pt-cameras', paint: { 'fill-color': '#80ed99', 'fill-opacity': 0.5, 'fill-outline-color': '#1b4332' } });
  addGapLayer(map, 'pt-gaps');
  map.addLayer({ id: 'pt-track', type: 'line', source: 'pt-track', paint: { 'line-color': '#2a9d8f', 'line-width': 3 } });
  map.addLayer({ id: 'pt-head', type: 'circle', source: 'pt-head', paint: { 'circle-radius': 7, 'circle-color': '#ffb703', 'circle-stroke-color': '#000', 'circle-stroke-width': 1 } });
  addPositionLayers(map, 'pt-positions');
}

/**
 * addTrackTiles draws the track tiles of url (/api/patrol/tiles) as layer id,
 * a colour per worker; the patrol mode and the leader's display share it.
 */
export function addTrackTiles(map, id, url, before = undefined) {
  map.addSource(id, { type: 'vector', tiles: [url], minzoom: 0, maxzoom: 18 });
  map.addLayer({ id, type: 'line', source: id, 'source-layer': 'tracks',
    paint: { 'line-color': ['match', ['get', 'colour'], ...WORKER_COLOURS.flatMap((c, i) => [i, c]), '#555'], 'line-width': 2, 'line-opacity': 0.8 } }, before);
}

/** GAP_COLOUR fills the coverage gaps (/api/patrol/gaps). */
export const GAP_COLOUR = '#e63946';

/** addGapLayer draws the coverage gaps of the GeoJSON source id (the layer has the same id). */
export function addGapLayer(map, id, before = undefined) {
  map.addLayer({ id, type: 'fill', source: id, paint: { 'fill-color': GAP_COLOUR, 'fill-opacity': 0.45, 'fill-outline-color': '#9d0208' } }, before);
}

/** POSITION_COLOUR is the dot of a last known position. */
export const POSITION_COLOUR = '#1d3557';

/** addPositionLayers draws the positions of the GeoJSON source id: dots fading with age, and their labels (id-label). */
export function addPositionLayers(map, id) {
  map.addLayer({ id, type: 'circle', source: id, paint: {
    'circle-radius': 6, 'circle-color': POSITION_COLOUR, 'circle-stroke-color': '#fff', 'circle-stroke-width': 2,
    // Fading with age: a fix at the configured limit is nearly transparent.
    'circle-opacity': ['get', 'opacity'] } });
  map.addLayer({ id: `${id}-label`, type: 'symbol', source: id, layout: {
    'text-field': ['get', 'label'], 'text-size': 11, 'text-offset': [0, 1.2], 'text-anchor': 'top' },
  paint: { 'text-halo-color': '#fff', 'text-halo-width': 1 } });
}

/** positionFeatures turns a GET /api/patrol/positions answer into the positions layers' GeoJSON. */
export function positionFeatures(r) {
  return { type: 'FeatureCollection', features: r.positions.map((p) => ({ type: 'Feature',
    geometry: { type: 'Point', coordinates: [p.lon, p.lat] },
    properties: { worker: p.worker, age_s: p.age_s, opacity: 1 - 0.75 * Math.min(1, p.age_s / r.max_age_s),
      label: t('patrol_position_age', { name: p.name || p.worker, min: Math.floor(p.age_s / 60) }) } })) };
}

/** trackKey is the legend's key of the track tiles (a colour per worker, the label says so). */
export const trackKey = () => ({ colour: WORKER_COLOURS[0], shape: /** @type {'line'} */ ('line'), label: t('patrol_all_tracks') });

// allTracksURL is the track tiles of the chosen day for the district's workers.
function allTracksURL() {
  const date = /** @type {HTMLInputElement} */ (document.getElementById('pt-date')).value;
  return `${location.origin}/api/patrol/tiles/{z}/{x}/{y}.mvt?grid=${encodeURIComponent(allTracksUnit)}&from=${date}&to=${date}`;
}
let allTracksUnit = '';

// refreshAllTracks points the track tiles at the chosen day and unit.
async function refreshAllTracks() {
  allTracksUnit = (await district())?.code || '';
  const src = /** @type {any} */ (state.map.getSource('pt-all'));
  if (src && allTracksUnit) src.setTiles([allTracksURL()]);
}

// loadPositions fetches the last positions, while the layer is shown.
async function loadPositions() {
  clearTimeout(positionsTimer);
  const cb = /** @type {HTMLInputElement} */ (document.querySelector('#pt-layers input[data-layer=positions]'));
  const src = state.map.getSource('pt-positions');
  if (!cb?.checked || !document.getElementById('patrol-panel') || document.getElementById('patrol-panel').hidden) {
    src?.setData(empty());
    return;
  }
  const unit = (await district())?.code || '';
  const r = await get(`/api/patrol/positions?unit=${encodeURIComponent(unit)}`);
  src.setData(positionFeatures(r));
  document.getElementById('pt-legend').dataset.positions = String(r.positions.length);
  positionsTimer = window.setTimeout(() => loadPositions().catch(showError), POSITIONS_EVERY_MS);
}

/** enterPatrol shows the panel and loads the chosen date's summary. */
export async function enterPatrol() {
  state.onClick = null;
  ensureLayers();
  for (const l of ['pt-visits', 'pt-blind', 'pt-cameras', 'pt-gaps', 'pt-track', 'pt-head', 'pt-positions', 'pt-positions-label']) state.map.setLayoutProperty(l, 'visibility', 'visible');
  await loadSummary();
}

/** leavePatrol stops playback and hides the patrol layers. */
export function leavePatrol() {
  pausePlay();
  clearTimeout(positionsTimer);
  for (const l of ['pt-visits', 'pt-blind', 'pt-cameras', 'pt-gaps', 'pt-track', 'pt-head', 'pt-all', 'pt-positions', 'pt-positions-label']) if (state.map.getLayer(l)) state.map.setLayoutProperty(l, 'visibility', 'none');
}

const hours = (s) => (s / 3600).toFixed(1);

async function loadSummary() {
  const date = /** @type {HTMLInputElement} */ (document.getElementById('pt-date')).value;
  summary = await get(`/api/patrol/summary?unit=${encodeURIComponent((await district())?.code || '')}&date=${encodeURIComponent(date)}`);
  const sel = /** @type {HTMLSelectElement} */ (document.getElementById('pt-worker'));
  const had = sel.value;
  sel.replaceChildren(...summary.workers.filter((w) => w.day_seconds > 0).map((w) => h('option', { value: w.worker }, w.worker)));
  if ([...sel.options].some((o) => o.value === had)) sel.value = had;
  renderSummary();
  await loadWorkerDay();
}

function renderSummary() {
  if (!summary) return;
  const tbl = document.getElementById('pt-workers');
  tbl.replaceChildren(h('tr', {}, ...['patrol_worker', 'patrol_day_hours', 'patrol_month_hours', 'patrol_target'].map((k) => h('th', {}, t(k)))),
    ...summary.workers.filter((w) => w.day_seconds > 0).slice(0, 50).map((w) => h('tr', { 'data-worker': w.worker, class: w.met_day === false ? 'under_target' : '' },
      h('td', {}, w.worker), h('td', {}, hours(w.day_seconds)), h('td', {}, hours(w.month_seconds)),
      h('td', {}, w.target_daily_seconds == null ? '—' : hours(w.target_daily_seconds)))));
  const idle = summary.not_patrolled;
  document.getElementById('pt-idle').textContent = t('patrol_idle', { n: idle.length, names: idle.slice(0, 20).join('、') });
}

function workerLine() { return summary?.workers.find((w) => w.worker === /** @type {HTMLSelectElement} */ (document.getElementById('pt-worker')).value); }

// Generations of the day and layer loads: an answer to an earlier choice of
// worker or day (the summary loads the first worker while the leader picks
// another) arriving late must not replace the later one's.
let dayLoads = 0;
let layerLoads = 0;

async function loadWorkerDay() {
  pausePlay();
  const seq = ++dayLoads;
  const worker = /** @type {HTMLSelectElement} */ (document.getElementById('pt-worker')).value;
  const date = /** @type {HTMLInputElement} */ (document.getElementById('pt-date')).value;
  const src = (id) => state.map.getSource(id);
  document.getElementById('pt-clock').textContent = '—';
  if (!worker) {
    src('pt-track').setData(empty()); src('pt-head').setData(empty());
    document.getElementById('pt-day').replaceChildren();
    return loadLayers();
  }
  const q = `worker=${encodeURIComponent(worker)}&from=${date}&to=${date}`;
  const [tracks, days, pb] = await Promise.all([get(`/api/patrol/tracks?${q}`), get(`/api/patrol/days?${q}`),
    get(`/api/patrol/playback?worker=${encodeURIComponent(worker)}&date=${date}`)]);
  if (seq !== dayLoads) return;
  src('pt-track').setData(tracks);
  src('pt-head').setData(empty());
  play = { fixes: pb.fixes.map((f) => ({ t: Date.parse(f.t), c: [f.lon, f.lat] })), i: 0, simT: 0, speed: Number(/** @type {HTMLSelectElement} */ (document.getElementById('pt-speed')).value), running: false, raf: 0 };
  if (play.fixes.length) play.simT = play.fixes[0].t;
  const d = days.days[0];
  document.getElementById('pt-day').replaceChildren(...(d ? [
    h('dt', {}, t('patrol_distance')), h('dd', { id: 'pt-distance' }, `${(d.distance_m / 1000).toFixed(2)} km`),
    h('dt', {}, t('patrol_hours')), h('dd', { id: 'pt-hours' }, hours(d.patrol_seconds)),
    h('dt', {}, t('patrol_in_grid')), h('dd', {}, hours(d.in_grid_seconds)),
    h('dt', {}, t('patrol_coverage')), h('dd', {}, d.coverage_ratio == null ? '—' : `${(d.coverage_ratio * 100).toFixed(1)}%`),
    h('dt', {}, t('patrol_streets')), h('dd', {}, d.street_ratio == null ? '—' : `${(d.street_ratio * 100).toFixed(1)}%`),
    h('dt', {}, t('patrol_trips_stops')), h('dd', {}, `${d.trips.length} / ${d.stops.length}`),
  ] : []));
  if (tracks.features.length) fitTo(tracks.features.map((f) => f.geometry));
  await loadLayers();
}

async function loadLayers() {
  const seq = ++layerLoads;
  const w = workerLine();
  const date = /** @type {HTMLInputElement} */ (document.getElementById('pt-date')).value;
  const radius = /** @type {HTMLInputElement} */ (document.getElementById('pt-radius')).value;
  const on = (id) => /** @type {HTMLInputElement} */ (document.querySelector(`#pt-layers input[data-layer=${id}]`)).checked;
  const grid = w?.unit;
  const q = grid ? `grid=${grid}&from=${date}&to=${date}&radius_m=${encodeURIComponent(radius)}` : null;
  const [gaps, visits, blind, cameras] = await Promise.all([
    on('gaps') && q ? get(`/api/patrol/gaps?${q}`) : null,
    on('visits') && q ? get(`/api/patrol/visits?${q}`) : null,
    on('blind') && grid ? get(`/api/patrol/blind-spots?grid=${grid}`) : null,
    on('blind') && grid ? get(`/api/cameras?unit=${grid}`) : null]);
  if (seq !== layerLoads) return;
  state.map.getSource('pt-gaps').setData(gaps || empty());
  state.map.getSource('pt-visits').setData(visits || empty());
  state.map.getSource('pt-blind').setData(blind || empty());
  state.map.getSource('pt-cameras').setData(cameras || empty());
  lastBlind = blind;
  document.getElementById('pt-legend').dataset.blindArea = blind ? String(Math.round(blind.summary.blind_area_m2)) : '';
  await refreshAllTracks();
  state.map.setLayoutProperty('pt-all', 'visibility', on('all') ? 'visible' : 'none');
  await loadPositions();
  if (seq !== layerLoads) return;
  document.getElementById('pt-legend').dataset.gapArea = gaps ? String(Math.round(gaps.summary.gap_area_m2)) : '';
  renderLegend(gaps);
}

let lastGaps = null;
let lastBlind = null;
function renderLegend(gaps = lastGaps) {
  lastGaps = gaps;
  const box = document.getElementById('pt-legend');
  const sw = (c) => h('span', { class: 'swatch', style: `display:inline-block;width:12px;height:12px;background:${c}` });
  box.replaceChildren(
    h('div', {}, sw('#2a9d8f'), ' ', t('patrol_track')),
    h('div', {}, sw(GAP_COLOUR), ' ', t('patrol_gaps'), gaps ? ` · ${t('patrol_gap_area', { m2: Math.round(gaps.summary.gap_area_m2), pct: (gaps.summary.gap_ratio * 100).toFixed(1) })}` : ''),
    h('div', {}, ...VISIT_COLOURS.map((c, i) => h('span', {}, sw(c), ` ${i}${i === 3 ? '+' : ''} `)), t('patrol_visit_days')),
    h('div', {}, ...WORKER_COLOURS.slice(0, 6).map((c) => sw(c)), ' ', t('patrol_all_tracks')),
    h('div', {}, sw(POSITION_COLOUR), ' ', t('patrol_positions')),
    h('div', {}, sw('#6a4c93'), ' ', t('patrol_blind'), lastBlind ? ` · ${t('patrol_blind_area', { m2: Math.round(lastBlind.summary.blind_area_m2), pct: (lastBlind.summary.blind_ratio * 100).toFixed(1), n: lastBlind.summary.cameras })}` : ''),
    h('div', {}, sw('#80ed99'), ' ', t('patrol_camera_views')));
}

function startPlay() {
  if (!play || !play.fixes.length) return;
  if (play.i >= play.fixes.length - 1) { play.i = 0; play.simT = play.fixes[0].t; }
  play.running = true;
  let last = performance.now();
  const step = (now) => {
    if (!play?.running) return;
    play.simT += (now - last) * play.speed;
    last = now;
    const f = play.fixes;
    while (play.i < f.length - 1 && f[play.i + 1].t <= play.simT) play.i++;
    const a = f[play.i], b = f[Math.min(play.i + 1, f.length - 1)];
    const k = b.t > a.t ? Math.min(1, (play.simT - a.t) / (b.t - a.t)) : 0;
    const c = [a.c[0] + (b.c[0] - a.c[0]) * k, a.c[1] + (b.c[1] - a.c[1]) * k];
    state.map.getSource('pt-head')?.setData({ type: 'FeatureCollection', features: [{ type: 'Feature', geometry: { type: 'Point', coordinates: c }, properties: {} }] });
    const clock = document.getElementById('pt-clock');
    clock.textContent = new Date(Math.min(play.simT, f[f.length - 1].t) + 8 * 3600e3).toISOString().slice(11, 19);
    clock.dataset.index = String(play.i);
    if (play.i >= f.length - 1) { play.running = false; clock.dataset.done = 'true'; return; }
    play.raf = requestAnimationFrame(step);
  };
  document.getElementById('pt-clock').dataset.done = 'false';
  play.raf = requestAnimationFrame(step);
}

function pausePlay() {
  if (!play) return;
  play.running = false;
  cancelAnimationFrame(play.raf);
}
