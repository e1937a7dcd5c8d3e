package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/driver"
)

// Tables of utilisation metrics (migration 16 on PostgreSQL, 15 on
// SQLite). Times are integer unix seconds on both backends.
const (
	TableMetricSeries     = "metric_series"
	TableMetricPoints     = "metric_points"
	TableMetricHour       = "metric_rollup_hour"
	TableMetricDay        = "metric_rollup_day"
	TableMetricWatermarks = "metric_watermarks"
)

// stageMetrics names the metric writes in a *store.WriteError.
const stageMetrics store.WriteStage = "metrics"

// metricLockKey serializes rollups and prunes across processes.
const metricLockKey = "metrics"

// metricChunk is the most series IDs or entity IDs one IN list carries.
const metricChunk = 500

// MetricPointCols are the columns of metric_points, in write order.
var MetricPointCols = []string{"series_id", "t", "value"}

var (
	metricSeriesCols = []string{"vcenter", "entity_type", "entity_id", "metric"}
	metricRollupCols = []string{"series_id", "t", "n", "avg", "max", "min", "p95"}
)

// MetricPointsUpsert is the conflict clause replacing a stored point.
const MetricPointsUpsert = "ON CONFLICT (series_id, t) DO UPDATE SET value = excluded.value"

func rollupTable(t inventory.MetricTier) string {
	if t == inventory.TierDay {
		return TableMetricDay
	}
	return TableMetricHour
}

// floorTo truncates unix seconds s to a multiple of w seconds.
func floorTo(s, w int64) int64 {
	r := s % w
	if r < 0 {
		r += w
	}
	return s - r
}

func unixTime(s int64) time.Time { return time.Unix(s, 0).UTC() }

// querier runs a read query, inside a write transaction or not.
type querier func(ctx context.Context, q string, args ...any) (Rows, error)

func (c *Core) dbQuery(ctx context.Context, q string, args ...any) (Rows, error) {
	r, err := c.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return r, nil
}

// placeholders returns "?, ?, ..." with n marks.
func placeholders(n int) string { return strings.Repeat("?, ", n-1) + "?" }

// metricSeries is a stored series.
type metricSeries struct {
	id  int64
	key inventory.MetricKey
}

// selectSeries returns the series of vc and et of the entities ids (and
// of metrics when not empty).
func (c *Core) selectSeries(ctx context.Context, q querier, vc string, et inventory.EntityType, ids []string, metrics []inventory.Metric) ([]metricSeries, error) {
	var out []metricSeries
	// More entities than one IN list carries: read every series of vc
	// and et (one index range) and keep those of ids. Several long IN
	// lists cost far more, and PostgreSQL scans the whole table for each
	// when its statistics predate the rows just inserted.
	var want map[string]bool
	if len(ids) > metricChunk {
		want = make(map[string]bool, len(ids))
		for _, id := range ids {
			want[id] = true
		}
		ids = []string{""}
	}
	for start := 0; start < len(ids); start += metricChunk {
		chunk := ids[start:min(start+metricChunk, len(ids))]
		args := make([]any, 0, 2+len(chunk)+len(metrics))
		args = append(args, vc, string(et))
		query := "SELECT series_id, entity_id, metric FROM " + c.d.Table(TableMetricSeries) +
			" WHERE vcenter = ? AND entity_type = ?"
		if want == nil {
			for _, id := range chunk {
				args = append(args, id)
			}
			query += " AND entity_id IN (" + placeholders(len(chunk)) + ")"
		}
		if len(metrics) > 0 {
			query += " AND metric IN (" + placeholders(len(metrics)) + ")"
			for _, m := range metrics {
				args = append(args, string(m))
			}
		}
		rows, err := q(ctx, query, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			s := metricSeries{key: inventory.MetricKey{Vcenter: vc, EntityType: et}}
			if err := rows.Scan(&s.id, &s.key.EntityID, &s.key.Metric); err != nil {
				rows.Close()
				return nil, err
			}
			if want != nil && !want[s.key.EntityID] {
				continue
			}
			out = append(out, s)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// resolveSeries returns the series IDs of keys, creating the series not
// stored yet.
func (c *Core) resolveSeries(ctx context.Context, tx Tx, keys []inventory.MetricKey) (map[inventory.MetricKey]int64, error) {
	ids := make(map[inventory.MetricKey]int64, len(keys))
	type group struct {
		vc string
		et inventory.EntityType
	}
	lookup := func(keys []inventory.MetricKey) error {
		groups := map[group][]string{}
		seen := map[inventory.MetricKey]bool{}
		for _, k := range keys {
			ek := inventory.MetricKey{Vcenter: k.Vcenter, EntityType: k.EntityType, EntityID: k.EntityID}
			if seen[ek] {
				continue
			}
			seen[ek] = true
			g := group{k.Vcenter, k.EntityType}
			groups[g] = append(groups[g], k.EntityID)
		}
		for g, ents := range groups {
			ss, err := c.selectSeries(ctx, tx.Query, g.vc, g.et, ents, nil)
			if err != nil {
				return err
			}
			for _, s := range ss {
				ids[s.key] = s.id
			}
		}
		return nil
	}
	if err := lookup(keys); err != nil {
		return nil, err
	}
	var missing []inventory.MetricKey
	for _, k := range keys {
		if _, ok := ids[k]; !ok {
			missing = append(missing, k)
		}
	}
	if len(missing) == 0 {
		return ids, nil
	}
	rs := &RowSource{N: len(missing), Cols: metricSeriesCols, Row: func(i int, dst []any) []any {
		k := &missing[i]
		return append(dst, k.Vcenter, string(k.EntityType), k.EntityID, string(k.Metric))
	}}
	if err := c.InsertBatched(ctx, tx, TableMetricSeries, rs, "ON CONFLICT (vcenter, entity_type, entity_id, metric) DO NOTHING"); err != nil {
		return nil, err
	}
	if err := lookup(missing); err != nil {
		return nil, err
	}
	for _, k := range missing {
		if _, ok := ids[k]; !ok {
			return nil, errors.New("metric series not found after insert: " + strconv.Quote(k.EntityID) + " " + string(k.Metric))
		}
	}
	return ids, nil
}

// metricRow is one raw point to write.
type metricRow struct {
	sid, t int64
	v      float64
	i      int // index in the params, later wins
}

// WriteMetrics stores points in one transaction (store.MetricStore).
func (c *Core) WriteMetrics(ctx context.Context, p *store.WriteMetricsParams) error {
	const op = "WriteMetrics"
	if err := c.check(op); err != nil {
		return err
	}
	points, err := driver.PrepareWriteMetrics(p)
	if err != nil {
		return err
	}
	if len(points) == 0 {
		return nil
	}
	keySet := map[inventory.MetricKey]bool{}
	var keys []inventory.MetricKey
	daySet := map[int64]bool{}
	var days []int64
	for i := range points {
		pt := &points[i]
		if !keySet[pt.MetricKey] {
			keySet[pt.MetricKey] = true
			keys = append(keys, pt.MetricKey)
		}
		d := floorTo(pt.Time.Unix(), 86400)
		if !daySet[d] {
			daySet[d] = true
			days = append(days, d)
		}
	}
	slices.Sort(days)
	// A day's storage pruned by another process after this one prepared
	// it fails the write as a whole; it is prepared again and the write
	// done once more.
	for attempt := 0; ; attempt++ {
		err := c.writeMetricPoints(ctx, op, p, points, keys, days)
		if err == nil || attempt > 0 || !c.d.MetricDaysGone(err) {
			return err
		}
	}
}

func (c *Core) writeMetricPoints(ctx context.Context, op string, p *store.WriteMetricsParams, points []inventory.MetricPoint, keys []inventory.MetricKey, days []int64) error {
	w := &writeOp{op: op, stage: stageMetrics}
	if err := c.d.PrepareMetricDays(ctx, days); err != nil {
		return &store.WriteError{Op: op, Stage: stageMetrics, Err: err}
	}
	return c.inTx(ctx, w, func(tx Tx) error {
		ids, err := c.resolveSeries(ctx, tx, keys)
		if err != nil {
			return err
		}
		rows := make([]metricRow, len(points))
		for i := range points {
			pt := &points[i]
			rows[i] = metricRow{sid: ids[pt.MetricKey], t: pt.Time.Unix(), v: pt.Value, i: i}
		}
		slices.SortFunc(rows, func(a, b metricRow) int {
			return cmp.Or(cmp.Compare(a.sid, b.sid), cmp.Compare(a.t, b.t), cmp.Compare(a.i, b.i))
		})
		// The last of the points with one key and time wins.
		out := rows[:0]
		for _, r := range rows {
			if n := len(out); n > 0 && out[n-1].sid == r.sid && out[n-1].t == r.t {
				out[n-1] = r
				continue
			}
			out = append(out, r)
		}
		rows = out
		rs := &RowSource{N: len(rows), Cols: MetricPointCols, Batch: p.BatchSize,
			Row: func(i int, dst []any) []any { return append(dst, rows[i].sid, rows[i].t, rows[i].v) },
			Encode: func(i int, vw ValueWriter) {
				vw.Int(rows[i].sid)
				vw.Int(rows[i].t)
				vw.Float(rows[i].v)
			}}
		return c.d.UpsertMetricPoints(ctx, tx, rs)
	})
}

// UpsertMetricPointsGeneric is the multi-row INSERT ... ON CONFLICT DO
// UPDATE path of UpsertMetricPoints.
func (c *Core) UpsertMetricPointsGeneric(ctx context.Context, tx Tx, rows *RowSource) error {
	return c.InsertBatched(ctx, tx, TableMetricPoints, rows, MetricPointsUpsert)
}

// tierBucket is a bucket of a series at a tier's width.
type tierBucket struct {
	sid   int64
	start int64
	b     inventory.MetricBucket
}

// readRawBuckets reads the raw points of series sids (all series when
// nil) with from <= t < to, ordered by (series_id, t), groups the
// consecutive points of a series with the same bucketOf(t) and calls emit
// with each group's values (emit must not keep them).
func (c *Core) readRawBuckets(ctx context.Context, q querier, sids []int64, from, to int64, bucketOf func(t int64) int64, emit func(sid, bucket int64, values []float64) error) error {
	run := func(query string, args ...any) error {
		rows, err := q(ctx, query, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		var (
			curSid, curB int64
			vals         []float64
			have         bool
		)
		for rows.Next() {
			var sid, t int64
			var v float64
			if err := rows.Scan(&sid, &t, &v); err != nil {
				return err
			}
			b := bucketOf(t)
			if have && (sid != curSid || b != curB) {
				if err := emit(curSid, curB, vals); err != nil {
					return err
				}
				vals = vals[:0]
			}
			curSid, curB, have = sid, b, true
			vals = append(vals, v)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if have {
			return emit(curSid, curB, vals)
		}
		return nil
	}
	pts := c.d.Table(TableMetricPoints)
	if sids == nil {
		return run("SELECT p.series_id, p.t, p.value FROM "+c.d.Table(TableMetricSeries)+" s JOIN "+pts+
			" p ON p.series_id = s.series_id AND p.t >= ? AND p.t < ? ORDER BY p.series_id, p.t", from, to)
	}
	for start := 0; start < len(sids); start += metricChunk {
		chunk := sids[start:min(start+metricChunk, len(sids))]
		args := make([]any, 0, len(chunk)+2)
		for _, id := range chunk {
			args = append(args, id)
		}
		args = append(args, from, to)
		if err := run("SELECT series_id, t, value FROM "+pts+" WHERE series_id IN ("+placeholders(len(chunk))+
			") AND t >= ? AND t < ? ORDER BY series_id, t", args...); err != nil {
			return err
		}
	}
	return nil
}

// watermark returns a rollup tier's watermark (unix seconds, 0 when
// never rolled up).
func (c *Core) watermark(ctx context.Context, q querier, tier inventory.MetricTier) (int64, error) {
	rows, err := q(ctx, "SELECT t FROM "+c.d.Table(TableMetricWatermarks)+" WHERE tier = ?", string(tier))
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var w int64
	if rows.Next() {
		if err := rows.Scan(&w); err != nil {
			return 0, err
		}
	}
	return w, rows.Err()
}

// QueryMetrics downsamples series (store.MetricStore).
func (c *Core) QueryMetrics(ctx context.Context, p *store.QueryMetricsParams) ([]inventory.MetricSeries, error) {
	const op = "QueryMetrics"
	if err := c.check(op); err != nil {
		return nil, err
	}
	q, err := driver.PrepareQueryMetrics(p)
	if err != nil {
		return nil, err
	}
	tier, nb, mets := q.Tier, q.Buckets, q.Metrics
	series, err := c.selectSeries(ctx, c.dbQuery, q.Vcenter, q.EntityType, q.EntityIDs, mets)
	if err != nil {
		return nil, c.readErr(op, err)
	}
	slices.SortFunc(series, func(a, b metricSeries) int {
		return cmp.Or(cmp.Compare(a.key.EntityID, b.key.EntityID), cmp.Compare(a.key.Metric, b.key.Metric))
	})
	from, to := q.From.Unix(), q.To.Unix()
	// idx is the query bucket of a stored time or tier bucket start.
	idx := func(t int64) int64 { return int64(driver.BucketIndex(q.From, q.Step, unixTime(t))) }

	// Per-series query buckets, computed a chunk of series at a time and
	// passed on in (EntityID, Metric) order.
	var out []inventory.MetricSeries
	sums := map[inventory.Metric][]inventory.MetricBucket{}
	sumHave := map[inventory.Metric][]bool{}
	var pair [2]inventory.MetricBucket
	deliver := func(s metricSeries, bs []inventory.MetricBucket) {
		if len(bs) == 0 {
			return
		}
		if q.Combine != store.CombineSum {
			out = append(out, inventory.MetricSeries{MetricKey: s.key, Tier: tier, Buckets: bs})
			return
		}
		acc, have := sums[s.key.Metric], sumHave[s.key.Metric]
		if acc == nil {
			acc, have = make([]inventory.MetricBucket, nb), make([]bool, nb)
			sums[s.key.Metric], sumHave[s.key.Metric] = acc, have
		}
		for _, b := range bs {
			i := int(idx(b.Start.Unix()))
			pair[0], pair[1] = acc[i], b
			acc[i] = driver.SumBuckets(b.Start, pair[:])
			have[i] = true
		}
	}
	bucketStart := func(i int64) time.Time { return q.From.Add(time.Duration(i) * q.Step).UTC() }

	var wm int64
	w := int64(tier.Duration() / time.Second)
	if tier != inventory.TierRaw {
		if wm, err = c.watermark(ctx, c.dbQuery, tier); err != nil {
			return nil, c.readErr(op, err)
		}
	}
	for start := 0; start < len(series); start += metricChunk {
		chunk := series[start:min(start+metricChunk, len(series))]
		sids := make([]int64, len(chunk))
		for i, s := range chunk {
			sids[i] = s.id
		}
		per := map[int64][]inventory.MetricBucket{}
		if tier == inventory.TierRaw {
			err = c.readRawBuckets(ctx, c.dbQuery, sids, from, to, idx, func(sid, b int64, vals []float64) error {
				mb := driver.SummariseValues(vals)
				mb.Start = bucketStart(b)
				per[sid] = append(per[sid], mb)
				return nil
			})
			if err != nil {
				return nil, c.readErr(op, err)
			}
		} else {
			tb, err := c.tierBuckets(ctx, sids, rollupTable(tier), from, to, w, wm)
			if err != nil {
				return nil, c.readErr(op, err)
			}
			// tb is ordered by (series, start): group into query buckets.
			var parts []inventory.MetricBucket
			for i := 0; i < len(tb); {
				j := i + 1
				bi := idx(tb[i].start)
				for j < len(tb) && tb[j].sid == tb[i].sid && idx(tb[j].start) == bi {
					j++
				}
				parts = parts[:0]
				for k := i; k < j; k++ {
					parts = append(parts, tb[k].b)
				}
				mb := driver.CombineBuckets(bucketStart(bi), parts)
				per[tb[i].sid] = append(per[tb[i].sid], mb)
				i = j
			}
		}
		for _, s := range chunk {
			deliver(s, per[s.id])
		}
	}
	if q.Combine == store.CombineSum {
		for _, m := range mets {
			acc := sums[m]
			if acc == nil {
				continue
			}
			s := inventory.MetricSeries{MetricKey: inventory.MetricKey{Vcenter: q.Vcenter, EntityType: q.EntityType, Metric: m}, Tier: tier}
			for i, ok := range sumHave[m] {
				if ok {
					b := acc[i]
					b.Start = bucketStart(int64(i))
					s.Buckets = append(s.Buckets, b)
				}
			}
			out = append(out, s)
		}
	}
	return out, nil
}

// tierBuckets returns the tier buckets (width w seconds) of series sids
// starting in [from, to), ordered by (series, start): from the rollup
// table before the watermark wm, computed from the raw points at and
// after it.
func (c *Core) tierBuckets(ctx context.Context, sids []int64, table string, from, to, w, wm int64) ([]tierBucket, error) {
	var out []tierBucket
	split := min(max(wm, from), to)
	if from < split {
		args := make([]any, 0, len(sids)+2)
		for _, id := range sids {
			args = append(args, id)
		}
		args = append(args, from, split)
		rows, err := c.db.QueryContext(ctx, "SELECT series_id, t, n, avg, max, min, p95 FROM "+c.d.Table(table)+
			" WHERE series_id IN ("+placeholders(len(sids))+") AND t >= ? AND t < ? ORDER BY series_id, t", args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var tb tierBucket
			if err := rows.Scan(&tb.sid, &tb.start, &tb.b.Count, &tb.b.Avg, &tb.b.Max, &tb.b.Min, &tb.b.P95); err != nil {
				rows.Close()
				return nil, err
			}
			out = append(out, tb)
		}
		err = rows.Close()
		if err == nil {
			err = rows.Err()
		}
		if err != nil {
			return nil, err
		}
	}
	if split < to {
		// The tail: whole tier buckets starting in [split, to).
		end := floorTo(to-1, w) + w
		var tail []tierBucket
		err := c.readRawBuckets(ctx, c.dbQuery, sids, split, end, func(t int64) int64 { return floorTo(t, w) },
			func(sid, b int64, vals []float64) error {
				tail = append(tail, tierBucket{sid: sid, start: b, b: driver.SummariseValues(vals)})
				return nil
			})
		if err != nil {
			return nil, err
		}
		if len(out) == 0 {
			return tail, nil
		}
		out = append(out, tail...)
		slices.SortStableFunc(out, func(a, b tierBucket) int {
			return cmp.Or(cmp.Compare(a.sid, b.sid), cmp.Compare(a.start, b.start))
		})
	}
	return out, nil
}

// RollupMetrics computes rollups from the raw points (store.MetricStore).
func (c *Core) RollupMetrics(ctx context.Context, p *store.RollupMetricsParams) (*store.RollupMetricsResult, error) {
	const op = "RollupMetrics"
	if err := c.check(op); err != nil {
		return nil, err
	}
	if err := driver.ValidateRollupMetrics(p); err != nil {
		return nil, err
	}
	w := int64(p.Tier.Duration() / time.Second)
	var res store.RollupMetricsResult
	err := c.inTx(ctx, &writeOp{op: op, stage: stageMetrics}, func(tx Tx) error {
		if err := c.d.Lock(ctx, tx, metricLockKey); err != nil {
			return err
		}
		wm, err := c.watermark(ctx, tx.Query, p.Tier)
		if err != nil {
			return err
		}
		var oldest sql.NullInt64
		if p.From.IsZero() && wm == 0 {
			rows, err := tx.Query(ctx, "SELECT min(t) FROM "+c.d.Table(TableMetricPoints))
			if err != nil {
				return err
			}
			if rows.Next() {
				err = rows.Scan(&oldest)
			}
			if err == nil {
				err = rows.Err()
			}
			rows.Close()
			if err != nil {
				return err
			}
		}
		var wmT, oldestT time.Time
		if wm != 0 {
			wmT = unixTime(wm)
		}
		if oldest.Valid {
			oldestT = unixTime(oldest.Int64)
		}
		res.From, res.To = driver.RollupRange(p, wmT, oldestT)
		from, to := res.From.Unix(), res.To.Unix()
		var buckets []tierBucket
		if from < to {
			err = c.readRawBuckets(ctx, tx.Query, nil, from, to, func(t int64) int64 { return floorTo(t, w) },
				func(sid, b int64, vals []float64) error {
					buckets = append(buckets, tierBucket{sid: sid, start: b, b: driver.SummariseValues(vals)})
					return nil
				})
			if err != nil {
				return err
			}
		}
		rs := &RowSource{N: len(buckets), Cols: metricRollupCols, Row: func(i int, dst []any) []any {
			b := &buckets[i]
			return append(dst, b.sid, b.start, b.b.Count, b.b.Avg, b.b.Max, b.b.Min, b.b.P95)
		}}
		if err := c.InsertBatched(ctx, tx, rollupTable(p.Tier), rs, Upsert(metricRollupCols, "series_id", "t")); err != nil {
			return err
		}
		res.Buckets = int64(len(buckets))
		if to > wm {
			if _, err := tx.Exec(ctx, "INSERT INTO "+c.d.Table(TableMetricWatermarks)+" (tier, t) VALUES (?, ?) "+
				"ON CONFLICT (tier) DO UPDATE SET t = excluded.t", string(p.Tier), to); err != nil {
				return err
			}
			wm = to
		}
		res.Watermark = unixTime(wm)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &res, nil
}

// PruneMetrics deletes expired points and rollups (store.MetricStore).
func (c *Core) PruneMetrics(ctx context.Context, p *store.PruneMetricsParams) (*store.PruneMetricsResult, error) {
	const op = "PruneMetrics"
	if err := c.check(op); err != nil {
		return nil, err
	}
	cut, err := driver.ValidatePruneMetrics(p)
	if err != nil {
		return nil, err
	}
	p = &cut
	var res store.PruneMetricsResult
	err = c.inTx(ctx, &writeOp{op: op, stage: stageMetrics}, func(tx Tx) error {
		if err := c.d.Lock(ctx, tx, metricLockKey); err != nil {
			return err
		}
		var err error
		if !p.RawBefore.IsZero() {
			if res.Raw, err = c.d.PruneMetricPoints(ctx, tx, p.RawBefore.Unix()); err != nil {
				return err
			}
		}
		for _, cut := range []struct {
			before time.Time
			table  string
			n      *int64
		}{{p.HourBefore, TableMetricHour, &res.Hour}, {p.DayBefore, TableMetricDay, &res.Day}} {
			if cut.before.IsZero() {
				continue
			}
			if *cut.n, err = tx.Exec(ctx, "DELETE FROM "+c.d.Table(cut.table)+" WHERE t < ?", cut.before.Unix()); err != nil {
				return err
			}
		}
		if res.Raw+res.Hour+res.Day == 0 {
			return nil
		}
		s := c.d.Table(TableMetricSeries)
		notIn := func(table string) string {
			return " AND NOT EXISTS (SELECT 1 FROM " + c.d.Table(table) + " x WHERE x.series_id = " + s + ".series_id)"
		}
		res.Series, err = tx.Exec(ctx, "DELETE FROM "+s+" WHERE true"+notIn(TableMetricPoints)+notIn(TableMetricHour)+notIn(TableMetricDay))
		return err
	})
	if err != nil {
		return nil, err
	}
	return &res, nil
}

// PruneMetricPointsGeneric deletes the raw points with t < before.
func (c *Core) PruneMetricPointsGeneric(ctx context.Context, tx Tx, before int64) (int64, error) {
	return tx.Exec(ctx, "DELETE FROM "+c.d.Table(TableMetricPoints)+" WHERE t < ?", before)
}

// MetricStats describes the stored series (store.MetricStore).
func (c *Core) MetricStats(ctx context.Context, p *store.MetricStatsParams) (*store.MetricStats, error) {
	const op = "MetricStats"
	if err := c.check(op); err != nil {
		return nil, err
	}
	if err := driver.ValidateMetricStats(p); err != nil {
		return nil, err
	}
	var (
		where string
		args  []any
	)
	series := c.d.Table(TableMetricSeries)
	if p.Vcenter != "" {
		where = " WHERE series_id IN (SELECT series_id FROM " + series + " WHERE vcenter = ?)"
		args = []any{p.Vcenter}
	}
	var st store.MetricStats
	if !p.WatermarksOnly {
		q := "SELECT count(*) FROM " + series
		if p.Vcenter != "" {
			q += " WHERE vcenter = ?"
		}
		if err := c.db.QueryRowContext(ctx, q, args...).Scan(&st.Series); err != nil {
			return nil, c.readErr(op, err)
		}
	}
	for _, tier := range []inventory.MetricTier{inventory.TierRaw, inventory.TierHour, inventory.TierDay} {
		table := TableMetricPoints
		if tier != inventory.TierRaw {
			table = rollupTable(tier)
		}
		ts := store.MetricTierStats{Tier: tier}
		if tier != inventory.TierRaw {
			wm, err := c.watermark(ctx, c.dbQuery, tier)
			if err != nil {
				return nil, c.readErr(op, err)
			}
			if wm != 0 {
				ts.Watermark = unixTime(wm)
			}
		}
		if !p.WatermarksOnly {
			var oldest, newest sql.NullInt64
			if err := c.db.QueryRowContext(ctx, "SELECT count(*), min(t), max(t) FROM "+c.d.Table(table)+where, args...).
				Scan(&ts.Rows, &oldest, &newest); err != nil {
				return nil, c.readErr(op, err)
			}
			if oldest.Valid {
				ts.Oldest, ts.Newest = unixTime(oldest.Int64), unixTime(newest.Int64)
			}
			b, err := c.d.MetricBytes(ctx, table)
			if err != nil {
				return nil, c.readErr(op, err)
			}
			ts.Bytes = b
		}
		st.Tiers = append(st.Tiers, ts)
	}
	return &st, nil
}

// ListMetricKeys lists stored series (store.MetricStore).
func (c *Core) ListMetricKeys(ctx context.Context, p *store.ListMetricKeysParams) ([]inventory.MetricKey, error) {
	const op = "ListMetricKeys"
	if err := c.check(op); err != nil {
		return nil, err
	}
	if err := driver.ValidateListMetricKeys(p); err != nil {
		return nil, err
	}
	q := "SELECT vcenter, entity_type, entity_id, metric FROM " + c.d.Table(TableMetricSeries) + " WHERE vcenter = ?"
	args := []any{p.Vcenter}
	if p.EntityType != "" {
		q += " AND entity_type = ?"
		args = append(args, string(p.EntityType))
	}
	if p.EntityID != "" {
		q += " AND entity_id = ?"
		args = append(args, p.EntityID)
	}
	rows, err := c.db.QueryContext(ctx, q+" ORDER BY vcenter, entity_type, entity_id, metric", args...)
	if err != nil {
		return nil, c.readErr(op, err)
	}
	defer rows.Close()
	var out []inventory.MetricKey
	for rows.Next() {
		var k inventory.MetricKey
		if err := rows.Scan(&k.Vcenter, &k.EntityType, &k.EntityID, &k.Metric); err != nil {
			return nil, c.readErr(op, err)
		}
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, c.readErr(op, err)
	}
	return out, nil
}
