package vinventory_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/accessvault/vinventory"
	"github.com/accessvault/vinventory/capture"
	"github.com/accessvault/vinventory/capture/vcsim"
	"github.com/accessvault/vinventory/capture/vsphere"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store/memstore"
)

// Run the pipeline against a simulated vCenter: three hourly captures,
// then, the next day, catch-up (the daily rollup of the completed day) and
// the deferred reports.
func ExamplePipeline() {
	ctx := context.Background()
	sim, err := vcsim.Start(ctx, vcsim.Options{VMs: 12, Templates: 1})
	if err != nil {
		panic(err)
	}
	defer sim.Close()
	dir, err := os.MkdirTemp("", "vinventory-reports-")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)

	// A clock the example controls; a real program leaves the default.
	now := time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }

	settings := vinventory.DefaultSettings() // async_report_generation: true
	settings.ReportDir = dir
	p, err := vinventory.NewPipeline(memstore.New(memstore.Options{}), settings, nil, vinventory.WithClock(clock))
	if err != nil {
		panic(err)
	}

	// The endpoint carries its password encrypted; here it is the
	// simulator's, in clear.
	ep := inventory.Endpoint{Name: "vc1", URL: "https://" + sim.URL.Host + "/sdk", Username: sim.Username,
		TLS: inventory.TLSOptions{Thumbprint: sim.Thumbprint()}}
	target := capture.Target{Endpoint: ep, Open: func(ctx context.Context) (capture.Source, error) {
		return vsphere.New(ctx, ep, vsphere.Options{Credentials: vsphere.Password(sim.Password)})
	}}

	for h := 10; h <= 12; h++ {
		now = time.Date(2026, 1, 15, h, 0, 0, 0, time.UTC)
		res, err := p.RunHourly(ctx, []capture.Target{target}, time.Time{})
		if err != nil {
			panic(err)
		}
		fmt.Println("captured", res.Succeeded(), "at", res.SnapshotTime.Format("15:04"), "VMs:", res.Endpoints[0].Capture.Counts.VMs)
	}

	now = time.Date(2026, 1, 16, 0, 30, 0, 0, time.UTC)
	if _, err := p.RunDaily(ctx, now); err != nil {
		fmt.Println("today:", err)
	}
	cu, err := p.CatchUp(ctx, time.Time{})
	if err != nil {
		panic(err)
	}
	for _, d := range cu.Days {
		fmt.Println("aggregated day", d.Period.Start.Format("2006-01-02"), d.Vcenters, "rows:", d.Result.Vcenters[0].Rows)
	}
	fmt.Println("months aggregated:", len(cu.Months), "(January has not ended)")

	rr, err := p.RunReports(ctx, time.Time{})
	if err != nil {
		panic(err)
	}
	for _, f := range rr.Written {
		fmt.Println("report", f.Request.FileName())
	}
	// Output:
	// captured [vc1] at 10:00 VMs: 13
	// captured [vc1] at 11:00 VMs: 13
	// captured [vc1] at 12:00 VMs: 13
	// today: daily aggregation of [2026-01-16T00:00:00Z, 2026-01-17T00:00:00Z) (now 2026-01-16T00:30:00Z): aggregate: period has not completed
	// aggregated day 2026-01-15 [vc1] rows: 13
	// months aggregated: 0 (January has not ended)
	// report inventory_daily_summary_20260115_vc1.xlsx
	// report inventory_hourly_202601151000_vc1.xlsx
	// report inventory_hourly_202601151100_vc1.xlsx
	// report inventory_hourly_202601151200_vc1.xlsx
}
