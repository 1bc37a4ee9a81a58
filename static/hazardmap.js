// hazardmap: open safety hazards on the leader's display (issue #16) — each
// open or overdue hazard a point at its place, coloured by severity, overdue
// ones outlined (one point per place); the legend and a summary give the share of places'
// checklists kept on schedule, for the district and per unit below it.
import { get } from './api.js';
import { getLang } from './i18n.js';
import { district } from './gridmap.js';
import { h } from './card.js';

const WORDS = {
  layer_hazards: ['安全隐患（按等级）', 'Safety hazards (by severity)'],
  hz_major: ['重大隐患 {n} 处', 'Major hazards: {n}'],
  hz_general: ['一般隐患 {n} 处', 'General hazards: {n}'],
  hz_overdue: ['逾期未整改（外圈） {n} 处', 'Overdue, not rectified (outlined): {n}'],
  hz_share: ['按期检查 {share}', 'Inspected on schedule: {share}'],
  hz_unit: ['{name} 按期检查 {share}（{on}/{all}）', '{name}: {share} on schedule ({on}/{all})'],
};

/** w translates this file's words (Chinese first, English on the toggle). */
function w(key, vars = {}) {
  const s = WORDS[key][getLang() === 'zh' ? 0 : 1];
  return s.replace(/\{(\w+)\}/g, (_, k) => String(vars[k] ?? ''));
}

const MAJOR = '#d00000', GENERAL = '#ffba08', OVERDUE = '#ffffff';

/** @typedef {{checklists: number, on_schedule: number, share_on_schedule: number|null}} Stats */

/** @type {{major: number, general: number, overdue: number, stats: Stats} | null} */
let loaded = null; // null until loaded

/** pct writes a share as a percentage ("—" without places). */
const pct = (s) => (s == null ? '—' : `${Math.round(s * 1000) / 10}%`);

/**
 * features makes one GeoJSON point per place: its worst severity, overdue
 * when any of its hazards is (hazards of one place share its point, so one
 * drawn over another would hide it).
 */
function features(list) {
  /** @type {Map<number, any>} */
  const byPlace = new Map();
  for (const z of list) {
    const f = byPlace.get(z.place_id) || { type: 'Feature', id: z.place_id, geometry: { type: 'Point', coordinates: [z.lon, z.lat] },
      properties: { place_id: z.place_id, place: z.place_name, severity: 'general', state: 'open', hazards: 0 } };
    const p = f.properties;
    if (z.severity === 'major') p.severity = 'major';
    if (z.state === 'overdue') p.state = 'overdue';
    p.hazards++;
    byPlace.set(z.place_id, f);
  }
  return { type: 'FeatureCollection', features: [...byPlace.values()] };
}

/** summary lists the share on schedule of the district and each unit below it. */
async function summary(top) {
  const box = document.getElementById('hz-summary') || h('div', { id: 'hz-summary', class: 'muted' });
  document.getElementById('dp-layers').after(box);
  const kids = top ? (await get(`/api/reports/unit-stats?unit=${encodeURIComponent(top.code)}`).catch(() => null))?.children || [] : [];
  const units = [...(top ? [{ code: top.code, name: top.name }] : []), ...kids.map((c) => ({ code: c.code, name: c.name }))];
  const rows = await Promise.all(units.map(async (u) => ({ ...u, st: /** @type {Stats} */ (await get(`/api/inspections/stats?unit=${encodeURIComponent(u.code)}`)) })));
  box.replaceChildren(...rows.map((r) => h('p', { 'data-unit': r.code, 'data-share': String(r.st.share_on_schedule ?? ''),
    'data-on': String(r.st.on_schedule), 'data-all': String(r.st.checklists) },
  w('hz_unit', { name: r.name, share: pct(r.st.share_on_schedule), on: r.st.on_schedule, all: r.st.checklists }))));
  box.hidden = false;
}

/** show loads the open and overdue hazards of the user's scope once and switches the layers. */
async function show(map, on) {
  if (on && !map.getSource('dp-hazards')) {
    // No unit: the server answers for the user's scope (a leader's district).
    const [open, overdue, stats] = await Promise.all([get('/api/hazards?state=open'), get('/api/hazards?state=overdue'),
      get('/api/inspections/stats')]);
    const all = [...open, ...overdue];
    loaded = { major: all.filter((z) => z.severity === 'major').length, general: all.filter((z) => z.severity !== 'major').length,
      overdue: overdue.length, stats };
    map.addSource('dp-hazards', { type: 'geojson', data: features(all) });
    map.addLayer({ id: 'dp-hazards', type: 'circle', source: 'dp-hazards', paint: {
      'circle-color': ['match', ['get', 'severity'], 'major', MAJOR, GENERAL],
      'circle-radius': ['match', ['get', 'severity'], 'major', 7, 5],
      'circle-stroke-color': ['match', ['get', 'state'], 'overdue', OVERDUE, '#000000'],
      'circle-stroke-width': ['match', ['get', 'state'], 'overdue', 3, 0.5] } });
    await summary(await district());
  }
  if (map.getLayer('dp-hazards')) map.setLayoutProperty('dp-hazards', 'visibility', on ? 'visible' : 'none');
  const box = document.getElementById('hz-summary');
  if (box) box.hidden = !on;
}

/** keys are the legend entries, with the counts and the share once loaded. */
function keys() {
  const n = (k) => (loaded ? loaded[k] : '…');
  return [{ colour: MAJOR, shape: /** @type {'dot'} */ ('dot'), label: w('hz_major', { n: n('major') }) },
    { colour: GENERAL, shape: /** @type {'dot'} */ ('dot'), label: w('hz_general', { n: n('general') }) },
    { colour: OVERDUE, shape: /** @type {'line'} */ ('line'), label: w('hz_overdue', { n: n('overdue') }) },
    { colour: '#2a9d8f', label: w('hz_share', { share: loaded ? pct(loaded.stats.share_on_schedule) : '…' }) }];
}

/** hazardLayer is the display's LAYERS entry. */
export const hazardLayer = { id: 'hazards', label: 'layer_hazards', show, keys, title: () => w('layer_hazards') };
