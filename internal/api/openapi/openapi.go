// Package openapi holds the OpenAPI 3.1 contract of wangge's HTTP API
// (openapi.yaml, kept by hand next to the handlers) and serves it as JSON.
// The api package's tests keep it honest: every route Echo registers is in
// it and every operation in it is registered, and every request and answer
// the API tests make is validated against it.
package openapi

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"sync"

	"go.yaml.in/yaml/v4"
)

// YAML is the document as written.
//
//go:embed openapi.yaml
var YAML []byte

var (
	once    sync.Once
	jsonDoc []byte
	jsonErr error
)

// JSON is the document as JSON (what GET /api/openapi.json answers),
// converted once. The YAML is embedded, so an error means a broken build:
// the package's test fails on it.
func JSON() ([]byte, error) {
	once.Do(func() {
		var v any
		if err := yaml.Unmarshal(YAML, &v); err != nil {
			jsonErr = fmt.Errorf("openapi: parse openapi.yaml: %w", err)
			return
		}
		jsonDoc, jsonErr = json.Marshal(v)
		if jsonErr != nil {
			jsonErr = fmt.Errorf("openapi: openapi.yaml as JSON: %w", jsonErr)
		}
	})
	return jsonDoc, jsonErr
}
