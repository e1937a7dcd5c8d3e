package live_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/accessvault/vinventory/internal/live"
	"github.com/accessvault/vinventory/internal/live/livetest"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store/memstore"
)

// BenchmarkFanout: 500 SSE clients on one real HTTP server each receive
// every one of 1,000 changes, committed one at a time (each followed by
// Wake, as the watcher does). fanout-ms is the time from the first commit
// to the last client's receipt of the last change.
func BenchmarkFanout(b *testing.B) {
	const clients, updates = 500, 1000
	for range b.N {
		b.StopTimer()
		st := memstore.New(memstore.Options{})
		// A client may lag a whole burst behind on a busy machine: the
		// buffer holds every update so none is dropped for resync.
		hub, err := live.New(live.Options{Store: st, Buffer: 2 * updates})
		if err != nil {
			b.Fatal(err)
		}
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_ = hub.Serve(w, r, live.SubscribeParams{Kinds: []live.Kind{live.KindChange}})
		}))
		tr := &http.Transport{MaxIdleConnsPerHost: clients}
		ctx, cancel := context.WithCancel(context.Background())
		var ready, done sync.WaitGroup
		var mu sync.Mutex
		var last time.Time
		errs := make(chan error, clients)
		lastID := []byte(fmt.Sprintf("id: %d-0", updates))
		for range clients {
			ready.Add(1)
			done.Add(1)
			go func() {
				defer done.Done()
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
				resp, err := tr.RoundTrip(req)
				if err != nil {
					ready.Done()
					errs <- err
					return
				}
				defer resp.Body.Close()
				sc := bufio.NewScanner(resp.Body)
				sc.Scan() // "retry": subscribed
				ready.Done()
				n := 0
				for sc.Scan() {
					line := sc.Bytes()
					if bytes.HasPrefix(line, []byte("event: ")) {
						if !bytes.Equal(line, []byte("event: change")) {
							errs <- fmt.Errorf("got %s", line)
							return
						}
						n++
					}
					if bytes.Equal(line, lastID) {
						if n != updates-1 { // the id line comes before its event line
							errs <- fmt.Errorf("%d changes before the last", n)
						}
						mu.Lock()
						if t := time.Now(); t.After(last) {
							last = t
						}
						mu.Unlock()
						return
					}
				}
				errs <- fmt.Errorf("stream ended: %v", sc.Err())
			}()
		}
		ready.Wait()
		at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
		b.StartTimer()
		start := time.Now()
		for i := range updates {
			v := livetest.VM("vc-a", fmt.Sprintf("vm-%d", i%50), fmt.Sprintf("vm %d", i), inventory.PoweredOn)
			v.VCPUCount = i
			livetest.Apply(b, st, "vc-a", at, []inventory.Change{livetest.Upsert(v, "vcpu_count")})
			hub.Wake()
		}
		done.Wait()
		b.StopTimer()
		close(errs)
		for err := range errs {
			b.Fatal(err)
		}
		b.ReportMetric(float64(last.Sub(start).Milliseconds()), "fanout-ms")
		b.ReportMetric(float64(clients*updates)/last.Sub(start).Seconds(), "msgs/s")
		cancel()
		hub.Close()
		srv.Close()
		tr.CloseIdleConnections()
	}
}
