package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/accessvault/vinventory/internal/jobs"
	"github.com/accessvault/vinventory/internal/testbackends"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

// call sends method path with body (JSON, when not nil) as the role (0:
// none) and decodes a 2xx JSON answer into v when v is not nil.
func (f *fixture) call(t *testing.T, role Role, method, path string, body, v any) (*http.Response, []byte) {
	t.Helper()
	return f.callAs(t, f.tokens[role], method, path, body, v)
}

// callAs is call with a bearer secret ("" for none).
func (f *fixture) callAs(t *testing.T, secret, method, path string, body, v any) (*http.Response, []byte) {
	t.Helper()
	var rd *bytes.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, err := http.NewRequest(method, f.srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if secret != "" {
		req.Header.Set("Authorization", "Bearer "+secret)
	}
	resp, raw := f.do(t, req, nil)
	if v != nil {
		if resp.StatusCode/100 != 2 {
			t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, raw)
		}
		if err := json.Unmarshal(raw, v); err != nil {
			t.Fatalf("%s %s: %v\n%s", method, path, err, raw)
		}
	}
	return resp, raw
}

// auditOf returns the audit entries of action, oldest first.
func auditOf(t *testing.T, st store.Store, action string) []store.AuditEntry {
	t.Helper()
	pg, err := st.(store.AuditLog).ListAudit(context.Background(), &store.ListAuditParams{Action: action, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	slices.Reverse(pg.Entries)
	return pg.Entries
}

// TestOperatorCalls: each compatibility call queues its maintenance
// command once (202, job_id pollable at /api/jobs/{id}); the same request
// again answers the waiting run; bad bodies name the field; each call is
// audited once.
func TestOperatorCalls(t *testing.T) {
	testbackends.ForEach(t, func(t *testing.T, st store.Store) {
		f := newFixture(t, st)
		cases := []struct {
			path string
			body ActionRequest
			want jobs.Request
		}{
			{"/api/snapshots/aggregate", ActionRequest{Vcenter: hostile, From: "2026-03-01", To: "2026-03-02"},
				jobs.Request{Command: "rebuild", Args: []string{"-from", "2026-03-01", "-to", "2026-03-02", "-vcenter", hostile}}},
			{"/api/snapshots/aggregate", ActionRequest{Granularity: "monthly", From: "2026-03-01"},
				jobs.Request{Command: "rebuild", Args: []string{"-from", "2026-03-01", "-to", "2026-03-01", "-months"}}},
			{"/api/snapshots/repair", ActionRequest{Vcenter: hostile, From: "2026-03-01"},
				jobs.Request{Command: "repair", Args: []string{"-from", "2026-03-01", "-to", "2026-03-01", "-vcenter", hostile}}},
			{"/api/snapshots/repair/all", ActionRequest{Vcenter: "ignored", From: "2026-03-02"},
				jobs.Request{Command: "repair", Args: []string{"-from", "2026-03-02", "-to", "2026-03-02"}}},
			{"/api/snapshots/regenerate-hourly-reports", ActionRequest{From: "2026-03-01", To: "2026-03-03"},
				jobs.Request{Command: "regenerate-reports", Args: []string{"-from", "2026-03-01", "-to", "2026-03-03", "-kinds", "hourly"}}},
			{"/api/vcenters/cache/rebuild", ActionRequest{Vcenter: hostile, From: "2026-02-01", To: "2026-03-01"},
				jobs.Request{Command: "repair", Args: []string{"-from", "2026-02-01", "-to", "2026-03-01", "-vcenter", hostile}}},
		}
		for _, c := range cases {
			var q Queued
			resp, _ := f.call(t, RoleOperator, http.MethodPost, c.path, c.body, &q)
			if resp.StatusCode != 202 || !q.Queued || q.JobID <= 0 || resp.Header.Get("Location") != fmt.Sprintf("/api/jobs/%d", q.JobID) {
				t.Fatalf("%s: %d %+v", c.path, resp.StatusCode, q)
			}
			var run jobs.Run
			f.get(t, RoleViewer, q.StatusURL, &run)
			got, ok := jobs.RequestOf(run)
			if !ok || run.Job != c.want.Command || got.Command != c.want.Command || !slices.Equal(got.Args, c.want.Args) || run.State != "available" {
				t.Errorf("%s: run %+v, request %+v, want %+v", c.path, run, got, c.want)
			}
			var again Queued
			f.call(t, RoleOperator, http.MethodPost, c.path, c.body, &again)
			if again.Queued || again.JobID != q.JobID {
				t.Errorf("%s twice: %+v, want the waiting run %d", c.path, again, q.JobID)
			}
		}
		if n := len(auditOf(t, st, "job.enqueue")); n != 2*len(cases) {
			t.Errorf("job.enqueue audited %d times, want %d", n, 2*len(cases))
		}
		for _, e := range auditOf(t, st, "job.enqueue") {
			if e.Actor != "operator-token" || e.Status != 202 || e.RemoteAddr == "" {
				t.Errorf("audit entry %+v", e)
			}
		}
		for _, bad := range []struct {
			path  string
			body  any
			field string
		}{
			{"/api/snapshots/repair", ActionRequest{From: "2026-03-01"}, "vcenter"},
			{"/api/snapshots/aggregate", ActionRequest{From: "March"}, "from"},
			{"/api/snapshots/aggregate", ActionRequest{From: "2026-03-02", To: "2026-03-01"}, "to"},
			{"/api/snapshots/aggregate", ActionRequest{From: "2026-03-02", Granularity: "weekly"}, "granularity"},
			{"/api/snapshots/aggregate", map[string]any{"from": "2026-03-01", "drop": "table"}, "drop"},
		} {
			resp, raw := f.call(t, RoleOperator, http.MethodPost, bad.path, bad.body, nil)
			if resp.StatusCode != 422 || !bytes.Contains(raw, []byte(bad.field)) {
				t.Errorf("%s %+v: %d %s, want 422 naming %s", bad.path, bad.body, resp.StatusCode, raw, bad.field)
			}
		}
		// An oversized body is refused before anything is read into a job.
		big := ActionRequest{Vcenter: strings.Repeat("v", 2<<20), From: "2026-03-01"}
		if resp, _ := f.call(t, RoleOperator, http.MethodPost, "/api/snapshots/repair", big, nil); resp.StatusCode != 413 {
			t.Errorf("an oversized body: %d", resp.StatusCode)
		}
	})
}

// TestEndpointAdmin: create (password sealed, never returned), read,
// update (empty password keeps it), test connection against the
// simulator, delete; validation names fields; each change audited once
// with the admin's name and no password anywhere.
func TestEndpointAdmin(t *testing.T) {
	testbackends.ForEach(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		f := newFixture(t, st)
		const password = "pa55-word-never-shown"
		u := *f.sim.URL
		u.User = nil
		in := EndpointInput{Name: "vc-new '\"<x>", URL: u.String(), Username: f.sim.Username, Password: f.sim.Password,
			TLS: inventory.TLSOptions{Thumbprint: f.sim.Thumbprint()}, PollIntervalSeconds: 600, Tags: map[string]string{"site": "=cmd"}}
		var created EndpointView
		resp, raw := f.call(t, RoleAdmin, http.MethodPost, "/api/endpoints", in, &created)
		if resp.StatusCode != 201 || created.Name != in.Name || !created.HasCredential || created.PollIntervalSeconds != 600 || !created.Enabled {
			t.Fatalf("create: %d %+v", resp.StatusCode, created)
		}
		// vcsim's password is a short word: look for it as a JSON value.
		quotedPW := []byte(`"` + f.sim.Password + `"`)
		if bytes.Contains(raw, quotedPW) {
			t.Error("the create answer carries the password")
		}
		stored, err := st.GetEndpoint(ctx, &store.GetEndpointParams{Name: in.Name})
		if err != nil || bytes.Contains(stored.Credential, []byte(f.sim.Password)) {
			t.Fatalf("stored %v: the credential is not sealed", err)
		}
		if pw, err := f.kr.DecryptCredential(ctx, *stored); err != nil || pw != f.sim.Password {
			t.Fatalf("the sealed credential does not open: %v", err)
		}
		if resp, _ := f.call(t, RoleAdmin, http.MethodPost, "/api/endpoints", in, nil); resp.StatusCode != 409 {
			t.Errorf("create twice: %d, want 409", resp.StatusCode)
		}
		var test ConnectionTest
		f.call(t, RoleAdmin, http.MethodPost, "/api/endpoints/"+url.PathEscape(in.Name)+"/test", nil, &test)
		if !test.OK || test.VMs != len(f.sim.VMRefs()) || test.APIType != "VirtualCenter" || test.Version == "" {
			t.Errorf("test connection = %+v, want %d VMs", test, len(f.sim.VMRefs()))
		}
		// Update: a new URL-less change keeps the credential; a wrong
		// password makes the test fail without showing it.
		upd := in
		upd.Name, upd.Password, upd.PollIntervalSeconds = "", "", 1200
		var changed EndpointView
		f.call(t, RoleAdmin, http.MethodPut, "/api/endpoints/"+url.PathEscape(in.Name), upd, &changed)
		after, _ := st.GetEndpoint(ctx, &store.GetEndpointParams{Name: in.Name})
		if changed.PollIntervalSeconds != 1200 || !bytes.Equal(after.Credential, stored.Credential) {
			t.Errorf("update kept the credential: %v, interval %v", bytes.Equal(after.Credential, stored.Credential), changed.PollIntervalSeconds)
		}
		// A scope is set, kept by an update that leaves it out, refused
		// when a rule is invalid.
		scope := inventory.Scope{Exclude: []inventory.ScopeRule{{Folder: "/DC0/vm/Test"}, {Name: "^tmp-", Attribute: "tag:env=dev"}}}
		upd.Scope = &scope
		f.call(t, RoleAdmin, http.MethodPut, "/api/endpoints/"+url.PathEscape(in.Name), upd, &changed)
		upd.Scope = nil
		f.call(t, RoleAdmin, http.MethodPut, "/api/endpoints/"+url.PathEscape(in.Name), upd, &changed)
		if after, _ := st.GetEndpoint(ctx, &store.GetEndpointParams{Name: in.Name}); !reflect.DeepEqual(after.Scope, scope) || !reflect.DeepEqual(changed.Scope, scope) {
			t.Errorf("scope stored %+v, shown %+v, want %+v", after.Scope, changed.Scope, scope)
		}
		badScope := upd
		badScope.Scope = &inventory.Scope{Include: []inventory.ScopeRule{{Name: "(unclosed"}}}
		resp, raw = f.call(t, RoleAdmin, http.MethodPut, "/api/endpoints/"+url.PathEscape(in.Name), badScope, nil)
		if resp.StatusCode != 422 || !bytes.Contains(raw, []byte("body.scope.include[0]")) {
			t.Errorf("invalid scope: %d %s", resp.StatusCode, raw)
		}
		upd.Password = password
		f.call(t, RoleAdmin, http.MethodPut, "/api/endpoints/"+url.PathEscape(in.Name), upd, &changed)
		_, raw = f.call(t, RoleAdmin, http.MethodPost, "/api/endpoints/"+url.PathEscape(in.Name)+"/test", nil, &test)
		if test.OK || test.Error == "" || bytes.Contains(raw, []byte(password)) {
			t.Errorf("test with a wrong password = %+v", test)
		}
		// Validation: each bad field named, nothing stored.
		bad := EndpointInput{Name: "vc-bad", URL: "http://user:pw@host/sdk", Username: "u", TLS: inventory.TLSOptions{Insecure: true, Thumbprint: "AA"}}
		resp, raw = f.call(t, RoleAdmin, http.MethodPost, "/api/endpoints", bad, nil)
		var p Problem
		_ = json.Unmarshal(raw, &p)
		var names []string
		for _, ip := range p.InvalidParams {
			names = append(names, ip.Name)
		}
		if resp.StatusCode != 422 || !slices.Contains(names, "body.url") || !slices.Contains(names, "body.tls") || bytes.Contains(raw, []byte("pw@")) {
			t.Errorf("bad endpoint: %d %s", resp.StatusCode, raw)
		}
		if _, err := st.GetEndpoint(ctx, &store.GetEndpointParams{Name: "vc-bad"}); err == nil {
			t.Error("a refused endpoint was stored")
		}
		// Operators read, only admins change.
		var eps list[EndpointView]
		f.get(t, RoleOperator, "/api/endpoints", &eps)
		if len(eps.Items) != 2 {
			t.Errorf("endpoints = %+v", eps.Items)
		}
		if resp, _ := f.call(t, RoleOperator, http.MethodDelete, "/api/endpoints/"+url.PathEscape(in.Name), nil, nil); resp.StatusCode != 403 {
			t.Errorf("an operator deleting: %d", resp.StatusCode)
		}
		if resp, _ := f.call(t, RoleAdmin, http.MethodDelete, "/api/endpoints/"+url.PathEscape(in.Name), nil, nil); resp.StatusCode != 204 {
			t.Errorf("delete: %d", resp.StatusCode)
		}
		if resp, _ := f.call(t, RoleAdmin, http.MethodDelete, "/api/endpoints/"+url.PathEscape(in.Name), nil, nil); resp.StatusCode != 404 {
			t.Errorf("delete twice: %d", resp.StatusCode)
		}
		for action, n := range map[string]int{"endpoint.create": 1, "endpoint.update": 4, "endpoint.test": 2, "endpoint.delete": 1} {
			es := auditOf(t, st, action)
			if len(es) != n {
				t.Errorf("%s audited %d times, want %d", action, len(es), n)
			}
			for _, e := range es {
				blob, _ := json.Marshal(e)
				if e.Actor != "admin-token" || e.Target != in.Name || bytes.Contains(blob, quotedPW) || bytes.Contains(blob, []byte(password)) ||
					bytes.Contains(blob, []byte(f.tokens[RoleAdmin])) {
					t.Errorf("%s audit entry %s", action, blob)
				}
			}
		}
		if es := auditOf(t, st, "endpoint.update"); len(es) == 4 && (!bytes.Contains(es[3].After, []byte(`"password_changed":true`)) || !bytes.Contains(es[0].Before, []byte(`"poll_interval_seconds":600`))) {
			t.Errorf("update audit before/after: %s / %s", es[0].Before, es[1].After)
		}
	})
}

// TestTokenAdmin: a created token's secret is shown once and works at
// once with its role and scope; the list never shows a secret or hash; a
// revoked token is refused at once; a scoped admin cannot widen its scope;
// each change audited once without the secret.
func TestTokenAdmin(t *testing.T) {
	testbackends.ForEach(t, func(t *testing.T, st store.Store) {
		f := newFixture(t, st)
		var ct CreatedToken
		resp, _ := f.call(t, RoleAdmin, http.MethodPost, "/api/tokens", TokenRequest{Name: "ci <bot> '=1'", Role: "operator"}, &ct)
		if resp.StatusCode != 201 || !strings.HasPrefix(ct.Secret, "vinv_") || len(ct.Secret) < 40 || ct.Token.Role != "operator" || ct.Token.CreatedBy != "admin-token" {
			t.Fatalf("create: %d %+v", resp.StatusCode, ct.Token)
		}
		// It works as an operator, not as an admin.
		if resp, _ := f.callAs(t, ct.Secret, http.MethodGet, "/api/vms", nil, nil); resp.StatusCode != 200 {
			t.Errorf("the new token reading: %d", resp.StatusCode)
		}
		if resp, _ := f.callAs(t, ct.Secret, http.MethodGet, "/api/tokens", nil, nil); resp.StatusCode != 403 {
			t.Errorf("the operator token listing tokens: %d", resp.StatusCode)
		}
		if resp, _ := f.call(t, RoleAdmin, http.MethodPost, "/api/tokens", TokenRequest{Name: "ci <bot> '=1'", Role: "viewer"}, nil); resp.StatusCode != 409 {
			t.Errorf("a second live token of that name: %d", resp.StatusCode)
		}
		var ts list[store.TokenInfo]
		_, raw := f.get(t, RoleAdmin, "/api/tokens", &ts)
		if len(ts.Items) != 1 || ts.Items[0].Name != "ci <bot> '=1'" || bytes.Contains(raw, []byte(ct.Secret)) || bytes.Contains(raw, []byte("hash")) {
			t.Errorf("token list %s", raw)
		}
		// A scoped admin token: sees and makes only tokens inside its scope.
		var scoped CreatedToken
		f.call(t, RoleAdmin, http.MethodPost, "/api/tokens", TokenRequest{Name: "scoped-admin", Role: "admin", Vcenters: []string{hostile}}, &scoped)
		if resp, _ := f.callAs(t, scoped.Secret, http.MethodPost, "/api/tokens", TokenRequest{Name: "wide", Role: "viewer"}, nil); resp.StatusCode != 403 {
			t.Errorf("a scoped admin making an unscoped token: %d", resp.StatusCode)
		}
		if resp, _ := f.callAs(t, scoped.Secret, http.MethodPost, "/api/tokens", TokenRequest{Name: "narrow", Role: "viewer", Vcenters: []string{hostile}}, nil); resp.StatusCode != 201 {
			t.Errorf("a scoped admin making a token in its scope: %d", resp.StatusCode)
		}
		var seen list[store.TokenInfo]
		f.callAs(t, scoped.Secret, http.MethodGet, "/api/tokens", nil, &seen)
		if slices.ContainsFunc(seen.Items, func(t store.TokenInfo) bool { return len(t.Vcenters) == 0 }) {
			t.Errorf("a scoped admin sees unscoped tokens: %+v", seen.Items)
		}
		// Revoke: refused at once, twice is a no-op, unknown is 404.
		if resp, _ := f.call(t, RoleAdmin, http.MethodDelete, fmt.Sprintf("/api/tokens/%d", ct.Token.ID), nil, nil); resp.StatusCode != 204 {
			t.Fatalf("revoke: %d", resp.StatusCode)
		}
		if resp, _ := f.callAs(t, ct.Secret, http.MethodGet, "/api/vms", nil, nil); resp.StatusCode != 401 {
			t.Errorf("a revoked token reading: %d", resp.StatusCode)
		}
		if resp, _ := f.call(t, RoleAdmin, http.MethodDelete, "/api/tokens/999999", nil, nil); resp.StatusCode != 404 {
			t.Errorf("revoke unknown: %d", resp.StatusCode)
		}
		if n := len(auditOf(t, st, "token.create")); n != 3 {
			t.Errorf("token.create audited %d times, want 3", n)
		}
		es := auditOf(t, st, "token.revoke")
		if len(es) != 1 || es[0].Target != fmt.Sprint(ct.Token.ID) || es[0].Actor != "admin-token" || !bytes.Contains(es[0].After, []byte("revoked_at")) {
			t.Errorf("token.revoke audit %+v", es)
		}
		all, _ := st.(store.AuditLog).ListAudit(context.Background(), &store.ListAuditParams{Limit: 1000})
		blob, _ := json.Marshal(all)
		for _, secret := range []string{ct.Secret, scoped.Secret, f.tokens[RoleAdmin], f.tokens[RoleOperator]} {
			if bytes.Contains(blob, []byte(secret)) {
				t.Error("a token secret is in the audit log")
			}
		}
		// The audit log: admins only, unscoped only, CSV too.
		var al list[store.AuditEntry]
		f.get(t, RoleAdmin, "/api/audit?action=token.create&limit=2", &al)
		if len(al.Items) != 2 || al.NextCursor == "" || al.Items[0].ID < al.Items[1].ID {
			t.Errorf("audit page %+v", al)
		}
		if resp, _ := f.callAs(t, scoped.Secret, http.MethodGet, "/api/audit", nil, nil); resp.StatusCode != 403 {
			t.Errorf("a scoped admin reading the audit log: %d", resp.StatusCode)
		}
		if resp, _ := f.get(t, RoleOperator, "/api/audit", nil); resp.StatusCode != 403 {
			t.Errorf("an operator reading the audit log: %d", resp.StatusCode)
		}
		resp, raw = f.get(t, RoleAdmin, "/api/audit?format=csv", nil)
		if resp.StatusCode != 200 || !bytes.HasPrefix(raw, []byte("id,time,actor,action,target")) || !bytes.Contains(raw, []byte("token.revoke")) {
			t.Errorf("audit CSV: %d %.200s", resp.StatusCode, raw)
		}
	})
}

// TestReportGenerateAndDownloadAudited: a generated report is a workbook
// excelize reads; a request without data is 404, a bad one 422 naming the
// field; a download and a generation are audited once each.
func TestReportGenerateAndDownloadAudited(t *testing.T) {
	testbackends.ForEach(t, func(t *testing.T, st store.Store) {
		f := newFixture(t, st)
		body := GenerateRequest{Kind: "hourly", Vcenter: hostile, SnapshotTime: fixtureDay.Add(11 * 3600e9)}
		resp, raw := f.call(t, RoleOperator, http.MethodPost, "/api/reports/generate", body, nil)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != xlsxType {
			t.Fatalf("generate: %d %s %.300s", resp.StatusCode, resp.Header.Get("Content-Type"), raw)
		}
		x, err := excelize.OpenReader(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		rows, err := x.GetRows("VMs")
		if err != nil || len(rows) < 13 {
			t.Errorf("VMs sheet: %d rows, %v", len(rows), err)
		}
		x.Close()
		resp, raw = f.call(t, RoleOperator, http.MethodPost, "/api/reports/generate", GenerateRequest{Kind: "hourly", Vcenter: hostile,
			SnapshotTime: fixtureDay.Add(5 * 3600e9)}, nil)
		if resp.StatusCode != 404 || resp.Header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("a snapshot without data: %d %s", resp.StatusCode, raw)
		}
		resp, raw = f.call(t, RoleOperator, http.MethodPost, "/api/reports/generate", GenerateRequest{Kind: "trace", Vcenter: hostile}, nil)
		if resp.StatusCode != 422 || !bytes.Contains(raw, []byte("body.vm_")) {
			t.Errorf("a trace without a VM: %d %s", resp.StatusCode, raw)
		}
		if resp, _ := f.call(t, RoleViewer, http.MethodPost, "/api/reports/generate", body, nil); resp.StatusCode != 403 {
			t.Errorf("a viewer generating: %d", resp.StatusCode)
		}
		if n := len(auditOf(t, st, "report.generate")); n != 1 {
			t.Errorf("report.generate audited %d times", n)
		}
		if _, ok := st.(store.ReportCatalog); ok {
			f.get(t, RoleViewer, "/api/reports/"+url.PathEscape("inventory_hourly_20260301_1000_☃.xlsx"), nil)
			if es := auditOf(t, st, "report.download"); len(es) != 1 || es[0].Actor != "viewer-token" {
				t.Errorf("report.download audit %+v", es)
			}
		}
	})
}

// TestReportGenerateRightSizing: the rightsizing kind writes the
// right-sizing workbook from the store's metric series: a VM whose CPU and
// memory stayed low is listed idle with its current and fitting size.
func TestReportGenerateRightSizing(t *testing.T) {
	testbackends.ForEach(t, func(t *testing.T, st store.Store) {
		f := newFixture(t, st)
		ctx := context.Background()
		ms, ok := st.(store.MetricStore)
		if !ok {
			t.Skip("the store keeps no metrics")
		}
		pg, err := st.ListVMs(ctx, &store.ListVMsParams{Vcenter: hostile, Limit: 10000})
		if err != nil {
			t.Fatal(err)
		}
		var vm inventory.VM
		for _, v := range pg.VMs {
			if !v.IsTemplate {
				vm = v
				break
			}
		}
		from := fixtureDay.Add(-10 * 24 * time.Hour)
		var pts []inventory.MetricPoint
		for at := from; at.Before(fixtureDay); at = at.Add(time.Hour) {
			for m, v := range map[inventory.Metric]float64{inventory.MetricCPUUsagePct: 5, inventory.MetricMemUsagePct: 10} {
				pts = append(pts, inventory.MetricPoint{MetricKey: inventory.MetricKey{Vcenter: hostile, EntityType: inventory.EntityVM,
					EntityID: vm.ID, Metric: m}, Time: at, Value: v})
			}
		}
		if err := ms.WriteMetrics(ctx, &store.WriteMetricsParams{Points: pts}); err != nil {
			t.Fatal(err)
		}
		resp, raw := f.call(t, RoleOperator, http.MethodPost, "/api/reports/generate",
			GenerateRequest{Kind: "rightsizing", Vcenter: hostile, From: from, To: fixtureDay}, nil)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != xlsxType {
			t.Fatalf("generate: %d %.300s", resp.StatusCode, raw)
		}
		x, err := excelize.OpenReader(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		defer x.Close()
		rows, err := x.GetRows("Right-sizing")
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, r := range rows {
			if len(r) > 4 && r[1] == vm.ID {
				found = true
				if r[0] != hostile || r[4] != "idle" {
					t.Errorf("row of %s: %q", vm.ID, r)
				}
			}
		}
		if !found {
			t.Errorf("%s not in the workbook (%d rows)", vm.ID, len(rows))
		}
	})
}
