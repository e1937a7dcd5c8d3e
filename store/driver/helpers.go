package driver

import (
	"cmp"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

// Precision is the time resolution of the bundled backends.
const Precision = time.Microsecond

// NormTime returns t in UTC truncated to Precision; zero stays zero.
func NormTime(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC().Truncate(Precision)
}

// BatchSizeOr returns n, or DefaultBatchSize when n <= 0.
func BatchSizeOr(n int) int {
	if n <= 0 {
		return store.DefaultBatchSize
	}
	return n
}

// VMsPageSize is p.Limit with the default and maximum documented on
// store.ListVMsParams applied.
func VMsPageSize(p *store.ListVMsParams) int { return LimitOr(p.Limit, 1000, 10000) }

// LifecyclesPageSize is p.Limit with the default and maximum documented on
// store.ListLifecyclesParams applied.
func LifecyclesPageSize(p *store.ListLifecyclesParams) int { return LimitOr(p.Limit, 1000, 100000) }

// EventsPageSize is p.Limit with the default and maximum documented on
// store.ListEventsParams applied.
func EventsPageSize(p *store.ListEventsParams) int { return LimitOr(p.Limit, 100, 10000) }

// CheckEventsAfterID checks ListEventsParams.AfterID and the fields it
// excludes.
func CheckEventsAfterID(p *store.ListEventsParams) error {
	const op = "ListEvents"
	switch {
	case p.AfterID < 0:
		return Invalid(op, "AfterID", "must not be negative")
	case p.AfterID > 0 && p.Cursor != "":
		return Invalid(op, "Cursor", "must be empty with AfterID (page on with the last ID)")
	case p.AfterID > 0 && p.Descending:
		return Invalid(op, "Descending", "must be false with AfterID (events after an ID are in ID order)")
	}
	return nil
}

// TraceRowLimit is p.Limit with the default documented on
// store.TraceVMParams applied.
func TraceRowLimit(p *store.TraceVMParams) int { return LimitOr(p.Limit, 10000, math.MaxInt) }

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

// badString reports whether v cannot be stored by every backend: it holds a
// NUL byte (PostgreSQL text cannot) or is not valid UTF-8.
func badString(v string) string {
	if strings.IndexByte(v, 0) >= 0 {
		return "contains a NUL byte"
	}
	if !utf8.ValidString(v) {
		return "is not valid UTF-8"
	}
	return ""
}

func badFloat(v float64) bool { return math.IsNaN(v) || math.IsInf(v, 0) }

// CheckStrings returns an *InvalidParamsError naming field when any of vals
// holds a NUL byte or invalid UTF-8, which not every backend can store.
func CheckStrings(op, field string, vals ...string) error {
	for _, v := range vals {
		if r := badString(v); r != "" {
			return Invalid(op, field, r)
		}
	}
	return nil
}

// CheckMap is CheckStrings for every key and value of m.
func CheckMap(op, field string, m map[string]string) error {
	for k, v := range m {
		if err := CheckStrings(op, field, k, v); err != nil {
			return err
		}
	}
	return nil
}

// CheckFloats returns an *InvalidParamsError naming field when any of vals
// is NaN or infinite.
func CheckFloats(op, field string, vals ...float64) error {
	for _, v := range vals {
		if badFloat(v) {
			return Invalid(op, field, "must be a finite number")
		}
	}
	return nil
}

func indexed(prefix string, i int) string { return prefix + "[" + strconv.Itoa(i) + "]" }

// ValidateSample checks one sample; op and field name it in errors. It
// allocates nothing when the sample is valid.
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
	for _, v := range [...]string{s.Vcenter, s.VMID, s.VMUUID, s.Name, s.Datacenter, s.Cluster, s.Host,
		s.ResourcePool, s.Folder, string(s.PowerState), s.GuestOS, s.IPAddress} {
		if badString(v) != "" {
			return sampleStringError(op, field, s)
		}
	}
	for k, v := range s.Attributes {
		if badString(k) != "" || badString(v) != "" {
			return CheckMap(op, field+".Attributes", s.Attributes)
		}
	}
	if badFloat(s.ProvisionedDiskGB) || badFloat(s.UsedDiskGB) {
		return Invalid(op, field+".ProvisionedDiskGB/UsedDiskGB", "must be a finite number")
	}
	return nil
}

func sampleStringError(op, field string, s *inventory.Sample) error {
	for _, f := range []struct{ n, v string }{
		{"Vcenter", s.Vcenter}, {"VMID", s.VMID}, {"VMUUID", s.VMUUID}, {"Name", s.Name}, {"Datacenter", s.Datacenter},
		{"Cluster", s.Cluster}, {"Host", s.Host}, {"ResourcePool", s.ResourcePool}, {"Folder", s.Folder},
		{"PowerState", string(s.PowerState)}, {"GuestOS", s.GuestOS}, {"IPAddress", s.IPAddress},
	} {
		if err := CheckStrings(op, field+"."+f.n, f.v); err != nil {
			return err
		}
	}
	return nil
}

// ValidateSamples checks samples and that their keys are unique per
// (vcenter, snapshot_time) at second resolution.
func ValidateSamples(op string, samples []inventory.Sample) error {
	type key struct {
		vc, k string
		t     int64
	}
	seen := make(map[key]struct{}, len(samples))
	for i := range samples {
		s := &samples[i]
		if err := ValidateSample(op, "", s); err != nil {
			return prefixField(err, indexed("Samples", i))
		}
		k := key{s.Vcenter, s.Key(), store.SnapshotTime(s.SnapshotTime).Unix()}
		if _, dup := seen[k]; dup {
			return Invalid(op, indexed("Samples", i), fmt.Sprintf("duplicate VM key %q in one snapshot", s.Key()))
		}
		seen[k] = struct{}{}
	}
	return nil
}

// prefixField puts prefix before the field of an *InvalidParamsError.
func prefixField(err error, prefix string) error {
	if ip, ok := err.(*store.InvalidParamsError); ok {
		f := prefix + ip.Field
		if strings.HasPrefix(ip.Field, ".") || ip.Field == "" {
			return &store.InvalidParamsError{Op: ip.Op, Field: f, Reason: ip.Reason}
		}
		return &store.InvalidParamsError{Op: ip.Op, Field: prefix + "." + ip.Field, Reason: ip.Reason}
	}
	return err
}

// ValidateSnapshot checks WriteSnapshotParams: every row carries the
// snapshot's vcenter and time, keys are unique, state ids are non-empty and
// every string and float can be stored.
func ValidateSnapshot(p *store.WriteSnapshotParams) error {
	const op = "WriteSnapshot"
	if p == nil {
		return Invalid(op, "params", "must not be nil")
	}
	if p.Vcenter == "" {
		return Invalid(op, "Vcenter", "must not be empty")
	}
	if err := CheckStrings(op, "Vcenter", p.Vcenter); err != nil {
		return err
	}
	if p.SnapshotTime.IsZero() {
		return Invalid(op, "SnapshotTime", "must be set")
	}
	st := store.SnapshotTime(p.SnapshotTime)
	for i := range p.Samples {
		s := &p.Samples[i]
		if s.Vcenter != p.Vcenter {
			return Invalid(op, indexed("Samples", i)+".Vcenter", fmt.Sprintf("is %q, want the snapshot's %q", s.Vcenter, p.Vcenter))
		}
		if !store.SnapshotTime(s.SnapshotTime).Equal(st) {
			return Invalid(op, indexed("Samples", i)+".SnapshotTime", "differs from the snapshot's time")
		}
	}
	if err := ValidateSamples(op, p.Samples); err != nil {
		return err
	}
	if p.State != nil {
		if err := validateState(op, p.Vcenter, p.State); err != nil {
			return err
		}
	}
	t := &p.Totals
	if t.Vcenter != "" && t.Vcenter != p.Vcenter {
		return Invalid(op, "Totals.Vcenter", "differs from the snapshot's vcenter")
	}
	return CheckFloats(op, "Totals", t.RAMGBTotal, t.ProvisionedDiskGBTotal, t.DatastoreCapacityGB, t.DatastoreFreeGB)
}

func validateState(op, vcenter string, s *inventory.State) error {
	ids := func(kind string, n int, get func(int) (vc, id string)) error {
		seen := make(map[string]struct{}, n)
		for i := 0; i < n; i++ {
			vc, id := get(i)
			if vc != vcenter {
				return Invalid(op, indexed("State."+kind, i)+".Vcenter", fmt.Sprintf("is %q, want the snapshot's %q", vc, vcenter))
			}
			if id == "" {
				return Invalid(op, indexed("State."+kind, i)+".ID", "must not be empty")
			}
			if _, dup := seen[id]; dup {
				return Invalid(op, indexed("State."+kind, i)+".ID", fmt.Sprintf("duplicate id %q", id))
			}
			seen[id] = struct{}{}
		}
		return nil
	}
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
		v := &s.VMs[i]
		sm := v.Sample(v.SnapshotTime)
		sm.SnapshotTime = time.Unix(1, 0) // only the strings and floats matter here
		if sm.Vcenter != "" {
			if err := ValidateSample(op, "", &sm); err != nil {
				return prefixField(err, indexed("State.VMs", i))
			}
		}
		if err := CheckStrings(op, indexed("State.VMs", i), v.HostID, v.ResourcePoolID); err != nil {
			return err
		}
		if err := CheckStrings(op, indexed("State.VMs", i)+".DatastoreIDs/NetworkIDs", append(append([]string(nil), v.DatastoreIDs...), v.NetworkIDs...)...); err != nil {
			return err
		}
	}
	for i := range s.Hosts {
		h := &s.Hosts[i]
		if err := CheckStrings(op, indexed("State.Hosts", i), h.ID, h.Name, h.Datacenter, h.ClusterID, h.Cluster,
			h.ConnectionState, string(h.PowerState), h.Vendor, h.Model, h.CPUModel, h.Version, h.Build); err != nil {
			return err
		}
	}
	for i := range s.Clusters {
		c := &s.Clusters[i]
		if err := CheckStrings(op, indexed("State.Clusters", i), c.ID, c.Name, c.Datacenter); err != nil {
			return err
		}
	}
	for i := range s.Datastores {
		d := &s.Datastores[i]
		if err := CheckStrings(op, indexed("State.Datastores", i), append([]string{d.ID, d.Name, d.Datacenter, d.Type, d.URL}, d.HostIDs...)...); err != nil {
			return err
		}
		if err := CheckFloats(op, indexed("State.Datastores", i), d.CapacityGB, d.FreeGB, d.UncommittedGB); err != nil {
			return err
		}
	}
	for i := range s.Networks {
		n := &s.Networks[i]
		if err := CheckStrings(op, indexed("State.Networks", i), n.ID, n.Name, n.Datacenter, n.Kind, n.Switch, n.VLAN); err != nil {
			return err
		}
	}
	for i := range s.ResourcePools {
		r := &s.ResourcePools[i]
		if err := CheckStrings(op, indexed("State.ResourcePools", i), r.ID, r.Name, r.Path, r.Datacenter, r.ClusterID, r.Cluster, r.ParentID); err != nil {
			return err
		}
	}
	return nil
}

// ValidateUtilisation checks the utilisation of daily rows: finite
// figures and a UtilSamples that is not negative.
func ValidateUtilisation(op string, rows []inventory.DailyRollup) error {
	for i := range rows {
		u := &rows[i].Utilisation
		field := indexed("Rows", i) + ".Utilisation"
		if u.UtilSamples < 0 {
			return Invalid(op, field+".UtilSamples", "must not be negative")
		}
		if err := CheckFloats(op, field, u.AvgCPUMHz, u.PeakCPUMHz, u.AvgCPUPct, u.PeakCPUPct, u.AvgMemPct, u.PeakMemPct); err != nil {
			return err
		}
	}
	return nil
}

// ValidateRollupRows checks that rows belong to (vcenter, period), have
// unique, non-empty VM keys, and storable strings (Attributes included)
// and floats.
func ValidateRollupRows(op, vcenter string, period time.Time, n int, row func(int) (vc string, per time.Time, r *inventory.Rollup)) error {
	if vcenter == "" {
		return Invalid(op, "Vcenter", "must not be empty")
	}
	if err := CheckStrings(op, "Vcenter", vcenter); err != nil {
		return err
	}
	if period.IsZero() {
		return Invalid(op, "period", "must be set")
	}
	seen := make(map[string]struct{}, n)
	for i := 0; i < n; i++ {
		vc, per, r := row(i)
		field := indexed("Rows", i)
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
		if err := CheckStrings(op, field, r.VMKey, r.VMID, r.VMUUID, r.Name, r.Datacenter, r.Cluster, r.Host,
			r.ResourcePool, r.Folder, string(r.PowerState), r.GuestOS); err != nil {
			return err
		}
		if err := CheckMap(op, field+".Attributes", r.Attributes); err != nil {
			return err
		}
		if err := CheckFloats(op, field, r.AvgIsPresent, r.AvgPoweredOn, r.AvgVCPUCount, r.AvgRAMGB, r.AvgProvisionedDiskGB,
			r.AvgUsedDiskGB, r.PoolTinPct, r.PoolBronzePct, r.PoolSilverPct, r.PoolGoldPct); err != nil {
			return err
		}
	}
	return nil
}

// ValidateEvents checks events before they are appended.
func ValidateEvents(op string, events []inventory.Event) error {
	for i := range events {
		e := &events[i]
		field := indexed("Events", i)
		if e.Vcenter == "" {
			return Invalid(op, field+".Vcenter", "must not be empty")
		}
		if e.SnapshotTime.IsZero() {
			return Invalid(op, field+".SnapshotTime", "must be set")
		}
		if e.Kind == "" {
			return Invalid(op, field+".Kind", "must not be empty")
		}
		if err := CheckStrings(op, field, e.Vcenter, string(e.Kind), e.VMID, e.VMUUID, e.Name); err != nil {
			return err
		}
		if err := CheckMap(op, field+".Before", e.Before); err != nil {
			return err
		}
		if err := CheckMap(op, field+".After", e.After); err != nil {
			return err
		}
	}
	return nil
}

// ValidateEndpointEvents checks kept endpoint events.
func ValidateEndpointEvents(op string, events []inventory.EndpointEvent) error {
	for i := range events {
		e := &events[i]
		field := indexed("EndpointEvents", i)
		switch {
		case e.Vcenter == "":
			return Invalid(op, field+".Vcenter", "must not be empty")
		case e.VMID == "":
			return Invalid(op, field+".VMID", "must not be empty")
		case e.Kind == "":
			return Invalid(op, field+".Kind", "must not be empty")
		case e.Time.IsZero():
			return Invalid(op, field+".Time", "must be set")
		}
		if err := CheckStrings(op, field, e.Vcenter, e.VMID, e.Kind); err != nil {
			return err
		}
	}
	return nil
}

// ValidateLifecycles checks lifecycle rows.
func ValidateLifecycles(op string, rows []inventory.Lifecycle) error {
	seen := make(map[[2]string]struct{}, len(rows))
	for i := range rows {
		r := &rows[i]
		field := indexed("Lifecycles", i)
		if r.Vcenter == "" || r.VMID == "" {
			return Invalid(op, field, "needs Vcenter and VMID")
		}
		if err := CheckStrings(op, field, r.Vcenter, r.VMID, r.VMUUID, r.Name, string(r.CreationSource), string(r.DeletionSource)); err != nil {
			return err
		}
		k := [2]string{r.Vcenter, r.VMID}
		if _, dup := seen[k]; dup {
			return Invalid(op, field, fmt.Sprintf("duplicate VM %q", r.VMID))
		}
		seen[k] = struct{}{}
	}
	return nil
}

// ValidateRecord checks a snapshot registry record.
func ValidateRecord(op string, r *inventory.SnapshotRecord) error {
	if r.Vcenter == "" {
		return Invalid(op, "Record.Vcenter", "must not be empty")
	}
	if !r.Kind.Valid() {
		return Invalid(op, "Record.Kind", "must be hourly, daily or monthly")
	}
	if r.SnapshotTime.IsZero() {
		return Invalid(op, "Record.SnapshotTime", "must be set")
	}
	if r.RowCount < 0 {
		return Invalid(op, "Record.RowCount", "must not be negative")
	}
	return CheckStrings(op, "Record", r.Vcenter, r.TableName)
}

// ValidateCompatHourly checks WriteCompatHourlyParams.
func ValidateCompatHourly(p *store.WriteCompatHourlyParams) error {
	const op = "WriteCompatHourly"
	if p == nil || p.Vcenter == "" {
		return Invalid(op, "Vcenter", "must not be empty")
	}
	if p.SnapshotTime.IsZero() {
		return Invalid(op, "SnapshotTime", "must be set")
	}
	st := store.SnapshotTime(p.SnapshotTime)
	for i := range p.Samples {
		s := &p.Samples[i]
		if s.Vcenter != p.Vcenter {
			return Invalid(op, indexed("Samples", i)+".Vcenter", fmt.Sprintf("is %q, want %q", s.Vcenter, p.Vcenter))
		}
		if !store.SnapshotTime(s.SnapshotTime).Equal(st) {
			return Invalid(op, indexed("Samples", i)+".SnapshotTime", "differs from SnapshotTime")
		}
	}
	if err := CheckStrings(op, "Vcenter", p.Vcenter); err != nil {
		return err
	}
	return ValidateSamples(op, p.Samples)
}

// ValidateEndpoint checks an endpoint for UpsertEndpoint: its own
// validation (inventory.Endpoint.Validate, every field error folded into one
// *InvalidParamsError naming them all) plus storable strings. Errors never
// contain the credential or a URL password.
func ValidateEndpoint(op string, e *inventory.Endpoint) error {
	if err := e.Validate(); err != nil {
		return invalidFields(op, "Endpoint", err)
	}
	if err := CheckStrings(op, "Endpoint", e.Name, e.URL, string(e.Kind), e.Username, e.TLS.Thumbprint, e.TLS.CAFile); err != nil {
		return err
	}
	return CheckMap(op, "Endpoint.Tags", e.Tags)
}

// invalidFields folds the field errors of a Validate method into one
// *InvalidParamsError naming them all under prefix (e.g. "Endpoint.url").
func invalidFields(op, prefix string, err error) error {
	var fields, reasons []string
	for _, fe := range inventory.FieldErrors(err) {
		if fe.Field != "" {
			fields = append(fields, fe.Field)
			reasons = append(reasons, fe.Error())
		} else {
			reasons = append(reasons, fe.Reason)
		}
	}
	return Invalid(op, prefix+"."+strings.Join(fields, ","), strings.Join(reasons, "; "))
}

// ValidateCaptureStatus checks a capture status.
func ValidateCaptureStatus(op string, s *inventory.CaptureStatus) error {
	if s.Endpoint == "" {
		return Invalid(op, "Status.Endpoint", "must not be empty")
	}
	return CheckStrings(op, "Status", s.Endpoint, s.LastError)
}

// ---------------------------------------------------------------------------
// Cursors

// EncodeCursor returns an opaque page cursor for the given key values.
func EncodeCursor(parts ...string) string {
	enc := make([]string, len(parts))
	for i, p := range parts {
		enc[i] = base64.RawURLEncoding.EncodeToString([]byte(p)) // keeps any bytes exact
	}
	b, _ := json.Marshal(enc)
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
	for i, p := range parts {
		raw, err := base64.RawURLEncoding.DecodeString(p)
		if err != nil {
			return nil, Invalid(op, "Cursor", "is not a cursor returned by this method")
		}
		parts[i] = string(raw)
	}
	return parts, nil
}

// ---------------------------------------------------------------------------
// Compatibility tables

// ParseCompatTableName recognises a compatibility table name.
func ParseCompatTableName(name string) (store.CompatTable, bool) {
	for _, c := range []struct {
		prefix, layout string
		kind           store.CompatKind
	}{
		{"inventory_hourly_", "200601021504", store.CompatHourly},
		{"inventory_daily_summary_", "20060102", store.CompatDaily},
		{"inventory_monthly_summary_", "200601", store.CompatMonthly},
	} {
		rest, ok := strings.CutPrefix(name, c.prefix)
		if !ok || len(rest) != len(c.layout) {
			continue
		}
		t, err := time.ParseInLocation(c.layout, rest, time.UTC)
		if err != nil {
			return store.CompatTable{}, false
		}
		return store.CompatTable{Name: name, Kind: c.kind, Period: t}, true
	}
	return store.CompatTable{}, false
}

// FilterCompatTables keeps the tables matching p, sorted by (kind, period).
func FilterCompatTables(tables []store.CompatTable, p *store.ListCompatTablesParams) []store.CompatTable {
	var out []store.CompatTable
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

func sortCompat(ts []store.CompatTable) {
	rank := map[store.CompatKind]int{store.CompatHourly: 0, store.CompatDaily: 1, store.CompatMonthly: 2}
	slices.SortFunc(ts, func(a, b store.CompatTable) int {
		if c := cmp.Compare(rank[a.Kind], rank[b.Kind]); c != 0 {
			return c
		}
		return a.Period.Compare(b.Period)
	})
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
func ValidateAggregatePeriod(p *store.RefreshAggregateTotalsParams) error {
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

// ValidateCountSnapshots checks CountSnapshotsParams.
func ValidateCountSnapshots(p *store.CountSnapshotsParams) error {
	const op = "CountSnapshots"
	if p == nil || !p.Kind.Valid() {
		return Invalid(op, "Kind", "must be hourly, daily or monthly")
	}
	if len(p.Bounds) < 2 {
		return Invalid(op, "Bounds", "must hold at least two times")
	}
	for i, b := range p.Bounds {
		if b.IsZero() {
			return Invalid(op, "Bounds", fmt.Sprintf("bound %d is the zero time", i))
		}
		if i > 0 && !b.After(p.Bounds[i-1]) {
			return Invalid(op, "Bounds", fmt.Sprintf("bound %d is not after bound %d", i, i-1))
		}
	}
	return nil
}

// ValidatePutReport checks PutReportParams.
func ValidatePutReport(p *store.PutReportParams) error {
	const op = "PutReport"
	switch {
	case p == nil || p.Info.Key == "":
		return Invalid(op, "Info.Key", "must not be empty")
	case p.Info.Kind == "":
		return Invalid(op, "Info.Kind", "must not be empty")
	case p.Info.Period.IsZero():
		return Invalid(op, "Info.Period", "must not be the zero time")
	case p.Body == nil:
		return Invalid(op, "Body", "must not be nil")
	}
	return CheckStrings(op, "Info", p.Info.Key, p.Info.Kind, p.Info.Vcenter)
}

// ReportsPageSize is p.Limit with the default and maximum documented on
// store.ListReportsParams applied.
func ReportsPageSize(p *store.ListReportsParams) int { return LimitOr(p.Limit, 100, 1000) }

// ValidateDeleteReports checks DeleteReportsParams: something must be
// selected.
func ValidateDeleteReports(p *store.DeleteReportsParams) error {
	if p == nil || (len(p.Keys) == 0 && p.Before.IsZero()) {
		return Invalid("DeleteReports", "Keys", "select reports by Keys or Before")
	}
	return nil
}

// ReportPage cuts reports (sorted by key, up to limit+1 of them) to a page
// of limit, with the cursor of the next page when there are more.
func ReportPage(reports []store.ReportInfo, limit int) *store.ReportPage {
	page := &store.ReportPage{Reports: reports}
	if len(reports) > limit {
		page.Reports = reports[:limit]
		page.NextCursor = EncodeCursor(reports[limit-1].Key)
	}
	return page
}

// ReportHash hashes report bytes as store.ReportInfo.SHA256 records them.
func ReportHash() hash.Hash { return sha256.New() }

// ReportSum is the SHA256 field of a report hashed by h.
func ReportSum(h hash.Hash) string { return hex.EncodeToString(h.Sum(nil)) }

// ErrReportChanged is wrapped by a report reader's error when the report
// was replaced or deleted while it was read.
func ErrReportChanged(op, key string) error {
	return fmt.Errorf("store: %s %q: the report was replaced or deleted while it was read: %w", op, key, store.ErrNotFound)
}

// Invalid returns a *store.InvalidParamsError.
func Invalid(op, field, reason string) error {
	return &store.InvalidParamsError{Op: op, Field: field, Reason: reason}
}
