package aggbench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

func TestRunSmall(t *testing.T) {
	backends := []Config{{Store: "sqlite"}}
	if dsn := os.Getenv("VINVENTORY_TEST_PG_DSN"); dsn != "" {
		backends = append(backends, Config{Store: "postgres", DSN: dsn, Schema: "aggbench_test"})
	}
	for _, cfg := range backends {
		t.Run(cfg.Store, func(t *testing.T) {
			var out bytes.Buffer
			cfg.VMs, cfg.Days, cfg.Repeat, cfg.Out = 150, 3, 1, &out
			cfg.Modes = []string{"go", "sql", "legacy", "hourly", "read_bound"}
			cfg.FullMonthHourly = true
			rs, err := Run(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			if len(rs) != 9 {
				t.Fatalf("%d results, want 4 daily + 5 monthly", len(rs))
			}
			byKey := map[string]Result{}
			for _, r := range rs {
				byKey[r.Op+"/"+r.Mode] = r
				if r.Rows <= 0 || r.Seconds <= 0 || r.Backend != cfg.Store || r.VMs != 150 {
					t.Errorf("implausible result %+v", r)
				}
			}
			// Day 0 has at least 150 VMs × 24 samples; every mode writes
			// one row per VM present.
			if d := byKey["daily/read_bound"]; d.Rows < 150*24 {
				t.Errorf("daily input %d rows, want >= %d", d.Rows, 150*24)
			}
			for _, op := range []string{"daily", "monthly"} {
				g := byKey[op+"/go"]
				for _, m := range []string{"sql", "legacy", "hourly"} {
					if r, ok := byKey[op+"/"+m]; ok && r.OutRows != g.OutRows {
						t.Errorf("%s/%s wrote %d rows, go wrote %d", op, m, r.OutRows, g.OutRows)
					}
				}
				if g.OutRows < 150 {
					t.Errorf("%s/go wrote %d rows, want >= 150", op, g.OutRows)
				}
			}
			// The table, then one JSON object per line.
			sc := bufio.NewScanner(&out)
			var jsonLines int
			for sc.Scan() {
				line := sc.Text()
				if strings.HasPrefix(line, "{") {
					var m map[string]any
					if err := json.Unmarshal([]byte(line), &m); err != nil {
						t.Fatalf("bad JSON line %q: %v", line, err)
					}
					for _, k := range []string{"op", "mode", "backend", "vms", "rows", "seconds", "rerun"} {
						if _, ok := m[k]; !ok {
							t.Fatalf("JSON line %q lacks %s", line, k)
						}
					}
					jsonLines++
				}
			}
			if jsonLines != len(rs) {
				t.Fatalf("%d JSON lines, want %d", jsonLines, len(rs))
			}
		})
	}
}

func TestConfigErrors(t *testing.T) {
	for _, cfg := range []Config{{Store: "mysql"}, {Store: "postgres"}, {VMs: -1}, {Modes: []string{"fast"}}, {Repeat: -2}} {
		if _, err := Run(context.Background(), cfg); err == nil {
			t.Errorf("%+v: no error", cfg)
		}
	}
}

// TestUnaggregate checks what makes a timed run a first run: the period's
// rollup rows and summary table are gone, the month's daily input (for
// monthly) is not, and the next aggregation writes them all again.
func TestUnaggregate(t *testing.T) {
	ctx := context.Background()
	cfgs := []Config{{Store: "sqlite"}}
	if dsn := os.Getenv("VINVENTORY_TEST_PG_DSN"); dsn != "" {
		cfgs = append(cfgs, Config{Store: "postgres", DSN: dsn, Schema: "aggbench_unagg"})
	}
	for _, cfg := range cfgs {
		t.Run(cfg.Store, func(t *testing.T) {
			cfg.VMs, cfg.Days = 40, 2
			if err := cfg.defaults(); err != nil {
				t.Fatal(err)
			}
			st, be, err := open(ctx, &cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer be.close()
			if err := Generate(ctx, st, &cfg); err != nil {
				t.Fatal(err)
			}
			if _, _, err := once(ctx, st, "monthly", "go"); err != nil {
				t.Fatal(err)
			}
			count := func() (daily, day0, monthly int, tables map[string]bool) {
				t.Helper()
				if err := st.ScanDailyRollups(ctx, &store.ScanRollupsParams{Vcenter: vcenter}, func(d *inventory.DailyRollup) error {
					daily++
					if d.Day.Equal(Day0) {
						day0++
					}
					return nil
				}); err != nil {
					t.Fatal(err)
				}
				if err := st.ScanMonthlyRollups(ctx, &store.ScanRollupsParams{Vcenter: vcenter}, func(*inventory.MonthlyRollup) error {
					monthly++
					return nil
				}); err != nil {
					t.Fatal(err)
				}
				names, err := st.(store.CompatTables).ListCompatTables(ctx, &store.ListCompatTablesParams{})
				if err != nil {
					t.Fatal(err)
				}
				tables = map[string]bool{}
				for _, n := range names {
					tables[n.Name] = true
				}
				return daily, day0, monthly, tables
			}
			daily, day0, monthly, tables := count()
			dayTable, monthTable := inventory.DailyTableName(Day0), inventory.MonthlyTableName(Month)
			if day0 < 40 || monthly < 40 || !tables[dayTable] || !tables[monthTable] {
				t.Fatalf("before: %d day-0 rows, %d monthly rows, tables %v", day0, monthly, tables)
			}
			if err := unaggregate(ctx, st, be, "daily"); err != nil {
				t.Fatal(err)
			}
			d2, z, m2, tb := count()
			if z != 0 || d2 != daily-day0 || tb[dayTable] || m2 != monthly || !tb[monthTable] {
				t.Fatalf("after daily: %d daily (%d on day 0, want %d and 0), %d monthly, tables %v", d2, z, daily-day0, m2, tb)
			}
			if _, out, err := once(ctx, st, "daily", "go"); err != nil || out != day0 {
				t.Fatalf("daily re-aggregation wrote %d rows (%v), want %d", out, err, day0)
			}
			if err := unaggregate(ctx, st, be, "monthly"); err != nil {
				t.Fatal(err)
			}
			d3, _, m3, tb := count()
			if d3 != daily || m3 != 0 || tb[monthTable] || !tb[dayTable] {
				t.Fatalf("after monthly: %d daily (want %d), %d monthly, tables %v", d3, daily, m3, tb)
			}
		})
	}
}
