// Package health evaluates an inventory for the problems RVTools lists in
// its vHealth sheet, as data: old or large snapshots, VMware Tools not
// running, outdated or not installed, connected CD drives, disks that need
// consolidation, thin-provisioning over-commit and low free space per
// datastore, hosts in maintenance mode or disconnected.
//
// Evaluate is a pure function over one inventory.State (with its
// Details); Check reads the latest state (and the detail, when the store
// keeps it) of one vCenter or all from a store and evaluates it. The
// RVTools workbook (report.KindRVTools), the API and alerts use the same
// findings.
//
// The VM checks other than power state need detail (inventory.Details):
// without it they cannot run, and the result holds one KindNoDetail
// finding per vCenter that has VMs but no VM detail, so "no findings" is
// never mistaken for "healthy".
package health

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

// Kind names one health check.
type Kind string

// The checks.
const (
	// KindSnapshotOld: a VM snapshot older than Options.SnapshotMaxAge.
	KindSnapshotOld Kind = "snapshot_old"
	// KindSnapshotLarge: a VM snapshot larger than Options.SnapshotMaxSizeGB.
	KindSnapshotLarge Kind = "snapshot_large"
	// KindConsolidationNeeded: a VM whose disks need consolidation.
	KindConsolidationNeeded Kind = "consolidation_needed"
	// KindToolsNotRunning: a powered-on VM (not a template) whose Tools
	// are installed but not running.
	KindToolsNotRunning Kind = "tools_not_running"
	// KindToolsOutdated: a VM (not a template) whose Tools need an
	// upgrade (guestToolsNeedUpgrade, guestToolsTooOld,
	// guestToolsSupportedOld, guestToolsBlacklisted).
	KindToolsOutdated Kind = "tools_outdated"
	// KindToolsNotInstalled: a VM (not a template) without Tools.
	KindToolsNotInstalled Kind = "tools_not_installed"
	// KindCDConnected: a VM with a connected CD/DVD drive.
	KindCDConnected Kind = "cd_connected"
	// KindDatastoreOvercommit: a datastore whose provisioned space
	// (capacity − free + uncommitted) exceeds its capacity ×
	// Options.OvercommitRatio.
	KindDatastoreOvercommit Kind = "datastore_overcommit"
	// KindDatastoreLowFree: a datastore with less than
	// Options.DatastoreMinFreePct percent free.
	KindDatastoreLowFree Kind = "datastore_low_free"
	// KindHostMaintenance: a host in maintenance mode.
	KindHostMaintenance Kind = "host_maintenance"
	// KindHostDisconnected: a host whose connection state is disconnected
	// or notResponding.
	KindHostDisconnected Kind = "host_disconnected"
	// KindNoDetail is not a problem of an object: a vCenter with VMs but
	// no VM detail, so the checks that need detail did not run for it.
	KindNoDetail Kind = "no_detail"
)

// Kinds returns every check kind, in the order findings are sorted by.
func Kinds() []Kind {
	return []Kind{KindNoDetail, KindHostDisconnected, KindHostMaintenance, KindDatastoreOvercommit, KindDatastoreLowFree,
		KindSnapshotOld, KindSnapshotLarge, KindConsolidationNeeded, KindToolsNotRunning, KindToolsOutdated,
		KindToolsNotInstalled, KindCDConnected}
}

// Valid reports whether k is one of Kinds.
func (k Kind) Valid() bool {
	for _, x := range Kinds() {
		if x == k {
			return true
		}
	}
	return false
}

// MessageType is the category RVTools' vHealth sheet shows in its
// "Message type" column: Snapshot, VM Tools, CDROM, Storage, Host config,
// or Detail for KindNoDetail.
func (k Kind) MessageType() string {
	switch k {
	case KindSnapshotOld, KindSnapshotLarge, KindConsolidationNeeded:
		return "Snapshot"
	case KindToolsNotRunning, KindToolsOutdated, KindToolsNotInstalled:
		return "VM Tools"
	case KindCDConnected:
		return "CDROM"
	case KindDatastoreOvercommit, KindDatastoreLowFree:
		return "Storage"
	case KindHostMaintenance, KindHostDisconnected:
		return "Host config"
	case KindNoDetail:
		return "Detail"
	}
	return string(k)
}

// Severity says how urgent a finding is.
type Severity string

// Severities.
const (
	SeverityInfo     Severity = "info"
	SeverityWarning  Severity = "warning"
	SeverityCritical Severity = "critical"
)

// Object types a finding is about.
const (
	ObjectVM        = "vm"
	ObjectHost      = "host"
	ObjectDatastore = "datastore"
	ObjectVcenter   = "vcenter"
)

// Finding is one problem of one object.
type Finding struct {
	Vcenter string `json:"vcenter"`
	Kind    Kind   `json:"kind"`
	// ObjectType is ObjectVM, ObjectHost, ObjectDatastore or
	// ObjectVcenter; ObjectID its managed object id (the vCenter name for
	// ObjectVcenter) and Name its name.
	ObjectType string `json:"object_type"`
	ObjectID   string `json:"object_id"`
	Name       string `json:"name"`
	// Message is RVTools vHealth-style text.
	Message  string   `json:"message"`
	Severity Severity `json:"severity"`
	// Value is the measured figure, in the unit of Threshold: the
	// snapshot's age in days (KindSnapshotOld) or size in GB
	// (KindSnapshotLarge), the provisioned space as a percentage of
	// capacity (KindDatastoreOvercommit), the free percentage
	// (KindDatastoreLowFree); 0 for the yes/no checks.
	Value     float64 `json:"value"`
	Threshold float64 `json:"threshold"`
}

// Default thresholds of Options.
const (
	// DefaultSnapshotMaxAge: snapshots are meant to be short-lived
	// (VMware advises against keeping one more than 72 hours); a week
	// flags the forgotten ones without flagging a weekend's.
	DefaultSnapshotMaxAge = 7 * 24 * time.Hour
	// DefaultSnapshotMaxSizeGB: a delta larger than 10 GB slows the VM
	// and its consolidation noticeably.
	DefaultSnapshotMaxSizeGB = 10.0
	// DefaultOvercommitRatio: provisioned space above 100 % of capacity
	// can fill the datastore if the thin disks grow.
	DefaultOvercommitRatio = 1.0
	// DefaultDatastoreMinFreePct: less than 10 % free space.
	DefaultDatastoreMinFreePct = 10.0
)

// Options tune the checks. Zero values take the defaults.
type Options struct {
	// Now is the time snapshot ages are measured at. Defaults to
	// time.Now().
	Now time.Time
	// SnapshotMaxAge: a snapshot older than this (strictly) is a
	// KindSnapshotOld finding. Defaults to DefaultSnapshotMaxAge.
	SnapshotMaxAge time.Duration
	// SnapshotMaxSizeGB: a snapshot larger than this many GB (GiB, 1024
	// MiB; strictly) is a KindSnapshotLarge finding. Defaults to
	// DefaultSnapshotMaxSizeGB.
	SnapshotMaxSizeGB float64
	// OvercommitRatio: a datastore whose provisioned space exceeds
	// capacity × ratio (strictly) is over-committed. Defaults to
	// DefaultOvercommitRatio.
	OvercommitRatio float64
	// DatastoreMinFreePct: a datastore with less free space than this
	// percentage of its capacity (strictly) is a KindDatastoreLowFree
	// finding. Defaults to DefaultDatastoreMinFreePct.
	DatastoreMinFreePct float64
	// Skip lists checks not to run.
	Skip []Kind
}

func (o Options) withDefaults() Options {
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	if o.SnapshotMaxAge == 0 {
		o.SnapshotMaxAge = DefaultSnapshotMaxAge
	}
	if o.SnapshotMaxSizeGB == 0 {
		o.SnapshotMaxSizeGB = DefaultSnapshotMaxSizeGB
	}
	if o.OvercommitRatio == 0 {
		o.OvercommitRatio = DefaultOvercommitRatio
	}
	if o.DatastoreMinFreePct == 0 {
		o.DatastoreMinFreePct = DefaultDatastoreMinFreePct
	}
	return o
}

// ErrInvalidOptions is wrapped by Validate's errors.
var ErrInvalidOptions = errors.New("health: invalid options")

// Validate checks that the thresholds make sense: none negative, the
// free percentage at most 100, only known kinds in Skip.
func (o Options) Validate() error {
	switch {
	case o.SnapshotMaxAge < 0:
		return fmt.Errorf("%w: SnapshotMaxAge %s is negative", ErrInvalidOptions, o.SnapshotMaxAge)
	case o.SnapshotMaxSizeGB < 0 || math.IsNaN(o.SnapshotMaxSizeGB):
		return fmt.Errorf("%w: SnapshotMaxSizeGB %v is negative", ErrInvalidOptions, o.SnapshotMaxSizeGB)
	case o.OvercommitRatio < 0 || math.IsNaN(o.OvercommitRatio):
		return fmt.Errorf("%w: OvercommitRatio %v is negative", ErrInvalidOptions, o.OvercommitRatio)
	case o.DatastoreMinFreePct < 0 || o.DatastoreMinFreePct > 100 || math.IsNaN(o.DatastoreMinFreePct):
		return fmt.Errorf("%w: DatastoreMinFreePct %v is not in [0, 100]", ErrInvalidOptions, o.DatastoreMinFreePct)
	}
	for _, k := range o.Skip {
		if !k.Valid() {
			return fmt.Errorf("%w: Skip: unknown check %q", ErrInvalidOptions, string(k))
		}
	}
	return nil
}

func (o Options) skips(k Kind) bool {
	for _, s := range o.Skip {
		if s == k {
			return true
		}
	}
	return false
}

// Tools status values (guest.toolsRunningStatus, guest.toolsVersionStatus2).
const (
	toolsRunning      = "guestToolsRunning"
	toolsNotRunning   = "guestToolsNotRunning"
	toolsNotInstalled = "guestToolsNotInstalled"
)

// ToolsOutdated reports whether a toolsVersionStatus2 value means the
// Tools should be upgraded.
func ToolsOutdated(versionStatus string) bool {
	switch versionStatus {
	case "guestToolsNeedUpgrade", "guestToolsTooOld", "guestToolsSupportedOld", "guestToolsBlacklisted":
		return true
	}
	return false
}

// Evaluate runs the checks over one inventory (of one vCenter or several:
// rows carry their vCenter) and returns the findings sorted by vCenter,
// Kinds order, object name and object id. It never fails: an invalid
// Options is the caller's to reject with Validate; Evaluate uses the
// default thresholds instead of invalid ones.
func Evaluate(state *inventory.State, opts Options) []Finding {
	if state == nil {
		return nil
	}
	if opts.Validate() != nil {
		opts = Options{Now: opts.Now, Skip: opts.Skip}
	}
	o := opts.withDefaults()
	var out []Finding
	add := func(f Finding) {
		if !o.skips(f.Kind) {
			out = append(out, f)
		}
	}
	vms := make(map[[2]string]*inventory.VM, len(state.VMs))
	withVMs := map[string]bool{}
	for i := range state.VMs {
		v := &state.VMs[i]
		vms[[2]string{v.Vcenter, v.ID}] = v
		withVMs[v.Vcenter] = true
	}
	withDetail := map[string]bool{}
	for i := range state.Details.VMs {
		d := &state.Details.VMs[i]
		withDetail[d.Vcenter] = true
		v := vms[[2]string{d.Vcenter, d.VMID}]
		if v == nil {
			continue // detail of a VM not in this state
		}
		vmChecks(v, d, o, add)
	}
	for vc := range withVMs {
		if !withDetail[vc] {
			add(Finding{Vcenter: vc, Kind: KindNoDetail, ObjectType: ObjectVcenter, ObjectID: vc, Name: vc, Severity: SeverityInfo,
				Message: "No VM detail for this vCenter (the store keeps none or it was not captured yet): snapshot, Tools, CD and consolidation checks were skipped."})
		}
	}
	for i := range state.Hosts {
		h := &state.Hosts[i]
		if h.InMaintenance {
			add(Finding{Vcenter: h.Vcenter, Kind: KindHostMaintenance, ObjectType: ObjectHost, ObjectID: h.ID, Name: h.Name,
				Severity: SeverityWarning, Message: "Host is in maintenance mode!"})
		}
		switch h.ConnectionState {
		case "disconnected", "notResponding":
			add(Finding{Vcenter: h.Vcenter, Kind: KindHostDisconnected, ObjectType: ObjectHost, ObjectID: h.ID, Name: h.Name,
				Severity: SeverityCritical, Message: "Host connection state is " + h.ConnectionState + "!"})
		}
	}
	for i := range state.Datastores {
		datastoreChecks(&state.Datastores[i], o, add)
	}
	order := map[Kind]int{}
	for i, k := range Kinds() {
		order[k] = i
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := &out[i], &out[j]
		if a.Vcenter != b.Vcenter {
			return a.Vcenter < b.Vcenter
		}
		if a.Kind != b.Kind {
			return order[a.Kind] < order[b.Kind]
		}
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		return a.ObjectID < b.ObjectID
	})
	return out
}

func vmChecks(v *inventory.VM, d *inventory.VMDetail, o Options, add func(Finding)) {
	vm := func(k Kind, sev Severity, msg string, value, threshold float64) {
		add(Finding{Vcenter: v.Vcenter, Kind: k, ObjectType: ObjectVM, ObjectID: v.ID, Name: v.Name, Severity: sev,
			Message: msg, Value: value, Threshold: threshold})
	}
	maxDays := o.SnapshotMaxAge.Hours() / 24
	for _, s := range d.Snapshots {
		age := o.Now.Sub(s.Created)
		if !s.Created.IsZero() && age > o.SnapshotMaxAge {
			days := age.Hours() / 24
			vm(KindSnapshotOld, SeverityWarning, fmt.Sprintf("VM has an active snapshot! %s created on %s (%s days old). The threshold value is %s days",
				s.Name, s.Created.UTC().Format("1/2/2006 15:04:05"), trim(days), trim(maxDays)), days, maxDays)
		}
		gb := s.SizeMB / 1024
		if gb > o.SnapshotMaxSizeGB {
			vm(KindSnapshotLarge, SeverityWarning, fmt.Sprintf("VM has a large snapshot! %s is %s GB. The threshold value is %s GB",
				s.Name, trim(gb), trim(o.SnapshotMaxSizeGB)), gb, o.SnapshotMaxSizeGB)
		}
	}
	if d.ConsolidationNeeded {
		vm(KindConsolidationNeeded, SeverityWarning, "Consolidation needed", 0, 0)
	}
	if !v.IsTemplate {
		switch {
		case d.ToolsVersionStatus == toolsNotInstalled:
			vm(KindToolsNotInstalled, SeverityWarning, "VMware tools are not installed!", 0, 0)
		default:
			if v.PowerState == inventory.PoweredOn && d.ToolsRunningStatus == toolsNotRunning {
				vm(KindToolsNotRunning, SeverityWarning, "VMware tools are not running!", 0, 0)
			}
			if ToolsOutdated(d.ToolsVersionStatus) {
				vm(KindToolsOutdated, SeverityInfo, "VMware tools are out of date! ("+d.ToolsVersionStatus+")", 0, 0)
			}
		}
	}
	for _, r := range d.Removables {
		if r.Kind == inventory.DriveCDROM && r.Connected {
			vm(KindCDConnected, SeverityInfo, "VM has a CDROM device connected! "+r.Label, 0, 0)
		}
	}
}

func datastoreChecks(d *inventory.Datastore, o Options, add func(Finding)) {
	if d.CapacityGB <= 0 {
		return
	}
	ds := func(k Kind, sev Severity, msg string, value, threshold float64) {
		add(Finding{Vcenter: d.Vcenter, Kind: k, ObjectType: ObjectDatastore, ObjectID: d.ID, Name: d.Name, Severity: sev,
			Message: msg, Value: value, Threshold: threshold})
	}
	prov := d.ProvisionedGB()
	if prov > d.CapacityGB*o.OvercommitRatio {
		pct := prov / d.CapacityGB * 100
		ds(KindDatastoreOvercommit, SeverityWarning, fmt.Sprintf("Datastore is over-committed! Provisioned = %s MB is %s%% of the capacity (%s MB). The threshold value is %s%%",
			mb(prov), trim(pct), mb(d.CapacityGB), trim(o.OvercommitRatio*100)), pct, o.OvercommitRatio*100)
	}
	free := d.FreeGB / d.CapacityGB * 100
	if free < o.DatastoreMinFreePct {
		sev := SeverityWarning
		if free < o.DatastoreMinFreePct/2 {
			sev = SeverityCritical
		}
		ds(KindDatastoreLowFree, sev, fmt.Sprintf("On datastore %s is %s%% disk space available! The threshold value is %s%%. Free MB = %s",
			d.Name, trim(free), trim(o.DatastoreMinFreePct), mb(d.FreeGB)), free, o.DatastoreMinFreePct)
	}
}

// trim formats v with at most one decimal.
func trim(v float64) string {
	s := fmt.Sprintf("%.1f", v)
	return strings.TrimSuffix(s, ".0")
}

func mb(gb float64) string { return fmt.Sprintf("%d", int64(math.Round(gb*1024))) }

// Reader is what Check reads: the latest-state inventory. A store that
// also implements store.Details gives the VM detail the VM checks need.
type Reader interface {
	store.InventoryState
}

// Params select what Check evaluates.
type Params struct {
	// Vcenter limits the check to one vCenter; empty means every vCenter.
	Vcenter string
	Options Options
}

// Error is the error Check returns: the step that failed and why.
type Error struct {
	// Op is "validate", "read inventory" or "read detail".
	Op  string
	Err error
}

func (e *Error) Error() string { return "health: " + e.Op + ": " + e.Err.Error() }

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// Check reads the latest-state inventory of p.Vcenter (or of every
// vCenter) and its detail, when st implements store.Details, and
// evaluates it (see Evaluate). A store without detail gives the host and
// datastore findings plus one KindNoDetail finding per vCenter with VMs.
func Check(ctx context.Context, st Reader, p *Params) ([]Finding, error) {
	if p == nil {
		p = &Params{}
	}
	if err := p.Options.Validate(); err != nil {
		return nil, &Error{Op: "validate", Err: err}
	}
	state, err := ReadState(ctx, st, p.Vcenter, false)
	if err != nil {
		return nil, err
	}
	return Evaluate(state, p.Options), nil
}

// ReadState reads the latest-state inventory of vcenter (every vCenter
// when empty) with its detail when st implements store.Details. Networks
// and resource pools are read only when full is true. Errors are *Error.
func ReadState(ctx context.Context, st store.InventoryState, vcenter string, full bool) (*inventory.State, error) {
	if st == nil {
		return nil, &Error{Op: "validate", Err: errors.New("store is nil")}
	}
	rerr := func(what string, err error) error {
		return &Error{Op: "read inventory", Err: fmt.Errorf("%s: %w", what, err)}
	}
	state := &inventory.State{}
	cursor := ""
	for {
		pg, err := st.ListVMs(ctx, &store.ListVMsParams{Vcenter: vcenter, Limit: 10000, Cursor: cursor})
		if err != nil {
			return nil, rerr("list VMs", err)
		}
		state.VMs = append(state.VMs, pg.VMs...)
		if pg.NextCursor == "" {
			break
		}
		cursor = pg.NextCursor
	}
	var err error
	if state.Hosts, err = st.ListHosts(ctx, &store.ListHostsParams{Vcenter: vcenter}); err != nil {
		return nil, rerr("list hosts", err)
	}
	if state.Datastores, err = st.ListDatastores(ctx, &store.ListDatastoresParams{Vcenter: vcenter}); err != nil {
		return nil, rerr("list datastores", err)
	}
	if full {
		if state.Clusters, err = st.ListClusters(ctx, &store.ListClustersParams{Vcenter: vcenter}); err != nil {
			return nil, rerr("list clusters", err)
		}
		if state.Networks, err = st.ListNetworks(ctx, &store.ListNetworksParams{Vcenter: vcenter}); err != nil {
			return nil, rerr("list networks", err)
		}
		if state.ResourcePools, err = st.ListResourcePools(ctx, &store.ListResourcePoolsParams{Vcenter: vcenter}); err != nil {
			return nil, rerr("list resource pools", err)
		}
	}
	if sd, ok := st.(store.Details); ok {
		d, err := sd.ReadDetails(ctx, &store.ReadDetailsParams{Vcenter: vcenter, VMsOnly: !full})
		if err != nil {
			return nil, &Error{Op: "read detail", Err: err}
		}
		if d != nil {
			state.Details = *d
		}
	}
	return state, nil
}
