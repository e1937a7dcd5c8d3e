package pgstore

import (
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/accessvault/vinventory/store/internal/sqlstore"
)

// metricPartitionPrefix names the daily partitions of metric_points:
// metric_points_pYYYYMMDD holds the points with t in that UTC day.
const metricPartitionPrefix = sqlstore.TableMetricPoints + "_p"

const day = 86400

func metricPartitionName(dayStart int64) string {
	return metricPartitionPrefix + time.Unix(dayStart, 0).UTC().Format("20060102")
}

// metricPartitionDay parses a partition name back to its day's start.
func metricPartitionDay(name string) (int64, bool) {
	s, ok := strings.CutPrefix(name, metricPartitionPrefix)
	if !ok {
		return 0, false
	}
	t, err := time.Parse("20060102", s)
	if err != nil {
		return 0, false
	}
	return t.Unix(), true
}

// PrepareMetricDays creates the daily partitions of metric_points the
// days need, each in its own short transaction under an advisory lock on
// its name (CREATE TABLE IF NOT EXISTS ... PARTITION OF: several writers,
// in one process or several, may ask for the same day at once).
func (d *dialect) PrepareMetricDays(ctx context.Context, days []int64) error {
	for _, ds := range days {
		name := metricPartitionName(ds)
		d.mu.Lock()
		known := d.metricDays[name]
		d.mu.Unlock()
		if known {
			continue
		}
		if err := d.createMetricPartition(ctx, name, ds, ds+day); err != nil {
			return fmt.Errorf("creating partition %s: %w", name, err)
		}
		d.mu.Lock()
		d.metricDays[name] = true
		d.mu.Unlock()
	}
	return nil
}

// MetricDaysGone reports SQLSTATE 23514 on metric_points ("no partition
// of relation found for row": another process dropped a day's partition
// this one had created) and forgets the partitions it knew.
func (d *dialect) MetricDaysGone(err error) bool {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "23514" || pe.TableName != sqlstore.TableMetricPoints {
		return false
	}
	d.mu.Lock()
	clear(d.metricDays)
	d.mu.Unlock()
	return true
}

func (d *dialect) createMetricPartition(ctx context.Context, name string, from, to int64) error {
	t, err := d.Begin(ctx)
	if err != nil {
		return err
	}
	nc := context.WithoutCancel(ctx)
	err = func() error {
		if err := d.Lock(ctx, t, "partition|"+name); err != nil {
			return err
		}
		if _, err := t.Exec(ctx, "CREATE TABLE IF NOT EXISTS "+d.Table(name)+" PARTITION OF "+d.Table(sqlstore.TableMetricPoints)+
			" FOR VALUES FROM ("+strconv.FormatInt(from, 10)+") TO ("+strconv.FormatInt(to, 10)+")"); err != nil {
			return err
		}
		return t.Commit(nc)
	}()
	if err != nil {
		_ = t.Rollback(nc)
	}
	return err
}

// UpsertMetricPoints COPYs the points straight into metric_points under a
// savepoint: new points (a collection cycle's) never conflict, and this
// costs a third of the staged path. When a point is already stored (a
// collection written again) the COPY fails with a unique violation; then
// it rolls back to the savepoint, COPYs the points into a temporary
// staging table (created once per session, emptied at every commit) and
// moves them into metric_points with one INSERT ... SELECT ... ON
// CONFLICT DO UPDATE.
func (d *dialect) UpsertMetricPoints(ctx context.Context, t sqlstore.Tx, rows *sqlstore.RowSource) error {
	if rows.N == 0 {
		return nil
	}
	x, tbl := t.(*tx), d.Table(sqlstore.TableMetricPoints)
	if hook := d.metricEncodeHook; hook != nil && rows.Encode != nil {
		r, enc := *rows, rows.Encode
		r.Encode = func(i int, w sqlstore.ValueWriter) {
			hook(i)
			enc(i, w)
		}
		rows = &r
	}
	if !d.alwaysStage {
		if _, err := x.Exec(ctx, "SAVEPOINT vinventory_metric_copy"); err != nil {
			return err
		}
		err := d.copyRows(ctx, x, tbl, rows)
		if err == nil {
			_, err = x.Exec(ctx, "RELEASE SAVEPOINT vinventory_metric_copy")
			return err
		}
		if !d.UniqueViolation(err) {
			return err
		}
		if _, err := x.Exec(ctx, "ROLLBACK TO SAVEPOINT vinventory_metric_copy"); err != nil {
			return err
		}
	}
	const key = sqlstore.TableMetricPoints
	stage := fmt.Sprintf("vinventory_stage_%s_%08x", key, crc32.ChecksumIEEE([]byte(tbl)))
	if x.stagedState[key] {
		if _, err := x.Exec(ctx, "TRUNCATE "+stage); err != nil {
			return err
		}
	} else if _, err := x.Exec(ctx, "CREATE TEMP TABLE IF NOT EXISTS "+stage+
		" (series_id bigint NOT NULL, t bigint NOT NULL, value double precision NOT NULL) ON COMMIT DELETE ROWS"); err != nil {
		return err
	}
	if x.stagedState == nil {
		x.stagedState = map[string]bool{}
	}
	x.stagedState[key] = true
	if err := d.copyRows(ctx, x, stage, rows); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	_, err := x.Exec(ctx, "INSERT INTO "+tbl+" (series_id, t, value) SELECT series_id, t, value FROM "+stage+" "+
		sqlstore.MetricPointsUpsert)
	return err
}

// PruneMetricPoints drops the daily partitions wholly before before
// (counting their rows first) and deletes the expired points of the
// partition the boundary falls in.
func (d *dialect) PruneMetricPoints(ctx context.Context, t sqlstore.Tx, before int64) (int64, error) {
	rows, err := t.Query(ctx, `SELECT c.relname::text FROM pg_catalog.pg_inherits i
		JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid
		JOIN pg_catalog.pg_class p ON p.oid = i.inhparent
		JOIN pg_catalog.pg_namespace n ON n.oid = p.relnamespace
		WHERE n.nspname = `+d.schemaExpr()+` AND p.relname = '`+sqlstore.TableMetricPoints+`'`)
	if err != nil {
		return 0, err
	}
	var drop []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return 0, err
		}
		if ds, ok := metricPartitionDay(name); ok && ds+day <= before {
			drop = append(drop, name)
		}
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return 0, err
	}
	var total int64
	for _, name := range drop {
		r, err := t.Query(ctx, "SELECT count(*) FROM "+d.Table(name))
		if err != nil {
			return 0, err
		}
		var n int64
		if r.Next() {
			err = r.Scan(&n)
		}
		if err == nil {
			err = r.Err()
		}
		r.Close()
		if err != nil {
			return 0, err
		}
		if _, err := t.Exec(ctx, "DROP TABLE "+d.Table(name)); err != nil {
			return 0, err
		}
		total += n
		d.mu.Lock()
		delete(d.metricDays, name)
		d.mu.Unlock()
	}
	n, err := d.core.PruneMetricPointsGeneric(ctx, t, before)
	return total + n, err
}

// MetricBytes sums pg_total_relation_size (heap, indexes, TOAST) over the
// table and its partitions.
func (d *dialect) MetricBytes(ctx context.Context, table string) (int64, error) {
	var n int64
	// pg_partition_tree lists a partitioned table and its partitions, and
	// nothing for a plain table.
	err := d.pool.QueryRow(ctx, `SELECT (pg_total_relation_size(r) + coalesce((SELECT sum(pg_total_relation_size(relid))
		FROM pg_partition_tree(r) WHERE relid <> r), 0))::bigint FROM to_regclass($1) AS r`, d.Table(table)).Scan(&n)
	return n, err
}
