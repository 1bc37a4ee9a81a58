package openapi_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"wangge/internal/api/openapi"
)

// TestDocumentIsValid loads the served JSON with kin-openapi and validates
// it as OpenAPI 3.1, and checks the JSON says what the YAML says.
func TestDocumentIsValid(t *testing.T) {
	b, err := openapi.JSON()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := openapi3.NewLoader().LoadFromData(b)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("validate: %v", err)
	}
	if !doc.IsOpenAPI31OrLater() || doc.IsOpenAPI32OrLater() {
		t.Errorf("openapi %q, want 3.1.x", doc.OpenAPI)
	}
	fromYAML, err := openapi3.NewLoader().LoadFromData(openapi.YAML)
	if err != nil {
		t.Fatalf("load YAML: %v", err)
	}
	a, _ := json.Marshal(doc)
	y, _ := json.Marshal(fromYAML)
	if string(a) != string(y) {
		t.Error("the JSON served differs from openapi.yaml")
	}
	if n := len(doc.Paths.Map()); n < 100 {
		t.Errorf("%d paths", n)
	}
}
