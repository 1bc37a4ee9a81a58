// gridmap: the MapLibre map with every level of the unit tree (district →
// street → community → grid) as GeoJSON sources, styled by kind, with labels.
//
// Labels are HTML elements over the map, not MapLibre symbol layers: symbol
// text needs glyph PBFs from a glyph server, and no external service may be
// reached at run time (intranets are offline). MapLibre's
// localIdeographFontFamily would draw the Chinese names with a local font,
// but the digits of grid codes would still need glyphs. HTML labels use the
// browser's own CJK fonts, collide greedily so they never overlap, and are
// redrawn onto the canvas when the map is printed (display.js).
import { get } from './api.js';
import { t, onLang } from './i18n.js';
import { bbox, labelPoint } from './geometry.js';

/** LEVELS are the unit levels shown on the map, top down. */
export const LEVELS = ['district', 'street', 'community', 'grid'];

/** KIND_COLOURS fill grids by kind (basic, enterprise, school, other). */
export const KIND_COLOURS = { basic: '#a8dadc', enterprise: '#8e7dbe', school: '#f4a261', other: '#cfcfcf' };
const LINE = { district: 4, street: 3, community: 2, grid: 1 };
const THEMES = {
  light: { bg: '#f4f1ea', line: '#1d3557', upper: '#e76f51', fillOpacity: 0.55, upperFill: '#457b9d' },
  dark: { bg: '#0b1320', line: '#8ecae6', upper: '#ffb703', fillOpacity: 0.35, upperFill: '#219ebc' },
};

/** state is the map's shared state; modes read it and tests reach it as window.wangge.state. */
export const state = {
  map: null,
  level: 'grid',
  data: {},          // level → FeatureCollection
  asOf: null,        // 'YYYY-MM-DD' when showing history
  theme: 'light',
  onClick: null,     // (event, feature|null) => void, set by the active mode
  placed: [],        // labels on screen: {el, lngLat, text}
};

const labelPoints = new Map(); // code → [lon, lat]
let labelBox = null;

/** createMap builds the map in container with the configured basemap (none → plain background). */
export function createMap(container, config) {
  const style = {
    version: 8,
    sources: {},
    layers: [{ id: 'bg', type: 'background', paint: { 'background-color': THEMES.light.bg } }],
  };
  if (config.basemap_url) {
    style.sources.basemap = { type: 'raster', tiles: [config.basemap_url], tileSize: 256 };
    style.layers.push({ id: 'basemap', type: 'raster', source: 'basemap' });
  }
  const map = new maplibregl.Map({
    container, style, center: [120.12, 30.27], zoom: 13,
    attributionControl: false,
    // The printable map reads the canvas back after the frame is drawn.
    canvasContextAttributes: { preserveDrawingBuffer: true },
  });
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
  map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-left');
  state.map = map;
  labelBox = document.createElement('div');
  labelBox.className = 'labels';
  map.getContainer().appendChild(labelBox);
  let ready;
  styleReady = new Promise((resolve) => { ready = resolve; });
  map.on('load', () => {
    // Fills bottom up, then outlines with the upper levels drawn last (on top).
    for (const level of LEVELS) addFill(map, level);
    for (const level of [...LEVELS].reverse()) addLine(map, level);
    map.addSource('selection', { type: 'geojson', data: empty() });
    map.addLayer({ id: 'selection-line', type: 'line', source: 'selection', paint: { 'line-color': '#e63946', 'line-width': 4 } });
    setLevel(state.level);
    ready();
  });
  map.on('click', (e) => {
    if (!state.onClick) return;
    const layer = `units-${state.level}-fill`;
    const f = map.getLayer(layer) ? map.queryRenderedFeatures(e.point, { layers: [layer] })[0] : null;
    state.onClick(e, f || null);
  });
  map.on('move', moveLabels);
  map.on('moveend', placeLabels);
  onLang(placeLabels);
  return map;
}

function empty() { return { type: 'FeatureCollection', features: [] }; }

function addFill(map, level) {
  const th = THEMES[state.theme];
  map.addSource(`units-${level}`, { type: 'geojson', data: empty(), promoteId: 'code' });
  const fill = level === 'grid'
    ? ['match', ['get', 'kind'], 'school', KIND_COLOURS.school, 'enterprise', KIND_COLOURS.enterprise, 'other', KIND_COLOURS.other, KIND_COLOURS.basic]
    : th.upperFill;
  map.addLayer({ id: `units-${level}-fill`, type: 'fill', source: `units-${level}`, paint: { 'fill-color': fill, 'fill-opacity': level === 'grid' ? th.fillOpacity : 0.12 } });
}

function addLine(map, level) {
  const th = THEMES[state.theme];
  map.addLayer({ id: `units-${level}-line`, type: 'line', source: `units-${level}`, paint: { 'line-color': level === 'grid' ? th.line : th.upper, 'line-width': LINE[level] } });
}

/** loadUnits fetches every level (the grids as of state.asOf when set) into the map; fit=true zooms to the district. */
export async function loadUnits(fit = false) {
  // History covers the grids; the levels above are drawn as they are now.
  const url = (l) => (state.asOf && l === 'grid' ? `/api/history/grids?as_of=${encodeURIComponent(state.asOf)}` : `/api/grids?level=${l}`);
  const all = await Promise.all(LEVELS.map((l) => get(url(l))));
  LEVELS.forEach((l, i) => {
    state.data[l] = all[i];
    for (const f of all[i].features) labelPoints.set(`${state.asOf || ''}${f.properties.code}`, labelPoint(f.geometry));
  });
  await whenLoaded();
  for (const l of LEVELS) state.map.getSource(`units-${l}`).setData(state.data[l]);
  const top = state.data.district.features.length ? state.data.district : state.data.grid;
  if (fit && top.features.length) fitTo(top.features.map((f) => f.geometry));
  placeLabels();
  return state.data;
}

/** whenLoaded resolves once the style and our sources exist. */
export function whenLoaded() { return styleReady; }
let styleReady = null;

/** fitTo zooms to the union of the geometries' bounding boxes. */
export function fitTo(geoms, opts = {}) {
  const b = [Infinity, Infinity, -Infinity, -Infinity];
  for (const g of geoms) {
    const x = bbox(g);
    b[0] = Math.min(b[0], x[0]); b[1] = Math.min(b[1], x[1]); b[2] = Math.max(b[2], x[2]); b[3] = Math.max(b[3], x[3]);
  }
  if (!Number.isFinite(b[0])) return;
  state.map.fitBounds([[b[0], b[1]], [b[2], b[3]]], { padding: 40, duration: 0, maxZoom: 17, ...opts });
}

/** setLevel makes level the filled, labelled and clickable one; the levels above show as outlines. */
export function setLevel(level) {
  state.level = level;
  const map = state.map;
  const k = LEVELS.indexOf(level);
  LEVELS.forEach((l, i) => {
    if (!map.getLayer(`units-${l}-fill`)) return;
    map.setLayoutProperty(`units-${l}-fill`, 'visibility', l === level ? 'visible' : 'none');
    map.setLayoutProperty(`units-${l}-line`, 'visibility', i <= k ? 'visible' : 'none');
  });
  placeLabels();
}

/** select outlines feature (or clears with null). */
export function select(feature) {
  const src = state.map.getSource('selection');
  if (src) src.setData(feature ? { type: 'FeatureCollection', features: [feature] } : empty());
}

/** setTheme switches the map paint between 'light' and 'dark' (leader display). */
export function setTheme(name) {
  state.theme = name;
  const th = THEMES[name], map = state.map;
  map.setPaintProperty('bg', 'background-color', th.bg);
  for (const l of LEVELS) {
    if (!map.getLayer(`units-${l}-line`)) continue;
    map.setPaintProperty(`units-${l}-line`, 'line-color', l === 'grid' ? th.line : th.upper);
    map.setPaintProperty(`units-${l}-fill`, 'fill-opacity', l === 'grid' ? th.fillOpacity : 0.12);
    if (l !== 'grid') map.setPaintProperty(`units-${l}-fill`, 'fill-color', th.upperFill);
  }
  labelBox.classList.toggle('dark', name === 'dark');
}

/** labelText is a unit's label: its name, and its code when zoomed in. */
function labelText(p, zoom) {
  return zoom >= 14.5 ? `${p.name}\n${p.code}` : p.name;
}

/** placeLabels lays out the labels of the active level in view, greedily skipping overlaps. */
export function placeLabels() {
  const map = state.map;
  if (!map || !labelBox) return;
  labelBox.replaceChildren();
  state.placed = [];
  const fc = state.data[state.level];
  if (!fc) return;
  const bounds = map.getBounds(), zoom = map.getZoom();
  const boxes = [];
  for (const f of fc.features) {
    const p = labelPoints.get(`${state.asOf || ''}${f.properties.code}`);
    if (!p || !bounds.contains(p)) continue;
    const text = labelText(f.properties, zoom);
    const lines = text.split('\n');
    const w = Math.max(...lines.map((s) => s.length * (/[\u4e00-\u9fff]/.test(s) ? 13 : 7.5))) + 6;
    const h = lines.length * 15 + 2;
    const s = map.project(p);
    const box = [s.x - w / 2, s.y - h / 2, s.x + w / 2, s.y + h / 2];
    if (boxes.some((o) => box[0] < o[2] && box[2] > o[0] && box[1] < o[3] && box[3] > o[1])) continue;
    boxes.push(box);
    const el = document.createElement('div');
    el.className = `label label-${state.level}`;
    el.textContent = text;
    el.dataset.code = f.properties.code;
    labelBox.appendChild(el);
    state.placed.push({ el, lngLat: p, text });
    if (state.placed.length >= 400) break;
  }
  moveLabels();
}

function moveLabels() {
  for (const l of state.placed) {
    const s = state.map.project(l.lngLat);
    l.el.style.transform = `translate(${s.x}px, ${s.y}px) translate(-50%, -50%)`;
  }
}

/** unitLabel is "name (level)" for messages. */
export function unitLabel(p) { return `${p.name}（${t(p.level)}）`; }
