package aggregate

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/accessvault/vinventory/internal/testbackends"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

// Golden cases live in testdata/daily/*.json and testdata/monthly/*.json:
// the input (samples or daily rows, registered snapshots or day totals,
// lifecycle rows) and the expected rows, each case with the hand
// computation of its expected values in "notes". Every case runs through
// the pure builder and, unless builder_only, through Daily/Monthly in
// every mode on every backend.
//
// go test ./aggregate -run Golden -update rewrites the expected rows from
// the Go builder's output; check the diff against the notes by hand
// before committing it.
var update = flag.Bool("update", false, "rewrite the expected rows of testdata golden files from the Go builders")

type goldenCase struct {
	Name  string   `json:"name"`
	Notes []string `json:"notes"`
	// Location cuts the period ("UTC" when empty).
	Location string `json:"location,omitempty"`
	// Period is any instant in the day or month.
	Period  time.Time `json:"period"`
	Vcenter string    `json:"vcenter"`
	// Daily: registered hourly snapshots (of Vcenter) and samples.
	Snapshots []time.Time         `json:"snapshots,omitempty"`
	Samples   []*inventory.Sample `json:"samples,omitempty"`
	// Monthly: total_samples per day (registered snapshots of that day,
	// as hourly records at day+0h, +1h, ...) and the daily rows.
	DayTotals map[string]int          `json:"day_totals,omitempty"`
	DailyRows []inventory.DailyRollup `json:"daily_rows,omitempty"`

	Lifecycles []inventory.Lifecycle `json:"lifecycles,omitempty"`
	// BuilderOnly cases cannot be stored as given (two samples with one
	// key at one time) and run through the builder only.
	BuilderOnly bool `json:"builder_only,omitempty"`

	WantTotal   int                       `json:"want_total_samples"`
	WantIgnored int                       `json:"want_ignored"`
	WantDaily   []inventory.DailyRollup   `json:"want_daily,omitempty"`
	WantMonthly []inventory.MonthlyRollup `json:"want_monthly,omitempty"`
}

func (c *goldenCase) loc(t *testing.T) *time.Location {
	if c.Location == "" {
		return time.UTC
	}
	l, err := time.LoadLocation(c.Location)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func (c *goldenCase) lifecycleMap() map[string]inventory.Lifecycle {
	if len(c.Lifecycles) == 0 {
		return nil
	}
	m := map[string]inventory.Lifecycle{}
	for _, l := range c.Lifecycles {
		m[l.VMID] = l
	}
	return m
}

func loadGolden(t *testing.T, kind string) (map[string]*goldenCase, []string) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", kind, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no golden files in testdata/%s", kind)
	}
	cases := map[string]*goldenCase{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var c goldenCase
		dec := json.NewDecoder(strings.NewReader(string(b)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&c); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		cases[f] = &c
	}
	sort.Strings(files)
	return cases, files
}

func writeGolden(t *testing.T, file string, c *goldenCase) {
	t.Helper()
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}

func (c *goldenCase) dailyBuilder(t *testing.T, reversed bool) *DailyBuilder {
	loc := c.loc(t)
	b := NewDaily(DailyInput{Vcenter: c.Vcenter, Day: inventory.DayOf(c.Period, loc), SnapshotTimes: c.Snapshots,
		Tiers: inventory.DefaultTierMap(), Lifecycles: c.lifecycleMap()})
	for i := range c.Samples {
		j := i
		if reversed {
			j = len(c.Samples) - 1 - i
		}
		b.Add(c.Samples[j])
	}
	return b
}

func (c *goldenCase) dayTotals(t *testing.T) map[time.Time]int {
	out := map[time.Time]int{}
	for k, n := range c.DayTotals {
		d, err := time.Parse(time.RFC3339, k)
		if err != nil {
			t.Fatalf("day_totals key %q: %v", k, err)
		}
		out[d] = n
	}
	return out
}

func (c *goldenCase) monthlyBuilder(t *testing.T) *MonthlyBuilder {
	b := NewMonthly(MonthlyInput{Vcenter: c.Vcenter, Month: inventory.MonthOf(c.Period, c.loc(t)), Lifecycles: c.lifecycleMap()})
	for d, n := range c.dayTotals(t) {
		b.AddDayTotal(d, n)
	}
	for i := range c.DailyRows {
		b.Add(&c.DailyRows[i])
	}
	return b
}

// TestGoldenDailyBuilder runs the daily golden cases through the pure
// builder, in input order and reversed.
func TestGoldenDailyBuilder(t *testing.T) {
	cases, files := loadGolden(t, "daily")
	for _, f := range files {
		c := cases[f]
		t.Run(c.Name, func(t *testing.T) {
			b := c.dailyBuilder(t, false)
			got := b.Rows()
			if *update {
				c.WantDaily, c.WantTotal, c.WantIgnored = got, b.TotalSamples(), b.Ignored()
				writeGolden(t, f, c)
				return
			}
			if diff := cmp.Diff(c.WantDaily, got, floatTol(), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("rows (-want +got):\n%s", diff)
			}
			if b.TotalSamples() != c.WantTotal {
				t.Errorf("TotalSamples = %d, want %d", b.TotalSamples(), c.WantTotal)
			}
			if b.Ignored() != c.WantIgnored {
				t.Errorf("Ignored = %d, want %d", b.Ignored(), c.WantIgnored)
			}
			// Order independence (duplicates aside: the first added wins).
			if c.WantIgnored == 0 {
				if diff := cmp.Diff(got, c.dailyBuilder(t, true).Rows(), floatTol()); diff != "" {
					t.Errorf("reversed order differs (-fwd +rev):\n%s", diff)
				}
			}
			for _, row := range got {
				for _, tm := range []time.Time{row.Day, row.FirstSeen, row.LastSeen, row.CreationTime, row.DeletionTime} {
					if !tm.IsZero() && tm.Location() != time.UTC {
						t.Errorf("%s: time %v not UTC", row.VMKey, tm)
					}
				}
			}
		})
	}
}

// TestGoldenMonthlyBuilder runs the monthly golden cases through the pure
// builder.
func TestGoldenMonthlyBuilder(t *testing.T) {
	cases, files := loadGolden(t, "monthly")
	for _, f := range files {
		c := cases[f]
		t.Run(c.Name, func(t *testing.T) {
			b := c.monthlyBuilder(t)
			if *update {
				c.WantMonthly, c.WantTotal, c.WantIgnored = b.Rows(), b.TotalSamples(), b.Ignored()
				writeGolden(t, f, c)
				return
			}
			if diff := cmp.Diff(c.WantMonthly, b.Rows(), floatTol()); diff != "" {
				t.Errorf("rows (-want +got):\n%s", diff)
			}
			if b.TotalSamples() != c.WantTotal {
				t.Errorf("TotalSamples = %d, want %d", b.TotalSamples(), c.WantTotal)
			}
			if b.Ignored() != c.WantIgnored {
				t.Errorf("Ignored = %d, want %d", b.Ignored(), c.WantIgnored)
			}
		})
	}
}

var goldenModes = []Mode{ModeGo, ModeSQL, ModeLegacy}

// skipMode reports whether mode cannot run on st, after checking that
// asking for it fails with store.ErrUnsupported.
func skipMode(t *testing.T, st store.Store, mode Mode, err error) bool {
	t.Helper()
	if mode == ModeSQL && !implements[store.SQLAggregator](st) {
		if !errors.Is(err, store.ErrUnsupported) {
			t.Fatalf("ModeSQL on %s: err = %v, want ErrUnsupported", st.Capabilities().Backend, err)
		}
		return true
	}
	return false
}

func (c *goldenCase) storeLifecycles(t *testing.T, ctx context.Context, st store.Store) {
	t.Helper()
	if len(c.Lifecycles) == 0 {
		return
	}
	lcs := make([]inventory.Lifecycle, len(c.Lifecycles))
	for i, l := range c.Lifecycles {
		l.Vcenter = c.Vcenter
		if l.CreationSource == "" {
			l.CreationSource = inventory.SourceNone
			if !l.CreationTime.IsZero() {
				l.CreationSource = inventory.SourceEvent
			}
		}
		if l.Deleted && l.DeletionSource == "" {
			l.DeletionSource = inventory.SourceAbsence
		}
		if l.FirstSeen.IsZero() {
			l.FirstSeen = l.LastSeen
		}
		lcs[i] = l
	}
	if err := st.ApplyReconcile(ctx, &store.ApplyReconcileParams{Vcenter: c.Vcenter, SnapshotTime: c.Period, Lifecycles: lcs}); err != nil {
		t.Fatal(err)
	}
}

// TestGoldenDailyStores writes each daily case into every backend (samples
// into vm_hourly_stats and inventory_hourly_* tables, registered
// snapshots, lifecycle rows) and runs Daily in every mode.
func TestGoldenDailyStores(t *testing.T) {
	if *update {
		t.Skip("-update")
	}
	cases, files := loadGolden(t, "daily")
	for _, f := range files {
		c := cases[f]
		if c.BuilderOnly {
			continue
		}
		t.Run(c.Name, func(t *testing.T) {
			testbackends.ForEach(t, func(t *testing.T, st store.Store) {
				ctx := context.Background()
				byTime := map[time.Time][]inventory.Sample{}
				var all []inventory.Sample
				for _, s := range c.Samples {
					all = append(all, *s)
					byTime[s.SnapshotTime.UTC()] = append(byTime[s.SnapshotTime.UTC()], *s)
				}
				if len(all) > 0 {
					if err := st.WriteSamples(ctx, &store.WriteSamplesParams{Samples: all}); err != nil {
						t.Fatal(err)
					}
				}
				for at, ss := range byTime {
					byVC := map[string][]inventory.Sample{}
					for _, s := range ss {
						byVC[s.Vcenter] = append(byVC[s.Vcenter], s)
					}
					for vc, x := range byVC {
						if err := st.(store.CompatTables).WriteCompatHourly(ctx, &store.WriteCompatHourlyParams{Vcenter: vc, SnapshotTime: at, Samples: x}); err != nil {
							t.Fatal(err)
						}
					}
				}
				for _, at := range c.Snapshots {
					if err := st.RegisterSnapshot(ctx, &store.RegisterSnapshotParams{Record: inventory.SnapshotRecord{
						Vcenter: c.Vcenter, Kind: inventory.Hourly, SnapshotTime: at, RegisteredAt: at}}); err != nil {
						t.Fatal(err)
					}
				}
				c.storeLifecycles(t, ctx, st)
				win := inventory.DayOf(c.Period, c.loc(t))
				for _, mode := range goldenModes {
					_, err := Daily(ctx, st, c.Period, Options{Location: c.loc(t), Vcenters: []string{c.Vcenter}, Mode: mode})
					if skipMode(t, st, mode, err) {
						continue
					}
					if err != nil {
						t.Fatalf("%s: %v", mode, err)
					}
					var got []inventory.DailyRollup
					if err := st.ScanDailyRollups(ctx, &store.ScanRollupsParams{Vcenter: c.Vcenter, From: win.Start, To: win.End}, func(d *inventory.DailyRollup) error {
						got = append(got, *d)
						return nil
					}); err != nil {
						t.Fatal(err)
					}
					want := c.WantDaily
					if len(want) == 0 {
						want = nil
					}
					if diff := cmp.Diff(want, got, floatTol(), cmpopts.EquateEmpty()); diff != "" {
						t.Errorf("mode %s rows (-want +got):\n%s", mode, diff)
					}
					if c.WantTotal > 0 {
						recs, err := st.ListSnapshots(ctx, &store.ListSnapshotsParams{Vcenter: c.Vcenter, Kind: inventory.Daily})
						if err != nil {
							t.Fatal(err)
						}
						if len(recs) != 1 || !recs[0].SnapshotTime.Equal(win.Start) || recs[0].RowCount != len(c.WantDaily) {
							t.Errorf("mode %s: daily registry %+v, want one record of %d rows at %v", mode, recs, len(c.WantDaily), win.Start)
						}
					}
				}
			})
		})
	}
}

// TestGoldenMonthlyStores writes each monthly case's daily rows (and
// their summary tables), registered snapshots per day and lifecycle rows
// into every backend and runs Monthly in every mode.
func TestGoldenMonthlyStores(t *testing.T) {
	if *update {
		t.Skip("-update")
	}
	cases, files := loadGolden(t, "monthly")
	for _, f := range files {
		c := cases[f]
		if c.BuilderOnly {
			continue
		}
		t.Run(c.Name, func(t *testing.T) {
			testbackends.ForEach(t, func(t *testing.T, st store.Store) {
				ctx := context.Background()
				byDay := map[time.Time][]inventory.DailyRollup{}
				for _, r := range c.DailyRows {
					byDay[r.Day] = append(byDay[r.Day], r)
				}
				for day, rows := range byDay {
					if err := st.WriteDailyRollups(ctx, &store.WriteDailyRollupsParams{Vcenter: c.Vcenter, Day: day, Rows: rows, Compat: true}); err != nil {
						t.Fatal(err)
					}
				}
				for day, n := range c.dayTotals(t) {
					for h := 0; h < n; h++ {
						at := day.Add(time.Duration(h) * time.Hour)
						if err := st.RegisterSnapshot(ctx, &store.RegisterSnapshotParams{Record: inventory.SnapshotRecord{
							Vcenter: c.Vcenter, Kind: inventory.Hourly, SnapshotTime: at, RegisteredAt: at}}); err != nil {
							t.Fatal(err)
						}
					}
				}
				c.storeLifecycles(t, ctx, st)
				for _, mode := range goldenModes {
					_, err := Monthly(ctx, st, c.Period, Options{Location: c.loc(t), Vcenters: []string{c.Vcenter}, Mode: mode})
					if skipMode(t, st, mode, err) {
						continue
					}
					if err != nil {
						t.Fatalf("%s: %v", mode, err)
					}
					var got []inventory.MonthlyRollup
					if err := st.ScanMonthlyRollups(ctx, &store.ScanRollupsParams{Vcenter: c.Vcenter}, func(d *inventory.MonthlyRollup) error {
						got = append(got, *d)
						return nil
					}); err != nil {
						t.Fatal(err)
					}
					want := c.WantMonthly
					if mode == ModeLegacy {
						want = withoutAttributes(want)
					}
					if diff := cmp.Diff(want, got, floatTol()); diff != "" {
						t.Errorf("mode %s rows (-want +got):\n%s", mode, diff)
					}
				}
			})
		})
	}
}

// withoutAttributes returns monthly rows as ModeLegacy computes them from
// the daily summary tables, which have no attributes column
// (store.CompatTables): with nil Attributes.
func withoutAttributes(rows []inventory.MonthlyRollup) []inventory.MonthlyRollup {
	out := slices.Clone(rows)
	for i := range out {
		out[i].Attributes = nil
	}
	return out
}

// implements reports whether st implements the optional store interface T.
func implements[T any](st store.Store) bool {
	_, ok := st.(T)
	return ok
}
