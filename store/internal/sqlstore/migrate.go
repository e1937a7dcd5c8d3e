package sqlstore

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/accessvault/vinventory/store/driver"
)

// Migration is one versioned schema change.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// LoadMigrations reads the migrations in dir of fsys: files named
// NNNN_name.sql, applied in version order. Each file is a text/template
// executed with data (e.g. to choose a partitioned table layout).
func LoadMigrations(fsys fs.FS, dir string, data any) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, err
	}
	var out []Migration
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".sql") {
			continue
		}
		num, rest, ok := strings.Cut(strings.TrimSuffix(name, ".sql"), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: name must be NNNN_description.sql", name)
		}
		b, err := fs.ReadFile(fsys, path.Join(dir, name))
		if err != nil {
			return nil, err
		}
		tmpl, err := template.New(name).Option("missingkey=error").Parse(string(b))
		if err != nil {
			return nil, fmt.Errorf("migration %s: %w", name, err)
		}
		var buf bytes.Buffer
		if err := tmpl.Execute(&buf, data); err != nil {
			return nil, fmt.Errorf("migration %s: %w", name, err)
		}
		out = append(out, Migration{Version: v, Name: rest, SQL: buf.String()})
	}
	slices.SortFunc(out, func(a, b Migration) int { return a.Version - b.Version })
	for i := 1; i < len(out); i++ {
		if out[i].Version == out[i-1].Version {
			return nil, fmt.Errorf("migration version %d appears twice", out[i].Version)
		}
	}
	return out, nil
}

// ApplyMigrations applies, inside tx, the migrations not yet recorded in
// schema_migrations (creating that table when needed) and returns how many
// it applied. The caller holds the backend's migration lock (taken before
// anything is read), so concurrent migrators apply each version once.
func ApplyMigrations(ctx context.Context, d Dialect, tx Tx, migs []Migration, now time.Time) (int, error) {
	table := d.Table(TableMigrations)
	if _, err := tx.Exec(ctx, "CREATE TABLE IF NOT EXISTS "+table+" (version INTEGER NOT NULL PRIMARY KEY, name "+
		d.ColumnType(KindText)+", applied_at "+d.ColumnType(KindTime)+")"); err != nil {
		return 0, fmt.Errorf("creating %s: %w", TableMigrations, err)
	}
	rows, err := tx.Query(ctx, "SELECT version FROM "+table)
	if err != nil {
		return 0, err
	}
	done := map[int]bool{}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return 0, err
		}
		done[v] = true
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return 0, err
	}
	n := 0
	for _, m := range migs {
		if done[m.Version] {
			continue
		}
		if err := ctx.Err(); err != nil {
			return n, err
		}
		if _, err := tx.Exec(ctx, m.SQL); err != nil {
			return n, fmt.Errorf("migration %04d_%s: %w", m.Version, m.Name, err)
		}
		if _, err := tx.Exec(ctx, "INSERT INTO "+table+" (version, name, applied_at) VALUES (?, ?, ?)",
			m.Version, m.Name, d.Time(driver.NormTime(now))); err != nil {
			return n, fmt.Errorf("recording migration %04d: %w", m.Version, err)
		}
		n++
	}
	return n, nil
}
