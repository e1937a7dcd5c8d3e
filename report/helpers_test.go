package report_test

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/accessvault/vinventory/aggregate"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/report"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/storetest"
)

// The fixture: two vCenters, snapshots on two days of March 2026, with
// VMs added, removed and changed between snapshots; daily and monthly
// rollups computed by the aggregate package.
var (
	day1 = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	day2 = day1.AddDate(0, 0, 1)
	// snaps are the snapshot times of vc-a (and, without the last, vc-b).
	snaps = []time.Time{day1.Add(1 * time.Hour), day1.Add(9 * time.Hour), day1.Add(17 * time.Hour), day2.Add(2 * time.Hour)}
	// counts are the VM counts of vc-a's snapshots: the second drops two
	// VMs, the third adds five.
	counts = []int{40, 38, 43, 43}
)

const (
	vcA = "vc-a"
	// vcB has a hostile name: it must survive as text in every report.
	vcB = "=cmd|' /C calc'!A0"
)

// seed writes the fixture through WriteSnapshot and aggregate.Daily and
// Monthly, and returns the hostile names it used.
func seed(t testing.TB, st store.Store) {
	t.Helper()
	ctx := context.Background()
	for i, s := range snaps {
		p := storetest.Snapshot(vcA, s, counts[i], int64(i+1))
		if _, err := st.WriteSnapshot(ctx, p); err != nil {
			t.Fatalf("WriteSnapshot %s %s: %v", vcA, s, err)
		}
		if i < 3 {
			if _, err := st.WriteSnapshot(ctx, hostileSnapshot(vcB, s, int64(i+7))); err != nil {
				t.Fatalf("WriteSnapshot %q %s: %v", vcB, s, err)
			}
		}
	}
	for _, d := range []time.Time{day1, day2} {
		if _, err := aggregate.Daily(ctx, st, d, aggregate.Options{}); err != nil {
			t.Fatalf("aggregate.Daily %s: %v", d, err)
		}
	}
	if _, err := aggregate.Monthly(ctx, st, day1, aggregate.Options{}); err != nil {
		t.Fatalf("aggregate.Monthly: %v", err)
	}
}

// hostileSnapshot is a storetest snapshot whose VM names, folders, guest
// OS, hosts, clusters and attributes are storetest.HostileStrings.
func hostileSnapshot(vc string, s time.Time, seed int64) *store.WriteSnapshotParams {
	h := storetest.HostileStrings()
	p := storetest.Snapshot(vc, s, len(h), seed)
	st := p.State
	for i := range st.Hosts {
		st.Hosts[i].Name = h[(i+3)%len(h)]
	}
	for i := range st.Clusters {
		st.Clusters[i].Name = h[(i+10)%len(h)]
	}
	for i := range st.Datastores {
		st.Datastores[i].Name, st.Datastores[i].URL = h[(i+7)%len(h)], h[(i+11)%len(h)]
	}
	hostName := map[string]string{}
	for _, x := range st.Hosts {
		hostName[x.ID] = x.Name
	}
	clName := map[string]string{}
	for _, c := range st.Clusters {
		clName[c.ID] = c.Name
	}
	for i := range st.Hosts {
		st.Hosts[i].Cluster = clName[st.Hosts[i].ClusterID]
	}
	byHost := map[string]inventory.Host{}
	for _, x := range st.Hosts {
		byHost[x.ID] = x
	}
	for i := range st.VMs {
		vm := &st.VMs[i]
		vm.Name, vm.Folder, vm.GuestOS = h[i%len(h)], h[(i+1)%len(h)], h[(i+2)%len(h)]
		vm.Host, vm.Cluster = byHost[vm.HostID].Name, byHost[vm.HostID].Cluster
		vm.IPAddress = h[(i+4)%len(h)]
		vm.Attributes = map[string]string{h[i%len(h)]: h[(i+5)%len(h)]}
		p.Samples[i] = vm.Sample(s)
	}
	p.Totals = inventory.ComputeTotals("", time.Time{}, p.Samples, st)
	return p
}

// writeReport writes a report into memory.
func writeReport(t testing.TB, st report.Reader, req report.Request, opts report.Options) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := report.Write(context.Background(), st, req, &buf, opts); err != nil {
		t.Fatalf("Write %+v: %v", req, err)
	}
	return buf.Bytes()
}

// book is a workbook read back with excelize, plus its raw parts.
type book struct {
	t     testing.TB
	f     *excelize.File
	parts map[string]string
	loc   *time.Location
}

func openBook(t testing.TB, data []byte, loc *time.Location) *book {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("excelize.OpenReader: %v", err)
	}
	t.Cleanup(func() { f.Close() })
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	parts := map[string]string{}
	for _, zf := range zr.File {
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		parts[zf.Name] = string(b)
	}
	if loc == nil {
		loc = time.UTC
	}
	return &book{t: t, f: f, parts: parts, loc: loc}
}

func (b *book) sheets() []string { return b.f.GetSheetList() }

// header returns row 1 of a sheet.
func (b *book) header(sheet string) []string {
	b.t.Helper()
	rows, err := b.f.GetRows(sheet, excelize.Options{RawCellValue: true})
	if err != nil {
		b.t.Fatalf("GetRows %s: %v", sheet, err)
	}
	if len(rows) == 0 {
		b.t.Fatalf("sheet %s has no header row", sheet)
	}
	return rows[0]
}

// dataRows returns the number of rows below the header.
func (b *book) dataRows(sheet string) int {
	b.t.Helper()
	rows, err := b.f.GetRows(sheet)
	if err != nil {
		b.t.Fatal(err)
	}
	return len(rows) - 1
}

// checkLayout asserts the frozen header row, the autofilter over every
// row and column, and positive column widths.
func (b *book) checkLayout(sheet string) {
	b.t.Helper()
	p, err := b.f.GetPanes(sheet)
	if err != nil {
		b.t.Fatal(err)
	}
	if !p.Freeze || p.YSplit != 1 || p.TopLeftCell != "A2" {
		b.t.Errorf("sheet %s: panes %+v, want the header row frozen", sheet, p)
	}
	ncol := len(b.header(sheet))
	last, _ := excelize.CoordinatesToCellName(ncol, b.dataRows(sheet)+1)
	ref := "A1:" + last
	xml := strings.ReplaceAll(b.sheetXML(sheet), "$", "")
	if !strings.Contains(xml, `<autoFilter ref="`+ref+`"`) {
		b.t.Errorf("sheet %s: no autoFilter over %s", sheet, ref)
	}
	found := false
	for _, dn := range b.f.GetDefinedName() {
		if dn.Name == "_xlnm._FilterDatabase" && dn.Scope == sheet && strings.Contains(strings.ReplaceAll(dn.RefersTo, "$", ""), ref) {
			found = true
		}
	}
	if !found {
		b.t.Errorf("sheet %s: no _xlnm._FilterDatabase defined name for %s (have %+v)", sheet, ref, b.f.GetDefinedName())
	}
	for i := 1; i <= ncol; i++ {
		c, _ := excelize.ColumnNumberToName(i)
		w, err := b.f.GetColWidth(sheet, c)
		if err != nil || w < 8 || w > 60 {
			b.t.Errorf("sheet %s column %s: width %v (%v)", sheet, c, w, err)
		}
	}
}

// sheetXML returns the raw XML of a worksheet.
func (b *book) sheetXML(sheet string) string {
	b.t.Helper()
	idx, err := b.f.GetSheetIndex(sheet)
	if err != nil || idx < 0 {
		b.t.Fatalf("no sheet %s", sheet)
	}
	// Sheets are written in order as sheet1.xml, sheet2.xml, ...
	name := fmt.Sprintf("xl/worksheets/sheet%d.xml", idx+1)
	x, ok := b.parts[name]
	if !ok {
		b.t.Fatalf("no part %s", name)
	}
	return x
}

// row is one expected data row keyed by header.
type row map[string]any

// checkRows compares a sheet's data rows, in order, with want: every key
// of a want row must be a column, and the cell must hold the value with
// the right type (strings as string cells without formula, numbers as
// numbers, times as dates shown in the book's location, bools as
// booleans, nil as an empty cell).
func (b *book) checkRows(sheet string, want []row) {
	b.t.Helper()
	hdr := b.header(sheet)
	col := map[string]int{}
	for i, h := range hdr {
		col[h] = i + 1
	}
	n := b.dataRows(sheet)
	if n != len(want) {
		b.t.Errorf("sheet %s: %d data rows, want %d", sheet, n, len(want))
	}
	for r, w := range want {
		if r >= n {
			break
		}
		for name, v := range w {
			c, ok := col[name]
			if !ok {
				b.t.Fatalf("sheet %s: no column %q (have %q)", sheet, name, hdr)
			}
			cell, _ := excelize.CoordinatesToCellName(c, r+2)
			b.checkCell(sheet, cell, name, v)
		}
	}
}

func (b *book) checkCell(sheet, cell, name string, want any) {
	b.t.Helper()
	switch x := want.(type) { // string enums are written as text
	case inventory.PowerState:
		want = string(x)
	case inventory.EventKind:
		want = string(x)
	case inventory.LifecycleSource:
		want = string(x)
	}
	f := b.f
	raw, err := f.GetCellValue(sheet, cell, excelize.Options{RawCellValue: true})
	if err != nil {
		b.t.Fatal(err)
	}
	typ, err := f.GetCellType(sheet, cell)
	if err != nil {
		b.t.Fatal(err)
	}
	if formula, _ := f.GetCellFormula(sheet, cell); formula != "" {
		b.t.Errorf("%s!%s (%s): has formula %q", sheet, cell, name, formula)
	}
	fail := func(format string, args ...any) {
		b.t.Errorf("%s!%s (%s): "+format, append([]any{sheet, cell, name}, args...)...)
	}
	switch w := want.(type) {
	case nil:
		if raw != "" {
			fail("got %q, want an empty cell", raw)
		}
	case string:
		if w == "" {
			if raw != "" {
				fail("got %q, want an empty cell", raw)
			}
			return
		}
		if raw != w {
			fail("got %q, want %q", raw, w)
		}
		if typ != excelize.CellTypeInlineString && typ != excelize.CellTypeSharedString {
			fail("cell type %v, want a string", typ)
		}
		b.checkQuoted(sheet, cell, name, w)
	case int, int64:
		if raw != fmt.Sprint(w) {
			fail("got %q, want %d", raw, w)
		}
		if typ != excelize.CellTypeUnset && typ != excelize.CellTypeNumber {
			fail("cell type %v, want a number", typ)
		}
	case float64:
		// Numbers are stored at Excel's precision, 15 significant digits.
		got, err := strconv.ParseFloat(raw, 64)
		if err != nil || got != report.Round15(w) {
			fail("got %q, want %v (%v at 15 digits)", raw, w, report.Round15(w))
		}
		if diffRel(got, w) > 1e-14 {
			fail("got %q, want %v", raw, w)
		}
		if typ != excelize.CellTypeUnset && typ != excelize.CellTypeNumber {
			fail("cell type %v, want a number", typ)
		}
	case approx:
		got, err := strconv.ParseFloat(raw, 64)
		if err != nil || math.Abs(got-float64(w)) > 1e-9*math.Max(1, math.Abs(float64(w))) {
			fail("got %q, want %v", raw, float64(w))
		}
	case bool:
		want := "0"
		if w {
			want = "1"
		}
		if raw != want || typ != excelize.CellTypeBool {
			fail("got %q (type %v), want bool %v", raw, typ, w)
		}
	case time.Time:
		if w.IsZero() {
			if raw != "" {
				fail("got %q, want an empty cell", raw)
			}
			return
		}
		shown, _ := f.GetCellValue(sheet, cell)
		layout := "2006-01-02 15:04:05"
		if len(shown) == 10 {
			layout = "2006-01-02"
		}
		if exp := w.In(b.loc).Format(layout); shown != exp {
			fail("shown %q, want %q", shown, exp)
		}
		serial, err := strconv.ParseFloat(raw, 64)
		if err != nil {
			fail("raw %q is not a date serial", raw)
			return
		}
		got, err := excelize.ExcelDateToTime(serial, false)
		if err != nil {
			b.t.Fatal(err)
		}
		lw := w.In(b.loc)
		wall := time.Date(lw.Year(), lw.Month(), lw.Day(), lw.Hour(), lw.Minute(), lw.Second(), lw.Nanosecond(), time.UTC)
		if d := got.Sub(wall); d > time.Millisecond || d < -time.Millisecond {
			fail("date serial %v is %s, want %s", serial, got, wall)
		}
	default:
		b.t.Fatalf("checkCell: unsupported want %T", want)
	}
}

// approx is a float compared with a relative tolerance of 1e-9 (for sums
// whose order of addition differs from the report's).
type approx float64

// checkQuoted asserts that a text cell that a spreadsheet could take for
// a formula carries the quotePrefix style.
func (b *book) checkQuoted(sheet, cell, name, v string) {
	b.t.Helper()
	if v == "" || !strings.ContainsAny(v[:1], "=+-@\t\r\n") {
		return
	}
	id, err := b.f.GetCellStyle(sheet, cell)
	if err != nil {
		b.t.Fatal(err)
	}
	if _, err := b.f.GetStyle(id); err != nil { // loads the style sheet
		b.t.Fatal(err)
	}
	xf := b.f.Styles.CellXfs.Xf[id]
	if xf.QuotePrefix == nil || !*xf.QuotePrefix {
		b.t.Errorf("%s!%s (%s): %q has no quotePrefix", sheet, cell, name, v)
	}
}

// scanSamples reads one snapshot of one vCenter.
func scanSamples(t testing.TB, st store.Store, vc string, s time.Time) []inventory.Sample {
	t.Helper()
	var out []inventory.Sample
	err := st.ScanSamples(context.Background(), &store.ScanSamplesParams{Vcenter: vc, From: s, To: s.Add(time.Second)}, func(x *inventory.Sample) error {
		c := *x
		out = append(out, c)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// attrText renders attributes as the report does: "k=v; k=v" by key.
func attrText(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sortStrings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + m[k]
	}
	return strings.Join(parts, "; ")
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// vmRow is the expected row of a sample on a VM sheet.
func vmRow(s *inventory.Sample, tiers inventory.TierMap, z string) row {
	return row{
		"vCenter": s.Vcenter, "VM ID": s.VMID, "VM UUID": s.VMUUID, "Name": s.Name, "Datacenter": s.Datacenter,
		"Cluster": s.Cluster, "Host": s.Host, "Resource pool": s.ResourcePool, "Pool tier": string(tiers.Of(s.ResourcePool)),
		"Folder": s.Folder, "Power state": s.PowerState, "Template": s.IsTemplate, "vCPUs": s.VCPUCount,
		"RAM MB": s.RAMMB, "RAM GB": float64(s.RAMMB) / 1024, "Provisioned disk GB": s.ProvisionedDiskGB,
		"Used disk GB": s.UsedDiskGB, "Guest OS": s.GuestOS, "IP address": s.IPAddress,
		"Creation time" + z: s.CreationTime, "Snapshot time" + z: s.SnapshotTime, "Attributes": attrText(s.Attributes),
	}
}

var rawOpts = excelize.Options{RawCellValue: true}

func storetestSnapshot(vc string, s time.Time, n int, seed int64) *store.WriteSnapshotParams {
	return storetest.Snapshot(vc, s, n, seed)
}

func aggregateDaily(ctx context.Context, st aggregate.Store, day time.Time) (*aggregate.Result, error) {
	return aggregate.Daily(ctx, st, day, aggregate.Options{})
}

func aggregateMonthly(ctx context.Context, st aggregate.Store, month time.Time) (*aggregate.Result, error) {
	return aggregate.Monthly(ctx, st, month, aggregate.Options{})
}

func parseF(t testing.TB, s string) float64 {
	t.Helper()
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("not a number: %q", s)
	}
	return f
}

func diffRel(a, b float64) float64 {
	return math.Abs(a-b) / math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
}
