package live_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/accessvault/vinventory/internal/live"
	"github.com/accessvault/vinventory/internal/live/livetest"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store/memstore"
)

var at = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

func next(t *testing.T, s *live.Subscription) *live.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	m, err := s.Next(ctx)
	if err != nil {
		t.Fatalf("next: %v", err)
	}
	return m
}

func TestCursor(t *testing.T) {
	c, err := live.ParseCursor(" 12-345 ")
	if err != nil || c != (live.Cursor{Seq: 12, EventID: 345}) || c.String() != "12-345" {
		t.Fatalf("%v %v", c, err)
	}
	for _, bad := range []string{"", "12", "a-1", "1-b", "-1-2", "1--2", "1-2-3"} {
		if _, err := live.ParseCursor(bad); !errors.Is(err, live.ErrBadCursor) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

// TestHubStartsAtHead: rows stored before the hub started are not sent
// to a new subscriber; a subscriber resuming from 0-0 gets them in order.
func TestHubStartsAtHead(t *testing.T) {
	st := memstore.New(memstore.Options{})
	var evs []inventory.Event
	for i := range 5 {
		evs = append(evs, livetest.Event("vc-a", "vm-1", at.Add(-time.Duration(i)*time.Hour), i)) // IDs grow as times fall
	}
	livetest.Apply(t, st, "vc-a", at, []inventory.Change{livetest.Upsert(livetest.VM("vc-a", "vm-1", "a", inventory.PoweredOn))}, evs...)
	hub, err := live.New(live.Options{Store: st, PollInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer hub.Close()
	ctx := context.Background()
	fresh, err := hub.Subscribe(ctx, live.SubscribeParams{})
	if err != nil {
		t.Fatal(err)
	}
	all, err := hub.Subscribe(ctx, live.SubscribeParams{After: &live.Cursor{}})
	if err != nil {
		t.Fatal(err)
	}
	m := next(t, all)
	if m.Kind != live.KindChange || m.ID.String() != "1-0" {
		t.Fatalf("first replayed %s %s", m.Kind, m.ID)
	}
	var ids []int64
	for range 5 {
		m := next(t, all)
		var e inventory.Event
		if err := json.Unmarshal(m.Data, &e); err != nil || m.Kind != live.KindEvent || m.ID != (live.Cursor{Seq: 1, EventID: e.ID}) {
			t.Fatalf("replayed %s %s %v", m.Kind, m.ID, err)
		}
		ids = append(ids, e.ID)
	}
	for i := 1; i < len(ids); i++ {
		if ids[i] <= ids[i-1] {
			t.Fatalf("events out of ID order: %v", ids)
		}
	}
	// Both then get the next live change, and the fresh one nothing
	// older.
	livetest.Apply(t, st, "vc-a", at, []inventory.Change{livetest.Upsert(livetest.VM("vc-a", "vm-2", "b", inventory.PoweredOff))})
	hub.Wake()
	for _, s := range []*live.Subscription{fresh, all} {
		if m := next(t, s); m.Kind != live.KindChange || m.ID != (live.Cursor{Seq: 2, EventID: ids[4]}) {
			t.Fatalf("live %s %s", m.Kind, m.ID)
		}
	}
}

// TestHubCardsAndClose: a card source publishes only cards that changed;
// Publish reaches only subscribers that may see it; Close ends Next.
func TestHubCardsAndClose(t *testing.T) {
	st := memstore.New(memstore.Options{})
	hub, err := live.New(live.Options{Store: st, CardInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	state := map[string]string{"vc-a": "ok", "vc-b": "ok"}
	polls := make(chan struct{}, 100)
	hub.AddCards(live.KindCollector, func(context.Context) ([]live.Card, error) {
		mu.Lock()
		defer mu.Unlock()
		select {
		case polls <- struct{}{}:
		default:
		}
		return []live.Card{{Key: "vc-a", Vcenters: []string{"vc-a"}, Value: state["vc-a"]}, {Key: "vc-b", Vcenters: []string{"vc-b"}, Value: state["vc-b"]}}, nil
	})
	ctx := context.Background()
	all, _ := hub.Subscribe(ctx, live.SubscribeParams{})
	onlyA, _ := hub.Subscribe(ctx, live.SubscribeParams{Visible: func(vcs []string) bool { return len(vcs) == 1 && vcs[0] == "vc-a" }})
	<-polls
	<-polls // the baseline is recorded
	mu.Lock()
	state["vc-b"] = "failing"
	mu.Unlock()
	if err := hub.Publish(live.KindJob, map[string]int{"id": 1}); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	state["vc-a"] = "failing <b>"
	mu.Unlock()
	got := map[string]bool{}
	for range 3 {
		m := next(t, all)
		got[string(m.Kind)+" "+string(m.Data)] = true
	}
	for _, w := range []string{`collector "failing"`, `job {"id":1}`, `collector "failing \u003cb\u003e"`} {
		if !got[w] {
			t.Errorf("missing %s in %v", w, got)
		}
	}
	if m := next(t, onlyA); m.Kind != live.KindCollector || string(m.Data) != `"failing \u003cb\u003e"` {
		t.Errorf("scoped: %s %s", m.Kind, m.Data)
	}
	done := make(chan error)
	go func() {
		_, err := onlyA.Next(ctx)
		done <- err
	}()
	hub.Close()
	if err := <-done; !errors.Is(err, live.ErrClosed) {
		t.Fatalf("after Close: %v", err)
	}
	if _, err := hub.Subscribe(ctx, live.SubscribeParams{}); !errors.Is(err, live.ErrClosed) {
		t.Fatalf("subscribe after Close: %v", err)
	}
}

// TestHubCursorAhead: a cursor past the store's change log (another
// store's) gets resync and then every new change; one the hub has not
// polled yet is kept (nothing is sent twice).
func TestHubCursorAhead(t *testing.T) {
	st := memstore.New(memstore.Options{})
	hub, err := live.New(live.Options{Store: st, PollInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer hub.Close()
	ctx := context.Background()
	foreign, err := hub.Subscribe(ctx, live.SubscribeParams{After: &live.Cursor{Seq: 99}})
	if err != nil {
		t.Fatal(err)
	}
	if m := next(t, foreign); m.Kind != live.KindResync || m.ID != (live.Cursor{}) {
		t.Fatalf("foreign cursor: %s %s", m.Kind, m.ID)
	}
	// Two changes the hub has not polled (PollInterval is an hour, no
	// Wake); a client that saw the first resumes after it.
	livetest.Apply(t, st, "vc-a", at, []inventory.Change{livetest.Upsert(livetest.VM("vc-a", "vm-1", "a", inventory.PoweredOn))})
	livetest.Apply(t, st, "vc-a", at, []inventory.Change{livetest.Upsert(livetest.VM("vc-a", "vm-2", "b", inventory.PoweredOn))})
	resumed, err := hub.Subscribe(ctx, live.SubscribeParams{After: &live.Cursor{Seq: 1}})
	if err != nil {
		t.Fatal(err)
	}
	hub.Wake()
	if m := next(t, resumed); m.Kind != live.KindChange || m.ID.Seq != 2 {
		t.Fatalf("resumed ahead of the hub: %s %s", m.Kind, m.ID)
	}
	if m := next(t, foreign); m.Kind != live.KindChange || m.ID.Seq != 1 {
		t.Fatalf("after resync: %s %s", m.Kind, m.ID)
	}
}
