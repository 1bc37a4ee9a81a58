// i18n: Chinese first, English on a toggle. Elements carry data-i18n="key"
// (text) or data-i18n-placeholder="key"; code calls t(key, vars).
const DICT = {
  title: ['网格一张图', 'Grid map'],
  login_title: ['网格化管理 · 登录', 'Grid management · sign in'],
  username: ['用户名', 'Username'],
  password: ['密码', 'Password'],
  login: ['登录', 'Sign in'],
  logout: ['退出', 'Sign out'],
  login_failed: ['登录失败：{msg}', 'Sign-in failed: {msg}'],
  lang: ['English', '中文'],
  loading: ['加载中…', 'Loading…'],
  mode_map: ['一张图', 'Map'],
  mode_lookup: ['查询', 'Lookup'],
  mode_planner: ['规划', 'Planner'],
  mode_display: ['大屏', 'Display'],
  level: ['层级', 'Level'],
  district: ['区县', 'District'],
  street: ['街道', 'Street'],
  community: ['社区', 'Community'],
  grid: ['网格', 'Grid'],
  estate: ['小区', 'Estate'],
  n_units: ['{n} 个{level}', '{n} {level} units'],
  kind_basic: ['基础网格', 'Basic'],
  kind_enterprise: ['企业专属网格', 'Enterprise'],
  kind_school: ['学校专属网格', 'School'],
  kind_other: ['其他', 'Other'],
  role_grid_leader: ['网格长', 'Grid leader'],
  role_grid_worker: ['网格员', 'Grid worker'],
  role_informant: ['信息员', 'Informant'],
  card_staff: ['公示牌 · 责任人', 'Public card · responsible staff'],
  card_children: ['下级', 'Below'],
  card_stats: ['户数与人口', 'Households and population'],
  card_activity: ['事件与巡查', 'Incidents and patrols'],
  open_incidents: ['在办事件', 'Open incidents'],
  incident_routine: ['常规', 'routine'],
  incident_coordination: ['协调', 'coordination'],
  incident_emergency: ['应急', 'emergency'],
  incident_approval: ['审批', 'approval'],
  last_patrol: ['最近巡查', 'Last patrol'],
  patrol_hours_30d: ['近30天巡查（小时）', 'Patrol hours, last 30 days'],
  never: ['无', 'none'],
  households: ['户数', 'Households'],
  population: ['人口', 'Population'],
  target_band: ['目标 {min}–{max} 户', 'target {min}–{max} households'],
  over_target: ['超出目标', 'over target'],
  under_target: ['低于目标', 'under target'],
  within_target: ['在目标范围内', 'within target'],
  no_staff: ['暂无人员', 'No staff on record'],
  level_up: ['上一级', 'up one level'],
  close: ['关闭', 'Close'],
  search_placeholder: ['地址，或 经度,纬度', 'Address, or lon,lat'],
  search: ['查询', 'Search'],
  crs: ['坐标系', 'CRS'],
  lookup_hint: ['输入地址或坐标，或直接点击地图。', 'Type an address or a coordinate, or click the map.'],
  no_result: ['没有找到', 'Nothing found'],
  outside_grids: ['该点不在任何网格内', 'This point is in no grid'],
  near_boundary: ['⚠ 靠近网格边界（{d} 米），请核实归属', '⚠ Near a grid boundary ({d} m): check which grid'],
  nearest: ['最近网格 {code}，{d} 米', 'nearest grid {code}, {d} m'],
  layer_buildings: ['楼栋', 'Buildings'],
  layer_households: ['户数（按楼栋）', 'Households per building'],
  layer_defects: ['覆盖缺陷（缝隙、重叠）', 'Coverage defects (gaps, overlaps)'],
  layer_unplaced: ['网格外楼栋', 'Buildings outside any grid'],
  boundary_distance: ['距边界 {d} 米', '{d} m from the boundary'],
  located_in: ['所属网格', 'Grid'],
  responsible: ['责任人', 'Responsible'],
  results: ['{n} 条结果', '{n} results'],
  planner_hint: ['点击网格选中，再选择操作。', 'Click a grid to select it, then pick an action.'],
  edit_mode: ['修改方式', 'Edit mode'],
  mode_strict: ['严格：有缝隙或重叠即拒绝', 'Strict: refuse any gap or overlap'],
  mode_adjust: ['调整：相邻网格随之让出或补齐', 'Adjust: neighbours give or take the difference'],
  edit_boundary: ['修改边界', 'Edit boundary'],
  draw_new: ['新建网格', 'Draw new grid'],
  split: ['拆分', 'Split'],
  merge: ['合并', 'Merge'],
  delete: ['删除', 'Delete'],
  check: ['服务器校验', 'Check on server'],
  save: ['确认保存', 'Confirm and save'],
  cancel: ['取消', 'Cancel'],
  selected: ['已选：{name}', 'Selected: {name}'],
  merge_set: ['合并：{names}（点击网格添加）', 'Merge: {names} (click grids to add them)'],
  drawing_polygon: ['在地图上逐点绘制，双击或点回起点结束。', 'Click points on the map; close the ring to finish.'],
  drawing_line: ['画一条穿过网格的切割线，双击结束。', 'Draw a line across the grid; double-click to finish.'],
  editing: ['拖动顶点修改边界，点击中点增加顶点。', 'Drag vertices; click a midpoint to add one.'],
  check_ok: ['校验通过，可以保存。', 'Check passed: ready to save.'],
  check_refused: ['服务器拒绝：{msg}', 'Refused by the server: {msg}'],
  preview: ['调整预览：相邻网格的变化', 'Adjust preview: what the neighbours lose or gain'],
  area_change: ['{name}：{before} → {after}（{delta}）', '{name}: {before} → {after} ({delta})'],
  moved: ['随之移交：楼栋 {buildings}，户 {households}，事件 {incidents}', 'Moving with it: {buildings} buildings, {households} households, {incidents} incidents'],
  saved: ['已保存。', 'Saved.'],
  new_name: ['名称', 'Name'],
  new_kind: ['类型', 'Kind'],
  new_parent: ['所属社区', 'Community'],
  history: ['历史版本', 'History'],
  view_as_of: ['查看', 'View'],
  back_to_now: ['回到现在', 'Back to now'],
  as_of_banner: ['历史：{date} 的网格图', 'History: the grid map as of {date}'],
  defect_gap: ['缝隙', 'gap'],
  defect_overlap: ['重叠', 'overlap'],
  defect_invalid: ['无效几何', 'invalid geometry'],
  display_title: ['网格化管理 · 态势大屏', 'Grid management · overview'],
  stats_per_level: ['分级统计', 'Statistics per level'],
  grids_over: ['超标网格', 'Grids over target'],
  grids_under: ['不足网格', 'Grids under target'],
  layers: ['图层', 'Layers'],
  layer_kind: ['网格类型', 'Grid kind'],
  layer_balance: ['网格均衡（户数）', 'Grid balance (households)'],
  layer_density: ['户数密度', 'Household density'],
  fullscreen: ['全屏', 'Full screen'],
  print: ['导出公示图 PNG', 'Printable map (PNG)'],
  print_title: ['{name} 网格公示图', '{name} grid notice map'],
  legend: ['图例', 'Legend'],
  error: ['出错：{msg}', 'Error: {msg}'],
  // mapfront (#11, #19): permission and failure messages, the server's error codes, lookup.
  mapfront_stats_forbidden: ['无权查看统计（需统计权限）', 'no permission to read statistics'],
  mapfront_err_invalid: ['输入有误', 'invalid input'],
  mapfront_err_unauthorized: ['请先登录', 'please sign in'],
  mapfront_err_forbidden: ['无权进行此操作', 'not allowed'],
  mapfront_err_not_found: ['未找到', 'not found'],
  mapfront_err_method_not_allowed: ['不支持的操作', 'operation not supported'],
  mapfront_err_conflict: ['数据已被他人修改，请刷新后重试', 'changed by someone else: reload and try again'],
  mapfront_err_too_large: ['数据太大', 'too large'],
  mapfront_err_unsupported_media_type: ['不支持的文件格式', 'unsupported file format'],
  mapfront_err_topology: ['边界不符合规则（缝隙、重叠或无效几何）', 'the boundaries break a rule (gap, overlap or invalid geometry)'],
  mapfront_err_rate_limited: ['请求太频繁，请稍后再试', 'too many requests: try again shortly'],
  mapfront_err_unavailable: ['服务暂时不可用，请稍后再试', 'service temporarily unavailable'],
  mapfront_err_internal: ['服务器内部错误', 'server error'],
  mapfront_err_network: ['网络连接失败，请检查网络后重试', 'network failure: check the connection and try again'],
  mapfront_err_other: ['请求失败（{status}）', 'request failed ({status})'],
  mapfront_band_not_applicable: ['不适用（专属网格）', 'not applicable (special grids)'],
  mapfront_density_range: ['户数密度：低 → 高（户/平方千米）', 'households per km²: low → high'],
  mapfront_reason: ['修改原因', 'Reason for the change'],
  mapfront_reason_hint: ['写入历史记录，例如：按街巷调整', 'kept in the history, e.g. follows the new street'],
  mapfront_lookup_failed: ['查询失败：{msg}', 'Lookup failed: {msg}'],
  mapfront_lookup_choose: ['{n} 个同样匹配的地址在不同网格，请选择：', '{n} equally good matches in different grids: choose one'],
  mapfront_lookup_here: ['我的位置', 'My location'],
  mapfront_lookup_my_location: ['我的位置（精度 {m} 米）', 'My location (accuracy {m} m)'],
  mapfront_lookup_no_geolocation: ['此浏览器不能定位', 'this browser cannot tell its location'],
  mapfront_lookup_geolocation_failed: ['无法获取位置：{msg}', 'location not available: {msg}'],
};

let lang = localStorage.getItem('wangge.lang') === 'en' ? 'en' : 'zh';
const listeners = [];

/** t translates key, filling {name} placeholders from vars; unknown keys echo back. */
export function t(key, vars = {}) {
  const pair = DICT[key];
  const s = pair ? pair[lang === 'zh' ? 0 : 1] : key;
  return s.replace(/\{(\w+)\}/g, (_, k) => (k in vars ? String(vars[k]) : `{${k}}`));
}

/** getLang is 'zh' or 'en'. */
export function getLang() { return lang; }

/** setLang switches language, rewrites tagged elements and notifies listeners. */
export function setLang(l) {
  lang = l === 'en' ? 'en' : 'zh';
  localStorage.setItem('wangge.lang', lang);
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  applyTo(document);
  for (const f of listeners) f(lang);
}

/** onLang registers f to run after every language switch (re-render dynamic text). */
export function onLang(f) { listeners.push(f); }

/** applyTo translates every data-i18n element under root. */
export function applyTo(root) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-placeholder]')) el.placeholder = t(el.dataset.i18nPlaceholder);
  for (const el of root.querySelectorAll('[data-i18n-title]')) el.title = t(el.dataset.i18nTitle);
}
