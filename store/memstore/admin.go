package memstore

import (
	"cmp"
	"context"
	"slices"
	"sort"
	"time"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/driver"
)

// ---------------------------------------------------------------------------
// Totals

// ListTotals returns totals ordered by (vcenter, snapshot_time).
func (s *Store) ListTotals(ctx context.Context, p *store.ListTotalsParams) ([]inventory.Totals, error) {
	if p == nil {
		p = &store.ListTotalsParams{}
	}
	unlock, err := s.read("ListTotals")
	if err != nil {
		return nil, err
	}
	defer unlock()
	vcs := []string{p.Vcenter}
	if p.Vcenter == "" {
		vcs = sortedKeys(s.totals)
	}
	var out []inventory.Totals
	for _, vc := range vcs {
		for _, t := range s.totals[vc] {
			if inRange(t.SnapshotTime, p.From, p.To) {
				out = append(out, t)
			}
		}
	}
	return out, nil
}

// LatestTotals returns the newest totals of each vCenter, ordered by vcenter.
func (s *Store) LatestTotals(ctx context.Context, p *store.LatestTotalsParams) ([]inventory.Totals, error) {
	if p == nil {
		p = &store.LatestTotalsParams{}
	}
	unlock, err := s.read("LatestTotals")
	if err != nil {
		return nil, err
	}
	defer unlock()
	var out []inventory.Totals
	for _, vc := range sortedKeys(s.latest) {
		if p.Vcenter == "" || vc == p.Vcenter {
			out = append(out, s.latest[vc])
		}
	}
	return out, nil
}

// RefreshAggregateTotals recomputes one aggregate period from
// vcenter_totals.
func (s *Store) RefreshAggregateTotals(ctx context.Context, p *store.RefreshAggregateTotalsParams) (*inventory.AggregateTotals, error) {
	const op = "RefreshAggregateTotals"
	if err := s.usable(op); err != nil {
		return nil, err
	}
	if err := driver.ValidateAggregatePeriod(p); err != nil {
		return nil, err
	}
	var a inventory.AggregateTotals
	var ok bool
	err := s.commit(ctx, &store.WriteError{Op: op, Vcenter: p.Vcenter, SnapshotTime: driver.NormTime(p.PeriodStart)}, func() {
		a, ok = s.refreshAggregate(p.Vcenter, p.Granularity, p.PeriodStart, p.PeriodEnd)
	})
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, notFound(op, "no snapshots of %q in [%s, %s)", p.Vcenter, p.PeriodStart.UTC().Format(time.RFC3339), p.PeriodEnd.UTC().Format(time.RFC3339))
	}
	return &a, nil
}

// ListAggregateTotals returns rows ordered by (vcenter, granularity,
// period_start).
func (s *Store) ListAggregateTotals(ctx context.Context, p *store.ListAggregateTotalsParams) ([]inventory.AggregateTotals, error) {
	if p == nil {
		p = &store.ListAggregateTotalsParams{}
	}
	unlock, err := s.read("ListAggregateTotals")
	if err != nil {
		return nil, err
	}
	defer unlock()
	var out []inventory.AggregateTotals
	for _, a := range s.aggs {
		if (p.Vcenter == "" || a.Vcenter == p.Vcenter) && (p.Granularity == "" || a.Granularity == p.Granularity) && inRange(a.PeriodStart, p.From, p.To) {
			out = append(out, a)
		}
	}
	slices.SortFunc(out, func(a, b inventory.AggregateTotals) int {
		return cmp.Or(cmp.Compare(a.Vcenter, b.Vcenter), cmp.Compare(a.Granularity, b.Granularity), a.PeriodStart.Compare(b.PeriodStart))
	})
	return out, nil
}

// ---------------------------------------------------------------------------
// Registry

// RegisterSnapshot upserts a record on (vcenter, kind, snapshot_time),
// keeping the RegisteredAt of an existing one.
func (s *Store) RegisterSnapshot(ctx context.Context, p *store.RegisterSnapshotParams) error {
	const op = "RegisterSnapshot"
	if err := s.usable(op); err != nil {
		return err
	}
	if p == nil {
		return driver.Invalid(op, "params", "must not be nil")
	}
	r := p.Record
	if err := driver.ValidateRecord(op, &r); err != nil {
		return err
	}
	r.SnapshotTime, r.RegisteredAt = driver.NormTime(r.SnapshotTime), driver.NormTime(r.RegisteredAt)
	return s.commit(ctx, &store.WriteError{Op: op, Vcenter: r.Vcenter, SnapshotTime: r.SnapshotTime}, func() { s.putRecord(r) })
}

// ListSnapshots returns records ordered by (snapshot_time, vcenter), newest
// first when Descending.
func (s *Store) ListSnapshots(ctx context.Context, p *store.ListSnapshotsParams) ([]inventory.SnapshotRecord, error) {
	if p == nil {
		p = &store.ListSnapshotsParams{}
	}
	unlock, err := s.read("ListSnapshots")
	if err != nil {
		return nil, err
	}
	defer unlock()
	var out []inventory.SnapshotRecord
	for _, r := range s.registry {
		if (p.Vcenter == "" || r.Vcenter == p.Vcenter) && (p.Kind == "" || r.Kind == p.Kind) && inRange(r.SnapshotTime, p.From, p.To) {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b inventory.SnapshotRecord) int {
		return cmp.Or(a.SnapshotTime.Compare(b.SnapshotTime), cmp.Compare(a.Vcenter, b.Vcenter), cmp.Compare(a.Kind, b.Kind))
	})
	if p.Descending {
		slices.Reverse(out)
	}
	if p.Limit > 0 && len(out) > p.Limit {
		out = out[:p.Limit]
	}
	return out, nil
}

// CountSnapshots counts registry records per vCenter and period
// (store.SnapshotCounter).
func (s *Store) CountSnapshots(ctx context.Context, p *store.CountSnapshotsParams) ([]store.SnapshotCount, error) {
	if err := driver.ValidateCountSnapshots(p); err != nil {
		return nil, err
	}
	unlock, err := s.read("CountSnapshots")
	if err != nil {
		return nil, err
	}
	defer unlock()
	type key struct {
		period int
		vc     string
	}
	counts := map[key]*store.SnapshotCount{}
	for _, r := range s.registry {
		if r.Kind != p.Kind || r.SnapshotTime.Before(p.Bounds[0]) || !r.SnapshotTime.Before(p.Bounds[len(p.Bounds)-1]) {
			continue
		}
		// The period is the last bound at or before the snapshot time.
		i := sort.Search(len(p.Bounds), func(i int) bool { return p.Bounds[i].After(r.SnapshotTime) }) - 1
		c := counts[key{i, r.Vcenter}]
		if c == nil {
			c = &store.SnapshotCount{Vcenter: r.Vcenter, Period: i}
			counts[key{i, r.Vcenter}] = c
		}
		c.Count++
		if r.RegisteredAt.After(c.NewestRegisteredAt) {
			c.NewestRegisteredAt = r.RegisteredAt
		}
	}
	out := make([]store.SnapshotCount, 0, len(counts))
	for _, c := range counts {
		out = append(out, *c)
	}
	slices.SortFunc(out, func(a, b store.SnapshotCount) int {
		return cmp.Or(cmp.Compare(a.Period, b.Period), cmp.Compare(a.Vcenter, b.Vcenter))
	})
	return out, nil
}

// ---------------------------------------------------------------------------
// Endpoints

func copyEndpoint(e inventory.Endpoint) inventory.Endpoint {
	if len(e.Credential) == 0 {
		e.Credential = nil
	} else {
		e.Credential = slices.Clone(e.Credential)
	}
	e.Tags = cloneMap(e.Tags)
	e.Scope.Include, e.Scope.Exclude = cloneRules(e.Scope.Include), cloneRules(e.Scope.Exclude)
	return e
}

// cloneRules copies scope rules as a JSON round trip leaves them (nil
// when empty).
func cloneRules(r []inventory.ScopeRule) []inventory.ScopeRule {
	if len(r) == 0 {
		return nil
	}
	return slices.Clone(r)
}

// UpsertEndpoint creates or updates an endpoint by name.
func (s *Store) UpsertEndpoint(ctx context.Context, p *store.UpsertEndpointParams) (*inventory.Endpoint, error) {
	const op = "UpsertEndpoint"
	if err := s.usable(op); err != nil {
		return nil, err
	}
	if p == nil {
		return nil, driver.Invalid(op, "params", "must not be nil")
	}
	ep := copyEndpoint(p.Endpoint)
	if err := driver.ValidateEndpoint(op, &ep); err != nil {
		return nil, err
	}
	err := s.commit(ctx, &store.WriteError{Op: op}, func() {
		now := driver.NormTime(s.now())
		ep.CreatedAt, ep.UpdatedAt = now, now
		if old, ok := s.endpoints[ep.Name]; ok {
			ep.CreatedAt = old.CreatedAt
		}
		s.endpoints[ep.Name] = ep
	})
	if err != nil {
		return nil, err
	}
	out := copyEndpoint(ep)
	return &out, nil
}

// GetEndpoint returns one endpoint or ErrNotFound.
func (s *Store) GetEndpoint(ctx context.Context, p *store.GetEndpointParams) (*inventory.Endpoint, error) {
	const op = "GetEndpoint"
	if err := s.usable(op); err != nil {
		return nil, err
	}
	if p == nil || p.Name == "" {
		return nil, driver.Invalid(op, "Name", "must not be empty")
	}
	unlock, err := s.read(op)
	if err != nil {
		return nil, err
	}
	defer unlock()
	ep, ok := s.endpoints[p.Name]
	if !ok {
		return nil, notFound(op, "endpoint %q", p.Name)
	}
	out := copyEndpoint(ep)
	return &out, nil
}

// ListEndpoints returns endpoints ordered by name.
func (s *Store) ListEndpoints(ctx context.Context, p *store.ListEndpointsParams) ([]inventory.Endpoint, error) {
	if p == nil {
		p = &store.ListEndpointsParams{}
	}
	unlock, err := s.read("ListEndpoints")
	if err != nil {
		return nil, err
	}
	defer unlock()
	var out []inventory.Endpoint
	for _, name := range sortedKeys(s.endpoints) {
		if ep := s.endpoints[name]; ep.Enabled || !p.EnabledOnly {
			out = append(out, copyEndpoint(ep))
		}
	}
	return out, nil
}

// DeleteEndpoint removes an endpoint and its capture status.
func (s *Store) DeleteEndpoint(ctx context.Context, p *store.DeleteEndpointParams) error {
	const op = "DeleteEndpoint"
	if err := s.usable(op); err != nil {
		return err
	}
	if p == nil || p.Name == "" {
		return driver.Invalid(op, "Name", "must not be empty")
	}
	var missing bool
	err := s.commit(ctx, &store.WriteError{Op: op}, func() {
		if _, ok := s.endpoints[p.Name]; !ok {
			missing = true
			return
		}
		delete(s.endpoints, p.Name)
		delete(s.status, p.Name)
	})
	if err == nil && missing {
		err = notFound(op, "endpoint %q", p.Name)
	}
	return err
}

// RecordCaptureStatus upserts an endpoint's capture status.
func (s *Store) RecordCaptureStatus(ctx context.Context, p *store.RecordCaptureStatusParams) error {
	const op = "RecordCaptureStatus"
	if err := s.usable(op); err != nil {
		return err
	}
	if p == nil || p.Status.Endpoint == "" {
		return driver.Invalid(op, "Status.Endpoint", "must not be empty")
	}
	st := p.Status
	if err := driver.ValidateCaptureStatus(op, &st); err != nil {
		return err
	}
	st.LastAttempt, st.LastSuccess = driver.NormTime(st.LastAttempt), driver.NormTime(st.LastSuccess)
	return s.commit(ctx, &store.WriteError{Op: op}, func() { s.status[st.Endpoint] = st })
}

// ListCaptureStatus returns statuses ordered by endpoint.
func (s *Store) ListCaptureStatus(ctx context.Context, p *store.ListCaptureStatusParams) ([]inventory.CaptureStatus, error) {
	if p == nil {
		p = &store.ListCaptureStatusParams{}
	}
	unlock, err := s.read("ListCaptureStatus")
	if err != nil {
		return nil, err
	}
	defer unlock()
	var out []inventory.CaptureStatus
	for _, name := range sortedKeys(s.status) {
		if p.Endpoint == "" || name == p.Endpoint {
			out = append(out, s.status[name])
		}
	}
	return out, nil
}
