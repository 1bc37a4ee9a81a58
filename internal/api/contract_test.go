package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/labstack/echo/v4"

	"wangge/internal/api"
	"wangge/internal/api/openapi"
	"wangge/static"
)

// The API's contract (internal/api/openapi/openapi.yaml) against the
// server: every route Echo registers is a documented operation and every
// operation is registered (TestOpenAPIRoutesAgree), and every request and
// answer the package's tests exchange with the server is validated against
// the document (contract.RoundTrip, installed as http.DefaultTransport by
// TestMain), so a changed answer shape fails the test that made it.

// undocumentedRoutes are served but not part of the API: the front end's
// files (index.html, its modules, the vendored libraries).
var undocumentedRoutes = map[string]bool{"GET /*": true}

// echoParam is a path parameter as Echo writes it (:code).
var echoParam = regexp.MustCompile(`:([A-Za-z_]+)`)

// docPath is an Echo route path written as the document writes it.
func docPath(p string) string { return echoParam.ReplaceAllString(p, "{$1}") }

// loadContract is the served document, loaded and validated by kin-openapi.
func loadContract() (*openapi3.T, error) {
	b, err := openapi.JSON()
	if err != nil {
		return nil, err
	}
	doc, err := openapi3.NewLoader().LoadFromData(b)
	if err != nil {
		return nil, err
	}
	return doc, doc.Validate(context.Background())
}

// routeEcho is the server's router, for finding the route of a request as
// the server finds it (no database: only the routes are used).
var routeEcho = sync.OnceValue(func() *echo.Echo {
	return api.New(api.Options{Static: static.FS, Logger: quiet}).Handler().(*echo.Echo)
})

func TestOpenAPIRoutesAgree(t *testing.T) {
	doc, err := loadContract()
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented[method+" "+path] = true
		}
	}
	registered := map[string]bool{}
	for _, r := range routeEcho().Routes() {
		key := r.Method + " " + r.Path
		if r.Method == "echo_route_not_found" || undocumentedRoutes[key] {
			continue
		}
		registered[r.Method+" "+docPath(r.Path)] = true
	}
	var missing, extra []string
	for k := range registered {
		if !documented[k] {
			missing = append(missing, k)
		}
	}
	for k := range documented {
		if !registered[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	for _, k := range missing {
		t.Errorf("route %s is registered but not in openapi.yaml", k)
	}
	for _, k := range extra {
		t.Errorf("operation %s is in openapi.yaml but not registered", k)
	}
	if len(registered) < 140 {
		t.Errorf("%d routes registered: fewer than expected, is the route list read right?", len(registered))
	}
}

// TestOpenAPIServed: the document and its reference page answer without a
// login; the document served is the one in the repository.
func TestOpenAPIServed(t *testing.T) {
	base := demoServer(t)
	before := validated.count()
	resp, body := getAnonymous(t, base+"/api/openapi.json")
	want, _ := openapi.JSON()
	if resp.StatusCode != 200 || !bytes.Equal(body, want) || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Errorf("GET /api/openapi.json: %d %s, %d bytes, want the document (%d bytes)", resp.StatusCode, resp.Header.Get("Content-Type"), len(body), len(want))
	}
	resp, body = getAnonymous(t, base+"/api/docs")
	if resp.StatusCode != 200 || !bytes.Contains(body, []byte("/vendor/swagger-ui-bundle.js")) {
		t.Errorf("GET /api/docs: %d %.200s", resp.StatusCode, body)
	}
	// Both exchanges went through the validator (TestMain installed it).
	if n := validated.count() - before; n < 2 {
		t.Errorf("%d exchanges validated, want 2: the contract check is bypassed", n)
	}
}

// contract validates the exchanges of the package's tests.
type contract struct {
	doc  *openapi3.T
	next http.RoundTripper

	mu       sync.Mutex
	checked  int             // exchanges validated
	exercise map[string]bool // operations seen answered
}

// validated is the contract TestMain installs.
var validated *contract

func newContract(next http.RoundTripper) (*contract, error) {
	doc, err := loadContract()
	return &contract{doc: doc, next: next, exercise: map[string]bool{}}, err
}

func (ct *contract) count() int {
	ct.mu.Lock()
	defer ct.mu.Unlock()
	return ct.checked
}

// RoundTrip sends req and validates it and its answer; a mismatch is the
// request's error, so the test that made it fails there, naming it.
// Answers that are not the wangge server's (a webhook receiver's: no
// X-Request-Id) pass unchecked.
func (ct *contract) RoundTrip(req *http.Request) (*http.Response, error) {
	var reqBody []byte
	if req.Body != nil && req.Body != http.NoBody {
		var err error
		if reqBody, err = io.ReadAll(req.Body); err != nil {
			return nil, err
		}
		req.Body.Close()
		req = req.Clone(req.Context())
		req.Body = io.NopCloser(bytes.NewReader(reqBody))
	}
	resp, err := ct.next.RoundTrip(req)
	if err != nil || resp.Header.Get(echo.HeaderXRequestID) == "" {
		return resp, err
	}
	respBody, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(respBody))
	if err := ct.check(req, reqBody, resp, respBody); err != nil {
		return nil, fmt.Errorf("openapi contract: %s %s → %d: %w", req.Method, req.URL.RequestURI(), resp.StatusCode, err)
	}
	return resp, nil
}

// A CSV body of POST /api/locate may have rows of any length (each is
// answered with its own error): the body is text, not a table to decode.
func init() { openapi3filter.RegisterBodyDecoder("text/csv", openapi3filter.PlainBodyDecoder) }

// jsonType reports whether a media type is JSON (application/json, …+json).
func jsonType(mt string) bool { return mt == "application/json" || strings.HasSuffix(mt, "+json") }

func (ct *contract) check(req *http.Request, reqBody []byte, resp *http.Response, respBody []byte) error {
	route, params, err := ct.route(req)
	if err != nil {
		return err
	}
	if route == nil {
		return nil // the front end's files
	}
	if route.Operation == nil {
		// The path is documented, not the method: Echo's 405.
		if resp.StatusCode != http.StatusMethodNotAllowed {
			return fmt.Errorf("%s is not documented for %s", req.Method, route.Path)
		}
		return ct.checkErrorShape(respBody)
	}
	opts := &openapi3filter.Options{
		AuthenticationFunc:    openapi3filter.NoopAuthenticationFunc, // the server's business: its answer is checked
		IncludeResponseStatus: true,
		MultiError:            true,
	}
	vreq := req.Clone(req.Context())
	vreq.Body = io.NopCloser(bytes.NewReader(reqBody))
	if len(reqBody) > 0 && vreq.Header.Get("Content-Type") == "" {
		// The server reads a body without a type as JSON (decodeJSON).
		vreq.Header.Set("Content-Type", "application/json")
	}
	in := &openapi3filter.RequestValidationInput{Request: vreq, PathParams: params, Route: route, Options: opts}
	if err := openapi3filter.ValidateRequest(req.Context(), in); err != nil && resp.StatusCode < 400 {
		// Bad input is fine when the server refused it too.
		return fmt.Errorf("the server accepted a request the document does not allow: %v", err)
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: resp.StatusCode,
		Header: resp.Header, Body: io.NopCloser(bytes.NewReader(respBody)), Options: opts}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if !jsonType(mt) && resp.StatusCode != http.StatusNotModified && resp.StatusCode != http.StatusNoContent && req.Method != http.MethodHead {
		// PDF, XLSX, images, tiles, CSV, HTML, XML: status and type only.
		optsNoBody := *opts
		optsNoBody.ExcludeResponseBody = true
		out.Options = &optsNoBody
		if r := route.Operation.Responses.Status(resp.StatusCode); r != nil && r.Value != nil && r.Value.Content.Get(mt) == nil {
			return fmt.Errorf("answer of type %q, not documented for %d", mt, resp.StatusCode)
		}
	}
	if err := openapi3filter.ValidateResponse(req.Context(), out); err != nil {
		return err
	}
	ct.mu.Lock()
	ct.checked++
	ct.exercise[route.Method+" "+route.Path] = true
	ct.mu.Unlock()
	return nil
}

// route finds the operation of req as the server's router does; nil for
// the undocumented routes; an operation-less route for a documented path
// without the method.
func (ct *contract) route(req *http.Request) (*routers.Route, map[string]string, error) {
	e := routeEcho()
	c := e.NewContext(req, nil)
	path := req.URL.RawPath
	if path == "" {
		path = req.URL.Path
	}
	e.Router().Find(req.Method, path, c)
	if c.Path() == "" || undocumentedRoutes["GET "+c.Path()] {
		return nil, nil, nil
	}
	item := ct.doc.Paths.Value(docPath(c.Path()))
	if item == nil {
		return nil, nil, fmt.Errorf("route %s is not in the document", c.Path())
	}
	params := map[string]string{}
	for i, n := range c.ParamNames() {
		params[n] = c.ParamValues()[i]
	}
	return &routers.Route{Spec: ct.doc, Path: docPath(c.Path()), PathItem: item, Method: req.Method,
		Operation: item.GetOperation(req.Method)}, params, nil
}

// checkErrorShape validates an answer against the document's Error schema.
func (ct *contract) checkErrorShape(body []byte) error {
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return fmt.Errorf("error answer is not JSON: %w", err)
	}
	return ct.doc.Components.Schemas["Error"].Value.VisitJSON(v, openapi3.EnableJSONSchema2020())
}

// report is the after-run line of TestMain: how much of the API the tests
// exchanged under validation (WANGGE_OPENAPI_UNEXERCISED=1 lists the rest).
func (ct *contract) report(code int) int {
	ct.mu.Lock()
	defer ct.mu.Unlock()
	ops := 0
	for _, item := range ct.doc.Paths.Map() {
		ops += len(item.Operations())
	}
	fmt.Printf("openapi contract: %d exchanges validated, %d of %d operations exercised\n", ct.checked, len(ct.exercise), ops)
	if os.Getenv("WANGGE_OPENAPI_UNEXERCISED") != "" {
		var un []string
		for path, item := range ct.doc.Paths.Map() {
			for m := range item.Operations() {
				if !ct.exercise[m+" "+path] {
					un = append(un, m+" "+path)
				}
			}
		}
		sort.Strings(un)
		fmt.Println("unexercised:", strings.Join(un, ", "))
	}
	return code
}

// TestContractCatchesMismatches: the validator fails an answer whose shape
// the document does not give, a status it does not list, and a request it
// does not allow that the server took — with a document changed for the
// purpose, against the real server.
func TestContractCatchesMismatches(t *testing.T) {
	base := demoServer(t)
	token := tokenFor(t, base, "admin")
	cases := []struct {
		name   string
		change func(doc *openapi3.T)
		method string
		path   string
		want   string
	}{
		{"answer shape", func(doc *openapi3.T) {
			doc.Components.Schemas["Principal"].Value.Properties["username"].Value.Type = &openapi3.Types{"integer"}
		}, "GET", "/api/me", "username"},
		{"status", func(doc *openapi3.T) {
			doc.Paths.Value("/api/grids/{code}").Get.Responses.Delete("404")
		}, "GET", "/api/grids/999999999999999", "status is not supported"},
		{"request", func(doc *openapi3.T) {
			doc.Paths.Value("/api/audit").Get.Parameters.GetByInAndName("query", "limit").Schema.Value.Max = openapi3.Ptr(5.0)
		}, "GET", "/api/audit?limit=10", "accepted a request the document does not allow"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			doc, err := loadContract()
			if err != nil {
				t.Fatal(err)
			}
			// The untouched document passes the same exchange.
			ct := &contract{doc: doc, next: validated.next, exercise: map[string]bool{}}
			send := func() error {
				req, _ := http.NewRequest(tc.method, base+tc.path, nil)
				req.Header.Set("Authorization", "Bearer "+token)
				resp, err := (&http.Client{Transport: ct}).Do(req)
				if err == nil {
					resp.Body.Close()
				}
				return err
			}
			if err := send(); err != nil {
				t.Fatalf("with the document as it is: %v", err)
			}
			tc.change(doc)
			if err := send(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("with the document changed: %v, want an error about %q", err, tc.want)
			}
		})
	}
}

// TestPublicPagesAgainstTheContract exercises, under validation, the public
// routes no other test of the package calls: the client configuration, a
// grid's public card and a public photo that is not there.
func TestPublicPagesAgainstTheContract(t *testing.T) {
	base := demoServer(t)
	var grid string
	if err := demoPool.QueryRow(context.Background(), `SELECT min(code) FROM units WHERE level = 4`).Scan(&grid); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		path   string
		status int
		ctype  string
	}{
		{"/api/config", 200, "application/json"},
		{"/p/grids/" + grid, 200, "text/html"},
		{"/p/staff/999999999/photo", 404, "application/json"},
	} {
		resp, body := getAnonymous(t, base+c.path)
		if resp.StatusCode != c.status || !strings.HasPrefix(resp.Header.Get("Content-Type"), c.ctype) {
			t.Errorf("GET %s: %d %s %.100s, want %d %s", c.path, resp.StatusCode, resp.Header.Get("Content-Type"), body, c.status, c.ctype)
		}
	}
}
