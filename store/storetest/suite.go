package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

// Base times of the suite's data. T0 is a whole second in UTC.
var (
	t0   = time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC)
	day0 = time.Date(2026, 3, 14, 0, 0, 0, 0, time.UTC)
	mon0 = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
)

// env is what every subtest gets.
type env struct {
	t    *testing.T
	ctx  context.Context
	st   store.Store
	caps store.Capabilities
	// ct is st's optional CompatTables (nil when it does not implement
	// them) and compat whether it does.
	ct       store.CompatTables
	compat   bool
	n        norm
	newStore func(t *testing.T) store.Store
}

type group struct {
	name  string
	tests []test
	// only, when set, runs the group only on stores it accepts: the
	// section of an optional interface.
	only func(store.Store) bool
}

type test struct {
	name string
	fn   func(e *env)
}

// Run runs the conformance suite against the backend returned by newStore.
// newStore must return a fresh, empty, migrated store each time it is called
// and register its own cleanup (t.Cleanup); the suite calls it once per
// subtest, sometimes twice (to build a reference store). The suite may call
// Close on the store it was given, so the cleanup must tolerate a store that
// is already closed.
//
// Subtests run sequentially. Subtests that load much data (Limits) are
// skipped with -short.
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	runGroups(t, groups(), newStore)
}

// RunSection runs one section of the suite, named as go test -run names
// it below Run (e.g. "AuditLog"), against newStore: for a store built
// differently from the one given to Run, such as one whose Clock stands
// still, so that every audit entry has the same time and the AuditLog
// section pages over ties. It fails the test when no section has that
// name.
func RunSection(t *testing.T, section string, newStore func(t *testing.T) store.Store) {
	i := slices.IndexFunc(groups(), func(g group) bool { return g.name == section })
	if i < 0 {
		t.Fatalf("storetest: no section named %q", section)
	}
	runGroups(t, groups()[i:i+1], newStore)
}

func runGroups(t *testing.T, groups []group, newStore func(t *testing.T) store.Store) {
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			for _, tc := range g.tests {
				t.Run(tc.name, func(t *testing.T) {
					st := newStore(t)
					if st == nil {
						t.Fatal("newStore returned nil")
					}
					if g.only != nil && !g.only(st) {
						t.Skipf("the store does not implement what section %s checks", g.name)
					}
					e := &env{t: t, ctx: context.Background(), st: st, caps: st.Capabilities(), n: newNorm(st), newStore: newStore}
					e.ct, e.compat = st.(store.CompatTables)
					tc.fn(e)
				})
			}
		})
	}
}

func groups() []group {
	return []group{
		{name: "Store", tests: storeTests()},
		{name: "WriteSnapshot", tests: snapshotTests()},
		{name: "Samples", tests: sampleTests()},
		{name: "State", tests: stateTests()},
		{name: "Lifecycles", tests: lifecycleTests()},
		{name: "Events", tests: eventTests()},
		{name: "Rollups", tests: rollupTests()},
		{name: "Totals", tests: totalsTests()},
		{name: "Registry", tests: registryTests()},
		{name: "Endpoints", tests: endpointTests()},
		// Optional interfaces: a section each, run on the stores that
		// implement it (and, for CompatTables, the check of a store that
		// does not).
		{name: "CompatTables", tests: compatTests(), only: implements[store.CompatTables]},
		{name: "WithoutCompatTables", tests: withoutCompatTests(), only: func(st store.Store) bool { return !implements[store.CompatTables](st) }},
		{name: "SQLAggregator", tests: sqlAggregatorTests(), only: implements[store.SQLAggregator]},
		{name: "SnapshotCounter", tests: snapshotCounterTests(), only: implements[store.SnapshotCounter]},
		{name: "ReportCatalog", tests: reportCatalogTests(), only: implements[store.ReportCatalog]},
		{name: "TokenStore", tests: tokenStoreTests(), only: implements[store.TokenStore]},
		{name: "AuditLog", tests: auditLogTests(), only: implements[store.AuditLog]},
		{name: "RateCardStore", tests: rateCardStoreTests(), only: implements[store.RateCardStore]},
		{name: "Querier", tests: querierTests(), only: implements[store.Querier]},
		{name: "EntityHistory", tests: entityHistoryTests(), only: implements[store.EntityHistory]},
		{name: "Details", tests: detailsTests(), only: implements[store.Details]},
		{name: "Live", tests: liveTests(), only: implements[store.LiveState]},
		{name: "Alerts", tests: alertTests(), only: implementsAlerts},
		{name: "Metrics", tests: metricTests(), only: implements[store.MetricStore]},
		{name: "Atomicity", tests: atomicityTests()},
		{name: "Precision", tests: precisionTests()},
		{name: "Hostile", tests: hostileTests()},
		{name: "Limits", tests: limitTests()},
		{name: "Concurrency", tests: concurrencyTests()},
		{name: "Isolation", tests: isolationTests()},
		{name: "Close", tests: closeTests()},
	}
}

// ---------------------------------------------------------------------------
// Helpers shared by the subtests.

// snapshot returns Snapshot(...) with Compat set when the backend supports
// compatibility tables.
func (e *env) snapshot(vc string, t time.Time, nVMs int, seed int64) *store.WriteSnapshotParams {
	p := Snapshot(vc, t, nVMs, seed)
	p.Compat = e.compat
	return p
}

func (e *env) write(p *store.WriteSnapshotParams) *store.WriteSnapshotResult {
	e.t.Helper()
	return mustWrite(e.t, e.ctx, e.st, p)
}

func mustWrite(t testing.TB, ctx context.Context, st store.Store, p *store.WriteSnapshotParams) *store.WriteSnapshotResult {
	t.Helper()
	res, err := st.WriteSnapshot(ctx, p)
	if err != nil {
		t.Fatalf("WriteSnapshot(vcenter %q @%s, %d samples): %v", p.Vcenter, p.SnapshotTime.Format(time.RFC3339Nano), len(p.Samples), err)
	}
	if res == nil {
		t.Fatalf("WriteSnapshot(vcenter %q @%s): nil result and nil error", p.Vcenter, p.SnapshotTime.Format(time.RFC3339Nano))
	}
	return res
}

func (e *env) ok(err error, format string, args ...any) {
	e.t.Helper()
	if err != nil {
		e.t.Fatalf("%s: unexpected error: %v", fmt.Sprintf(format, args...), err)
	}
}

func (e *env) dump() *Contents {
	e.t.Helper()
	return Dump(e.t, e.st)
}

// unchanged fails the test when the store no longer equals before.
func (e *env) unchanged(before *Contents, format string, args ...any) {
	e.t.Helper()
	if d := Diff(before, e.dump()); d != "" {
		e.t.Fatalf("%s changed the store (-before +after):\n%s", fmt.Sprintf(format, args...), d)
	}
}

// wantInvalid checks that err is an *InvalidParamsError of method op.
func wantInvalid(t testing.TB, err error, op, what string) *store.InvalidParamsError {
	t.Helper()
	var ipe *store.InvalidParamsError
	if !errors.As(err, &ipe) {
		t.Errorf("%s %s: got error %v (%T), want *store.InvalidParamsError", op, what, err, err)
		return nil
	}
	if ipe.Op != op {
		t.Errorf("%s %s: InvalidParamsError.Op = %q, want %q (error: %v)", op, what, ipe.Op, op, err)
	}
	return ipe
}

func wantNotFound(t testing.TB, err error, what string) {
	t.Helper()
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("%s: got error %v, want one wrapping store.ErrNotFound", what, err)
	}
}

// isWriteFailure reports whether err is how a failed write must look: a
// *WriteError, or an error wrapping the context's error.
func isWriteFailure(err error) bool {
	var we *store.WriteError
	return errors.As(err, &we) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// checkList compares lists returned by a method: nil and empty are equal at
// the top level, nothing else is.
func checkList[T any](t testing.TB, what string, want, got []T, opts ...cmp.Option) {
	t.Helper()
	if len(want) == 0 && len(got) == 0 {
		return
	}
	if d := cmp.Diff(want, got, opts...); d != "" {
		t.Errorf("%s: mismatch (-want +got):\n%s", what, d)
	}
}

func checkEq[T any](t testing.TB, what string, want, got T, opts ...cmp.Option) {
	t.Helper()
	if d := cmp.Diff(want, got, opts...); d != "" {
		t.Errorf("%s: mismatch (-want +got):\n%s", what, d)
	}
}

var ignoreEventID = cmpopts.IgnoreFields(inventory.Event{}, "ID")

func filter[T any](in []T, keep func(T) bool) []T {
	var out []T
	for _, x := range in {
		if keep(x) {
			out = append(out, x)
		}
	}
	return out
}

// inRange reports whether x lies in [from, to), zero bounds meaning open.
func inRange(x, from, to time.Time) bool {
	return (from.IsZero() || !x.Before(from)) && (to.IsZero() || x.Before(to))
}

func (e *env) scanAll(p *store.ScanSamplesParams) []inventory.Sample {
	e.t.Helper()
	out, err := scanSamples(e.ctx, e.st, p)
	e.ok(err, "ScanSamples%s", describe(p))
	return out
}

func (e *env) listVMs(p store.ListVMsParams) []inventory.VM {
	e.t.Helper()
	var out []inventory.VM
	seen := map[string]bool{}
	for page := 0; ; page++ {
		pg, err := e.st.ListVMs(e.ctx, &p)
		e.ok(err, "ListVMs%s page %d", describe(p), page)
		for _, v := range pg.VMs {
			k := v.Vcenter + "\x00" + v.ID
			if seen[k] {
				e.t.Fatalf("ListVMs%s: VM %q/%q returned twice (page %d)", describe(p), v.Vcenter, v.ID, page)
			}
			seen[k] = true
		}
		out = append(out, pg.VMs...)
		if pg.NextCursor == "" {
			return out
		}
		if page > 100000 {
			e.t.Fatalf("ListVMs%s: more than 100000 pages", describe(p))
		}
		p.Cursor = pg.NextCursor
	}
}

func (e *env) listLifecycles(p store.ListLifecyclesParams) []inventory.Lifecycle {
	e.t.Helper()
	var out []inventory.Lifecycle
	for page := 0; ; page++ {
		pg, err := e.st.ListLifecycles(e.ctx, &p)
		e.ok(err, "ListLifecycles%s page %d", describe(p), page)
		out = append(out, pg.Lifecycles...)
		if pg.NextCursor == "" {
			return out
		}
		if page > 100000 {
			e.t.Fatalf("ListLifecycles%s: more than 100000 pages", describe(p))
		}
		p.Cursor = pg.NextCursor
	}
}

func (e *env) listEvents(p store.ListEventsParams) []inventory.Event {
	e.t.Helper()
	var out []inventory.Event
	for page := 0; ; page++ {
		pg, err := e.st.ListEvents(e.ctx, &p)
		e.ok(err, "ListEvents%s page %d", describe(p), page)
		out = append(out, pg.Events...)
		if pg.NextCursor == "" {
			return out
		}
		if page > 100000 {
			e.t.Fatalf("ListEvents%s: more than 100000 pages", describe(p))
		}
		p.Cursor = pg.NextCursor
	}
}

func (e *env) scanDaily(p *store.ScanRollupsParams) []inventory.DailyRollup {
	e.t.Helper()
	var out []inventory.DailyRollup
	e.ok(e.st.ScanDailyRollups(e.ctx, p, func(r *inventory.DailyRollup) error {
		out = append(out, *r)
		return nil
	}), "ScanDailyRollups%s", describe(p))
	return out
}

func (e *env) scanMonthly(p *store.ScanRollupsParams) []inventory.MonthlyRollup {
	e.t.Helper()
	var out []inventory.MonthlyRollup
	e.ok(e.st.ScanMonthlyRollups(e.ctx, p, func(r *inventory.MonthlyRollup) error {
		out = append(out, *r)
		return nil
	}), "ScanMonthlyRollups%s", describe(p))
	return out
}

func (e *env) scanCompat(p *store.ScanCompatParams) []inventory.Sample {
	e.t.Helper()
	var out []inventory.Sample
	e.ok(e.ct.ScanCompatHourly(e.ctx, p, func(s *inventory.Sample) error {
		out = append(out, copySample(s))
		return nil
	}), "ScanCompatHourly%s", describe(p))
	return out
}

// compatOrder sorts compatibility-table rows by (vcenter, vm_key).
// compatMonthly returns monthly rows as a monthly summary compatibility
// table holds them: without the billable sums and coverage (the replaced
// system's layout).
func compatMonthly(rows []inventory.MonthlyRollup) []inventory.MonthlyRollup {
	out := slices.Clone(rows)
	for i := range out {
		out[i].VCPUDays, out[i].RAMGBDays, out[i].ProvisionedDiskGBDays, out[i].UsedDiskGBDays = 0, 0, 0, 0
		out[i].CoverageDays, out[i].DaysInMonth, out[i].Partial, out[i].Attributes = 0, 0, false, nil
	}
	return out
}

// compatDaily returns daily rows as a daily summary compatibility table
// holds them: without the partial mark and attributes.
func compatDaily(rows []inventory.DailyRollup) []inventory.DailyRollup {
	out := slices.Clone(rows)
	for i := range out {
		out[i].Partial, out[i].Attributes = false, nil
	}
	return out
}

// compatOrder returns samples as an hourly compatibility table holds
// them: in (vcenter, vm_key) order, without resource_pool_id (not a
// column of the replaced system's layout).
func compatOrder(in []inventory.Sample) []inventory.Sample {
	out := slices.Clone(in)
	for i := range out {
		out[i].ResourcePoolID = ""
	}
	slices.SortStableFunc(out, func(a, b inventory.Sample) int {
		if c := strings.Compare(a.Vcenter, b.Vcenter); c != 0 {
			return c
		}
		return strings.Compare(a.Key(), b.Key())
	})
	return out
}

func (e *env) requireCompat() {
	e.t.Helper()
	if !e.compat {
		e.t.Skip("the store does not implement store.CompatTables (see WithoutCompatTables)")
	}
}

// implements reports whether st implements the optional interface T.
func implements[T any](st store.Store) bool {
	_, ok := st.(T)
	return ok
}

func ptr[T any](v T) *T { return &v }

// describe renders params for failure messages: only the fields that are
// set, strings quoted, times in RFC 3339, e.g. {Vcenter: "vc-a", Limit: 4}.
func describe(v any) string {
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return "(nil)"
		}
		rv = rv.Elem()
	}
	if rv.Kind() != reflect.Struct {
		return fmt.Sprintf("%v", v)
	}
	var parts []string
	for i := 0; i < rv.NumField(); i++ {
		f, fv := rv.Type().Field(i), rv.Field(i)
		if !f.IsExported() || fv.IsZero() {
			continue
		}
		var s string
		switch x := fv.Interface().(type) {
		case time.Time:
			s = x.Format(time.RFC3339Nano)
		case string:
			s = strconv.Quote(x)
		case *bool:
			s = fmt.Sprint(*x)
		case []string:
			s = fmt.Sprintf("%q", x)
		default:
			s = fmt.Sprintf("%v", x)
		}
		parts = append(parts, f.Name+": "+s)
	}
	return "{" + strings.Join(parts, ", ") + "}"
}
