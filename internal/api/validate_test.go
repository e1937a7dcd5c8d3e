package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store/memstore"
)

// This file's name sorts last, so TestOpenAPI runs after every other test
// of the package and validates all the answers they received.

// TestOpenAPI: the document at /api/openapi.json is public, OpenAPI 3.1,
// and every answer the tests above received validates against it
// (libopenapi-validator).
func TestOpenAPI(t *testing.T) {
	f := newFixture(t, memstore.New(memstore.Options{}))
	resp, doc := f.get(t, 0, "/api/openapi.json", nil)
	if resp.StatusCode != 200 {
		t.Fatalf("openapi.json: %d", resp.StatusCode)
	}
	var head struct {
		OpenAPI string `json:"openapi"`
	}
	if err := json.Unmarshal(doc, &head); err != nil || !strings.HasPrefix(head.OpenAPI, "3.1") {
		t.Fatalf("document version %q, %v", head.OpenAPI, err)
	}
	// The rule kinds the document lists are every kind there is.
	var schemas struct {
		Components struct {
			Schemas map[string]struct {
				Properties map[string]struct {
					Enum []string `json:"enum"`
				} `json:"properties"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(doc, &schemas); err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, k := range inventory.AlertRuleKinds() {
		kinds = append(kinds, string(k))
	}
	if got := schemas.Components.Schemas["AlertRuleView"].Properties["kind"].Enum; !slices.Equal(got, kinds) {
		t.Errorf("AlertRuleView.kind enum %v, want %v", got, kinds)
	}
	// Exchanges of this test, plus whatever the other tests left.
	f.get(t, RoleViewer, "/api/snapshots?limit=1", nil)
	f.get(t, RoleViewer, "/api/events?kind=rename&kind=resize", nil)
	f.get(t, RoleViewer, "/api/collectors", nil)
	f.get(t, RoleViewer, "/api/jobs", nil)
	f.get(t, RoleViewer, fmt.Sprintf("/api/jobs/%d", f.runID), nil)
	f.get(t, RoleViewer, "/api/snapshots?limit=0", nil)
	f.get(t, 0, "/api/snapshots", nil)
	d, err := libopenapi.NewDocument(doc)
	if err != nil {
		t.Fatal(err)
	}
	v, errs := validator.NewValidator(d)
	if len(errs) > 0 {
		t.Fatalf("validator: %v", errs)
	}
	exchangesMu.Lock()
	defer exchangesMu.Unlock()
	checked := 0
	for _, x := range exchanges {
		if !strings.HasPrefix(x.req.URL.Path, "/api/") || x.req.URL.Path == "/api/openapi.json" || strings.HasPrefix(x.req.URL.Path, "/api/docs") ||
			strings.HasPrefix(x.req.URL.Path, "/api/reports/") {
			continue // binary downloads are described, not schema-checked
		}
		x.resp.Body = io.NopCloser(bytes.NewReader(x.body))
		if ok, verrs := v.ValidateHttpResponse(x.req, x.resp); !ok {
			for _, e := range verrs {
				t.Errorf("%s %s → %d: %s: %s", x.req.Method, x.req.URL, x.resp.StatusCode, e.Message, e.Reason)
			}
		}
		checked++
	}
	if checked < 7 { // this test's own
		t.Fatalf("only %d answers checked", checked)
	}
	// The validator does check bodies: a list whose items are not objects
	// fails.
	req, _ := http.NewRequest(http.MethodGet, f.srv.URL+"/api/collectors", nil)
	bad := &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(strings.NewReader(`{"items": ["not a collector"]}`)), Request: req}
	if ok, _ := v.ValidateHttpResponse(req, bad); ok {
		t.Fatal("a malformed collector list passed validation")
	}
}
