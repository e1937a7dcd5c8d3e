package jobs_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"time"

	_ "github.com/mattn/go-sqlite3"

	"github.com/accessvault/vinventory/internal/jobs"
)

// A daily aggregation job and two staggered hourly captures, driven one tick
// at a time by a manual clock on a single node.
func Example() {
	ctx := context.Background()
	clock := jobs.NewManualClock(time.Date(2026, 11, 22, 0, 40, 0, 0, time.UTC))
	// River's tables in a SQLite file (SetMaxOpenConns(1): riversqlite
	// needs one connection).
	dir, err := os.MkdirTemp("", "jobs-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(dir, "jobs.db")+"?_busy_timeout=10000&_journal_mode=WAL&_txlock=immediate")
	if err != nil {
		panic(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	backend := jobs.SQLite(db)
	if err := jobs.Migrate(ctx, backend, nil); err != nil {
		panic(err)
	}
	offsets := jobs.Stagger([]string{"vc1", "vc2"}, 20*time.Minute)
	var list []jobs.Job
	for _, ep := range []string{"vc1", "vc2"} {
		list = append(list, jobs.Job{
			Name:     "capture:" + ep,
			Schedule: jobs.Hourly{Minute: 5, Offset: offsets[ep]},
			Run: func(ctx context.Context, p jobs.Period) error {
				fmt.Println("capture", ep, "for hour", p.Key)
				return nil
			},
		})
	}
	list = append(list, jobs.Job{
		Name:     "daily",
		Schedule: jobs.Daily{At: "00:30"},
		Run: func(ctx context.Context, p jobs.Period) error {
			fmt.Println("aggregate day", p.Key)
			return nil
		},
	})
	s, err := jobs.New(backend, list, jobs.Options{Clock: clock, Concurrency: 1, FetchInterval: 100 * time.Millisecond})
	if err != nil {
		panic(err)
	}
	for range 2 {
		if err := s.RunOnce(ctx); err != nil {
			panic(err)
		}
		clock.Advance(30 * time.Minute)
	}
	// At 00:40 both captures (00:05 and 00:15) and the day's 00:30 slot are
	// due; runs start by period end, so the completed day goes first. At
	// 01:10 only vc1's 01:05 slot has come.

	// Output:
	// aggregate day 2026-11-21
	// capture vc1 for hour 2026-11-22T00:00:00Z
	// capture vc2 for hour 2026-11-22T00:00:00Z
	// capture vc1 for hour 2026-11-22T01:00:00Z
}
