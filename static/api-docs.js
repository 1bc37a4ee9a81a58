// The API reference page (/api/docs): Swagger UI, vendored from npm
// (swagger-ui-dist), renders /api/openapi.json. A separate file because the
// Content-Security-Policy allows no inline script.
SwaggerUIBundle({
  url: '/api/openapi.json',
  dom_id: '#api-docs',
  // #/{tag}/{operationId} opens an operation; the box filters by tag.
  deepLinking: true,
  filter: true,
  // No badge from validator.swagger.io: the page works offline (intranet).
  validatorUrl: null,
  // Try-it-out sends requests with the session cookie of this site.
  withCredentials: true,
});
