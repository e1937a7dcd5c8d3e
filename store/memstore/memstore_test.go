package memstore_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/memstore"
	"github.com/accessvault/vinventory/store/storetest"
)

func newStore(t *testing.T) store.Store {
	st := memstore.New()
	t.Cleanup(func() {
		if err := st.Close(); err != nil && !errors.Is(err, store.ErrClosed) {
			t.Errorf("Close: %v", err)
		}
	})
	return st
}

func TestConformance(t *testing.T) {
	storetest.Run(t, newStore)
}

var t0 = time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC)

// TestCopyIsolation mutates everything passed to and returned by the store
// and checks the store did not change.
func TestCopyIsolation(t *testing.T) {
	ctx := context.Background()
	st := memstore.New()
	p := storetest.Snapshot("vc-a", t0, 30, 1)
	p.Compat = true
	if _, err := st.WriteSnapshot(ctx, p); err != nil {
		t.Fatal(err)
	}
	ep := storetest.Endpoint("vc-a")
	if _, err := st.UpsertEndpoint(ctx, &store.UpsertEndpointParams{Endpoint: ep}); err != nil {
		t.Fatal(err)
	}
	evs := storetest.Events("vc-a", t0, 9, 1)
	if err := st.AppendEvents(ctx, &store.AppendEventsParams{Events: evs}); err != nil {
		t.Fatal(err)
	}
	want := storetest.Dump(t, st)

	// Inputs.
	for i := range p.Samples {
		p.Samples[i].Name = "x"
		maps.DeleteFunc(p.Samples[i].Attributes, func(string, string) bool { return true })
	}
	for i := range p.State.VMs {
		for j := range p.State.VMs[i].DatastoreIDs {
			p.State.VMs[i].DatastoreIDs[j] = "x"
		}
	}
	for i := range p.State.Datastores {
		for j := range p.State.Datastores[i].HostIDs {
			p.State.Datastores[i].HostIDs[j] = "x"
		}
	}
	ep.Credential[0], ep.Tags["site"] = 'x', "x"
	evs[3].Before["power_state"] = "x"

	// Outputs.
	pg, err := st.ListVMs(ctx, &store.ListVMsParams{})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range pg.VMs {
		if len(v.DatastoreIDs) > 0 {
			v.DatastoreIDs[0] = "x"
		}
		if v.Attributes != nil {
			v.Attributes["x"] = "x"
		}
	}
	var kept []*inventory.Sample
	if err := st.ScanSamples(ctx, nil, func(s *inventory.Sample) error {
		kept = append(kept, s) // misuse: keeping the pointer
		if s.Attributes != nil {
			s.Attributes["owner"] = "x"
		}
		s.VMID = "x"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(kept) > 1 && kept[0] != kept[1] {
		t.Log("ScanSamples does not reuse its *Sample (allowed, but costs an allocation per row)")
	}
	got, err := st.GetEndpoint(ctx, &store.GetEndpointParams{Name: "vc-a"})
	if err != nil {
		t.Fatal(err)
	}
	got.Credential[1], got.Tags["env"] = 'x', "x"
	page, err := st.ListEvents(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range page.Events {
		if e.After != nil {
			e.After["x"] = "x"
		}
	}
	if err := st.ScanCompatHourly(ctx, &store.ScanCompatParams{Name: inventory.HourlyTableName(t0)}, func(s *inventory.Sample) error {
		if s.Attributes != nil {
			s.Attributes["owner"] = "x"
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if d := storetest.Diff(want, storetest.Dump(t, st)); d != "" {
		t.Fatalf("mutations by the caller changed the store (-before +after):\n%s", d)
	}
}

// TestClock: Options.Now stamps RegisteredAt, CreatedAt and UpdatedAt, in
// UTC at microsecond precision.
func TestClock(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 1, 2, 3, 4, 5, 6789, time.FixedZone("X", 3600))
	st := memstore.New(memstore.Options{Clock: func() time.Time { return now }})
	ep, err := st.UpsertEndpoint(ctx, &store.UpsertEndpointParams{Endpoint: storetest.Endpoint("vc-a")})
	if err != nil {
		t.Fatal(err)
	}
	want := time.Date(2026, 1, 2, 2, 4, 5, 6000, time.UTC)
	if !ep.CreatedAt.Equal(want) || ep.CreatedAt.Location() != time.UTC || !ep.UpdatedAt.Equal(want) {
		t.Fatalf("CreatedAt %v UpdatedAt %v, want %v", ep.CreatedAt, ep.UpdatedAt, want)
	}
	now = now.Add(time.Hour)
	ep, err = st.UpsertEndpoint(ctx, &store.UpsertEndpointParams{Endpoint: storetest.Endpoint("vc-a")})
	if err != nil {
		t.Fatal(err)
	}
	if !ep.CreatedAt.Equal(want) || !ep.UpdatedAt.Equal(want.Add(time.Hour)) {
		t.Fatalf("after update: CreatedAt %v UpdatedAt %v", ep.CreatedAt, ep.UpdatedAt)
	}
	p := storetest.Snapshot("vc-a", t0, 2, 1)
	p.RegisteredAt = time.Time{}
	res, err := st.WriteSnapshot(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Record.RegisteredAt.Equal(want.Add(time.Hour)) {
		t.Fatalf("RegisteredAt %v, want %v", res.Record.RegisteredAt, want.Add(time.Hour))
	}
}

// TestScanWhileWriting: a scan's callback may call the store (even write)
// without deadlocking, and sees the rows as of the scan's start.
func TestScanWhileWriting(t *testing.T) {
	ctx := context.Background()
	st := memstore.New()
	if _, err := st.WriteSnapshot(ctx, storetest.Snapshot("vc-a", t0, 5, 1)); err != nil {
		t.Fatal(err)
	}
	n := 0
	err := st.ScanSamples(ctx, nil, func(s *inventory.Sample) error {
		n++
		_, err := st.WriteSnapshot(ctx, storetest.Snapshot("vc-a", t0.Add(time.Duration(n)*time.Hour), 5, 1))
		return err
	})
	if err != nil || n != 5 {
		t.Fatalf("scan saw %d rows (err %v), want the 5 present when it started", n, err)
	}
}

func TestCancelledScan(t *testing.T) {
	st := memstore.New()
	if _, err := st.WriteSnapshot(context.Background(), storetest.Snapshot("vc-a", t0, 5, 1)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := st.ScanSamples(ctx, nil, func(*inventory.Sample) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Fatalf("ScanSamples with a cancelled context: %v", err)
	}
}

func TestInvalidEndpointErrorNamesEveryField(t *testing.T) {
	st := memstore.New()
	_, err := st.UpsertEndpoint(context.Background(), &store.UpsertEndpointParams{Endpoint: inventory.Endpoint{
		URL: "https://root:pa55@vc/sdk", Kind: "nsx", PollInterval: -1, Credential: []byte("blob"),
	}})
	var ipe *store.InvalidParamsError
	if !errors.As(err, &ipe) {
		t.Fatalf("got %v", err)
	}
	if diff := cmp.Diff("Endpoint.name,kind,url,poll_interval", ipe.Field); diff != "" {
		t.Errorf("Field (-want +got):\n%s", diff)
	}
}

func Example() {
	ctx := context.Background()
	st := memstore.New()
	defer st.Close()

	// A deterministic snapshot of one vCenter with 20 VMs.
	p := storetest.Snapshot("vc1", time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC), 20, 1)
	p.Compat = true
	res, err := st.WriteSnapshot(ctx, p)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("samples:", res.Samples, "state replaced:", res.StateReplaced, "table:", res.CompatTable)

	page, _ := st.ListVMs(ctx, &store.ListVMsParams{Vcenter: "vc1", HostID: "host-1", Limit: 3})
	for _, vm := range page.VMs {
		fmt.Println(vm.ID, vm.Name, vm.PowerState)
	}
	latest, _ := st.LatestTotals(ctx, nil)
	fmt.Printf("%s: %d VMs, %d templates, %d powered on\n", latest[0].Vcenter, latest[0].VMCount, latest[0].TemplateCount, latest[0].PoweredOnCount)
	// Output:
	// samples: 20 state replaced: true table: inventory_hourly_202603141000
	// vm-1 vm0001-db poweredOn
	// vm-10 vm0010-web poweredOff
	// vm-13 vm0013-cache suspended
	// vc1: 18 VMs, 2 templates, 10 powered on
}

// TestLiveCopyIsolation mutates what ApplyChanges was given and what
// ListChanges and ListEvents returned: the store still equals one given
// the same batch and left alone.
func TestLiveCopyIsolation(t *testing.T) {
	ctx := context.Background()
	batch := func() (*store.ApplyChangesParams, *inventory.VM, *inventory.Datastore) {
		vm := &inventory.VM{Vcenter: "vc-a", ID: "vm-1", Name: "a", DatastoreIDs: []string{"ds-2", "ds-1"},
			NetworkIDs: []string{"net-1"}, Attributes: map[string]string{"k": "v"}}
		ds := &inventory.Datastore{Vcenter: "vc-a", ID: "ds-1", HostIDs: []string{"host-1"}}
		return &store.ApplyChangesParams{Vcenter: "vc-a", ObservedAt: t0, Changes: []inventory.Change{
			{Vcenter: "vc-a", Entity: inventory.EntityVM, ID: "vm-1", Op: inventory.ChangeUpsert, Fields: []string{"name"}, VM: vm},
			{Vcenter: "vc-a", Entity: inventory.EntityDatastore, ID: "ds-1", Op: inventory.ChangeUpsert, Datastore: ds},
		}, Events: []inventory.Event{{Vcenter: "vc-a", SnapshotTime: t0, Kind: inventory.EventRename, VMID: "vm-1",
			Before: map[string]string{"name": "b"}, After: map[string]string{"name": "a"}}}}, vm, ds
	}
	st, ref := memstore.New(), memstore.New()
	p, vm, ds := batch()
	if _, err := st.ApplyChanges(ctx, p); err != nil {
		t.Fatal(err)
	}
	refP, _, _ := batch()
	if _, err := ref.ApplyChanges(ctx, refP); err != nil {
		t.Fatal(err)
	}
	vm.Name, vm.DatastoreIDs[0], vm.NetworkIDs[0], vm.Attributes["k"] = "x", "x", "x", "x"
	ds.HostIDs[0] = "x"
	p.Changes[0].Fields[0] = "x"
	p.Events[0].After["name"] = "x"
	pg, err := st.ListChanges(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range pg.Changes {
		c.Fields = append(c.Fields[:0], "x")
		if c.VM != nil {
			c.VM.Name, c.VM.DatastoreIDs[0], c.VM.Attributes["k"] = "x", "x", "x"
		}
		if c.Datastore != nil {
			c.Datastore.HostIDs[0] = "x"
		}
	}
	evs, err := st.ListEvents(ctx, &store.ListEventsParams{LiveOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	evs.Events[0].Before["name"] = "x"
	if d := storetest.Diff(storetest.Dump(t, ref), storetest.Dump(t, st)); d != "" {
		t.Fatalf("mutations by the caller changed the store (-want +got):\n%s", d)
	}
}
