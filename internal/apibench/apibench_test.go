package apibench

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/accessvault/vinventory/store/memstore"
)

// TestRunSmall runs the whole benchmark on a small simulated vCenter and
// memstore: every workload answers without errors, through the API (or
// the pages) and the store alone, the table has a line per workload and
// the weight table a line per main page.
func TestRunSmall(t *testing.T) {
	var out bytes.Buffer
	res, err := Run(context.Background(), Config{Store: memstore.New(memstore.Options{}), Name: "memory", VMs: 60, Clients: 3,
		Duration: 300 * time.Millisecond, Weights: true, Out: &out})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 6 {
		t.Fatalf("%d results", len(res))
	}
	for _, r := range res {
		if r.Requests == 0 || r.Errors != 0 || r.P50 <= 0 || r.P99 < r.P50 || r.StoreP50 <= 0 || r.Ratio <= 0 || r.Single <= 0 || r.Bound <= 0 || r.Alone <= 0 || r.FirstError != "" {
			t.Errorf("%s: %+v", r.Workload, r)
		}
	}
	if n := strings.Count(out.String(), "| memory |"); n != 6+9 {
		t.Errorf("%d table lines:\n%s", n, out.String())
	}
	if !strings.Contains(out.String(), "| memory | vm list page (HTML") || !strings.Contains(out.String(), "| memory | /vms |") {
		t.Errorf("no page lines:\n%s", out.String())
	}
}

// TestRunWorkloads runs only the workloads Config.Workloads matches.
func TestRunWorkloads(t *testing.T) {
	var out bytes.Buffer
	res, err := Run(context.Background(), Config{Store: memstore.New(memstore.Options{}), Name: "memory", VMs: 20, Clients: 2,
		Duration: 100 * time.Millisecond, Workloads: regexp.MustCompile("HTML|page.s query"), Out: &out})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 2 || !strings.Contains(res[1].Workload, "page (HTML") || res[1].Errors != 0 || res[1].Requests == 0 {
		t.Fatalf("%+v", res)
	}
}
