package report

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

// Kind is the kind of a report.
type Kind string

// The report kinds.
const (
	// KindHourly is one vCenter snapshot: a VMs sheet plus Hosts, Clusters
	// and Datastores sheets.
	KindHourly Kind = "hourly"
	// KindDaily is the daily summary (vm_daily_rollup) of one day, of every
	// vCenter or of one.
	KindDaily Kind = "daily"
	// KindMonthly is the monthly summary: billable vCPU-, RAM- and
	// disk-days per VM, with subtotals per pool tier and per cluster.
	KindMonthly Kind = "monthly"
	// KindTotals is vCenter totals for a granularity (hourly, daily,
	// monthly) over [From, To).
	KindTotals Kind = "totals"
	// KindTrace is one VM's history (samples), lifecycle and events.
	KindTrace Kind = "trace"
	// KindAsOf is the inventory as of a past snapshot, in RVTools-style
	// sheets vInfo, vHost, vDatastore and vCluster.
	KindAsOf Kind = "asof"
	// KindChanges is the changes between two dates: added, removed and
	// changed VMs with before/after values.
	KindChanges Kind = "changes"
	// KindRVTools is an RVTools-compatible workbook (the 20 sheets vInfo
	// to vHealth with RVTools 4.7's headers) of one vCenter or every
	// vCenter, now (SnapshotTime zero) or as of a past snapshot.
	KindRVTools Kind = "rvtools"
	// KindRightSizing is the right-sizing of the VMs of one vCenter or of
	// every vCenter over [From, To) (metrics.RightSize with default
	// thresholds; WriteRightSizing takes others). The store must keep
	// metrics (metrics.RightSizeStore).
	KindRightSizing Kind = "rightsizing"
)

// Kinds returns every report kind, in a new slice.
func Kinds() []Kind {
	return []Kind{KindHourly, KindDaily, KindMonthly, KindTotals, KindTrace, KindAsOf, KindChanges, KindRVTools, KindRightSizing}
}

// Valid reports whether k is one of Kinds.
func (k Kind) Valid() bool {
	for _, x := range Kinds() {
		if k == x {
			return true
		}
	}
	return false
}

// Request says which report to write.
type Request struct {
	Kind Kind
	// Vcenter limits the report to one vCenter. Empty means every vCenter
	// where the kind allows it; hourly, asof and trace need one.
	Vcenter string
	// SnapshotTime is the snapshot of an hourly report, or the time an asof
	// or rvtools report looks back to (the latest snapshot at or before it
	// is used); an rvtools report without it shows the latest state.
	SnapshotTime time.Time
	// Period is the day of a daily report or the month of a monthly report.
	// Any instant inside the period selects it; the period is cut in
	// Options.Location. FileName formats Period in its own location, so
	// pass it in Options.Location (WriteFile does this for you).
	Period time.Time
	// Granularity is the granularity of a totals report.
	Granularity inventory.Granularity
	// From and To bound a totals report to [From, To); for a changes report
	// they are the two dates compared (the snapshot at or before each).
	From, To time.Time
	// VMID, VMUUID and VMName select the VM of a trace report: the first
	// non-empty one wins.
	VMID, VMUUID, VMName string
}

// Validate checks that r names a report that can be written. Errors are
// *Error values with Stage "validate" and Field naming the bad field.
func (r Request) Validate() error {
	bad := func(field, format string, args ...any) error {
		return &Error{Kind: r.Kind, Stage: StageValidate, Field: field, Err: fmt.Errorf("%w: "+format, append([]any{ErrInvalidRequest}, args...)...)}
	}
	if !r.Kind.Valid() {
		return bad("Kind", "unknown report kind %q (want one of hourly, daily, monthly, totals, trace, asof, changes, rvtools, rightsizing)", string(r.Kind))
	}
	for _, f := range []struct{ name, v string }{{"Vcenter", r.Vcenter}, {"VMID", r.VMID}, {"VMUUID", r.VMUUID}, {"VMName", r.VMName}} {
		if !utf8.ValidString(f.v) || strings.ContainsRune(f.v, 0) {
			return bad(f.name, "must be valid UTF-8 without NUL bytes")
		}
	}
	needVC := func() error {
		if r.Vcenter == "" {
			return bad("Vcenter", "a %s report needs one vCenter", r.Kind)
		}
		return nil
	}
	switch r.Kind {
	case KindHourly, KindAsOf:
		if err := needVC(); err != nil {
			return err
		}
		if r.SnapshotTime.IsZero() {
			return bad("SnapshotTime", "is required for a %s report", r.Kind)
		}
	case KindDaily, KindMonthly:
		if r.Period.IsZero() {
			return bad("Period", "is required for a %s report", r.Kind)
		}
	case KindTotals:
		if !r.Granularity.Valid() {
			return bad("Granularity", "%q is not hourly, daily or monthly", string(r.Granularity))
		}
		if err := r.checkRange(bad); err != nil {
			return err
		}
	case KindChanges, KindRightSizing:
		if err := r.checkRange(bad); err != nil {
			return err
		}
	case KindTrace:
		if err := needVC(); err != nil {
			return err
		}
		if r.VMID == "" && r.VMUUID == "" && r.VMName == "" {
			return bad("VMID", "a trace report needs VMID, VMUUID or VMName")
		}
	}
	return nil
}

func (r Request) checkRange(bad func(field, format string, args ...any) error) error {
	if r.From.IsZero() {
		return bad("From", "is required for a %s report", r.Kind)
	}
	if r.To.IsZero() {
		return bad("To", "is required for a %s report", r.Kind)
	}
	if !r.From.Before(r.To) {
		return bad("To", "must be after From (From %s, To %s)", r.From.UTC().Format(time.RFC3339), r.To.UTC().Format(time.RFC3339))
	}
	return nil
}

// FileName returns the report's stable file name, following the
// compatibility table names:
//
//	hourly   inventory_hourly_<YYYYMMDDHHMM>_<vcenter>.xlsx (snapshot time in UTC)
//	daily    inventory_daily_summary_<YYYYMMDD>[_<vcenter>].xlsx
//	monthly  inventory_monthly_summary_<YYYYMM>[_<vcenter>].xlsx
//	totals   vcenter_totals_<granularity>_<from>_<to>[_<vcenter>].xlsx
//	trace    vm_trace_<vcenter>_<vm>.xlsx
//	asof     inventory_asof_<YYYYMMDDHHMM>_<vcenter>.xlsx (UTC)
//	changes  inventory_changes_<from>_<to>[_<vcenter>].xlsx
//	rvtools  rvtools_latest[_<vcenter>].xlsx, or rvtools_<YYYYMMDDHHMM>[_<vcenter>].xlsx as of SnapshotTime (UTC)
//	rightsizing  vm_rightsizing_<from>_<to>[_<vcenter>].xlsx
//
// Daily and monthly periods are formatted in Period's own location. From
// and To are formatted as YYYYMMDD when both are midnight in their own
// location, else as YYYYMMDDHHMM in UTC. vCenter and VM parts are
// sanitised: only ASCII letters, digits, '.', '-' and '_' are kept, and a
// part that had to be changed gets a short hash of the original so that
// different names never share a file. The result never contains a path
// separator and never starts with a dot. An invalid request still gets a
// name (of its kind), but Write refuses it.
func (r Request) FileName() string {
	var b strings.Builder
	vcPart := func() {
		if r.Vcenter != "" {
			b.WriteString("_")
			b.WriteString(sanitize(r.Vcenter))
		}
	}
	switch r.Kind {
	case KindHourly:
		b.WriteString("inventory_hourly_")
		b.WriteString(r.SnapshotTime.UTC().Format("200601021504"))
		vcPart()
	case KindDaily:
		b.WriteString("inventory_daily_summary_")
		b.WriteString(r.Period.Format("20060102"))
		vcPart()
	case KindMonthly:
		b.WriteString("inventory_monthly_summary_")
		b.WriteString(r.Period.Format("200601"))
		vcPart()
	case KindTotals:
		b.WriteString("vcenter_totals_")
		b.WriteString(sanitize(string(r.Granularity)))
		b.WriteString("_")
		b.WriteString(rangePart(r.From, r.To))
		vcPart()
	case KindTrace:
		b.WriteString("vm_trace_")
		b.WriteString(sanitize(r.Vcenter))
		b.WriteString("_")
		b.WriteString(sanitize(r.vmSelector()))
	case KindAsOf:
		b.WriteString("inventory_asof_")
		b.WriteString(r.SnapshotTime.UTC().Format("200601021504"))
		vcPart()
	case KindChanges:
		b.WriteString("inventory_changes_")
		b.WriteString(rangePart(r.From, r.To))
		vcPart()
	case KindRVTools:
		b.WriteString("rvtools_")
		if r.SnapshotTime.IsZero() {
			b.WriteString("latest")
		} else {
			b.WriteString(r.SnapshotTime.UTC().Format("200601021504"))
		}
		vcPart()
	case KindRightSizing:
		b.WriteString("vm_rightsizing_")
		b.WriteString(rangePart(r.From, r.To))
		vcPart()
	default:
		b.WriteString("report_")
		b.WriteString(sanitize(string(r.Kind)))
	}
	b.WriteString(".xlsx")
	return b.String()
}

// vmSelector is the trace selector that wins: VMID, else VMUUID, else
// VMName.
func (r Request) vmSelector() string {
	switch {
	case r.VMID != "":
		return r.VMID
	case r.VMUUID != "":
		return r.VMUUID
	default:
		return r.VMName
	}
}

func rangePart(from, to time.Time) string {
	midnight := func(t time.Time) bool {
		h, m, s := t.Clock()
		return h == 0 && m == 0 && s == 0 && t.Nanosecond() == 0
	}
	if midnight(from) && midnight(to) {
		return from.Format("20060102") + "_" + to.Format("20060102")
	}
	return from.UTC().Format("200601021504") + "_" + to.UTC().Format("200601021504")
}

// maxPart caps a sanitised name part, before its hash suffix.
const maxPart = 48

// sanitize makes s safe as part of a file name. Parts that are kept as
// they are stay readable; parts that had to be changed (or were empty or
// too long) get "-" and 8 hex digits of the SHA-256 of the original.
func sanitize(s string) string {
	var b strings.Builder
	changed := s == ""
	for _, c := range s {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_':
			b.WriteRune(c)
		case c == '.' && b.Len() > 0 && isAlnum(b.String()[b.Len()-1]):
			b.WriteRune(c) // never leading, never "..": no hidden files, no parent dirs

		default:
			b.WriteByte('_')
			changed = true
		}
	}
	out := b.String()
	if len(out) > maxPart {
		out, changed = out[:maxPart], true
	}
	if changed {
		sum := sha256.Sum256([]byte(s))
		out += "-" + hex.EncodeToString(sum[:4])
	}
	return out
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// Options tune how reports are written.
type Options struct {
	// Location cuts days and months and is the zone dates are shown in.
	// Defaults to UTC.
	Location *time.Location
	// Tiers maps resource pools to tiers for the monthly tier subtotals.
	// Defaults to inventory.DefaultTierMap().
	Tiers *inventory.TierMap
	// Clock stamps the workbook's creation time. Defaults to time.Now.
	Clock func() time.Time
}

func (o Options) withDefaults() Options {
	if o.Location == nil {
		o.Location = time.UTC
	}
	if o.Tiers == nil {
		tm := inventory.DefaultTierMap()
		o.Tiers = &tm
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	return o
}

// Stage is the step of report writing an Error names.
type Stage string

// Stages of report writing.
const (
	StageValidate Stage = "validate" // the request is invalid
	StageRead     Stage = "read"     // reading the store failed or found no data
	StageWrite    Stage = "write"    // building or writing the workbook failed
	StageFile     Stage = "file"     // creating, syncing or renaming the file failed
)

var (
	// ErrInvalidRequest is wrapped by validation errors.
	ErrInvalidRequest = errors.New("report: invalid request")
	// ErrNoData is wrapped when the requested snapshot, period, range or VM
	// has no data. It wraps store.ErrNotFound, so errors.Is(err,
	// store.ErrNotFound) holds too.
	ErrNoData = fmt.Errorf("report: no data: %w", store.ErrNotFound)
)

// Error is the error every report function returns.
type Error struct {
	// Kind is the report kind requested.
	Kind Kind
	// Stage is one of StageValidate, StageRead, StageWrite, StageFile.
	Stage Stage
	// Field names the offending Request field when Stage is
	// StageValidate.
	Field string
	Err   error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("report")
	if e.Kind != "" {
		b.WriteString(" ")
		b.WriteString(string(e.Kind))
	}
	b.WriteString(": ")
	b.WriteString(string(e.Stage))
	if e.Field != "" {
		b.WriteString(" ")
		b.WriteString(e.Field)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }
