// hotspots: the leader display's hotspot layer (issue #17) — Getis-Ord Gi*
// classes of incidents in hexagons or grids, drawn from /tiles/hotspots with
// the window, category and bins chosen here; the same query's summary (cases,
// significance or the reason none is claimed) from /api/hotspots.
import { get } from './api.js';
import { getLang } from './i18n.js';
import { state, district } from './gridmap.js';
import { h, showError } from './card.js';

const WORDS = {
  layer_hotspots: ['事件热点（Gi*）', 'Incident hotspots (Gi*)'],
  hs_days: ['时间窗：近 {n} 天', 'Window: last {n} days'],
  hs_category: ['类别', 'Category'],
  hs_all: ['全部类别', 'All categories'],
  hs_bins: ['统计单元', 'Bins'],
  hs_hex: ['六边形', 'Hexagons'],
  hs_grid: ['网格', 'Grids'],
  hs_hot99: ['热点 99% 置信', 'Hot spot, 99% confidence'],
  hs_hot95: ['热点 95% 置信', 'Hot spot, 95% confidence'],
  hs_hot90: ['热点 90% 置信', 'Hot spot, 90% confidence'],
  hs_none: ['不显著', 'Not significant'],
  hs_cold90: ['冷点 90% 置信', 'Cold spot, 90% confidence'],
  hs_cold95: ['冷点 95% 置信', 'Cold spot, 95% confidence'],
  hs_cold99: ['冷点 99% 置信', 'Cold spot, 99% confidence'],
  hs_summary: ['{n} 件事件，{hot} 个热点单元（FDR 校正）', '{n} cases, {hot} hot bins (FDR corrected)'],
  hs_trend: ['显示趋势（与前 5 个同长时段比较）', 'Show the trend (against the 5 windows before)'],
  hs_trend_new: ['新热点', 'New hot spot'],
  hs_trend_intensifying: ['加剧热点', 'Intensifying hot spot'],
  hs_trend_persistent: ['持续热点', 'Persistent hot spot'],
  hs_trend_diminishing: ['减弱热点', 'Diminishing hot spot'],
  hs_weeks: ['每周事件数', 'Cases per week'],
  hs_by_category: ['按类别', 'By category'],
  hs_pdf: ['导出报告 PDF', 'Report PDF'],
  hs_png: ['导出图片 PNG', 'Map PNG'],
  hs_insufficient: ['事件太少，不作显著性判断：{why}', 'Too few cases, no significance claimed: {why}'],
};

/** w translates this file's words (Chinese first, English on the toggle). */
function w(key, vars = {}) {
  const s = WORDS[key][getLang() === 'zh' ? 0 : 1];
  return s.replace(/\{(\w+)\}/g, (_, k) => String(vars[k] ?? ''));
}

// The classes in ArcGIS's Hot Spot Analysis colours.
const CLASSES = [['hot99', '#b2182b'], ['hot95', '#ef8a62'], ['hot90', '#fddbc7'], ['none', '#f7f7f7'],
  ['cold90', '#d1e5f0'], ['cold95', '#67a9cf'], ['cold99', '#2166ac']];

// Emerging-hotspot trends, drawn as outlines over the classes.
const TRENDS = [['new', '#ffd166'], ['intensifying', '#ff006e'], ['persistent', '#8338ec'], ['diminishing', '#3a86ff']];

const opts = { days: 30, category: '', bins: 'hex', trend: false };
let categories = null;

/** query is the hotspot query string for the district and the chosen options. */
async function query() {
  const top = await district();
  const to = new Date();
  const from = new Date(to.getTime() - opts.days * 86400e3);
  const p = new URLSearchParams({ parent: top?.code || '', from: from.toISOString().slice(0, 19) + 'Z', to: to.toISOString().slice(0, 19) + 'Z', bins: opts.bins });
  if (opts.category) p.set('category', opts.category);
  if (opts.trend) p.set('trend', '1');
  return p;
}

/** panel is the window slider, category and bins pickers and the summary line. */
function panel() {
  let box = document.getElementById('dp-hotspots');
  if (box) return box;
  const cats = (categories || []).filter((c) => !c.parent_code);
  box = h('div', { id: 'dp-hotspots', class: 'dp-hotspots' },
    h('label', {}, h('span', { id: 'hs-days-label' }, w('hs_days', { n: opts.days })),
      h('input', { id: 'hs-days', type: 'range', min: '7', max: '366', step: '1', value: String(opts.days),
        oninput: (e) => { document.getElementById('hs-days-label').textContent = w('hs_days', { n: e.target.value }); },
        onchange: (e) => { opts.days = Number(e.target.value); refresh().catch(showError); } })),
    h('label', {}, w('hs_category'), ' ', h('select', { id: 'hs-category', onchange: (e) => { opts.category = e.target.value; refresh().catch(showError); } },
      h('option', { value: '' }, w('hs_all')),
      ...cats.map((c) => h('option', { value: c.code }, getLang() === 'zh' ? c.name_zh : c.name_en)))),
    h('label', {}, w('hs_bins'), ' ', h('select', { id: 'hs-bins', onchange: (e) => { opts.bins = e.target.value; refresh().catch(showError); } },
      h('option', { value: 'hex' }, w('hs_hex')), h('option', { value: 'grid' }, w('hs_grid')))),
    h('label', {}, h('input', { id: 'hs-trend-on', type: 'checkbox',
      // Through the layer's own checkbox, so the display redraws the legend with the trend keys.
      onchange: (e) => { opts.trend = e.target.checked; document.querySelector('#dp-layers input[data-layer=hotspots]')?.dispatchEvent(new Event('change')); } }), ' ', w('hs_trend')),
    h('p', { id: 'hs-summary', class: 'muted' }, ''),
    // The meeting report of the same query, drawn by the server (/api/hotspots/report.*).
    h('div', { class: 'actions' }, h('a', { id: 'hs-pdf', class: 'button', download: '' }, w('hs_pdf')),
      h('a', { id: 'hs-png', class: 'button', download: '' }, w('hs_png'))),
    h('div', { id: 'hs-trend', class: 'hs-chart', style: 'height:160px' }),
    h('div', { id: 'hs-cats', class: 'hs-chart', style: 'height:180px' }));
  document.getElementById('dp-layers').after(box);
  return box;
}

/** refresh points the tiles at the current options and reloads the summary. */
async function refresh() {
  const map = state.map;
  const p = await query();
  const src = map.getSource('dp-hotspots');
  if (src) src.setTiles([`${location.origin}/tiles/hotspots/{z}/{x}/{y}.mvt?${p}`]);
  p.set('zoom', String(Math.min(16, Math.max(10, Math.floor(map.getZoom())))));
  for (const ext of ['pdf', 'png']) /** @type {HTMLAnchorElement} */ (document.getElementById(`hs-${ext}`)).href = `/api/hotspots/report.${ext}?${p}`;
  const r = await get(`/api/hotspots?${p}`);
  const hot = r.features.filter((f) => String(f.properties.class).startsWith('hot')).length;
  const line = document.getElementById('hs-summary');
  if (!line) return;
  line.textContent = r.significance ? w('hs_summary', { n: r.total, hot }) : w('hs_insufficient', { why: r.insufficient });
  line.dataset.total = String(r.total);
  line.dataset.hot = String(hot);
  line.dataset.significance = String(r.significance);
  charts(r);
}

/** chart returns the ECharts instance of the element, made once. */
function chart(id) {
  const el = /** @type {HTMLElement} */ (document.getElementById(id));
  return echarts.getInstanceByDom(el) || echarts.init(el, 'dark', { renderer: 'canvas' });
}

/**
 * charts draws the cases of the same query per week (line) and per
 * top-level category (bars), with Apache ECharts (vendored from npm).
 * @param {{weeks: {week: string, count: number}[], categories: {code: string, name_zh: string, name_en: string, count: number}[]}} r
 */
function charts(r) {
  const base = { backgroundColor: 'transparent', grid: { left: 40, right: 12, top: 28, bottom: 24 }, tooltip: { trigger: 'axis' } };
  chart('hs-trend').setOption({ ...base, title: { text: w('hs_weeks'), textStyle: { fontSize: 13 } },
    xAxis: { type: 'category', data: r.weeks.map((x) => x.week.slice(5)) }, yAxis: { type: 'value', minInterval: 1 },
    series: [{ type: 'line', data: r.weeks.map((x) => x.count), smooth: false, areaStyle: { opacity: 0.2 } }] }, true);
  const cats = r.categories.slice(0, 8).reverse();
  chart('hs-cats').setOption({ ...base, grid: { left: 80, right: 12, top: 28, bottom: 20 }, title: { text: w('hs_by_category'), textStyle: { fontSize: 13 } },
    xAxis: { type: 'value', minInterval: 1 }, yAxis: { type: 'category', data: cats.map((c) => (getLang() === 'zh' ? c.name_zh : c.name_en)) },
    series: [{ type: 'bar', data: cats.map((c) => c.count), itemStyle: { color: '#ef8a62' } }] }, true);
}

/** show switches the layer and its panel on or off. */
async function show(map, on) {
  if (!on && !map.getSource('dp-hotspots')) return;
  if (on && !map.getSource('dp-hotspots')) {
    if (!categories) categories = (await get('/api/incidents/categories').catch(() => ({ categories: [] }))).categories;
    const p = await query();
    map.addSource('dp-hotspots', { type: 'vector', tiles: [`${location.origin}/tiles/hotspots/{z}/{x}/{y}.mvt?${p}`], minzoom: 0, maxzoom: 16 });
    map.addLayer({ id: 'dp-hotspots', type: 'fill', source: 'dp-hotspots', 'source-layer': 'hotspots',
      paint: { 'fill-color': ['match', ['get', 'class'], ...CLASSES.flat(), '#f7f7f7'],
        'fill-opacity': ['match', ['get', 'class'], 'none', 0.25, 0.75], 'fill-outline-color': '#444' } }, 'units-community-line');
  }
  if (on && !map.getLayer('dp-hotspots-trend')) {
    map.addLayer({ id: 'dp-hotspots-trend', type: 'line', source: 'dp-hotspots', 'source-layer': 'hotspots',
      filter: ['in', ['get', 'trend'], ['literal', TRENDS.map(([k]) => k)]],
      paint: { 'line-color': ['match', ['get', 'trend'], ...TRENDS.flat(), '#ffffff'], 'line-width': 3 } }, 'units-community-line');
  }
  const box = panel();
  box.hidden = !on;
  if (map.getLayer('dp-hotspots')) map.setLayoutProperty('dp-hotspots', 'visibility', on ? 'visible' : 'none');
  showTrend(on);
  if (on) await refresh();
}

/** showTrend shows the trend outlines when the layer and the trend are on. */
function showTrend(on = true) {
  const map = state.map;
  if (map.getLayer('dp-hotspots-trend')) map.setLayoutProperty('dp-hotspots-trend', 'visibility', on && opts.trend ? 'visible' : 'none');
}

/** hotspotLayer is the display's LAYERS entry. */
export const hotspotLayer = {
  id: 'hotspots', label: 'layer_hotspots', show,
  title: () => w('layer_hotspots'),
  keys: () => [...CLASSES.map(([c, colour]) => ({ colour, label: w(`hs_${c}`) })),
    ...(opts.trend ? TRENDS.map(([k, colour]) => ({ colour, label: w(`hs_trend_${k}`), shape: /** @type {'line'} */ ('line') })) : [])],
};
