package driver

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

// ChangesPageSize is p.Limit with the default and maximum documented on
// store.ListChangesParams applied.
func ChangesPageSize(p *store.ListChangesParams) int { return LimitOr(p.Limit, 1000, 10000) }

// ValidateListChanges checks ListChangesParams.
func ValidateListChanges(p *store.ListChangesParams) error {
	const op = "ListChanges"
	if p.AfterSeq < 0 {
		return Invalid(op, "AfterSeq", "must not be negative")
	}
	return CheckStrings(op, "Vcenter", p.Vcenter)
}

// ValidatePruneChanges checks PruneChangesParams.
func ValidatePruneChanges(p *store.PruneChangesParams) error {
	if p == nil || p.Before.IsZero() {
		return Invalid("PruneChanges", "Before", "must be set")
	}
	return nil
}

// PrepareChanges checks ApplyChangesParams against the rules documented on
// store.LiveState.ApplyChanges and returns the changes and events to store.
// Every violation is an *InvalidParamsError naming the field.
//
// The changes returned are deep copies, in order: Seq zero, At defaulting
// to ObservedAt, times at the backends' precision, Fields nil when empty,
// and each upserted row stamped with SnapshotTime = ObservedAt, its id
// lists sorted and empty maps nil. The events are copies with ID zero,
// Live set and times at the backends' precision.
func PrepareChanges(p *store.ApplyChangesParams) ([]inventory.Change, []inventory.Event, error) {
	const op = "ApplyChanges"
	if p == nil {
		return nil, nil, Invalid(op, "params", "must not be nil")
	}
	if p.Vcenter == "" {
		return nil, nil, Invalid(op, "Vcenter", "must not be empty")
	}
	if err := CheckStrings(op, "Vcenter", p.Vcenter); err != nil {
		return nil, nil, err
	}
	if p.ObservedAt.IsZero() {
		return nil, nil, Invalid(op, "ObservedAt", "must be set")
	}
	at := NormTime(p.ObservedAt)
	changes := make([]inventory.Change, len(p.Changes))
	for i := range p.Changes {
		c, err := prepareChange(op, indexed("Changes", i), p.Vcenter, at, &p.Changes[i])
		if err != nil {
			return nil, nil, err
		}
		changes[i] = c
	}
	for i := range p.Events {
		if v := p.Events[i].Vcenter; v != p.Vcenter {
			return nil, nil, Invalid(op, indexed("Events", i)+".Vcenter", fmt.Sprintf("is %q, want the batch's %q", v, p.Vcenter))
		}
	}
	if err := ValidateEvents(op, p.Events); err != nil {
		return nil, nil, err
	}
	events := make([]inventory.Event, len(p.Events))
	for i, e := range p.Events {
		e.ID = 0
		e.SnapshotTime = NormTime(e.SnapshotTime)
		e.Before, e.After = cloneStrings(e.Before), cloneStrings(e.After)
		e.Live = true
		events[i] = e
	}
	return changes, events, nil
}

func cloneStrings(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return maps.Clone(m)
}

func sortedCopy(ids []string) []string {
	if len(ids) == 0 {
		return nil
	}
	out := slices.Clone(ids)
	slices.Sort(out)
	return out
}

// rowField is the Change field that carries an entity's row.
var rowField = map[inventory.EntityType]string{
	inventory.EntityVM: "VM", inventory.EntityHost: "Host", inventory.EntityCluster: "Cluster",
	inventory.EntityDatastore: "Datastore", inventory.EntityNetwork: "Network", inventory.EntityResourcePool: "ResourcePool",
}

// stateKind is the inventory.State field validateState names for an
// entity.
var stateKind = map[inventory.EntityType]string{
	inventory.EntityVM: "VMs", inventory.EntityHost: "Hosts", inventory.EntityCluster: "Clusters",
	inventory.EntityDatastore: "Datastores", inventory.EntityNetwork: "Networks", inventory.EntityResourcePool: "ResourcePools",
}

func prepareChange(op, field, vcenter string, at time.Time, in *inventory.Change) (inventory.Change, error) {
	c := *in
	c.Seq = 0
	if c.Vcenter != vcenter {
		return c, Invalid(op, field+".Vcenter", fmt.Sprintf("is %q, want the batch's %q", c.Vcenter, vcenter))
	}
	rf, ok := rowField[c.Entity]
	if !ok {
		return c, Invalid(op, field+".Entity", fmt.Sprintf("unknown entity %q", c.Entity))
	}
	if c.Op != inventory.ChangeUpsert && c.Op != inventory.ChangeDelete {
		return c, Invalid(op, field+".Op", fmt.Sprintf("unknown op %q", c.Op))
	}
	if c.ID == "" {
		return c, Invalid(op, field+".ID", "must not be empty")
	}
	if err := CheckStrings(op, field, c.ID, c.Name); err != nil {
		return c, err
	}
	if err := CheckStrings(op, field+".Fields", c.Fields...); err != nil {
		return c, err
	}
	var set []string
	for name, isSet := range map[string]bool{"VM": c.VM != nil, "Host": c.Host != nil, "Cluster": c.Cluster != nil,
		"Datastore": c.Datastore != nil, "Network": c.Network != nil, "ResourcePool": c.ResourcePool != nil} {
		if isSet {
			set = append(set, name)
		}
	}
	slices.Sort(set)
	switch {
	case c.Op == inventory.ChangeDelete && len(set) > 0:
		return c, Invalid(op, field+"."+set[0], "must be nil for a delete")
	case c.Op == inventory.ChangeUpsert && (len(set) != 1 || set[0] != rf):
		for _, f := range set {
			if f != rf {
				return c, Invalid(op, field+"."+f, fmt.Sprintf("must be nil for a %s change", c.Entity))
			}
		}
		return c, Invalid(op, field+"."+rf, fmt.Sprintf("must be set for a %s upsert", c.Entity))
	}
	c.At = NormTime(c.At)
	if c.At.IsZero() {
		c.At = at
	}
	if len(c.Fields) == 0 {
		c.Fields = nil
	} else {
		c.Fields = append([]string(nil), c.Fields...)
	}
	if c.Op == inventory.ChangeDelete {
		return c, nil
	}
	// Validate the row as a one-row state, then name the fields after the
	// change.
	var st inventory.State
	var rowID string
	switch c.Entity {
	case inventory.EntityVM:
		v := *c.VM
		v.SnapshotTime = at
		v.CreationTime = NormTime(v.CreationTime)
		v.DatastoreIDs, v.NetworkIDs = sortedCopy(v.DatastoreIDs), sortedCopy(v.NetworkIDs)
		v.Attributes = cloneStrings(v.Attributes)
		c.VM, st.VMs, rowID = &v, []inventory.VM{v}, v.ID
	case inventory.EntityHost:
		h := *c.Host
		h.SnapshotTime = at
		c.Host, st.Hosts, rowID = &h, []inventory.Host{h}, h.ID
	case inventory.EntityCluster:
		x := *c.Cluster
		x.SnapshotTime = at
		c.Cluster, st.Clusters, rowID = &x, []inventory.Cluster{x}, x.ID
	case inventory.EntityDatastore:
		d := *c.Datastore
		d.SnapshotTime = at
		d.HostIDs = sortedCopy(d.HostIDs)
		c.Datastore, st.Datastores, rowID = &d, []inventory.Datastore{d}, d.ID
	case inventory.EntityNetwork:
		n := *c.Network
		n.SnapshotTime = at
		c.Network, st.Networks, rowID = &n, []inventory.Network{n}, n.ID
	case inventory.EntityResourcePool:
		r := *c.ResourcePool
		r.SnapshotTime = at
		c.ResourcePool, st.ResourcePools, rowID = &r, []inventory.ResourcePool{r}, r.ID
	}
	if rowID != c.ID {
		return c, Invalid(op, field+"."+rf+".ID", fmt.Sprintf("is %q, want the change's %q", rowID, c.ID))
	}
	if err := validateState(op, vcenter, &st); err != nil {
		return c, renameField(err, "State."+stateKind[c.Entity]+"[0]", field+"."+rf)
	}
	return c, nil
}

// renameField replaces the prefix from of an *InvalidParamsError's field
// with to.
func renameField(err error, from, to string) error {
	if ip, ok := err.(*store.InvalidParamsError); ok {
		return &store.InvalidParamsError{Op: ip.Op, Field: to + strings.TrimPrefix(ip.Field, from), Reason: ip.Reason}
	}
	return err
}
