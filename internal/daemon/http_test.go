package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/accessvault/vinventory"
	"github.com/accessvault/vinventory/aggregate"
	"github.com/accessvault/vinventory/capture"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/memstore"
)

func TestHealthAndMetrics(t *testing.T) {
	ctx := context.Background()
	st := memstore.New(memstore.Options{})
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	for _, ep := range []inventory.Endpoint{
		{Name: "vc-ok", URL: "https://vc-ok.example.com/sdk", Username: "u", Enabled: true},
		{Name: "vc-bad", URL: "https://vc-bad.example.com/sdk", Username: "u", Enabled: true},
		{Name: "vc-off", URL: "https://vc-off.example.com/sdk", Username: "u"},
	} {
		if _, err := st.UpsertEndpoint(ctx, &store.UpsertEndpointParams{Endpoint: ep}); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range []inventory.CaptureStatus{
		{Endpoint: "vc-ok", LastAttempt: now, LastSuccess: now, LastDuration: 1500 * time.Millisecond, Counts: inventory.ObjectCounts{VMs: 42}},
		{Endpoint: "vc-bad", LastAttempt: now, LastError: "retrieve: connection refused", ConsecutiveFailures: 3},
	} {
		if err := st.RecordCaptureStatus(ctx, &store.RecordCaptureStatusParams{Status: s}); err != nil {
			t.Fatal(err)
		}
	}
	m := NewMetrics()
	m.ObserveCaptures([]capture.EndpointResult{
		{Endpoint: "vc-ok", Capture: &capture.Result{Endpoint: "vc-ok", Counts: inventory.ObjectCounts{VMs: 42, Hosts: 3},
			Samples: make([]inventory.Sample, 42), Timings: capture.Timings{Total: time.Second}}},
		{Endpoint: "vc-bad", Err: errors.New("boom")},
	})
	m.ObserveJob("daily", 2*time.Second, nil)
	m.ObserveJob("daily", time.Second, errors.New("x"))
	m.SetQueueDepth(2)
	m.ObservePeriod("vm_daily_rollup", &vinventory.PeriodResult{Result: &aggregate.Result{Vcenters: []aggregate.VcenterResult{{Rows: 30}, {Rows: 12}}}})
	m.ObservePeriod("vm_daily_rollup", nil)
	m.AddReports(3)
	h := &HealthSource{Store: st, QueueDepth: func() int { return 2 }, Clock: func() time.Time { return now }}
	srv := httptest.NewServer(NewMux(h, m))
	defer srv.Close()

	get := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	code, body := get("/healthz")
	if code != 200 {
		t.Fatalf("/healthz = %d", code)
	}
	var doc Health
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Status != "degraded" || doc.QueueDepth != 2 || len(doc.Endpoints) != 3 {
		t.Fatalf("health = %+v", doc)
	}
	byName := map[string]EndpointHealth{}
	for _, e := range doc.Endpoints {
		byName[e.Name] = e
	}
	if e := byName["vc-ok"]; !e.LastSuccess.Equal(now) || e.VMs != 42 || e.LastDurationSeconds != 1.5 {
		t.Errorf("vc-ok = %+v", e)
	}
	if e := byName["vc-bad"]; e.LastError == "" || e.ConsecutiveFailures != 3 {
		t.Errorf("vc-bad = %+v", e)
	}
	if e := byName["vc-off"]; e.Enabled || !e.LastAttempt.IsZero() {
		t.Errorf("vc-off = %+v", e)
	}

	code, body = get("/metrics")
	if code != 200 {
		t.Fatalf("/metrics = %d", code)
	}
	for _, want := range []string{
		`vinventory_objects_captured{endpoint="vc-ok",kind="vm"} 42`,
		`vinventory_capture_errors_total{endpoint="vc-bad"} 1`,
		`vinventory_captures_total{endpoint="vc-ok"} 1`,
		`vinventory_rows_written_total{table="vm_hourly_stats"} 42`,
		`vinventory_job_runs_total{job="daily",result="ok"} 1`,
		`vinventory_job_runs_total{job="daily",result="error"} 1`,
		`vinventory_job_duration_seconds_count{job="daily"} 2`,
		`vinventory_job_queue_depth 2`,
		`vinventory_rows_written_total{table="vm_daily_rollup"} 42`,
		`vinventory_reports_written_total 3`,
		`vinventory_capture_duration_seconds_count{endpoint="vc-ok",stage="total"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}

	// A store that cannot answer makes /healthz 503.
	st.Close()
	code, body = get("/healthz")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, `"unavailable"`) {
		t.Errorf("closed store: /healthz = %d %s", code, body)
	}
}

// TestHealthzAnonymous: a caller that is not on this host (its TCP peer is
// not a loopback address) gets status and counts only: no endpoint names,
// URLs, user names or errors; a loopback caller gets the whole document.
// An X-Forwarded-For header does not make a remote caller local.
func TestHealthzAnonymous(t *testing.T) {
	ctx := context.Background()
	st := memstore.New(memstore.Options{})
	if _, err := st.UpsertEndpoint(ctx, &store.UpsertEndpointParams{Endpoint: inventory.Endpoint{
		Name: "vc-secret-name", URL: "https://vc-internal.example.com/sdk", Username: "svc-reader@vsphere.local", Enabled: true}}); err != nil {
		t.Fatal(err)
	}
	if err := st.RecordCaptureStatus(ctx, &store.RecordCaptureStatusParams{Status: inventory.CaptureStatus{
		Endpoint: "vc-secret-name", LastAttempt: time.Now(), LastError: "login to vc-internal.example.com as svc-reader failed", ConsecutiveFailures: 2}}); err != nil {
		t.Fatal(err)
	}
	h := &HealthSource{Store: st}
	serve := func(remote string, hdr map[string]string) string {
		req := httptest.NewRequest("GET", "/healthz", nil)
		req.RemoteAddr = remote
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Body.String()
	}
	for _, remote := range []string{"192.0.2.10:40000", "[2001:db8::1]:40000"} {
		body := serve(remote, map[string]string{"X-Forwarded-For": "127.0.0.1"})
		for _, secret := range []string{"vc-secret-name", "vc-internal", "svc-reader", "login"} {
			if strings.Contains(body, secret) {
				t.Errorf("remote %s got %q in /healthz:\n%s", remote, secret, body)
			}
		}
		var p PublicHealth
		if err := json.Unmarshal([]byte(body), &p); err != nil || p.Status != "degraded" || p.Endpoints != 1 || p.Failing != 1 {
			t.Errorf("remote %s: %+v, %v; want status degraded with 1 endpoint, 1 failing", remote, p, err)
		}
	}
	// A real server on the loopback interface: the whole document.
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(b), "vc-secret-name") || !strings.Contains(string(b), "login to vc-internal") {
		t.Errorf("a loopback caller lacks the detail:\n%s", b)
	}
}
