// lookup: the officer's question "which grid is this, and who is
// responsible?" — from an address (gazetteer search), a coordinate in
// WGS-84 / GCJ-02 / BD-09, or a click on the map. The server's locate answer
// says whether the point is within a few metres of a boundary.
import { get } from './api.js';
import { t, onLang } from './i18n.js';
import { state } from './gridmap.js';
import { showCard, hideCard, showError, h } from './card.js';

let marker = null;
let last = null; // last answer, re-rendered on a language switch

/** parseCoordinate reads "lon,lat" (or "lat,lon" for China, told apart by range); null if not a coordinate. */
export function parseCoordinate(q) {
  const m = q.trim().match(/^(-?\d+(?:\.\d+)?)\s*[,，\s]\s*(-?\d+(?:\.\d+)?)$/);
  if (!m) return null;
  let a = Number(m[1]), b = Number(m[2]);
  if (Math.abs(a) <= 90 && Math.abs(b) > 90) [a, b] = [b, a];
  if (Math.abs(a) > 180 || Math.abs(b) > 90) return null;
  return [a, b];
}

/** initLookup wires the lookup form. */
export function initLookup() {
  document.getElementById('lookup-form').addEventListener('submit', (e) => {
    e.preventDefault();
    search(/** @type {HTMLInputElement} */ (document.getElementById('lookup-q')).value).catch(showError);
  });
  onLang(() => { if (last) renderAnswer(last); });
}

/** enterLookup makes a map click ask which grid the point is in. */
export function enterLookup() {
  state.onClick = (e) => locate(e.lngLat.lng, e.lngLat.lat, 'wgs84').catch(showError);
}

/** search answers the lookup box: a coordinate is located, anything else searched as an address. */
export async function search(q) {
  const list = document.getElementById('lookup-results');
  list.replaceChildren();
  if (!q.trim()) return;
  const c = parseCoordinate(q);
  if (c) return locate(c[0], c[1], /** @type {HTMLSelectElement} */ (document.getElementById('lookup-crs')).value);
  const found = await get(`/api/addresses/search?q=${encodeURIComponent(q.trim())}`);
  const rows = found.results;
  if (!rows.length) { list.append(h('li', { class: 'muted' }, t('no_result'))); return; }
  list.append(h('li', { class: 'muted' }, t('results', { n: rows.length })));
  for (const r of rows.slice(0, 10)) {
    list.append(h('li', {}, h('a', { href: '#', class: 'result', onclick: (e) => { e.preventDefault(); locate(r.lon, r.lat, 'wgs84', r.text).catch(showError); } },
      r.text, r.grid_name ? h('small', {}, ` · ${r.grid_name}`) : '')));
  }
  await locate(rows[0].lon, rows[0].lat, 'wgs84', rows[0].text);
}

/** locate finds the grid at (lon, lat) in crs and shows it with its staff. */
export async function locate(lon, lat, crs, label) {
  const ans = await get(`/api/locate?lon=${lon}&lat=${lat}&crs=${crs}`);
  // The server gives the point in WGS-84 (wgs84: [lon, lat]) whatever crs it was asked in.
  const at = ans.wgs84 || (crs === 'wgs84' ? [lon, lat] : null);
  if (marker) marker.remove();
  marker = at ? new maplibregl.Marker({ color: '#e63946' }).setLngLat(at).addTo(state.map) : null;
  last = { ...ans, label, at };
  renderAnswer(last);
  // Outside every grid: no card, or the officer would call the last grid's worker.
  if (ans.grid_code) await showCard(ans.grid_code, { zoom: true }); else hideCard();
  if (at) state.map.easeTo({ center: at, duration: 0 });
  return last;
}

function renderAnswer(a) {
  const box = document.getElementById('lookup-answer');
  const d = a.boundary_distance_m != null ? a.boundary_distance_m.toFixed(1) : null;
  box.replaceChildren(
    a.label ? h('p', { class: 'muted' }, a.label) : '',
    !a.grid_code ? h('p', { class: 'warn' }, t('outside_grids'), a.nearest ? ` · ${t('nearest', { code: a.nearest.grid_code, d: a.nearest.distance_m })}` : '')
      : h('p', {}, `${t('located_in')}：`, h('b', { id: 'lookup-grid' }, a.grid_name || a.chain?.at(-1)?.name || a.grid_code), ' ', h('code', {}, a.grid_code)),
    a.grid_code && a.near_boundary ? h('p', { class: 'warn near-boundary' }, t('near_boundary', { d })) : '',
    a.grid_code && !a.near_boundary && d ? h('p', { class: 'muted' }, t('boundary_distance', { d })) : '',
  );
}
