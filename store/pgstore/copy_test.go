package pgstore

import (
	"bytes"
	"context"
	"math"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/accessvault/vinventory/store/internal/sqlstore"
)

func TestAppendTimestamp(t *testing.T) {
	for _, c := range []struct {
		t    time.Time
		want string
	}{
		{time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC), "2026-03-14 10:00:00+00"},
		{time.Date(2026, 3, 14, 10, 0, 0, 123456000, time.UTC), "2026-03-14 10:00:00.123456+00"},
		{time.Date(2026, 3, 14, 10, 0, 0, 1000, time.FixedZone("x", 3600)), "2026-03-14 09:00:00.000001+00"},
		{time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Second), "0001-01-01 00:00:01+00"},
		{time.Date(999, 12, 31, 23, 59, 59, 0, time.UTC), "0999-12-31 23:59:59+00"},
		{time.Date(0, 6, 1, 0, 0, 0, 0, time.UTC), "0001-06-01 00:00:00+00 BC"},
		{time.Date(-99, 6, 1, 0, 0, 0, 0, time.UTC), "0100-06-01 00:00:00+00 BC"},
		{time.Date(12345, 6, 1, 0, 0, 0, 0, time.UTC), "12345-06-01 00:00:00+00"},
	} {
		if got := string(appendTimestamp(nil, c.t)); got != c.want {
			t.Errorf("appendTimestamp(%v) = %q, want %q", c.t, got, c.want)
		}
	}
}

func TestAppendEscaped(t *testing.T) {
	if got := string(appendEscaped(nil, "a\\b\tc\nd\re\x01é")); got != `a\\b\tc\nd\re`+"\x01é" {
		t.Fatalf("appendEscaped = %q", got)
	}
}

// copyValues holds one row of every kind of value the text COPY encoder
// writes, including the edges of each type.
type copyValues struct {
	text  string
	ts    time.Time
	i     int64
	f     float64
	b     bool
	json  []byte
	bytes []byte
}

// Values sent through COPY read back exactly.
func TestCopyTextRoundTrip(t *testing.T) {
	dsn := os.Getenv("VINVENTORY_TEST_PG_DSN")
	if dsn == "" {
		t.Skip("PostgreSQL tests skipped: set VINVENTORY_TEST_PG_DSN or run scripts/test.sh")
	}
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	st, err := New(pool, Options{})
	if err != nil {
		t.Fatal(err)
	}
	in := []copyValues{
		{text: "", ts: time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC), i: 0, f: 0, json: []byte(`{}`)},
		{text: "back\\slash\ttab\nnewline\rcr \\N \\. é 漢字 \x01", ts: time.Date(2026, 3, 14, 10, 0, 0, 999999000, time.UTC),
			i: math.MaxInt64, f: math.MaxFloat64, b: true, json: []byte(`{"a\"b":"c\\d\n","\t":"é"}`), bytes: []byte{0, 1, '\\', '\t', '\n', 0xff}},
		{text: `\`, ts: time.Date(1, 1, 1, 0, 0, 1, 0, time.UTC), i: math.MinInt64, f: math.SmallestNonzeroFloat64},
		{text: "x", ts: time.Date(0, 6, 1, 12, 0, 0, 1000, time.UTC), i: -1, f: -0.1},
		{text: "y", ts: time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC), i: 1, f: 1.0 / 3},
		{text: "z", ts: time.Date(12345, 1, 2, 3, 4, 5, 0, time.UTC), f: 123456789.123456789e-20},
		{text: "nan", f: math.NaN()},
		{text: "inf", f: math.Inf(1)},
		{text: "-inf", f: math.Inf(-1)},
		{text: "-0", f: math.Copysign(0, -1)},
	}
	cols := []string{"t", "ts", "i", "f", "b", "j", "by"}
	for _, encode := range []bool{true, false} {
		tr, err := st.d.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer tr.Rollback(ctx)
		if _, err := tr.Exec(ctx, "CREATE TEMP TABLE copy_rt (n serial, t text, ts timestamptz, i bigint, f double precision, b boolean, j jsonb, by bytea) ON COMMIT DROP"); err != nil {
			t.Fatal(err)
		}
		rs := &sqlstore.RowSource{N: len(in), Cols: cols, Batch: 3, Row: func(i int, dst []any) []any {
			v := in[i]
			var ts, j, by any
			if !v.ts.IsZero() {
				ts = v.ts
			}
			if v.json != nil {
				j = string(v.json)
			}
			if v.bytes != nil {
				by = v.bytes
			}
			return append(dst, v.text, ts, v.i, v.f, v.b, j, by)
		}}
		if encode {
			rs.Encode = func(i int, w sqlstore.ValueWriter) {
				v := in[i]
				w.Text(v.text)
				w.Time(v.ts)
				w.Int(v.i)
				w.Float(v.f)
				w.Bool(v.b)
				w.JSON(v.json)
				w.(*copyText).value(v.bytes)
			}
		}
		if err := st.d.copyRows(ctx, tr.(*tx), "copy_rt", rs); err != nil {
			t.Fatalf("encode=%v: COPY: %v", encode, err)
		}
		rows, err := tr.Query(ctx, "SELECT t, ts, i, f, b, j::text, by FROM copy_rt ORDER BY n")
		if err != nil {
			t.Fatal(err)
		}
		k := 0
		for rows.Next() {
			var got copyValues
			var ts *time.Time
			var j *string
			if err := rows.Scan(&got.text, &ts, &got.i, &got.f, &got.b, &j, &got.bytes); err != nil {
				t.Fatal(err)
			}
			want := in[k]
			if ts != nil {
				got.ts = *ts
			}
			if got.text != want.text || !got.ts.Equal(want.ts) || got.i != want.i || got.b != want.b ||
				math.Float64bits(got.f) != math.Float64bits(want.f) && !(math.IsNaN(got.f) && math.IsNaN(want.f)) ||
				!bytes.Equal(got.bytes, want.bytes) || (j == nil) != (want.json == nil) {
				t.Errorf("encode=%v: row %d read back as %+v, want %+v", encode, k, got, want)
			}
			if j != nil && want.json != nil {
				var ref string
				if err := pool.QueryRow(ctx, "SELECT $1::jsonb::text", string(want.json)).Scan(&ref); err != nil {
					t.Fatal(err)
				}
				if *j != ref {
					t.Errorf("encode=%v: row %d: jsonb %s, want %s", encode, k, *j, ref)
				}
			}
			k++
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
		if k != len(in) {
			t.Fatalf("encode=%v: read %d rows, want %d", encode, k, len(in))
		}
		if err := tr.Rollback(ctx); err != nil {
			t.Fatal(err)
		}
	}
}

// A cancelled context stops a COPY between batches, and the transaction
// can be rolled back.
func TestCopyTextCancelled(t *testing.T) {
	dsn := os.Getenv("VINVENTORY_TEST_PG_DSN")
	if dsn == "" {
		t.Skip("PostgreSQL tests skipped: set VINVENTORY_TEST_PG_DSN or run scripts/test.sh")
	}
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	st, err := New(pool, Options{})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := st.d.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Exec(ctx, "CREATE TEMP TABLE copy_cancel (i bigint)"); err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithCancel(ctx)
	rs := &sqlstore.RowSource{N: 1_000_000, Cols: []string{"i"}, Batch: 10, Row: func(i int, dst []any) []any {
		if i == 500 {
			cancel()
		}
		return append(dst, int64(i))
	}}
	if err := st.d.copyRows(cctx, tr.(*tx), "copy_cancel", rs); err == nil {
		t.Fatal("COPY with a cancelled context succeeded")
	}
	if err := tr.Rollback(ctx); err != nil {
		t.Logf("Rollback: %v", err)
	}
	var one int
	if err := pool.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil {
		t.Fatal(err)
	}
}
