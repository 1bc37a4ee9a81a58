// overlay: a GeoJSON source with its layers on the map, added on first use
// and given new data after — the planner's panels (balance, diff, import)
// each draw one, under the grid outlines so the edges stay visible.
import { state } from './gridmap.js';

const EMPTY = { type: 'FeatureCollection', features: [] };

/**
 * overlay sets the data of GeoJSON source id, adding it and its layers
 * (MapLibre layer specs without source) the first time.
 * @param {string} id
 * @param {any} data a FeatureCollection
 * @param {any[]} layers
 * @param {string} [before] the layer they go under (default: the grid outlines)
 */
export function overlay(id, data, layers, before = 'units-grid-line') {
  const map = state.map;
  const src = map.getSource(id);
  if (src) { src.setData(data); return; }
  map.addSource(id, { type: 'geojson', data });
  for (const l of layers) map.addLayer({ ...l, source: id }, map.getLayer(before) ? before : undefined);
}

/** clearOverlay empties source id (its layers stay, drawing nothing). */
export function clearOverlay(id) {
  state.map?.getSource(id)?.setData(EMPTY);
}
