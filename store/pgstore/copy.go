package pgstore

import (
	"context"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/accessvault/vinventory/internal/sqlstore"
	"github.com/accessvault/vinventory/store"
)

// copySource feeds a RowSource to pgx CopyFrom, reusing one row buffer and
// checking ctx between batches.
type copySource struct {
	ctx   context.Context
	rows  *sqlstore.RowSource
	batch int
	i     int
	buf   []any
	err   error
}

var _ pgx.CopyFromSource = (*copySource)(nil)

func newCopySource(ctx context.Context, rows *sqlstore.RowSource) *copySource {
	return &copySource{ctx: ctx, rows: rows, batch: store.BatchSizeOr(rows.Batch), i: -1, buf: make([]any, 0, len(rows.Cols))}
}

func (s *copySource) Next() bool {
	s.i++
	if s.i >= s.rows.N {
		return false
	}
	if s.i%s.batch == 0 && s.i > 0 {
		if err := s.ctx.Err(); err != nil {
			s.err = err
			return false
		}
	}
	return true
}

func (s *copySource) Values() ([]any, error) {
	s.buf = s.rows.Row(s.i, s.buf[:0])
	return s.buf, nil
}

func (s *copySource) Err() error { return s.err }

// stagingTable is the per-session temporary table samples are copied into.
const stagingTable = "vinventory_stage_hourly"

// copySamples upserts samples by COPYing them into a temporary staging
// table and moving them into vm_hourly_stats with one INSERT ... SELECT ...
// ON CONFLICT DO UPDATE, all inside the caller's transaction.
func (d *dialect) copySamples(ctx context.Context, t *tx, rows *sqlstore.RowSource) error {
	if t.staged {
		if _, err := t.tx.Exec(ctx, "TRUNCATE "+stagingTable); err != nil {
			return err
		}
	} else {
		if _, err := t.tx.Exec(ctx, stagingSQL); err != nil {
			return err
		}
	}
	t.staged = true
	if _, err := t.tx.CopyFrom(ctx, pgx.Identifier{stagingTable}, rows.Cols, newCopySource(ctx, rows)); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	cols := strings.Join(rows.Cols, ", ")
	_, err := t.tx.Exec(ctx, "INSERT INTO "+d.Table(sqlstore.TableHourly)+" ("+cols+") SELECT "+cols+" FROM "+stagingTable+
		" ON CONFLICT (vcenter, snapshot_time, vm_key) DO UPDATE SET "+sqlstore.SampleUpsertSet())
	return err
}

// stagingSQL creates the session's staging table once; its rows vanish at
// every commit or rollback.
var stagingSQL = stagingDDL()

func stagingDDL() string {
	var b strings.Builder
	b.WriteString("CREATE TEMP TABLE IF NOT EXISTS " + stagingTable + " (")
	d := &dialect{}
	for i, c := range sqlstore.SampleColumns {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(c.Name + " " + d.ColumnType(c.Kind))
	}
	b.WriteString(") ON COMMIT DELETE ROWS")
	return b.String()
}
