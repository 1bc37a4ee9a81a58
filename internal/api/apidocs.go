package api

import (
	"io/fs"
	"net/http"

	"github.com/labstack/echo/v4"

	"wangge/internal/api/openapi"
)

// openAPIDoc answers GET /api/openapi.json: the API's OpenAPI 3.1 contract
// (internal/api/openapi), public like the API's own README table.
func (s *Server) openAPIDoc(c echo.Context) error {
	b, err := openapi.JSON()
	if err != nil {
		return err
	}
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, b)
}

// apiDocs answers GET /api/docs: the reference page that renders the
// document with the vendored Swagger UI (static/api-docs.html).
func (s *Server) apiDocs(c echo.Context) error {
	b, err := fs.ReadFile(s.opt.Static, "api-docs.html")
	if err != nil {
		return err
	}
	return c.HTMLBlob(http.StatusOK, b)
}
