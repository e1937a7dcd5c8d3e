package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/report"
	"github.com/accessvault/vinventory/store"
)

// registerHistory declares the history reads: the inventory as of a time,
// the changes between two times and a VM's trace.
func (a *API) registerHistory() {
	asOf := op(http.MethodGet, "/api/snapshots/{vcenter}/{time}", "get-inventory-as-of",
		"The inventory as of a time: the VMs of the latest hourly snapshot at or before it", RoleViewer, "history")
	asOf.Errors = append(asOf.Errors, http.StatusNotFound)
	huma.Register(a.h, asOf, a.inventoryAsOf)
	ch := op(http.MethodGet, "/api/changes", "list-changes",
		"VMs added, removed and changed between the snapshot at or before from and the one at or before to", RoleViewer, "history")
	ch.Description += " The same comparison as the changes report (report.ChangeFields are compared); items are " +
		"ordered by vCenter, then added and changed VMs as the later snapshot lists them, then removed VMs by key."
	huma.Register(a.h, ch, a.listChanges)
	tr := op(http.MethodGet, "/api/trace", "trace-vm", "A VM's samples, lifecycle and events, by vm_id, vm_uuid or name", RoleViewer, "history")
	tr.Errors = append(tr.Errors, http.StatusNotFound)
	huma.Register(a.h, tr, a.traceVM)
}

type asOfInput struct {
	Vcenter string    `path:"vcenter" maxLength:"256"`
	Time    time.Time `path:"time" doc:"RFC 3339; the latest hourly snapshot at or before it is shown."`
	Page
}

// AsOfOutput is one page of a snapshot's VMs.
type AsOfOutput struct {
	Body struct {
		Vcenter      string             `json:"vcenter"`
		SnapshotTime time.Time          `json:"snapshot_time"`
		Items        []inventory.Sample `json:"items"`
		NextCursor   string             `json:"next_cursor,omitempty"`
	}
}

func (a *API) inventoryAsOf(ctx context.Context, in *asOfInput) (*AsOfOutput, error) {
	if err := notVisible(ctx, "snapshot", in.Time.UTC().Format(time.RFC3339), in.Vcenter); err != nil {
		return nil, err
	}
	recs, err := a.o.Store.ListSnapshots(ctx, &store.ListSnapshotsParams{Vcenter: in.Vcenter, Kind: inventory.Hourly,
		To: store.SnapshotTime(in.Time).Add(time.Second), Descending: true, Limit: 1})
	if err != nil {
		return nil, a.storeError(ctx, "list snapshots", err)
	}
	if len(recs) == 0 {
		return nil, huma.Error404NotFound(fmt.Sprintf("vCenter %q has no snapshot at or before %s", in.Vcenter, in.Time.UTC().Format(time.RFC3339)))
	}
	st := recs[0].SnapshotTime.UTC()
	var after string // the key the page starts after
	if in.Cursor != "" {
		c, err := decodeKeyCursor(in.Cursor, st.Format(time.RFC3339))
		if err != nil {
			return nil, err
		}
		after = c
	}
	out := &AsOfOutput{}
	out.Body.Vcenter, out.Body.SnapshotTime, out.Body.Items = in.Vcenter, st, []inventory.Sample{}
	more := false
	err = a.o.Store.ScanSamples(ctx, &store.ScanSamplesParams{Vcenter: in.Vcenter, From: st, To: st.Add(time.Second)}, func(s *inventory.Sample) error {
		if after != "" && s.Key() <= after {
			return nil
		}
		if len(out.Body.Items) == in.Limit {
			more = true
			return store.ErrStopScan
		}
		c := *s
		c.SnapshotTime = c.SnapshotTime.UTC()
		out.Body.Items = append(out.Body.Items, c)
		return nil
	})
	if err != nil {
		return nil, a.storeError(ctx, "scan samples", err)
	}
	if more {
		out.Body.NextCursor = encodeKeyCursor(out.Body.Items[len(out.Body.Items)-1].Key(), st.Format(time.RFC3339))
	}
	return out, nil
}

type changesInput struct {
	Vcenter string    `query:"vcenter" maxLength:"256" doc:"Only this vCenter (default: every vCenter the token sees)."`
	From    time.Time `query:"from" required:"true" doc:"RFC 3339: compare the snapshot at or before it ..."`
	To      time.Time `query:"to" required:"true" doc:"... with the snapshot at or before this (RFC 3339)."`
	Page
}

// Change is one VM that differs between the two snapshots of its vCenter.
type Change struct {
	Vcenter        string    `json:"vcenter"`
	BeforeSnapshot time.Time `json:"before_snapshot,omitzero" doc:"The earlier snapshot (absent when the vCenter had none at from)."`
	AfterSnapshot  time.Time `json:"after_snapshot"`
	Change         string    `json:"change" enum:"added,removed,changed"`
	VMID           string    `json:"vm_id"`
	Name           string    `json:"name"`
	// Fields are the compared fields that differ (changed VMs).
	Fields []string          `json:"fields,omitempty"`
	Before *inventory.Sample `json:"before,omitempty"`
	After  *inventory.Sample `json:"after,omitempty"`
}

func (a *API) listChanges(ctx context.Context, in *changesInput) (*listOutput[Change], error) {
	if in.To.Before(in.From) {
		return nil, invalid("to", "must not be before from")
	}
	sc := scopeOf(ctx)
	vc, _, ok := sc.filter(in.Vcenter)
	if !ok {
		return newList[Change](nil, ""), nil
	}
	var items []Change
	_, err := report.Diff(ctx, a.o.Store, vc, in.From, in.To, func(p report.SnapshotPair, c *report.Change) error {
		if !sc.sees(p.Vcenter) {
			return nil
		}
		it := Change{Vcenter: p.Vcenter, BeforeSnapshot: p.Before, AfterSnapshot: p.After, Change: string(c.Kind), Fields: c.Fields}
		for _, s := range []*inventory.Sample{c.Before, c.After} {
			if s != nil {
				cp := *s
				cp.SnapshotTime = cp.SnapshotTime.UTC()
				it.VMID, it.Name = cp.VMID, cp.Name
				if s == c.Before {
					it.Before = &cp
				} else {
					it.After = &cp
				}
			}
		}
		items = append(items, it)
		return nil
	})
	if errors.Is(err, report.ErrNoData) {
		return newList[Change](nil, ""), nil
	}
	if err != nil {
		return nil, a.storeError(ctx, "diff snapshots", err)
	}
	page, next, err := offsetPage(items, in.Page)
	if err != nil {
		return nil, err
	}
	return newList(page, next), nil
}

type traceInput struct {
	Vcenter string    `query:"vcenter" maxLength:"256"`
	VMID    string    `query:"vm_id" maxLength:"256"`
	VMUUID  string    `query:"vm_uuid" maxLength:"256"`
	Name    string    `query:"name" maxLength:"1024"`
	From    time.Time `query:"from" doc:"Samples at or after (RFC 3339)."`
	To      time.Time `query:"to" doc:"Samples before (RFC 3339)."`
}

// Trace is a VM's history: its samples (at most the newest 10,000), its
// lifecycle rows (one per vCenter and VM id it had) and its events.
type Trace struct {
	Samples    []inventory.Sample    `json:"samples"`
	Lifecycles []inventory.Lifecycle `json:"lifecycles"`
	// Events are the VM's events, oldest first (at most 1000 per VM id).
	Events []inventory.Event `json:"events"`
}

func (a *API) traceVM(ctx context.Context, in *traceInput) (*struct{ Body Trace }, error) {
	n := 0
	for _, s := range []string{in.VMID, in.VMUUID, in.Name} {
		if s != "" {
			n++
		}
	}
	if n != 1 {
		return nil, invalid("vm_id", "give exactly one of vm_id, vm_uuid and name")
	}
	if !in.From.IsZero() && !in.To.IsZero() && !in.To.After(in.From) {
		return nil, invalid("to", "must be after from")
	}
	sc := scopeOf(ctx)
	vc, _, ok := sc.filter(in.Vcenter)
	what := strings.TrimSpace(in.VMID + in.VMUUID + in.Name)
	notFound := huma.Error404NotFound(fmt.Sprintf("no samples of VM %q", what))
	if !ok {
		return nil, notFound
	}
	samples, err := a.o.Store.TraceVM(ctx, &store.TraceVMParams{Vcenter: vc, VMID: in.VMID, VMUUID: in.VMUUID, Name: in.Name, From: in.From, To: in.To})
	if err != nil {
		return nil, a.storeError(ctx, "trace VM", err)
	}
	samples = visible(sc, samples, func(s inventory.Sample) string { return s.Vcenter })
	if len(samples) == 0 {
		return nil, notFound
	}
	t := Trace{Samples: samples, Lifecycles: []inventory.Lifecycle{}, Events: []inventory.Event{}}
	type vmRef struct{ vc, id string }
	var refs []vmRef
	for i := range t.Samples {
		s := &t.Samples[i]
		s.SnapshotTime = s.SnapshotTime.UTC()
		if r := (vmRef{s.Vcenter, s.VMID}); r.id != "" && !slices.Contains(refs, r) {
			refs = append(refs, r)
		}
	}
	for _, r := range refs {
		l, err := a.o.Store.GetLifecycle(ctx, &store.GetLifecycleParams{Vcenter: r.vc, VMID: r.id})
		switch {
		case errors.Is(err, store.ErrNotFound):
		case err != nil:
			return nil, a.storeError(ctx, "get lifecycle", err)
		default:
			t.Lifecycles = append(t.Lifecycles, *l)
		}
		ev, err := a.o.Store.ListEvents(ctx, &store.ListEventsParams{Vcenter: r.vc, VMID: r.id, Limit: 1000})
		if err != nil {
			return nil, a.storeError(ctx, "list events", err)
		}
		t.Events = append(t.Events, ev.Events...)
	}
	return &struct{ Body Trace }{t}, nil
}
