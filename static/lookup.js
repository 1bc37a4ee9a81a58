// lookup: the officer's question "which grid is this, and who is
// responsible?" — from an address (gazetteer search), a coordinate in
// WGS-84 / GCJ-02 / BD-09, or a click on the map. The server's locate answer
// says whether the point is within a few metres of a boundary.
import { get } from './api.js';
import { t, onLang } from './i18n.js';
import { state } from './gridmap.js';
import { showCard, hideCard, showError, errorText, h } from './card.js';

let marker = null;
let last = null; // last answer (or failure), re-rendered on a language switch
let asked = 0;   // number of the latest question: an older answer arriving late is dropped
const HERE_SOURCE = 'lookup-accuracy';

// DMS is one angle in degrees-minutes-seconds (30°16'12"N, 30度16分12秒北) or decimal with a hemisphere.
const DMS = String.raw`(\d+(?:\.\d+)?)\s*[°度]\s*(?:(\d+(?:\.\d+)?)\s*['′分]\s*)?(?:(\d+(?:\.\d+)?)\s*(?:"|″|''|秒)\s*)?([NSEW北南东西])?`;

// dmsValue is [degrees, minutes, seconds, hemisphere] in signed decimal degrees.
function dmsValue([d, m, sec, hemi]) {
  const v = Number(d) + Number(m || 0) / 60 + Number(sec || 0) / 3600;
  return /[SW南西]/.test(hemi || '') ? -v : v;
}

/**
 * parseCoordinate reads "lon,lat" (or "lat,lon" for China, told apart by
 * range, or by N/S/E/W), in decimal degrees or degrees-minutes-seconds
 * (30°16'12"N 120°7'48"E); null if q is not a coordinate.
 */
export function parseCoordinate(q) {
  const s = q.trim();
  let a, b;
  const dec = s.match(/^(-?\d+(?:\.\d+)?)\s*[,，\s]\s*(-?\d+(?:\.\d+)?)$/);
  const dms = s.match(new RegExp(`^${DMS}\\s*[,，\\s]?\\s*${DMS}$`));
  if (dec) {
    a = Number(dec[1]); b = Number(dec[2]);
    if (Math.abs(a) <= 90 && Math.abs(b) > 90) [a, b] = [b, a];
  } else if (dms) {
    const m1 = dms.slice(1, 5), m2 = dms.slice(5, 9);
    a = dmsValue(m1); b = dmsValue(m2);
    // A hemisphere letter says which is the latitude; without one, China's range does.
    const firstIsLat = /[NS北南]/.test(m1[3] || '') || /[EW东西]/.test(m2[3] || '') || (!m1[3] && !m2[3] && Math.abs(a) <= 90 && Math.abs(b) > 90);
    if (firstIsLat) [a, b] = [b, a];
  } else {
    return null;
  }
  if (Math.abs(a) > 180 || Math.abs(b) > 90) return null;
  return [a, b];
}

/** initLookup wires the lookup form and the my-location button. */
export function initLookup() {
  document.getElementById('lookup-form').addEventListener('submit', (e) => {
    e.preventDefault();
    search(/** @type {HTMLInputElement} */ (document.getElementById('lookup-q')).value).catch(failed);
  });
  document.getElementById('lookup-here').addEventListener('click', () => { here().catch(failed); });
  onLang(() => { if (last) renderAnswer(last); });
}

/** enterLookup makes a map click ask which grid the point is in. */
export function enterLookup() {
  state.onClick = (e) => locate(e.lngLat.lng, e.lngLat.lat, 'wgs84').catch(failed);
}

/** search answers the lookup box: a coordinate is located, anything else searched as an address. */
export async function search(q) {
  const list = document.getElementById('lookup-results');
  list.replaceChildren();
  if (!q.trim()) return;
  const c = parseCoordinate(q);
  if (c) return locate(c[0], c[1], /** @type {HTMLSelectElement} */ (document.getElementById('lookup-crs')).value);
  const n = ++asked;
  const found = await get(`/api/addresses/search?q=${encodeURIComponent(q.trim())}`).catch((e) => { if (n === asked) throw e; });
  if (n !== asked) return;
  const rows = found.results;
  if (!rows.length) { clearAnswer(); list.append(h('li', { class: 'muted' }, t('no_result'))); return; }
  list.append(h('li', { class: 'muted' }, t('results', { n: rows.length })));
  for (const r of rows.slice(0, 10)) {
    list.append(h('li', {}, h('a', { href: '#', class: 'result', onclick: (e) => { e.preventDefault(); locate(r.lon, r.lat, 'wgs84', r.text).catch(failed); } },
      r.text, h('small', {}, ` · ${r.grid_name || t('outside_grids')}`))));
  }
  // Several equally good matches in different grids (the same name in two
  // communities): the officer chooses; a clear best match is shown at once.
  const top = rows.filter((r) => r.score === rows[0].score);
  if (new Set(top.map((r) => r.grid_code)).size > 1) {
    clearAnswer();
    list.prepend(h('li', { class: 'warn choose' }, t('mapfront_lookup_choose', { n: top.length })));
    return;
  }
  await locate(rows[0].lon, rows[0].lat, 'wgs84', rows[0].text);
}

// here locates the device (the browser's geolocation is WGS-84) and draws its accuracy circle.
async function here() {
  if (!navigator.geolocation) throw new Error(t('mapfront_lookup_no_geolocation'));
  const pos = await new Promise((resolve, reject) => navigator.geolocation.getCurrentPosition(resolve, reject, { enableHighAccuracy: true, timeout: 15000 }))
    .catch((e) => { throw new Error(t('mapfront_lookup_geolocation_failed', { msg: e.message || '' })); });
  const { longitude: lon, latitude: lat, accuracy } = pos.coords;
  const ans = await locate(lon, lat, 'wgs84', t('mapfront_lookup_my_location', { m: Math.round(accuracy) }));
  if (ans) drawAccuracy(lon, lat, accuracy);
  return ans;
}

function clearAccuracy() {
  state.map.getSource(HERE_SOURCE)?.setData({ type: 'FeatureCollection', features: [] });
}

// drawAccuracy draws a circle of radius m metres around (lon, lat).
function drawAccuracy(lon, lat, m) {
  const map = state.map, ring = [];
  for (let i = 0; i <= 64; i++) {
    const a = (i / 64) * 2 * Math.PI;
    ring.push([lon + (m * Math.cos(a)) / (111320 * Math.cos((lat * Math.PI) / 180)), lat + (m * Math.sin(a)) / 110540]);
  }
  const data = { type: 'Feature', properties: {}, geometry: { type: 'Polygon', coordinates: [ring] } };
  if (map.getSource(HERE_SOURCE)) { map.getSource(HERE_SOURCE).setData(data); return; }
  map.addSource(HERE_SOURCE, { type: 'geojson', data });
  map.addLayer({ id: `${HERE_SOURCE}-fill`, type: 'fill', source: HERE_SOURCE, paint: { 'fill-color': '#4361ee', 'fill-opacity': 0.15 } });
  map.addLayer({ id: `${HERE_SOURCE}-line`, type: 'line', source: HERE_SOURCE, paint: { 'line-color': '#4361ee', 'line-width': 2 } });
}

// clearAnswer removes the last answer: its text, marker and card.
function clearAnswer() {
  last = null;
  if (marker) marker.remove();
  marker = null;
  document.getElementById('lookup-answer').replaceChildren();
  clearAccuracy();
  hideCard();
}

// failed replaces the last answer with the failure, in the page's language.
function failed(e) {
  clearAnswer();
  last = { error: e };
  renderAnswer(last);
  showError(e);
}

/** locate finds the grid at (lon, lat) in crs and shows it with its staff. */
export async function locate(lon, lat, crs, label) {
  const n = ++asked;
  // A failure of a question asked before the latest one says nothing about the latest.
  const ans = await get(`/api/locate?lon=${lon}&lat=${lat}&crs=${crs}`).catch((e) => { if (n === asked) throw e; });
  if (n !== asked) return null; // a later question was asked meanwhile
  clearAccuracy();
  // The server gives the point in WGS-84 (wgs84: [lon, lat]) whatever crs it was asked in.
  const at = ans.wgs84 || (crs === 'wgs84' ? [lon, lat] : null);
  if (marker) marker.remove();
  marker = at ? new maplibregl.Marker({ color: '#e63946' }).setLngLat(at).addTo(state.map) : null;
  last = { ...ans, label, at };
  renderAnswer(last);
  // Outside every grid: no card, or the officer would call the last grid's worker.
  if (ans.grid_code) await showCard(ans.grid_code, { zoom: true }); else hideCard();
  if (n !== asked) return null;
  if (at) state.map.easeTo({ center: at, duration: 0 });
  return last;
}

function renderAnswer(a) {
  const box = document.getElementById('lookup-answer');
  if (a.error) { box.replaceChildren(h('p', { class: 'warn failed', role: 'alert' }, t('mapfront_lookup_failed', { msg: errorText(a.error) }))); return; }
  const d = a.boundary_distance_m != null ? a.boundary_distance_m.toFixed(1) : null;
  box.replaceChildren(
    a.label ? h('p', { class: 'muted' }, a.label) : '',
    !a.grid_code ? h('p', { class: 'warn' }, t('outside_grids'), a.nearest ? ` · ${t('nearest', { code: a.nearest.grid_code, d: a.nearest.distance_m })}` : '')
      : h('p', {}, `${t('located_in')}：`, h('b', { id: 'lookup-grid' }, a.grid_name || a.chain?.at(-1)?.name || a.grid_code), ' ', h('code', {}, a.grid_code)),
    a.grid_code && a.near_boundary ? h('p', { class: 'warn near-boundary' }, t('near_boundary', { d })) : '',
    a.grid_code && !a.near_boundary && d ? h('p', { class: 'muted' }, t('boundary_distance', { d })) : '',
  );
}
