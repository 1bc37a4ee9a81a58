// The UMD globals index.html loads before the modules (types from npm).
declare const maplibregl: typeof import('maplibre-gl');
declare const terraDraw: typeof import('terra-draw');
declare const terraDrawMaplibreGlAdapter: typeof import('terra-draw-maplibre-gl-adapter');
declare const echarts: typeof import('echarts');
declare const SwaggerUIBundle: (options: Record<string, unknown>) => unknown;
