package memstore

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/driver"
)

// rollupKind abstracts daily and monthly rollups.
type rollupKind[T any] struct {
	period func(*T) *time.Time
	roll   func(*T) *inventory.Rollup
	table  func(time.Time) string
	data   func(*Store) map[string]map[time.Time][]T
	compat func(*compatTable) map[string][]T
}

var dailyKind = rollupKind[inventory.DailyRollup]{
	period: func(r *inventory.DailyRollup) *time.Time { return &r.Day },
	roll:   func(r *inventory.DailyRollup) *inventory.Rollup { return &r.Rollup },
	table:  inventory.DailyTableName,
	data:   func(s *Store) map[string]map[time.Time][]inventory.DailyRollup { return s.daily },
	compat: func(t *compatTable) map[string][]inventory.DailyRollup {
		if t.daily == nil {
			t.daily = map[string][]inventory.DailyRollup{}
		}
		return t.daily
	},
}

var monthlyKind = rollupKind[inventory.MonthlyRollup]{
	period: func(r *inventory.MonthlyRollup) *time.Time { return &r.Month },
	roll:   func(r *inventory.MonthlyRollup) *inventory.Rollup { return &r.Rollup },
	table:  inventory.MonthlyTableName,
	data:   func(s *Store) map[string]map[time.Time][]inventory.MonthlyRollup { return s.monthly },
	compat: func(t *compatTable) map[string][]inventory.MonthlyRollup {
		if t.monthly == nil {
			t.monthly = map[string][]inventory.MonthlyRollup{}
		}
		return t.monthly
	},
}

func writeRollups[T any](s *Store, ctx context.Context, k rollupKind[T], op, vc string, period time.Time, rows []T, compat bool, batch int) error {
	if err := s.usable(op); err != nil {
		return err
	}
	if err := driver.ValidateRollupRows(op, vc, period, len(rows), func(i int) (string, time.Time, *inventory.Rollup) {
		r := k.roll(&rows[i])
		return r.Vcenter, *k.period(&rows[i]), r
	}); err != nil {
		return err
	}
	per := driver.NormTime(period)
	we := &store.WriteError{Op: op, Vcenter: vc, SnapshotTime: per}
	b := newBatches(ctx, batch, we, store.StageRollups)
	out := make([]T, 0, len(rows))
	for i := range rows {
		if err := b.next(); err != nil {
			return err
		}
		r := rows[i]
		*k.period(&r) = per
		rr := k.roll(&r)
		rr.FirstSeen, rr.LastSeen = driver.NormTime(rr.FirstSeen), driver.NormTime(rr.LastSeen)
		rr.CreationTime, rr.DeletionTime = driver.NormTime(rr.CreationTime), driver.NormTime(rr.DeletionTime)
		rr.Attributes = cloneMap(rr.Attributes)
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b T) int { return cmp.Compare(k.roll(&a).VMKey, k.roll(&b).VMKey) })
	var table string
	if compat {
		table = k.table(period)
	}
	return s.commit(ctx, we, func() {
		m := k.data(s)
		if m[vc] == nil {
			m[vc] = map[time.Time][]T{}
		}
		if len(out) == 0 {
			delete(m[vc], per)
			if len(m[vc]) == 0 {
				delete(m, vc)
			}
		} else {
			m[vc][per] = out
		}
		if compat {
			tm := k.compat(s.compatTable(table))
			if len(out) == 0 {
				delete(tm, vc)
			} else {
				tm[vc] = out
			}
		}
	})
}

func scanRollups[T any](s *Store, ctx context.Context, k rollupKind[T], op string, p *store.ScanRollupsParams, fn func(*T) error) error {
	if err := s.usable(op); err != nil {
		return err
	}
	if p == nil {
		p = &store.ScanRollupsParams{}
	}
	unlock, err := s.read(op)
	if err != nil {
		return err
	}
	var parts [][]T
	m := k.data(s)
	vcs := []string{p.Vcenter}
	if p.Vcenter == "" {
		vcs = sortedKeys(m)
	}
	for _, vc := range vcs {
		periods := m[vc]
		keys := make([]time.Time, 0, len(periods))
		for t := range periods {
			if inRange(t, p.From, p.To) {
				keys = append(keys, t)
			}
		}
		slices.SortFunc(keys, time.Time.Compare)
		for _, t := range keys {
			rows := periods[t]
			if p.VMKey != "" {
				i, ok := slices.BinarySearchFunc(rows, p.VMKey, func(r T, key string) int { return cmp.Compare(k.roll(&r).VMKey, key) })
				if !ok {
					continue
				}
				rows = rows[i : i+1]
			}
			parts = append(parts, rows)
		}
	}
	unlock()
	var cur T
	for _, rows := range parts {
		if err := ctx.Err(); err != nil {
			return readErr(op, err)
		}
		for i := range rows {
			cur = rows[i]
			r := k.roll(&cur)
			r.Attributes = cloneMap(r.Attributes)
			if err := fn(&cur); err != nil {
				return scanEnd(op, err)
			}
		}
	}
	return nil
}

// WriteDailyRollups replaces the rows of (Vcenter, Day).
func (s *Store) WriteDailyRollups(ctx context.Context, p *store.WriteDailyRollupsParams) error {
	if p == nil {
		p = &store.WriteDailyRollupsParams{}
	}
	if err := driver.ValidateUtilisation("WriteDailyRollups", p.Rows); err != nil {
		return err
	}
	return writeRollups(s, ctx, dailyKind, "WriteDailyRollups", p.Vcenter, p.Day, p.Rows, p.Compat, p.BatchSize)
}

// ScanDailyRollups streams rows ordered by (vcenter, day, vm_key).
func (s *Store) ScanDailyRollups(ctx context.Context, p *store.ScanRollupsParams, fn func(*inventory.DailyRollup) error) error {
	return scanRollups(s, ctx, dailyKind, "ScanDailyRollups", p, fn)
}

// WriteMonthlyRollups replaces the rows of (Vcenter, Month).
func (s *Store) WriteMonthlyRollups(ctx context.Context, p *store.WriteMonthlyRollupsParams) error {
	if p == nil {
		p = &store.WriteMonthlyRollupsParams{}
	}
	return writeRollups(s, ctx, monthlyKind, "WriteMonthlyRollups", p.Vcenter, p.Month, p.Rows, p.Compat, p.BatchSize)
}

// ScanMonthlyRollups streams rows ordered by (vcenter, month, vm_key).
func (s *Store) ScanMonthlyRollups(ctx context.Context, p *store.ScanRollupsParams, fn func(*inventory.MonthlyRollup) error) error {
	return scanRollups(s, ctx, monthlyKind, "ScanMonthlyRollups", p, fn)
}

// ---------------------------------------------------------------------------
// Compatibility tables

// compatTable returns the named table, creating it. Callers hold the write
// lock and pass a valid name.
func (s *Store) compatTable(name string) *compatTable {
	t := s.compat[name]
	if t == nil {
		info, _ := driver.ParseCompatTableName(name)
		t = &compatTable{info: info, hourly: map[string][]inventory.Sample{}}
		s.compat[name] = t
	}
	return t
}

// lookupCompat finds a table of the given kind for a read; callers hold the
// read lock.
func (s *Store) lookupCompat(op string, p *store.ScanCompatParams, kind store.CompatKind) (*compatTable, error) {
	if p == nil {
		return nil, driver.Invalid(op, "Name", "must not be empty")
	}
	info, ok := driver.ParseCompatTableName(p.Name)
	if !ok {
		return nil, driver.Invalid(op, "Name", "is not a compatibility table name")
	}
	t := s.compat[p.Name]
	if info.Kind != kind || t == nil {
		return nil, notFound(op, "no %s table %q", kind, p.Name)
	}
	return t, nil
}

// WriteCompatHourly replaces Vcenter's rows in the hourly table of
// SnapshotTime.
func (s *Store) WriteCompatHourly(ctx context.Context, p *store.WriteCompatHourlyParams) error {
	const op = "WriteCompatHourly"
	if err := s.usable(op); err != nil {
		return err
	}
	if p == nil {
		return driver.Invalid(op, "params", "must not be nil")
	}
	if err := driver.ValidateCompatHourly(p); err != nil {
		return err
	}
	st := store.SnapshotTime(p.SnapshotTime)
	we := &store.WriteError{Op: op, Vcenter: p.Vcenter, SnapshotTime: st}
	groups, err := groupSamples(p.Samples, newBatches(ctx, p.BatchSize, we, store.StageCompat))
	if err != nil {
		return err
	}
	rows := groups[bucketKey{p.Vcenter, st}]
	name := inventory.HourlyTableName(st)
	return s.commit(ctx, we, func() {
		t := s.compatTable(name)
		if len(rows) == 0 {
			delete(t.hourly, p.Vcenter)
		} else {
			t.hourly[p.Vcenter] = rows
		}
	})
}

// ScanCompatHourly streams the rows of one hourly table ordered by
// (vcenter, vm_key).
func (s *Store) ScanCompatHourly(ctx context.Context, p *store.ScanCompatParams, fn func(*inventory.Sample) error) error {
	const op = "ScanCompatHourly"
	unlock, err := s.read(op)
	if err != nil {
		return err
	}
	t, err := s.lookupCompat(op, p, store.CompatHourly)
	if err != nil {
		unlock()
		return err
	}
	var parts [][]inventory.Sample
	for _, vc := range sortedKeys(t.hourly) {
		if p.Vcenter == "" || vc == p.Vcenter {
			parts = append(parts, t.hourly[vc])
		}
	}
	unlock()
	var cur inventory.Sample
	for _, rows := range parts {
		if err := ctx.Err(); err != nil {
			return readErr(op, err)
		}
		for i := range rows {
			readSample(&cur, &rows[i])
			cur.ResourcePoolID = "" // not a column of the compatibility tables
			if err := fn(&cur); err != nil {
				return scanEnd(op, err)
			}
		}
	}
	return nil
}

func readCompat[T any](s *Store, op string, p *store.ScanCompatParams, kind store.CompatKind, rows func(*compatTable) map[string][]T) ([]T, error) {
	unlock, err := s.read(op)
	if err != nil {
		return nil, err
	}
	defer unlock()
	t, err := s.lookupCompat(op, p, kind)
	if err != nil {
		return nil, err
	}
	m := rows(t)
	var out []T
	for _, vc := range sortedKeys(m) {
		if p.Vcenter == "" || vc == p.Vcenter {
			out = append(out, m[vc]...)
		}
	}
	return out, nil
}

// ReadCompatDaily returns the rows of one daily summary table, with nil
// Attributes (not a column of the summary tables).
func (s *Store) ReadCompatDaily(ctx context.Context, p *store.ScanCompatParams) ([]inventory.DailyRollup, error) {
	rows, err := readCompat(s, "ReadCompatDaily", p, store.CompatDaily, func(t *compatTable) map[string][]inventory.DailyRollup { return t.daily })
	for i := range rows {
		// Not columns of the summary tables.
		rows[i].Partial, rows[i].Attributes, rows[i].Utilisation = false, nil, inventory.Utilisation{}
	}
	return rows, err
}

// ReadCompatMonthly returns the rows of one monthly summary table, with nil
// Attributes (not a column of the summary tables).
func (s *Store) ReadCompatMonthly(ctx context.Context, p *store.ScanCompatParams) ([]inventory.MonthlyRollup, error) {
	rows, err := readCompat(s, "ReadCompatMonthly", p, store.CompatMonthly, func(t *compatTable) map[string][]inventory.MonthlyRollup { return t.monthly })
	for i := range rows {
		rows[i] = compatMonthly(rows[i])
	}
	return rows, err
}

// compatMonthly returns r as a monthly summary compatibility table holds
// it: without the billable sums, coverage, partial mark and attributes
// (not columns of the replaced system's layout).
func compatMonthly(r inventory.MonthlyRollup) inventory.MonthlyRollup {
	r.VCPUDays, r.RAMGBDays, r.ProvisionedDiskGBDays, r.UsedDiskGBDays, r.CoverageDays, r.DaysInMonth = 0, 0, 0, 0, 0, 0
	r.Partial, r.Attributes = false, nil
	return r
}

// ListCompatTables lists tables ordered by (kind, period).
func (s *Store) ListCompatTables(ctx context.Context, p *store.ListCompatTablesParams) ([]store.CompatTable, error) {
	unlock, err := s.read("ListCompatTables")
	if err != nil {
		return nil, err
	}
	defer unlock()
	all := make([]store.CompatTable, 0, len(s.compat))
	for _, t := range s.compat {
		all = append(all, t.info)
	}
	return driver.FilterCompatTables(all, p), nil
}

// DropCompatTable drops one table by name.
func (s *Store) DropCompatTable(ctx context.Context, p *store.DropCompatTableParams) error {
	const op = "DropCompatTable"
	if err := s.usable(op); err != nil {
		return err
	}
	if p == nil {
		p = &store.DropCompatTableParams{}
	}
	if _, ok := driver.ParseCompatTableName(p.Name); !ok {
		return driver.Invalid(op, "Name", "is not a compatibility table name")
	}
	var missing bool
	err := s.commit(ctx, &store.WriteError{Op: op}, func() {
		if _, ok := s.compat[p.Name]; !ok {
			missing = true
			return
		}
		delete(s.compat, p.Name)
	})
	if err == nil && missing {
		err = notFound(op, "no table %q", p.Name)
	}
	return err
}
