// legend: the key to what the map draws, in a corner of the map in every
// mode. By default the grid kinds (at grid level) and the outlines of the
// levels above; the leader's display replaces it with the keys of the
// thematic layers that are switched on.
import { t, onLang } from './i18n.js';
import { LEVELS, KIND_COLOURS, BASE_COLOURS, state } from './gridmap.js';
import { h } from './card.js';

/** @typedef {{colour: string, label: string, shape?: 'fill'|'line'|'dot'|'ramp', to?: string}} Key */

/** @type {Key[]|null} */
let custom = null; // keys set by a mode, or null for the default

/** defaultKeys are the kinds of grids and the outlines of the levels drawn. */
export function defaultKeys() {
  const k = LEVELS.indexOf(state.level);
  const dark = state.theme === 'dark';
  /** @type {Key[]} */
  const keys = state.level === 'grid'
    ? Object.entries(KIND_COLOURS).map(([kind, colour]) => ({ colour, label: t(`kind_${kind}`) }))
    : [{ colour: dark ? '#219ebc' : '#457b9d', label: t(state.level) }];
  for (const l of LEVELS.slice(0, k).reverse()) keys.push({ colour: dark ? '#ffb703' : '#e76f51', label: t(l), shape: 'line' });
  // The district's own base map, when it has one.
  if (state.base.roads?.features) keys.push({ colour: BASE_COLOURS.roadCase, label: t('base_roads'), shape: 'line' });
  if (state.base.water?.features) keys.push({ colour: BASE_COLOURS.water, label: t('base_water') });
  return keys;
}

/** showLegend sets the keys (null: the default ones) and draws them. */
export function showLegend(keys = null) {
  custom = keys;
  renderLegend();
}

/** renderLegend redraws the legend (after a change of level, theme or language). */
export function renderLegend() {
  const map = state.map;
  if (!map) return;
  let box = map.getContainer().querySelector('.map-legend');
  if (!box) {
    box = h('div', { class: 'map-legend', id: 'map-legend', role: 'note' });
    map.getContainer().append(box);
  }
  const keys = custom || defaultKeys();
  box.replaceChildren(h('b', {}, t('legend')), ...keys.map((k) => h('span', { class: `key key-${k.shape || 'fill'}` },
    h('i', { style: k.shape === 'ramp' ? `background:linear-gradient(90deg, ${k.colour}, ${k.to})` : `--c:${k.colour}` }), k.label)));
}

onLang(renderLegend);
