package memstore

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/driver"
)

// Options configure a Store.
type Options struct {
	// Clock returns the current time, stamping RegisteredAt (when a write
	// sets none), CreatedAt and UpdatedAt. Defaults to time.Now.
	Clock func() time.Time
}

// Store is an in-memory store.Store. It is safe for concurrent use. Values
// are copied on the way in and on the way out, so callers may mutate what
// they pass or receive. The zero value is not usable; call New.
type Store struct {
	now    func() time.Time
	closed atomic.Bool

	mu         sync.RWMutex
	samples    map[string]*vcSamples
	states     map[string]*vcState
	totals     map[string][]inventory.Totals // by vcenter, ordered by snapshot_time
	latest     map[string]inventory.Totals
	aggs       map[aggKey]inventory.AggregateTotals
	registry   map[regKey]inventory.SnapshotRecord
	lifecycles map[string][]inventory.Lifecycle // by vcenter, ordered by vm_id
	events     []inventory.Event                // ordered by (snapshot_time, id)
	eventKeys  map[eventKey]struct{}
	// reconciled is each vCenter's reconciled watermark; endpointEvents its
	// kept endpoint events by natural key.
	reconciled     map[string]time.Time
	endpointEvents map[inventory.EndpointEvent]struct{}
	lastID         int64
	daily          map[string]map[time.Time][]inventory.DailyRollup // vcenter → day → rows by vm_key
	monthly        map[string]map[time.Time][]inventory.MonthlyRollup
	endpoints      map[string]inventory.Endpoint
	status         map[string]inventory.CaptureStatus
	compat         map[string]*compatTable
	reports        map[string]*storedReport // by key
	reportGen      int64
	admin          adminState // API tokens, audit log, rate cards
	// history holds the store.EntityHistory rows by vcenter and snapshot
	// time; each EntityRows is never modified once stored.
	history map[string]map[time.Time]*store.EntityRows
	// details holds the store.Details of each vCenter, as
	// driver.PrepareDetails returned it; never modified once stored.
	details map[string]*inventory.Details
	// live is the change log of store.LiveState.
	live liveLog
	// alert holds the rows of the alert interfaces (nil until written).
	alert *alertState
	// metric holds the series of store.MetricStore (nil until written).
	metric *metricState
}

var (
	_ store.Store           = (*Store)(nil)
	_ store.CompatTables    = (*Store)(nil)
	_ store.SnapshotCounter = (*Store)(nil)
	_ store.ReportCatalog   = (*Store)(nil)
	_ store.Querier         = (*Store)(nil)
	_ store.EntityHistory   = (*Store)(nil)
	_ store.Details         = (*Store)(nil)
)

// vcSamples holds one vCenter's vm_hourly_stats rows. Each rows slice is
// sorted by vm_key and never modified once stored (writes replace it), so
// scans iterate it without holding the lock.
type vcSamples struct {
	times []time.Time // ascending
	rows  map[time.Time][]inventory.Sample
}

type vcState struct {
	time  time.Time
	state inventory.State // each kind ordered by id
}

type aggKey struct {
	vcenter string
	g       inventory.Granularity
	start   time.Time
}

type regKey struct {
	vcenter string
	kind    inventory.Granularity
	at      time.Time
}

type eventKey struct {
	vcenter string
	at      time.Time
	kind    inventory.EventKind
	vmID    string
}

type compatTable struct {
	info    store.CompatTable
	hourly  map[string][]inventory.Sample // by vcenter, rows by vm_key
	daily   map[string][]inventory.DailyRollup
	monthly map[string][]inventory.MonthlyRollup
}

// New returns an empty store. Later Options override earlier ones field by
// field.
func New(opts ...Options) *Store {
	s := &Store{
		now:            time.Now,
		samples:        map[string]*vcSamples{},
		states:         map[string]*vcState{},
		totals:         map[string][]inventory.Totals{},
		latest:         map[string]inventory.Totals{},
		aggs:           map[aggKey]inventory.AggregateTotals{},
		registry:       map[regKey]inventory.SnapshotRecord{},
		lifecycles:     map[string][]inventory.Lifecycle{},
		eventKeys:      map[eventKey]struct{}{},
		reconciled:     map[string]time.Time{},
		endpointEvents: map[inventory.EndpointEvent]struct{}{},
		daily:          map[string]map[time.Time][]inventory.DailyRollup{},
		monthly:        map[string]map[time.Time][]inventory.MonthlyRollup{},
		endpoints:      map[string]inventory.Endpoint{},
		status:         map[string]inventory.CaptureStatus{},
		compat:         map[string]*compatTable{},
		reports:        map[string]*storedReport{},
		history:        map[string]map[time.Time]*store.EntityRows{},
		details:        map[string]*inventory.Details{},
	}
	for _, o := range opts {
		if o.Clock != nil {
			s.now = o.Clock
		}
	}
	return s
}

// Capabilities reports an in-memory backend. It implements the optional
// store.CompatTables, not store.SQLAggregator.
func (s *Store) Capabilities() store.Capabilities {
	return store.Capabilities{Backend: "memory", TimePrecision: driver.Precision}
}

// Migrate does nothing: there is no schema.
func (s *Store) Migrate(ctx context.Context) error { return s.usable("Migrate") }

// Close releases the data. Every later call returns an error wrapping
// store.ErrClosed (a second Close included).
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return s.closedErr("Close")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.samples, s.states, s.totals, s.latest, s.aggs, s.registry = nil, nil, nil, nil, nil, nil
	s.lifecycles, s.events, s.eventKeys, s.daily, s.monthly = nil, nil, nil, nil, nil
	s.reconciled, s.endpointEvents = nil, nil
	s.endpoints, s.status, s.compat, s.reports = nil, nil, nil, nil
	s.admin = adminState{}
	s.live = liveLog{}
	s.alert = nil
	s.metric = nil
	return nil
}

// ---------------------------------------------------------------------------
// Shared helpers

func (s *Store) closedErr(op string) error {
	return fmt.Errorf("memstore: %s: %w", op, store.ErrClosed)
}

func (s *Store) usable(op string) error {
	if s.closed.Load() {
		return s.closedErr(op)
	}
	return nil
}

// read takes the read lock for op, failing once the store is closed.
func (s *Store) read(op string) (unlock func(), err error) {
	s.mu.RLock()
	if s.closed.Load() {
		s.mu.RUnlock()
		return nil, s.closedErr(op)
	}
	return s.mu.RUnlock, nil
}

func notFound(op, format string, args ...any) error {
	return fmt.Errorf("memstore: %s: %s: %w", op, fmt.Sprintf(format, args...), store.ErrNotFound)
}

func readErr(op string, err error) error { return fmt.Errorf("memstore: %s: %w", op, err) }

// commit runs apply under the write lock unless the store was closed or ctx
// is done; apply cannot fail, so a write either happens whole or not at all.
func (s *Store) commit(ctx context.Context, we *store.WriteError, apply func()) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed.Load() {
		return s.closedErr(we.Op)
	}
	if err := ctx.Err(); err != nil {
		we.Stage, we.Err = "commit", err
		return we
	}
	apply()
	return nil
}

// batches calls ctx.Err once per batch of n items while preparing a write.
type batches struct {
	ctx   context.Context
	size  int
	count int
	we    *store.WriteError
}

func newBatches(ctx context.Context, size int, we *store.WriteError, stage store.WriteStage) *batches {
	we.Stage = stage
	return &batches{ctx: ctx, size: driver.BatchSizeOr(size), we: we}
}

// next must be called before each item; it fails when ctx is done at the
// start of a batch.
func (b *batches) next() error {
	if b.count%b.size == 0 {
		if err := b.ctx.Err(); err != nil {
			b.we.Err = err
			return b.we
		}
	}
	b.count++
	return nil
}

func cloneMap(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return maps.Clone(m)
}

func cloneIDs(ids []string) []string {
	if len(ids) == 0 {
		return nil
	}
	return slices.Clone(ids)
}

func sortedIDs(ids []string) []string {
	out := cloneIDs(ids)
	slices.Sort(out)
	return out
}

func inRange(t, from, to time.Time) bool {
	return (from.IsZero() || !t.Before(from)) && (to.IsZero() || t.Before(to))
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

// ---------------------------------------------------------------------------
// Samples

func compareSamples(a, b *inventory.Sample) int { return strings.Compare(a.Key(), b.Key()) }

// normSample returns the stored form of a sample.
func normSample(in *inventory.Sample) inventory.Sample {
	s := *in
	s.SnapshotTime = store.SnapshotTime(s.SnapshotTime)
	s.CreationTime = driver.NormTime(s.CreationTime)
	s.Attributes = cloneMap(s.Attributes)
	return s
}

// readSample copies a stored sample into dst for a caller.
func readSample(dst, src *inventory.Sample) {
	*dst = *src
	dst.Attributes = cloneMap(src.Attributes)
}

type bucketKey struct {
	vcenter string
	at      time.Time
}

// groupSamples normalizes samples and groups them by (vcenter, time), each
// group sorted by vm_key. It sorts indexes, not the (large) structs, and
// copies each sample once.
func groupSamples(in []inventory.Sample, b *batches) (map[bucketKey][]inventory.Sample, error) {
	keys := make([]string, len(in))
	idx := map[bucketKey][]int{}
	for i := range in {
		keys[i] = in[i].Key()
		k := bucketKey{in[i].Vcenter, store.SnapshotTime(in[i].SnapshotTime)}
		idx[k] = append(idx[k], i)
	}
	groups := make(map[bucketKey][]inventory.Sample, len(idx))
	for k, ix := range idx {
		if !slices.IsSortedFunc(ix, func(a, b int) int { return strings.Compare(keys[a], keys[b]) }) {
			slices.SortFunc(ix, func(a, b int) int { return strings.Compare(keys[a], keys[b]) })
		}
		rows := make([]inventory.Sample, len(ix))
		for j, i := range ix {
			if err := b.next(); err != nil {
				return nil, err
			}
			rows[j] = normSample(&in[i])
		}
		groups[k] = rows
	}
	return groups, nil
}

// setBucket replaces the rows of (vcenter, at); no rows removes the time.
func (s *Store) setBucket(vcenter string, at time.Time, rows []inventory.Sample) {
	vs := s.samples[vcenter]
	if vs == nil {
		if len(rows) == 0 {
			return
		}
		vs = &vcSamples{rows: map[time.Time][]inventory.Sample{}}
		s.samples[vcenter] = vs
	}
	i, found := slices.BinarySearchFunc(vs.times, at, time.Time.Compare)
	switch {
	case len(rows) == 0 && found:
		vs.times = slices.Delete(vs.times, i, i+1)
		delete(vs.rows, at)
		if len(vs.times) == 0 {
			delete(s.samples, vcenter)
		}
	case len(rows) > 0:
		if !found {
			vs.times = slices.Insert(vs.times, i, at)
		}
		vs.rows[at] = rows
	}
}

// mergeSamples returns old upserted with add (both sorted by key).
func mergeSamples(old, add []inventory.Sample) []inventory.Sample {
	if len(old) == 0 {
		return add
	}
	out := make([]inventory.Sample, 0, len(old)+len(add))
	i, j := 0, 0
	for i < len(old) || j < len(add) {
		switch {
		case j == len(add):
			out = append(out, old[i])
			i++
		case i == len(old):
			out = append(out, add[j])
			j++
		default:
			switch c := compareSamples(&old[i], &add[j]); {
			case c < 0:
				out = append(out, old[i])
				i++
			case c > 0:
				out = append(out, add[j])
				j++
			default:
				out = append(out, add[j])
				i++
				j++
			}
		}
	}
	return out
}

// WriteSamples upserts samples on (vcenter, snapshot_time, vm_key).
func (s *Store) WriteSamples(ctx context.Context, p *store.WriteSamplesParams) error {
	const op = "WriteSamples"
	if err := s.usable(op); err != nil {
		return err
	}
	if p == nil {
		p = &store.WriteSamplesParams{}
	}
	if err := driver.ValidateSamples(op, p.Samples); err != nil {
		return err
	}
	we := &store.WriteError{Op: op}
	groups, err := groupSamples(p.Samples, newBatches(ctx, p.BatchSize, we, store.StageSamples))
	if err != nil {
		return err
	}
	return s.commit(ctx, we, func() {
		for k, rows := range groups {
			var old []inventory.Sample
			if vs := s.samples[k.vcenter]; vs != nil {
				old = vs.rows[k.at]
			}
			s.setBucket(k.vcenter, k.at, mergeSamples(old, rows))
		}
	})
}

// scanBuckets returns, under the read lock, the stored row slices matching
// vcenter and [from, to), in (vcenter, snapshot_time) order.
func (s *Store) scanBuckets(vcenter string, from, to time.Time) [][]inventory.Sample {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out [][]inventory.Sample
	vcs := []string{vcenter}
	if vcenter == "" {
		vcs = sortedKeys(s.samples)
	}
	for _, vc := range vcs {
		vs := s.samples[vc]
		if vs == nil {
			continue
		}
		i := 0
		if !from.IsZero() {
			i, _ = slices.BinarySearchFunc(vs.times, from, time.Time.Compare)
		}
		for ; i < len(vs.times) && (to.IsZero() || vs.times[i].Before(to)); i++ {
			out = append(out, vs.rows[vs.times[i]])
		}
	}
	return out
}

// scanEnd turns a callback's error into ScanSamples' result.
func scanEnd(op string, err error) error {
	if errors.Is(err, store.ErrStopScan) {
		return nil
	}
	return fmt.Errorf("memstore: %s: callback: %w", op, err)
}

// ScanSamples streams samples ordered by (vcenter, snapshot_time, vm_key).
// It reads a consistent snapshot of the store taken when it starts and does
// not hold a lock while fn runs.
func (s *Store) ScanSamples(ctx context.Context, p *store.ScanSamplesParams, fn func(*inventory.Sample) error) error {
	const op = "ScanSamples"
	if err := s.usable(op); err != nil {
		return err
	}
	if p == nil {
		p = &store.ScanSamplesParams{}
	}
	if err := ctx.Err(); err != nil {
		return readErr(op, err)
	}
	var cur inventory.Sample
	n := 0
	for _, rows := range s.scanBuckets(p.Vcenter, p.From, p.To) {
		for i := range rows {
			if n++; n%4096 == 0 {
				if err := ctx.Err(); err != nil {
					return readErr(op, err)
				}
			}
			readSample(&cur, &rows[i])
			if err := fn(&cur); err != nil {
				return scanEnd(op, err)
			}
		}
	}
	return nil
}

// TraceVM returns one VM's samples ordered by snapshot_time.
func (s *Store) TraceVM(ctx context.Context, p *store.TraceVMParams) ([]inventory.Sample, error) {
	const op = "TraceVM"
	if err := s.usable(op); err != nil {
		return nil, err
	}
	if p == nil || (p.VMID == "" && p.VMUUID == "" && p.Name == "") {
		return nil, driver.Invalid(op, "VMID", "one of VMID, VMUUID or Name must be set")
	}
	if err := ctx.Err(); err != nil {
		return nil, readErr(op, err)
	}
	limit := driver.TraceRowLimit(p)
	var out []inventory.Sample
	for _, rows := range s.scanBuckets(p.Vcenter, p.From, p.To) {
		if p.VMID != "" {
			// vm_key is the VMID whenever one is set.
			i, found := slices.BinarySearchFunc(rows, p.VMID, func(s inventory.Sample, id string) int { return strings.Compare(s.Key(), id) })
			if found && rows[i].VMID == p.VMID {
				var c inventory.Sample
				readSample(&c, &rows[i])
				out = append(out, c)
			}
			continue
		}
		for i := range rows {
			r := &rows[i]
			if (p.VMUUID != "" && r.VMUUID == p.VMUUID) || (p.VMUUID == "" && r.Name == p.Name) {
				var c inventory.Sample
				readSample(&c, r)
				out = append(out, c)
			}
		}
	}
	slices.SortStableFunc(out, func(a, b inventory.Sample) int { return a.SnapshotTime.Compare(b.SnapshotTime) })
	if len(out) > limit {
		out = out[len(out)-limit:]
	}
	return out, nil
}

// SnapshotTimes lists the distinct snapshot times of a vCenter's samples
// (of every vCenter when Vcenter is empty) in [From, To), ascending.
func (s *Store) SnapshotTimes(ctx context.Context, p *store.SnapshotTimesParams) ([]time.Time, error) {
	const op = "SnapshotTimes"
	if err := s.usable(op); err != nil {
		return nil, err
	}
	if p == nil {
		p = &store.SnapshotTimesParams{}
	}
	unlock, err := s.read(op)
	if err != nil {
		return nil, err
	}
	defer unlock()
	var out []time.Time
	for vc, vs := range s.samples {
		if p.Vcenter != "" && vc != p.Vcenter {
			continue
		}
		for _, t := range vs.times {
			if inRange(t, p.From, p.To) {
				out = append(out, t)
			}
		}
	}
	slices.SortFunc(out, time.Time.Compare)
	return slices.CompactFunc(out, time.Time.Equal), nil
}

// DeleteSamples removes samples with snapshot_time < Before.
func (s *Store) DeleteSamples(ctx context.Context, p *store.DeleteSamplesParams) (int64, error) {
	const op = "DeleteSamples"
	if err := s.usable(op); err != nil {
		return 0, err
	}
	if p == nil || p.Before.IsZero() {
		return 0, driver.Invalid(op, "Before", "must be set")
	}
	var n int64
	err := s.commit(ctx, &store.WriteError{Op: op, Vcenter: p.Vcenter}, func() {
		for vc, vs := range s.samples {
			if p.Vcenter != "" && vc != p.Vcenter {
				continue
			}
			i, _ := slices.BinarySearchFunc(vs.times, p.Before, time.Time.Compare)
			for _, t := range vs.times[:i] {
				n += int64(len(vs.rows[t]))
				delete(vs.rows, t)
			}
			vs.times = slices.Delete(vs.times, 0, i)
			if len(vs.times) == 0 {
				delete(s.samples, vc)
			}
		}
	})
	return n, err
}
