package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/metrics"
	"github.com/accessvault/vinventory/store"
)

// Limits and defaults of /api/metrics.
const (
	// metricsDefaultRange is the range without from: to − 24 h.
	metricsDefaultRange = 24 * time.Hour
	// metricsTargetBuckets is the most buckets a default step gives.
	metricsTargetBuckets = 300
	// maxQueryMetrics is the most metric names one call asks for.
	maxQueryMetrics = 32
)

// niceSteps are the steps a default step is chosen from: the smallest
// that gives at most metricsTargetBuckets buckets.
var niceSteps = []time.Duration{time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute,
	30 * time.Minute, time.Hour, 2 * time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour,
	48 * time.Hour, 7 * 24 * time.Hour, 14 * 24 * time.Hour, 28 * 24 * time.Hour}

func (a *API) registerMetrics() {
	errs := func(o huma.Operation, codes ...int) huma.Operation {
		o.Errors = append(o.Errors, http.StatusNotFound, http.StatusNotImplemented)
		o.Errors = append(o.Errors, codes...)
		return o
	}
	q := errs(op(http.MethodGet, "/api/metrics", "get-metrics",
		"Utilisation time series of entities, downsampled into buckets (avg, max, min, p95)", RoleViewer, "metrics"))
	q.Description = "The series of `metric` (repeatable) of the entities `entity_id` (repeatable) of one vCenter and entity type " +
		"over [from, to), in buckets of `step`: bucket i holds the points with from + i×step <= time < from + (i+1)×step. " +
		"`to` defaults to now and `from` to to − 24 h. Without `step` the smallest of 1m, 2m, 5m, 10m, 15m, 30m, 1h, 2h, 3h, " +
		"6h, 12h, 1d, 2d, 7d, 14d, 28d giving at most 300 buckets is chosen and `from` is moved back to a multiple of it " +
		"(UTC), so hour and day steps are served by the 1-hour and 1-day rollup tiers. Without `tier` the coarsest tier " +
		"that fits step and from is used (day, hour, raw); the answer names it. `combine=sum` sums the entities' bucket " +
		"figures per metric (a cluster's total; max and p95 as an upper bound). Buckets without points are left out. " +
		"A vCenter outside the token's scope answers 404; a store without metrics 501. " + q.Description
	huma.Register(a.h, q, a.getMetrics)
	huma.Register(a.h, errs(op(http.MethodGet, "/api/metrics/keys", "list-metric-keys",
		"The metric series stored for a vCenter's entities", RoleViewer, "metrics")), a.listMetricKeys)
	c := errs(op(http.MethodGet, "/api/capacity", "get-capacity",
		"Capacity trends: each cluster's cpu and memory and each datastore's disk, daily used vs capacity with a forecast", RoleViewer, "metrics"))
	c.Description = "Package metrics' CapacityTrends: per cluster (cpu: cpu.usage.mhz of cpu.capacity.mhz; memory: mem.usage.mb of " +
		"mem.capacity.mb) and per datastore (disk: disk.used.gb of disk.capacity.gb), the daily average used and capacity of the " +
		"last `days` UTC days (the 1-day rollup tier; today from the raw points) and FitForecast's least-squares line over the " +
		"last 30 days: growth per day, R², the days it reaches 80, 90 and 100 % of the latest capacity (within 2 years), and a " +
		"confidence (high: at least 7 days and R² >= 0.7; low; none: too few days or no growth) with its reason. " +
		"A token limited to other vCenters gets 404 for vcenter; without vcenter it sees its own vCenters' trends. " + c.Description
	huma.Register(a.h, c, a.getCapacity)
}

func (a *API) metricStore() (store.MetricStore, error) {
	if s, ok := a.o.Store.(store.MetricStore); ok {
		return s, nil
	}
	return nil, notImplemented("metrics")
}

type metricsInput struct {
	Vcenter    string   `query:"vcenter" required:"true" maxLength:"256"`
	EntityType string   `query:"entity_type" maxLength:"32" doc:"vm, host, cluster, datastore, network or resource_pool (required unless entity is given)."`
	EntityID   []string `query:"entity_id,explode" doc:"The entities (repeatable; at most 10000; required unless entity is given)."`
	Entity     []string `query:"entity,explode" doc:"Shorthand for entity_type and entity_id: type:id, e.g. vm:vm-42 (repeatable; every one of the same type)."`
	Metric     []string `query:"metric,explode" required:"true" doc:"The metrics (repeatable or comma-separated; at most 32), e.g. cpu.usage.pct."`
	From       string   `query:"from" maxLength:"40" doc:"RFC 3339; defaults to to − 24 h."`
	To         string   `query:"to" maxLength:"40" doc:"RFC 3339; defaults to now."`
	Step       string   `query:"step" maxLength:"20" doc:"The bucket width: a duration (90s, 5m, 1h, 1d) or seconds; at least 1m, at most 10000 buckets. Defaults to a step giving at most 300 buckets."`
	Tier       string   `query:"tier" enum:"raw,hour,day" doc:"The tier the buckets are computed from. Defaults to the coarsest that fits step and from."`
	Combine    string   `query:"combine" enum:"none,sum" default:"none" doc:"sum: one series per metric summing the entities' bucket figures."`
}

// MetricsAnswer is the answer of GET /api/metrics.
type MetricsAnswer struct {
	Vcenter    string `json:"vcenter"`
	EntityType string `json:"entity_type"`
	// From and To are the range the buckets cover (from after the default
	// step's alignment).
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	// Step is the bucket width in seconds.
	Step int64 `json:"step" doc:"The bucket width in seconds."`
	// Tier is the tier the buckets were computed from.
	Tier    inventory.MetricTier     `json:"tier"`
	Combine string                   `json:"combine"`
	Series  []inventory.MetricSeries `json:"series"`
}

// parseStep reads a step: a Go duration, a number of days ("2d") or of
// seconds ("300").
func parseStep(s string) (time.Duration, error) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n <= 0 || n > 1<<31 {
			return 0, fmt.Errorf("%q seconds is out of range", s)
		}
		return time.Duration(n) * time.Second, nil
	}
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(d)
		if err != nil || n <= 0 || n > 3660 {
			return 0, fmt.Errorf("%q is not a number of days", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%q is not a duration like 5m, 1h or 1d", s)
	}
	return d, nil
}

// DefaultMetricStep is the step /api/metrics chooses for a range without
// one: the smallest nice step giving at most 300 buckets.
func DefaultMetricStep(rng time.Duration) time.Duration {
	for _, s := range niceSteps {
		if (rng+s-1)/s <= metricsTargetBuckets {
			return s
		}
	}
	return niceSteps[len(niceSteps)-1]
}

// fittingTier is the coarsest tier that fits step and from (the store's
// rule for an empty Tier).
func fittingTier(step time.Duration, from time.Time) inventory.MetricTier {
	from = from.UTC()
	switch {
	case step%(24*time.Hour) == 0 && from.Equal(from.Truncate(24*time.Hour)):
		return inventory.TierDay
	case step%time.Hour == 0 && from.Equal(from.Truncate(time.Hour)):
		return inventory.TierHour
	}
	return inventory.TierRaw
}

// entityShorthand turns entity=type:id values into the input's entity
// type and IDs (they exclude entity_type and entity_id).
func entityShorthand(in *metricsInput) error {
	if len(in.Entity) == 0 {
		return nil
	}
	if in.EntityType != "" || len(in.EntityID) > 0 {
		return invalid("entity", "give either entity or entity_type and entity_id, not both")
	}
	for _, e := range in.Entity {
		typ, id, ok := strings.Cut(e, ":")
		if !ok || id == "" {
			return invalid("entity", fmt.Sprintf("%q is not type:id (e.g. vm:vm-42)", e))
		}
		if in.EntityType != "" && typ != in.EntityType {
			return invalid("entity", fmt.Sprintf("entities of two types (%q and %q); one query reads one type", in.EntityType, typ))
		}
		in.EntityType = typ
		in.EntityID = append(in.EntityID, id)
	}
	return nil
}

func knownEntityType(s string) bool {
	return slices.Contains(inventory.EntityTypes(), inventory.EntityType(s))
}

func (a *API) getMetrics(ctx context.Context, in *metricsInput) (*struct{ Body MetricsAnswer }, error) {
	ms, err := a.metricStore()
	if err != nil {
		return nil, err
	}
	if err := entityShorthand(in); err != nil {
		return nil, err
	}
	if !knownEntityType(in.EntityType) {
		return nil, invalid("entity_type", fmt.Sprintf("%q is not one of vm, host, cluster, datastore, network, resource_pool", in.EntityType))
	}
	var ids []string
	for _, id := range in.EntityID {
		if id == "" {
			return nil, invalid("entity_id", "an entity ID is empty")
		}
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil, invalid("entity_id", "at least one entity ID is required")
	}
	if len(ids) > store.MaxMetricEntities {
		return nil, invalid("entity_id", fmt.Sprintf("%d entities; at most %d", len(ids), store.MaxMetricEntities))
	}
	var mets []inventory.Metric
	for _, v := range in.Metric {
		for s := range strings.SplitSeq(v, ",") {
			m := inventory.Metric(strings.TrimSpace(s))
			if err := m.Validate(); err != nil {
				return nil, invalid("metric", err.Error())
			}
			if !slices.Contains(mets, m) {
				mets = append(mets, m)
			}
		}
	}
	if len(mets) == 0 {
		return nil, invalid("metric", "at least one metric is required")
	}
	if len(mets) > maxQueryMetrics {
		return nil, invalid("metric", fmt.Sprintf("%d metrics; at most %d", len(mets), maxQueryMetrics))
	}
	to := a.o.Clock().UTC().Truncate(time.Second)
	if in.To != "" {
		if to, err = time.Parse(time.RFC3339Nano, in.To); err != nil {
			return nil, invalid("to", "want an RFC 3339 time")
		}
	}
	from := to.Add(-metricsDefaultRange)
	if in.From != "" {
		if from, err = time.Parse(time.RFC3339Nano, in.From); err != nil {
			return nil, invalid("from", "want an RFC 3339 time")
		}
	}
	from, to = from.UTC(), to.UTC()
	if !from.Before(to) {
		return nil, invalid("from", "from must be before to")
	}
	var step time.Duration
	if in.Step != "" {
		if step, err = parseStep(in.Step); err != nil {
			return nil, invalid("step", err.Error())
		}
	} else {
		step = DefaultMetricStep(to.Sub(from))
		from = from.Truncate(step)
	}
	switch {
	case step%time.Second != 0:
		return nil, invalid("step", "must be a whole number of seconds")
	case step < store.MinMetricStep:
		return nil, invalid("step", fmt.Sprintf("must be at least %s", store.MinMetricStep))
	}
	if n := (to.Sub(from) + step - 1) / step; n > store.MaxMetricBuckets {
		return nil, invalid("step", fmt.Sprintf("%d buckets over the range; at most %d (use a larger step)", n, store.MaxMetricBuckets))
	}
	tier := inventory.MetricTier(in.Tier)
	if tier == "" {
		tier = fittingTier(step, from)
	} else if w := tier.Duration(); w > 0 && (step%w != 0 || !from.Equal(from.Truncate(w))) {
		return nil, invalid("tier", fmt.Sprintf("the %s tier needs a step that is a whole number of %s and a from on its boundary", tier, w))
	}
	if !scopeOf(ctx).sees(in.Vcenter) {
		return nil, huma.Error404NotFound("no metrics: this token may not read that vCenter")
	}
	combine := store.CombineNone
	if in.Combine == "sum" {
		combine = store.CombineSum
	}
	series, err := ms.QueryMetrics(ctx, &store.QueryMetricsParams{Vcenter: in.Vcenter, EntityType: inventory.EntityType(in.EntityType),
		EntityIDs: ids, Metrics: mets, From: from, To: to, Step: step, Tier: tier, Combine: combine})
	if err != nil {
		return nil, a.metricsStoreError(ctx, "query metrics", err)
	}
	for i := range series {
		for j := range series[i].Buckets {
			series[i].Buckets[j].Start = series[i].Buckets[j].Start.UTC()
		}
		series[i].Buckets = orEmpty(series[i].Buckets)
	}
	ans := MetricsAnswer{Vcenter: in.Vcenter, EntityType: in.EntityType, From: from, To: to, Step: int64(step / time.Second),
		Tier: tier, Combine: in.Combine, Series: orEmpty(series)}
	return &struct{ Body MetricsAnswer }{ans}, nil
}

type metricKeysInput struct {
	Vcenter    string `query:"vcenter" required:"true" maxLength:"256"`
	EntityType string `query:"entity_type" maxLength:"32" doc:"Only this entity type."`
	EntityID   string `query:"entity_id" maxLength:"1024" doc:"Only this entity (with entity_type)."`
}

func (a *API) listMetricKeys(ctx context.Context, in *metricKeysInput) (*listOutput[inventory.MetricKey], error) {
	ms, err := a.metricStore()
	if err != nil {
		return nil, err
	}
	if in.EntityType != "" && !knownEntityType(in.EntityType) {
		return nil, invalid("entity_type", fmt.Sprintf("%q is not one of vm, host, cluster, datastore, network, resource_pool", in.EntityType))
	}
	if in.EntityID != "" && in.EntityType == "" {
		return nil, invalid("entity_type", "entity_id needs entity_type")
	}
	if !scopeOf(ctx).sees(in.Vcenter) {
		return nil, huma.Error404NotFound("no metrics: this token may not read that vCenter")
	}
	keys, err := ms.ListMetricKeys(ctx, &store.ListMetricKeysParams{Vcenter: in.Vcenter, EntityType: inventory.EntityType(in.EntityType), EntityID: in.EntityID})
	if err != nil {
		return nil, a.metricsStoreError(ctx, "list metric keys", err)
	}
	return newList(keys, ""), nil
}

// metricsStoreError is storeError with the metric params' fields named
// as the query parameters.
func (a *API) metricsStoreError(ctx context.Context, what string, err error) error {
	var ip *store.InvalidParamsError
	if errors.As(err, &ip) {
		field, _, _ := strings.Cut(ip.Field, "[")
		name := map[string]string{"Vcenter": "vcenter", "EntityType": "entity_type", "EntityIDs": "entity_id", "EntityID": "entity_id",
			"Metrics": "metric", "From": "from", "To": "to", "Step": "step", "Tier": "tier", "Combine": "combine"}[field]
		if name == "" {
			name = apiParam(field)
		}
		return invalid(name, ip.Reason)
	}
	return a.internal(ctx, what, err)
}

type capacityInput struct {
	Vcenter    string `query:"vcenter" maxLength:"256" doc:"Only this vCenter's clusters and datastores."`
	EntityType string `query:"entity_type" enum:"cluster,datastore" doc:"Only clusters or only datastores."`
	EntityID   string `query:"entity_id" maxLength:"1024" doc:"Only this cluster or datastore (with entity_type)."`
	Days       int    `query:"days" minimum:"1" maximum:"3650" default:"90" doc:"The series' length in UTC days, ending today."`
}

// CapacityAnswer is the answer of GET /api/capacity.
type CapacityAnswer struct {
	// Now is when the series end (the API's clock).
	Now  time.Time `json:"now"`
	Days int       `json:"days"`
	// Trends are the clusters' cpu and memory and the datastores' disk
	// trends with their forecasts, by (vcenter, entity_type, entity_id).
	Trends []metrics.CapacityTrend `json:"trends"`
}

func (a *API) getCapacity(ctx context.Context, in *capacityInput) (*struct{ Body CapacityAnswer }, error) {
	cs, ok := a.o.Store.(metrics.CapacityStore)
	if !ok {
		return nil, notImplemented("metrics")
	}
	if in.EntityID != "" && in.EntityType == "" {
		return nil, invalid("entity_type", "entity_id needs entity_type")
	}
	sc := scopeOf(ctx)
	if in.Vcenter != "" && !sc.sees(in.Vcenter) {
		return nil, huma.Error404NotFound("no capacity trends: this token may not read that vCenter")
	}
	vcs := []string{in.Vcenter}
	if in.Vcenter == "" && !sc.all {
		vcs = sc.list
	}
	now := a.o.Clock().UTC()
	ans := CapacityAnswer{Now: now, Days: in.Days, Trends: []metrics.CapacityTrend{}}
	for _, vc := range vcs {
		ts, err := metrics.CapacityTrends(ctx, cs, &metrics.CapacityParams{Vcenter: vc, EntityType: inventory.EntityType(in.EntityType),
			EntityID: in.EntityID, Days: in.Days, Now: now})
		var pe *metrics.ParamError
		switch {
		case errors.As(err, &pe):
			name := map[string]string{"Days": "days", "EntityType": "entity_type", "Vcenter": "vcenter", "EntityID": "entity_id"}[pe.Field]
			if name == "" {
				return nil, a.internal(ctx, "capacity trends", err)
			}
			return nil, invalid(name, pe.Reason)
		case err != nil:
			return nil, a.metricsStoreError(ctx, "capacity trends", err)
		}
		for _, t := range ts {
			for i := range t.Days {
				t.Days[i].Day = t.Days[i].Day.UTC()
			}
			t.Days = orEmpty(t.Days)
			t.Forecast.Thresholds = orEmpty(t.Forecast.Thresholds)
			ans.Trends = append(ans.Trends, t)
		}
	}
	return &struct{ Body CapacityAnswer }{ans}, nil
}
