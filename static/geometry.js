// geometry: the little plane geometry the page needs on its own — label
// points, point-in-polygon (fallback lookup), distances and areas in metres
// for display. Lon/lat are projected locally (equirectangular at the
// feature's latitude), which is accurate to well under 1% at grid sizes.
const R = 6371008.8;
const RAD = Math.PI / 180;

/** polygons lists a Polygon's or MultiPolygon's polygons (arrays of rings); others give []. */
export function polygons(geom) {
  if (!geom) return [];
  if (geom.type === 'Polygon') return [geom.coordinates];
  if (geom.type === 'MultiPolygon') return geom.coordinates;
  return [];
}

/** bbox is [minLon, minLat, maxLon, maxLat] of any GeoJSON geometry. */
export function bbox(geom) {
  const b = [Infinity, Infinity, -Infinity, -Infinity];
  const walk = (c) => {
    if (typeof c[0] === 'number') {
      b[0] = Math.min(b[0], c[0]); b[1] = Math.min(b[1], c[1]);
      b[2] = Math.max(b[2], c[0]); b[3] = Math.max(b[3], c[1]);
    } else for (const x of c) walk(x);
  };
  walk(geom.coordinates);
  return b;
}

function ringArea(ring) { // shoelace in degrees², positive when counter-clockwise
  let a = 0;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) a += (ring[j][0] - ring[i][0]) * (ring[j][1] + ring[i][1]);
  return a / 2;
}

function inRing(p, ring) {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i], [xj, yj] = ring[j];
    if ((yi > p[1]) !== (yj > p[1]) && p[0] < ((xj - xi) * (p[1] - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** contains tells whether point p = [lon, lat] is inside geom (holes excluded; boundary undefined). */
export function contains(geom, p) {
  return polygons(geom).some((poly) => inRing(p, poly[0]) && !poly.slice(1).some((h) => inRing(p, h)));
}

/**
 * labelPoint is a point inside the largest polygon of geom for its label: the
 * ring's centroid when that is inside (convex-ish grids), else the middle of
 * the widest inside stretch of the horizontal line through the middle.
 */
export function labelPoint(geom) {
  let best = null, bestArea = -1;
  for (const poly of polygons(geom)) {
    const a = Math.abs(ringArea(poly[0]));
    if (a > bestArea) { bestArea = a; best = poly; }
  }
  if (!best) return null;
  const ring = best[0];
  let cx = 0, cy = 0, a2 = 0;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const f = ring[j][0] * ring[i][1] - ring[i][0] * ring[j][1];
    cx += (ring[j][0] + ring[i][0]) * f; cy += (ring[j][1] + ring[i][1]) * f; a2 += f;
  }
  if (a2 !== 0) {
    const c = [cx / (3 * a2), cy / (3 * a2)];
    if (contains({ type: 'Polygon', coordinates: best }, c)) return c;
  }
  const [, minY, , maxY] = bbox({ coordinates: ring });
  const y = (minY + maxY) / 2;
  const xs = [];
  for (const r of best) {
    for (let i = 0, j = r.length - 1; i < r.length; j = i++) {
      const [xi, yi] = r[i], [xj, yj] = r[j];
      if ((yi > y) !== (yj > y)) xs.push(xi + ((y - yi) * (xj - xi)) / (yj - yi));
    }
  }
  xs.sort((p, q) => p - q);
  let w = -1, x = ring[0][0];
  for (let i = 0; i + 1 < xs.length; i += 2) if (xs[i + 1] - xs[i] > w) { w = xs[i + 1] - xs[i]; x = (xs[i] + xs[i + 1]) / 2; }
  return [x, y];
}

/** distanceToBoundary is the distance in metres from p to the nearest edge of geom. */
export function distanceToBoundary(geom, p) {
  const kx = Math.cos(p[1] * RAD) * RAD * R, ky = RAD * R;
  let best = Infinity;
  for (const poly of polygons(geom)) for (const ring of poly) {
    for (let i = 1; i < ring.length; i++) {
      const ax = (ring[i - 1][0] - p[0]) * kx, ay = (ring[i - 1][1] - p[1]) * ky;
      const bx = (ring[i][0] - p[0]) * kx, by = (ring[i][1] - p[1]) * ky;
      const dx = bx - ax, dy = by - ay, len2 = dx * dx + dy * dy;
      const t = len2 ? Math.max(0, Math.min(1, -(ax * dx + ay * dy) / len2)) : 0;
      best = Math.min(best, Math.hypot(ax + t * dx, ay + t * dy));
    }
  }
  return best;
}

/** area is geom's area in square metres (holes subtracted). */
export function area(geom) {
  let total = 0;
  for (const poly of polygons(geom)) {
    const lat = poly[0][0][1];
    const k = Math.cos(lat * RAD) * RAD * R * RAD * R;
    poly.forEach((ring, i) => { total += (i === 0 ? 1 : -1) * Math.abs(ringArea(ring)) * k; });
  }
  return total;
}

/** formatArea writes square metres readably: "850 m²", "1.25 km²". */
export function formatArea(m2) {
  const a = Math.abs(m2);
  if (a >= 1e6) return `${(m2 / 1e6).toFixed(2)} km²`;
  return `${Math.round(m2).toLocaleString('en')} m²`;
}

/**
 * onGrid rounds positions (nested arrays of [lon, lat]) to 7 decimals, the
 * server's 1e-7° grid: terra-draw refuses a feature with coordinates finer
 * than its precision ("excessive precision"), whatever their source.
 * @param {any} c
 * @returns {any}
 */
export function onGrid(c) {
  return typeof c[0] === 'number' ? [Number(c[0].toFixed(7)), Number(c[1].toFixed(7))] : c.map(onGrid);
}
