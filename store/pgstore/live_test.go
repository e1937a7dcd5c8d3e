package pgstore_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/pgstore"
	"github.com/accessvault/vinventory/store/storetest"
)

// TestLiveTailInCommitOrder runs writers of several vCenters at once
// (ApplyChanges; AppendEvents and ApplyReconcile, which insert events too;
// captures of a watched vCenter) while a reader tails the change log by
// seq and the events by id: it must see every number exactly once, in
// order. Without the
// sequence lock a transaction that drew a smaller number could commit
// after one with a larger number, and a tail that had already moved past
// the larger one would skip it for good.
func TestLiveTailInCommitOrder(t *testing.T) {
	st := newStore(t, pgstore.Options{})
	ctx := context.Background()
	const rounds = 60
	t0 := time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC)
	vcs := []string{"vc-a", "vc-b", "vc-c"}
	// A first event to tail after (AfterID must be positive).
	if err := st.AppendEvents(ctx, &store.AppendEventsParams{Events: []inventory.Event{
		{Vcenter: "vc-z", SnapshotTime: t0, Kind: inventory.EventCreated, VMID: "vm-0"}}}); err != nil {
		t.Fatal(err)
	}
	first, err := st.ListEvents(ctx, &store.ListEventsParams{})
	if err != nil || len(first.Events) != 1 {
		t.Fatalf("ListEvents: %v, %v", first, err)
	}

	var writers sync.WaitGroup
	errs := make(chan error, 16)
	for w, vc := range vcs {
		writers.Add(1)
		go func() {
			defer writers.Done()
			for r := range rounds {
				at := t0.Add(time.Duration(r) * time.Second)
				p := &store.ApplyChangesParams{Vcenter: vc, ObservedAt: at}
				for i := range 1 + (r+w)%4 {
					v := inventory.VM{Vcenter: vc, ID: fmt.Sprintf("vm-%d", i), Name: fmt.Sprintf("%s-%d-%d", vc, r, i),
						DatastoreIDs: []string{"ds-1", fmt.Sprintf("ds-%d", r)}}
					p.Changes = append(p.Changes, inventory.Change{Vcenter: vc, Entity: inventory.EntityVM, ID: v.ID,
						Op: inventory.ChangeUpsert, Name: v.Name, VM: &v})
				}
				p.Events = []inventory.Event{{Vcenter: vc, SnapshotTime: at, Kind: inventory.EventPower, VMID: "vm-0", Name: "x"}}
				if _, err := st.ApplyChanges(ctx, p); err != nil {
					errs <- fmt.Errorf("ApplyChanges %s round %d: %w", vc, r, err)
					return
				}
			}
		}()
	}
	// Two more writers insert events only, through the other paths.
	writers.Add(2)
	go func() {
		defer writers.Done()
		for r := range rounds {
			ev := inventory.Event{Vcenter: "vc-d", SnapshotTime: t0.Add(time.Duration(r) * time.Second), Kind: inventory.EventCreated,
				VMID: fmt.Sprintf("vm-%d", r)}
			if err := st.AppendEvents(ctx, &store.AppendEventsParams{Events: []inventory.Event{ev}}); err != nil {
				errs <- fmt.Errorf("AppendEvents round %d: %w", r, err)
				return
			}
		}
	}()
	go func() {
		defer writers.Done()
		for r := range rounds {
			at := t0.Add(time.Duration(r) * time.Second)
			p := &store.ApplyReconcileParams{Vcenter: "vc-e", SnapshotTime: at,
				Lifecycles: []inventory.Lifecycle{{Vcenter: "vc-e", VMID: fmt.Sprintf("vm-%d", r), FirstSeen: at, LastSeen: at}},
				Events:     []inventory.Event{{Vcenter: "vc-e", SnapshotTime: at, Kind: inventory.EventCreated, VMID: fmt.Sprintf("vm-%d", r)}}}
			if err := st.ApplyReconcile(ctx, p); err != nil {
				errs <- fmt.Errorf("ApplyReconcile round %d: %w", r, err)
				return
			}
		}
	}()
	// Captures and reconciles of a vCenter the watchers write too: the
	// locks they share must not deadlock.
	writers.Add(1)
	go func() {
		defer writers.Done()
		for r := range rounds / 6 {
			at := t0.Add(time.Duration(r) * time.Hour)
			if _, err := st.WriteSnapshot(ctx, storetest.Snapshot("vc-a", at, 8, int64(r))); err != nil {
				errs <- fmt.Errorf("WriteSnapshot round %d: %w", r, err)
				return
			}
			if err := st.ApplyReconcile(ctx, &store.ApplyReconcileParams{Vcenter: "vc-a", SnapshotTime: at,
				Lifecycles: []inventory.Lifecycle{{Vcenter: "vc-a", VMID: "vm-0", FirstSeen: t0, LastSeen: at}},
				Events:     []inventory.Event{{Vcenter: "vc-a", SnapshotTime: at, Kind: inventory.EventResize, VMID: "vm-0"}}}); err != nil {
				errs <- fmt.Errorf("ApplyReconcile vc-a round %d: %w", r, err)
				return
			}
		}
	}()
	done := make(chan struct{})
	go func() {
		writers.Wait()
		close(done)
	}()

	// Tail until the writers are done and a last read finds nothing new.
	var seqs, ids []int64
	var lastSeq int64
	lastID := first.Events[0].ID
	finished := false
	deadline := time.After(2 * time.Minute)
	for {
		select {
		case <-deadline:
			t.Fatal("writers did not finish within 2 minutes")
		default:
		}
		if !finished {
			select {
			case <-done:
				finished = true
			default:
			}
		}
		pg, err := st.ListChanges(ctx, &store.ListChangesParams{AfterSeq: lastSeq, Limit: 5})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range pg.Changes {
			seqs = append(seqs, c.Seq)
			lastSeq = c.Seq
		}
		ep, err := st.ListEvents(ctx, &store.ListEventsParams{AfterID: lastID, Limit: 5})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ep.Events {
			ids = append(ids, e.ID)
			lastID = e.ID
		}
		if finished && len(pg.Changes) == 0 && len(ep.Events) == 0 {
			break
		}
	}
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	all, err := st.ListChanges(ctx, &store.ListChangesParams{Limit: 10000})
	if err != nil {
		t.Fatal(err)
	}
	var want []int64
	for _, c := range all.Changes {
		want = append(want, c.Seq)
	}
	if !slices.Equal(seqs, want) {
		t.Errorf("the tail by seq saw %d changes, the log holds %d: the tail skipped or repeated %v", len(seqs), len(want), diffSeqs(want, seqs))
	}
	evs, err := st.ListEvents(ctx, &store.ListEventsParams{Limit: 10000})
	if err != nil {
		t.Fatal(err)
	}
	var wantIDs []int64
	for _, e := range evs.Events {
		if e.ID != first.Events[0].ID {
			wantIDs = append(wantIDs, e.ID)
		}
	}
	slices.Sort(wantIDs)
	if !slices.Equal(ids, wantIDs) {
		t.Errorf("the tail by id saw %d events, the table holds %d: the tail skipped or repeated %v", len(ids), len(wantIDs), diffSeqs(wantIDs, ids))
	}
	if n := rounds*(len(vcs)+2) + rounds/6; len(want) < rounds*len(vcs) || len(wantIDs) != n {
		t.Errorf("the writers stored %d changes and %d events, want at least %d and exactly %d", len(want), len(wantIDs), rounds*len(vcs), n)
	}
}

// diffSeqs lists the numbers of want missing from got and those of got
// not in want or seen twice.
func diffSeqs(want, got []int64) []string {
	count := map[int64]int{}
	for _, n := range got {
		count[n]++
	}
	var out []string
	for _, n := range want {
		switch count[n] {
		case 0:
			out = append(out, fmt.Sprintf("missing %d", n))
		case 1:
		default:
			out = append(out, fmt.Sprintf("%d seen %d times", n, count[n]))
		}
		delete(count, n)
	}
	for n := range count {
		out = append(out, fmt.Sprintf("unknown %d", n))
	}
	return out
}
