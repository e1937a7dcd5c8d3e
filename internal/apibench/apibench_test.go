package apibench

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/accessvault/vinventory/store/memstore"
)

// TestRunSmall runs the whole benchmark on a small simulated vCenter and
// memstore: every workload answers without errors, through the API and the
// store alone, and the table has a line per workload.
func TestRunSmall(t *testing.T) {
	var out bytes.Buffer
	res, err := Run(context.Background(), Config{Store: memstore.New(memstore.Options{}), Name: "memory", VMs: 60, Clients: 3,
		Duration: 300 * time.Millisecond, Out: &out})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 4 {
		t.Fatalf("%d results", len(res))
	}
	for _, r := range res {
		if r.Requests == 0 || r.Errors != 0 || r.P50 <= 0 || r.P99 < r.P50 || r.StoreP50 <= 0 || r.Ratio <= 0 || r.Single <= 0 || r.Bound <= 0 || r.FirstError != "" {
			t.Errorf("%s: %+v", r.Workload, r)
		}
	}
	if n := strings.Count(out.String(), "| memory |"); n != 4 {
		t.Errorf("%d table lines:\n%s", n, out.String())
	}
}
