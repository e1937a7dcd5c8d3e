package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/accessvault/vinventory/internal/live"
	"github.com/accessvault/vinventory/internal/live/livetest"
	"github.com/accessvault/vinventory/internal/testbackends"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/memstore"
)

// streamFixture is the API with a hub over a memstore, on a real server,
// with an unscoped viewer token and one scoped to vc-a.
type streamFixture struct {
	st             store.Store
	hub            *live.Hub
	srv            *httptest.Server
	viewer, scoped string
	at             time.Time
}

func newStreamFixture(t *testing.T, st store.Store, o live.Options) *streamFixture {
	t.Helper()
	if st == nil {
		st = memstore.New(memstore.Options{})
	}
	f := &streamFixture{st: st, at: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)}
	o.Store = f.st
	if o.PollInterval == 0 {
		o.PollInterval = 20 * time.Millisecond
	}
	hub, err := live.New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(hub.Close)
	f.hub = hub
	var ts Tokens
	var tok Token
	f.viewer, tok, _ = NewToken("viewer", RoleViewer)
	ts = append(ts, tok)
	f.scoped, tok, _ = NewToken("scoped", RoleAdmin)
	tok.Vcenters = []string{"vc-a"}
	ts = append(ts, tok)
	a, err := New(Options{Store: f.st, Tokens: ts, Hub: hub})
	if err != nil {
		t.Fatal(err)
	}
	f.srv = httptest.NewServer(a)
	t.Cleanup(f.srv.Close)
	return f
}

// open opens the stream with a token (and extra headers as name, value).
func (f *streamFixture) open(t *testing.T, token, query string, buf int, hdr ...string) *livetest.Client {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, f.srv.URL+"/api/stream"+query, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return livetest.Open(t, req, buf)
}

// batch applies n power changes of vc's VMs vm-<first>.. and one event
// each; it returns the changes' sequence numbers.
func (f *streamFixture) batch(t *testing.T, vc string, first, n int) {
	t.Helper()
	var cs []inventory.Change
	var evs []inventory.Event
	for i := first; i < first+n; i++ {
		id := fmt.Sprintf("vm-%d", i)
		cs = append(cs, livetest.Upsert(livetest.VM(vc, id, `<script>x</script> "`+id+`"`, inventory.PoweredOn), "power_state"))
		evs = append(evs, livetest.Event(vc, id, f.at, i))
	}
	livetest.Apply(t, f.st, vc, f.at, cs, evs...)
	f.hub.Wake()
}

// what is a message's kind and subject: "change vc/vm-1", "event vc/vm-1".
func what(t *testing.T, m livetest.Msg) string {
	t.Helper()
	switch m.Event {
	case "change":
		var c inventory.Change
		if err := json.Unmarshal([]byte(m.Data), &c); err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("change %s/%s", c.Vcenter, c.ID)
	case "event":
		var e inventory.Event
		if err := json.Unmarshal([]byte(m.Data), &e); err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("event %s/%s", e.Vcenter, e.VMID)
	}
	return m.Event
}

func expect(vc string, first, n int) []string {
	var out []string
	for i := first; i < first+n; i++ {
		out = append(out, fmt.Sprintf("change %s/vm-%d", vc, i))
	}
	for i := first; i < first+n; i++ {
		out = append(out, fmt.Sprintf("event %s/vm-%d", vc, i))
	}
	return out
}

// sameOrder reports whether got holds want's changes in want's order and
// its events in want's order: the stream keeps each log's order; how
// changes and events interleave depends on when the hub polled.
func sameOrder(got, want []string) bool {
	split := func(xs []string) (cs, es []string) {
		for _, x := range xs {
			if strings.HasPrefix(x, "change ") {
				cs = append(cs, x)
			} else {
				es = append(es, x)
			}
		}
		return cs, es
	}
	gc, ge := split(got)
	wc, we := split(want)
	return slices.Equal(gc, wc) && slices.Equal(ge, we)
}

func receive(t *testing.T, c *livetest.Client, n int) ([]string, []livetest.Msg) {
	t.Helper()
	var got []string
	var msgs []livetest.Msg
	for range n {
		m := c.Next(t, 10*time.Second)
		got = append(got, what(t, m))
		msgs = append(msgs, m)
	}
	return got, msgs
}

// TestStreamResume: a client resuming with Last-Event-ID (header or
// query) gets exactly the changes and events it missed, in order, then
// live ones; a cursor older than the retained log gets resync first. On
// memstore, a SQLite file and PostgreSQL.
func TestStreamResume(t *testing.T) {
	testbackends.ForEach(t, func(t *testing.T, st store.Store) {
		f := newStreamFixture(t, st, live.Options{})
		c := f.open(t, f.viewer, "", 100)
		f.batch(t, "vc-a", 1, 3)
		got, msgs := receive(t, c, 6)
		if want := expect("vc-a", 1, 3); !sameOrder(got, want) {
			t.Fatalf("live: %v, want %v", got, want)
		}
		// The resume point: after the second change and before the first
		// event (how the live messages interleaved depends on the polls).
		var seq2, ev1 int64
		for i, m := range msgs {
			var x struct {
				Seq int64 `json:"seq"`
				ID  any   `json:"id"`
			}
			if err := json.Unmarshal([]byte(m.Data), &x); err != nil {
				t.Fatal(err)
			}
			switch got[i] {
			case "change vc-a/vm-2":
				seq2 = x.Seq
				if !strings.Contains(m.Data, `\u003cscript\u003ex\u003c/script\u003e`) {
					t.Errorf("the hostile name is not escaped JSON: %s", m.Data)
				}
			case "event vc-a/vm-1":
				ev1 = int64(x.ID.(float64))
			}
		}
		resume := live.Cursor{Seq: seq2, EventID: ev1 - 1}.String()
		c.Close()
		// Missed while away: resume after the second change.
		f.batch(t, "vc-a", 4, 2)
		f.batch(t, "vc-b", 6, 1)
		want := []string{"change vc-a/vm-3", "change vc-a/vm-4", "change vc-a/vm-5", "change vc-b/vm-6",
			"event vc-a/vm-1", "event vc-a/vm-2", "event vc-a/vm-3", "event vc-a/vm-4", "event vc-a/vm-5", "event vc-b/vm-6"}
		for i, how := range []string{"header", "query"} {
			var r *livetest.Client
			if how == "header" {
				r = f.open(t, f.viewer, "", 100, "Last-Event-ID", resume)
			} else {
				r = f.open(t, f.viewer, "?last_event_id="+resume, 100)
			}
			got, _ := receive(t, r, len(want))
			if !sameOrder(got, want) {
				t.Fatalf("%s resume: %v\nwant %v", how, got, want)
			}
			// Then live ones, once.
			f.batch(t, "vc-b", 7+i, 1)
			if got, _ := receive(t, r, 2); !sameOrder(got, expect("vc-b", 7+i, 1)) {
				t.Fatalf("%s: after the replay %v", how, got)
			}
			r.Close()
			want = slices.Insert(want, 4, fmt.Sprintf("change vc-b/vm-%d", 7+i))
			want = append(want, fmt.Sprintf("event vc-b/vm-%d", 7+i))
		}
		// Pruned log: the cursor 0-0 is older than the retained changes.
		if _, err := f.st.(store.LiveState).PruneChanges(context.Background(), &store.PruneChangesParams{Before: time.Now().Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		f.batch(t, "vc-a", 20, 1)
		r := f.open(t, f.viewer, "", 100, "Last-Event-ID", "0-0")
		if m := r.Next(t, 10*time.Second); m.Event != "resync" {
			t.Fatalf("a pruned cursor: first %+v, want resync", m)
		}
		r = f.open(t, f.viewer, "", 100, "Last-Event-ID", "junk")
		if r.Resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("a bad Last-Event-ID: %d", r.Resp.StatusCode)
		}
	})
}

// TestStreamSlowClient: a client that reads nothing does not delay
// another client, and gets resync when its queue overflows, then newer
// changes in order.
func TestStreamSlowClient(t *testing.T) {
	f := newStreamFixture(t, nil, live.Options{Buffer: 64, WriteTimeout: time.Minute})
	slow := f.open(t, f.viewer, "?types=change", 1)
	fast := f.open(t, f.viewer, "?types=change", 1000)
	big := strings.Repeat("☃<b>", 4096)
	const batches, per = 40, 20
	for b := range batches {
		var cs []inventory.Change
		for i := range per {
			id := fmt.Sprintf("vm-%d", b*per+i)
			cs = append(cs, livetest.Upsert(livetest.VM("vc-a", id, big+id, inventory.PoweredOn), "power_state"))
		}
		livetest.Apply(t, f.st, "vc-a", f.at, cs)
		f.hub.Wake()
		for i := range per {
			m := fast.Next(t, 20*time.Second)
			// The log holds only these changes: seq n is vm-(n-1).
			if w := fmt.Sprintf("%d-0", b*per+i+1); m.Event != "change" || m.ID != w {
				t.Fatalf("fast client: %s %s, want change %s", m.Event, m.ID, w)
			}
		}
	}
	// The slow client now reads: the changes that fitted, in order, then
	// one resync; after it, a new change arrives.
	var n int
	last := -1
	for {
		m := slow.Next(t, 20*time.Second)
		if m.Event == "resync" {
			break
		}
		var i int
		if _, err := fmt.Sscanf(m.ID, "%d-0", &i); err != nil || i <= last {
			t.Fatalf("slow client: %s after %d", m.ID, last)
		}
		last, n = i, n+1
		if n == batches*per {
			t.Fatal("the slow client got every change and no resync")
		}
	}
	livetest.Apply(t, f.st, "vc-a", f.at, []inventory.Change{livetest.Upsert(livetest.VM("vc-a", "vm-marker", "m", inventory.PoweredOff))})
	f.hub.Wake()
	if m := slow.Next(t, 20*time.Second); what(t, m) != "change vc-a/vm-marker" {
		t.Fatalf("after resync: %s %s", m.Event, what(t, m))
	}
}

// TestStreamHeartbeat: an idle stream gets comment heartbeats.
func TestStreamHeartbeat(t *testing.T) {
	f := newStreamFixture(t, nil, live.Options{Heartbeat: 20 * time.Millisecond})
	c := f.open(t, f.viewer, "", 10)
	if c.Resp.Header.Get("Content-Type") != "text/event-stream" || c.Resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("headers %v", c.Resp.Header)
	}
	beats := 0
	deadline := time.After(10 * time.Second)
	for beats < 3 {
		select {
		case m := <-c.C:
			if m.Comment == "heartbeat" {
				beats++
			}
		case <-deadline:
			t.Fatalf("%d heartbeats within 10 s", beats)
		}
	}
}

// TestStreamFiltersAndScope: ?vcenter=, ?types= and the token's scope
// keep only their messages; 401 without a token, 403 below viewer is not
// possible (viewer is the lowest role), 503 without a hub.
func TestStreamFiltersAndScope(t *testing.T) {
	f := newStreamFixture(t, nil, live.Options{CardInterval: 20 * time.Millisecond})
	ctx := context.Background()
	for _, vc := range []string{"vc-a", "vc-b"} {
		if _, err := f.st.UpsertEndpoint(ctx, &store.UpsertEndpointParams{Endpoint: inventory.Endpoint{Name: vc, URL: "https://" + vc + "/sdk", Enabled: true}}); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(100 * time.Millisecond) // the card poller publishes the new endpoints' cards before the streams open
	all := f.open(t, f.viewer, "", 100)
	onlyB := f.open(t, f.viewer, "?vcenter=vc-b", 100)
	events := f.open(t, f.viewer, "?types=event,collector", 100)
	scoped := f.open(t, f.scoped, "", 100)
	scopedB := f.open(t, f.scoped, "?vcenter=vc-b", 100)
	f.batch(t, "vc-a", 1, 1)
	f.batch(t, "vc-b", 2, 1)
	if err := f.hub.Publish(live.KindJob, map[string]string{"state": "running"}); err != nil {
		t.Fatal(err)
	}
	if err := f.st.RecordCaptureStatus(ctx, &store.RecordCaptureStatusParams{Status: inventory.CaptureStatus{Endpoint: "vc-b",
		LastAttempt: f.at, LastError: "boom <x>", ConsecutiveFailures: 1}}); err != nil {
		t.Fatal(err)
	}
	// A final marker every stream sees after the rest: a change of vc-a
	// for the scoped ones, of vc-b for the vc-b filter.
	check := func(name string, c *livetest.Client, want []string) {
		t.Helper()
		got, _ := receive(t, c, len(want))
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s: %v, want %v", name, got, want)
		}
	}
	check("all", all, []string{"change vc-a/vm-1", "event vc-a/vm-1", "change vc-b/vm-2", "event vc-b/vm-2", "job", "collector"})
	check("vcenter=vc-b", onlyB, []string{"change vc-b/vm-2", "event vc-b/vm-2", "collector"})
	check("types=event,collector", events, []string{"event vc-a/vm-1", "event vc-b/vm-2", "collector"})
	check("scoped", scoped, []string{"change vc-a/vm-1", "event vc-a/vm-1"})
	// Nothing else arrives on the scoped streams: a later vc-a change is
	// the next message of the scoped one, and the scoped vc-b stream
	// stays silent while the unscoped vc-b one gets it.
	f.batch(t, "vc-b", 3, 1)
	f.batch(t, "vc-a", 4, 1)
	check("scoped, later", scoped, []string{"change vc-a/vm-4", "event vc-a/vm-4"})
	check("vcenter=vc-b, later", onlyB, []string{"change vc-b/vm-3", "event vc-b/vm-3"})
	select {
	case m := <-scopedB.C:
		if m.Event != "" {
			t.Errorf("the scoped token's vc-b stream got %s", what(t, m))
		}
	default:
	}

	for _, tc := range []struct {
		token string
		query string
		want  int
	}{
		{"", "", http.StatusUnauthorized},
		{"vinv_not-a-real-token-but-long-enough-000000", "", http.StatusUnauthorized},
		{f.viewer, "?types=bogus", http.StatusUnprocessableEntity},
		{f.viewer, "?nosuch=1", http.StatusUnprocessableEntity},
	} {
		c := f.open(t, tc.token, tc.query, 1)
		if c.Resp.StatusCode != tc.want {
			t.Errorf("token %q query %q: %d, want %d", tc.token, tc.query, c.Resp.StatusCode, tc.want)
		}
	}
	a, err := New(Options{Store: f.st, NoAuth: true})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a)
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/api/stream")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("without a hub: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}
