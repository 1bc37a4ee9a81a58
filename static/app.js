// Grid map placeholder: the demo grids from /api/grids, styled by kind, on
// the configured basemap (none by default: intranets are often offline).
const status = document.getElementById('status');

const config = await fetch('/api/config').then((r) => r.json());
const style = { version: 8, sources: {}, layers: [{ id: 'bg', type: 'background', paint: { 'background-color': '#f4f1ea' } }] };
if (config.basemap_url) {
  style.sources.basemap = { type: 'raster', tiles: [config.basemap_url], tileSize: 256 };
  style.layers.push({ id: 'basemap', type: 'raster', source: 'basemap' });
}

const map = new maplibregl.Map({ container: 'map', style, center: [120.12, 30.27], zoom: 13 });
window.wanggeMap = map;

map.on('load', async () => {
  const grids = await fetch('/api/grids').then((r) => r.json());
  map.addSource('grids', { type: 'geojson', data: grids });
  map.addLayer({
    id: 'grids-fill', type: 'fill', source: 'grids',
    paint: {
      'fill-color': ['match', ['get', 'kind'], 'school', '#f4a261', 'enterprise', '#8e7dbe', '#a8dadc'],
      'fill-opacity': 0.6,
    },
  });
  map.addLayer({ id: 'grids-line', type: 'line', source: 'grids', paint: { 'line-color': '#1d3557', 'line-width': 1 } });
  if (grids.features.length > 0) {
    const b = new maplibregl.LngLatBounds();
    for (const f of grids.features) for (const poly of f.geometry.coordinates) for (const p of poly[0]) b.extend(p);
    map.fitBounds(b, { padding: 20, duration: 0 });
  }
  status.textContent = `${grids.features.length} 个网格 grids`;
});
