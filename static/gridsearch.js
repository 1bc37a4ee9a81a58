// gridsearch: find a street, community or grid by name or code words
// (GET /api/grids/search, the caller's own units first) from a box over the
// map in the map and planner modes; choosing a result flies to it and
// selects it the way a click would in that mode. Each answer replaces the
// last; a late answer to an earlier query is dropped; a failure says so.
import { get } from './api.js';
import { t } from './i18n.js';
import { h, errorText } from './card.js';

/** @typedef {{code: string, name: string, level: string, level_zh: string, kind: string, parent_name: string, bbox: number[], in_scope: boolean}} Hit */

/** @type {((hit: Hit) => void) | null} */
let onPick = null;
let seq = 0;
let timer = 0;
/** @type {Hit[]} */
let hits = [];
const ui = {};

/** initGridSearch wires the box (#grid-search). */
export function initGridSearch() {
  for (const id of ['grid-search', 'gs-q', 'gs-results', 'gs-status']) ui[id] = document.getElementById(id);
  ui['gs-q'].addEventListener('input', () => { clearTimeout(timer); timer = window.setTimeout(() => search().catch(() => {}), 250); });
  ui['grid-search'].addEventListener('submit', async (e) => {
    e.preventDefault();
    clearTimeout(timer);
    await search();
    if (hits.length) pick(hits[0]); // Enter takes the best match
  });
  ui['gs-q'].addEventListener('keydown', (e) => { if (e.key === 'Escape') clear(); });
}

/** setGridSearch shows the box with what choosing a result does in this mode, or hides it (null). */
export function setGridSearch(fn) {
  onPick = fn;
  ui['grid-search'].hidden = !fn;
  if (!fn) clear();
}

function clear() {
  seq++;
  hits = [];
  /** @type {HTMLInputElement} */ (ui['gs-q']).value = '';
  ui['gs-results'].replaceChildren();
  ui['gs-status'].textContent = '';
}

async function search() {
  const q = /** @type {HTMLInputElement} */ (ui['gs-q']).value.trim();
  const mine = ++seq;
  if (!q) { hits = []; ui['gs-results'].replaceChildren(); ui['gs-status'].textContent = ''; return; }
  ui['gs-status'].textContent = t('loading');
  let answer;
  try {
    answer = await get(`/api/grids/search?limit=10&q=${encodeURIComponent(q)}`);
  } catch (e) {
    if (mine !== seq) return;
    hits = [];
    ui['gs-results'].replaceChildren();
    ui['gs-status'].textContent = t('gridsearch_failed', { msg: errorText(e) });
    return;
  }
  if (mine !== seq) return;
  hits = answer.results;
  ui['gs-status'].textContent = hits.length ? '' : t('no_result');
  ui['gs-results'].replaceChildren(...hits.map((r) => h('li', {},
    h('button', { type: 'button', 'data-code': r.code, onclick: () => pick(r) },
      h('span', { class: 'gs-name' }, r.name),
      h('span', { class: 'muted' }, ` ${t(r.level)} · ${r.parent_name ? `${r.parent_name} · ` : ''}${r.code}`)))));
}

function pick(r) {
  seq++;
  hits = [];
  ui['gs-results'].replaceChildren();
  ui['gs-status'].textContent = '';
  /** @type {HTMLInputElement} */ (ui['gs-q']).value = r.name;
  onPick?.(r);
}
