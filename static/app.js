// app: login, then the map in the mode the user's role lands in (officer →
// lookup, planner → planner, leader → display, admin → everything), with a
// Chinese/English toggle. Tests reach the live objects as window.wangge.
import { api, get, ApiError } from './api.js';
import { t, setLang, getLang, applyTo } from './i18n.js';
import { state, createMap, loadUnits, setLevel, count } from './gridmap.js';
import { showCard, hideCard, showError, errorText } from './card.js';
import { renderLegend } from './legend.js';
import { initLookup, enterLookup } from './lookup.js';
import { initPlanner, enterPlanner, leavePlanner, pickGrid } from './planner.js';
import { initDisplay, enterDisplay, leaveDisplay, prefetchStats } from './display.js';
import { initPatrol, enterPatrol, leavePatrol } from './patrol.js';
import { initJurisdiction, enterJurisdiction, leaveJurisdiction } from './jurisdiction.js';
import { initVisits, enterVisits } from './residents.js';
import { initIncidents, enterIncidents, leaveIncidents } from './incidents.js';
import { initInspections, enterInspections, leaveInspections } from './inspections.js';
import { initAssessment, enterAssessment, leaveAssessment } from './assessment.js';
import { initKeys, enterKeys } from './mapkeys.js';
import { initGridSearch, setGridSearch } from './gridsearch.js';

/** MODES_BY_ROLE lists each role's modes; the first is where it lands. */
const MODES_BY_ROLE = {
  admin: ['map', 'lookup', 'planner', 'display', 'patrol', 'staff', 'visits', 'incidents', 'inspections', 'assessment', 'keys'],
  planner: ['planner', 'map', 'lookup', 'staff', 'keys'],
  officer: ['lookup', 'visits', 'inspections', 'map', 'incidents'],
  leader: ['display', 'map', 'patrol', 'incidents', 'assessment', 'keys'],
  auditor: ['map'],
};

const MODES = {
  map: {
    enter: () => {
      state.onClick = (e, f) => (f ? showCard(f.properties.code, { zoom: false }).catch(showError) : hideCard());
      setGridSearch((r) => { showCard(r.code).catch(showError); });
    },
  },
  lookup: { panel: 'lookup-panel', enter: enterLookup },
  planner: { panel: 'planner-panel', enter: () => { enterPlanner(); setGridSearch(pickGrid); }, leave: leavePlanner },
  display: { panel: 'display-panel', enter: enterDisplay, leave: leaveDisplay },
  patrol: { panel: 'patrol-panel', enter: enterPatrol, leave: leavePatrol },
  staff: { panel: 'jurisdiction-panel', enter: enterJurisdiction, leave: leaveJurisdiction },
  visits: { panel: 'visits-panel', enter: () => enterVisits(me) },
  incidents: { panel: 'incidents-panel', enter: () => enterIncidents(me), leave: leaveIncidents },
  inspections: { panel: 'inspections-panel', enter: () => enterInspections(me), leave: leaveInspections },
  assessment: { panel: 'assessment-panel', enter: enterAssessment, leave: leaveAssessment },
  keys: { panel: 'keys-panel', enter: enterKeys },
};

let me = null;
let mode = null;

for (const b of document.querySelectorAll('button.lang')) b.addEventListener('click', () => setLang(getLang() === 'zh' ? 'en' : 'zh'));
setLang(getLang());

/** setMode leaves the current mode and enters m. */
async function setMode(m) {
  if (mode && MODES[mode].leave) MODES[mode].leave();
  mode = m;
  for (const [name, def] of Object.entries(MODES)) if (def.panel) document.getElementById(def.panel).hidden = name !== m;
  for (const b of document.querySelectorAll('#modes button')) if (b instanceof HTMLElement) b.classList.toggle('active', b.dataset.mode === m);
  document.body.dataset.mode = m;
  setGridSearch(null); // the map and planner modes show it again
  await MODES[m].enter();
}

async function start() {
  try {
    me = await get('/api/me');
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return showLogin();
    throw e;
  }
  document.getElementById('login').hidden = true;
  document.getElementById('app').hidden = false;
  document.getElementById('whoami').textContent = `${me.username} · ${me.role}`;
  const modes = MODES_BY_ROLE[me.role] || ['map'];
  if (modes[0] === 'display') prefetchStats(me.unit_code); // the big screen's numbers, before the map loads
  const nav = document.getElementById('modes');
  nav.replaceChildren(...modes.map((m) => {
    const b = document.createElement('button');
    b.dataset.mode = m; b.dataset.i18n = `mode_${m}`; b.textContent = t(`mode_${m}`);
    b.onclick = () => setMode(m).catch(showError);
    return b;
  }));
  const status = document.getElementById('status');
  status.textContent = t('loading');
  const config = await get('/api/config');
  if (!state.map) {
    createMap('map', config);
    /** @type {any} */ (window).wangge = { state, setMode, showCard };
    const level = /** @type {HTMLSelectElement} */ (document.getElementById('level'));
    level.onchange = () => { hideCard(); setLevel(level.value); renderLegend(); };
  }
  await loadUnits(true);
  renderLegend();
  status.textContent = t('n_units', { n: count('grid'), level: t('grid') });
  await setMode(modes[0]);
  document.body.dataset.ready = 'true';
}

function showLogin() {
  document.getElementById('app').hidden = true;
  document.getElementById('login').hidden = false;
  document.getElementById('login-user').focus();
}

document.getElementById('login-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const err = document.getElementById('login-error');
  err.textContent = '';
  try {
    const user = /** @type {HTMLInputElement} */ (document.getElementById('login-user'));
    const pass = /** @type {HTMLInputElement} */ (document.getElementById('login-pass'));
    await api('POST', '/api/login', { username: user.value, password: pass.value });
    pass.value = '';
    await start();
  } catch (x) {
    err.textContent = t('login_failed', { msg: errorText(x) });
  }
});

document.getElementById('logout').addEventListener('click', async () => {
  await api('POST', '/api/logout').catch(() => {});
  // A fresh page: no state of the previous user survives.
  location.reload();
});

initLookup();
initPlanner();
initDisplay();
initPatrol();
initJurisdiction();
initVisits();
initIncidents();
initInspections();
initAssessment();
initKeys();
initGridSearch();
applyTo(document);
start().catch(showError);
