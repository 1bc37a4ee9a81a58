// workreport: the download of the periodic work report (工作月报/季报, issue
// #17) of the unit the leader's display shows — a district, street or
// community, a row per child unit and the total — as XLSX or PDF from
// GET /api/reports/work.
import { getLang } from './i18n.js';
import { h } from './card.js';

const WORDS = {
  wr_title: ['工作报告', 'Work report'],
  wr_period: ['期间', 'Period'],
  wr_month: ['本月', 'this month'],
  wr_last_month: ['上月', 'last month'],
  wr_quarter: ['本季度', 'this quarter'],
  wr_last_quarter: ['上季度', 'last quarter'],
  wr_xlsx: ['下载 XLSX', 'Download XLSX'],
  wr_pdf: ['下载 PDF', 'Download PDF'],
};

/** w translates this file's words (Chinese first, English on the toggle). */
function w(key) { return WORDS[key][getLang() === 'zh' ? 0 : 1]; }

/** periods are the month and quarter labels the report takes, of now in China time. */
function periods() {
  const d = new Date(Date.now() + 8 * 3600e3);
  const y = d.getUTCFullYear(), m = d.getUTCMonth(); // 0-based
  const month = (yy, mm) => `${yy}-${String(mm + 1).padStart(2, '0')}`;
  const q = Math.floor(m / 3);
  return [['wr_month', month(y, m)], ['wr_last_month', m ? month(y, m - 1) : month(y - 1, 11)],
    ['wr_quarter', `${y}-Q${q + 1}`], ['wr_last_quarter', q ? `${y}-Q${q}` : `${y - 1}-Q4`]];
}

let chosen = ''; // the period picked, kept across redraws of the statistics

/** workReportBox is the period picker and the two download links for unit (a district, street or community code). */
export function workReportBox(unit) {
  const ps = periods();
  if (!ps.some(([, p]) => p === chosen)) chosen = ps[1][1]; // last month: a finished one
  const link = (format) => `/api/reports/work?unit=${encodeURIComponent(unit)}&period=${encodeURIComponent(chosen)}&format=${format}`;
  const xlsx = h('a', { id: 'wr-xlsx', class: 'button', href: link('xlsx'), download: '' }, w('wr_xlsx'));
  const pdf = h('a', { id: 'wr-pdf', class: 'button', href: link('pdf'), download: '' }, w('wr_pdf'));
  const sel = h('select', { id: 'wr-period', onchange: (e) => {
    chosen = e.target.value;
    /** @type {HTMLAnchorElement} */ (xlsx).href = link('xlsx');
    /** @type {HTMLAnchorElement} */ (pdf).href = link('pdf');
  } }, ...ps.map(([k, p]) => h('option', { value: p, ...(p === chosen ? { selected: '' } : {}) }, `${w(k)} ${p}`)));
  return h('div', { id: 'dp-workreport', class: 'actions', 'data-unit': unit },
    h('b', {}, w('wr_title')), ' ', h('label', {}, w('wr_period'), ' ', sel), xlsx, pdf);
}
