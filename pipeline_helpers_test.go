package vinventory_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"go.uber.org/zap"
	"go.uber.org/zap/exp/zapslog"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/accessvault/vinventory"
	"github.com/accessvault/vinventory/capture"
	"github.com/accessvault/vinventory/capture/vcsim"
	"github.com/accessvault/vinventory/capture/vsphere"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/report"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/memstore"
)

// testClock is a clock set to a simulated time that then runs at the real
// pace, so durations measured with it are real and timestamps are where
// the test put them.
type testClock struct {
	mu   sync.Mutex
	base time.Time
	set  time.Time
}

func newTestClock(t time.Time) *testClock {
	c := &testClock{}
	c.Set(t)
	return c
}

func (c *testClock) Set(t time.Time) {
	c.mu.Lock()
	c.base, c.set = t, time.Now()
	c.mu.Unlock()
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.base.Add(time.Since(c.set))
}

// simTarget is a capture target for a simulator, logging in with password
// (carried in the endpoint's Credential like an encrypted blob would be).
func simTarget(sim *vcsim.Sim, name, password string, clock func() time.Time) capture.Target {
	ep := inventory.Endpoint{Name: name, URL: "https://" + sim.URL.Host + "/sdk", Username: sim.Username,
		Credential: []byte(password), TLS: inventory.TLSOptions{Thumbprint: sim.Thumbprint()}, Enabled: true}
	return capture.Target{Endpoint: ep, Open: func(ctx context.Context) (capture.Source, error) {
		return vsphere.New(ctx, ep, vsphere.Options{Credentials: vsphere.Password(string(ep.Credential)), Clock: clock})
	}}
}

// faultyReporter wraps the real report writer and fails the reports of one
// kind while failing is set.
type faultyReporter struct {
	mu      sync.Mutex
	kind    report.Kind
	failing bool
	calls   map[report.Kind]int
	failed  int
}

var errInjected = errors.New("injected report failure")

func (f *faultyReporter) WriteFile(ctx context.Context, st report.Reader, req report.Request, dir string, opts report.Options) (string, error) {
	f.mu.Lock()
	if f.calls == nil {
		f.calls = map[report.Kind]int{}
	}
	f.calls[req.Kind]++
	fail := f.failing && req.Kind == f.kind
	if fail {
		f.failed++
	}
	f.mu.Unlock()
	if fail {
		return "", errInjected
	}
	return vinventory.DefaultReporter.WriteFile(ctx, st, req, dir, opts)
}

func (f *faultyReporter) setFailing(kind report.Kind, on bool) {
	f.mu.Lock()
	f.kind, f.failing = kind, on
	f.mu.Unlock()
}

// sleepRecorder records the waits asked for instead of sleeping.
type sleepRecorder struct {
	mu     sync.Mutex
	sleeps []time.Duration
}

func (s *sleepRecorder) Sleep(_ context.Context, d time.Duration) error {
	s.mu.Lock()
	s.sleeps = append(s.sleeps, d)
	s.mu.Unlock()
	return nil
}

func (s *sleepRecorder) take() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.sleeps
	s.sleeps = nil
	return out
}

// observed returns a logger whose entries are kept for assertions: slog
// over a zap observer, through the bridge the daemon uses.
func observed() (*slog.Logger, *observer.ObservedLogs) {
	core, logs := observer.New(zap.DebugLevel)
	return slog.New(zapslog.NewHandler(core)), logs
}

// encodeEntry renders an entry as the JSON a production logger would write.
func encodeEntry(t *testing.T, e observer.LoggedEntry) string {
	t.Helper()
	enc := zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig())
	buf, err := enc.EncodeEntry(e.Entry, e.Context)
	if err != nil {
		t.Fatalf("encode log entry: %v", err)
	}
	defer buf.Free()
	return buf.String()
}

// assertNoSecret fails when any log entry, as written, contains one of
// the secrets.
func assertNoSecret(t *testing.T, logs *observer.ObservedLogs, secrets ...string) {
	t.Helper()
	if logs.Len() == 0 {
		t.Fatal("no log entries to check")
	}
	for _, e := range logs.All() {
		line := encodeEntry(t, e)
		for _, s := range secrets {
			if strings.Contains(line, s) {
				t.Fatalf("log entry contains a secret: %s", line)
			}
		}
	}
}

// stageEntries returns the entries with the given message whose "stage"
// field is stage.
func stageEntries(logs *observer.ObservedLogs, msg, stage string) []observer.LoggedEntry {
	var out []observer.LoggedEntry
	for _, e := range logs.FilterMessage(msg).All() {
		if e.ContextMap()["stage"] == stage {
			out = append(out, e)
		}
	}
	return out
}

// sheetRows returns the number of rows (header included) of one sheet of
// an XLSX file.
func sheetRows(t *testing.T, path, sheet string) int {
	t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer f.Close()
	rows, err := f.GetRows(sheet)
	if err != nil {
		t.Fatalf("%s: sheet %q: %v (sheets %v)", path, sheet, err, f.GetSheetList())
	}
	return len(rows)
}

// samplesAt returns the samples of one snapshot.
func samplesAt(t *testing.T, st store.Store, vc string, s time.Time) []inventory.Sample {
	t.Helper()
	var out []inventory.Sample
	if err := st.ScanSamples(context.Background(), &store.ScanSamplesParams{Vcenter: vc, From: s, To: s.Add(time.Second)},
		func(x *inventory.Sample) error { out = append(out, *x); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

func dailyRows(t *testing.T, st store.Store, vc string, day inventory.Window) map[string]inventory.DailyRollup {
	t.Helper()
	out := map[string]inventory.DailyRollup{}
	if err := st.ScanDailyRollups(context.Background(), &store.ScanRollupsParams{Vcenter: vc, From: day.Start, To: day.End},
		func(r *inventory.DailyRollup) error { out[r.VMID] = *r; return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

func monthlyRows(t *testing.T, st store.Store, vc string, month inventory.Window) map[string]inventory.MonthlyRollup {
	t.Helper()
	out := map[string]inventory.MonthlyRollup{}
	if err := st.ScanMonthlyRollups(context.Background(), &store.ScanRollupsParams{Vcenter: vc, From: month.Start, To: month.End},
		func(r *inventory.MonthlyRollup) error { out[r.VMID] = *r; return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

// dueString renders due periods as "2006-01-02[vc1 vc2]" for comparison.
func dueString(ds []vinventory.DuePeriod) string {
	var parts []string
	for _, d := range ds {
		layout := "2006-01-02"
		if d.Granularity == inventory.Monthly {
			layout = "2006-01"
		}
		parts = append(parts, fmt.Sprintf("%s%v", d.Period.Start.Format(layout), d.Vcenters))
	}
	return strings.Join(parts, " ")
}

func catchUpString(ps []vinventory.CatchUpPeriod) string {
	ds := make([]vinventory.DuePeriod, len(ps))
	for i, p := range ps {
		ds[i] = p.DuePeriod
	}
	return dueString(ds)
}

func sortedNames(files []vinventory.ReportFile) []string {
	out := make([]string, len(files))
	for i, f := range files {
		out[i] = f.Request.FileName()
	}
	sort.Strings(out)
	return out
}

func memstorePipelineStore() store.Store { return memstore.New(memstore.Options{}) }

func requestNames(reqs []report.Request) []string {
	out := make([]string, len(reqs))
	for i, r := range reqs {
		out[i] = r.FileName()
	}
	return out
}
