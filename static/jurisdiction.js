// jurisdiction: the grid force (网格力量) panel for planners and admins —
// click a grid, see its public card and assignment history, add a person
// with a photo and assign them, and print the grid's notice board (公示牌),
// its community's boards or its household contact cards. Every write goes
// through the API; errors show every reason the server gave.
import { api, get, ApiError } from './api.js';
import { t, onLang, applyTo } from './i18n.js';
import { state, select, setLevel } from './gridmap.js';
import { showError, h } from './card.js';
import { estatesBox, initEstates, showEstates, hideEstates, drawingEstate } from './estates.js';

const ROLES = ['grid_leader', 'grid_worker', 'part_time_worker', 'informant', 'building_leader', 'police', 'volunteer'];
let panel = null;
let grid = null; // the selected grid feature
let last = null; // the last /api/grids/:code/staff answer
// draft is the person created by a submit whose photo or assignment then
// failed: the next submit edits and reuses them instead of adding a twin.
let draft = null;

/** initJurisdiction builds the panel (hidden until the mode is entered). */
export function initJurisdiction() {
  panel = h('section', { id: 'jurisdiction-panel', class: 'mode-panel', hidden: '' },
    h('h2', { 'data-i18n': 'jur_title' }),
    h('p', { id: 'jur-hint', class: 'muted', 'data-i18n': 'jur_hint' }),
    h('div', { id: 'jur-grid' }),
    h('div', { id: 'jur-card' }),
    estatesBox(),
    h('form', { id: 'jur-form', hidden: '' },
      h('h3', { 'data-i18n': 'jur_add' }),
      field('jur-name', 'jur_name', { required: '', maxlength: '64' }),
      field('jur-phone', 'jur_phone', { required: '', type: 'tel' }),
      field('jur-post', 'jur_post', {}),
      field('jur-duties', 'jur_duties', {}),
      field('jur-birth', 'jur_birth', { type: 'date' }),
      field('jur-supervision', 'jur_supervision', { type: 'tel' }),
      h('label', {}, h('span', { 'data-i18n': 'jur_role' }), h('select', { id: 'jur-role' },
        ROLES.map((r) => h('option', { value: r, 'data-i18n': `jur_role_${r}` })))),
      field('jur-photo', 'jur_photo', { type: 'file', accept: 'image/jpeg,image/png' }),
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary', id: 'jur-submit', 'data-i18n': 'jur_submit' })),
      h('div', { id: 'jur-result', role: 'status' })),
    h('div', { class: 'actions', id: 'jur-print', hidden: '' },
      h('a', { id: 'jur-board', class: 'button', 'data-i18n': 'jur_board', download: '' }),
      h('a', { id: 'jur-board-a3', class: 'button', 'data-i18n': 'jur_board_a3', download: '' }),
      h('a', { id: 'jur-boards', class: 'button', 'data-i18n': 'jur_boards', download: '' }),
      h('a', { id: 'jur-cards', class: 'button', 'data-i18n': 'jur_cards', download: '' }),
      h('a', { id: 'jur-public', class: 'button', 'data-i18n': 'jur_public', target: '_blank', rel: 'noopener' })));
  document.getElementById('panel').prepend(panel);
  applyTo(panel);
  initEstates();
  document.getElementById('jur-form').addEventListener('submit', (e) => { e.preventDefault(); addWorker().catch(showError); });
  onLang(() => { if (last) renderCard(); });
}

function field(id, key, attrs) {
  return h('label', {}, h('span', { 'data-i18n': key }), h('input', { id, ...attrs }));
}

/** enterJurisdiction shows grids and makes a click choose one. */
export function enterJurisdiction() {
  setLevel('grid');
  state.onClick = (e, f) => { if (f && !drawingEstate()) choose(f).catch(showError); };
  if (grid) select(grid);
}

/** leaveJurisdiction clears the selection. */
export function leaveJurisdiction() { select(null); hideEstates(); }

async function choose(f) {
  grid = f;
  select(f);
  const code = f.properties.code;
  document.getElementById('jur-grid').replaceChildren(h('h3', {}, `${f.properties.name} · ${code}`));
  document.getElementById('jur-form').hidden = false;
  document.getElementById('jur-print').hidden = false;
  document.getElementById('jur-result').replaceChildren();
  draft = null;
  const community = code.slice(0, 12);
  /** @type {HTMLAnchorElement} */ (document.getElementById('jur-board')).href = `/api/grids/${code}/board.pdf`;
  /** @type {HTMLAnchorElement} */ (document.getElementById('jur-board-a3')).href = `/api/grids/${code}/board.pdf?paper=a3`;
  /** @type {HTMLAnchorElement} */ (document.getElementById('jur-boards')).href = `/api/units/${community}/boards.pdf`;
  /** @type {HTMLAnchorElement} */ (document.getElementById('jur-cards')).href = `/api/grids/${code}/contact-cards.pdf`;
  /** @type {HTMLAnchorElement} */ (document.getElementById('jur-public')).href = `/p/grids/${code}`;
  await Promise.all([refresh(), showEstates(code)]);
}

async function refresh() {
  last = await get(`/api/grids/${grid.properties.code}/staff`);
  renderCard();
}

function renderCard() {
  const box = document.getElementById('jur-card');
  const card = last.card.length
    ? h('ul', { class: 'jur-people' }, last.card.map((p) => h('li', { 'data-staff': p.staff_id },
      p.has_photo ? h('img', { src: `/api/staff/${p.staff_id}/photo?size=thumb`, alt: '', width: '45', height: '60' }) : null,
      h('b', {}, p.name), ` ${t(`jur_role_${p.role}`)} · ${p.phone}`, p.post ? ` · ${p.post}` : '')))
    : h('p', { class: 'muted' }, t('jur_nobody'));
  const hist = h('table', { class: 'jur-history' },
    h('tr', {}, ['jur_h_name', 'jur_role', 'jur_h_from', 'jur_h_to', 'jur_h_status'].map((k) => h('th', {}, t(k)))),
    last.history.map((a) => h('tr', {}, h('td', {}, a.staff_name), h('td', {}, t(`jur_role_${a.role}`)),
      h('td', {}, a.from.slice(0, 10)), h('td', {}, a.to ? a.to.slice(0, 10) : '—'), h('td', {}, t(`jur_status_${a.status}`)))));
  box.replaceChildren(h('h3', {}, t('jur_card')), card, h('h3', {}, t('jur_history')), hist);
}

/** addWorker creates the person, uploads the photo, then assigns them. */
async function addWorker() {
  const out = document.getElementById('jur-result');
  out.replaceChildren();
  const v = (id) => /** @type {HTMLInputElement} */ (document.getElementById(id)).value.trim();
  const button = /** @type {HTMLButtonElement} */ (document.getElementById('jur-submit'));
  button.disabled = true;
  try {
    const body = {
      name: v('jur-name'), phone: v('jur-phone'), post: v('jur-post'), duties: v('jur-duties'),
      birth_date: v('jur-birth'), supervision_phone: v('jur-supervision'),
    };
    const person = draft ? await api('PUT', `/api/staff/${draft}`, body) : await api('POST', '/api/staff', body);
    draft = person.id;
    const file = /** @type {HTMLInputElement} */ (document.getElementById('jur-photo')).files[0];
    if (file) {
      const fd = new FormData();
      fd.append('file', file);
      const r = await fetch(`/api/staff/${person.id}/photo`, { method: 'POST', body: fd, credentials: 'same-origin' });
      if (!r.ok) {
        const e = (await r.json().catch(() => ({}))).error || {};
        throw new ApiError(r.status, e.code, e.message || r.statusText, e.details);
      }
    }
    const res = await api('POST', `/api/grids/${grid.properties.code}/staff`, { staff_id: person.id, role: v('jur-role') });
    draft = null;
    out.append(h('p', { class: 'ok' }, t(res.needs_approval ? 'jur_pending' : 'jur_added', { name: person.name })),
      ...(res.warnings || []).map((w) => h('p', { class: 'warn' }, w)));
    /** @type {HTMLFormElement} */ (document.getElementById('jur-form')).reset();
    await refresh();
  } catch (e) {
    const reasons = Array.isArray(e.details) ? e.details : [e.message];
    out.append(...reasons.map((r) => h('p', { class: 'warn' }, String(r))));
  } finally {
    button.disabled = false;
  }
}
