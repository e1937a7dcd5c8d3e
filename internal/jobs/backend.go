package jobs

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"
)

// Backend is the database a Scheduler keeps its runs in: river's tables in
// PostgreSQL (Postgres) or SQLite (SQLite). The zero Backend is not usable.
type Backend struct {
	name    string
	client  func(cfg *river.Config) (client, error)
	migrate func(ctx context.Context, log *slog.Logger) error
	exec    func(ctx context.Context, query string) error
}

// client is what a Scheduler uses of a *river.Client, whatever its driver.
type client interface {
	InsertMany(ctx context.Context, params []river.InsertManyParams) ([]*rivertype.JobInsertResult, error)
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
	StopAndCancel(ctx context.Context) error
	JobGet(ctx context.Context, id int64) (*rivertype.JobRow, error)
	JobRetry(ctx context.Context, id int64) (*rivertype.JobRow, error)
	JobList(ctx context.Context, p *river.JobListParams) (*river.JobListResult, error)
	JobUpdate(ctx context.Context, id int64, p *river.JobUpdateParams) (*rivertype.JobRow, error)
}

// Postgres keeps runs in river's tables in schema ("" for the pool's
// search path), through pool. Replicas sharing the database share the
// runs: each run is worked by one of them.
func Postgres(pool *pgxpool.Pool, schema string) Backend {
	drv := riverpgxv5.New(pool)
	return Backend{
		name: "postgres",
		client: func(cfg *river.Config) (client, error) {
			cfg.Schema = schema
			return river.NewClient[pgx.Tx](drv, cfg)
		},
		migrate: func(ctx context.Context, log *slog.Logger) error {
			// rivermigrate takes no lock of its own: replicas starting
			// together take turns on a session advisory lock.
			conn, err := pool.Acquire(ctx)
			if err != nil {
				return err
			}
			defer conn.Release()
			if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock(hashtext('vinventory river migrate'))"); err != nil {
				return err
			}
			defer conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(hashtext('vinventory river migrate'))") //nolint:errcheck // the session ends with the connection anyway
			return migrator(drv, schema)(ctx, log)
		},
		exec: func(ctx context.Context, q string) error {
			if schema != "" {
				q = fmt.Sprintf(q, pgx.Identifier{schema}.Sanitize()+".")
			} else {
				q = fmt.Sprintf(q, "")
			}
			_, err := pool.Exec(ctx, q)
			return err
		},
	}
}

// SQLite keeps runs in river's tables in the SQLite database db, which
// must hold one connection (db.SetMaxOpenConns(1)) and wait on locks (a
// busy timeout): one process works the runs.
func SQLite(db *sql.DB) Backend {
	drv := riversqlite.New(db)
	return Backend{
		name: "sqlite",
		client: func(cfg *river.Config) (client, error) {
			return river.NewClient[*sql.Tx](drv, cfg)
		},
		migrate: migrator(drv, ""),
		exec: func(ctx context.Context, q string) error {
			_, err := db.ExecContext(ctx, fmt.Sprintf(q, ""))
			return err
		},
	}
}

func migrator[TTx any](drv riverdriver.Driver[TTx], schema string) func(context.Context, *slog.Logger) error {
	return func(ctx context.Context, log *slog.Logger) error {
		m, err := rivermigrate.New(drv, &rivermigrate.Config{Schema: schema, Logger: log})
		if err != nil {
			return err
		}
		_, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
		return err
	}
}

// legacyTable is the job table of the coordinator river replaced
// (advisory locks over a table of keys). Migrate drops it: river's job
// table holds the runs now, and nothing the old table recorded needs
// keeping (aggregation is due by what the store holds, a capture slot run
// again replaces the same snapshot).
const legacyTable = "vinventory_jobs"

// Migrate creates or upgrades river's tables in b and drops the job table
// of the coordinator they replace. It is safe to run from several
// processes at once and on every start.
func Migrate(ctx context.Context, b Backend, log *slog.Logger) error {
	if b.migrate == nil {
		return fmt.Errorf("jobs: Migrate: zero Backend")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := b.migrate(ctx, log); err != nil {
		return fmt.Errorf("jobs: migrate river's tables (%s): %w", b.name, err)
	}
	if err := b.exec(ctx, "DROP TABLE IF EXISTS %s"+legacyTable); err != nil {
		return fmt.Errorf("jobs: drop the old job table %s: %w", legacyTable, err)
	}
	return nil
}
