package sqlstore

import (
	"context"
	"database/sql"
	"io"
	"slices"
	"strconv"

	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/driver"
)

var reportCols = []string{"key", "kind", "vcenter", "period", "size", "sha256", "created_at", "generation"}

var reportUpsert = Upsert(without(reportCols, "key"), "key")

func reportDest(r *store.ReportInfo, gen *int64) []any {
	return []any{&r.Key, &r.Kind, &r.Vcenter, timeDest{&r.Period}, &r.Size, &r.SHA256, timeDest{&r.CreatedAt}, gen}
}

// PutReport stores a report's bytes in chunks under a new generation,
// then points the catalog row at it and deletes the older generation's
// chunks, all in one transaction (store.ReportCatalog).
func (c *Core) PutReport(ctx context.Context, p *store.PutReportParams) (*store.ReportInfo, error) {
	const op = "PutReport"
	if err := c.check(op); err != nil {
		return nil, err
	}
	if err := driver.ValidatePutReport(p); err != nil {
		return nil, err
	}
	info := p.Info
	info.Period = driver.NormTime(info.Period)
	info.CreatedAt = driver.NormTime(c.now())
	w := &writeOp{op: op, t: info.Period, stage: store.StageReports}
	err := c.inTx(ctx, w, func(tx Tx) error {
		if err := c.d.Lock(ctx, tx, "report:"+info.Key); err != nil {
			return err
		}
		var gen int64
		rows, err := tx.Query(ctx, c.sql("SELECT COALESCE(MAX(generation), 0) FROM {report_catalog} WHERE key = ?"), info.Key)
		if err != nil {
			return err
		}
		for rows.Next() {
			if err := rows.Scan(&gen); err != nil {
				rows.Close()
				return err
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		gen++
		h := driver.ReportHash()
		buf := make([]byte, store.ReportChunkSize)
		ins := c.sql("INSERT INTO {report_chunks} (key, generation, seq, data) VALUES (?, ?, ?, ?)")
		for seq := 0; ; seq++ {
			n, rerr := io.ReadFull(p.Body, buf)
			if n > 0 {
				h.Write(buf[:n])
				info.Size += int64(n)
				if _, err := tx.Exec(ctx, ins, info.Key, gen, seq, buf[:n]); err != nil {
					return err
				}
			}
			if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
				break
			}
			if rerr != nil {
				return rerr
			}
		}
		info.SHA256 = driver.ReportSum(h)
		if _, err := tx.Exec(ctx, c.sql("DELETE FROM {report_chunks} WHERE key = ? AND generation <> ?"), info.Key, gen); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, c.insertSQL(TableReportCatalog, reportCols, reportUpsert, 1),
			info.Key, info.Kind, info.Vcenter, c.time(info.Period), info.Size, info.SHA256, c.time(info.CreatedAt), gen)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &info, nil
}

// OpenReport returns a report's info and a reader that fetches its chunks
// one at a time (store.ReportCatalog).
func (c *Core) OpenReport(ctx context.Context, p *store.OpenReportParams) (*store.ReportInfo, io.ReadCloser, error) {
	const op = "OpenReport"
	if err := c.check(op); err != nil {
		return nil, nil, err
	}
	if p == nil || p.Key == "" {
		return nil, nil, driver.Invalid(op, "Key", "must not be empty")
	}
	var info store.ReportInfo
	var gen int64
	found := false
	q := c.db.NewSelect().ColumnExpr(list(reportCols)).TableExpr(c.sql("{report_catalog}")).Where("key = ?", p.Key)
	err := c.queryAll(ctx, op, q, func(r *sql.Rows) error {
		found = true
		return r.Scan(reportDest(&info, &gen)...)
	})
	if err != nil {
		return nil, nil, err
	}
	if !found {
		return nil, nil, c.notFound(op, "report "+strconv.Quote(p.Key))
	}
	chunks := int((info.Size + store.ReportChunkSize - 1) / store.ReportChunkSize)
	return &info, &chunkReader{c: c, ctx: ctx, key: p.Key, gen: gen, chunks: chunks}, nil
}

// chunkReader reads a report's chunks in order, one query each.
type chunkReader struct {
	c      *Core
	ctx    context.Context
	key    string
	gen    int64
	chunks int
	seq    int
	buf    []byte // the unread part of chunk
	chunk  []byte // the current chunk's bytes, reused for the next one
}

func (r *chunkReader) Read(b []byte) (int, error) {
	const op = "OpenReport"
	for len(r.buf) == 0 {
		if r.seq >= r.chunks {
			return 0, io.EOF
		}
		found := false
		q := r.c.db.NewSelect().ColumnExpr("data").TableExpr(r.c.sql("{report_chunks}")).
			Where("key = ? AND generation = ? AND seq = ?", r.key, r.gen, r.seq)
		if err := r.c.queryAll(r.ctx, op, q, func(rows *sql.Rows) error {
			var raw sql.RawBytes // valid until Next: copied into the reused chunk buffer
			if err := rows.Scan(&raw); err != nil {
				return err
			}
			found = true
			r.chunk = append(r.chunk[:0], raw...)
			return nil
		}); err != nil {
			return 0, err
		}
		if !found {
			return 0, driver.ErrReportChanged(op, r.key)
		}
		r.buf = r.chunk
		r.seq++
	}
	n := copy(b, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}

func (r *chunkReader) Close() error { r.buf = nil; r.seq = r.chunks; return nil }

// ListReports returns reports ordered by key (store.ReportCatalog).
func (c *Core) ListReports(ctx context.Context, p *store.ListReportsParams) (*store.ReportPage, error) {
	const op = "ListReports"
	if err := c.check(op); err != nil {
		return nil, err
	}
	if p == nil {
		p = &store.ListReportsParams{}
	}
	cur, err := driver.DecodeCursor(op, p.Cursor, 1)
	if err != nil {
		return nil, err
	}
	limit := driver.ReportsPageSize(p)
	q := c.db.NewSelect().ColumnExpr(list(reportCols)).TableExpr(c.sql("{report_catalog}"))
	if cur != nil {
		q = q.Where("key > ?", cur[0])
	}
	if p.Vcenter != "" {
		q = q.Where("vcenter = ?", p.Vcenter)
	}
	if p.Kind != "" {
		q = q.Where("kind = ?", p.Kind)
	}
	q = c.inRange(q, "period", p.From, p.To).OrderExpr("key").Limit(int64(limit + 1))
	var out []store.ReportInfo
	err = c.queryAll(ctx, op, q, func(r *sql.Rows) error {
		var info store.ReportInfo
		var gen int64
		if err := r.Scan(reportDest(&info, &gen)...); err != nil {
			return err
		}
		out = append(out, info)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return driver.ReportPage(out, limit), nil
}

// DeleteReports deletes reports and their chunks (store.ReportCatalog).
func (c *Core) DeleteReports(ctx context.Context, p *store.DeleteReportsParams) ([]string, error) {
	const op = "DeleteReports"
	if err := c.check(op); err != nil {
		return nil, err
	}
	if err := driver.ValidateDeleteReports(p); err != nil {
		return nil, err
	}
	var deleted []string
	w := &writeOp{op: op, stage: store.StageReports}
	err := c.inTx(ctx, w, func(tx Tx) error {
		var keys []string
		add := func(query string, args ...any) error {
			rows, err := tx.Query(ctx, c.sql(query), args...)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var k string
				if err := rows.Scan(&k); err != nil {
					return err
				}
				keys = append(keys, k)
			}
			return rows.Err()
		}
		for _, k := range p.Keys {
			if err := add("SELECT key FROM {report_catalog} WHERE key = ?", k); err != nil {
				return err
			}
		}
		if !p.Before.IsZero() {
			if err := add("SELECT key FROM {report_catalog} WHERE period < ?", c.bound(p.Before)); err != nil {
				return err
			}
		}
		seen := map[string]bool{}
		for _, k := range keys {
			if seen[k] {
				continue
			}
			seen[k] = true
			if _, err := tx.Exec(ctx, c.sql("DELETE FROM {report_chunks} WHERE key = ?"), k); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, c.sql("DELETE FROM {report_catalog} WHERE key = ?"), k); err != nil {
				return err
			}
			deleted = append(deleted, k)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.Sort(deleted)
	return deleted, nil
}
