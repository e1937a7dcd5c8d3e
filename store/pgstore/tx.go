package pgstore

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/accessvault/vinventory/store/internal/sqlstore"
)

// tx is a write transaction on one pooled connection. Statements whose
// results nobody waits for — BEGIN, advisory locks (dialect.Lock) and
// deferred writes (Defer) — are queued and sent in one pipeline with the
// next statement or with COMMIT, so a sample write takes three round
// trips (BEGIN + locks + existence check, COPY, side rows + COMMIT)
// instead of six. Queued statements run before the one that sends them,
// in order; an error of any of them is that statement's error.
type tx struct {
	conn    *pgxpool.Conn
	pending []queued
	begun   bool // BEGIN was sent
	done    bool
	staged  bool // the samples staging table holds rows of this transaction
	// stagedState: the state tables whose staging table holds rows of
	// this transaction (ReplaceState).
	stagedState map[string]bool
}

type queued struct {
	sql  string
	args []any
}

var _ sqlstore.Deferrer = (*tx)(nil)

func (t *tx) queue(q string, args ...any) {
	t.pending = append(t.pending, queued{q, args})
}

// Defer queues a statement (with ? placeholders) to be sent with the next
// one; its arguments are copied.
func (t *tx) Defer(q string, args ...any) {
	t.queue(rebind(q), append([]any(nil), args...)...)
}

// send sends the queued statements followed by q (extended protocol) in
// one batch and returns the results positioned at q's.
func (t *tx) send(ctx context.Context, q string, args []any) (pgx.BatchResults, error) {
	b := &pgx.Batch{QueuedQueries: make([]*pgx.QueuedQuery, 0, len(t.pending)+1)}
	for _, p := range t.pending {
		if p.sql == "begin" {
			t.begun = true
		}
		b.Queue(p.sql, p.args...)
	}
	n := len(t.pending)
	t.pending = t.pending[:0]
	b.Queue(q, args...)
	br := t.conn.SendBatch(ctx, b)
	for range n {
		if _, err := br.Exec(); err != nil {
			_ = br.Close()
			return nil, err
		}
	}
	return br, nil
}

// flush sends the queued statements, if any.
func (t *tx) flush(ctx context.Context) error {
	if len(t.pending) == 0 {
		return nil
	}
	last := t.pending[len(t.pending)-1]
	t.pending = t.pending[:len(t.pending)-1]
	if last.sql == "begin" {
		t.begun = true
	}
	br, err := t.send(ctx, last.sql, last.args)
	if err != nil {
		return err
	}
	_, err = br.Exec()
	return errors.Join(err, br.Close())
}

func (t *tx) Exec(ctx context.Context, q string, args ...any) (int64, error) {
	if len(args) == 0 {
		// The simple protocol, which may carry several statements
		// (migrations): the queue goes first, on its own.
		if err := t.flush(ctx); err != nil {
			return 0, err
		}
		tag, err := t.conn.Exec(ctx, q)
		return tag.RowsAffected(), err
	}
	if len(t.pending) == 0 {
		tag, err := t.conn.Exec(ctx, rebind(q), args...)
		return tag.RowsAffected(), err
	}
	br, err := t.send(ctx, rebind(q), args)
	if err != nil {
		return 0, err
	}
	tag, err := br.Exec()
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	return tag.RowsAffected(), err
}

func (t *tx) Query(ctx context.Context, q string, args ...any) (sqlstore.Rows, error) {
	if len(t.pending) == 0 {
		r, err := t.conn.Query(ctx, rebind(q), args...)
		if err != nil {
			return nil, err
		}
		return rows{r, nil}, nil
	}
	br, err := t.send(ctx, rebind(q), args)
	if err != nil {
		return nil, err
	}
	r, err := br.Query()
	if err != nil {
		_ = br.Close()
		return nil, err
	}
	return rows{r, br}, nil
}

// pgConn flushes the queue and returns the connection, for COPY.
func (t *tx) pgConn(ctx context.Context) (*pgconn.PgConn, error) {
	if err := t.flush(ctx); err != nil {
		return nil, err
	}
	return t.conn.Conn().PgConn(), nil
}

// Commit sends the queue and COMMIT in one round trip. A transaction that
// never sent a statement has nothing to commit.
func (t *tx) Commit(ctx context.Context) error {
	if t.done {
		return errors.New("pgstore: transaction already ended")
	}
	if !t.begun && len(t.pending) == 1 && t.pending[0].sql == "begin" {
		t.end()
		return nil
	}
	var tag pgconn.CommandTag
	br, err := t.send(ctx, "commit", nil)
	if err == nil {
		tag, err = br.Exec()
		if cerr := br.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return err // Rollback ends the transaction
	}
	t.end()
	if tag.String() == "ROLLBACK" { // the transaction had failed
		return pgx.ErrTxCommitRollback
	}
	return nil
}

// Rollback rolls back and releases the connection; after Commit it does
// nothing. A connection left inside a transaction (the ROLLBACK failed)
// is destroyed by the pool rather than reused.
func (t *tx) Rollback(ctx context.Context) error {
	if t.done {
		return nil
	}
	t.pending = nil
	var err error
	if t.begun && !t.conn.Conn().IsClosed() {
		_, err = t.conn.Exec(ctx, "rollback")
	}
	t.end()
	return err
}

func (t *tx) end() {
	t.done = true
	t.pending = nil
	t.conn.Release()
}

type rows struct {
	pgx.Rows
	br pgx.BatchResults // closed with the rows when they came from a batch
}

func (r rows) Close() error {
	r.Rows.Close()
	err := r.Rows.Err()
	if r.br != nil {
		if cerr := r.br.Close(); err == nil {
			err = cerr
		}
	}
	return err
}
