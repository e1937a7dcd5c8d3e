package driver

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

// PrepareEntityHistory checks WriteEntityHistoryParams and returns the
// snapshot time and copies of the rows stamped with it, each kind sorted
// by ID. Duplicate IDs of one kind are rejected, and so are the strings
// and floats WriteSnapshot rejects in a State.
func PrepareEntityHistory(p *store.WriteEntityHistoryParams) (time.Time, *store.EntityRows, error) {
	const op = "WriteEntityHistory"
	if p == nil || p.Vcenter == "" {
		return time.Time{}, nil, Invalid(op, "Vcenter", "must not be empty")
	}
	if p.SnapshotTime.IsZero() {
		return time.Time{}, nil, Invalid(op, "SnapshotTime", "must be set")
	}
	st := store.SnapshotTime(p.SnapshotTime)
	out := &store.EntityRows{
		Snapshots:  []store.EntitySnapshot{{Vcenter: p.Vcenter, SnapshotTime: st}},
		Hosts:      slices.Clone(p.Hosts),
		Clusters:   slices.Clone(p.Clusters),
		Datastores: slices.Clone(p.Datastores),
		Excluded:   slices.Clone(p.Excluded),
	}
	check := func(field string, n int, vc, id func(i int) string) error {
		seen := make(map[string]bool, n)
		for i := 0; i < n; i++ {
			if vc(i) != p.Vcenter {
				return Invalid(op, fmt.Sprintf("%s[%d].Vcenter", field, i), fmt.Sprintf("is %q, want %q", vc(i), p.Vcenter))
			}
			if id(i) == "" {
				return Invalid(op, fmt.Sprintf("%s[%d].ID", field, i), "must not be empty")
			}
			if seen[id(i)] {
				return Invalid(op, fmt.Sprintf("%s[%d].ID", field, i), fmt.Sprintf("%q is repeated", id(i)))
			}
			seen[id(i)] = true
		}
		return nil
	}
	h, c, d := out.Hosts, out.Clusters, out.Datastores
	if err := check("Hosts", len(h), func(i int) string { return h[i].Vcenter }, func(i int) string { return h[i].ID }); err != nil {
		return time.Time{}, nil, err
	}
	if err := check("Clusters", len(c), func(i int) string { return c[i].Vcenter }, func(i int) string { return c[i].ID }); err != nil {
		return time.Time{}, nil, err
	}
	if err := check("Datastores", len(d), func(i int) string { return d[i].Vcenter }, func(i int) string { return d[i].ID }); err != nil {
		return time.Time{}, nil, err
	}
	x := out.Excluded
	if err := check("Excluded", len(x), func(i int) string { return x[i].Vcenter }, func(i int) string { return x[i].VMID }); err != nil {
		return time.Time{}, nil, err
	}
	for i := range x {
		if err := CheckStrings(op, fmt.Sprintf("Excluded[%d]", i), x[i].VMID, x[i].VMUUID, x[i].Name, x[i].Reason); err != nil {
			return time.Time{}, nil, err
		}
		x[i].SnapshotTime = st
	}
	slices.SortFunc(x, func(a, b inventory.ExcludedVM) int { return cmp.Compare(a.VMID, b.VMID) })
	// The strings and floats follow WriteSnapshot's rules (fields are
	// named as State's).
	if err := validateState(op, p.Vcenter, &inventory.State{Hosts: h, Clusters: c, Datastores: d}); err != nil {
		return time.Time{}, nil, err
	}
	for i := range h {
		h[i].SnapshotTime = st
	}
	for i := range c {
		c[i].SnapshotTime = st
	}
	for i := range d {
		d[i].SnapshotTime, d[i].HostIDs = st, nil
	}
	slices.SortFunc(h, func(a, b inventory.Host) int { return cmp.Compare(a.ID, b.ID) })
	slices.SortFunc(c, func(a, b inventory.Cluster) int { return cmp.Compare(a.ID, b.ID) })
	slices.SortFunc(d, func(a, b inventory.Datastore) int { return cmp.Compare(a.ID, b.ID) })
	return st, out, nil
}

// ValidateEntitiesAsOf checks EntitiesAsOfParams.
func ValidateEntitiesAsOf(p *store.EntitiesAsOfParams) error {
	if p == nil || p.At.IsZero() {
		return Invalid("EntitiesAsOf", "At", "must be set")
	}
	return nil
}

// ValidateEntityHistoryRange checks EntityHistoryRangeParams.
func ValidateEntityHistoryRange(p *store.EntityHistoryRangeParams) error {
	const op = "EntityHistoryRange"
	if p == nil || p.To.IsZero() {
		return Invalid(op, "To", "must be set")
	}
	if !p.From.IsZero() && !p.To.After(p.From) {
		return Invalid(op, "To", "must be after From")
	}
	switch p.Kind {
	case "", store.EntityHost, store.EntityCluster, store.EntityDatastore, store.EntityExcluded:
	default:
		return Invalid(op, "Kind", fmt.Sprintf("%q is not host, cluster, datastore or excluded_vm", p.Kind))
	}
	return nil
}

// ReadsKind reports whether an EntityHistoryRange with kind filter want
// reads rows of kind k.
func ReadsKind(want, k store.EntityKind) bool { return want == "" || want == k }

// ValidateDeleteEntityHistory checks DeleteEntityHistoryParams.
func ValidateDeleteEntityHistory(p *store.DeleteEntityHistoryParams) error {
	if p == nil || p.Before.IsZero() {
		return Invalid("DeleteEntityHistory", "Before", "must be set")
	}
	return nil
}
