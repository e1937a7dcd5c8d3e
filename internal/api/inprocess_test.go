package api

import (
	"context"
	"net/http"
	"testing"

	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/memstore"
)

// TestCall: an in-process call acts as the principal it names, with the
// API's roles, scope and audit, and only reaches /api/ paths.
func TestCall(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, memstore.New(memstore.Options{}))
	viewer := Principal{Name: "page viewer", Role: RoleViewer}
	res, err := f.api.Call(ctx, viewer, "192.0.2.7:1234", http.MethodGet, "/api/vms?limit=5", nil, "")
	if err != nil {
		t.Fatal(err)
	}
	var vms struct {
		Items []struct {
			Vcenter string `json:"vcenter"`
		} `json:"items"`
	}
	if err := res.Decode(&vms); err != nil || len(vms.Items) != 5 {
		t.Fatalf("viewer list: %v %+v", err, vms)
	}
	// A role too low: the API's 403 as a problem, nothing written.
	res, err = f.api.Call(ctx, viewer, "192.0.2.7:1234", http.MethodPost, "/api/tokens", TokenRequest{Name: "x", Role: "admin"}, "")
	if err != nil {
		t.Fatal(err)
	}
	if pr := res.Problem(); pr == nil || pr.Status != http.StatusForbidden {
		t.Fatalf("viewer creating a token: %+v", pr)
	}
	// A scoped principal sees nothing of another vCenter.
	scoped := Principal{Name: "scoped", Role: RoleViewer, Vcenters: []string{"elsewhere"}}
	res, _ = f.api.Call(ctx, scoped, "", http.MethodGet, "/api/vms", nil, "")
	if err := res.Decode(&vms); err != nil || len(vms.Items) != 0 {
		t.Errorf("scoped list: %v %d items", err, len(vms.Items))
	}
	// An admin's action is audited under its name and address.
	admin := Principal{Name: "page admin", Role: RoleAdmin}
	res, _ = f.api.Call(ctx, admin, "192.0.2.9:555", http.MethodPost, "/api/tokens", TokenRequest{Name: "made in process", Role: "viewer"}, "")
	if res.Status != http.StatusCreated {
		t.Fatalf("admin creating a token: %d %s", res.Status, res.Body)
	}
	page, err := f.st.(store.AuditLog).ListAudit(ctx, &store.ListAuditParams{Actor: "page admin"})
	if err != nil || len(page.Entries) != 1 || page.Entries[0].RemoteAddr != "192.0.2.9:555" || page.Entries[0].Action != "token.create" {
		t.Errorf("audit: %v %+v", err, page)
	}
	// CSV, and paths outside the API.
	res, _ = f.api.Call(ctx, viewer, "", http.MethodGet, "/api/hosts?limit=1", nil, "text/csv")
	if ct := res.Header.Get("Content-Type"); ct != "text/csv" || res.Header.Get("Link") == "" {
		t.Errorf("csv: %q, Link %q", ct, res.Header.Get("Link"))
	}
	if _, err := f.api.Call(ctx, viewer, "", http.MethodGet, "/healthz", nil, ""); err == nil {
		t.Errorf("a path outside /api/ was served")
	}
	// A network request cannot claim a principal: without a token it is 401.
	resp, err := http.Get(f.srv.URL + "/api/vms")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("network request without a token: %d", resp.StatusCode)
	}
}
