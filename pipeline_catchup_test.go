package vinventory_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/accessvault/vinventory"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/memstore"
	"github.com/accessvault/vinventory/store/sqlitestore"
)

// listSpy is a store without store.SnapshotCounter (it embeds only the
// Store interface) that records the hourly listings it serves.
type listSpy struct {
	store.Store
	mu sync.Mutex
	// wholeHourly counts ListSnapshots calls that return every hourly
	// record in a range (Kind hourly, no Limit).
	wholeHourly int
}

func (s *listSpy) ListSnapshots(ctx context.Context, p *store.ListSnapshotsParams) ([]inventory.SnapshotRecord, error) {
	if p != nil && p.Kind == inventory.Hourly && p.Limit == 0 {
		s.mu.Lock()
		s.wholeHourly++
		s.mu.Unlock()
	}
	return s.Store.ListSnapshots(ctx, p)
}

// counterSpy is listSpy that also forwards CountSnapshots.
type counterSpy struct{ *listSpy }

func (s counterSpy) CountSnapshots(ctx context.Context, p *store.CountSnapshotsParams) ([]store.SnapshotCount, error) {
	return s.Store.(store.SnapshotCounter).CountSnapshots(ctx, p)
}

// TestDueWithoutListingHourly: on a store.SnapshotCounter, DueDays and
// DueMonths never list the hourly registry, and they find the same due
// periods as the listing path, over random histories in a zone with DST
// with backfilled hours in aggregated days, days never aggregated and
// days aggregated before their last hour arrived.
func TestDueWithoutListingHourly(t *testing.T) {
	ctx := context.Background()
	for name, open := range map[string]func(t *testing.T) store.Store{
		"memstore": func(*testing.T) store.Store { return memstore.New(memstore.Options{}) },
		"sqlite": func(t *testing.T) store.Store {
			st, err := sqlitestore.Open(ctx, filepath.Join(t.TempDir(), "s.db"), sqlitestore.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			if err := st.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			return st
		},
	} {
		for seed := uint64(1); seed <= 3; seed++ {
			t.Run(fmt.Sprintf("%s/seed%d", name, seed), func(t *testing.T) {
				st := open(t)
				r := rand.New(rand.NewPCG(seed, 3))
				set := vinventory.DefaultSettings()
				set.Location = "Europe/Berlin"
				loc, _ := set.TimeLocation()
				// 40 days around the October DST change.
				start := time.Date(2026, 10, 1, 0, 0, 0, 0, loc)
				now := start.AddDate(0, 0, 40)
				write := func(vc string, at, reg time.Time) {
					t.Helper()
					if _, err := st.WriteSnapshot(ctx, &store.WriteSnapshotParams{Vcenter: vc, SnapshotTime: at,
						Totals: inventory.Totals{VMCount: 1}, RegisteredAt: reg}); err != nil {
						t.Fatal(err)
					}
				}
				vcs := []string{"vc-a", "vc-b", "vc-c"}
				for _, vc := range vcs {
					for at := start; at.Before(now.Add(-10 * 24 * time.Hour)); at = at.Add(time.Hour) {
						if r.IntN(4) > 0 {
							write(vc, at, at)
						}
					}
				}
				p, err := vinventory.NewPipeline(st, set, nil, vinventory.WithClock(func() time.Time { return now }))
				if err != nil {
					t.Fatal(err)
				}
				if _, err := p.CatchUp(ctx, now); err != nil {
					t.Fatal(err)
				}
				// After the catch-up: later hours (never aggregated), and
				// backfilled hours in aggregated days.
				for _, vc := range vcs {
					for at := now.Add(-10 * 24 * time.Hour); at.Before(now); at = at.Add(time.Hour) {
						if r.IntN(2) == 0 {
							write(vc, at, at)
						}
					}
					for range 3 {
						at := start.Add(time.Duration(r.IntN(30*24)) * time.Hour)
						write(vc, at, now.Add(-time.Minute))
					}
				}
				due := func(st store.Store) (string, string) {
					t.Helper()
					p, err := vinventory.NewPipeline(st, set, nil, vinventory.WithClock(func() time.Time { return now }))
					if err != nil {
						t.Fatal(err)
					}
					dd, err := p.DueDays(ctx, now)
					if err != nil {
						t.Fatal(err)
					}
					dm, err := p.DueMonths(ctx, now)
					if err != nil {
						t.Fatal(err)
					}
					return dueString(dd), dueString(dm)
				}
				list := &listSpy{Store: st}
				wantDays, wantMonths := due(list)
				if list.wholeHourly == 0 {
					t.Fatal("the listing path did not list the hourly registry: the spy sees nothing")
				}
				counted := &listSpy{Store: st}
				gotDays, gotMonths := due(counterSpy{counted})
				if counted.wholeHourly != 0 {
					t.Errorf("with a store.SnapshotCounter, DueDays and DueMonths listed the hourly registry %d times", counted.wholeHourly)
				}
				if gotDays != wantDays || gotMonths != wantMonths {
					t.Errorf("counted due periods differ from listed ones:\ndays   %q\n  want %q\nmonths %q\n  want %q", gotDays, wantDays, gotMonths, wantMonths)
				}
				if wantDays == "" {
					t.Error("no day is due: the test's history is wrong")
				}
			})
		}
	}
}
