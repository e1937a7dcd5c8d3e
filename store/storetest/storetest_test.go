package storetest_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/driver"
	"github.com/accessvault/vinventory/store/memstore"
	"github.com/accessvault/vinventory/store/storetest"
)

// hooked wraps memstore and lets a test replace some methods.
type hooked struct {
	*memstore.Store
	caps              *store.Capabilities
	writeSnapshot     func(ctx context.Context, p *store.WriteSnapshotParams) (*store.WriteSnapshotResult, error)
	writeSamples      func(ctx context.Context, p *store.WriteSamplesParams) error
	scanSamples       func(ctx context.Context, p *store.ScanSamplesParams, fn func(*inventory.Sample) error) error
	traceVM           func(ctx context.Context, p *store.TraceVMParams) ([]inventory.Sample, error)
	listVMs           func(ctx context.Context, p *store.ListVMsParams) (*store.VMPage, error)
	getVM             func(ctx context.Context, p *store.GetVMParams) (*inventory.VM, error)
	listEvents        func(ctx context.Context, p *store.ListEventsParams) (*store.EventPage, error)
	listTotals        func(ctx context.Context, p *store.ListTotalsParams) ([]inventory.Totals, error)
	writeDailyRollups func(ctx context.Context, p *store.WriteDailyRollupsParams) error
	scanCompatHourly  func(ctx context.Context, p *store.ScanCompatParams, fn func(*inventory.Sample) error) error
	listSnapshots     func(ctx context.Context, p *store.ListSnapshotsParams) ([]inventory.SnapshotRecord, error)
	countSnapshots    func(ctx context.Context, p *store.CountSnapshotsParams) ([]store.SnapshotCount, error)
	listAudit         func(ctx context.Context, p *store.ListAuditParams) (*store.AuditPage, error)
	revokeToken       func(ctx context.Context, p *store.RevokeTokenParams) (*store.TokenInfo, error)
	queryVMs          func(ctx context.Context, p *store.QueryVMsParams) (*store.VMQueryPage, error)
	search            func(ctx context.Context, p *store.SearchParams) (*store.SearchResult, error)
	entitiesAsOf      func(ctx context.Context, p *store.EntitiesAsOfParams) (*store.EntityRows, error)
	writeHistory      func(ctx context.Context, p *store.WriteEntityHistoryParams) error
	writeDetails      func(ctx context.Context, p *store.WriteDetailsParams) error
	readDetails       func(ctx context.Context, p *store.ReadDetailsParams) (*inventory.Details, error)
	applyChanges      func(ctx context.Context, p *store.ApplyChangesParams) (*store.ApplyChangesResult, error)
	listChanges       func(ctx context.Context, p *store.ListChangesParams) (*store.ChangePage, error)
	pruneChanges      func(ctx context.Context, p *store.PruneChangesParams) (*store.PruneChangesResult, error)
	applyAlerts       func(ctx context.Context, p *store.ApplyAlertsParams) (*store.ApplyAlertsResult, error)
	listAlerts        func(ctx context.Context, p *store.ListAlertsParams) (*store.AlertPage, error)
	countAlerts       func(ctx context.Context, p *store.CountAlertsParams) ([]store.AlertCount, error)
	putAlertRule      func(ctx context.Context, p *store.PutAlertRuleParams) (*inventory.AlertRule, error)
	claim             func(ctx context.Context, p *store.ClaimNotificationsParams) ([]inventory.Notification, error)
	finish            func(ctx context.Context, p *store.FinishNotificationsParams) error
	writeMetrics      func(ctx context.Context, p *store.WriteMetricsParams) error
	queryMetrics      func(ctx context.Context, p *store.QueryMetricsParams) ([]inventory.MetricSeries, error)
	rollupMetrics     func(ctx context.Context, p *store.RollupMetricsParams) (*store.RollupMetricsResult, error)
	pruneMetrics      func(ctx context.Context, p *store.PruneMetricsParams) (*store.PruneMetricsResult, error)
	close             func() error
}

func (h *hooked) WriteMetrics(ctx context.Context, p *store.WriteMetricsParams) error {
	if h.writeMetrics != nil {
		return h.writeMetrics(ctx, p)
	}
	return h.Store.WriteMetrics(ctx, p)
}

func (h *hooked) QueryMetrics(ctx context.Context, p *store.QueryMetricsParams) ([]inventory.MetricSeries, error) {
	if h.queryMetrics != nil {
		return h.queryMetrics(ctx, p)
	}
	return h.Store.QueryMetrics(ctx, p)
}

func (h *hooked) RollupMetrics(ctx context.Context, p *store.RollupMetricsParams) (*store.RollupMetricsResult, error) {
	if h.rollupMetrics != nil {
		return h.rollupMetrics(ctx, p)
	}
	return h.Store.RollupMetrics(ctx, p)
}

func (h *hooked) PruneMetrics(ctx context.Context, p *store.PruneMetricsParams) (*store.PruneMetricsResult, error) {
	if h.pruneMetrics != nil {
		return h.pruneMetrics(ctx, p)
	}
	return h.Store.PruneMetrics(ctx, p)
}

func (h *hooked) ApplyAlerts(ctx context.Context, p *store.ApplyAlertsParams) (*store.ApplyAlertsResult, error) {
	if h.applyAlerts != nil {
		return h.applyAlerts(ctx, p)
	}
	return h.Store.ApplyAlerts(ctx, p)
}

func (h *hooked) ListAlerts(ctx context.Context, p *store.ListAlertsParams) (*store.AlertPage, error) {
	if h.listAlerts != nil {
		return h.listAlerts(ctx, p)
	}
	return h.Store.ListAlerts(ctx, p)
}

func (h *hooked) CountAlerts(ctx context.Context, p *store.CountAlertsParams) ([]store.AlertCount, error) {
	if h.countAlerts != nil {
		return h.countAlerts(ctx, p)
	}
	return h.Store.CountAlerts(ctx, p)
}

func (h *hooked) PutAlertRule(ctx context.Context, p *store.PutAlertRuleParams) (*inventory.AlertRule, error) {
	if h.putAlertRule != nil {
		return h.putAlertRule(ctx, p)
	}
	return h.Store.PutAlertRule(ctx, p)
}

func (h *hooked) ClaimNotifications(ctx context.Context, p *store.ClaimNotificationsParams) ([]inventory.Notification, error) {
	if h.claim != nil {
		return h.claim(ctx, p)
	}
	return h.Store.ClaimNotifications(ctx, p)
}

func (h *hooked) FinishNotifications(ctx context.Context, p *store.FinishNotificationsParams) error {
	if h.finish != nil {
		return h.finish(ctx, p)
	}
	return h.Store.FinishNotifications(ctx, p)
}

func (h *hooked) ApplyChanges(ctx context.Context, p *store.ApplyChangesParams) (*store.ApplyChangesResult, error) {
	if h.applyChanges != nil {
		return h.applyChanges(ctx, p)
	}
	return h.Store.ApplyChanges(ctx, p)
}

func (h *hooked) ListChanges(ctx context.Context, p *store.ListChangesParams) (*store.ChangePage, error) {
	if h.listChanges != nil {
		return h.listChanges(ctx, p)
	}
	return h.Store.ListChanges(ctx, p)
}

func (h *hooked) PruneChanges(ctx context.Context, p *store.PruneChangesParams) (*store.PruneChangesResult, error) {
	if h.pruneChanges != nil {
		return h.pruneChanges(ctx, p)
	}
	return h.Store.PruneChanges(ctx, p)
}

func (h *hooked) WriteDetails(ctx context.Context, p *store.WriteDetailsParams) error {
	if h.writeDetails != nil {
		return h.writeDetails(ctx, p)
	}
	return h.Store.WriteDetails(ctx, p)
}

func (h *hooked) ReadDetails(ctx context.Context, p *store.ReadDetailsParams) (*inventory.Details, error) {
	if h.readDetails != nil {
		return h.readDetails(ctx, p)
	}
	return h.Store.ReadDetails(ctx, p)
}

func (h *hooked) EntitiesAsOf(ctx context.Context, p *store.EntitiesAsOfParams) (*store.EntityRows, error) {
	if h.entitiesAsOf != nil {
		return h.entitiesAsOf(ctx, p)
	}
	return h.Store.EntitiesAsOf(ctx, p)
}

func (h *hooked) WriteEntityHistory(ctx context.Context, p *store.WriteEntityHistoryParams) error {
	if h.writeHistory != nil {
		return h.writeHistory(ctx, p)
	}
	return h.Store.WriteEntityHistory(ctx, p)
}

func (h *hooked) Capabilities() store.Capabilities {
	if h.caps != nil {
		return *h.caps
	}
	return h.Store.Capabilities()
}

func (h *hooked) WriteSnapshot(ctx context.Context, p *store.WriteSnapshotParams) (*store.WriteSnapshotResult, error) {
	if h.writeSnapshot != nil {
		return h.writeSnapshot(ctx, p)
	}
	return h.Store.WriteSnapshot(ctx, p)
}

func (h *hooked) WriteSamples(ctx context.Context, p *store.WriteSamplesParams) error {
	if h.writeSamples != nil {
		return h.writeSamples(ctx, p)
	}
	return h.Store.WriteSamples(ctx, p)
}

func (h *hooked) ScanSamples(ctx context.Context, p *store.ScanSamplesParams, fn func(*inventory.Sample) error) error {
	if h.scanSamples != nil {
		return h.scanSamples(ctx, p, fn)
	}
	return h.Store.ScanSamples(ctx, p, fn)
}

func (h *hooked) TraceVM(ctx context.Context, p *store.TraceVMParams) ([]inventory.Sample, error) {
	if h.traceVM != nil {
		return h.traceVM(ctx, p)
	}
	return h.Store.TraceVM(ctx, p)
}

func (h *hooked) ListVMs(ctx context.Context, p *store.ListVMsParams) (*store.VMPage, error) {
	if h.listVMs != nil {
		return h.listVMs(ctx, p)
	}
	return h.Store.ListVMs(ctx, p)
}

func (h *hooked) GetVM(ctx context.Context, p *store.GetVMParams) (*inventory.VM, error) {
	if h.getVM != nil {
		return h.getVM(ctx, p)
	}
	return h.Store.GetVM(ctx, p)
}

func (h *hooked) ListEvents(ctx context.Context, p *store.ListEventsParams) (*store.EventPage, error) {
	if h.listEvents != nil {
		return h.listEvents(ctx, p)
	}
	return h.Store.ListEvents(ctx, p)
}

func (h *hooked) ListTotals(ctx context.Context, p *store.ListTotalsParams) ([]inventory.Totals, error) {
	if h.listTotals != nil {
		return h.listTotals(ctx, p)
	}
	return h.Store.ListTotals(ctx, p)
}

func (h *hooked) WriteDailyRollups(ctx context.Context, p *store.WriteDailyRollupsParams) error {
	if h.writeDailyRollups != nil {
		return h.writeDailyRollups(ctx, p)
	}
	return h.Store.WriteDailyRollups(ctx, p)
}

func (h *hooked) ScanCompatHourly(ctx context.Context, p *store.ScanCompatParams, fn func(*inventory.Sample) error) error {
	if h.scanCompatHourly != nil {
		return h.scanCompatHourly(ctx, p, fn)
	}
	return h.Store.ScanCompatHourly(ctx, p, fn)
}

func (h *hooked) ListSnapshots(ctx context.Context, p *store.ListSnapshotsParams) ([]inventory.SnapshotRecord, error) {
	if h.listSnapshots != nil {
		return h.listSnapshots(ctx, p)
	}
	return h.Store.ListSnapshots(ctx, p)
}

func (h *hooked) CountSnapshots(ctx context.Context, p *store.CountSnapshotsParams) ([]store.SnapshotCount, error) {
	if h.countSnapshots != nil {
		return h.countSnapshots(ctx, p)
	}
	return h.Store.CountSnapshots(ctx, p)
}

func (h *hooked) ListAudit(ctx context.Context, p *store.ListAuditParams) (*store.AuditPage, error) {
	if h.listAudit != nil {
		return h.listAudit(ctx, p)
	}
	return h.Store.ListAudit(ctx, p)
}

func (h *hooked) RevokeToken(ctx context.Context, p *store.RevokeTokenParams) (*store.TokenInfo, error) {
	if h.revokeToken != nil {
		return h.revokeToken(ctx, p)
	}
	return h.Store.RevokeToken(ctx, p)
}

func (h *hooked) QueryVMs(ctx context.Context, p *store.QueryVMsParams) (*store.VMQueryPage, error) {
	if h.queryVMs != nil {
		return h.queryVMs(ctx, p)
	}
	return h.Store.QueryVMs(ctx, p)
}

func (h *hooked) Search(ctx context.Context, p *store.SearchParams) (*store.SearchResult, error) {
	if h.search != nil {
		return h.search(ctx, p)
	}
	return h.Store.Search(ctx, p)
}

func (h *hooked) Close() error {
	if h.close != nil {
		return h.close()
	}
	return h.Store.Close()
}

func cleanup(t *testing.T, st store.Store) store.Store {
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// withoutCompat is memstore as a backend that does not implement
// store.CompatTables would behave: embedding the store.Store interface
// hides memstore's compatibility methods.
type withoutCompat struct{ store.Store }

func unsupported(op string) error { return fmt.Errorf("nocompat: %s: %w", op, store.ErrUnsupported) }

func (w withoutCompat) Capabilities() store.Capabilities {
	c := w.Store.Capabilities()
	c.Backend = "memory-nocompat"
	return c
}
func (w withoutCompat) WriteSnapshot(ctx context.Context, p *store.WriteSnapshotParams) (*store.WriteSnapshotResult, error) {
	if p != nil && p.Compat {
		return nil, unsupported("WriteSnapshot")
	}
	return w.Store.WriteSnapshot(ctx, p)
}
func (w withoutCompat) WriteDailyRollups(ctx context.Context, p *store.WriteDailyRollupsParams) error {
	if p != nil && p.Compat {
		return unsupported("WriteDailyRollups")
	}
	return w.Store.WriteDailyRollups(ctx, p)
}
func (w withoutCompat) WriteMonthlyRollups(ctx context.Context, p *store.WriteMonthlyRollupsParams) error {
	if p != nil && p.Compat {
		return unsupported("WriteMonthlyRollups")
	}
	return w.Store.WriteMonthlyRollups(ctx, p)
}

// TestWithoutCompatTables runs the suite against a backend that does not
// implement store.CompatTables.
func TestWithoutCompatTables(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return cleanup(t, withoutCompat{memstore.New()}) })
}

func TestCountdownContext(t *testing.T) {
	ctx := storetest.CountdownContext(context.Background(), 3)
	if ctx.Err() != nil {
		t.Fatal("cancelled at call 1")
	}
	done := ctx.Done()
	select {
	case <-done:
		t.Fatal("Done closed at call 2")
	default:
	}
	if !errors.Is(ctx.Err(), context.Canceled) {
		t.Fatal("not cancelled at call 3")
	}
	select {
	case <-done:
	default:
		t.Fatal("Done channel not closed after cancellation")
	}
	if ctx.Err() == nil {
		t.Fatal("cancellation is not sticky")
	}
	// Derived contexts follow it.
	ctx = storetest.CountdownContext(context.Background(), 2)
	child, cancel := context.WithTimeout(ctx, time.Hour)
	defer cancel()
	ctx.Err()
	select {
	case <-child.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("derived context not cancelled")
	}
	if storetest.CountdownContext(context.Background(), 0).Err() == nil {
		t.Fatal("n = 0 must start cancelled")
	}
}

func TestFixturesDeterministic(t *testing.T) {
	at := time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC)
	a, b := storetest.Snapshot("vc-a", at, 50, 7), storetest.Snapshot("vc-a", at, 50, 7)
	if d := cmp.Diff(a, b); d != "" {
		t.Fatalf("Snapshot is not deterministic:\n%s", d)
	}
	if d := cmp.Diff(a, storetest.Snapshot("vc-a", at, 50, 8)); d == "" {
		t.Fatal("the seed changes nothing")
	}
	if err := driver.ValidateSnapshot(a); err != nil {
		t.Fatalf("fixture invalid: %v", err)
	}
	if got := inventory.ComputeTotals("", time.Time{}, a.Samples, a.State); got != a.Totals || a.Totals.VMCount+a.Totals.TemplateCount != 50 {
		t.Fatalf("totals %+v, want %+v", a.Totals, got)
	}
	var templates, tiers int
	kinds := map[string]bool{}
	for _, vm := range a.State.VMs {
		if vm.IsTemplate {
			templates++
		}
		if inventory.DefaultTierMap().Of(vm.ResourcePool) != inventory.TierNone {
			tiers++
		}
		kinds[string(vm.PowerState)] = true
	}
	for _, n := range a.State.Networks {
		kinds[n.Kind] = true
	}
	if templates == 0 || tiers == 0 || len(kinds) != 6 || len(a.State.Hosts) < 3 || len(a.State.ResourcePools) != 12 {
		t.Fatalf("fixture lacks variety: %d templates, %d tiered VMs, kinds %v", templates, tiers, kinds)
	}
	for _, s := range storetest.HostileStrings() {
		if strings.IndexByte(s, 0) >= 0 {
			t.Fatalf("hostile string %q holds a NUL", s)
		}
	}
}

func TestDumpDiff(t *testing.T) {
	ctx := context.Background()
	a, b := memstore.New(), memstore.New()
	for _, st := range []store.Store{a, b} {
		if _, err := st.WriteSnapshot(ctx, storetest.Snapshot("vc-a", time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC), 5, 1)); err != nil {
			t.Fatal(err)
		}
	}
	if d := storetest.Diff(storetest.Dump(t, a), storetest.Dump(t, b)); d != "" {
		t.Fatalf("equal stores differ:\n%s", d)
	}
	if err := b.AppendEvents(ctx, &store.AppendEventsParams{Events: storetest.Events("vc-a", time.Now(), 1, 1)}); err != nil {
		t.Fatal(err)
	}
	if d := storetest.Diff(storetest.Dump(t, a), storetest.Dump(t, b)); !strings.Contains(d, "Events") {
		t.Fatalf("diff does not show the extra event:\n%s", d)
	}
}

// ---------------------------------------------------------------------------
// Mutants: broken backends the suite must reject. Each runs in a child
// process (the suite's failures would fail this test otherwise).

type mutant struct {
	run     string // -test.run pattern below TestMutant/<name>
	wantErr string // a line the failure output must contain
	make    func(h *hooked)
}

var mutants = map[string]mutant{
	// Pages drop their last row: omissions across pages.
	"ListVMsDropsLastOfPage": {"State/ListVMsPagination", "ListVMs(Limit 1) page 0: 0 VMs, want 1", func(h *hooked) {
		h.listVMs = func(ctx context.Context, p *store.ListVMsParams) (*store.VMPage, error) {
			pg, err := h.Store.ListVMs(ctx, p)
			if err == nil && pg.NextCursor != "" && len(pg.VMs) > 0 {
				pg.VMs = pg.VMs[:len(pg.VMs)-1]
			}
			return pg, err
		}
	}},
	// WriteSamples commits batch by batch: not atomic.
	"WriteSamplesPerBatch": {"Atomicity/WriteSamples", "changed the store", func(h *hooked) {
		h.writeSamples = func(ctx context.Context, p *store.WriteSamplesParams) error {
			n := driver.BatchSizeOr(p.BatchSize)
			for i := 0; i < len(p.Samples); i += n {
				if err := h.Store.WriteSamples(ctx, &store.WriteSamplesParams{Samples: p.Samples[i:min(i+n, len(p.Samples))]}); err != nil {
					return err
				}
			}
			return nil
		}
	}},
	// WriteSnapshot writes its samples in a separate transaction first.
	"WriteSnapshotSamplesFirst": {"Atomicity/WriteSnapshot$", "changed the store", func(h *hooked) {
		h.writeSnapshot = func(ctx context.Context, p *store.WriteSnapshotParams) (*store.WriteSnapshotResult, error) {
			if p != nil && len(p.Samples) > 0 {
				if err := h.Store.WriteSamples(context.Background(), &store.WriteSamplesParams{Samples: p.Samples}); err != nil {
					return nil, err
				}
			}
			return h.Store.WriteSnapshot(ctx, p)
		}
	}},
	// A failed rollup rewrite deletes the old rows first.
	"RollupsDeleteFirst": {"Atomicity/WriteDailyRollups", "changed the store", func(h *hooked) {
		h.writeDailyRollups = func(ctx context.Context, p *store.WriteDailyRollupsParams) error {
			if p != nil {
				q := *p
				q.Rows, q.Compat = nil, false
				if err := h.Store.WriteDailyRollups(context.Background(), &q); err != nil {
					return err
				}
			}
			return h.Store.WriteDailyRollups(ctx, p)
		}
	}},
	// Times come back in the local zone.
	"TotalsNotUTC": {"Precision", "want UTC", func(h *hooked) {
		h.listTotals = func(ctx context.Context, p *store.ListTotalsParams) ([]inventory.Totals, error) {
			out, err := h.Store.ListTotals(ctx, p)
			for i := range out {
				out[i].SnapshotTime = out[i].SnapshotTime.In(time.FixedZone("X", 3600))
			}
			return out, err
		}
	}},
	// Empty attributes come back as empty maps.
	"EmptyAttributesNotNil": {"WriteSnapshot/RoundTrip", "Attributes", func(h *hooked) {
		h.scanSamples = func(ctx context.Context, p *store.ScanSamplesParams, fn func(*inventory.Sample) error) error {
			return h.Store.ScanSamples(ctx, p, func(s *inventory.Sample) error {
				if s.Attributes == nil {
					s.Attributes = map[string]string{}
				}
				return fn(s)
			})
		}
	}},
	// ErrStopScan leaks out of the scan.
	"StopScanAsError": {"Samples/ScanStop", "want nil", func(h *hooked) {
		h.scanSamples = func(ctx context.Context, p *store.ScanSamplesParams, fn func(*inventory.Sample) error) error {
			err := h.Store.ScanSamples(ctx, p, func(s *inventory.Sample) error {
				if err := fn(s); errors.Is(err, store.ErrStopScan) {
					return errors.New("stopped")
				} else {
					return err
				}
			})
			return err
		}
	}},
	// Descending is ignored.
	"EventsIgnoreDescending": {"Events/AppendAndList", "ListEvents{Descending}", func(h *hooked) {
		h.listEvents = func(ctx context.Context, p *store.ListEventsParams) (*store.EventPage, error) {
			if p != nil {
				q := *p
				q.Descending = false
				p = &q
			}
			return h.Store.ListEvents(ctx, p)
		}
	}},
	// Missing VMs come back as (nil, nil).
	"GetVMNilNil": {"State/GetVM", "want one wrapping store.ErrNotFound", func(h *hooked) {
		h.getVM = func(ctx context.Context, p *store.GetVMParams) (*inventory.VM, error) {
			v, err := h.Store.GetVM(ctx, p)
			if errors.Is(err, store.ErrNotFound) {
				return nil, nil
			}
			return v, err
		}
	}},
	// Limit keeps the oldest rows.
	"TraceLimitOldest": {"Samples/TraceVM", "Limit keeps the newest", func(h *hooked) {
		h.traceVM = func(ctx context.Context, p *store.TraceVMParams) ([]inventory.Sample, error) {
			q := *p
			q.Limit = 1 << 30
			out, err := h.Store.TraceVM(ctx, &q)
			if p.Limit > 0 && len(out) > p.Limit {
				out = out[:p.Limit]
			}
			return out, err
		}
	}},
	// The Vcenter filter of a compat scan is ignored.
	"CompatIgnoresVcenter": {"Compat/WriteCompatHourly", "vc-b", func(h *hooked) {
		h.scanCompatHourly = func(ctx context.Context, p *store.ScanCompatParams, fn func(*inventory.Sample) error) error {
			q := *p
			q.Vcenter = ""
			return h.Store.ScanCompatHourly(ctx, &q, fn)
		}
	}},
	// Limit is ignored by ListSnapshots.
	"SnapshotsIgnoreLimit": {"Registry/RegisterAndList", "ListSnapshots{Limit: 2}", func(h *hooked) {
		h.listSnapshots = func(ctx context.Context, p *store.ListSnapshotsParams) ([]inventory.SnapshotRecord, error) {
			q := *p
			q.Limit = 0
			return h.Store.ListSnapshots(ctx, &q)
		}
	}},
	// CountSnapshots counts a record at a period's end in that period
	// (a closed interval, as a careless BETWEEN would).
	"CountSnapshotsClosedPeriods": {"SnapshotCounter", "CountSnapshots(days) differs", func(h *hooked) {
		h.countSnapshots = func(ctx context.Context, p *store.CountSnapshotsParams) ([]store.SnapshotCount, error) {
			q := *p
			q.Bounds = make([]time.Time, len(p.Bounds))
			for i, b := range p.Bounds {
				q.Bounds[i] = b.Add(time.Nanosecond)
			}
			return h.Store.CountSnapshots(ctx, &q)
		}
	}},
	// Audit pages drop their last entry.
	"ListAuditDropsLastOfPage": {"AuditLog/Paging", "want a full page of", func(h *hooked) {
		h.listAudit = func(ctx context.Context, p *store.ListAuditParams) (*store.AuditPage, error) {
			pg, err := h.Store.ListAudit(ctx, p)
			if err == nil && pg.NextCursor != "" && len(pg.Entries) > 0 {
				pg.Entries = pg.Entries[:len(pg.Entries)-1]
			}
			return pg, err
		}
	}},
	// Revoking a revoked token stamps it again.
	"RevokeTokenRestamps": {"TokenStore/Revoke", "keeps the first RevokedAt", func(h *hooked) {
		h.revokeToken = func(ctx context.Context, p *store.RevokeTokenParams) (*store.TokenInfo, error) {
			all, _ := h.Store.ListTokens(ctx, &store.ListTokensParams{IncludeRevoked: true})
			t, err := h.Store.RevokeToken(ctx, p)
			for _, old := range all {
				if err == nil && old.ID == t.ID && old.Revoked() {
					t.RevokedAt = time.Now().UTC().Truncate(time.Microsecond)
				}
			}
			return t, err
		}
	}},
	// QueryVMs and Search ignore the scope (the vCenters a caller may
	// read).
	"QueryIgnoresScope": {"Querier/Scope", "outside the scope", func(h *hooked) {
		h.queryVMs = func(ctx context.Context, p *store.QueryVMsParams) (*store.VMQueryPage, error) {
			q := *p
			q.Vcenters = nil
			return h.Store.QueryVMs(ctx, &q)
		}
	}},
	"SearchIgnoresScope": {"Querier/SearchScope", "outside the scope", func(h *hooked) {
		h.search = func(ctx context.Context, p *store.SearchParams) (*store.SearchResult, error) {
			q := *p
			q.Vcenters = nil
			return h.Store.Search(ctx, &q)
		}
	}},
	// EntitiesAsOf returns every vCenter's rows.
	"EntitiesAsOfIgnoresVcenter": {"EntityHistory/AsOf", "EntitiesAsOf only vc-b", func(h *hooked) {
		h.entitiesAsOf = func(ctx context.Context, p *store.EntitiesAsOfParams) (*store.EntityRows, error) {
			q := *p
			q.Vcenter = ""
			return h.Store.EntitiesAsOf(ctx, &q)
		}
	}},
	// EntitiesAsOf picks the first snapshot after the time when there is
	// one within the hour.
	"EntitiesAsOfPicksLater": {"EntityHistory/AsOf", "EntitiesAsOf between", func(h *hooked) {
		h.entitiesAsOf = func(ctx context.Context, p *store.EntitiesAsOfParams) (*store.EntityRows, error) {
			q := *p
			q.At = p.At.Add(time.Hour - time.Microsecond)
			return h.Store.EntitiesAsOf(ctx, &q)
		}
	}},
	// A rewritten snapshot keeps the rows the rewrite no longer holds.
	"EntityHistoryKeepsOldRows": {"EntityHistory/Rewrite", "EntitiesAsOf after a rewrite", func(h *hooked) {
		h.writeHistory = func(ctx context.Context, p *store.WriteEntityHistoryParams) error {
			old, err := h.Store.EntityHistoryRange(ctx, &store.EntityHistoryRangeParams{Vcenter: p.Vcenter,
				From: p.SnapshotTime, To: p.SnapshotTime.Add(time.Second)})
			if err != nil {
				return err
			}
			q := *p
			has := map[string]bool{}
			for _, x := range p.Hosts {
				has[x.ID] = true
			}
			for _, x := range p.Datastores {
				has[x.ID] = true
			}
			for _, x := range old.Hosts {
				if !has[x.ID] {
					q.Hosts = append(q.Hosts, x)
				}
			}
			for _, x := range old.Datastores {
				if !has[x.ID] {
					q.Datastores = append(q.Datastores, x)
				}
			}
			return h.Store.WriteEntityHistory(ctx, &q)
		}
	}},
	// The VMs a scope left out are not kept.
	"EntityHistoryDropsExcluded": {"EntityHistory/Range", "excluded VMs at t0+1h", func(h *hooked) {
		h.writeHistory = func(ctx context.Context, p *store.WriteEntityHistoryParams) error {
			q := *p
			q.Excluded = nil
			return h.Store.WriteEntityHistory(ctx, &q)
		}
	}},
	// WriteDetails keeps the stored VMs the new detail no longer holds.
	"DetailsKeepsOldVMs": {"Details/Replace", "ReadDetails(vc-a) after the next write", func(h *hooked) {
		h.writeDetails = func(ctx context.Context, p *store.WriteDetailsParams) error {
			if p == nil {
				return h.Store.WriteDetails(ctx, p)
			}
			old, err := h.Store.ReadDetails(ctx, &store.ReadDetailsParams{Vcenter: p.Vcenter, VMsOnly: true})
			if err != nil {
				return err
			}
			q := *p
			q.Details.VMs = slices.Clone(p.Details.VMs)
			for _, v := range old.VMs {
				if !slices.ContainsFunc(p.Details.VMs, func(n inventory.VMDetail) bool { return n.VMID == v.VMID }) {
					q.Details.VMs = append(q.Details.VMs, v)
				}
			}
			return h.Store.WriteDetails(ctx, &q)
		}
	}},
	// ReadDetails returns every VM whatever the VMIDs.
	"ReadDetailsIgnoresVMIDs": {"Details/Filter", "ReadDetails(vc-a, VMIDs vm-4 vm-2 vm-9)", func(h *hooked) {
		h.readDetails = func(ctx context.Context, p *store.ReadDetailsParams) (*inventory.Details, error) {
			if p == nil {
				return h.Store.ReadDetails(ctx, p)
			}
			q := *p
			q.VMIDs = nil
			return h.Store.ReadDetails(ctx, &q)
		}
	}},
	// ReadDetails returns each VM's disks by device key, not as written.
	"ReadDetailsSortsDisks": {"Details/Order", "ReadDetails(vc-a): detail differs", func(h *hooked) {
		h.readDetails = func(ctx context.Context, p *store.ReadDetailsParams) (*inventory.Details, error) {
			d, err := h.Store.ReadDetails(ctx, p)
			if err == nil {
				for i := range d.VMs {
					slices.SortFunc(d.VMs[i].Disks, func(a, b inventory.VirtualDisk) int { return int(a.Key - b.Key) })
				}
			}
			return d, err
		}
	}},
	// WriteDetails stores rows of another vCenter as its own.
	"WriteDetailsAdoptsRows": {"Details/InvalidParams", "want *store.InvalidParamsError", func(h *hooked) {
		h.writeDetails = func(ctx context.Context, p *store.WriteDetailsParams) error {
			if p == nil || p.Vcenter == "" {
				return h.Store.WriteDetails(ctx, p)
			}
			q := *p
			q.Details = inventory.Details{VMs: slices.Clone(p.Details.VMs), Hosts: slices.Clone(p.Details.Hosts),
				Clusters: slices.Clone(p.Details.Clusters), Datastores: slices.Clone(p.Details.Datastores),
				Switches: slices.Clone(p.Details.Switches)}
			for i := range q.Details.VMs {
				q.Details.VMs[i].Vcenter = p.Vcenter
			}
			for i := range q.Details.Hosts {
				q.Details.Hosts[i].Vcenter = p.Vcenter
			}
			for i := range q.Details.Clusters {
				q.Details.Clusters[i].Vcenter = p.Vcenter
			}
			for i := range q.Details.Datastores {
				q.Details.Datastores[i].Vcenter = p.Vcenter
			}
			for i := range q.Details.Switches {
				q.Details.Switches[i].Vcenter = p.Vcenter
			}
			return h.Store.WriteDetails(ctx, &q)
		}
	}},
	// WriteDetails keeps VM boot times to the second only.
	"DetailsBootTimeToSecond": {"Details/RoundTrip", "ReadDetails(vc-a): detail differs", func(h *hooked) {
		h.writeDetails = func(ctx context.Context, p *store.WriteDetailsParams) error {
			if p == nil {
				return h.Store.WriteDetails(ctx, p)
			}
			q := *p
			q.Details.VMs = slices.Clone(p.Details.VMs)
			for i := range q.Details.VMs {
				q.Details.VMs[i].BootTime = q.Details.VMs[i].BootTime.Truncate(time.Second)
			}
			return h.Store.WriteDetails(ctx, &q)
		}
	}},
	// ListChanges pages drop their last change.
	"ListChangesDropsLastOfPage": {"Live/Seq", "ListChanges(Limit 1) pages", func(h *hooked) {
		h.listChanges = func(ctx context.Context, p *store.ListChangesParams) (*store.ChangePage, error) {
			pg, err := h.Store.ListChanges(ctx, p)
			if err == nil && p != nil && p.Limit > 0 && len(pg.Changes) == p.Limit {
				pg.Changes = pg.Changes[:len(pg.Changes)-1]
			}
			return pg, err
		}
	}},
	// The Vcenter filter of ListChanges is ignored.
	"ListChangesIgnoresVcenter": {"Live/Seq", "ListChanges(vc-b)", func(h *hooked) {
		h.listChanges = func(ctx context.Context, p *store.ListChangesParams) (*store.ChangePage, error) {
			if p != nil {
				q := *p
				q.Vcenter = ""
				p = &q
			}
			return h.Store.ListChanges(ctx, p)
		}
	}},
	// ApplyChanges commits change by change: not atomic.
	"ApplyChangesPerChange": {"Live/Atomic", "changed the store", func(h *hooked) {
		h.applyChanges = func(ctx context.Context, p *store.ApplyChangesParams) (*store.ApplyChangesResult, error) {
			if p == nil || len(p.Changes) < 2 {
				return h.Store.ApplyChanges(ctx, p)
			}
			res := &store.ApplyChangesResult{}
			for i := range p.Changes {
				q := *p
				q.Changes = p.Changes[i : i+1]
				if i > 0 {
					q.Events = nil
				}
				r, err := h.Store.ApplyChanges(ctx, &q)
				if err != nil {
					return nil, err
				}
				if i == 0 {
					res.FirstSeq = r.FirstSeq
				}
				res.LastSeq, res.StateTime = r.LastSeq, r.StateTime
			}
			return res, nil
		}
	}},
	// Live events are appended like a capture's: not marked Live, an
	// event already stored keeps its old values.
	"LiveEventsAppended": {"Live/Events", "ListEvents after a live batch", func(h *hooked) {
		h.applyChanges = func(ctx context.Context, p *store.ApplyChangesParams) (*store.ApplyChangesResult, error) {
			if p == nil || len(p.Events) == 0 {
				return h.Store.ApplyChanges(ctx, p)
			}
			q := *p
			q.Events = nil
			res, err := h.Store.ApplyChanges(ctx, &q)
			if err != nil {
				return nil, err
			}
			return res, h.Store.AppendEvents(ctx, &store.AppendEventsParams{Events: p.Events})
		}
	}},
	// PruneChanges also deletes the rows at exactly Before.
	"PruneChangesInclusive": {"Live/Prune", "PruneChanges deleted", func(h *hooked) {
		h.pruneChanges = func(ctx context.Context, p *store.PruneChangesParams) (*store.PruneChangesResult, error) {
			if p != nil && !p.Before.IsZero() {
				q := *p
				q.Before = p.Before.Add(time.Microsecond)
				p = &q
			}
			return h.Store.PruneChanges(ctx, p)
		}
	}},
	// ApplyChanges adopts changes and events of another vCenter.
	"ApplyChangesAdoptsRows": {"Live/InvalidParams", "want *store.InvalidParamsError", func(h *hooked) {
		h.applyChanges = func(ctx context.Context, p *store.ApplyChangesParams) (*store.ApplyChangesResult, error) {
			if p == nil || p.Vcenter == "" {
				return h.Store.ApplyChanges(ctx, p)
			}
			q := *p
			q.Changes, q.Events = slices.Clone(p.Changes), slices.Clone(p.Events)
			for i := range q.Changes {
				q.Changes[i].Vcenter = p.Vcenter
			}
			for i := range q.Events {
				q.Events[i].Vcenter = p.Vcenter
			}
			return h.Store.ApplyChanges(ctx, &q)
		}
	}},
	// ApplyAlerts writes each alert in its own transaction: not atomic.
	"ApplyAlertsPerAlert": {"Alerts/ExpectStateConflict", "changed the store", func(h *hooked) {
		h.applyAlerts = func(ctx context.Context, p *store.ApplyAlertsParams) (*store.ApplyAlertsResult, error) {
			if p == nil || len(p.Alerts) < 2 {
				return h.Store.ApplyAlerts(ctx, p)
			}
			res := &store.ApplyAlertsResult{}
			for _, u := range p.Alerts {
				r, err := h.Store.ApplyAlerts(ctx, &store.ApplyAlertsParams{Alerts: []store.AlertUpdate{u}})
				if err != nil {
					return nil, err
				}
				res.Alerts = append(res.Alerts, r.Alerts...)
			}
			return res, nil
		}
	}},
	// Alert pages drop their last row.
	"ListAlertsDropsLastOfPage": {"Alerts/ListFilters", "newest first, filtered", func(h *hooked) {
		h.listAlerts = func(ctx context.Context, p *store.ListAlertsParams) (*store.AlertPage, error) {
			pg, err := h.Store.ListAlerts(ctx, p)
			if err == nil && pg.NextCursor != "" && len(pg.Alerts) > 0 {
				pg.Alerts = pg.Alerts[:len(pg.Alerts)-1]
			}
			return pg, err
		}
	}},
	// CountAlerts counts resolved alerts too.
	"CountAlertsCountsResolved": {"Alerts/Count", "CountAlerts(Vcenters", func(h *hooked) {
		h.countAlerts = func(ctx context.Context, p *store.CountAlertsParams) ([]store.AlertCount, error) {
			pg, err := h.Store.ListAlerts(ctx, &store.ListAlertsParams{Vcenters: p.Vcenters, Limit: 1000})
			if err != nil {
				return nil, err
			}
			m := map[store.AlertCount]int{}
			for _, a := range pg.Alerts {
				m[store.AlertCount{State: a.State, Severity: a.Severity}]++
			}
			var out []store.AlertCount
			for k, n := range m {
				k.Count = n
				out = append(out, k)
			}
			return out, nil
		}
	}},
	// A claim that finds nothing takes rows whose lease has not expired.
	"ClaimIgnoresLease": {"Alerts/Queue", "during d1's lease", func(h *hooked) {
		h.claim = func(ctx context.Context, p *store.ClaimNotificationsParams) ([]inventory.Notification, error) {
			got, err := h.Store.ClaimNotifications(ctx, p)
			if err == nil && len(got) == 0 {
				q := *p
				q.Now = p.Now.Add(2 * p.Lease)
				return h.Store.ClaimNotifications(ctx, &q)
			}
			return got, err
		}
	}},
	// FinishNotifications takes over rows another owner holds.
	"FinishByAnyOwner": {"Alerts/Queue", "notification #0", func(h *hooked) {
		h.finish = func(ctx context.Context, p *store.FinishNotificationsParams) error {
			if p != nil && p.Owner != "" {
				if _, err := h.Store.ClaimNotifications(ctx, &store.ClaimNotificationsParams{Owner: p.Owner,
					Now: time.Now().Add(1000 * time.Hour), Lease: time.Second, Limit: 1000}); err != nil {
					return err
				}
			}
			return h.Store.FinishNotifications(ctx, p)
		}
	}},
	// PutAlertRule stores an unknown kind as another.
	"PutAlertRuleAdoptsKind": {"Alerts/InvalidParams", "want *store.InvalidParamsError", func(h *hooked) {
		h.putAlertRule = func(ctx context.Context, p *store.PutAlertRuleParams) (*inventory.AlertRule, error) {
			if p != nil && !slices.Contains(inventory.AlertRuleKinds(), p.Rule.Kind) {
				q := *p
				q.Rule.Kind = inventory.RuleDataStale
				return h.Store.PutAlertRule(ctx, &q)
			}
			return h.Store.PutAlertRule(ctx, p)
		}
	}},
	// Raw buckets' P95 one rank too low.
	"MetricP95OffByOne": {"Metrics/RawDownsampling", "bucket 0 =", func(h *hooked) {
		h.queryMetrics = func(ctx context.Context, p *store.QueryMetricsParams) ([]inventory.MetricSeries, error) {
			return p95OffByOne(ctx, h.Store, p)
		}
	}},
	// WriteMetrics writes point by point: not all or nothing.
	"MetricWritePerPoint": {"Metrics/WriteAllOrNothing", "stored something", func(h *hooked) {
		h.writeMetrics = func(ctx context.Context, p *store.WriteMetricsParams) error {
			if p == nil {
				return h.Store.WriteMetrics(ctx, p)
			}
			for _, pt := range p.Points {
				if err := h.Store.WriteMetrics(ctx, &store.WriteMetricsParams{Points: []inventory.MetricPoint{pt}}); err != nil {
					return err
				}
			}
			return nil
		}
	}},
	// RollupMetrics always starts at the watermark: a late point is never
	// rolled up.
	"MetricRollupIgnoresFrom": {"Metrics/LatePoint", "after the rerun", func(h *hooked) {
		h.rollupMetrics = func(ctx context.Context, p *store.RollupMetricsParams) (*store.RollupMetricsResult, error) {
			if p != nil {
				q := *p
				q.From = time.Time{}
				p = &q
			}
			return h.Store.RollupMetrics(ctx, p)
		}
	}},
	// PruneMetrics deletes the raw point at the cutoff too.
	"MetricPruneInclusive": {"Metrics/Prune", "PruneMetrics =", func(h *hooked) {
		h.pruneMetrics = func(ctx context.Context, p *store.PruneMetricsParams) (*store.PruneMetricsResult, error) {
			if p != nil && !p.RawBefore.IsZero() {
				q := *p
				q.RawBefore = q.RawBefore.Add(time.Second)
				p = &q
			}
			return h.Store.PruneMetrics(ctx, p)
		}
	}},
	// Rollup-tier queries serve the stored rollups only: the hours past
	// the watermark are missing.
	"MetricQueryIgnoresRawPastWatermark": {"Metrics/HourRollup", "1h step after the rollup", func(h *hooked) {
		h.queryMetrics = func(ctx context.Context, p *store.QueryMetricsParams) ([]inventory.MetricSeries, error) {
			out, err := h.Store.QueryMetrics(ctx, p)
			if err != nil {
				return out, err
			}
			st, err := h.Store.MetricStats(ctx, &store.MetricStatsParams{})
			if err != nil {
				return nil, err
			}
			for i, s := range out {
				for _, ts := range st.Tiers {
					if ts.Tier == s.Tier && s.Tier != inventory.TierRaw {
						out[i].Buckets = slices.DeleteFunc(s.Buckets, func(b inventory.MetricBucket) bool { return !b.Start.Before(ts.Watermark) })
					}
				}
			}
			return out, nil
		}
	}},
	// The tier is never chosen: an empty Tier always means raw.
	"MetricTierAlwaysRaw": {"Metrics/TierChoice", "want hour", func(h *hooked) {
		h.queryMetrics = func(ctx context.Context, p *store.QueryMetricsParams) ([]inventory.MetricSeries, error) {
			if p != nil && p.Tier == "" {
				q := *p
				q.Tier = inventory.TierRaw
				p = &q
			}
			return h.Store.QueryMetrics(ctx, p)
		}
	}},
	// Close does nothing.
	"CloseNoop": {"Close", "wrapping store.ErrClosed", func(h *hooked) {
		h.close = func() error { return nil }
	}},
}

// TestMutant is the child side of TestSuiteCatchesMutants.
func TestMutant(t *testing.T) {
	name := os.Getenv("STORETEST_MUTANT")
	if name == "" {
		t.Skip("run by TestSuiteCatchesMutants")
	}
	m := mutants[name]
	storetest.Run(t, func(t *testing.T) store.Store {
		h := &hooked{Store: memstore.New()}
		m.make(h)
		return cleanup(t, h)
	})
}

func TestSuiteCatchesMutants(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the suite in child processes")
	}
	for name, m := range mutants {
		t.Run(name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestMutant$/^"+m.run, "-test.count=1", "-test.v")
			cmd.Env = append(os.Environ(), "STORETEST_MUTANT="+name)
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("the suite passed a backend with mutation %s:\n%s", name, tail(out))
			}
			if !strings.Contains(string(out), "--- FAIL") || !strings.Contains(string(out), m.wantErr) {
				t.Fatalf("mutation %s: want a failure mentioning %q, got:\n%s", name, m.wantErr, tail(out))
			}
			var caught []string
			for _, f := range regexp.MustCompile(`--- FAIL: (\S+)`).FindAllStringSubmatch(string(out), -1) {
				caught = append(caught, f[1])
			}
			t.Logf("caught by %s", caught[len(caught)-1])
		})
	}
}

func tail(b []byte) string {
	s := string(b)
	if len(s) > 4000 {
		s = "..." + s[len(s)-4000:]
	}
	return s
}

// TestMetrics runs the Metrics section on memstore.
func TestMetrics(t *testing.T) {
	storetest.RunSection(t, "Metrics", func(t *testing.T) store.Store { return cleanup(t, memstore.New()) })
}

// p95OffByOne is QueryMetrics with the P95 of raw-tier buckets taken one
// rank too low: it reads the points back one per minute and regroups them.
func p95OffByOne(ctx context.Context, st *memstore.Store, p *store.QueryMetricsParams) ([]inventory.MetricSeries, error) {
	out, err := st.QueryMetrics(ctx, p)
	if err != nil || p.Combine != store.CombineNone {
		return out, err
	}
	for i, s := range out {
		if s.Tier != inventory.TierRaw {
			continue
		}
		q := *p
		q.EntityIDs, q.Metrics, q.Step, q.Tier = []string{s.EntityID}, []inventory.Metric{s.Metric}, time.Minute, inventory.TierRaw
		pts, err := st.QueryMetrics(ctx, &q)
		if err != nil || len(pts) != 1 {
			return out, err
		}
		groups := map[time.Time][]float64{}
		for _, b := range pts[0].Buckets {
			start := driver.BucketStart(p.From, p.Step, b.Start)
			groups[start] = append(groups[start], b.Avg)
		}
		for j, b := range s.Buckets {
			vals := groups[b.Start]
			slices.Sort(vals)
			if r := driver.P95Rank(len(vals)); r > 1 {
				out[i].Buckets[j].P95 = vals[r-2]
			}
		}
	}
	return out, nil
}
