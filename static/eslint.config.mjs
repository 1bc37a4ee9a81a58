// ESLint for the front end (scripts/test runs it): the recommended rules over
// the page's modules (browser, with the UMD globals of index.html) and the
// browser tests (node).
import js from '@eslint/js';
import globals from 'globals';

export default [
  { ignores: ['node_modules/', 'vendor/'] },
  js.configs.recommended,
  {
    files: ['*.js'],
    languageOptions: {
      sourceType: 'module',
      globals: { ...globals.browser, maplibregl: 'readonly', terraDraw: 'readonly', terraDrawMaplibreGlAdapter: 'readonly', echarts: 'readonly', SwaggerUIBundle: 'readonly' },
    },
  },
  {
    files: ['e2e/**/*.mjs', '*.mjs'],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    // Functions handed to page.evaluate run in the browser.
    files: ['e2e/**/*.mjs'],
    languageOptions: { globals: { ...globals.browser, maplibregl: 'readonly', echarts: 'readonly' } },
  },
];
