package jobs

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
)

// Coordinator overhead per key: a new key run with a no-op function, then
// the same key skipped as done.
func BenchmarkCoordinator(b *testing.B) {
	ctx := context.Background()
	mks := map[string]func(b *testing.B) Coordinator{
		"local-memory": func(b *testing.B) Coordinator {
			l, _ := NewLocal(ctx, LocalOptions{})
			return l
		},
		"local-sqlite": func(b *testing.B) Coordinator {
			db := openSQLite(b, filepath.Join(b.TempDir(), "j.db"))
			l, err := NewLocal(ctx, LocalOptions{DB: db})
			if err != nil {
				b.Fatal(err)
			}
			return l
		},
		"postgres": func(b *testing.B) Coordinator {
			pool, schema := pgPool(b)
			p, err := NewPostgres(ctx, pool, PostgresOptions{Schema: schema})
			if err != nil {
				b.Fatal(err)
			}
			return p
		},
	}
	for _, name := range []string{"local-memory", "local-sqlite", "postgres"} {
		b.Run(name+"/new-key", func(b *testing.B) {
			c := mks[name](b)
			i := 0
			for b.Loop() {
				if ran, err := c.Run(ctx, fmt.Sprintf("k%d", i), func(context.Context) error { return nil }); !ran || err != nil {
					b.Fatal(ran, err)
				}
				i++
			}
		})
		b.Run(name+"/done-key", func(b *testing.B) {
			c := mks[name](b)
			if _, err := c.Run(ctx, "k", func(context.Context) error { return nil }); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if ran, err := c.Run(ctx, "k", func(context.Context) error { return nil }); ran || err != nil {
					b.Fatal(ran, err)
				}
			}
		})
	}
}
