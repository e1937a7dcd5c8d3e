package storetest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

// Contents is everything a store holds, as read back through the Store
// interface, in each method's documented order. Two stores that received the
// same writes have equal Contents (compare them with Diff).
type Contents struct {
	Samples       []inventory.Sample
	VMs           []inventory.VM
	Hosts         []inventory.Host
	Clusters      []inventory.Cluster
	Datastores    []inventory.Datastore
	Networks      []inventory.Network
	ResourcePools []inventory.ResourcePool
	// StateTimes maps every vCenter known to the store (from its totals,
	// registry and latest-state rows) that has a latest-state inventory to
	// its StateTime.
	StateTimes      map[string]time.Time
	Totals          []inventory.Totals
	LatestTotals    []inventory.Totals
	AggregateTotals []inventory.AggregateTotals
	Snapshots       []inventory.SnapshotRecord
	Lifecycles      []inventory.Lifecycle
	Events          []inventory.Event
	DailyRollups    []inventory.DailyRollup
	MonthlyRollups  []inventory.MonthlyRollup
	Endpoints       []inventory.Endpoint
	CaptureStatus   []inventory.CaptureStatus
	// Compatibility tables (only when the store implements store.CompatTables): the
	// list, and the rows of each table by name.
	CompatTables  []store.CompatTable
	CompatHourly  map[string][]inventory.Sample
	CompatDaily   map[string][]inventory.DailyRollup
	CompatMonthly map[string][]inventory.MonthlyRollup
	// Reports (only when the store implements store.ReportCatalog): every
	// report's info; the SHA256 in each stands for its bytes, which are
	// read back and checked against it.
	Reports []store.ReportInfo
	// Tokens (revoked ones included), audit entries (newest first) and
	// rate cards, each only when the store implements store.TokenStore,
	// store.AuditLog or store.RateCardStore.
	Tokens    []store.TokenInfo
	Audit     []store.AuditEntry
	RateCards []inventory.RateCard
	// Details is every vCenter's detail, only when the store implements
	// store.Details.
	Details *inventory.Details
	// Changes is the change log, only when the store implements
	// store.LiveState.
	Changes []inventory.Change
}

// Dump reads everything st holds. It fails the test on any read error. The
// values are copies: later writes to st do not change them.
func Dump(t testing.TB, st store.Store) *Contents {
	t.Helper()
	c, err := DumpContext(context.Background(), st)
	if err != nil {
		t.Fatalf("Dump: %v", err)
	}
	return c
}

// DumpContext is Dump for code without a testing.TB: it returns the first
// read error, naming the method.
func DumpContext(ctx context.Context, st store.Store) (*Contents, error) {
	c := &Contents{StateTimes: map[string]time.Time{}}
	var err error
	wrap := func(op string, err error) error { return fmt.Errorf("%s: %w", op, err) }
	if c.Samples, err = scanSamples(ctx, st, &store.ScanSamplesParams{}); err != nil {
		return nil, wrap("ScanSamples", err)
	}
	for cursor := ""; ; {
		pg, err := st.ListVMs(ctx, &store.ListVMsParams{Limit: 10000, Cursor: cursor})
		if err != nil {
			return nil, wrap("ListVMs", err)
		}
		c.VMs = append(c.VMs, pg.VMs...)
		if cursor = pg.NextCursor; cursor == "" {
			break
		}
	}
	if c.Hosts, err = st.ListHosts(ctx, &store.ListHostsParams{}); err != nil {
		return nil, wrap("ListHosts", err)
	}
	if c.Clusters, err = st.ListClusters(ctx, &store.ListClustersParams{}); err != nil {
		return nil, wrap("ListClusters", err)
	}
	if c.Datastores, err = st.ListDatastores(ctx, &store.ListDatastoresParams{}); err != nil {
		return nil, wrap("ListDatastores", err)
	}
	if c.Networks, err = st.ListNetworks(ctx, &store.ListNetworksParams{}); err != nil {
		return nil, wrap("ListNetworks", err)
	}
	if c.ResourcePools, err = st.ListResourcePools(ctx, &store.ListResourcePoolsParams{}); err != nil {
		return nil, wrap("ListResourcePools", err)
	}
	if c.Totals, err = st.ListTotals(ctx, &store.ListTotalsParams{}); err != nil {
		return nil, wrap("ListTotals", err)
	}
	if c.LatestTotals, err = st.LatestTotals(ctx, &store.LatestTotalsParams{}); err != nil {
		return nil, wrap("LatestTotals", err)
	}
	if c.AggregateTotals, err = st.ListAggregateTotals(ctx, &store.ListAggregateTotalsParams{}); err != nil {
		return nil, wrap("ListAggregateTotals", err)
	}
	if c.Snapshots, err = st.ListSnapshots(ctx, &store.ListSnapshotsParams{}); err != nil {
		return nil, wrap("ListSnapshots", err)
	}
	for cursor := ""; ; {
		pg, err := st.ListLifecycles(ctx, &store.ListLifecyclesParams{Limit: 10000, Cursor: cursor})
		if err != nil {
			return nil, wrap("ListLifecycles", err)
		}
		c.Lifecycles = append(c.Lifecycles, pg.Lifecycles...)
		if cursor = pg.NextCursor; cursor == "" {
			break
		}
	}
	for cursor := ""; ; {
		pg, err := st.ListEvents(ctx, &store.ListEventsParams{Limit: 10000, Cursor: cursor})
		if err != nil {
			return nil, wrap("ListEvents", err)
		}
		c.Events = append(c.Events, pg.Events...)
		if cursor = pg.NextCursor; cursor == "" {
			break
		}
	}
	if err = st.ScanDailyRollups(ctx, &store.ScanRollupsParams{}, func(r *inventory.DailyRollup) error {
		x := *r
		x.Attributes = maps.Clone(r.Attributes)
		c.DailyRollups = append(c.DailyRollups, x)
		return nil
	}); err != nil {
		return nil, wrap("ScanDailyRollups", err)
	}
	if err = st.ScanMonthlyRollups(ctx, &store.ScanRollupsParams{}, func(r *inventory.MonthlyRollup) error {
		x := *r
		x.Attributes = maps.Clone(r.Attributes)
		c.MonthlyRollups = append(c.MonthlyRollups, x)
		return nil
	}); err != nil {
		return nil, wrap("ScanMonthlyRollups", err)
	}
	if c.Endpoints, err = st.ListEndpoints(ctx, &store.ListEndpointsParams{}); err != nil {
		return nil, wrap("ListEndpoints", err)
	}
	for i := range c.Endpoints {
		c.Endpoints[i].Credential = slices.Clone(c.Endpoints[i].Credential)
		c.Endpoints[i].Tags = maps.Clone(c.Endpoints[i].Tags)
	}
	if c.CaptureStatus, err = st.ListCaptureStatus(ctx, &store.ListCaptureStatusParams{}); err != nil {
		return nil, wrap("ListCaptureStatus", err)
	}

	if ls, ok := st.(store.LiveState); ok {
		for after := int64(0); ; {
			pg, err := ls.ListChanges(ctx, &store.ListChangesParams{AfterSeq: after, Limit: 10000})
			if err != nil {
				return nil, wrap("ListChanges", err)
			}
			if len(pg.Changes) == 0 {
				break
			}
			c.Changes = append(c.Changes, pg.Changes...)
			after = pg.Changes[len(pg.Changes)-1].Seq
		}
	}

	vcenters := map[string]bool{}
	for _, x := range c.Changes {
		vcenters[x.Vcenter] = true
	}
	for _, x := range c.Clusters {
		vcenters[x.Vcenter] = true
	}
	for _, x := range c.Datastores {
		vcenters[x.Vcenter] = true
	}
	for _, x := range c.Networks {
		vcenters[x.Vcenter] = true
	}
	for _, x := range c.ResourcePools {
		vcenters[x.Vcenter] = true
	}
	for _, x := range c.Totals {
		vcenters[x.Vcenter] = true
	}
	for _, x := range c.Snapshots {
		vcenters[x.Vcenter] = true
	}
	for _, x := range c.VMs {
		vcenters[x.Vcenter] = true
	}
	for _, x := range c.Hosts {
		vcenters[x.Vcenter] = true
	}
	for _, vc := range slices.Sorted(maps.Keys(vcenters)) {
		st, err := st.StateTime(ctx, vc)
		switch {
		case errors.Is(err, store.ErrNotFound):
		case err != nil:
			return nil, wrap("StateTime", err)
		default:
			c.StateTimes[vc] = st
		}
	}

	if ct, ok := st.(store.CompatTables); ok {
		if c.CompatTables, err = ct.ListCompatTables(ctx, &store.ListCompatTablesParams{}); err != nil {
			return nil, wrap("ListCompatTables", err)
		}
		c.CompatHourly = map[string][]inventory.Sample{}
		c.CompatDaily = map[string][]inventory.DailyRollup{}
		c.CompatMonthly = map[string][]inventory.MonthlyRollup{}
		for _, tb := range c.CompatTables {
			switch tb.Kind {
			case store.CompatHourly:
				var rows []inventory.Sample
				if err := ct.ScanCompatHourly(ctx, &store.ScanCompatParams{Name: tb.Name}, func(s *inventory.Sample) error {
					rows = append(rows, copySample(s))
					return nil
				}); err != nil {
					return nil, wrap("ScanCompatHourly "+tb.Name, err)
				}
				c.CompatHourly[tb.Name] = rows
			case store.CompatDaily:
				rows, err := ct.ReadCompatDaily(ctx, &store.ScanCompatParams{Name: tb.Name})
				if err != nil {
					return nil, wrap("ReadCompatDaily "+tb.Name, err)
				}
				c.CompatDaily[tb.Name] = rows
			case store.CompatMonthly:
				rows, err := ct.ReadCompatMonthly(ctx, &store.ScanCompatParams{Name: tb.Name})
				if err != nil {
					return nil, wrap("ReadCompatMonthly "+tb.Name, err)
				}
				c.CompatMonthly[tb.Name] = rows
			}
		}
	}
	if ds, ok := st.(store.Details); ok {
		if c.Details, err = ds.ReadDetails(ctx, &store.ReadDetailsParams{}); err != nil {
			return nil, wrap("ReadDetails", err)
		}
	}
	if rc, ok := st.(store.ReportCatalog); ok {
		if c.Reports, err = dumpReports(ctx, rc); err != nil {
			return nil, err
		}
	}
	if err := dumpAdmin(ctx, st, c); err != nil {
		return nil, err
	}
	return c, nil
}

// dumpReports lists every report and reads its bytes back, failing when
// they do not match the report's size and SHA256.
func dumpReports(ctx context.Context, rc store.ReportCatalog) ([]store.ReportInfo, error) {
	var out []store.ReportInfo
	for cursor := ""; ; {
		pg, err := rc.ListReports(ctx, &store.ListReportsParams{Limit: 1000, Cursor: cursor})
		if err != nil {
			return nil, fmt.Errorf("ListReports: %w", err)
		}
		out = append(out, pg.Reports...)
		if cursor = pg.NextCursor; cursor == "" {
			break
		}
	}
	for _, info := range out {
		_, r, err := rc.OpenReport(ctx, &store.OpenReportParams{Key: info.Key})
		if err != nil {
			return nil, fmt.Errorf("OpenReport %q: %w", info.Key, err)
		}
		h := sha256.New()
		n, err := io.Copy(h, r)
		r.Close()
		if err != nil {
			return nil, fmt.Errorf("OpenReport %q: read: %w", info.Key, err)
		}
		if sum := hex.EncodeToString(h.Sum(nil)); n != info.Size || sum != info.SHA256 {
			return nil, fmt.Errorf("OpenReport %q: read %d bytes with SHA-256 %s; ListReports says %d bytes, %s", info.Key, n, sum, info.Size, info.SHA256)
		}
	}
	return out, nil
}

// Diff returns a human-readable difference between two dumps (-a +b), or ""
// when they are equal. Times compare with time.Time.Equal; a nil and an
// empty list returned by a method compare equal, nil and empty values
// inside rows (Attributes, ids, ...) do not.
func Diff(a, b *Contents) string {
	return cmp.Diff(topLevelNil(a), topLevelNil(b))
}

// topLevelNil returns a copy of c whose empty lists are nil.
func topLevelNil(c *Contents) *Contents {
	if c == nil {
		return nil
	}
	cp := *c
	v := reflect.ValueOf(&cp).Elem()
	for i := 0; i < v.NumField(); i++ {
		f := v.Field(i)
		switch f.Kind() {
		case reflect.Slice:
			if f.Len() == 0 {
				f.Set(reflect.Zero(f.Type()))
			}
		case reflect.Map:
			if f.Len() == 0 {
				f.Set(reflect.Zero(f.Type()))
				continue
			}
			m := reflect.MakeMapWithSize(f.Type(), f.Len())
			iter := f.MapRange()
			for iter.Next() {
				val := iter.Value()
				if val.Kind() == reflect.Slice && val.Len() == 0 {
					val = reflect.Zero(val.Type())
				}
				m.SetMapIndex(iter.Key(), val)
			}
			f.Set(m)
		}
	}
	return &cp
}

func copySample(s *inventory.Sample) inventory.Sample {
	c := *s
	c.Attributes = maps.Clone(s.Attributes)
	return c
}

func scanSamples(ctx context.Context, st store.Store, p *store.ScanSamplesParams) ([]inventory.Sample, error) {
	var out []inventory.Sample
	err := st.ScanSamples(ctx, p, func(s *inventory.Sample) error {
		out = append(out, copySample(s))
		return nil
	})
	return out, err
}

// ---------------------------------------------------------------------------
// Time checks

// checkTimes walks v and reports every time.Time that is not in UTC or not
// truncated to prec. Zero times are fine.
func checkTimes(t testing.TB, what string, v any, prec time.Duration) {
	t.Helper()
	var bad []string
	walkTimes(reflect.ValueOf(v), what, func(path string, tm time.Time) {
		if tm.IsZero() {
			if tm != (time.Time{}) {
				bad = append(bad, fmt.Sprintf("%s: zero time with location %v (want time.Time{})", path, tm.Location()))
			}
			return
		}
		if tm.Location() != time.UTC {
			bad = append(bad, fmt.Sprintf("%s = %v: location %q, want UTC", path, tm, tm.Location()))
		}
		if !tm.Equal(tm.Truncate(prec)) {
			bad = append(bad, fmt.Sprintf("%s = %v: not truncated to %v", path, tm.Format(time.RFC3339Nano), prec))
		}
	})
	for i, b := range bad {
		if i == 10 {
			t.Errorf("... and %d more time errors", len(bad)-10)
			break
		}
		t.Errorf("%s", b)
	}
}

var timeType = reflect.TypeOf(time.Time{})

func walkTimes(v reflect.Value, path string, fn func(string, time.Time)) {
	if !v.IsValid() {
		return
	}
	if v.Type() == timeType {
		fn(path, v.Interface().(time.Time))
		return
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			walkTimes(v.Elem(), path, fn)
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if f := v.Type().Field(i); f.IsExported() {
				name := path + "." + f.Name
				if f.Anonymous {
					name = path
				}
				walkTimes(v.Field(i), name, fn)
			}
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			walkTimes(v.Index(i), fmt.Sprintf("%s[%d]", path, i), fn)
		}
	case reflect.Map:
		iter := v.MapRange()
		for iter.Next() {
			walkTimes(iter.Value(), fmt.Sprintf("%s[%v]", path, iter.Key()), fn)
		}
	}
}
