package aggbench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
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
					for _, k := range []string{"op", "mode", "backend", "vms", "rows", "seconds"} {
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
