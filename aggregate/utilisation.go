package aggregate

import (
	"context"
	"fmt"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

// utilisationBatch is the number of VMs per QueryMetrics of
// fillUtilisation.
const utilisationBatch = 1000

var utilisationMetrics = []inventory.Metric{inventory.MetricCPUUsageMHz, inventory.MetricCPUUsagePct, inventory.MetricMemUsagePct}

// fillUtilisation sets the Utilisation of daily rows (whatever path
// computed them) when the store keeps metrics: per batch of VMs, one
// QueryMetrics with a single bucket over the day's window [Start, End) on
// the raw tier, giving the average and peak (the bucket's Avg and Max) of
// cpu.usage.mhz, cpu.usage.pct and mem.usage.pct, and UtilSamples, the
// cpu.usage.mhz count. VMs with no raw cpu.usage.mhz point in the window
// (the day's raw points pruned, e.g. a day re-aggregated after the raw
// retention) are asked again of the rollup tiers, whose count, average
// and peak of a whole day are exact; a VM without points in either keeps
// a zero Utilisation (UtilSamples 0: unknown).
func fillUtilisation(ctx context.Context, st Store, vc string, win inventory.Window, rows []inventory.DailyRollup) error {
	ms, ok := st.(store.MetricStore)
	if !ok || len(rows) == 0 {
		return nil
	}
	byID := make(map[string][]int, len(rows))
	var ids []string
	for i := range rows {
		rows[i].Utilisation = inventory.Utilisation{}
		id := rows[i].VMID
		if id == "" {
			continue
		}
		if _, seen := byID[id]; !seen {
			ids = append(ids, id)
		}
		byID[id] = append(byID[id], i)
	}
	var missing []string
	for _, tier := range []inventory.MetricTier{inventory.TierRaw, ""} {
		if tier == "" {
			ids, missing = missing, nil
		}
		for start := 0; start < len(ids); start += utilisationBatch {
			batch := ids[start:min(start+utilisationBatch, len(ids))]
			series, err := ms.QueryMetrics(ctx, &store.QueryMetricsParams{
				Vcenter: vc, EntityType: inventory.EntityVM, EntityIDs: batch, Metrics: utilisationMetrics,
				From: win.Start, To: win.End, Step: win.End.Sub(win.Start), Tier: tier,
			})
			if err != nil {
				return fmt.Errorf("utilisation of %s: %w", win.Start.Format("2006-01-02"), err)
			}
			got := map[string]bool{}
			for _, s := range series {
				if len(s.Buckets) == 0 {
					continue
				}
				b := s.Buckets[0]
				for _, i := range byID[s.EntityID] {
					u := &rows[i].Utilisation
					switch s.Metric {
					case inventory.MetricCPUUsageMHz:
						u.UtilSamples, u.AvgCPUMHz, u.PeakCPUMHz = int(b.Count), b.Avg, b.Max
						got[s.EntityID] = b.Count > 0
					case inventory.MetricCPUUsagePct:
						u.AvgCPUPct, u.PeakCPUPct = b.Avg, b.Max
					case inventory.MetricMemUsagePct:
						u.AvgMemPct, u.PeakMemPct = b.Avg, b.Max
					}
				}
			}
			for _, id := range batch {
				if !got[id] {
					for _, i := range byID[id] {
						rows[i].Utilisation = inventory.Utilisation{} // unknown: every field 0
					}
					missing = append(missing, id)
				}
			}
		}
	}
	return nil
}
