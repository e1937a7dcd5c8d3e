// Package jobstest gives tests a job queue on a SQLite file.
package jobstest

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	_ "github.com/mattn/go-sqlite3" // the queue's database

	"github.com/accessvault/vinventory/internal/jobs"
)

// Queue is a job queue on a SQLite file in the test's temp dir, with the
// on-demand jobs repair, rebuild and regenerate-reports doing nothing. It
// is never started: tests read its history and queue requests.
func Queue(tb testing.TB) *jobs.Scheduler {
	tb.Helper()
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(tb.TempDir(), "jobs.db")+"?_busy_timeout=10000&_journal_mode=WAL&_txlock=immediate")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	db.SetMaxOpenConns(1)
	b := jobs.SQLite(db)
	if err := jobs.Migrate(context.Background(), b, nil); err != nil {
		tb.Fatal(err)
	}
	noop := func(context.Context, jobs.Period) error { return nil }
	q, err := jobs.New(b, []jobs.Job{{Name: "repair", Run: noop}, {Name: "rebuild", Run: noop}, {Name: "regenerate-reports", Run: noop}}, jobs.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	return q
}
