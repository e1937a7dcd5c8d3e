package vsphere

import (
	"context"
	"os"
	"strconv"
	"testing"

	"github.com/vmware/govmomi/view"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/accessvault/vinventory/capture/capturetest"
	"github.com/accessvault/vinventory/capture/vcsim"
	"github.com/accessvault/vinventory/inventory"
)

// benchSim starts a simulator of VSPHERE_BENCH_VMS VMs (default vms) with
// VSPHERE_BENCH_DELAY_MS (default 2) of latency per call, and returns its
// VM count and a connect that opens a Source on it (closed at cleanup).
func benchSim(b *testing.B, vms int) (int, func(*testing.B, Options) *Source) {
	vms = envInt(b, "VSPHERE_BENCH_VMS", vms)
	delay := envInt(b, "VSPHERE_BENCH_DELAY_MS", 2)
	sim := capturetest.NewSim(b, vcsim.Options{VMs: vms, Templates: -1, Datastores: 4, Latency: vcsim.Latency{Delay: delay}})
	ctx := context.Background()
	u := *sim.URL
	u.User = nil
	ep := inventory.Endpoint{Name: "bench", URL: u.String(), Username: sim.Username, TLS: inventory.TLSOptions{Thumbprint: sim.Thumbprint()}}
	return vms, func(b *testing.B, o Options) *Source {
		o.Credentials = Password(sim.Password)
		src, err := New(ctx, ep, o)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = src.Close(ctx) })
		return src
	}
}

// BenchmarkRetrieve compares the bulk retrieval with a per-VM baseline (one
// RetrieveProperties call per VM) on a simulator with per-call latency.
// VSPHERE_BENCH_VMS (default 1000) and VSPHERE_BENCH_DELAY_MS (default 2)
// change the size and the latency.
//
//	go test -run '^$' -bench BenchmarkRetrieve ./capture/vsphere/
func BenchmarkRetrieve(b *testing.B) {
	ctx := context.Background()
	vms, connect := benchSim(b, 1000)
	report := func(b *testing.B) {
		b.ReportMetric(float64(vms*b.N)/b.Elapsed().Seconds(), "vms/s")
	}

	for _, page := range []int{1000, 100} {
		b.Run("bulk/page="+strconv.Itoa(page), func(b *testing.B) {
			src := connect(b, Options{PageSize: page})
			b.ResetTimer()
			for range b.N {
				st, err := src.Retrieve(ctx)
				if err != nil {
					b.Fatal(err)
				}
				if len(st.VMs) != vms {
					b.Fatalf("%d VMs, want %d", len(st.VMs), vms)
				}
			}
			report(b)
		})
	}

	// The same without the RVTools-depth detail (Options.DisableDetails):
	// what the detail costs.
	b.Run("bulk-nodetail/page=1000", func(b *testing.B) {
		src := connect(b, Options{PageSize: 1000, DisableDetails: true})
		b.ResetTimer()
		for range b.N {
			if _, err := src.Retrieve(ctx); err != nil {
				b.Fatal(err)
			}
		}
		report(b)
	})

	b.Run("per-vm", func(b *testing.B) {
		src := connect(b, Options{DisableTags: true})
		specs := src.units()[0].specs
		b.ResetTimer()
		for range b.N {
			v, err := view.NewManager(src.vc).CreateContainerView(ctx, src.vc.ServiceContent.RootFolder, []string{tVM}, true)
			if err != nil {
				b.Fatal(err)
			}
			refs, err := v.Find(ctx, []string{tVM}, nil)
			if err != nil {
				b.Fatal(err)
			}
			_ = v.Destroy(ctx)
			bt := newBatch()
			for _, ref := range refs {
				res, err := methods.RetrieveProperties(ctx, src.vc, &types.RetrieveProperties{
					This: src.vc.ServiceContent.PropertyCollector,
					SpecSet: []types.PropertyFilterSpec{{
						ObjectSet: []types.ObjectSpec{{Obj: ref}},
						PropSet:   specs,
					}},
				})
				if err != nil {
					b.Fatal(err)
				}
				for _, o := range res.Returnval {
					bt.add(o, specs, nil)
				}
			}
			if len(bt.vms) != vms {
				b.Fatalf("%d VMs, want %d", len(bt.vms), vms)
			}
		}
		report(b)
	})
}

func envInt(b *testing.B, name string, def int) int {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		b.Fatalf("%s: %v", name, err)
	}
	return n
}
