package pgstore

import "testing"

func TestRebind(t *testing.T) {
	for in, want := range map[string]string{
		"SELECT 1":                            "SELECT 1",
		"a = ? AND b IN (?, ?)":               "a = $1 AND b IN ($2, $3)",
		"INSERT INTO t VALUES (?, ?), (?, ?)": "INSERT INTO t VALUES ($1, $2), ($3, $4)",
	} {
		if got := rebind(in); got != want {
			t.Errorf("rebind(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestQuoting(t *testing.T) {
	d := &dialect{schema: `we"ird`}
	if got := d.Table("vm_hourly_stats"); got != `"we""ird"."vm_hourly_stats"` {
		t.Fatalf("Table = %s", got)
	}
	if got := quoteLiteral("it's"); got != `'it''s'` {
		t.Fatalf("quoteLiteral = %s", got)
	}
}
