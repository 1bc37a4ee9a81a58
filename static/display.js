// display: the leader's big screen — dark theme, statistics per level, thematic
// layers, full screen, and a printable grid map (PNG) for the notice board.
// Thematic layers are a list: a later layer (incidents, patrols, coverage
// gaps) is one more entry in LAYERS. The per-grid layers colour the grids'
// vector tiles by their own properties: no grid geometry or per-grid report is downloaded.
import { get } from './api.js';
import { t, onLang } from './i18n.js';
import { LEVELS, KIND_COLOURS, TILESETS, state, setTheme, setLevel, count, district, tileLayer, fitTo } from './gridmap.js';
import { showCard, hideCard, showError, h } from './card.js';
import { showLegend } from './legend.js';
import { hotspotLayer } from './hotspots.js';
import { gapsLayer } from './gaps.js';
import { orgLayer } from './orgcard.js';
import { hazardLayer } from './hazardmap.js';
import { patrolLayers } from './patrollayers.js';
import { workReportBox } from './workreport.js';

let stats = null; // GET /api/reports/unit-stats: {unit, children} of the chosen level, or null
let early = null; // {unit, answer}: the statistics asked for as soon as the session was known
let chartInst = null; // the children's chart; each render makes a new element, so the old one is disposed
const trail = []; // codes above the chosen unit, for 上一级 / up
const shown = new Set(['kind']);

/**
 * LAYERS are the display's thematic layers. grid ones colour the grid tiles
 * by their own properties (households, people, band: no per-grid report);
 * tiles ones are vector tile layers of the server (/tiles/{tiles}.json).
 */
export const LAYERS = [
  { id: 'kind', label: 'layer_kind', keys: () => Object.entries(KIND_COLOURS).map(([k, colour]) => ({ colour, label: t(`kind_${k}`) })) },
  { id: 'balance', label: 'layer_balance', grid: true, keys: () => [
    { colour: '#d62828', label: t('over_target') }, { colour: '#4361ee', label: t('under_target') },
    { colour: '#2a9d8f', label: t('within_target') }, { colour: '#6c757d', label: t('mapfront_band_not_applicable') }] },
  { id: 'density', label: 'layer_density', grid: true,
    keys: () => [{ colour: '#fff3b0', to: '#9e2a2b', shape: 'ramp', label: t('mapfront_density_range') }] },
  { id: 'buildings', label: 'layer_buildings', tiles: 'buildings', keys: () => [{ colour: '#adb5bd', label: t('layer_buildings') }],
    layer: { type: 'fill', paint: { 'fill-color': '#adb5bd', 'fill-outline-color': '#e9ecef', 'fill-opacity': 0.8 } } },
  { id: 'households', label: 'layer_households', tiles: 'households', keys: () => [{ colour: '#ffb703', shape: 'dot', label: t('layer_households') }],
    layer: { type: 'circle', paint: { 'circle-color': '#ffb703', 'circle-opacity': 0.8, 'circle-radius': ['interpolate', ['linear'], ['get', 'households'], 0, 2, 100, 9] } } },
  { id: 'defects', label: 'layer_defects', tiles: 'defects', keys: () => [{ colour: '#e63946', label: t('layer_defects') }],
    layer: { type: 'fill', paint: { 'fill-color': '#e63946', 'fill-opacity': 0.8 } } },
  orgLayer, // organisations and facilities by domain (orgcard.js)
  hotspotLayer, // incident hotspots, window and category filter (hotspots.js)
  gapsLayer, // buildings in no grid, grids without households, with counts (gaps.js)
  hazardLayer, // open safety hazards by severity, overdue outlined, share inspected on schedule (hazardmap.js)
  ...patrolLayers, // every worker's tracks of a day, last positions, coverage gaps of the chosen unit (patrollayers.js)
];
/** initDisplay wires the display buttons. */
export function initDisplay() {
  document.getElementById('dp-fullscreen').onclick = () => document.documentElement.requestFullscreen?.().catch(() => {});
  document.getElementById('dp-print').onclick = () => printMap().catch(showError);
  onLang(() => { if (document.body.classList.contains('dark')) render(); });
  document.addEventListener('dp-legend', () => { if (document.body.classList.contains('dark')) legend(); }); // a layer's keys changed
}

/** enterDisplay switches to the dark theme and loads the statistics. */
export async function enterDisplay() {
  document.body.classList.add('dark');
  setTheme('dark');
  setLevel('grid');
  // A click on a grid opens its card on the big screen too.
  state.onClick = (e, f) => (f ? showCard(f.properties.code, { zoom: false }).catch(showError) : hideCard());
  trail.length = 0;
  render();
  // The statistics do not wait for the map: the caller's own unit is known
  // from the session (asked for at start, prefetchStats); only a role over
  // everywhere asks the map's district.
  const top = early?.unit || (await get('/api/me')).unit_code || (await district())?.code;
  if (top) await loadStats(top);
  render();
}


/**
 * prefetchStats asks for unit's statistics at start, while the map and the
 * page's modules still load, for a role that lands on the big screen.
 */
export function prefetchStats(unit) {
  if (!unit) return;
  const answer = get(`/api/reports/unit-stats?unit=${encodeURIComponent(unit)}`);
  answer.catch(() => {}); // a failure is reported where it is awaited (loadStats)
  early = { unit, answer };
}

/** loadStats shows the totals of unit and one row per child (kept counts, one small request). */
async function loadStats(unit) {
  const ask = early?.unit === unit ? early.answer : get(`/api/reports/unit-stats?unit=${encodeURIComponent(unit)}`);
  early = null;
  try {
    stats = await ask;
  } catch (e) {
    if (e.status !== 403) throw e;
    stats = null; // the role may not read statistics
  }
  render();
  // The map follows a drill-down to the chosen unit (not the first load: the map starts on the district).
  if (stats && trail.length) get(`/api/grids/${encodeURIComponent(unit)}`).then((u) => fitTo([u.geometry], { padding: 40, maxZoom: 16 })).catch(showError);
  // Layers drawn for the chosen unit follow the drill-down.
  if (stats) for (const l of LAYERS) await l.setUnit?.(stats.unit.code);
}

/** drill shows the statistics of child unit code, remembering where it came from. */
function drill(code) {
  if (stats) trail.push(stats.unit.code);
  loadStats(code).catch(showError);
}

// chartChildren draws the children's households as bars (ECharts), or clears it for a grid.
function chartChildren(el) {
  chartInst?.dispose();
  chartInst = null;
  if (!stats || !stats.children.length || typeof echarts === 'undefined') { el.hidden = true; return; }
  el.hidden = false;
  const c = chartInst = echarts.init(el, 'dark', { renderer: 'canvas' });
  c.setOption({ backgroundColor: 'transparent', animation: false, grid: { left: 48, right: 8, top: 24, bottom: 24 }, tooltip: { trigger: 'axis' },
    title: { text: t('stats_chart_households'), textStyle: { fontSize: 12 } },
    xAxis: { type: 'category', data: stats.children.map((x) => x.name), axisLabel: { show: stats.children.length <= 12 } },
    yAxis: { type: 'value' }, series: [{ type: 'bar', data: stats.children.map((x) => x.counts.households ?? 0) }] }, true);
  c.resize();
}

function statsTable() {
  if (!stats) return h('p', { class: 'muted' }, t('mapfront_stats_forbidden'));
  const n = (c, k) => (c.counts[k] ?? 0).toLocaleString('en');
  // The kept counts of field work: open cases and hazards, and this China-time month's visits.
  const ym = new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 7);
  const work = [['incidents_open', 'stats_cases_open'], ['hazards_open', 'stats_hazards_open'], [`visits_${ym}`, 'stats_visits_month'],
    [`patrol_s_${ym}`, 'stats_patrol_month']];
  // Patrol time is kept in seconds; shown in hours.
  const v = (c, k) => (k.startsWith('patrol_s_') ? ((c.counts[k] ?? 0) / 3600).toLocaleString('en', { maximumFractionDigits: 1 }) : n(c, k));
  const dataKey = (k) => k.replace(/^(visits|patrol_s)_\d{4}-\d{2}$/, (_, p) => `${p}_month`);
  const u = stats.unit;
  const head = h('tr', {}, h('th', {}, ''), h('th', {}, t('households')), h('th', {}, t('population')), ...work.map(([, label]) => h('th', {}, t(label))));
  const total = h('tr', { class: 'dp-total' }, h('th', {}, u.name), h('td', { id: 'dp-households' }, n(u, 'households')), h('td', { id: 'dp-people' }, n(u, 'people')),
    ...work.map(([key]) => h('td', { 'data-key': dataKey(key) }, v(u, key))));
  const rows = stats.children.map((c) => h('tr', { 'data-code': c.code },
    h('td', {}, h('a', { href: '#', 'data-unit': c.code, onclick: (e) => { e.preventDefault(); drill(c.code); } }, c.name)),
    h('td', {}, n(c, 'households')), h('td', {}, n(c, 'people')), ...work.map(([key]) => h('td', { 'data-key': dataKey(key) }, v(c, key)))));
  const up = trail.length ? h('button', { id: 'dp-up', onclick: () => loadStats(trail.pop()).catch(showError) }, t('level_up')) : '';
  return h('div', { id: 'dp-level', 'data-unit': u.code, 'data-level': u.level }, up,
    h('table', {}, head, total, ...rows), h('div', { id: 'dp-chart', style: 'height:160px' }), u.level <= 3 ? workReportBox(u.code) : '');
}

/** leaveDisplay restores the light theme. */
export function leaveDisplay() {
  document.body.classList.remove('dark');
  setTheme('light');
  showLegend(null);
  for (const l of LAYERS) if (l.id !== 'kind') showLayer(l.id, false);
  shown.clear(); shown.add('kind');
  showLayer('kind', true);
}

function render() {
  const rows = LEVELS.map((l) => h('tr', {}, h('th', {}, t(l)), h('td', { 'data-level': l }, count(l))));
  document.getElementById('dp-stats').replaceChildren(h('table', {}, rows), statsTable());
  const chartEl = document.getElementById('dp-chart');
  if (chartEl) chartChildren(chartEl);
  document.getElementById('dp-layers').replaceChildren(...LAYERS.map((l) => h('label', {},
    h('input', { type: 'checkbox', 'data-layer': l.id, ...(shown.has(l.id) ? { checked: '' } : {}),
      onchange: (e) => { if (e.target.checked) shown.add(l.id); else shown.delete(l.id); legend(); showLayer(l.id, e.target.checked).catch(showError); } }),
    ' ', l.title ? l.title() : t(l.label))));
  legend();
}

// legend follows the layers switched on, in the order they are listed.
function legend() {
  showLegend(LAYERS.filter((l) => shown.has(l.id)).flatMap((l) => l.keys()));
}

async function showLayer(id, on) {
  const map = state.map;
  if (id === 'kind') { map.setLayoutProperty('units-grid-fill', 'visibility', on ? 'visible' : 'none'); return; }
  const layer = `dp-${id}`;
  const def = LAYERS.find((l) => l.id === id);
  if (def.show) { await def.show(map, on); legend(); return; } // keys may carry what show loaded
  if (def.tiles) { tileLayer(layer, def.tiles, def.layer, on); return; }
  if (on && def.grid && !map.getLayer(layer)) {
    // The grid tiles carry each grid's households and band (every zoom), so
    // these layers need no request of their own.
    const paint = id === 'balance'
      ? { 'fill-color': ['match', ['coalesce', ['get', 'band'], 'n/a'], 'over', '#d62828', 'under', '#4361ee', 'ok', '#2a9d8f', '#6c757d'], 'fill-opacity': 0.6 }
      // Households per km², the area from the tiles (area_m2 is in every zoom's tiles).
      : { 'fill-color': ['interpolate', ['linear'], ['/', ['coalesce', ['get', 'households'], 0], ['max', ['/', ['get', 'area_m2'], 1e6], 1e-6]], 0, '#fff3b0', 5000, '#e09f3e', 20000, '#9e2a2b'], 'fill-opacity': 0.7 };
    map.addLayer({ id: layer, type: 'fill', source: 'units-grid', 'source-layer': TILESETS.grid, paint }, 'units-community-line');
  }
  if (map.getLayer(layer)) map.setLayoutProperty(layer, 'visibility', on ? 'visible' : 'none');
}

/**
 * printMap downloads the current view as a PNG notice map: title, the map
 * canvas, the HTML labels redrawn with the page's CJK font, a legend and the
 * date. Returns the PNG's size in bytes.
 */
export async function printMap() {
  const map = state.map;
  await new Promise((resolve) => { map.once('render', resolve); map.triggerRepaint(); });
  const src = map.getCanvas();
  const k = src.width / map.getContainer().clientWidth;
  const head = Math.round(64 * k), foot = Math.round(44 * k);
  const c = document.createElement('canvas');
  c.width = src.width; c.height = src.height + head + foot;
  const g = c.getContext('2d');
  g.fillStyle = '#ffffff'; g.fillRect(0, 0, c.width, c.height);
  const name = (await district())?.name || '';
  g.fillStyle = '#1d3557'; g.font = `bold ${Math.round(26 * k)}px "Noto Sans CJK SC", sans-serif`; g.textBaseline = 'middle';
  g.fillText(t('print_title', { name }), 16 * k, head / 2);
  g.drawImage(src, 0, head);
  g.font = `${Math.round(12 * k)}px "Noto Sans CJK SC", sans-serif`; g.textAlign = 'center';
  for (const l of state.placed) {
    const p = map.project(l.lngLat);
    l.text.split('\n').forEach((line, i, a) => {
      const y = head + (p.y + (i - (a.length - 1) / 2) * 14) * k;
      g.lineWidth = 3 * k; g.strokeStyle = 'rgba(255,255,255,.9)'; g.strokeText(line, p.x * k, y);
      g.fillStyle = '#111'; g.fillText(line, p.x * k, y);
    });
  }
  g.textAlign = 'left';
  let x = 16 * k;
  const y = head + src.height + foot / 2;
  for (const [kind, colour] of Object.entries(KIND_COLOURS).slice(0, 3)) {
    g.fillStyle = colour; g.fillRect(x, y - 7 * k, 14 * k, 14 * k);
    g.fillStyle = '#111'; const label = t(`kind_${kind}`); g.fillText(label, x + 20 * k, y);
    x += 20 * k + g.measureText(label).width + 20 * k;
  }
  const today = new Date().toISOString().slice(0, 10);
  g.textAlign = 'right'; g.fillText(`${state.asOf || today}`, c.width - 16 * k, y);
  const blob = await new Promise((resolve) => c.toBlob(resolve, 'image/png'));
  const a = h('a', { href: URL.createObjectURL(blob), download: `wangge-grid-map-${state.asOf || today}.png` });
  document.body.append(a); a.click(); a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10000);
  return blob.size;
}
