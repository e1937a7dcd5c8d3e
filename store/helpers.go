package store

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/accessvault/vinventory/inventory"
)

// This file holds the rules every backend shares, so each is written once.

// Precision is the time resolution of the bundled backends.
const Precision = time.Microsecond

// NormTime returns t in UTC truncated to Precision; zero stays zero.
func NormTime(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC().Truncate(Precision)
}

// SnapshotTime returns t in UTC truncated to a second, the resolution of
// snapshot times (SEMANTICS §1).
func SnapshotTime(t time.Time) time.Time { return t.UTC().Truncate(time.Second) }

// BatchSizeOr returns n, or DefaultBatchSize when n <= 0.
func BatchSizeOr(n int) int {
	if n <= 0 {
		return DefaultBatchSize
	}
	return n
}

// LimitOr clamps a page size: def when n <= 0, max when n > max.
func LimitOr(n, def, max int) int {
	if n <= 0 {
		return def
	}
	if n > max {
		return max
	}
	return n
}

func checkString(op, field, v string) error {
	if strings.IndexByte(v, 0) >= 0 {
		return Invalid(op, field, "contains a NUL byte")
	}
	return nil
}

func checkFloat(op, field string, v float64) error {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return Invalid(op, field, "must be a finite number")
	}
	return nil
}

// ValidateSample checks one sample; op and field prefix name it in errors.
func ValidateSample(op, field string, s *inventory.Sample) error {
	if s.Vcenter == "" {
		return Invalid(op, field+".Vcenter", "must not be empty")
	}
	if s.SnapshotTime.IsZero() {
		return Invalid(op, field+".SnapshotTime", "must be set")
	}
	if s.VMID == "" && s.VMUUID == "" && s.Name == "" {
		return Invalid(op, field, "needs a VMID, VMUUID or Name")
	}
	for _, f := range []struct{ n, v string }{
		{"Vcenter", s.Vcenter}, {"VMID", s.VMID}, {"VMUUID", s.VMUUID}, {"Name", s.Name}, {"Datacenter", s.Datacenter},
		{"Cluster", s.Cluster}, {"Host", s.Host}, {"ResourcePool", s.ResourcePool}, {"Folder", s.Folder},
		{"PowerState", s.PowerState}, {"GuestOS", s.GuestOS}, {"IPAddress", s.IPAddress},
	} {
		if err := checkString(op, field+"."+f.n, f.v); err != nil {
			return err
		}
	}
	for k, v := range s.Attributes {
		if err := checkString(op, field+".Attributes", k+v); err != nil {
			return err
		}
	}
	if err := checkFloat(op, field+".ProvisionedDiskGB", s.ProvisionedDiskGB); err != nil {
		return err
	}
	return checkFloat(op, field+".UsedDiskGB", s.UsedDiskGB)
}

// ValidateSamples checks samples and that their keys are unique per
// (vcenter, snapshot_time).
func ValidateSamples(op string, samples []inventory.Sample) error {
	type key struct {
		vc, k string
		t     int64
	}
	seen := make(map[key]struct{}, len(samples))
	for i := range samples {
		s := &samples[i]
		field := fmt.Sprintf("Samples[%d]", i)
		if err := ValidateSample(op, field, s); err != nil {
			return err
		}
		k := key{s.Vcenter, s.Key(), NormTime(SnapshotTime(s.SnapshotTime)).UnixMicro()}
		if _, dup := seen[k]; dup {
			return Invalid(op, field, fmt.Sprintf("duplicate VM key %q in one snapshot", s.Key()))
		}
		seen[k] = struct{}{}
	}
	return nil
}

// ValidateSnapshot checks WriteSnapshotParams: every row carries the
// snapshot's vcenter and time, keys are unique, state ids are non-empty.
func ValidateSnapshot(p *WriteSnapshotParams) error {
	const op = "WriteSnapshot"
	if p == nil {
		return Invalid(op, "params", "must not be nil")
	}
	if p.Vcenter == "" {
		return Invalid(op, "Vcenter", "must not be empty")
	}
	if err := checkString(op, "Vcenter", p.Vcenter); err != nil {
		return err
	}
	if p.SnapshotTime.IsZero() {
		return Invalid(op, "SnapshotTime", "must be set")
	}
	st := SnapshotTime(p.SnapshotTime)
	for i := range p.Samples {
		s := &p.Samples[i]
		if s.Vcenter != p.Vcenter {
			return Invalid(op, fmt.Sprintf("Samples[%d].Vcenter", i), fmt.Sprintf("is %q, want the snapshot's %q", s.Vcenter, p.Vcenter))
		}
		if !SnapshotTime(s.SnapshotTime).Equal(st) {
			return Invalid(op, fmt.Sprintf("Samples[%d].SnapshotTime", i), "differs from the snapshot's time")
		}
	}
	if err := ValidateSamples(op, p.Samples); err != nil {
		return err
	}
	if p.State != nil {
		ids := func(kind string, n int, get func(int) (vc, id string)) error {
			seen := make(map[string]struct{}, n)
			for i := 0; i < n; i++ {
				vc, id := get(i)
				field := fmt.Sprintf("State.%s[%d]", kind, i)
				if vc != p.Vcenter {
					return Invalid(op, field+".Vcenter", fmt.Sprintf("is %q, want the snapshot's %q", vc, p.Vcenter))
				}
				if id == "" {
					return Invalid(op, field+".ID", "must not be empty")
				}
				if _, dup := seen[id]; dup {
					return Invalid(op, field+".ID", fmt.Sprintf("duplicate id %q", id))
				}
				seen[id] = struct{}{}
			}
			return nil
		}
		s := p.State
		for _, err := range []error{
			ids("VMs", len(s.VMs), func(i int) (string, string) { return s.VMs[i].Vcenter, s.VMs[i].ID }),
			ids("Hosts", len(s.Hosts), func(i int) (string, string) { return s.Hosts[i].Vcenter, s.Hosts[i].ID }),
			ids("Clusters", len(s.Clusters), func(i int) (string, string) { return s.Clusters[i].Vcenter, s.Clusters[i].ID }),
			ids("Datastores", len(s.Datastores), func(i int) (string, string) { return s.Datastores[i].Vcenter, s.Datastores[i].ID }),
			ids("Networks", len(s.Networks), func(i int) (string, string) { return s.Networks[i].Vcenter, s.Networks[i].ID }),
			ids("ResourcePools", len(s.ResourcePools), func(i int) (string, string) { return s.ResourcePools[i].Vcenter, s.ResourcePools[i].ID }),
		} {
			if err != nil {
				return err
			}
		}
		for i := range s.VMs {
			if err := checkFloat(op, fmt.Sprintf("State.VMs[%d].ProvisionedDiskGB", i), s.VMs[i].ProvisionedDiskGB); err != nil {
				return err
			}
		}
	}
	if p.Totals.Vcenter != "" && p.Totals.Vcenter != p.Vcenter {
		return Invalid(op, "Totals.Vcenter", "differs from the snapshot's vcenter")
	}
	return nil
}

// ValidateRollupRows checks that rows belong to (vcenter, period) and have
// unique, non-empty VM keys.
func ValidateRollupRows(op, vcenter string, period time.Time, n int, row func(int) (vc string, per time.Time, r *inventory.Rollup)) error {
	if vcenter == "" {
		return Invalid(op, "Vcenter", "must not be empty")
	}
	if period.IsZero() {
		return Invalid(op, "period", "must be set")
	}
	seen := make(map[string]struct{}, n)
	for i := 0; i < n; i++ {
		vc, per, r := row(i)
		field := fmt.Sprintf("Rows[%d]", i)
		if vc != vcenter || r.Vcenter != vcenter {
			return Invalid(op, field+".Vcenter", fmt.Sprintf("want %q", vcenter))
		}
		if !NormTime(per).Equal(NormTime(period)) {
			return Invalid(op, field, "period differs from the params' period")
		}
		if r.VMKey == "" {
			return Invalid(op, field+".VMKey", "must not be empty")
		}
		if _, dup := seen[r.VMKey]; dup {
			return Invalid(op, field+".VMKey", fmt.Sprintf("duplicate %q", r.VMKey))
		}
		seen[r.VMKey] = struct{}{}
		for _, f := range []float64{r.AvgIsPresent, r.AvgPoweredOn, r.AvgVCPUCount, r.AvgRAMGB, r.AvgProvisionedDiskGB,
			r.AvgUsedDiskGB, r.PoolTinPct, r.PoolBronzePct, r.PoolSilverPct, r.PoolGoldPct} {
			if err := checkFloat(op, field, f); err != nil {
				return err
			}
		}
	}
	return nil
}

// ValidateEvents checks events before they are appended.
func ValidateEvents(op string, events []inventory.Event) error {
	for i := range events {
		e := &events[i]
		field := fmt.Sprintf("Events[%d]", i)
		if e.Vcenter == "" {
			return Invalid(op, field+".Vcenter", "must not be empty")
		}
		if e.SnapshotTime.IsZero() {
			return Invalid(op, field+".SnapshotTime", "must be set")
		}
		if e.Kind == "" {
			return Invalid(op, field+".Kind", "must not be empty")
		}
		for _, s := range []string{e.Vcenter, e.Kind, e.VMID, e.VMUUID, e.Name} {
			if err := checkString(op, field, s); err != nil {
				return err
			}
		}
	}
	return nil
}

// ValidateLifecycles checks lifecycle rows.
func ValidateLifecycles(op string, rows []inventory.Lifecycle) error {
	seen := make(map[[2]string]struct{}, len(rows))
	for i := range rows {
		r := &rows[i]
		field := fmt.Sprintf("Lifecycles[%d]", i)
		if r.Vcenter == "" || r.VMID == "" {
			return Invalid(op, field, "needs Vcenter and VMID")
		}
		k := [2]string{r.Vcenter, r.VMID}
		if _, dup := seen[k]; dup {
			return Invalid(op, field, fmt.Sprintf("duplicate VM %q", r.VMID))
		}
		seen[k] = struct{}{}
	}
	return nil
}

// ---------------------------------------------------------------------------
// Cursors

// EncodeCursor returns an opaque page cursor for the given key values.
func EncodeCursor(parts ...string) string {
	b, _ := json.Marshal(parts)
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodeCursor decodes a cursor made by EncodeCursor with n parts.
func DecodeCursor(op, cursor string, n int) ([]string, error) {
	if cursor == "" {
		return nil, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	var parts []string
	if err == nil {
		err = json.Unmarshal(b, &parts)
	}
	if err != nil || len(parts) != n {
		return nil, Invalid(op, "Cursor", "is not a cursor returned by this method")
	}
	return parts, nil
}

// ---------------------------------------------------------------------------
// Compatibility tables

// ParseCompatTableName recognises a compatibility table name.
func ParseCompatTableName(name string) (CompatTable, bool) {
	for _, c := range []struct {
		prefix, layout string
		kind           CompatKind
	}{
		{"inventory_hourly_", "200601021504", CompatHourly},
		{"inventory_daily_summary_", "20060102", CompatDaily},
		{"inventory_monthly_summary_", "200601", CompatMonthly},
	} {
		rest, ok := strings.CutPrefix(name, c.prefix)
		if !ok || len(rest) != len(c.layout) {
			continue
		}
		t, err := time.ParseInLocation(c.layout, rest, time.UTC)
		if err != nil {
			return CompatTable{}, false
		}
		return CompatTable{Name: name, Kind: c.kind, Period: t}, true
	}
	return CompatTable{}, false
}

// FilterCompatTables keeps the tables matching p, sorted by (kind, period).
func FilterCompatTables(tables []CompatTable, p *ListCompatTablesParams) []CompatTable {
	var out []CompatTable
	for _, t := range tables {
		if p != nil {
			if p.Kind != "" && t.Kind != p.Kind {
				continue
			}
			if !p.From.IsZero() && t.Period.Before(p.From) {
				continue
			}
			if !p.To.IsZero() && !t.Period.Before(p.To) {
				continue
			}
		}
		out = append(out, t)
	}
	sortCompat(out)
	return out
}

func sortCompat(ts []CompatTable) {
	rank := map[CompatKind]int{CompatHourly: 0, CompatDaily: 1, CompatMonthly: 2}
	for i := 1; i < len(ts); i++ {
		for j := i; j > 0; j-- {
			a, b := ts[j-1], ts[j]
			if rank[a.Kind] < rank[b.Kind] || (a.Kind == b.Kind && !a.Period.After(b.Period)) {
				break
			}
			ts[j-1], ts[j] = b, a
		}
	}
}

// ---------------------------------------------------------------------------
// Totals

// MeanTotals computes the aggregate of totals rows (SEMANTICS §6); ok is
// false when rows is empty. The sum runs in the given order, so callers
// pass rows ordered by snapshot_time for bit-identical results across
// backends.
func MeanTotals(vcenter string, g inventory.Granularity, periodStart time.Time, rows []inventory.Totals) (inventory.AggregateTotals, bool) {
	a := inventory.AggregateTotals{Vcenter: vcenter, Granularity: g, PeriodStart: NormTime(periodStart), SnapshotCount: len(rows)}
	if len(rows) == 0 {
		return a, false
	}
	for _, r := range rows {
		a.VMCount += float64(r.VMCount)
		a.TemplateCount += float64(r.TemplateCount)
		a.PoweredOnCount += float64(r.PoweredOnCount)
		a.VCPUTotal += float64(r.VCPUTotal)
		a.RAMGBTotal += r.RAMGBTotal
		a.ProvisionedDiskGBTotal += r.ProvisionedDiskGBTotal
		a.HostCount += float64(r.HostCount)
		a.ClusterCount += float64(r.ClusterCount)
		a.DatastoreCount += float64(r.DatastoreCount)
		a.DatastoreCapacityGB += r.DatastoreCapacityGB
		a.DatastoreFreeGB += r.DatastoreFreeGB
	}
	n := float64(len(rows))
	for _, f := range []*float64{&a.VMCount, &a.TemplateCount, &a.PoweredOnCount, &a.VCPUTotal, &a.RAMGBTotal,
		&a.ProvisionedDiskGBTotal, &a.HostCount, &a.ClusterCount, &a.DatastoreCount, &a.DatastoreCapacityGB, &a.DatastoreFreeGB} {
		*f /= n
	}
	return a, true
}

// ValidateAggregatePeriod checks RefreshAggregateTotalsParams.
func ValidateAggregatePeriod(p *RefreshAggregateTotalsParams) error {
	const op = "RefreshAggregateTotals"
	if p == nil || p.Vcenter == "" {
		return Invalid(op, "Vcenter", "must not be empty")
	}
	if !p.Granularity.Valid() {
		return Invalid(op, "Granularity", "must be hourly, daily or monthly")
	}
	if p.PeriodStart.IsZero() || !p.PeriodEnd.After(p.PeriodStart) {
		return Invalid(op, "PeriodEnd", "must be after PeriodStart")
	}
	return nil
}
