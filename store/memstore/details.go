package memstore

import (
	"context"
	"slices"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/driver"
)

// WriteDetails replaces the detail of one vCenter (store.Details).
func (s *Store) WriteDetails(ctx context.Context, p *store.WriteDetailsParams) error {
	const op = "WriteDetails"
	if err := s.usable(op); err != nil {
		return err
	}
	st, d, err := driver.PrepareDetails(p)
	if err != nil {
		return err
	}
	we := &store.WriteError{Op: op, Vcenter: p.Vcenter, SnapshotTime: st, Stage: store.StageDetails}
	return s.commit(ctx, we, func() { s.details[p.Vcenter] = d })
}

// ReadDetails returns the stored detail of one vCenter or of every
// vCenter (store.Details).
func (s *Store) ReadDetails(ctx context.Context, p *store.ReadDetailsParams) (*inventory.Details, error) {
	const op = "ReadDetails"
	if err := driver.ValidateReadDetails(p); err != nil {
		return nil, err
	}
	if p == nil {
		p = &store.ReadDetailsParams{}
	}
	unlock, err := s.read(op)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	vcs := make([]string, 0, len(s.details))
	for vc := range s.details {
		if p.Vcenter == "" || vc == p.Vcenter {
			vcs = append(vcs, vc)
		}
	}
	slices.Sort(vcs)
	var keep map[string]bool
	if len(p.VMIDs) > 0 {
		keep = make(map[string]bool, len(p.VMIDs))
		for _, id := range p.VMIDs {
			keep[id] = true
		}
	}
	out := &inventory.Details{}
	for _, vc := range vcs {
		d := s.details[vc]
		for _, v := range d.VMs {
			if !p.EntitiesOnly && (keep == nil || keep[v.VMID]) {
				out.VMs = append(out.VMs, v)
			}
		}
		if p.VMsOnly {
			continue
		}
		out.Hosts = append(out.Hosts, d.Hosts...)
		out.Clusters = append(out.Clusters, d.Clusters...)
		out.Datastores = append(out.Datastores, d.Datastores...)
		out.Switches = append(out.Switches, d.Switches...)
	}
	// The stored detail is never modified; the caller gets its own copy.
	return driver.CloneDetails(out), nil
}
