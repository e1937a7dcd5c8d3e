package report_test

import (
	"context"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/accessvault/vinventory/internal/testbackends"
	"github.com/accessvault/vinventory/report"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/storetest"
)

// readerOnly hides a store's optional interfaces (EntityHistory among
// them): the reports fall back to the latest state.
type readerOnly struct{ report.Reader }

// cellBy returns the cell of column col in the data row whose column key
// holds val.
func (b *book) cellBy(sheet, key, val, col string) string {
	b.t.Helper()
	rows, err := b.f.GetRows(sheet)
	if err != nil {
		b.t.Fatal(err)
	}
	hdr := b.header(sheet)
	ki, ci := -1, -1
	for i, h := range hdr {
		switch h {
		case key:
			ki = i
		case col:
			ci = i
		}
	}
	if ki < 0 || ci < 0 {
		b.t.Fatalf("sheet %s: no column %q or %q (have %q)", sheet, key, col, hdr)
	}
	for r := 1; r < len(rows); r++ {
		if ki < len(rows[r]) && rows[r][ki] == val {
			cell, _ := excelize.CoordinatesToCellName(ci+1, r+1)
			return cell
		}
	}
	b.t.Fatalf("sheet %s: no row with %s %q", sheet, key, val)
	return ""
}

// TestAsOfReadsEntityHistory: a host put into maintenance (and a
// datastore filled) between two captures shows its earlier state in the
// earlier snapshot's as-of and hourly workbooks when the store keeps
// entity history, and the latest state (today's fallback) when it does
// not.
func TestAsOfReadsEntityHistory(t *testing.T) {
	testbackends.ForEach(t, func(t *testing.T, st store.Store) {
		eh, ok := st.(store.EntityHistory)
		if !ok {
			t.Skip("the store keeps no entity history")
		}
		ctx := context.Background()
		const vc = "vc-hist"
		s1 := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
		s2 := s1.Add(time.Hour)
		for i, s := range []time.Time{s1, s2} {
			p := storetest.Snapshot(vc, s, 12, 3)
			h, d := &p.State.Hosts[0], &p.State.Datastores[0]
			h.InMaintenance, h.CPUUsageMHz = i == 1, int64(100+i)
			d.FreeGB, d.UncommittedGB = d.CapacityGB/float64(2+i), float64(5+i)
			if _, err := st.WriteSnapshot(ctx, p); err != nil {
				t.Fatal(err)
			}
			if err := eh.WriteEntityHistory(ctx, &store.WriteEntityHistoryParams{Vcenter: vc, SnapshotTime: s,
				Hosts: p.State.Hosts, Clusters: p.State.Clusters, Datastores: p.State.Datastores}); err != nil {
				t.Fatal(err)
			}
		}
		first := storetest.Snapshot(vc, s1, 12, 3).State
		hostID, dsID := first.Hosts[0].ID, first.Datastores[0].ID
		capGB := first.Datastores[0].CapacityGB

		for _, c := range []struct {
			name  string
			r     report.Reader
			kind  report.Kind
			at    time.Time
			maint bool
			cpu   int64
			free  float64
			uncom float64
			state time.Time
		}{
			{"as of the first snapshot", st, report.KindAsOf, s1.Add(30 * time.Minute), false, 100, capGB / 2, 5, s1},
			{"hourly of the first snapshot", st, report.KindHourly, s1, false, 100, capGB / 2, 5, s1},
			{"as of the second snapshot", st, report.KindAsOf, s2, true, 101, capGB / 3, 6, s2},
			{"as of the first snapshot without history", readerOnly{st}, report.KindAsOf, s1, true, 101, capGB / 3, 6, s2},
		} {
			t.Run(c.name, func(t *testing.T) {
				data := writeReport(t, c.r, report.Request{Kind: c.kind, Vcenter: vc, SnapshotTime: c.at}, report.Options{})
				b := openBook(t, data, nil)
				hs, ds := "vHost", "vDatastore"
				if c.kind == report.KindHourly {
					hs, ds = "Hosts", "Datastores"
				}
				b.checkCell(hs, b.cellBy(hs, "Host ID", hostID, "In maintenance"), "In maintenance", c.maint)
				b.checkCell(hs, b.cellBy(hs, "Host ID", hostID, "CPU usage MHz"), "CPU usage MHz", c.cpu)
				b.checkCell(hs, b.cellBy(hs, "Host ID", hostID, "State time"+utc), "State time", c.state)
				b.checkCell(ds, b.cellBy(ds, "Datastore ID", dsID, "Free GB"), "Free GB", c.free)
				b.checkCell(ds, b.cellBy(ds, "Datastore ID", dsID, "Uncommitted GB"), "Uncommitted GB", c.uncom)
				b.checkCell(ds, b.cellBy(ds, "Datastore ID", dsID, "Provisioned GB"), "Provisioned GB", capGB-c.free+c.uncom)
			})
		}
	})
}
