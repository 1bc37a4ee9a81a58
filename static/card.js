// card: a unit's card — the online public notice (公示牌) with the staff and
// their phones, households and population against the target band (for roles
// that may read statistics), and a breadcrumb up and down the unit tree.
import { get, ApiError, NetworkError } from './api.js';
import { t, getLang, onLang } from './i18n.js';
import { LEVELS, setLevel, select, fitTo } from './gridmap.js';
import { gridPlaces, kindName } from './places.js';
import { renderOrgs, renderCompleteness } from './orgcard.js';

const el = () => document.getElementById('card');
const countsByParent = new Map(); // parent code → Promise<{band, over, under, rows}> | null (no permission)
let current = null;

/**
 * gridCounts is GET /api/reports/grid-counts?parent= (a community: the card's
 * grid and its neighbours) as {band, over, under, rows: Map grid_code → row},
 * page by page, or null when the role may not read statistics (403); any
 * other failure is thrown.
 */
export async function gridCounts(parent) {
  if (!countsByParent.has(parent)) {
    countsByParent.set(parent, (async () => {
      const out = { band: {}, over: 0, under: 0, rows: new Map() };
      let after = '';
      do {
        const d = await get(`/api/reports/grid-counts?parent=${parent}&limit=2000${after ? `&after=${after}` : ''}`);
        out.band = d.band || {}; out.over += d.over || 0; out.under += d.under || 0;
        for (const r of d.grids || []) out.rows.set(r.grid_code, r);
        after = d.next;
      } while (after);
      return out;
    })().catch((e) => { if (e.status === 403) return null; countsByParent.delete(parent); throw e; }));
  }
  return countsByParent.get(parent);
}

/** showCard loads unit code and shows its card; zoom=false keeps the view. */
export async function showCard(code, { zoom = true } = {}) {
  const unit = await get(`/api/grids/${code}`);
  current = unit;
  select(unit);
  if (zoom) fitTo([unit.geometry], { maxZoom: 16, padding: 60 });
  await render();
  return unit;
}

/** hideCard closes the card and clears the highlight. */
export function hideCard() {
  current = null;
  select(null);
  el().hidden = true;
}

onLang(() => { if (current) render().catch(showError); });

function h(tag, attrs = {}, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v); else if (v !== undefined && v !== null) e.setAttribute(k, v);
  }
  for (const k of kids.flat(Infinity)) if (k !== null && k !== undefined && k !== '') e.append(k.nodeType ? k : String(k));
  return e;
}
export { h };

async function render() {
  const p = current.properties;
  const box = el();
  box.hidden = false;
  const goto = (code, level) => () => { setLevel(level); showCard(code).catch(showError); };
  const chain = (p.chain || []).map((c, i, a) => [
    i ? ' › ' : '',
    i === a.length - 1 ? h('b', {}, c.name) : h('a', { href: '#', onclick: (e) => { e.preventDefault(); goto(c.code, c.level)(); } }, c.name),
  ]);
  const below = LEVELS[LEVELS.indexOf(p.level) + 1];
  // The units one level down, from the server: the map holds tiles, not lists.
  const children = below ? (await get(`/api/grids?level=${below}&parent=${p.code}`)).features : [];
  if (current?.properties !== p) return; // another card was opened meanwhile
  const staff = (p.staff || []).map((s) => h('li', { class: `staff staff-${s.role}` },
    h('span', { class: 'role' }, t(`role_${s.role}`)), ' ', h('span', { class: 'name' }, s.name), ' ',
    s.phone ? h('a', { class: 'phone', href: `tel:${s.phone}` }, s.phone) : ''));
  box.replaceChildren(...[
    h('div', { class: 'card-head' },
      h('span', { class: 'badge' }, t(p.level)),
      h('h2', {}, p.name),
      h('button', { class: 'close', title: t('close'), onclick: hideCard }, '×')),
    h('div', { class: 'crumbs' }, chain),
    h('div', { class: 'meta' }, h('code', {}, p.code), p.level === 'grid' && p.kind ? ` · ${t(`kind_${p.kind}`)}` : '', p.version ? ` · v${p.version}` : ''),
    p.level === 'grid' ? h('section', { class: 'staff-list' }, h('h3', {}, t('card_staff')), staff.length ? h('ul', {}, staff) : h('p', {}, t('no_staff'))) : null,
    p.level === 'grid' ? h('section', { class: 'stats', id: 'card-stats' }, h('h3', {}, t('card_stats')), h('p', { class: 'muted' }, t('loading'))) : null,
    p.level === 'grid' ? h('section', { class: 'activity', id: 'card-activity' }, h('h3', {}, t('card_activity')), h('p', { class: 'muted' }, t('loading'))) : null,
    p.level === 'grid' ? h('section', { class: 'orgs', id: 'card-orgs' }, h('h3', {}, t('card_orgs')), h('p', { class: 'muted' }, t('loading'))) : null,
    p.level === 'grid' ? h('section', { class: 'completeness', id: 'card-completeness' }, h('h3', {}, t('card_completeness')), h('p', { class: 'muted' }, t('loading'))) : null,
    dedicated(p) ? h('section', { class: 'places', id: 'card-places' }, h('h3', {}, t('card_places')), h('p', { class: 'muted' }, t('loading'))) : null,
    children.length ? h('section', { class: 'children' }, h('h3', {}, `${t('card_children')} · ${children.length}`),
      h('ul', {}, children.map((f) => h('li', {}, h('a', { href: '#', onclick: (e) => { e.preventDefault(); goto(f.properties.code, below)(); } }, f.properties.name))))) : null,
  ].filter(Boolean));
  if (p.level === 'grid') {
    renderStats(p).catch(showError);
    renderActivity(p).catch(showError);
    const still = () => current?.properties.code === p.code;
    const orgs = document.getElementById('card-orgs'), compl = document.getElementById('card-completeness');
    if (orgs) renderOrgs(orgs, p.code, h, () => still() && orgs.isConnected).catch(showError);
    if (compl) renderCompleteness(compl, p.code, h, () => still() && compl.isConnected).catch(showError);
  }
  if (dedicated(p)) renderPlaces(p).catch(showError);
}

/** dedicated: a school or enterprise grid, whose rooms and posts (定人、定岗、定责) the card lists. */
const dedicated = (p) => p.level === 'grid' && (p.kind === 'school' || p.kind === 'enterprise');

let templates = null;

// renderPlaces lists the grid's places: kind, name, the person responsible,
// whether an inspection is due or overdue, and the open hazards.
async function renderPlaces(p) {
  let d;
  try {
    templates ??= await get('/api/inspection-templates');
    d = await gridPlaces(p.code, templates);
  } catch (e) {
    // Places and hazards are for the roles that read hazards, within their scope.
    if (!(e instanceof ApiError && e.status === 403)) throw e;
  }
  const box = document.getElementById('card-places');
  if (!box || current?.properties.code !== p.code) return;
  if (!d) { box.lastChild.textContent = t('card_places_forbidden'); return; }
  if (!d.places.length) { box.lastChild.textContent = t('card_places_none'); return; }
  box.replaceChildren(h('h3', {}, `${t('card_places')} · ${d.places.length}`), h('ul', {}, d.places.map((x) => h('li', { class: `place ${x.worst}`, 'data-place': x.id },
    h('span', { class: 'kind' }, kindName(x.kind)), ' ', h('span', { class: 'name' }, x.name), ' ',
    h('small', { class: 'who' }, x.responsible || t('no_staff')), ' ',
    x.due ? h('small', { class: `due ${x.due}` }, t(`insp_${x.due}`)) : '', ' ',
    x.major + x.general ? h('small', { class: 'hazards' }, t('card_place_hazards', { n: x.major + x.general, m: x.major })) : ''))));
}

// renderActivity shows open incidents and the grid workers' patrols.
async function renderActivity(p) {
  let a;
  try {
    a = await get(`/api/grids/${p.code}/activity`);
  } catch (e) {
    // Field activity is for roles that read incidents, within their scope.
    if (!(e instanceof ApiError && e.status === 403)) throw e;
  }
  const box = document.getElementById('card-activity');
  if (!box || current?.properties.code !== p.code) return;
  if (!a) { box.lastChild.textContent = t('card_activity_forbidden'); return; }
  const byType = Object.entries(a.open_by_type || {}).map(([k, n]) => `${t(`incident_${k}`)} ${n}`).join(' · ');
  box.replaceChildren(h('h3', {}, t('card_activity')), h('dl', {},
    h('dt', {}, t('open_incidents')), h('dd', { id: 'card-open-incidents' }, a.open_incidents, byType ? ` (${byType})` : ''),
    h('dt', {}, t('last_patrol')), h('dd', { id: 'card-last-patrol' }, a.last_patrol_at ? new Date(a.last_patrol_at).toLocaleString() : t('never')),
    h('dt', {}, t('patrol_hours_30d')), h('dd', {}, (a.patrol_minutes_30d / 60).toFixed(1))));
}

async function renderStats(p) {
  const counts = await gridCounts(p.parent_code);
  const box = document.getElementById('card-stats');
  if (!box || current?.properties.code !== p.code) return;
  if (!counts) { box.lastChild.textContent = t('mapfront_stats_forbidden'); return; }
  const r = counts.rows.get(p.code);
  if (!r) { box.lastChild.textContent = t('no_result'); return; }
  // The grid's own band (its unit settings, inherited), else the report's.
  const [min, max] = r.band ? [r.band.min_households, r.band.max_households] : counts.band.households || [];
  const over = r.households_over || r.people_over, under = r.households_under || r.people_under;
  const flag = !r.band_applies ? null : over ? 'over_target' : under ? 'under_target' : 'within_target';
  box.replaceChildren(h('h3', {}, t('card_stats')), h('dl', {},
    h('dt', {}, t('households')), h('dd', { id: 'card-households' }, r.households),
    h('dt', {}, t('population')), h('dd', {}, r.people)),
  flag ? h('p', { class: `band ${flag}` }, t(flag), min != null ? ` · ${t('target_band', { min, max })}` : '') : '');
}

/**
 * errorText says what went wrong in the page's language: the server's error
 * code is stable and translated here (its message is English, shown in the
 * English page); a fetch that never got an answer is a network failure.
 */
export function errorText(e) {
  if (e instanceof ApiError) {
    const key = `mapfront_err_${e.code}`;
    const known = t(key) !== key;
    if (getLang() === 'en' && e.message) return e.message;
    return known ? t(key) : t('mapfront_err_other', { status: e.status });
  }
  if (e instanceof NetworkError) return t('mapfront_err_network');
  return e?.message || String(e);
}

/** showError puts a message in the status line. */
export function showError(e) {
  console.error(e);
  const s = document.getElementById('status');
  if (s) { s.textContent = t('error', { msg: errorText(e) }); s.classList.add('error'); }
}
