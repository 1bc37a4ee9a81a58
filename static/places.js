// places: the places of a grid (rooms, buildings, posts; issue #16) with
// what the inspections mode and the grid card show of each — the person
// responsible (its own, else its building's), whether a checklist is due or
// overdue, and its open hazards — from the places, due and hazards lists.
import { get } from './api.js';
import { t } from './i18n.js';

/** kindName is a place kind in the page's language (the code itself when it has no name). */
export function kindName(kind) {
  const k = `place_kind_${kind}`;
  return t(k) === k ? kind : t(k);
}

/** Kinds a place may be drawn or registered as, in the order offered. */
export const PLACE_KINDS = ['building', 'floor', 'school_lab', 'library', 'computer_room', 'finance_room', 'kitchen', 'workshop',
  'rental_house', 'self_built_house', 'post'];

/**
 * gridPlaces reads grid's places, its due list and its hazards and returns
 * {places, due, hazards}: each place with responsible (a name), due
 * ('overdue' | 'due' | 'done' | '' without a checklist), major and general
 * (its open hazards) and worst ('major' | 'general' | '').
 */
export async function gridPlaces(grid, templates) {
  const [places, due, hazards] = await Promise.all([
    get(`/api/places?grid=${grid}`), get(`/api/inspections/due?unit=${grid}`), get(`/api/hazards?unit=${grid}`)]);
  const byId = new Map(places.map((p) => [p.id, p]));
  const dueOf = new Map();
  for (const d of due) if (dueOf.get(d.place_id) !== 'overdue') dueOf.set(d.place_id, d.state);
  const open = hazards.filter((h) => h.state !== 'closed');
  const out = places.map((p) => {
    let who = p, depth = 0;
    while (who && !who.responsible_name && who.parent_id && depth++ < 20) who = byId.get(who.parent_id);
    const mine = open.filter((h) => h.place_id === p.id);
    const major = mine.filter((h) => h.severity === 'major').length;
    const checked = templates.some((x) => x.kind === p.kind);
    return { ...p, responsible: (who && who.responsible_name) || '', due: dueOf.get(p.id) || (checked ? 'done' : ''),
      major, general: mine.length - major, worst: major ? 'major' : mine.length ? 'general' : '' };
  });
  return { places: out, due, hazards: open };
}
