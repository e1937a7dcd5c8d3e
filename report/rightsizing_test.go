package report_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/metrics"
	"github.com/accessvault/vinventory/report"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/memstore"
)

const rsHostileVM = `=HYPERLINK("http://evil","x") <script>alert('vm')</script> ☃`

var (
	rsFrom = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	rsTo   = rsFrom.AddDate(0, 0, 7) // 168 hours
)

// rightSizeFixture is a memstore with three VMs of vcB and a week of
// hourly metrics: vm-1 (hostile name) cpu 10 %, mem 50 %; vm-2 cpu 90 %,
// mem 85 %; vm-3 without metrics.
func rightSizeFixture(t *testing.T) *memstore.Store {
	t.Helper()
	ctx := context.Background()
	st := memstore.New()
	vms := []inventory.VM{
		{ID: "vm-1", Name: rsHostileVM, Cluster: "-cl", VCPUCount: 4, RAMMB: 8192},
		{ID: "vm-2", Name: "busy", Cluster: "cl", VCPUCount: 2, RAMMB: 3072},
		{ID: "vm-3", Name: "new", Cluster: "cl", VCPUCount: 1, RAMMB: 1024},
	}
	var samples []inventory.Sample
	for i := range vms {
		vms[i].Vcenter, vms[i].SnapshotTime, vms[i].UUID = vcB, rsTo, "uuid-"+vms[i].ID
		samples = append(samples, vms[i].Sample(rsTo))
	}
	if _, err := st.WriteSnapshot(ctx, &store.WriteSnapshotParams{Vcenter: vcB, SnapshotTime: rsTo, State: &inventory.State{VMs: vms}, Samples: samples}); err != nil {
		t.Fatal(err)
	}
	var pts []inventory.MetricPoint
	add := func(id string, m inventory.Metric, at time.Time, v float64) {
		pts = append(pts, inventory.MetricPoint{MetricKey: inventory.MetricKey{Vcenter: vcB, EntityType: inventory.EntityVM, EntityID: id, Metric: m}, Time: at, Value: v})
	}
	for h := 0; h < 168; h++ {
		at := rsFrom.Add(time.Duration(h)*time.Hour + 5*time.Minute)
		add("vm-1", inventory.MetricCPUUsagePct, at, 10)
		add("vm-1", inventory.MetricMemUsagePct, at, 50)
		add("vm-2", inventory.MetricCPUUsagePct, at, 90)
		add("vm-2", inventory.MetricMemUsagePct, at, 85)
	}
	if err := st.WriteMetrics(ctx, &store.WriteMetricsParams{Points: pts}); err != nil {
		t.Fatal(err)
	}
	return st
}

// rightSizeRows are the rows of rightSizeFixture, by hand: vm-2 is
// undersized (ceil(2·90/60) = 3 vCPUs, ceil(3·85/60) = ceil(4.25) = 5
// GB), vm-1 oversized (ceil(4·10/60) = 1 vCPU; memory ok keeps 8 GB),
// vm-3 has no data.
func rightSizeRows() []row {
	return []row{
		{"vCenter": vcB, "VM ID": "vm-2", "Name": "busy", "Cluster": "cl", "Verdict": "undersized", "vCPUs": 2, "RAM GB": 3.0,
			"CPU p95": 0.9, "Memory p95": 0.85, "CPU level": "high", "Memory level": "high", "Fit vCPUs": 3, "Fit RAM GB": 5,
			"vCPU change": 1, "RAM GB change": 2.0, "Days of data": 7.0, "CPU hours": 168, "Memory hours": 168},
		{"vCenter": vcB, "VM ID": "vm-1", "Name": rsHostileVM, "Cluster": "-cl", "Verdict": "oversized", "vCPUs": 4, "RAM GB": 8.0,
			"CPU p95": 0.1, "Memory p95": 0.5, "CPU level": "low", "Memory level": "ok", "Fit vCPUs": 1, "Fit RAM GB": 8,
			"vCPU change": -3, "RAM GB change": 0.0, "Days of data": 7.0, "CPU hours": 168, "Memory hours": 168},
		{"vCenter": vcB, "VM ID": "vm-3", "Name": "new", "Verdict": "insufficient data", "vCPUs": 1, "RAM GB": 1.0,
			"CPU p95": nil, "Memory p95": nil, "CPU level": "", "Fit vCPUs": nil, "Fit RAM GB": nil, "vCPU change": nil,
			"Days of data": 0.0, "CPU hours": 0},
	}
}

func TestWriteRightSizing(t *testing.T) {
	ctx := context.Background()
	st := rightSizeFixture(t)
	var buf bytes.Buffer
	p := &metrics.RightSizeParams{Vcenter: vcB, From: rsFrom, To: rsTo, Options: metrics.RightSizeOptions{HighPct: 85.5}}
	// With HighPct 85.5 the 85 % memory of vm-2 is ok: it keeps 3 GB.
	if err := report.WriteRightSizing(ctx, st, p, &buf, report.Options{}); err != nil {
		t.Fatal(err)
	}
	b := openBook(t, buf.Bytes(), nil)
	if got := b.sheets(); len(got) != 2 || got[0] != "Right-sizing" || got[1] != "Parameters" {
		t.Fatalf("sheets %q", got)
	}
	rows := rightSizeRows()
	rows[0]["Memory level"], rows[0]["Fit RAM GB"], rows[0]["RAM GB change"] = "ok", 3, 0.0
	b.checkRows("Right-sizing", rows)
	b.checkLayout("Right-sizing")
	b.checkRows("Parameters", []row{{"vCenter": vcB, "From (UTC)": rsFrom, "To (UTC)": rsTo, "Low threshold": 0.2,
		"High threshold": 0.855, "Target utilisation": 0.6, "Days of data needed": 7.0}})
	b.checkLayout("Parameters")
	// Percent columns carry a percent format.
	for _, cell := range []string{"H2", "I2"} {
		id, _ := b.f.GetCellStyle("Right-sizing", cell)
		s, err := b.f.GetStyle(id)
		if err != nil || s.NumFmt != 10 {
			t.Errorf("%s: style %+v (%v), want the 0.00%% format", cell, s, err)
		}
	}

	// Through the request machinery, with default thresholds.
	req := report.Request{Kind: report.KindRightSizing, Vcenter: vcB, From: rsFrom, To: rsTo}
	if got, want := req.FileName(), "vm_rightsizing_20260301_20260308_"; !strings.HasPrefix(got, want) {
		t.Errorf("FileName = %q, want %s…", got, want)
	}
	b = openBook(t, writeReport(t, st, req, report.Options{}), nil)
	b.checkRows("Right-sizing", rightSizeRows())

	// Errors: no VMs, a store without metrics, an invalid range, thresholds.
	err := report.Write(ctx, st, report.Request{Kind: report.KindRightSizing, Vcenter: "nope", From: rsFrom, To: rsTo}, &buf, report.Options{})
	if !errors.Is(err, report.ErrNoData) {
		t.Errorf("no VMs: %v", err)
	}
	err = report.Write(ctx, struct{ report.Reader }{st}, req, &buf, report.Options{})
	if !errors.Is(err, store.ErrUnsupported) {
		t.Errorf("store without metrics: %v", err)
	}
	err = report.Write(ctx, st, report.Request{Kind: report.KindRightSizing, From: rsTo, To: rsFrom}, &buf, report.Options{})
	if !errors.Is(err, report.ErrInvalidRequest) {
		t.Errorf("To before From: %v", err)
	}
	err = report.WriteRightSizing(ctx, st, &metrics.RightSizeParams{From: rsFrom, To: rsTo, Options: metrics.RightSizeOptions{LowPct: 90}}, &buf, report.Options{})
	if !errors.Is(err, report.ErrInvalidRequest) || !errors.Is(err, metrics.ErrInvalidParams) {
		t.Errorf("LowPct 90: %v", err)
	}
}

// TestLibreOfficeRightSizing opens the right-sizing workbook with
// LibreOffice: the hostile VM name shows literally and the numbers as
// written.
func TestLibreOfficeRightSizing(t *testing.T) {
	lo := libreOffice(t)
	if testing.Short() {
		t.Skip("LibreOffice conversion is slow")
	}
	st := rightSizeFixture(t)
	dir := t.TempDir()
	path, err := report.WriteFile(context.Background(), st, report.Request{Kind: report.KindRightSizing, From: rsFrom, To: rsTo}, dir, report.Options{})
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "csv")
	filter := "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1"
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, lo, "-env:UserInstallation=file://"+filepath.Join(t.TempDir(), "lo-profile"),
		"--headless", "--norestore", "--convert-to", filter, "--outdir", out, path)
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", lo, err, b)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b := openBook(t, data, nil)
	b.checkRows("Right-sizing", rightSizeRows())
	base := strings.TrimSuffix(filepath.Base(path), ".xlsx")
	for _, sheet := range b.sheets() {
		compareCSV(t, b, sheet, filepath.Join(out, base+"-"+sheet+".csv"))
	}
	csv, err := os.ReadFile(filepath.Join(out, base+"-Right-sizing.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(csv), `"=HYPERLINK(""http://evil"",""x"") <script>alert('vm')</script> ☃"`) {
		t.Errorf("the hostile name is not in LibreOffice's CSV as text:\n%s", csv)
	}
}
