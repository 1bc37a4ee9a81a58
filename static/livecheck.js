// livecheck: while a planner drags a vertex of a grid, the shape is checked
// against its community's grids by the server, in memory
// (POST /api/grids/{code}/check: the edit's snapping and tolerances, no
// database), and what a save would refuse (strict) or change (adjust) is
// drawn at once. One request is in flight at a time; the newest shape goes
// next and answers for older shapes are dropped. The server check still
// decides at save.
import { api, ApiError } from './api.js';
import { t } from './i18n.js';
import { state } from './gridmap.js';
import { errorText, h } from './card.js';

const SOURCE = 'pl-live';
let wanted = 0;      // generation of the newest shape
let next = null;     // {code, geometry} waiting for the request in flight
let busy = false;
let status = null;   // the panel's status line

/**
 * liveCheck asks for the defects of geometry as grid code's new shape.
 * @param {HTMLElement} line where the status is written
 * @param {string} code
 * @param {object} geometry GeoJSON Polygon or MultiPolygon
 * @param {string} mode 'strict' or 'adjust': what the defects will mean at save
 */
export function liveCheck(line, code, geometry, mode) {
  status = line;
  wanted++;
  next = { code, geometry, mode, gen: wanted };
  if (!busy) send();
}

async function send() {
  const job = next;
  next = null;
  if (!job) return;
  busy = true;
  let features = [], text, cls = 'ok';
  try {
    const r = await api('POST', `/api/grids/${job.code}/check`, { geometry: job.geometry });
    features = r.defects.features;
    text = summary(features, job.mode);
    if (features.length) cls = 'warn';
  } catch (e) {
    // A ring crossing itself comes back as 400 with the place in details.
    if (e instanceof ApiError && e.details?.features) features = e.details.features.map((f) => ({ ...f, properties: { ...f.properties, kind: 'invalid' } }));
    text = t('live_failed', { msg: errorText(e) });
    cls = 'warn';
  }
  busy = false;
  if (job.gen === wanted && status) { // only the newest shape's answer is shown
    draw(features, job.mode);
    status.className = `live ${cls}`;
    status.dataset.defects = String(features.length);
    status.dataset.gen = String(job.gen);
    status.replaceChildren(h('span', {}, text));
  }
  if (next) send();
}

// summary counts the defects by kind in words: what strict refuses, what adjust changes.
function summary(features, mode) {
  if (!features.length) return t('live_clean');
  const n = (k) => features.filter((f) => f.properties.kind === k).length;
  const adjust = mode === 'adjust';
  const parts = [];
  if (n('overlap')) parts.push(t(adjust ? 'live_takes' : 'live_overlaps', { n: n('overlap') }));
  if (n('gap')) parts.push(t(adjust ? 'live_releases' : 'live_gaps', { n: n('gap') }));
  if (n('outside_parent')) parts.push(t(adjust ? 'live_clipped' : 'live_outside', { n: n('outside_parent') }));
  return t('live_found', { list: parts.join('、') });
}

// Colours: red what strict refuses; in adjust mode orange what the grid takes
// from a neighbour, blue what it gives back, grey what is clipped at the community.
function draw(features, mode) {
  const map = state.map;
  const data = { type: 'FeatureCollection', features: features.map((f) => ({ ...f, properties: { ...f.properties, mode } })) };
  if (map.getSource(SOURCE)) { map.getSource(SOURCE).setData(data); return; }
  map.addSource(SOURCE, { type: 'geojson', data });
  const colour = ['case', ['any', ['==', ['get', 'mode'], 'strict'], ['==', ['get', 'kind'], 'invalid']], '#e63946',
    ['match', ['get', 'kind'], 'overlap', '#fb8500', 'gap', '#219ebc', '#6c757d']];
  map.addLayer({ id: 'pl-live-fill', type: 'fill', source: SOURCE, filter: ['!=', ['geometry-type'], 'Point'], paint: { 'fill-color': colour, 'fill-opacity': 0.5 } });
  map.addLayer({ id: 'pl-live-point', type: 'circle', source: SOURCE, filter: ['==', ['geometry-type'], 'Point'], paint: { 'circle-color': colour, 'circle-radius': 7 } });
}

/** clearLive removes the live defects and the status line, and drops answers still on their way. */
export function clearLive() {
  wanted++;
  next = null;
  if (status) { status.replaceChildren(); status.className = 'live'; delete status.dataset.defects; }
  const src = state.map?.getSource(SOURCE);
  if (src) src.setData({ type: 'FeatureCollection', features: [] });
}
