package sqlstore

import (
	"reflect"
	"testing"
	"testing/fstest"
	"time"

	"github.com/accessvault/vinventory/inventory"
)

func TestLoadMigrations(t *testing.T) {
	fsys := fstest.MapFS{
		"m/0002_more.sql": {Data: []byte("CREATE TABLE b (x int){{if .P}} PARTITIONED{{end}};")},
		"m/0001_init.sql": {Data: []byte("CREATE TABLE a (x int);")},
		"m/README":        {Data: []byte("ignored")},
	}
	migs, err := LoadMigrations(fsys, "m", map[string]any{"P": true})
	if err != nil {
		t.Fatal(err)
	}
	if len(migs) != 2 || migs[0].Version != 1 || migs[1].Version != 2 || migs[1].SQL != "CREATE TABLE b (x int) PARTITIONED;" || migs[0].Name != "init" {
		t.Fatalf("LoadMigrations = %+v", migs)
	}
	for name, f := range map[string]fstest.MapFS{
		"bad name":     {"m/init.sql": {Data: []byte("x")}},
		"duplicate":    {"m/0001_a.sql": {Data: []byte("x")}, "m/01_b.sql": {Data: []byte("y")}},
		"missing data": {"m/0001_a.sql": {Data: []byte("{{.Nope}}")}},
	} {
		if _, err := LoadMigrations(f, "m", map[string]any{}); err == nil {
			t.Errorf("%s: LoadMigrations succeeded", name)
		}
	}
}

func TestLikeEscape(t *testing.T) {
	if got := likeEscape(`inventory_hourly_%\x`); got != `inventory\_hourly\_\%\\x` {
		t.Fatalf("likeEscape = %q", got)
	}
}

type timeDialect struct{ Dialect }

func (timeDialect) Time(t time.Time) any { return t }

func TestBoundRoundsUp(t *testing.T) {
	c := New(Config{Dialect: timeDialect{}})
	base := time.Date(2026, 3, 14, 0, 0, 0, 0, time.UTC)
	for in, want := range map[time.Time]time.Time{
		base:                            base,
		base.Add(time.Nanosecond):       base.Add(time.Microsecond),
		base.Add(999 * time.Nanosecond): base.Add(time.Microsecond),
		base.Add(time.Microsecond):      base.Add(time.Microsecond),
	} {
		if got := c.bound(in).(time.Time); !got.Equal(want) {
			t.Errorf("bound(%v) = %v, want %v", in, got, want)
		}
	}
}

func TestRowsPerStatement(t *testing.T) {
	for _, c := range []struct{ batch, cols, max, want int }{
		{0, 21, 32766, 1000}, {100, 21, 32766, 100}, {10000, 21, 32766, 1560}, {10000, 21, 65535, 3120}, {5, 100000, 10, 1},
	} {
		if got := RowsPerStatement(c.batch, c.cols, c.max); got != c.want {
			t.Errorf("RowsPerStatement(%d, %d, %d) = %d, want %d", c.batch, c.cols, c.max, got, c.want)
		}
	}
}

type nilTimeDialect struct{ Dialect }

func (nilTimeDialect) Time(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// recorder is a ValueWriter keeping what it is given, as Row would append
// it (zero times and empty JSON as nil, JSON as a string).
type recorder struct {
	vals  []any
	kinds []ColKind
}

func (r *recorder) add(k ColKind, v any) { r.vals, r.kinds = append(r.vals, v), append(r.kinds, k) }
func (r *recorder) Text(s string)        { r.add(KindText, s) }
func (r *recorder) Int(v int64)          { r.add(KindInt, v) }
func (r *recorder) Float(v float64)      { r.add(KindFloat, v) }
func (r *recorder) Bool(v bool)          { r.add(KindBool, v) }
func (r *recorder) JSON(b []byte) {
	if b == nil {
		r.add(KindJSON, nil)
		return
	}
	r.add(KindJSON, string(b))
}
func (r *recorder) Time(t time.Time) {
	if t.IsZero() {
		r.add(KindTime, nil)
		return
	}
	r.add(KindTime, t)
}

// TestRollupEncodeMatchesRow: the typed encoder of rollup rows (pgstore's
// COPY) writes the same values, in the same column order and with the
// columns' kinds, as the Row function (the multi-row INSERT path).
func TestRollupEncodeMatchesRow(t *testing.T) {
	c := New(Config{Dialect: nilTimeDialect{}})
	at := time.Date(2026, 9, 1, 3, 4, 5, 678901234, time.FixedZone("x", 3600))
	r := inventory.Rollup{
		Vcenter: "vc\t1", VMKey: "k", VMID: "vm-1", VMUUID: "u", Name: `=HYPERLINK("x")`, Datacenter: "dc", Cluster: "cl",
		Host: "h", ResourcePool: "rp", Folder: "f", PowerState: "poweredOn", GuestOS: "g", IsTemplate: true,
		TotalSamples: 24, SamplesPresent: 23, AvgIsPresent: 23.0 / 24, SamplesPoweredOn: 22, AvgPoweredOn: 22.0 / 24,
		AvgVCPUCount: 1.5, AvgRAMGB: 2.5, AvgProvisionedDiskGB: 3.5, AvgUsedDiskGB: 4.5, PoolTinPct: 5.5,
		PoolBronzePct: 6.5, PoolSilverPct: 7.5, PoolGoldPct: 8.5, FirstSeen: at, LastSeen: at.Add(time.Hour),
		CreationTime: at.Add(-time.Hour), Attributes: map[string]string{`k"e.y`: "=1+1", "tag:env": "<b>prod</b> ✓"},
	}
	day := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	for _, monthly := range []bool{false, true} {
		if monthly {
			r.Attributes = nil // NULL both ways
		}
		rows := []inventory.DailyRollup{{Day: day, Rollup: r}}
		mrows := []inventory.MonthlyRollup{{Month: day, Rollup: r, DaysPresent: 17}}
		src, cols := dailySource(c, rows, day, 0), DailyColumns
		if monthly {
			src, cols = monthlySource(c, mrows, day, 0), MonthlyColumns
		}
		want := src.Row(0, nil)
		for i, v := range want {
			if n, ok := v.(int); ok {
				want[i] = int64(n)
			}
		}
		var got recorder
		src.Encode(0, &got)
		if len(got.vals) != len(cols) || len(want) != len(cols) {
			t.Fatalf("monthly=%v: Encode wrote %d values, Row %d, want %d", monthly, len(got.vals), len(want), len(cols))
		}
		for i, col := range cols {
			if got.kinds[i] != col.Kind {
				t.Errorf("monthly=%v: column %s written as kind %d, want %d", monthly, col.Name, got.kinds[i], col.Kind)
			}
			if !reflect.DeepEqual(got.vals[i], want[i]) {
				t.Errorf("monthly=%v: column %s: Encode %#v, Row %#v", monthly, col.Name, got.vals[i], want[i])
			}
		}
	}
}
