package report_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/accessvault/vinventory/capture"
	"github.com/accessvault/vinventory/capture/capturetest"
	"github.com/accessvault/vinventory/capture/vcsim"
	"github.com/accessvault/vinventory/capture/vsphere"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/report"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/memstore"
	"github.com/accessvault/vinventory/store/storetest"
)

func TestValidate(t *testing.T) {
	s := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		req   report.Request
		field string
	}{
		{report.Request{}, "Kind"},
		{report.Request{Kind: "weekly"}, "Kind"},
		{report.Request{Kind: report.KindHourly, SnapshotTime: s}, "Vcenter"},
		{report.Request{Kind: report.KindHourly, Vcenter: "vc"}, "SnapshotTime"},
		{report.Request{Kind: report.KindAsOf, Vcenter: "vc"}, "SnapshotTime"},
		{report.Request{Kind: report.KindAsOf, SnapshotTime: s}, "Vcenter"},
		{report.Request{Kind: report.KindDaily}, "Period"},
		{report.Request{Kind: report.KindMonthly, Vcenter: "vc"}, "Period"},
		{report.Request{Kind: report.KindTotals, From: s, To: s.Add(time.Hour)}, "Granularity"},
		{report.Request{Kind: report.KindTotals, Granularity: "weekly", From: s, To: s.Add(time.Hour)}, "Granularity"},
		{report.Request{Kind: report.KindTotals, Granularity: inventory.Daily, To: s}, "From"},
		{report.Request{Kind: report.KindTotals, Granularity: inventory.Daily, From: s}, "To"},
		{report.Request{Kind: report.KindTotals, Granularity: inventory.Daily, From: s, To: s}, "To"},
		{report.Request{Kind: report.KindChanges, From: s, To: s.Add(-time.Hour)}, "To"},
		{report.Request{Kind: report.KindChanges, To: s}, "From"},
		{report.Request{Kind: report.KindTrace, VMID: "vm-1"}, "Vcenter"},
		{report.Request{Kind: report.KindTrace, Vcenter: "vc"}, "VMID"},
		{report.Request{Kind: report.KindTrace, Vcenter: "vc\x00", VMID: "vm-1"}, "Vcenter"},
		{report.Request{Kind: report.KindDaily, Period: s, Vcenter: "bad\xff"}, "Vcenter"},
	} {
		err := c.req.Validate()
		var re *report.Error
		if !errors.As(err, &re) || re.Field != c.field || re.Stage != report.StageValidate || !errors.Is(err, report.ErrInvalidRequest) {
			t.Errorf("Validate(%+v) = %v, want a validation error naming %s", c.req, err, c.field)
			continue
		}
		if !strings.Contains(err.Error(), c.field) {
			t.Errorf("error %q does not name %s", err, c.field)
		}
		// Write refuses it too, before touching the store or the writer.
		var w writerBuf
		if err := report.Write(context.Background(), memstore.New(), c.req, &w, report.Options{}); !errors.As(err, &re) || re.Field != c.field {
			t.Errorf("Write(%+v) = %v", c.req, err)
		}
		if len(w.b) != 0 {
			t.Errorf("Write(%+v) wrote %d bytes", c.req, len(w.b))
		}
	}
	for _, ok := range []report.Request{
		{Kind: report.KindHourly, Vcenter: "vc", SnapshotTime: s},
		{Kind: report.KindDaily, Period: s},
		{Kind: report.KindMonthly, Period: s, Vcenter: "vc"},
		{Kind: report.KindTotals, Granularity: inventory.Hourly, From: s, To: s.Add(time.Hour)},
		{Kind: report.KindTrace, Vcenter: "vc", VMName: "web"},
		{Kind: report.KindAsOf, Vcenter: "vc", SnapshotTime: s},
		{Kind: report.KindChanges, From: s, To: s.Add(time.Hour)},
	} {
		if err := ok.Validate(); err != nil {
			t.Errorf("Validate(%+v) = %v", ok, err)
		}
	}
}

func TestFileName(t *testing.T) {
	s := time.Date(2026, 3, 2, 10, 5, 7, 0, time.UTC)
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Skip("no tzdata:", err)
	}
	for _, c := range []struct {
		req  report.Request
		want string
	}{
		{report.Request{Kind: report.KindHourly, Vcenter: "vc-a.example.com", SnapshotTime: s}, "inventory_hourly_202603021005_vc-a.example.com.xlsx"},
		{report.Request{Kind: report.KindHourly, Vcenter: "vc1", SnapshotTime: s.In(paris)}, "inventory_hourly_202603021005_vc1.xlsx"},
		{report.Request{Kind: report.KindDaily, Period: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)}, "inventory_daily_summary_20260302.xlsx"},
		{report.Request{Kind: report.KindDaily, Period: time.Date(2026, 3, 2, 0, 0, 0, 0, paris), Vcenter: "vc1"}, "inventory_daily_summary_20260302_vc1.xlsx"},
		{report.Request{Kind: report.KindMonthly, Period: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)}, "inventory_monthly_summary_202603.xlsx"},
		{report.Request{Kind: report.KindTotals, Granularity: inventory.Daily, From: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)}, "vcenter_totals_daily_20260301_20260401.xlsx"},
		{report.Request{Kind: report.KindTotals, Granularity: inventory.Hourly, From: s, To: s.Add(90 * time.Minute), Vcenter: "vc1"}, "vcenter_totals_hourly_202603021005_202603021135_vc1.xlsx"},
		{report.Request{Kind: report.KindTrace, Vcenter: "vc1", VMID: "vm-42", VMName: "ignored"}, "vm_trace_vc1_vm-42.xlsx"},
		{report.Request{Kind: report.KindAsOf, Vcenter: "vc1", SnapshotTime: s}, "inventory_asof_202603021005_vc1.xlsx"},
		{report.Request{Kind: report.KindChanges, From: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 3, 8, 0, 0, 0, 0, time.UTC)}, "inventory_changes_20260301_20260308.xlsx"},
	} {
		if got := c.req.FileName(); got != c.want {
			t.Errorf("FileName(%+v) = %q, want %q", c.req, got, c.want)
		}
	}

	// Hostile vCenter and VM names: the name stays one plain file name in
	// the directory, and different names give different files.
	seen := map[string]string{}
	hostile := append(storetest.HostileStrings(), "../../etc/passwd", "..", ".", "/abs/path", `C:\win\path`, "a/b", "a_b", "", "CON", "nul\x01")
	for _, h := range hostile {
		for _, req := range []report.Request{
			{Kind: report.KindHourly, Vcenter: h, SnapshotTime: s},
			{Kind: report.KindTrace, Vcenter: "vc1", VMName: h},
		} {
			name := req.FileName()
			if name != filepath.Base(name) || strings.ContainsAny(name, `/\:*?"<>|`) || strings.HasPrefix(name, ".") ||
				strings.Contains(name, "..") || !strings.HasSuffix(name, ".xlsx") || len(name) > 200 {
				t.Errorf("FileName for %q = %q: not a safe file name", h, name)
			}
			for _, r := range name {
				if r > 127 || r < 32 {
					t.Errorf("FileName for %q = %q: non-ASCII or control character", h, name)
					break
				}
			}
			if prev, dup := seen[name]; dup && prev != h {
				t.Errorf("%q and %q share the file name %q", prev, h, name)
			}
			seen[name] = h
			if filepath.Join("/reports", name) != "/reports/"+name {
				t.Errorf("%q escapes the directory", name)
			}
		}
	}
}

// failingStore fails ScanSamples after n samples, as a store whose
// connection drops mid-scan would.
type failingStore struct {
	store.Store
	n int
}

var errInjected = errors.New("injected store failure")

func (f *failingStore) ScanSamples(ctx context.Context, p *store.ScanSamplesParams, fn func(*inventory.Sample) error) error {
	seen := 0
	return f.Store.ScanSamples(ctx, p, func(s *inventory.Sample) error {
		seen++
		if seen > f.n {
			return errInjected
		}
		return fn(s)
	})
}

// TestWriteFileAtomic: a failed write leaves neither the final file nor a
// temporary file; a successful one leaves exactly the final file, readable.
func TestWriteFileAtomic(t *testing.T) {
	st := newSeeded(t)
	req := report.Request{Kind: report.KindHourly, Vcenter: vcA, SnapshotTime: snaps[2]}
	listDir := func(dir string) []string {
		ents, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range ents {
			out = append(out, e.Name())
		}
		return out
	}

	// A store failing mid-scan (after 10 rows were streamed).
	dir := t.TempDir()
	_, err := report.WriteFile(context.Background(), &failingStore{Store: st, n: 10 + 2}, req, dir, report.Options{})
	var re *report.Error
	if !errors.Is(err, errInjected) || !errors.As(err, &re) || re.Stage != report.StageRead {
		t.Fatalf("WriteFile with a failing store: %v", err)
	}
	if got := listDir(dir); len(got) != 0 {
		t.Fatalf("failed WriteFile left %q", got)
	}

	// A context cancelled mid-way, at each point the write looks at it.
	for n := 1; n < 200; n++ {
		ctx := storetest.CountdownContext(context.Background(), n)
		path, err := report.WriteFile(ctx, st, req, dir, report.Options{})
		if err == nil {
			if n == 1 {
				t.Fatal("a cancelled context did not fail the write")
			}
			if got := listDir(dir); len(got) != 1 || filepath.Join(dir, got[0]) != path {
				t.Fatalf("after success at n=%d: %q", n, got)
			}
			break
		}
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("n=%d: %v, want context.Canceled", n, err)
		}
		if got := listDir(dir); len(got) != 0 {
			t.Fatalf("n=%d: cancelled WriteFile left %q", n, got)
		}
	}

	// An existing report is replaced whole, never truncated.
	path, err := report.WriteFile(context.Background(), st, req, dir, report.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(path) != req.FileName() {
		t.Errorf("path %s, want name %s", path, req.FileName())
	}
	before, _ := os.ReadFile(path)
	if _, err := report.WriteFile(context.Background(), &failingStore{Store: st, n: 3}, req, dir, report.Options{}); err == nil {
		t.Fatal("expected failure")
	}
	after, _ := os.ReadFile(path)
	if string(before) != string(after) {
		t.Error("a failed WriteFile changed the existing report")
	}
	if got := listDir(dir); len(got) != 1 {
		t.Errorf("dir holds %q", got)
	}
	b := openBook(t, after, nil)
	if b.dataRows("VMs") != counts[2] {
		t.Errorf("VMs rows %d, want %d", b.dataRows("VMs"), counts[2])
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v (%v)", fi.Mode(), err)
	}
	// A missing directory is created, parents included.
	nested := filepath.Join(dir, "missing", "reports")
	if p, err := report.WriteFile(context.Background(), st, req, nested, report.Options{}); err != nil || filepath.Dir(p) != nested {
		t.Errorf("missing dir: %q, %v; want the report written into a new %s", p, err, nested)
	}
	// One that cannot be created (a file is in the way) is a file-stage
	// error naming it.
	blocker := filepath.Join(dir, "blocker")
	if err := os.WriteFile(blocker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = report.WriteFile(context.Background(), st, req, filepath.Join(blocker, "reports"), report.Options{})
	if !errors.As(err, &re) || re.Stage != report.StageFile || !strings.Contains(err.Error(), filepath.Join(blocker, "reports")) {
		t.Errorf("uncreatable dir: %v, want a file-stage error naming it", err)
	}
}

// TestNoData: a snapshot, period or VM without data is ErrNoData (and
// store.ErrNotFound), at the read stage.
func TestNoData(t *testing.T) {
	st := newSeeded(t)
	empty := memstore.New()
	for _, c := range []struct {
		st  report.Reader
		req report.Request
	}{
		{st, report.Request{Kind: report.KindHourly, Vcenter: vcA, SnapshotTime: snaps[1].Add(time.Second)}},
		{st, report.Request{Kind: report.KindHourly, Vcenter: "vc-none", SnapshotTime: snaps[1]}},
		{st, report.Request{Kind: report.KindDaily, Period: day1.AddDate(0, 0, 7)}},
		{st, report.Request{Kind: report.KindDaily, Period: day1, Vcenter: "vc-none"}},
		{st, report.Request{Kind: report.KindMonthly, Period: day1.AddDate(0, 1, 0)}},
		{st, report.Request{Kind: report.KindTotals, Granularity: inventory.Daily, From: day1.AddDate(1, 0, 0), To: day1.AddDate(1, 1, 0)}},
		{st, report.Request{Kind: report.KindTrace, Vcenter: vcA, VMID: "vm-99999"}},
		{st, report.Request{Kind: report.KindAsOf, Vcenter: vcA, SnapshotTime: day1}},
		{st, report.Request{Kind: report.KindChanges, From: day1.AddDate(-1, 0, 0), To: day1}},
		{empty, report.Request{Kind: report.KindChanges, Vcenter: vcA, From: day1, To: day2}},
	} {
		var w writerBuf
		err := report.Write(context.Background(), c.st, c.req, &w, report.Options{})
		var re *report.Error
		if !errors.Is(err, report.ErrNoData) || !errors.Is(err, store.ErrNotFound) || !errors.As(err, &re) || re.Stage != report.StageRead || re.Kind != c.req.Kind {
			t.Errorf("Write(%+v) = %v, want ErrNoData", c.req, err)
		}
		if len(w.b) != 0 {
			t.Errorf("Write(%+v) wrote %d bytes", c.req, len(w.b))
		}
	}
	// A registered snapshot of an empty vCenter is not "no data": its
	// report has a header and no rows.
	if _, err := empty.WriteSnapshot(context.Background(), &store.WriteSnapshotParams{Vcenter: "vc-empty", SnapshotTime: day1, State: &inventory.State{}}); err != nil {
		t.Fatal(err)
	}
	b := openBook(t, writeReport(t, empty, report.Request{Kind: report.KindHourly, Vcenter: "vc-empty", SnapshotTime: day1}, report.Options{}), nil)
	if n := b.dataRows("VMs"); n != 0 {
		t.Errorf("empty snapshot: %d VM rows", n)
	}
	b.checkLayout("VMs")
}

// TestHostileNames: every hostile string is written as a string cell equal
// to the input, without formula, with quotePrefix when it starts like a
// formula.
func TestHostileNames(t *testing.T) {
	st := newSeeded(t)
	b := openBook(t, writeReport(t, st, report.Request{Kind: report.KindHourly, Vcenter: vcB, SnapshotTime: snaps[0]}, report.Options{}), nil)
	names := map[string]string{} // value -> cell
	rows, err := b.f.GetRows("VMs", rawOpts)
	if err != nil {
		t.Fatal(err)
	}
	for r, row := range rows[1:] {
		names[row[3]] = "D" + strconv.Itoa(r+2)
		if row[0] != vcB {
			t.Errorf("row %d vCenter %q, want %q", r+2, row[0], vcB)
		}
	}
	for _, h := range storetest.HostileStrings() {
		cell, ok := names[h]
		if !ok {
			t.Errorf("hostile name %q not found intact", h)
			continue
		}
		b.checkCell("VMs", cell, "Name", h)
	}
	// The dangerous ones really carry quotePrefix and the rest do not.
	quoted := 0
	for _, h := range storetest.HostileStrings() {
		cell := names[h]
		id, _ := b.f.GetCellStyle("VMs", cell)
		xf := b.f.Styles.CellXfs.Xf[id]
		q := xf.QuotePrefix != nil && *xf.QuotePrefix
		if want := strings.ContainsAny(h[:1], "=+-@\t\r\n"); q != want {
			t.Errorf("%q: quotePrefix %v, want %v", h, q, want)
		}
		if q {
			quoted++
		}
	}
	if quoted < 4 {
		t.Errorf("only %d hostile names needed quoting", quoted)
	}
	// No formula anywhere in the workbook.
	for name, part := range b.parts {
		if strings.HasPrefix(name, "xl/worksheets/") && strings.Contains(part, "<f>") {
			t.Errorf("%s contains a formula", name)
		}
	}
}

// TestTraceVcsim captures a simulated vCenter twice with changes in
// between, reconciles, and checks the trace of a resized, renamed and
// powered-off VM and of a destroyed one.
func TestTraceVcsim(t *testing.T) {
	if testing.Short() {
		t.Skip("vcsim")
	}
	ctx := context.Background()
	sim := capturetest.NewSim(t, vcsim.Options{VMs: 12, Seed: 3})
	src, err := vsphere.New(ctx, inventory.Endpoint{
		Name: "vc-sim", URL: "https://" + sim.URL.Host + "/sdk", Username: sim.Username,
		TLS: inventory.TLSOptions{Thumbprint: sim.Thumbprint()},
	}, vsphere.Options{Credentials: vsphere.Password(sim.Password)})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close(ctx)
	st := memstore.New()
	t0 := time.Now().UTC().Truncate(time.Hour).Add(-3 * time.Hour)
	run := func(s time.Time) {
		res, err := capture.Capture(ctx, st, src, capture.Options{SnapshotTime: s})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := capture.Reconcile(ctx, st, src, res, capture.ReconcileOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	run(t0)
	refs := sim.VMRefs()
	vm, gone := refs[0], refs[1]
	first, err := st.TraceVM(ctx, &store.TraceVMParams{Vcenter: "vc-sim", VMID: vm})
	if err != nil || len(first) != 1 {
		t.Fatalf("TraceVM after the first capture: %d, %v", len(first), err)
	}
	if err := sim.Reconfigure(ctx, vm, int32(first[0].VCPUCount+2), first[0].RAMMB+1024); err != nil {
		t.Fatal(err)
	}
	if err := sim.Rename(ctx, vm, "=HYPERLINK(\"http://evil\")"); err != nil {
		t.Fatal(err)
	}
	if err := sim.PowerOff(ctx, vm); err != nil {
		t.Log("power off:", err) // already off is fine
	}
	if err := sim.DestroyVM(ctx, gone); err != nil {
		t.Fatal(err)
	}
	run(t0.Add(time.Hour))
	run(t0.Add(2 * time.Hour))

	for _, req := range []report.Request{
		{Kind: report.KindTrace, Vcenter: "vc-sim", VMID: vm},
		{Kind: report.KindTrace, Vcenter: "vc-sim", VMName: "=HYPERLINK(\"http://evil\")"},
		{Kind: report.KindTrace, Vcenter: "vc-sim", VMID: gone},
	} {
		b := openBook(t, writeReport(t, st, req, report.Options{}), nil)
		if got := strings.Join(b.sheets(), ","); got != "History,Lifecycle,Events" {
			t.Fatalf("sheets %s", got)
		}
		for _, sh := range b.sheets() {
			b.checkLayout(sh)
		}
		tp := &store.TraceVMParams{Vcenter: req.Vcenter, VMID: req.VMID, Name: req.VMName}
		samples, err := st.TraceVM(ctx, tp)
		if err != nil || len(samples) == 0 {
			t.Fatalf("TraceVM: %d, %v", len(samples), err)
		}
		tiers := inventory.DefaultTierMap()
		var want []row
		for i := range samples {
			want = append(want, vmRow(&samples[i], tiers, utc))
		}
		b.checkRows("History", want)
		id := samples[len(samples)-1].VMID
		lc, err := st.GetLifecycle(ctx, &store.GetLifecycleParams{Vcenter: "vc-sim", VMID: id})
		if err != nil {
			t.Fatal(err)
		}
		b.checkRows("Lifecycle", []row{{"vCenter": lc.Vcenter, "VM ID": lc.VMID, "Name": lc.Name, "First seen" + utc: lc.FirstSeen,
			"Last seen" + utc: lc.LastSeen, "Creation time" + utc: lc.CreationTime, "Creation source": lc.CreationSource,
			"Deletion time" + utc: lc.DeletionTime, "Deletion source": lc.DeletionSource, "Deleted": lc.Deleted}})
		page, err := st.ListEvents(ctx, &store.ListEventsParams{Vcenter: "vc-sim", VMID: id, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		var ev []row
		kinds := map[string]bool{}
		for _, e := range page.Events {
			kinds[string(e.Kind)] = true
			var fields []string
			for k := range e.Before {
				fields = append(fields, k)
			}
			for k := range e.After {
				if _, ok := e.Before[k]; !ok {
					fields = append(fields, k)
				}
			}
			sortStrings(fields)
			if len(fields) == 0 {
				ev = append(ev, row{"Kind": e.Kind, "VM ID": e.VMID, "Field": nil, "Snapshot time" + utc: e.SnapshotTime, "Event ID": e.ID})
			}
			for _, f := range fields {
				ev = append(ev, row{"Kind": e.Kind, "VM ID": e.VMID, "Name": e.Name, "Field": f, "Before": e.Before[f], "After": e.After[f],
					"Snapshot time" + utc: e.SnapshotTime, "Event ID": e.ID})
			}
		}
		b.checkRows("Events", ev)
		if id == vm && (!kinds[string(inventory.EventResize)] || !kinds[string(inventory.EventRename)]) {
			for _, x := range samples {
				t.Logf("sample %s %s vcpu=%d ram=%d power=%s name=%q", x.SnapshotTime, x.VMID, x.VCPUCount, x.RAMMB, x.PowerState, x.Name)
			}
			t.Errorf("events of %s: %v, want resize and rename", vm, kinds)
		}
		if id == gone && (!lc.Deleted || !kinds[string(inventory.EventDeleted)]) {
			t.Errorf("lifecycle of destroyed %s: %+v, events %v", gone, lc, kinds)
		}
	}
}
