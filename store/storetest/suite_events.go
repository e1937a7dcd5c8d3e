package storetest

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/driver"
)

func lifecycleTests() []test {
	return []test{
		{"ApplyAndList", testLifecyclesList},
		{"Pagination", testLifecyclesPagination},
		{"UpsertReplacesEveryField", testLifecycleUpsert},
		{"Idempotent", testLifecyclesIdempotent},
		{"InvalidParams", testLifecyclesInvalid},
		{"ReconciledWatermarkAndEndpointEvents", testReconcileState},
	}
}

// testReconcileState: ApplyReconcile moves a vCenter's reconciled
// watermark forward only (even with nothing else to write), keeps endpoint
// events once each, and ListEndpointEvents filters them.
func testReconcileState(e *env) {
	through := func(vc string) time.Time {
		t, err := e.st.ReconciledThrough(e.ctx, &store.ReconciledThroughParams{Vcenter: vc})
		e.ok(err, "ReconciledThrough(%s)", vc)
		return t
	}
	if got := through("vc-a"); !got.IsZero() {
		e.t.Errorf("ReconciledThrough of a new vCenter = %v, want zero", got)
	}
	t1, t2 := t0.Add(time.Hour), t0.Add(2*time.Hour)
	evs := []inventory.EndpointEvent{
		{Vcenter: "vc-a", VMID: "vm-1", Kind: inventory.EndpointCreated, Time: t0.Add(-time.Minute)},
		{Vcenter: "vc-a", VMID: "vm-2", Kind: inventory.EndpointCloned, Time: t0.Add(-time.Minute)},
		{Vcenter: "vc-a", VMID: "vm-1", Kind: inventory.EndpointRemoved, Time: t1.Add(-time.Second)},
		{Vcenter: "vc-b", VMID: "vm-1", Kind: inventory.EndpointCreated, Time: t0},
	}
	e.ok(e.st.ApplyReconcile(e.ctx, &store.ApplyReconcileParams{Vcenter: "vc-a", SnapshotTime: t2}), "ApplyReconcile(vc-a, t2) with nothing to write")
	e.ok(e.st.ApplyReconcile(e.ctx, &store.ApplyReconcileParams{Vcenter: "vc-a", SnapshotTime: t1, EndpointEvents: evs[:3]}), "ApplyReconcile(vc-a, t1)")
	e.ok(e.st.ApplyReconcile(e.ctx, &store.ApplyReconcileParams{Vcenter: "vc-b", SnapshotTime: t0, EndpointEvents: evs[3:]}), "ApplyReconcile(vc-b, t0)")
	e.ok(e.st.ApplyReconcile(e.ctx, &store.ApplyReconcileParams{Vcenter: "vc-a", SnapshotTime: t1, EndpointEvents: evs[:3]}), "ApplyReconcile(vc-a, t1) again")
	if got := through("vc-a"); !got.Equal(t2) {
		e.t.Errorf("ReconciledThrough(vc-a) = %v, want %v (the watermark never moves back)", got, t2)
	}
	if got := through("vc-b"); !got.Equal(t0) {
		e.t.Errorf("ReconciledThrough(vc-b) = %v, want %v", got, t0)
	}
	list := func(p store.ListEndpointEventsParams) []inventory.EndpointEvent {
		out, err := e.st.ListEndpointEvents(e.ctx, &p)
		e.ok(err, "ListEndpointEvents(%+v)", p)
		return out
	}
	checkList(e.t, "ListEndpointEvents{vc-a}", []inventory.EndpointEvent{evs[0], evs[1], evs[2]}, list(store.ListEndpointEventsParams{Vcenter: "vc-a"}))
	checkList(e.t, "ListEndpointEvents{vc-a, vm-1}", []inventory.EndpointEvent{evs[0], evs[2]}, list(store.ListEndpointEventsParams{Vcenter: "vc-a", VMIDs: []string{"vm-1"}}))
	checkList(e.t, "ListEndpointEvents{vc-a, from t0}", []inventory.EndpointEvent{evs[2]}, list(store.ListEndpointEventsParams{Vcenter: "vc-a", From: t0}))
	checkList(e.t, "ListEndpointEvents{vc-a, to t0}", []inventory.EndpointEvent{evs[0], evs[1]}, list(store.ListEndpointEventsParams{Vcenter: "vc-a", To: t0}))
	_, err := e.st.ListEndpointEvents(e.ctx, &store.ListEndpointEventsParams{})
	wantInvalid(e.t, err, "ListEndpointEvents", "without a vCenter")
	err = e.st.ApplyReconcile(e.ctx, &store.ApplyReconcileParams{Vcenter: "vc-a", SnapshotTime: t2,
		EndpointEvents: []inventory.EndpointEvent{{Vcenter: "vc-a", Kind: inventory.EndpointCreated, Time: t0}}})
	wantInvalid(e.t, err, "ApplyReconcile", "an endpoint event without a vm_id")
}

func (e *env) lifecycleData() []inventory.Lifecycle {
	a := Lifecycles("vc-a", t0, 14, 1)
	b := Lifecycles("vc-b", t0.Add(time.Hour), 5, 2)
	e.ok(e.st.ApplyReconcile(e.ctx, &store.ApplyReconcileParams{Vcenter: "vc-b", SnapshotTime: t0.Add(time.Hour), Lifecycles: b}), "ApplyReconcile vc-b")
	e.ok(e.st.ApplyReconcile(e.ctx, &store.ApplyReconcileParams{Vcenter: "vc-a", SnapshotTime: t0, Lifecycles: a, Events: Events("vc-a", t0, 5, 1)}), "ApplyReconcile vc-a")
	return e.n.lifecycles(append(a, b...))
}

func testLifecyclesList(e *env) {
	all := e.lifecycleData()
	for _, p := range []store.ListLifecyclesParams{
		{}, {Vcenter: "vc-a"}, {Vcenter: "vc-b"}, {Vcenter: "missing"},
		{Deleted: ptr(true)}, {Deleted: ptr(false)}, {Vcenter: "vc-b", Deleted: ptr(true)},
		{VMIDs: []string{"vm-3", "vm-1", "vm-missing"}}, {Vcenter: "vc-a", VMIDs: []string{"vm-11", "vm-2"}, Deleted: ptr(true)},
		{VMIDs: []string{"vm-missing"}},
	} {
		want := filter(all, func(l inventory.Lifecycle) bool {
			return (p.Vcenter == "" || l.Vcenter == p.Vcenter) && (p.Deleted == nil || l.Deleted == *p.Deleted) &&
				(len(p.VMIDs) == 0 || slices.Contains(p.VMIDs, l.VMID))
		})
		what := fmt.Sprintf("ListLifecycles{Vcenter: %q, Deleted: %v, VMIDs: %q}", p.Vcenter, fmtBool(p.Deleted), p.VMIDs)
		checkList(e.t, what, want, e.listLifecycles(p))
	}
	for _, i := range []int{0, 4, len(all) - 1} {
		want := all[i]
		got, err := e.st.GetLifecycle(e.ctx, &store.GetLifecycleParams{Vcenter: want.Vcenter, VMID: want.VMID})
		e.ok(err, "GetLifecycle(%s, %s)", want.Vcenter, want.VMID)
		checkEq(e.t, fmt.Sprintf("GetLifecycle(%s, %s)", want.Vcenter, want.VMID), &want, got)
	}
	_, err := e.st.GetLifecycle(e.ctx, &store.GetLifecycleParams{Vcenter: "vc-b", VMID: "vm-14"})
	wantNotFound(e.t, err, "GetLifecycle of an unknown VM")
	// ApplyReconcile also appended its events.
	evs := e.listEvents(store.ListEventsParams{Vcenter: "vc-a"})
	want := Events("vc-a", t0, 5, 1)
	for i := range want {
		want[i] = e.n.event(want[i])
	}
	checkList(e.t, "ListEvents{vc-a} after ApplyReconcile", want, evs, ignoreEventID)
}

func fmtBool(b *bool) string {
	if b == nil {
		return "nil"
	}
	return fmt.Sprint(*b)
}

func testLifecyclesPagination(e *env) {
	all := e.lifecycleData()
	for _, p := range []store.ListLifecyclesParams{{Limit: 1}, {Limit: 3}, {Limit: 19}, {Limit: 4, Deleted: ptr(false)}, {Limit: 2, Vcenter: "vc-a", VMIDs: []string{"vm-1", "vm-10", "vm-12", "vm-5"}}} {
		want := filter(all, func(l inventory.Lifecycle) bool {
			return (p.Vcenter == "" || l.Vcenter == p.Vcenter) && (p.Deleted == nil || l.Deleted == *p.Deleted) &&
				(len(p.VMIDs) == 0 || slices.Contains(p.VMIDs, l.VMID))
		})
		var got []inventory.Lifecycle
		q := p
		for page := 0; ; page++ {
			pg, err := e.st.ListLifecycles(e.ctx, &q)
			e.ok(err, "ListLifecycles page %d", page)
			if len(pg.Lifecycles) > p.Limit {
				e.t.Fatalf("ListLifecycles(Limit %d) page %d: %d rows", p.Limit, page, len(pg.Lifecycles))
			}
			got = append(got, pg.Lifecycles...)
			if (len(got) == len(want)) != (pg.NextCursor == "") {
				e.t.Fatalf("ListLifecycles(Limit %d, Vcenter %q) page %d: NextCursor %q after %d of %d rows (want empty exactly on the last page)",
					p.Limit, p.Vcenter, page, pg.NextCursor, len(got), len(want))
			}
			if pg.NextCursor == "" {
				break
			}
			q.Cursor = pg.NextCursor
		}
		checkList(e.t, fmt.Sprintf("ListLifecycles pages of %d (Vcenter %q, Deleted %s, VMIDs %q)", p.Limit, p.Vcenter, fmtBool(p.Deleted), p.VMIDs), want, got)
	}
	_, err := e.st.ListLifecycles(e.ctx, &store.ListLifecyclesParams{Cursor: "%%%"})
	wantInvalid(e.t, err, "ListLifecycles", "with a malformed cursor")
}

func testLifecycleUpsert(e *env) {
	all := e.lifecycleData()
	// vm-2 of vc-a is deleted; it reappears under a new name: every field is
	// replaced, the deletion fields cleared.
	upd := inventory.Lifecycle{Vcenter: "vc-a", VMID: "vm-2", VMUUID: "5021-2b", Name: "vm0002-back",
		FirstSeen: t0.Add(-24 * time.Hour), LastSeen: t0.Add(2 * time.Hour), CreationSource: inventory.SourceNone}
	e.ok(e.st.ApplyReconcile(e.ctx, &store.ApplyReconcileParams{Vcenter: "vc-a", SnapshotTime: t0.Add(2 * time.Hour),
		Lifecycles: []inventory.Lifecycle{upd}}), "ApplyReconcile")
	for i := range all {
		if all[i].Vcenter == "vc-a" && all[i].VMID == "vm-2" {
			if !all[i].Deleted {
				e.t.Fatal("suite bug: vm-2 should be deleted in the fixture")
			}
			all[i] = e.n.lifecycle(upd)
		}
	}
	checkList(e.t, "ListLifecycles after an upsert (every field replaced, other rows unchanged)", all, e.listLifecycles(store.ListLifecyclesParams{}))
}

func testLifecyclesIdempotent(e *env) {
	p := &store.ApplyReconcileParams{Vcenter: "vc-a", SnapshotTime: t0, Lifecycles: Lifecycles("vc-a", t0, 9, 3), Events: Events("vc-a", t0, 12, 3)}
	e.ok(e.st.ApplyReconcile(e.ctx, p), "ApplyReconcile")
	once := e.dump()
	e.ok(e.st.ApplyReconcile(e.ctx, p), "ApplyReconcile (again)")
	e.unchanged(once, "ApplyReconcile of the same rows twice")
}

func testLifecyclesInvalid(e *env) {
	e.lifecycleData()
	before := e.dump()
	for name, p := range map[string]*store.ApplyReconcileParams{
		"duplicate VM": {Vcenter: "vc-a", SnapshotTime: t0, Lifecycles: append(Lifecycles("vc-a", t0, 3, 9), Lifecycles("vc-a", t0, 1, 9)...)},
		"missing VMID": {Vcenter: "vc-a", SnapshotTime: t0, Lifecycles: []inventory.Lifecycle{{Vcenter: "vc-a", Name: "x"}}},
		"event without kind": {Vcenter: "vc-a", SnapshotTime: t0, Lifecycles: Lifecycles("vc-a", t0, 3, 9),
			Events: []inventory.Event{{Vcenter: "vc-a", SnapshotTime: t0, VMID: "vm-1"}}},
		"event without time": {Vcenter: "vc-a", SnapshotTime: t0, Lifecycles: Lifecycles("vc-a", t0, 3, 9),
			Events: []inventory.Event{{Vcenter: "vc-a", Kind: inventory.EventPower, VMID: "vm-1"}}},
	} {
		err := e.st.ApplyReconcile(e.ctx, p)
		wantInvalid(e.t, err, "ApplyReconcile", name)
		e.unchanged(before, "invalid ApplyReconcile (%s)", name)
	}
}

func eventTests() []test {
	return []test{
		{"AppendAndList", testEventsList},
		{"AppendIdempotent", testEventsIdempotent},
		{"Filters", testEventsFilters},
		{"Pagination", testEventsPagination},
		{"AfterID", testEventsAfterID},
		{"InvalidParams", testEventsInvalid},
	}
}

// eventData appends events in three calls whose snapshot times are not in
// insertion order, and returns them in insertion order.
func (e *env) eventData() []inventory.Event {
	calls := [][]inventory.Event{
		Events("vc-a", t0.Add(2*time.Hour), 9, 1),
		append(Events("vc-b", t0.Add(time.Hour), 4, 2), Events("vc-a", t0, 3, 3)...),
		Events("vc-a", t0.Add(time.Hour), 2, 4),
	}
	var all []inventory.Event
	for i, evs := range calls {
		e.ok(e.st.AppendEvents(e.ctx, &store.AppendEventsParams{Events: evs}), "AppendEvents call %d", i+1)
		for _, ev := range evs {
			all = append(all, e.n.event(ev))
		}
	}
	return all
}

// byEventOrder returns events (given in insertion order) in the order of
// ListEvents: (snapshot_time, insertion).
func byEventOrder(ins []inventory.Event, desc bool) []inventory.Event {
	out := slices.Clone(ins)
	slices.SortStableFunc(out, func(a, b inventory.Event) int { return a.SnapshotTime.Compare(b.SnapshotTime) })
	if desc {
		slices.Reverse(out)
	}
	return out
}

func testEventsList(e *env) {
	ins := e.eventData()
	got := e.listEvents(store.ListEventsParams{Limit: 1000})
	checkList(e.t, "ListEvents (ordered by snapshot_time, id)", byEventOrder(ins, false), got, ignoreEventID)
	// IDs: positive, unique, increasing in insertion order.
	ids := map[string]int64{}
	for _, ev := range got {
		if ev.ID <= 0 {
			e.t.Errorf("event %s/%s/%s/%s has ID %d, want > 0", ev.Vcenter, ev.SnapshotTime, ev.Kind, ev.VMID, ev.ID)
		}
		ids[evKey(ev)] = ev.ID
	}
	var prev int64
	for i, ev := range ins {
		id := ids[evKey(ev)]
		if i > 0 && id <= prev {
			e.t.Errorf("event #%d inserted (%s) has ID %d, not above the previous one's %d: IDs must increase in insertion order", i, evKey(ev), id, prev)
		}
		prev = id
	}
	for i := 1; i < len(got); i++ {
		if got[i].SnapshotTime.Equal(got[i-1].SnapshotTime) && got[i].ID <= got[i-1].ID {
			e.t.Errorf("ListEvents: events %d and %d at the same time are not ordered by id (%d, %d)", i-1, i, got[i-1].ID, got[i].ID)
		}
	}
	desc := e.listEvents(store.ListEventsParams{Descending: true})
	want := slices.Clone(got)
	slices.Reverse(want)
	checkList(e.t, "ListEvents{Descending} (exact reverse, ids included)", want, desc)
}

func evKey(ev inventory.Event) string {
	return fmt.Sprintf("%s|%s|%s|%s", ev.Vcenter, ev.SnapshotTime.UTC().Format(time.RFC3339Nano), ev.Kind, ev.VMID)
}

func testEventsIdempotent(e *env) {
	ins := e.eventData()
	once := e.dump()
	again := Events("vc-a", t0.Add(2*time.Hour), 9, 1)
	e.ok(e.st.AppendEvents(e.ctx, &store.AppendEventsParams{Events: again}), "AppendEvents (again)")
	e.unchanged(once, "appending the same events again")

	// Known keys with other values are ignored (the first stays), new ones
	// are added with higher IDs; a key repeated within a call is stored once.
	changed := again[1]
	changed.Name, changed.Before, changed.After = "changed", map[string]string{"x": "1"}, nil
	fresh := inventory.Event{Vcenter: "vc-a", SnapshotTime: t0.Add(2 * time.Hour), Kind: inventory.EventPower, VMID: "vm-77",
		After: map[string]string{"power_state": string(inventory.PoweredOn)}}
	dup := fresh
	dup.Name = "dup"
	e.ok(e.st.AppendEvents(e.ctx, &store.AppendEventsParams{Events: []inventory.Event{changed, fresh, dup}}), "AppendEvents")
	got := e.listEvents(store.ListEventsParams{Limit: 1000})
	checkList(e.t, "ListEvents after appending known keys with other values plus one new event", byEventOrder(append(ins, e.n.event(fresh)), false), got, ignoreEventID)
	var maxOld, freshID int64
	for _, ev := range got {
		if evKey(ev) == evKey(e.n.event(fresh)) {
			freshID = ev.ID
		} else {
			maxOld = max(maxOld, ev.ID)
		}
	}
	if freshID <= maxOld {
		e.t.Errorf("new event ID %d is not above the earlier IDs (max %d)", freshID, maxOld)
	}
}

func testEventsFilters(e *env) {
	ins := e.eventData()
	asc := byEventOrder(ins, false)
	h := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Hour) }
	for _, p := range []store.ListEventsParams{
		{Vcenter: "vc-a"}, {Vcenter: "vc-b"}, {Vcenter: "missing"},
		{VMID: "vm-1"}, {Vcenter: "vc-a", VMID: "vm-2"},
		{Kinds: []inventory.EventKind{inventory.EventPower}}, {Kinds: []inventory.EventKind{inventory.EventResize, inventory.EventCreated, "unknown"}},
		{Kinds: []inventory.EventKind{inventory.EventMassAbsence}},
		{From: h(1)}, {To: h(1)}, {From: h(1), To: h(2)}, {From: h(1), To: h(1)},
		{Vcenter: "vc-a", Kinds: []inventory.EventKind{inventory.EventCreated, inventory.EventDeleted}, From: h(0), To: h(2)},
		{Vcenter: "vc-a", Descending: true}, {Kinds: []inventory.EventKind{inventory.EventCreated}, Descending: true, From: h(1)},
	} {
		want := filter(asc, func(ev inventory.Event) bool {
			return (p.Vcenter == "" || ev.Vcenter == p.Vcenter) && (p.VMID == "" || ev.VMID == p.VMID) &&
				(len(p.Kinds) == 0 || slices.Contains(p.Kinds, ev.Kind)) && inRange(ev.SnapshotTime, p.From, p.To)
		})
		if p.Descending {
			slices.Reverse(want)
		}
		checkList(e.t, fmt.Sprintf("ListEvents%s", describe(p)), want, e.listEvents(p), ignoreEventID)
	}
}

func testEventsPagination(e *env) {
	ins := e.eventData()
	for _, desc := range []bool{false, true} {
		for _, p := range []store.ListEventsParams{{Limit: 1}, {Limit: 4}, {Limit: 18}, {Limit: 3, Vcenter: "vc-a"}, {Limit: 2, Kinds: []inventory.EventKind{inventory.EventPower, inventory.EventCreated}}} {
			p.Descending = desc
			full := e.listEvents(store.ListEventsParams{Vcenter: p.Vcenter, Kinds: p.Kinds, Descending: desc, Limit: 1000})
			want := filter(byEventOrder(ins, desc), func(ev inventory.Event) bool {
				return (p.Vcenter == "" || ev.Vcenter == p.Vcenter) && (len(p.Kinds) == 0 || slices.Contains(p.Kinds, ev.Kind))
			})
			checkList(e.t, fmt.Sprintf("ListEvents%s in one page", describe(p)), want, full, ignoreEventID)
			var got []inventory.Event
			q := p
			for page := 0; ; page++ {
				pg, err := e.st.ListEvents(e.ctx, &q)
				e.ok(err, "ListEvents page %d", page)
				if len(pg.Events) > p.Limit {
					e.t.Fatalf("ListEvents(Limit %d) page %d: %d events", p.Limit, page, len(pg.Events))
				}
				got = append(got, pg.Events...)
				if (len(got) == len(full)) != (pg.NextCursor == "") {
					e.t.Fatalf("ListEvents%s page %d: NextCursor %q after %d of %d events (want empty exactly on the last page)",
						describe(p), page, pg.NextCursor, len(got), len(full))
				}
				if pg.NextCursor == "" {
					break
				}
				q.Cursor = pg.NextCursor
			}
			checkList(e.t, fmt.Sprintf("ListEvents%s pages concatenated", describe(p)), full, got)
		}
	}
	_, err := e.st.ListEvents(e.ctx, &store.ListEventsParams{Cursor: "bogus"})
	wantInvalid(e.t, err, "ListEvents", "with a malformed cursor")
}

func testEventsInvalid(e *env) {
	e.eventData()
	before := e.dump()
	for name, ev := range map[string]inventory.Event{
		"empty vcenter": {SnapshotTime: t0, Kind: inventory.EventPower, VMID: "vm-1"},
		"zero time":     {Vcenter: "vc-a", Kind: inventory.EventPower, VMID: "vm-1"},
		"empty kind":    {Vcenter: "vc-a", SnapshotTime: t0, VMID: "vm-1"},
		"NUL in kind":   {Vcenter: "vc-a", SnapshotTime: t0, Kind: "po\x00wer", VMID: "vm-1"},
		"NUL in name":   {Vcenter: "vc-a", SnapshotTime: t0, Kind: inventory.EventPower, VMID: "vm-1", Name: "\x00"},
	} {
		good := Events("vc-c", t0, 3, 1)
		err := e.st.AppendEvents(e.ctx, &store.AppendEventsParams{Events: append(good, ev)})
		wantInvalid(e.t, err, "AppendEvents", name)
		e.unchanged(before, "invalid AppendEvents (%s)", name)
	}
}

// tailEvents lists the events after id with AfterID, page by page, the
// way a live reader tails the log, checking each page's shape.
func (e *env) tailEvents(p store.ListEventsParams) []inventory.Event {
	e.t.Helper()
	var out []inventory.Event
	for page := 0; ; page++ {
		pg, err := e.st.ListEvents(e.ctx, &p)
		e.ok(err, "ListEvents%s page %d", describe(p), page)
		if pg.NextCursor != "" {
			e.t.Errorf("ListEvents%s: NextCursor %q, want empty with AfterID", describe(p), pg.NextCursor)
		}
		if lim := driver.EventsPageSize(&p); len(pg.Events) > lim {
			e.t.Fatalf("ListEvents%s: %d events, more than Limit %d", describe(p), len(pg.Events), lim)
		}
		out = append(out, pg.Events...)
		if len(pg.Events) < driver.EventsPageSize(&p) {
			return out
		}
		if page > 100000 {
			e.t.Fatalf("ListEvents%s: more than 100000 pages", describe(p))
		}
		p.AfterID = pg.Events[len(pg.Events)-1].ID
	}
}

func testEventsAfterID(e *env) {
	e.eventData()
	all := e.listEvents(store.ListEventsParams{Limit: 1000})
	byID := slices.Clone(all)
	slices.SortFunc(byID, func(a, b inventory.Event) int { return cmp.Compare(a.ID, b.ID) })
	for _, k := range []int{0, 1, 7, len(byID) - 1} {
		for _, limit := range []int{0, 1, 3} {
			p := store.ListEventsParams{AfterID: byID[k].ID, Limit: limit}
			checkList(e.t, fmt.Sprintf("ListEvents{AfterID: #%d's ID, Limit: %d} (the later events in ID order)", k, limit),
				byID[k+1:], e.tailEvents(p))
		}
	}
	// Filters apply.
	var want []inventory.Event
	for _, ev := range byID[2:] {
		if ev.Vcenter == "vc-a" && ev.Kind == byID[0].Kind {
			want = append(want, ev)
		}
	}
	checkList(e.t, "ListEvents{AfterID, Vcenter: vc-a, Kinds}", want,
		e.tailEvents(store.ListEventsParams{AfterID: byID[1].ID, Vcenter: "vc-a", Kinds: []inventory.EventKind{byID[0].Kind}, Limit: 2}))
	// A tailer that saw everything then sees exactly what is appended next,
	// even at an older snapshot time.
	last := byID[len(byID)-1].ID
	if got := e.tailEvents(store.ListEventsParams{AfterID: last}); len(got) != 0 {
		e.t.Errorf("ListEvents{AfterID: the last ID} = %d events, want none", len(got))
	}
	more := Events("vc-c", t0.Add(-time.Hour), 3, 9)
	e.ok(e.st.AppendEvents(e.ctx, &store.AppendEventsParams{Events: more}), "AppendEvents")
	var wantNew []inventory.Event
	for _, ev := range more {
		wantNew = append(wantNew, e.n.event(ev))
	}
	checkList(e.t, "ListEvents{AfterID: the last ID} after an append", wantNew, e.tailEvents(store.ListEventsParams{AfterID: last}), ignoreEventID)
	// Invalid combinations.
	for name, p := range map[string]store.ListEventsParams{
		"negative AfterID":       {AfterID: -1},
		"AfterID with Cursor":    {AfterID: last, Cursor: "x"},
		"AfterID and Descending": {AfterID: last, Descending: true},
	} {
		_, err := e.st.ListEvents(e.ctx, &p)
		wantInvalid(e.t, err, "ListEvents", name)
	}
}
