package sqlstore

import (
	"testing"
	"testing/fstest"
	"time"
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
