package sqlstore

import (
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

// summarise returns the bucket figures of values (in time order): Count,
// Avg (the sum in the given order divided by Count), Max, Min and the
// nearest-rank P95.
func summarise(values []float64) inventory.MetricBucket {
	if len(values) == 0 {
		return inventory.MetricBucket{}
	}
	b := inventory.MetricBucket{Count: int64(len(values)), Max: values[0], Min: values[0]}
	sum := 0.0
	for _, v := range values {
		sum += v
		b.Max = max(b.Max, v)
		b.Min = min(b.Min, v)
	}
	b.Avg = sum / float64(len(values))
	b.P95 = p95(slices.Clone(values))
	return b
}

// p95 returns the nearest-rank 95th percentile of vals, sorting them.
func p95(vals []float64) float64 {
	slices.Sort(vals)
	r := int(math.Ceil(0.95 * float64(len(vals))))
	return vals[max(r, 1)-1]
}

// combine combines tier buckets (oldest first) into one query bucket:
// Count summed, Avg weighted by Count, Max and Min exact, P95 the
// nearest-rank P95 of the buckets' P95 values.
func combine(bs []inventory.MetricBucket) inventory.MetricBucket {
	if len(bs) == 1 {
		return bs[0]
	}
	out := inventory.MetricBucket{Max: bs[0].Max, Min: bs[0].Min}
	sum := 0.0
	ps := make([]float64, len(bs))
	for i, b := range bs {
		out.Count += b.Count
		sum += b.Avg * float64(b.Count)
		out.Max = max(out.Max, b.Max)
		out.Min = min(out.Min, b.Min)
		ps[i] = b.P95
	}
	out.Avg = sum / float64(out.Count)
	out.P95 = p95(ps)
	return out
}

// addBucket adds b's figures to acc (CombineSum).
func addBucket(acc *inventory.MetricBucket, b inventory.MetricBucket) {
	acc.Count += b.Count
	acc.Avg += b.Avg
	acc.Max += b.Max
	acc.Min += b.Min
	acc.P95 += b.P95
}

func invalid(op, field, reason string) error {
	return &store.InvalidParamsError{Op: op, Field: field, Reason: reason}
}

// validateWriteMetrics checks every point before anything is written.
func validateWriteMetrics(p *store.WriteMetricsParams) error {
	const op = "WriteMetrics"
	if p == nil {
		return invalid(op, "params", "nil")
	}
	for i := range p.Points {
		pt := &p.Points[i]
		f := "Points[" + strconv.Itoa(i) + "]"
		if err := pt.MetricKey.Validate(); err != nil {
			return invalid(op, f, err.Error())
		}
		if pt.Time.IsZero() {
			return invalid(op, f+".Time", "zero")
		}
		if math.IsNaN(pt.Value) || math.IsInf(pt.Value, 0) {
			return invalid(op, f+".Value", "not a finite number")
		}
	}
	return nil
}

// prepareQueryMetrics checks p and returns the tier buckets come from and
// the number of buckets.
func prepareQueryMetrics(p *store.QueryMetricsParams) (inventory.MetricTier, int, error) {
	const op = "QueryMetrics"
	if p == nil {
		return "", 0, invalid(op, "params", "nil")
	}
	switch {
	case p.Vcenter == "":
		return "", 0, invalid(op, "Vcenter", "required")
	case !slices.Contains(inventory.EntityTypes(), p.EntityType):
		return "", 0, invalid(op, "EntityType", "unknown entity type")
	case len(p.EntityIDs) == 0 || len(p.EntityIDs) > store.MaxMetricEntities:
		return "", 0, invalid(op, "EntityIDs", "must hold 1 to "+strconv.Itoa(store.MaxMetricEntities)+" IDs")
	case len(p.Metrics) == 0:
		return "", 0, invalid(op, "Metrics", "required")
	case p.From.IsZero() || p.To.IsZero() || !p.From.Before(p.To):
		return "", 0, invalid(op, "From", "From and To are required and From must be before To")
	case p.Step < store.MinMetricStep || p.Step%time.Second != 0:
		return "", 0, invalid(op, "Step", "must be a whole number of seconds, at least "+store.MinMetricStep.String())
	case p.Combine != store.CombineNone && p.Combine != store.CombineSum:
		return "", 0, invalid(op, "Combine", "unknown")
	}
	for i, m := range p.Metrics {
		if err := m.Validate(); err != nil {
			return "", 0, invalid(op, "Metrics["+strconv.Itoa(i)+"]", err.Error())
		}
	}
	span := p.To.Sub(p.From)
	n := int64(span / p.Step)
	if span%p.Step != 0 {
		n++
	}
	if n > store.MaxMetricBuckets {
		return "", 0, invalid(op, "Step", "more than "+strconv.Itoa(store.MaxMetricBuckets)+" buckets")
	}
	fits := func(t inventory.MetricTier) bool {
		w := t.Duration()
		return p.Step%w == 0 && p.From.UTC().Truncate(w).Equal(p.From)
	}
	tier := p.Tier
	switch tier {
	case "":
		switch {
		case fits(inventory.TierDay):
			tier = inventory.TierDay
		case fits(inventory.TierHour):
			tier = inventory.TierHour
		default:
			tier = inventory.TierRaw
		}
	case inventory.TierRaw:
	case inventory.TierHour, inventory.TierDay:
		if !fits(tier) {
			return "", 0, invalid(op, "Tier", "step and From do not fit tier "+string(tier))
		}
	default:
		return "", 0, invalid(op, "Tier", "unknown tier")
	}
	return tier, int(n), nil
}
