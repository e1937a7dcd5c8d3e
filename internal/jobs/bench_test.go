package jobs

import (
	"context"
	"testing"
	"time"
)

// BenchmarkEnqueue is a planning pass's cost per run: a new run inserted
// into river's table, and a run already there skipped as a duplicate (what
// every pass does for a slot already enqueued or done).
func BenchmarkEnqueue(b *testing.B) {
	ctx := context.Background()
	backends := map[string]func(b *testing.B) Backend{
		"sqlite":   func(b *testing.B) Backend { return sqliteBackend(b) },
		"postgres": func(b *testing.B) Backend { be, _, _ := pgBackend(b); return be },
	}
	job := Job{Name: "capture:vc1", Run: func(context.Context, Period) error { return nil }}
	for _, name := range []string{"sqlite", "postgres"} {
		mk := func(b *testing.B) *Scheduler {
			s, err := New(backends[name](b), []Job{job}, Options{})
			if err != nil {
				b.Fatal(err)
			}
			return s
		}
		b.Run(name+"/new-run", func(b *testing.B) {
			s := mk(b)
			start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			i := 0
			for b.Loop() {
				p := HourPeriod(start.Add(time.Duration(i) * time.Hour))
				if ok, err := s.Enqueue(ctx, job.Name, p, nil); !ok || err != nil {
					b.Fatal(ok, err)
				}
				i++
			}
		})
		b.Run(name+"/duplicate", func(b *testing.B) {
			s := mk(b)
			p := HourPeriod(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
			if _, err := s.Enqueue(ctx, job.Name, p, nil); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if ok, err := s.Enqueue(ctx, job.Name, p, nil); ok || err != nil {
					b.Fatal(ok, err)
				}
			}
		})
	}
}
