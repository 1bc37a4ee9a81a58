// gaps: the holes in the records as a map layer (issue #12) — buildings in
// no grid (GET /api/reports/unplaced, points) and grids without households
// (GET /api/reports/empty-grids, the grid tiles filtered by code), with their
// counts in the legend. One layer for the leader's display (a LAYERS entry)
// and the planner's map (a checkbox).
import { get } from './api.js';
import { getLang } from './i18n.js';
import { TILESETS } from './gridmap.js';

const WORDS = {
  layer_gaps: ['记录缺口（未入格楼栋、无住户网格）', 'Gaps in the records (buildings in no grid, grids without households)'],
  gaps_unplaced: ['未入格楼栋 {n} 栋', 'Buildings in no grid: {n}'],
  gaps_empty: ['无住户网格 {n} 个', 'Grids without households: {n}'],
};

/** w translates this file's words (Chinese first, English on the toggle). */
function w(key, vars = {}) {
  const s = WORDS[key][getLang() === 'zh' ? 0 : 1];
  return s.replace(/\{(\w+)\}/g, (_, k) => String(vars[k] ?? ''));
}

const UNPLACED = '#ff006e', EMPTY = '#8338ec';

/** @type {{unplaced: number, empty: number} | null} */
let counts = null; // null until loaded

/** show loads the two reports of the user's own unit once and switches the layers. */
async function show(map, on) {
  if (on && !map.getSource('gaps-unplaced')) {
    // No parent: the server answers for the user's scope (a planner's community, a leader's district).
    const [u, e] = await Promise.all([get('/api/reports/unplaced'), get('/api/reports/empty-grids')]);
    counts = { unplaced: u.buildings || 0, empty: e.count || 0 };
    const codes = (e.grids || []).map((g) => g.grid_code);
    map.addSource('gaps-unplaced', { type: 'geojson', data: u.points });
    map.addLayer({ id: 'gaps-empty', type: 'fill', source: 'units-grid', 'source-layer': TILESETS.grid,
      filter: ['in', ['get', 'code'], ['literal', codes]], paint: { 'fill-color': EMPTY, 'fill-opacity': 0.55 } }, 'units-community-line');
    map.addLayer({ id: 'gaps-unplaced', type: 'circle', source: 'gaps-unplaced',
      paint: { 'circle-color': UNPLACED, 'circle-radius': 5, 'circle-stroke-color': '#fff', 'circle-stroke-width': 1 } });
  }
  for (const id of ['gaps-empty', 'gaps-unplaced']) if (map.getLayer(id)) map.setLayoutProperty(id, 'visibility', on ? 'visible' : 'none');
}

/** keys are the legend entries, with the counts once loaded. */
function keys() {
  const n = (k) => (counts ? counts[k] : '…');
  return [{ colour: UNPLACED, shape: /** @type {'dot'} */ ('dot'), label: w('gaps_unplaced', { n: n('unplaced') }) },
    { colour: EMPTY, label: w('gaps_empty', { n: n('empty') }) }];
}

/** gapsLayer is the display's LAYERS entry; the planner uses show and keys too. */
export const gapsLayer = { id: 'gaps', label: 'layer_gaps', show, keys, title: () => w('layer_gaps') };
