package sqlitestore

import (
	"context"
	"database/sql"
	"time"
)

// Checkpoints: copying the write-ahead log back into the database file.
//
// SQLite's default runs a checkpoint inside the commit that takes the log
// past 1,000 pages, so a bulk write (15,000 rollup rows, an hourly
// snapshot) pays for copying and syncing its pages into the database file
// before its commit returns: measured, about 30% of the time of writing
// 15,000 daily rollup rows. Open instead raises the write connection's automatic
// threshold to walFallbackPages and has a background goroutine run a
// PASSIVE checkpoint after commits, on a read connection: the same work,
// off the writer's path, while writers and readers go on (a PASSIVE
// checkpoint takes no write lock and copies only what no reader still
// needs). Should the background checkpoints fall behind (long-running
// readers), the writer's own automatic checkpoint still bounds the log at
// walFallbackPages. Durability is unchanged: a commit is durable in the log
// (synchronous=FULL syncs it at every commit), whoever copies it later.

// walFallbackPages is the write connection's wal_autocheckpoint under Open:
// the log size (in pages, 4 KiB by default: 32 MiB) past which a commit
// checkpoints by itself.
const walFallbackPages = 8192

// checkpointGap is the minimum time between two background checkpoints:
// bursts of small commits share one.
const checkpointGap = 50 * time.Millisecond

// checkpointer runs PASSIVE checkpoints in the background after commits.
type checkpointer struct {
	db   *sql.DB // read pool (a checkpoint is allowed on a query_only connection)
	kick chan struct{}
	stop chan struct{}
	done chan struct{}
}

func newCheckpointer(db *sql.DB) *checkpointer {
	c := &checkpointer{db: db, kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go c.run()
	return c
}

// committed asks for a checkpoint; it never blocks.
func (c *checkpointer) committed() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

func (c *checkpointer) run() {
	defer close(c.done)
	for {
		select {
		case <-c.stop:
			return
		case <-c.kick:
		}
		// A failed or partial checkpoint leaves the log as it was: the
		// next one (or the writer's fallback) copies it.
		_, _ = c.db.ExecContext(context.Background(), "PRAGMA wal_checkpoint(PASSIVE)")
		select {
		case <-c.stop:
			return
		case <-time.After(checkpointGap):
		}
	}
}

// close stops the goroutine (a checkpoint under way finishes first);
// closing the last connection checkpoints what is left.
func (c *checkpointer) close() error {
	close(c.stop)
	<-c.done
	return nil
}
