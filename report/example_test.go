package report_test

import (
	"bytes"
	"context"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/accessvault/vinventory/aggregate"
	"github.com/accessvault/vinventory/report"
	"github.com/accessvault/vinventory/store/memstore"
	"github.com/accessvault/vinventory/store/storetest"
)

// Write the hourly report of a snapshot and the daily summary of its day,
// then read the workbook back.
func Example() {
	ctx := context.Background()
	st := memstore.New()
	s := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	if _, err := st.WriteSnapshot(ctx, storetest.Snapshot("vc1", s, 20, 1)); err != nil {
		log.Fatal(err)
	}
	if _, err := aggregate.Daily(ctx, st, s, aggregate.Options{}); err != nil {
		log.Fatal(err)
	}

	var buf bytes.Buffer
	if err := report.WriteHourly(ctx, st, "vc1", s, &buf); err != nil {
		log.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		log.Fatal(err)
	}
	rows, _ := f.GetRows("VMs")
	fmt.Println(f.GetSheetList(), len(rows)-1, "VMs")
	fmt.Println(rows[0][:4])

	// WriteFile names the file after the request and writes it atomically.
	dir, _ := os.MkdirTemp("", "reports")
	defer os.RemoveAll(dir)
	req := report.Request{Kind: report.KindDaily, Period: s}
	if _, err := report.WriteFile(ctx, st, req, dir, report.Options{}); err != nil {
		log.Fatal(err)
	}
	fmt.Println(req.FileName())
	// Output:
	// [VMs Hosts Clusters Datastores] 20 VMs
	// [vCenter VM ID VM UUID Name]
	// inventory_daily_summary_20260302.xlsx
}
