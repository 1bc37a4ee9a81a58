// mapkeys: a planner's, leader's or admin's own map keys for GIS clients
// (QGIS, GDAL) that cannot send a login token: make one (its secret is shown
// once, with the OGC and tile URLs that carry it), list them, revoke one.
import { api, get } from './api.js';
import { t, addStrings, applyTo } from './i18n.js';
import { showError, h } from './card.js';

addStrings({
  mode_keys: ['地图密钥', 'Map keys'],
  keys_title: ['GIS 客户端的地图密钥', 'Map keys for GIS clients'],
  keys_hint: ['QGIS、GDAL 等不能登录的软件用密钥读取网格（只读：OGC API 与矢量瓦片）。密钥只显示一次。',
    'QGIS, GDAL and other tools that cannot log in read the grids with a key (read-only: OGC API and vector tiles). A key is shown once.'],
  keys_name: ['用途', 'Name'],
  keys_create: ['生成密钥', 'Make a key'],
  keys_secret: ['新密钥（请立即复制，之后不再显示）', 'New key (copy it now: it is not shown again)'],
  keys_ogc: ['OGC API 地址', 'OGC API URL'],
  keys_tiles: ['矢量瓦片地址', 'Vector tile URL'],
  keys_created: ['生成于', 'Made'],
  keys_revoked: ['已吊销', 'Revoked'],
  keys_revoke: ['吊销', 'Revoke'],
  keys_none: ['还没有密钥', 'No keys yet'],
});

/** initKeys builds the panel (once). */
export function initKeys() {
  const sec = h('section', { id: 'keys-panel', class: 'mode-panel', hidden: '' },
    h('h2', { 'data-i18n': 'keys_title' }),
    h('p', { class: 'muted', 'data-i18n': 'keys_hint' }),
    h('form', { id: 'keys-form' },
      h('label', {}, h('span', { 'data-i18n': 'keys_name' }), h('input', { id: 'keys-name', required: '', maxlength: 100 })),
      h('button', { type: 'submit', 'data-i18n': 'keys_create' })),
    h('div', { id: 'keys-new', hidden: '' },
      h('p', { 'data-i18n': 'keys_secret' }), h('code', { id: 'keys-secret' }),
      h('p', { 'data-i18n': 'keys_ogc' }), h('code', { id: 'keys-ogc' }),
      h('p', { 'data-i18n': 'keys_tiles' }), h('code', { id: 'keys-tiles' })),
    h('ul', { id: 'keys-list' }));
  document.getElementById('panel').appendChild(sec);
  applyTo(sec);
  document.getElementById('keys-form').onsubmit = (e) => { e.preventDefault(); create().catch(showError); };
}

/** enterKeys lists the user's keys. */
export async function enterKeys() { await list(); }

async function create() {
  const name = /** @type {HTMLInputElement} */ (document.getElementById('keys-name')).value.trim();
  const r = await api('POST', '/api/map-keys', { name });
  const q = `key=${encodeURIComponent(r.secret)}`;
  document.getElementById('keys-secret').textContent = r.secret;
  document.getElementById('keys-ogc').textContent = `${location.origin}/ogc?${q}`;
  document.getElementById('keys-tiles').textContent = `${location.origin}/tiles/grids/{z}/{x}/{y}.mvt?${q}`;
  document.getElementById('keys-new').hidden = false;
  /** @type {HTMLFormElement} */ (document.getElementById('keys-form')).reset();
  await list();
}

async function list() {
  const { keys } = await get('/api/map-keys');
  const ul = document.getElementById('keys-list');
  if (!keys.length) { ul.replaceChildren(h('li', { class: 'muted' }, t('keys_none'))); return; }
  ul.replaceChildren(...keys.map((k) => h('li', { 'data-key': String(k.id), class: k.revoked_at ? 'revoked' : '' },
    h('strong', {}, k.name), ` · ${k.username} · ${t('keys_created')} ${k.created_at.slice(0, 10)}`,
    k.revoked_at ? h('span', { class: 'muted' }, ` · ${t('keys_revoked')} ${k.revoked_at.slice(0, 10)}`)
      : h('button', { type: 'button', class: 'revoke', onclick: () => revoke(k.id).catch(showError) }, t('keys_revoke')))));
}

async function revoke(id) {
  await api('DELETE', `/api/map-keys/${id}`);
  document.getElementById('keys-new').hidden = true;
  await list();
}
