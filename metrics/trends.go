package metrics

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

// CapacityStore is what CapacityTrends reads: the metric series, and the
// latest-state inventory for the clusters' and datastores' ids and
// names.
type CapacityStore interface {
	store.MetricStore
	store.InventoryState
}

// CapacityParams select the trends CapacityTrends computes.
type CapacityParams struct {
	// Vcenter keeps one endpoint's clusters and datastores; empty reads
	// every endpoint.
	Vcenter string
	// EntityType keeps clusters (inventory.EntityCluster) or datastores
	// (inventory.EntityDatastore); empty reads both.
	EntityType inventory.EntityType
	// EntityID keeps the one cluster or datastore with this id.
	EntityID string
	// Days is the length of the series in UTC days, ending with the day
	// of Now (included, read from the raw points while it is not rolled
	// up). Defaults to 90; at most MaxCapacityDays.
	Days int
	// Now ends the series. Required unless Clock is set.
	Now time.Time
	// Clock gives Now when Now is zero.
	Clock func() time.Time
	// Forecast tunes each trend's FitForecast.
	Forecast ForecastOptions
}

// Limits and defaults of CapacityParams.
const (
	DefaultCapacityDays = 90
	MaxCapacityDays     = 3650
	// capacityBatch is the most entities one QueryMetrics names.
	capacityBatch = 1000
)

type capacityMetric struct {
	resource     string
	unit         string
	used, capMet inventory.Metric
}

var (
	clusterResources = []capacityMetric{
		{ResourceCPU, "MHz", inventory.MetricCPUUsageMHz, inventory.MetricCPUCapacityMHz},
		{ResourceMemory, "MB", inventory.MetricMemUsageMB, inventory.MetricMemCapacityMB},
	}
	datastoreResources = []capacityMetric{
		{ResourceDisk, "GB", inventory.MetricDiskUsedGB, inventory.MetricDiskCapacityGB},
	}
)

// CapacityTrends returns, per cluster of the inventory, its cpu
// (cpu.usage.mhz of cpu.capacity.mhz) and memory (mem.usage.mb of
// mem.capacity.mb) trends and, per datastore, its disk trend
// (disk.used.gb of disk.capacity.gb), each with FitForecast's forecast.
//
// A trend's Days are the UTC days of [day of Now − (Days−1), day of Now]
// with both a used and a capacity bucket: the day's average used and
// average capacity, from QueryMetrics with a 24 h step on the day tier
// (the newest days, not rolled up yet, are computed from the raw points).
// A cluster or datastore without any such day is listed with no Days and
// Confidence "none".
//
// Trends are ordered by (Vcenter, EntityType, EntityID) with cpu before
// memory; Name is the inventory's name of the cluster or datastore.
func CapacityTrends(ctx context.Context, st CapacityStore, p *CapacityParams) ([]CapacityTrend, error) {
	const op = "CapacityTrends"
	if p == nil {
		p = &CapacityParams{}
	}
	days := p.Days
	if days == 0 {
		days = DefaultCapacityDays
	}
	if days < 0 || days > MaxCapacityDays {
		return nil, &ParamError{Op: op, Field: "Days", Reason: fmt.Sprintf("%d is not between 1 and %d", p.Days, MaxCapacityDays)}
	}
	now := p.Now
	if now.IsZero() && p.Clock != nil {
		now = p.Clock()
	}
	if now.IsZero() {
		return nil, &ParamError{Op: op, Field: "Now", Reason: "required (or Clock)"}
	}
	wantClusters, wantDatastores := true, true
	switch p.EntityType {
	case "":
	case inventory.EntityCluster:
		wantDatastores = false
	case inventory.EntityDatastore:
		wantClusters = false
	default:
		return nil, &ParamError{Op: op, Field: "EntityType", Reason: fmt.Sprintf("%q is neither cluster nor datastore", string(p.EntityType))}
	}
	to := now.UTC().Truncate(day).Add(day)
	from := to.Add(-time.Duration(days) * day)

	var ids []string
	if p.EntityID != "" {
		ids = []string{p.EntityID}
	}
	type entity struct {
		vcenter, id, name string
		typ               inventory.EntityType
	}
	var ents []entity
	if wantClusters {
		cs, err := st.ListClusters(ctx, &store.ListClustersParams{Vcenter: p.Vcenter, IDs: ids})
		if err != nil {
			return nil, fmt.Errorf("metrics: capacity trends: list clusters: %w", err)
		}
		for _, c := range cs {
			ents = append(ents, entity{c.Vcenter, c.ID, c.Name, inventory.EntityCluster})
		}
	}
	if wantDatastores {
		ds, err := st.ListDatastores(ctx, &store.ListDatastoresParams{Vcenter: p.Vcenter, IDs: ids})
		if err != nil {
			return nil, fmt.Errorf("metrics: capacity trends: list datastores: %w", err)
		}
		for _, d := range ds {
			ents = append(ents, entity{d.Vcenter, d.ID, d.Name, inventory.EntityDatastore})
		}
	}
	sort.SliceStable(ents, func(i, j int) bool {
		a, b := ents[i], ents[j]
		if a.vcenter != b.vcenter {
			return a.vcenter < b.vcenter
		}
		if a.typ != b.typ {
			return a.typ < b.typ
		}
		return a.id < b.id
	})

	var out []CapacityTrend
	for start := 0; start < len(ents); {
		// One batch: entities of one vCenter and type, at most capacityBatch.
		end := start + 1
		for end < len(ents) && end-start < capacityBatch && ents[end].vcenter == ents[start].vcenter && ents[end].typ == ents[start].typ {
			end++
		}
		batch := ents[start:end]
		start = end
		res := clusterResources
		if batch[0].typ == inventory.EntityDatastore {
			res = datastoreResources
		}
		q := &store.QueryMetricsParams{
			Vcenter: batch[0].vcenter, EntityType: batch[0].typ,
			From: from, To: to, Step: day, Tier: inventory.TierDay,
		}
		for _, e := range batch {
			q.EntityIDs = append(q.EntityIDs, e.id)
		}
		for _, r := range res {
			q.Metrics = append(q.Metrics, r.used, r.capMet)
		}
		series, err := st.QueryMetrics(ctx, q)
		if err != nil {
			return nil, fmt.Errorf("metrics: capacity trends: query %s metrics of %s: %w", batch[0].typ, batch[0].vcenter, err)
		}
		byKey := make(map[string]map[inventory.Metric][]inventory.MetricBucket, len(batch))
		for _, s := range series {
			m := byKey[s.EntityID]
			if m == nil {
				m = map[inventory.Metric][]inventory.MetricBucket{}
				byKey[s.EntityID] = m
			}
			m[s.Metric] = s.Buckets
		}
		for _, e := range batch {
			for _, r := range res {
				t := CapacityTrend{
					Vcenter: e.vcenter, EntityType: e.typ, EntityID: e.id, Name: e.name,
					Resource: r.resource, Unit: r.unit,
					Days: joinDays(byKey[e.id][r.used], byKey[e.id][r.capMet]),
				}
				t.Forecast = FitForecast(t.Days, p.Forecast)
				out = append(out, t)
			}
		}
	}
	return out, nil
}

// joinDays pairs the used and capacity buckets of the same day (both
// oldest first).
func joinDays(used, capacity []inventory.MetricBucket) []CapacityDay {
	var out []CapacityDay
	i, j := 0, 0
	for i < len(used) && j < len(capacity) {
		u, c := used[i], capacity[j]
		switch {
		case u.Start.Before(c.Start):
			i++
		case c.Start.Before(u.Start):
			j++
		default:
			out = append(out, CapacityDay{Day: u.Start.UTC(), Used: u.Avg, Capacity: c.Avg})
			i++
			j++
		}
	}
	return out
}
