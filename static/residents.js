// residents: the officer's visits (走访) on the phone — the due list of their
// grid this month and the four-question form (四必问). Each visit gets its
// UUID on the device; one that cannot be sent is kept in localStorage and
// sent again with the same UUID, so a retry is stored once.
import { api, get, ApiError } from './api.js';
import { t } from './i18n.js';
import { categoryOptions } from './incidents.js';

const PENDING = 'wangge.visits.pending';
let me = null;
let current = null; // the due row being visited

const $ = (id) => /** @type {HTMLInputElement} */ (document.getElementById(id));

const pending = () => JSON.parse(localStorage.getItem(PENDING) || '[]');
const setPending = (xs) => localStorage.setItem(PENDING, JSON.stringify(xs));

/** send posts one visit; a network failure keeps it, an answer (even 4xx) settles it. */
async function send(v) {
  try {
    const r = await api('POST', '/api/visits', v);
    setPending(pending().filter((p) => p.id !== v.id));
    return r;
  } catch (e) {
    if (e instanceof ApiError) { setPending(pending().filter((p) => p.id !== v.id)); throw e; }
    if (!pending().some((p) => p.id === v.id)) setPending([...pending(), v]);
    return null;
  }
}

/** flush resends the kept visits, oldest first; the open form closes once its visit is in. */
async function flush() {
  for (const v of pending()) {
    const r = await send(v).catch(() => null);
    if (r && current && r.household_id === current.household_id) {
      current = null;
      $('rv-form').hidden = true;
      $('rv-summary').dataset.saved = r.id;
    }
  }
}

function position(fallback) {
  return new Promise((resolve) => {
    if (!navigator.geolocation) return resolve(fallback);
    navigator.geolocation.getCurrentPosition(
      (p) => resolve({ lon: p.coords.longitude, lat: p.coords.latitude }),
      () => resolve(null), { timeout: 10000, maximumAge: 60000 });
  });
}

function month() {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}`;
}

async function renderDue() {
  const list = $('rv-due');
  const grid = me && me.unit_code;
  if (!grid || grid.length !== 15) { $('rv-summary').textContent = t('residents_no_grid'); list.replaceChildren(); return; }
  const m = month();
  const d = await get(`/api/visits/due?grid=${grid}&month=${m}`);
  $('rv-summary').textContent = t('residents_due_n', { n: d.due.length, month: m });
  list.replaceChildren(...d.due.map((row) => {
    const li = document.createElement('li');
    li.dataset.household = row.household_id;
    const a = document.createElement('span');
    a.className = 'addr';
    a.textContent = row.address;
    const r = document.createElement('small');
    r.textContent = t('residents_rule', { cat: row.rule_category === '*' ? t('residents_rule_all') : row.rule_category, m: row.rule_months });
    const b = document.createElement('button');
    b.textContent = t('residents_visit');
    b.onclick = () => openForm(row);
    li.append(a, r, b);
    return li;
  }));
}

function openForm(row) {
  current = row;
  const f = /** @type {HTMLFormElement} */ (document.getElementById('rv-form'));
  f.reset();
  $('rv-address').textContent = row.address;
  $('rv-result').textContent = '';
  f.hidden = false;
  $('rv-follow-up-case').hidden = true;
  $('rv-troubles').focus();
}

/** followUp is the visit's follow_up: a case to open (category and description), true, or false. */
function followUp() {
  if (!$('rv-follow-up').checked) return false;
  const category = $('rv-follow-up-category').value;
  if (!category) return true;
  return { category, description: $('rv-follow-up-description').value || $('rv-troubles').value };
}

async function submit(e) {
  e.preventDefault();
  if (!current) return;
  const where = await position(null);
  const out = $('rv-result');
  if (!where) { out.textContent = t('residents_no_position'); return; }
  const v = {
    id: crypto.randomUUID(),
    household_id: current.household_id,
    visited_at: new Date().toISOString(),
    lon: where.lon, lat: where.lat,
    answers: {
      troubles: $('rv-troubles').value, satisfaction: $('rv-satisfaction').value,
      suggestions: $('rv-suggestions').value, needs_help: $('rv-needs-help').value,
    },
    note: $('rv-note').value,
    follow_up: followUp(),
  };
  try {
    const r = await send(v);
    if (!r) { out.textContent = t('residents_queued'); return; }
    out.textContent = r.far ? t('residents_saved_far', { m: Math.round(r.distance_m) }) : t('residents_saved');
    if (r.incident_id) { out.textContent += ` · ${t('residents_saved_case', { id: r.incident_id })}`; out.dataset.incident = r.incident_id; }
    out.dataset.visit = r.id;
    current = null;
    $('rv-form').hidden = true;
    await renderDue();
    $('rv-summary').dataset.saved = r.id;
  } catch (x) {
    out.textContent = x.message;
  }
}

/** initVisits wires the form once. */
export function initVisits() {
  $('rv-form').addEventListener('submit', (e) => submit(e).catch((x) => { $('rv-result').textContent = x.message; }));
  $('rv-cancel').onclick = () => { current = null; $('rv-form').hidden = true; };
  // Follow-up needed: the officer may report the case at once, from the catalogue.
  $('rv-follow-up').onchange = () => {
    $('rv-follow-up-case').hidden = !$('rv-follow-up').checked;
    if ($('rv-follow-up').checked) categoryOptions(/** @type {HTMLSelectElement} */ (document.getElementById('rv-follow-up-category'))).catch(() => {});
  };
  window.addEventListener('online', () => flush().then(renderDue).catch(() => {}));
}

/** enterVisits shows the due list of the user's grid, after resending kept visits. */
export async function enterVisits(user) {
  me = user;
  await flush();
  await renderDue();
}
