// orgcard: two sections of a grid's card (issue #15) — its organisations
// and facilities counted per kind (GET /api/organisations), and its
// collection completeness (信息采集率, GET /api/reports/completeness) against
// the 100% the schemes require — and the organisations map layer.
import { get, ApiError } from './api.js';
import { addStrings, getLang, t } from './i18n.js';

addStrings({
  card_orgs: ['地、物、组织', 'Organisations and facilities'],
  card_orgs_none: ['尚未登记', 'None registered'],
  card_orgs_forbidden: ['无权查看本网格的组织', 'Organisations of this grid are outside your scope'],
  card_completeness: ['信息采集率（要求 100%）', 'Collection completeness (100% required)'],
  card_completeness_forbidden: ['无权查看采集率', 'Completeness is outside your scope'],
  compl_addresses: ['地址有户', 'Addresses with households'],
  compl_households: ['户有成员', 'Households with members'],
  compl_id: ['人员有身份证号', 'Persons with ID number'],
  compl_phone: ['人员有电话', 'Persons with phone'],
  compl_rules: ['类别有走访规则', 'Categories with a visit rule'],
  compl_missing: ['缺 {n}', '{n} missing'],
  layer_organisations: ['地、物、组织', 'Organisations and facilities'],
  org_domain_organisation: ['组织（企业、商户、学校…）', 'Organisations (enterprises, shops, schools, …)'],
  org_domain_facility: ['设施（消火栓、探头、公厕…）', 'Facilities (hydrants, cameras, toilets, …)'],
});

/** @type {Promise<Map<string, {name_zh: string, name_en: string, domain: string}>> | null} */
let kinds = null;
function placeKinds() {
  kinds ??= get('/api/place-kinds').then((ks) => new Map(ks.map((k) => [k.code, k])))
    .catch((e) => { kinds = null; throw e; });
  return kinds;
}

/** kindLabel is a place kind's name in the page's language. */
export async function kindLabel(code) {
  const k = (await placeKinds()).get(code);
  return k ? (getLang() === 'zh' ? k.name_zh : k.name_en) : code;
}

/** forbidden is null for a 403 (outside the caller's scope); other failures are thrown. */
async function orNull(p) {
  try { return await p; } catch (e) { if (e instanceof ApiError && e.status === 403) return null; throw e; }
}

/**
 * renderOrgs fills box (a card section) with the grid's organisations and
 * facilities per kind; still is asked before writing (the card may have moved on).
 */
export async function renderOrgs(box, grid, h, still) {
  const d = await orNull(get(`/api/organisations?unit=${grid}`));
  if (!still()) return;
  if (!d) { box.lastChild.textContent = t('card_orgs_forbidden'); return; }
  const rows = Object.entries(d.counts || {}).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  if (!rows.length) { box.lastChild.textContent = t('card_orgs_none'); return; }
  const labels = await Promise.all(rows.map(([k]) => kindLabel(k)));
  if (!still()) return;
  const total = rows.reduce((s, [, n]) => s + n, 0);
  box.replaceChildren(h('h3', {}, `${t('card_orgs')} · ${total}`), h('dl', { class: 'org-counts' },
    rows.map(([k, n], i) => [h('dt', {}, labels[i]), h('dd', { 'data-kind': k }, n)])));
}

/** renderCompleteness fills box with the grid's completeness rates and what is missing. */
export async function renderCompleteness(box, grid, h, still) {
  const d = await orNull(get(`/api/reports/completeness?parent=${grid}`));
  if (!still()) return;
  if (!d) { box.lastChild.textContent = t('card_completeness_forbidden'); return; }
  const c = d.total;
  const line = (key, pct, missing, id) => [h('dt', {}, t(key)),
    h('dd', { id, class: pct === null || pct >= 100 ? 'ok' : 'short' },
      pct === null ? '—' : `${pct.toFixed(1)}%`, missing ? ` (${t('compl_missing', { n: missing })})` : '')];
  box.replaceChildren(h('h3', {}, t('card_completeness')), h('dl', { class: 'completeness' },
    line('compl_addresses', c.addresses_with_households_pct, c.addresses_without_households, 'compl-addresses'),
    line('compl_households', c.households_with_members_pct, c.households_without_members, 'compl-households'),
    line('compl_id', c.persons_with_id_number_pct, c.persons_without_id_number, 'compl-id'),
    line('compl_phone', c.persons_with_phone_pct, c.persons_without_phone, 'compl-phone'),
    line('compl_rules', c.categories_with_rule_pct, c.categories_without_rule, 'compl-rules')));
}

const DOMAIN_COLOURS = { organisation: '#7209b7', facility: '#f77f00' };

/** orgLayer is the display's organisations layer (a LAYERS entry of display.js). */
export const orgLayer = {
  id: 'organisations', label: 'layer_organisations', tiles: 'organisations',
  keys: () => Object.entries(DOMAIN_COLOURS).map(([d, colour]) => ({ colour, shape: 'dot', label: t(`org_domain_${d}`) })),
  layer: { type: 'circle', paint: {
    'circle-color': ['match', ['get', 'domain'], 'facility', DOMAIN_COLOURS.facility, DOMAIN_COLOURS.organisation],
    'circle-radius': 5, 'circle-stroke-color': '#fff', 'circle-stroke-width': 1 } },
};
