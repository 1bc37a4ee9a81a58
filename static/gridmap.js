// gridmap: the MapLibre map with every level of the unit tree (district →
// street → community → grid) drawn from the server's vector tiles
// (/tiles/{districts,streets,communities,grids}.json), styled by kind, with
// labels. The page never downloads every unit: tiles come for the view only,
// the GeoJSON of a unit is fetched when it is opened or edited, and after an
// edit exactly the tiles under its old and new shapes are fetched again.
// Only a history view (grids as of a date) is a GeoJSON download.
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

/** TILESETS name each level's tile layer on the server (also its source-layer). */
export const TILESETS = { district: 'districts', street: 'streets', community: 'communities', grid: 'grids' };

/** KIND_COLOURS fill grids by kind (basic, enterprise, school, other). */
export const KIND_COLOURS = { basic: '#a8dadc', enterprise: '#8e7dbe', school: '#f4a261', other: '#cfcfcf' };
const LINE = { district: 4, street: 3, community: 2, grid: 1 };
const THEMES = {
  light: { bg: '#f4f1ea', line: '#1d3557', upper: '#e76f51', fillOpacity: 0.55, upperFill: '#457b9d' },
  dark: { bg: '#0b1320', line: '#8ecae6', upper: '#ffb703', fillOpacity: 0.35, upperFill: '#219ebc' },
};
// BASE draws the district's own street network and water (imported, or the
// demo's) so the map has context offline without a basemap service: water
// under the grid fills, roads over the fills and under the outlines (a grid
// boundary that follows a street is drawn on it).
export const BASE_COLOURS = { water: '#8ecae6', road: '#ffffff', roadCase: '#adb5bd' };
const ROAD_WIDTH = ['interpolate', ['linear'], ['zoom'], 12, ['match', ['get', 'kind'], ['primary', 'trunk', 'secondary'], 2, 1],
  17, ['match', ['get', 'kind'], ['primary', 'trunk', 'secondary'], 14, 6]];
const KIND_FILL = ['match', ['get', 'kind'], 'school', KIND_COLOURS.school, 'enterprise', KIND_COLOURS.enterprise,
  'other', KIND_COLOURS.other, KIND_COLOURS.basic];

/**
 * state is the map's shared state; modes read it and tests reach it as window.wangge.state.
 * @type {{map: any, level: string, info: Record<string, any>, base: Record<string, any>, history: any, asOf: string|null, theme: string,
 *   onClick: ((e: any, f: any) => void)|null, placed: {el: HTMLElement, lngLat: number[], text: string}[]}}
 */
export const state = {
  map: null,
  level: 'grid',
  info: {},          // level → TileJSON of its tile layer (with its feature count)
  base: {},          // roads, water → TileJSON of the district's base map layers
  history: null,     // FeatureCollection of the grids as of state.asOf
  asOf: null,        // 'YYYY-MM-DD' when showing history
  theme: 'light',
  onClick: null,     // (event, feature|null) => void, set by the active mode
  placed: [],        // labels on screen: {el, lngLat, text}
};

let labelBox = null;
let styleReady = null;
// Tiles refetched after an edit carry ?r=N so that neither the browser's
// short tile cache nor MapLibre's reuse the tile from before the edit.
const revisions = new Map(); // 'source/z/x/y' → revision
let revision = 0;

/** createMap builds the map in container with the configured basemap (none → plain background). */
export function createMap(container, config) {
  /** @type {import('maplibre-gl').StyleSpecification} */
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
    transformRequest: (url, type) => {
      if (type !== 'Tile') return { url };
      const m = url.match(/\/tiles\/(\w+)\/(\d+)\/(\d+)\/(\d+)\.mvt$/);
      const r = m && revisions.get(`${m[1]}/${m[2]}/${m[3]}/${m[4]}`);
      return { url: r ? `${url}?r=${r}` : url };
    },
  });
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
  map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-left');
  state.map = map;
  labelBox = document.createElement('div');
  labelBox.className = 'labels';
  map.getContainer().appendChild(labelBox);
  let ready;
  styleReady = new Promise((resolve) => { ready = resolve; });
  map.on('load', () => ready());
  map.on('click', (e) => {
    if (!state.onClick) return;
    const layer = fillLayer();
    const f = map.getLayer(layer) ? map.queryRenderedFeatures(e.point, { layers: [layer] })[0] : null;
    state.onClick(e, f || null);
  });
  map.on('move', moveLabels);
  // Labels follow what is drawn: after every settled frame (moves, tiles arriving).
  map.on('idle', placeLabels);
  onLang(placeLabels);
  return map;
}

function empty() { return { type: 'FeatureCollection', features: [] }; }

/** fillLayer is the id of the active level's fill layer (the history layer for grids as of a date). */
export function fillLayer() {
  return state.asOf && state.level === 'grid' ? 'asof-grid-fill' : `units-${state.level}-fill`;
}

// addLayers adds one vector source per level, fills bottom up, then outlines
// with the upper levels drawn last (on top), and the history and selection overlays.
function addLayers(map) {
  const th = THEMES[state.theme];
  for (const level of LEVELS) {
    const info = state.info[level];
    map.addSource(`units-${level}`, {
      type: 'vector', tiles: info.tiles, minzoom: info.minzoom, maxzoom: info.maxzoom, bounds: info.bounds, promoteId: 'code',
    });
  }
  map.addSource('asof', { type: 'geojson', data: empty(), promoteId: 'code' });
  for (const b of ['roads', 'water']) {
    const info = state.base[b];
    map.addSource(`base-${b}`, { type: 'vector', tiles: info.tiles, minzoom: info.minzoom, maxzoom: info.maxzoom, bounds: info.bounds });
  }
  map.addLayer({ id: 'base-water-fill', type: 'fill', source: 'base-water', 'source-layer': 'water', filter: ['==', ['geometry-type'], 'Polygon'], paint: { 'fill-color': BASE_COLOURS.water } });
  map.addLayer({ id: 'base-water-line', type: 'line', source: 'base-water', 'source-layer': 'water', filter: ['==', ['geometry-type'], 'LineString'], paint: { 'line-color': BASE_COLOURS.water, 'line-width': 4 } });
  for (const level of LEVELS) {
    map.addLayer({
      id: `units-${level}-fill`, type: 'fill', source: `units-${level}`, 'source-layer': TILESETS[level],
      paint: { 'fill-color': level === 'grid' ? KIND_FILL : th.upperFill, 'fill-opacity': level === 'grid' ? th.fillOpacity : 0.12 },
    });
  }
  map.addLayer({ id: 'base-roads-case', type: 'line', source: 'base-roads', 'source-layer': 'roads', layout: { 'line-cap': 'round', 'line-join': 'round' }, paint: { 'line-color': BASE_COLOURS.roadCase, 'line-width': ['+', ROAD_WIDTH, 2] } });
  map.addLayer({ id: 'base-roads-line', type: 'line', source: 'base-roads', 'source-layer': 'roads', layout: { 'line-cap': 'round', 'line-join': 'round' }, paint: { 'line-color': BASE_COLOURS.road, 'line-width': ROAD_WIDTH } });
  map.addLayer({ id: 'asof-grid-fill', type: 'fill', source: 'asof', layout: { visibility: 'none' }, paint: { 'fill-color': KIND_FILL, 'fill-opacity': th.fillOpacity } });
  map.addLayer({ id: 'asof-grid-line', type: 'line', source: 'asof', layout: { visibility: 'none' }, paint: { 'line-color': th.line, 'line-width': LINE.grid } });
  for (const level of [...LEVELS].reverse()) {
    map.addLayer({
      id: `units-${level}-line`, type: 'line', source: `units-${level}`, 'source-layer': TILESETS[level],
      paint: { 'line-color': level === 'grid' ? th.line : th.upper, 'line-width': LINE[level] },
    });
  }
  map.addSource('selection', { type: 'geojson', data: empty() });
  map.addLayer({ id: 'selection-line', type: 'line', source: 'selection', paint: { 'line-color': '#e63946', 'line-width': 4 } });
}

/**
 * loadUnits reads the levels' TileJSON (bounds, zooms, feature counts) and,
 * the first time, adds their tile layers; with state.asOf it loads the grids
 * as of that date. fit=true zooms to the district. Returns state.info.
 */
export async function loadUnits(fit = false) {
  const infos = await Promise.all([...LEVELS.map((l) => TILESETS[l]), 'roads', 'water'].map((name) => get(`/tiles/${name}.json`)));
  LEVELS.forEach((l, i) => { state.info[l] = infos[i]; });
  state.base = { roads: infos[LEVELS.length], water: infos[LEVELS.length + 1] };
  state.history = state.asOf ? await get(`/api/history/grids?as_of=${encodeURIComponent(state.asOf)}`) : null;
  await whenLoaded();
  const map = state.map;
  if (!map.getSource('units-grid')) addLayers(map);
  map.getSource('asof').setData(state.history || empty());
  setLevel(state.level);
  const top = state.info.district.features ? state.info.district : state.info.grid;
  if (fit && top.features) {
    const [a, b, c, d] = top.bounds;
    map.fitBounds([[a, b], [c, d]], { padding: 40, duration: 0, maxZoom: 17 });
  }
  return state.info;
}

/** count is the number of units of level on the server (from its TileJSON). */
export function count(level) { return state.info[level]?.features ?? 0; }

/** whenLoaded resolves once the style exists. */
export function whenLoaded() { return styleReady; }

/**
 * refreshTiles fetches again the tiles of level's source that lie under the
 * given geometries (an edit's old and new shapes): only those, at the zooms
 * the map can be showing, with a new revision so no cache answers for them.
 */
export function refreshTiles(geoms, level = 'grid') {
  const map = state.map, src = `units-${level}`, info = state.info[level];
  if (!map.getSource(src) || !info) return [];
  const z0 = Math.max(info.minzoom, Math.floor(map.getZoom()) - 1), z1 = Math.min(info.maxzoom, Math.ceil(map.getZoom()) + 1);
  const ids = [];
  revision++;
  for (const g of geoms) {
    if (!g) continue;
    const [w, s, e, n] = bbox(g);
    for (let z = z0; z <= z1; z++) {
      const [x0, y0] = tileOf(w, n, z), [x1, y1] = tileOf(e, s, z);
      // A shape spans a handful of tiles at the zooms it is visible at; the cap bounds a district-sized one.
      if ((x1 - x0 + 1) * (y1 - y0 + 1) > 256) continue;
      for (let x = x0; x <= x1; x++) for (let y = y0; y <= y1; y++) {
        revisions.set(`${TILESETS[level]}/${z}/${x}/${y}`, revision);
        ids.push({ z, x, y });
      }
    }
  }
  if (ids.length) map.refreshTiles(src, ids);
  return ids;
}

function tileOf(lon, lat, z) {
  const n = 2 ** z, r = (Math.max(-85.0511, Math.min(85.0511, lat)) * Math.PI) / 180;
  const x = Math.floor(((lon + 180) / 360) * n), y = Math.floor(((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * n);
  return [Math.max(0, Math.min(n - 1, x)), Math.max(0, Math.min(n - 1, y))];
}

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
  const history = !!state.asOf;
  LEVELS.forEach((l, i) => {
    if (!map.getLayer(`units-${l}-fill`)) return;
    const grid = l === 'grid';
    map.setLayoutProperty(`units-${l}-fill`, 'visibility', l === level && !(grid && history) ? 'visible' : 'none');
    map.setLayoutProperty(`units-${l}-line`, 'visibility', i <= k && !(grid && history) ? 'visible' : 'none');
  });
  if (map.getLayer('asof-grid-fill')) {
    map.setLayoutProperty('asof-grid-fill', 'visibility', history && level === 'grid' ? 'visible' : 'none');
    map.setLayoutProperty('asof-grid-line', 'visibility', history && level === 'grid' ? 'visible' : 'none');
  }
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
  if (map.getLayer('asof-grid-line')) {
    map.setPaintProperty('asof-grid-line', 'line-color', th.line);
    map.setPaintProperty('asof-grid-fill', 'fill-opacity', th.fillOpacity);
  }
  labelBox.classList.toggle('dark', name === 'dark');
}

/** labelText is a unit's label: its name, and its code when zoomed in. */
function labelText(p, zoom) {
  return zoom >= 14.5 ? `${p.name}\n${p.code}` : p.name;
}

/**
 * visibleUnits are the active level's units in the loaded tiles, one per
 * code: a unit cut by tile edges comes in pieces, and its label goes in the
 * largest piece (inside the unit, since each piece is the unit clipped).
 */
export function visibleUnits() {
  const map = state.map;
  if (state.asOf && state.level === 'grid') return state.history?.features || [];
  if (!map.getSource(`units-${state.level}`)) return [];
  const best = new Map(); // code → [size, feature]
  for (const f of map.querySourceFeatures(`units-${state.level}`, { sourceLayer: TILESETS[state.level] })) {
    const code = f.properties.code;
    const [w, s, e, n] = bbox(f.geometry);
    const size = (e - w) * (n - s);
    const had = best.get(code);
    if (!had || size > had[0]) best.set(code, [size, f]);
  }
  return [...best.values()].map((v) => v[1]);
}

/** placeLabels lays out the labels of the active level in view, greedily skipping overlaps. */
export function placeLabels() {
  const map = state.map;
  if (!map || !labelBox) return;
  labelBox.replaceChildren();
  state.placed = [];
  const bounds = map.getBounds(), zoom = map.getZoom();
  const boxes = [];
  for (const f of visibleUnits()) {
    const p = labelPoint(f.geometry);
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

/** district is the district on the map (the first in its tiles, once they have loaded). */
export async function district() {
  const map = state.map;
  const first = () => map.querySourceFeatures('units-district', { sourceLayer: TILESETS.district })[0]?.properties || null;
  // A repaint makes sure an idle event comes; idle is when the visible tiles have loaded.
  for (let i = 0; i < 3 && !first(); i++) await new Promise((resolve) => { map.once('idle', resolve); map.triggerRepaint(); });
  // A mode that hides the district layer (patrol) has no district tiles: ask the server.
  return first() || (await get('/api/grids?level=district')).features[0]?.properties || null;
}

/**
 * tileLayer shows or hides one of the server's vector tile layers
 * (/tiles/NAME.json) under the community lines, added on first use.
 * @param {string} id the map layer (and source) id
 * @param {string} tiles the server's layer name
 * @param {object} layer the MapLibre layer's type, paint and layout
 * @param {boolean} on
 */
export function tileLayer(id, tiles, layer, on) {
  const map = state.map;
  if (on && !map.getSource(id)) {
    map.addSource(id, { type: 'vector', url: `${location.origin}/tiles/${tiles}.json` });
    map.addLayer({ id, source: id, 'source-layer': tiles, ...layer }, 'units-community-line');
  }
  if (map.getLayer(id)) map.setLayoutProperty(id, 'visibility', on ? 'visible' : 'none');
}
