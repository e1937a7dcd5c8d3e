package sqlstore

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/driver"
)

// UpsertSamplesGeneric is the multi-row INSERT ... ON CONFLICT DO UPDATE
// path of UpsertSamples (the conflict clause costs next to nothing when
// there is no conflict, so fresh rows take it too).
func (c *Core) UpsertSamplesGeneric(ctx context.Context, tx Tx, rows *RowSource) error {
	return c.InsertBatched(ctx, tx, TableHourly, rows, sampleUpsert)
}

// sampleTimes returns the distinct snapshot times of samples, second
// precision, ascending.
func sampleTimes(samples []inventory.Sample) []time.Time {
	var out []time.Time
	for i := range samples {
		t := store.SnapshotTime(samples[i].SnapshotTime)
		if len(out) > 0 && out[len(out)-1].Equal(t) {
			continue
		}
		out = append(out, t)
	}
	slices.SortFunc(out, func(a, b time.Time) int { return a.Compare(b) })
	return slices.CompactFunc(out, time.Time.Equal)
}

// WriteSamples upserts samples on (vcenter, snapshot_time, vm_key) in one
// transaction.
func (c *Core) WriteSamples(ctx context.Context, p *store.WriteSamplesParams) error {
	const op = "WriteSamples"
	if err := c.check(op); err != nil {
		return err
	}
	if p == nil || len(p.Samples) == 0 {
		return nil
	}
	if err := driver.ValidateSamples(op, p.Samples); err != nil {
		return err
	}
	w := &writeOp{op: op, stage: store.StageSamples}
	if err := c.d.PrepareSampleTimes(ctx, sampleTimes(p.Samples)); err != nil {
		return &store.WriteError{Op: op, Stage: store.StageSamples, Err: err}
	}
	side := c.sideRows(p.Samples, time.Time{})
	err := c.inTx(ctx, w, func(tx Tx) error {
		fresh, err := c.lockSampleTimes(ctx, tx, side.times)
		if err != nil {
			return err
		}
		if err := c.d.UpsertSamples(ctx, tx, c.SampleRows(p.Samples, time.Time{}, p.BatchSize), fresh); err != nil {
			return err
		}
		return c.writeSide(ctx, tx, side)
	})
	if err != nil {
		return err
	}
	c.committed(side)
	return nil
}

// maxFreshCheck bounds the snapshot times one existence check looks at.
const maxFreshCheck = 64

// sampleLockKey names the lock serializing writers of one vCenter's samples
// at one snapshot time.
func sampleLockKey(vcenter string, t time.Time) string {
	return "samples|" + vcenter + "|" + strconv.FormatInt(t.UnixMicro(), 10)
}

// lockSampleTimes locks the (vcenter, snapshot_time) groups of a sample
// write, in order, and reports whether none of them holds samples yet.
func (c *Core) lockSampleTimes(ctx context.Context, tx Tx, times []sampleTime) (bool, error) {
	for _, g := range times { // sorted: concurrent writers lock in one order
		if err := c.d.Lock(ctx, tx, sampleLockKey(g.vcenter, g.t)); err != nil {
			return false, err
		}
	}
	if len(times) == 0 || len(times) > maxFreshCheck {
		return false, nil
	}
	var b strings.Builder
	args := make([]any, 0, 2*len(times))
	b.WriteString("SELECT 1 FROM {sample_times} WHERE ")
	for i, g := range times {
		if i > 0 {
			b.WriteString(" OR ")
		}
		b.WriteString("(vcenter = ? AND snapshot_time = ?)")
		args = append(args, g.vcenter, c.time(g.t))
	}
	b.WriteString(" LIMIT 1")
	rows, err := tx.Query(ctx, c.sql(b.String()), args...)
	if err != nil {
		return false, err
	}
	found := rows.Next()
	if err := rows.Close(); err != nil {
		return false, err
	}
	return !found, nil
}

// ScanSamples streams samples ordered by (vcenter, snapshot_time, vm_key).
func (c *Core) ScanSamples(ctx context.Context, p *store.ScanSamplesParams, fn func(*inventory.Sample) error) error {
	const op = "ScanSamples"
	if err := c.check(op); err != nil {
		return err
	}
	if p == nil {
		p = &store.ScanSamplesParams{}
	}
	if fn == nil {
		return driver.Invalid(op, "fn", "must not be nil")
	}
	q := c.db.NewSelect().ColumnExpr(sampleSelectCols).TableExpr(c.sql("{vm_hourly_stats}"))
	if p.Vcenter != "" {
		q = q.Where("vcenter = ?", p.Vcenter)
	}
	q = c.inRange(q, "snapshot_time", p.From, p.To)
	rows, err := q.OrderExpr("vcenter, snapshot_time, vm_key").Rows(ctx)
	if err != nil {
		return c.readErr(op, err)
	}
	defer rows.Close()
	var s inventory.Sample
	dest := sampleDest(&s)
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return c.readErr(op, err)
		}
		if err := fn(&s); err != nil {
			if errors.Is(err, store.ErrStopScan) {
				return nil
			}
			return c.wrap(op, err)
		}
	}
	if err := rows.Err(); err != nil {
		return c.readErr(op, err)
	}
	return nil
}

// TraceVM returns one VM's samples ordered by snapshot_time.
func (c *Core) TraceVM(ctx context.Context, p *store.TraceVMParams) ([]inventory.Sample, error) {
	const op = "TraceVM"
	if err := c.check(op); err != nil {
		return nil, err
	}
	if p == nil || (p.VMID == "" && p.VMUUID == "" && p.Name == "") {
		return nil, driver.Invalid(op, "VMID", "one of VMID, VMUUID or Name must be set")
	}
	if p.Limit < 0 {
		return nil, driver.Invalid(op, "Limit", "must not be negative")
	}
	limit := driver.TraceRowLimit(p)
	// The identity resolves to (vcenter, vm_key) pairs through
	// vm_identities; their samples are read by primary key at each of the
	// vCenter's snapshot times (see directory.go).
	col, val := "name", p.Name
	switch {
	case p.VMID != "":
		col, val = "vm_id", p.VMID
	case p.VMUUID != "":
		col, val = "vm_uuid", p.VMUUID
	}
	var b strings.Builder
	args := []any{val}
	b.WriteString("SELECT " + tracedCols + " FROM (SELECT DISTINCT vcenter, vm_key FROM {vm_identities} WHERE " + col + " = ?")
	if p.Vcenter != "" {
		b.WriteString(" AND vcenter = ?")
		args = append(args, p.Vcenter)
	}
	// CROSS JOIN fixes SQLite's loop order (identities, then their times,
	// then one primary-key lookup each); PostgreSQL plans it freely.
	b.WriteString(") i CROSS JOIN {sample_times} t CROSS JOIN {vm_hourly_stats} h" +
		" WHERE t.vcenter = i.vcenter AND h.vcenter = t.vcenter AND h.snapshot_time = t.snapshot_time" +
		" AND h.vm_key = i.vm_key AND h." + col + " = ?")
	args = append(args, val)
	if !p.From.IsZero() {
		b.WriteString(" AND t.snapshot_time >= ?")
		args = append(args, c.bound(p.From))
	}
	if !p.To.IsZero() {
		b.WriteString(" AND t.snapshot_time < ?")
		args = append(args, c.bound(p.To))
	}
	b.WriteString(" ORDER BY h.snapshot_time DESC, h.vcenter DESC, h.vm_key DESC LIMIT ?")
	args = append(args, limit)
	rows, err := c.db.QueryContext(ctx, c.sql(b.String()), args...)
	if err != nil {
		return nil, c.readErr(op, err)
	}
	defer rows.Close()
	var out []inventory.Sample
	for rows.Next() {
		var s inventory.Sample
		if err := rows.Scan(sampleDest(&s)...); err != nil {
			return nil, c.readErr(op, err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, c.readErr(op, err)
	}
	slices.Reverse(out)
	return out, nil
}

// SnapshotTimes lists the distinct snapshot times of a vCenter's samples.
func (c *Core) SnapshotTimes(ctx context.Context, p *store.SnapshotTimesParams) ([]time.Time, error) {
	const op = "SnapshotTimes"
	if err := c.check(op); err != nil {
		return nil, err
	}
	if p == nil {
		p = &store.SnapshotTimesParams{}
	}
	q := c.db.NewSelect().ColumnExpr("DISTINCT snapshot_time").TableExpr(c.sql("{sample_times}"))
	if p.Vcenter != "" {
		q = q.Where("vcenter = ?", p.Vcenter)
	}
	q = c.inRange(q, "snapshot_time", p.From, p.To)
	rows, err := q.OrderExpr("snapshot_time").Rows(ctx)
	if err != nil {
		return nil, c.readErr(op, err)
	}
	defer rows.Close()
	var out []time.Time
	for rows.Next() {
		var t time.Time
		if err := rows.Scan(timeDest{&t}); err != nil {
			return nil, c.readErr(op, err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, c.readErr(op, err)
	}
	return out, nil
}

// DeleteSamples removes samples older than p.Before.
func (c *Core) DeleteSamples(ctx context.Context, p *store.DeleteSamplesParams) (int64, error) {
	const op = "DeleteSamples"
	if err := c.check(op); err != nil {
		return 0, err
	}
	if p == nil || p.Before.IsZero() {
		return 0, driver.Invalid(op, "Before", "must be set")
	}
	var n int64
	w := &writeOp{op: op, vcenter: p.Vcenter, stage: store.StageSamples}
	err := c.inTx(ctx, w, func(tx Tx) error {
		where, args := " WHERE snapshot_time < ?", []any{c.bound(p.Before)}
		if p.Vcenter != "" {
			where, args = " WHERE vcenter = ? AND snapshot_time < ?", []any{p.Vcenter, c.bound(p.Before)}
		}
		var err error
		if n, err = tx.Exec(ctx, c.sql("DELETE FROM {vm_hourly_stats}"+where), args...); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, c.sql("DELETE FROM {sample_times}"+where), args...)
		return err
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}
