// Package livetest has test helpers for the live stream: an SSE client
// over a real HTTP connection and a way to apply live changes to a store.
package livetest

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

// Msg is one message received: an SSE event, or a comment (Comment set).
type Msg struct {
	ID, Event, Data string
	Comment         string
}

// Client reads one SSE stream.
type Client struct {
	Resp   *http.Response
	C      chan Msg
	cancel context.CancelFunc
	done   chan struct{}
	mu     sync.Mutex
	err    error
}

// Open sends req (its context is replaced) and reads its stream into C
// (buffered by buf messages; a full C stops the reading, so the
// connection backs up as a slow client's would). Close it when done.
func Open(t testing.TB, req *http.Request, buf int) *Client {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	resp, err := http.DefaultClient.Do(req.WithContext(ctx))
	if err != nil {
		cancel()
		t.Fatalf("open %s: %v", req.URL, err)
	}
	c := &Client{Resp: resp, C: make(chan Msg, buf), cancel: cancel, done: make(chan struct{})}
	t.Cleanup(c.Close)
	if resp.StatusCode != http.StatusOK {
		return c
	}
	go c.read()
	return c
}

func (c *Client) read() {
	defer close(c.done)
	defer close(c.C)
	sc := bufio.NewScanner(c.Resp.Body)
	sc.Buffer(make([]byte, 64<<10), 64<<20)
	var m Msg
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if m != (Msg{}) {
				c.C <- m
			}
			m = Msg{}
		case strings.HasPrefix(line, ":"):
			m.Comment = strings.TrimSpace(line[1:])
		default:
			k, v, _ := strings.Cut(line, ":")
			v = strings.TrimPrefix(v, " ")
			switch k {
			case "id":
				m.ID = v
			case "event":
				m.Event = v
			case "data":
				m.Data = v
			}
		}
	}
	c.mu.Lock()
	c.err = sc.Err()
	c.mu.Unlock()
}

// Close ends the stream.
func (c *Client) Close() {
	c.cancel()
	_ = c.Resp.Body.Close()
	if c.done != nil && c.Resp.StatusCode == http.StatusOK {
		<-c.done
	}
}

// Next returns the next message that is not a comment (or a retry-only
// block), failing t after timeout.
func (c *Client) Next(t testing.TB, timeout time.Duration) Msg {
	t.Helper()
	tm := time.NewTimer(timeout)
	defer tm.Stop()
	for {
		select {
		case m, ok := <-c.C:
			if !ok {
				t.Fatalf("the stream ended")
			}
			if m.Event == "" && m.Data == "" {
				continue
			}
			return m
		case <-tm.C:
			t.Fatalf("no message within %s", timeout)
		}
	}
}

// VM is a VM row of vc for a live change.
func VM(vc, id, name string, power inventory.PowerState) *inventory.VM {
	return &inventory.VM{Vcenter: vc, ID: id, Name: name, PowerState: power, VCPUCount: 2, RAMMB: 4096,
		HostID: "host-1", ResourcePoolID: "resgroup-1"}
}

// Apply stores one batch of changes (and events) of vc at at, and returns
// the sequence numbers given.
func Apply(t testing.TB, st store.Store, vc string, at time.Time, changes []inventory.Change, events ...inventory.Event) *store.ApplyChangesResult {
	t.Helper()
	ls, ok := st.(store.LiveState)
	if !ok {
		t.Fatalf("%T has no change log", st)
	}
	res, err := ls.ApplyChanges(context.Background(), &store.ApplyChangesParams{Vcenter: vc, ObservedAt: at, Changes: changes, Events: events})
	if err != nil {
		t.Fatalf("apply changes: %v", err)
	}
	return res
}

// Upsert is an upsert change of v.
func Upsert(v *inventory.VM, fields ...string) inventory.Change {
	return inventory.Change{Vcenter: v.Vcenter, Entity: inventory.EntityVM, ID: v.ID, Op: inventory.ChangeUpsert, Name: v.Name, Fields: fields, VM: v}
}

// Event is a live power event of vm.
func Event(vc, vmID string, at time.Time, n int) inventory.Event {
	return inventory.Event{Vcenter: vc, SnapshotTime: at.Add(time.Duration(n) * time.Second), Kind: inventory.EventPower,
		VMID: vmID, Name: fmt.Sprintf("%s #%d", vmID, n), Before: map[string]string{"power_state": "poweredOff"},
		After: map[string]string{"power_state": "poweredOn"}}
}
