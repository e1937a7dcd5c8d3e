package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/driver"
)

// likeEscape escapes a string for LIKE ... ESCAPE '\'.
func likeEscape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s)
}

// compatDDL returns the CREATE TABLE statement of a compatibility table
// (name already validated), with its primary key unless key is false.
func (c *Core) compatDDL(name string, cols []Column, key bool) string {
	var b strings.Builder
	b.WriteString("CREATE TABLE ")
	b.WriteString(c.d.Table(name))
	b.WriteString(" (")
	for i, col := range cols {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(col.Name)
		b.WriteByte(' ')
		b.WriteString(c.d.ColumnType(col.Kind))
	}
	if key {
		b.WriteString(", " + compatKey)
	}
	b.WriteString(")")
	b.WriteString(c.d.TableSuffix())
	return b.String()
}

// compatKey is the primary key of every compatibility table.
const compatKey = "PRIMARY KEY (vcenter, vm_key)"

// prepareCompat readies compatibility table name to receive vc's rows, under
// the table's lock (writers of one table are serialized): an existing
// table loses vc's rows; a missing one is created. It returns the
// statement to run once the rows are in, or "". Where the backend can
// (Dialect.LatePrimaryKey), a new table is created without its primary
// key and gets it after the rows: one sorted index build instead of one
// index insertion per row.
func (c *Core) prepareCompat(ctx context.Context, tx Tx, name string, cols []Column, vc string) (after string, err error) {
	if _, ok := driver.ParseCompatTableName(name); !ok {
		return "", fmt.Errorf("not a compatibility table name: %q", name)
	}
	if err := c.d.Lock(ctx, tx, "compat|"+name); err != nil {
		return "", err
	}
	exists, err := c.tableExists(ctx, tx, name)
	if err != nil {
		return "", err
	}
	if exists {
		_, err := tx.Exec(ctx, "DELETE FROM "+c.d.Table(name)+" WHERE vcenter = ?", vc)
		return "", err
	}
	late := c.d.LatePrimaryKey()
	if _, err := tx.Exec(ctx, c.compatDDL(name, cols, !late)); err != nil {
		return "", err
	}
	if late {
		return "ALTER TABLE " + c.d.Table(name) + " ADD " + compatKey, nil
	}
	return "", nil
}

// tableExists reports whether the store has a table called name.
func (c *Core) tableExists(ctx context.Context, tx Tx, name string) (bool, error) {
	rows, err := tx.Query(ctx, c.d.TablesQuery(), likeEscape(name))
	if err != nil {
		return false, err
	}
	exists := rows.Next()
	if err := rows.Close(); err != nil {
		return false, err
	}
	return exists, nil
}

// replaceCompat creates a compatibility table if needed and replaces one
// vCenter's rows in it.
func (c *Core) replaceCompat(ctx context.Context, tx Tx, name string, cols []Column, vc string, rs *RowSource) error {
	after, err := c.prepareCompat(ctx, tx, name, cols, vc)
	if err != nil {
		return err
	}
	if err := c.d.InsertRows(ctx, tx, name, rs.Cols, rs); err != nil {
		return err
	}
	return c.execAfter(ctx, tx, after)
}

// execAfter runs prepareCompat's closing statement, if any.
func (c *Core) execAfter(ctx context.Context, tx Tx, after string) error {
	if after == "" {
		return nil
	}
	_, err := tx.Exec(ctx, after)
	return err
}

func (c *Core) writeCompatHourly(ctx context.Context, tx Tx, vc string, st time.Time, samples []inventory.Sample, batch int) error {
	return c.replaceCompat(ctx, tx, inventory.HourlyTableName(st), CompatSampleColumns, vc, c.sampleRows(samples, st, batch, true))
}

// WriteCompatHourly replaces Vcenter's rows in the hourly table of
// SnapshotTime.
func (c *Core) WriteCompatHourly(ctx context.Context, p *store.WriteCompatHourlyParams) error {
	const op = "WriteCompatHourly"
	if err := c.check(op); err != nil {
		return err
	}
	if p == nil {
		p = &store.WriteCompatHourlyParams{}
	}
	if p.Vcenter == "" {
		return driver.Invalid(op, "Vcenter", "must not be empty")
	}
	if p.SnapshotTime.IsZero() {
		return driver.Invalid(op, "SnapshotTime", "must be set")
	}
	st := store.SnapshotTime(p.SnapshotTime)
	for i := range p.Samples {
		s := &p.Samples[i]
		if s.Vcenter != p.Vcenter {
			return driver.Invalid(op, fmt.Sprintf("Samples[%d].Vcenter", i), fmt.Sprintf("is %q, want %q", s.Vcenter, p.Vcenter))
		}
		if !store.SnapshotTime(s.SnapshotTime).Equal(st) {
			return driver.Invalid(op, fmt.Sprintf("Samples[%d].SnapshotTime", i), "differs from SnapshotTime")
		}
	}
	if err := driver.ValidateSamples(op, p.Samples); err != nil {
		return err
	}
	if _, ok := driver.ParseCompatTableName(inventory.HourlyTableName(st)); !ok {
		return driver.Invalid(op, "SnapshotTime", "cannot name a compatibility table")
	}
	w := &writeOp{op: op, vcenter: p.Vcenter, t: st, stage: store.StageCompat}
	return c.inTx(ctx, w, func(tx Tx) error {
		return c.writeCompatHourly(ctx, tx, p.Vcenter, st, p.Samples, p.BatchSize)
	})
}

// compatTables lists the compatibility tables in the database.
func (c *Core) compatTables(ctx context.Context, pattern string) ([]store.CompatTable, error) {
	rows, err := c.db.QueryContext(ctx, c.d.TablesQuery(), pattern)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.CompatTable
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, err
		}
		if t, ok := driver.ParseCompatTableName(name); ok {
			out = append(out, t)
		}
	}
	return out, rows.Err()
}

// openCompat validates a compatibility table name of the given kind and
// checks that the table exists.
func (c *Core) openCompat(ctx context.Context, op, name string, kind store.CompatKind) error {
	if err := c.check(op); err != nil {
		return err
	}
	t, ok := driver.ParseCompatTableName(name)
	if !ok || t.Kind != kind {
		return driver.Invalid(op, "Name", fmt.Sprintf("is not a %s compatibility table name", kind))
	}
	found, err := c.compatTables(ctx, likeEscape(name))
	if err != nil {
		return c.readErr(op, err)
	}
	if len(found) == 0 {
		return c.notFound(op, "table "+name)
	}
	return nil
}

// ScanCompatHourly streams the rows of one hourly table ordered by
// (vcenter, vm_key).
func (c *Core) ScanCompatHourly(ctx context.Context, p *store.ScanCompatParams, fn func(*inventory.Sample) error) error {
	const op = "ScanCompatHourly"
	if p == nil {
		p = &store.ScanCompatParams{}
	}
	if fn == nil {
		return driver.Invalid(op, "fn", "must not be nil")
	}
	if err := c.openCompat(ctx, op, p.Name, store.CompatHourly); err != nil {
		return err
	}
	q := c.db.NewSelect().ColumnExpr(compatSelectCols).TableExpr(c.d.Table(p.Name))
	if p.Vcenter != "" {
		q = q.Where("vcenter = ?", p.Vcenter)
	}
	rows, err := q.OrderExpr("vcenter, vm_key").Rows(ctx)
	if err != nil {
		return c.readErr(op, err)
	}
	defer rows.Close()
	var s inventory.Sample
	dest := compatSampleDest(&s)
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

// ReadCompatDaily returns the rows of one daily summary table.
func (c *Core) ReadCompatDaily(ctx context.Context, p *store.ScanCompatParams) ([]inventory.DailyRollup, error) {
	const op = "ReadCompatDaily"
	if p == nil {
		p = &store.ScanCompatParams{}
	}
	if err := c.openCompat(ctx, op, p.Name, store.CompatDaily); err != nil {
		return nil, err
	}
	var out []inventory.DailyRollup
	var r inventory.DailyRollup
	err := c.readCompat(ctx, op, p, compatDailyCols, rollupDest(&r.Day, &r.Rollup), func() { out = append(out, r) })
	return out, err
}

// ReadCompatMonthly returns the rows of one monthly summary table.
func (c *Core) ReadCompatMonthly(ctx context.Context, p *store.ScanCompatParams) ([]inventory.MonthlyRollup, error) {
	const op = "ReadCompatMonthly"
	if p == nil {
		p = &store.ScanCompatParams{}
	}
	if err := c.openCompat(ctx, op, p.Name, store.CompatMonthly); err != nil {
		return nil, err
	}
	var out []inventory.MonthlyRollup
	var r inventory.MonthlyRollup
	err := c.readCompat(ctx, op, p, compatMonthlyCols, compatMonthlyDest(&r), func() { out = append(out, r) })
	return out, err
}

func (c *Core) readCompat(ctx context.Context, op string, p *store.ScanCompatParams, cols []string, dest []any, emit func()) error {
	q := c.db.NewSelect().ColumnExpr(list(cols)).TableExpr(c.d.Table(p.Name))
	if p.Vcenter != "" {
		q = q.Where("vcenter = ?", p.Vcenter)
	}
	rows, err := q.OrderExpr("vcenter, vm_key").Rows(ctx)
	if err != nil {
		return c.readErr(op, err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return c.readErr(op, err)
		}
		emit()
	}
	if err := rows.Err(); err != nil {
		return c.readErr(op, err)
	}
	return nil
}

// ListCompatTables lists tables ordered by (kind, period).
func (c *Core) ListCompatTables(ctx context.Context, p *store.ListCompatTablesParams) ([]store.CompatTable, error) {
	const op = "ListCompatTables"
	if err := c.check(op); err != nil {
		return nil, err
	}
	tables, err := c.compatTables(ctx, likeEscape("inventory_")+"%")
	if err != nil {
		return nil, c.readErr(op, err)
	}
	return driver.FilterCompatTables(tables, p), nil
}

// DropCompatTable drops one compatibility table, or returns ErrNotFound.
func (c *Core) DropCompatTable(ctx context.Context, p *store.DropCompatTableParams) error {
	const op = "DropCompatTable"
	if err := c.check(op); err != nil {
		return err
	}
	if p == nil {
		p = &store.DropCompatTableParams{}
	}
	if _, ok := driver.ParseCompatTableName(p.Name); !ok {
		return driver.Invalid(op, "Name", "is not a compatibility table name")
	}
	missing := false
	w := &writeOp{op: op, stage: store.StageCompat}
	err := c.inTx(ctx, w, func(tx Tx) error {
		if err := c.d.Lock(ctx, tx, "compat|"+p.Name); err != nil {
			return err
		}
		exists, err := c.tableExists(ctx, tx, p.Name)
		if err != nil {
			return err
		}
		if !exists {
			missing = true
			return nil
		}
		_, err = tx.Exec(ctx, "DROP TABLE "+c.d.Table(p.Name))
		return err
	})
	if err != nil {
		return err
	}
	if missing {
		return c.notFound(op, "table "+p.Name)
	}
	return nil
}
