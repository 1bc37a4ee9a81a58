// patrollayers: the patrol layers of the leader's display (issue #17) — every
// worker's tracks of a day (track tiles), the last known positions (polled
// while shown) and the coverage gaps, for the unit chosen in the display's
// statistics (the district until the leader drills down). Drawn by
// patrol.js's layer code, the same as the patrol mode's.
import { get } from './api.js';
import { t } from './i18n.js';
import { district } from './gridmap.js';
import { h, showError } from './card.js';
import { addTrackTiles, addGapLayer, addPositionLayers, positionFeatures, trackKey, GAP_COLOUR, POSITION_COLOUR } from './patrol.js';

const POSITIONS_EVERY_MS = 15000;
const empty = () => ({ type: 'FeatureCollection', features: [] });
const opts = { unit: '', date: new Date(Date.now() + 8 * 3600e3 - 86400e3).toISOString().slice(0, 10) }; // yesterday, China time
const shown = new Set();
let gaps = null; // the last /api/patrol/gaps answer
let positions = null; // the last /api/patrol/positions answer
let timer = 0;

async function unit() { return opts.unit || (await district())?.code || ''; }

/** panel is the day picker of the patrol layers, shown while one is on. */
function panel() {
  let box = document.getElementById('dp-patrol');
  if (!box) {
    box = h('div', { id: 'dp-patrol', class: 'dp-hotspots', hidden: '' },
      h('label', {}, t('patrol_date'), ' ', h('input', { id: 'dp-pt-date', type: 'date', value: opts.date,
        onchange: (e) => { opts.date = e.target.value; reload().catch(showError); } })));
    document.getElementById('dp-layers').after(box);
  }
  box.hidden = shown.size === 0;
  return box;
}

function tracksURL(code) {
  return `${location.origin}/api/patrol/tiles/{z}/{x}/{y}.mvt?grid=${encodeURIComponent(code)}&from=${opts.date}&to=${opts.date}`;
}

/** load (re)draws one layer for the current unit and day. */
async function load(map, id) {
  const code = await unit();
  const box = panel();
  if (!code) return;
  if (id === 'tracks') {
    map.getSource('dp-pt-tracks').setTiles([tracksURL(code)]);
  } else if (id === 'gaps') {
    gaps = await get(`/api/patrol/gaps?grid=${encodeURIComponent(code)}&from=${opts.date}&to=${opts.date}`);
    map.getSource('dp-pt-gaps').setData(gaps);
    box.dataset.gaps = String(gaps.features.length);
    box.dataset.gapArea = String(Math.round(gaps.summary.gap_area_m2));
    document.dispatchEvent(new Event('dp-legend')); // the keys carry the gap area
  } else {
    clearTimeout(timer);
    positions = await get(`/api/patrol/positions?unit=${encodeURIComponent(code)}`);
    if (!shown.has('positions')) return; // switched off meanwhile
    map.getSource('dp-pt-positions').setData(positionFeatures(positions));
    box.dataset.positions = String(positions.positions.length);
    document.dispatchEvent(new Event('dp-legend'));
    timer = window.setTimeout(() => load(map, 'positions').catch(showError), POSITIONS_EVERY_MS);
  }
}

let mapRef = null;
async function reload() {
  for (const id of shown) await load(mapRef, id);
}

/** layer returns the display's LAYERS entry of one patrol layer. */
function layer(id, label, keys, add) {
  const layerId = `dp-pt-${id}`;
  return {
    id: `patrol-${id}`, label, keys,
    async show(map, on) {
      mapRef = map;
      if (on) shown.add(id); else shown.delete(id);
      if (!on && id === 'positions') clearTimeout(timer);
      if (!on && !map.getLayer(layerId)) { panel(); return; }
      if (on && !map.getSource(layerId)) add(map, layerId, await unit());
      for (const l of [layerId, `${layerId}-label`]) if (map.getLayer(l)) map.setLayoutProperty(l, 'visibility', on ? 'visible' : 'none');
      panel();
      if (on) await load(map, id);
    },
    // setUnit follows the display's drill-down.
    async setUnit(code) {
      opts.unit = code;
      if (shown.has(id) && mapRef) await load(mapRef, id);
    },
  };
}

/** patrolLayers are the display's LAYERS entries: tracks, last positions, coverage gaps. */
export const patrolLayers = [
  layer('tracks', 'patrol_all_tracks', () => [trackKey()],
    (map, id, code) => addTrackTiles(map, id, tracksURL(code), 'units-community-line')),
  layer('positions', 'patrol_positions', () => [{ colour: POSITION_COLOUR, shape: /** @type {'dot'} */ ('dot'),
    label: `${t('patrol_positions')}${positions ? ` · ${positions.positions.length}` : ''}` }],
  (map, id) => { map.addSource(id, { type: 'geojson', data: empty() }); addPositionLayers(map, id); }),
  layer('gaps', 'patrol_gaps', () => [{ colour: GAP_COLOUR,
    label: `${t('patrol_gaps')}${gaps ? ` · ${t('patrol_gap_area', { m2: Math.round(gaps.summary.gap_area_m2), pct: (gaps.summary.gap_ratio * 100).toFixed(1) })}` : ''}` }],
  (map, id) => { map.addSource(id, { type: 'geojson', data: empty() }); addGapLayer(map, id, 'units-community-line'); }),
];
