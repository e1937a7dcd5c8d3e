package report_test

import (
	"context"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/report"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/memstore"
	"github.com/accessvault/vinventory/store/storetest"
)

// TestDailyUtilisationColumns: the daily summary shows each row's
// utilisation, percentages as fractions of 1 with a percent format, blank
// figures (and a 0 count) when none was measured.
func TestDailyUtilisationColumns(t *testing.T) {
	ctx := context.Background()
	st := memstore.New()
	rows := storetest.DailyRollups(vcB, day1, 2, 7)
	rows[0].Utilisation = inventory.Utilisation{UtilSamples: 288, AvgCPUMHz: 1234.5, PeakCPUMHz: 4000.25, AvgCPUPct: 12.5, PeakCPUPct: 87.5, AvgMemPct: 40, PeakMemPct: 99.5}
	rows[1].Utilisation = inventory.Utilisation{}
	if err := st.WriteDailyRollups(ctx, &store.WriteDailyRollupsParams{Vcenter: vcB, Day: day1, Rows: rows}); err != nil {
		t.Fatal(err)
	}
	b := openBook(t, writeReport(t, st, report.Request{Kind: report.KindDaily, Period: day1}, report.Options{}), nil)
	b.checkRows("Daily summary", []row{
		{"VM ID": rows[0].VMID, "Utilisation samples": 288, "Avg CPU MHz": 1234.5, "Peak CPU MHz": 4000.25,
			"Avg CPU %": 0.125, "Peak CPU %": 0.875, "Avg memory %": 0.4, "Peak memory %": 0.995},
		{"VM ID": rows[1].VMID, "Utilisation samples": 0, "Avg CPU MHz": nil, "Peak CPU MHz": nil,
			"Avg CPU %": nil, "Peak CPU %": nil, "Avg memory %": nil, "Peak memory %": nil},
	})
	b.checkLayout("Daily summary")
	hdr := b.header("Daily summary")
	for i, h := range hdr {
		if h == "Avg CPU %" || h == "Peak memory %" {
			cell, _ := excelize.CoordinatesToCellName(i+1, 2)
			id, _ := b.f.GetCellStyle("Daily summary", cell)
			s, err := b.f.GetStyle(id)
			if err != nil || s.NumFmt != 10 {
				t.Errorf("%s (%s): style %+v, want the 0.00%% format", h, cell, s)
			}
		}
	}
}
