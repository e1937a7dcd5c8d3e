package sqlitestore

import (
	"context"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/accessvault/vinventory/store/storetest"
)

// The search columns migration 9 fills for rows stored before it are the
// ones the writer stores: SQLite's lower() folds exactly what
// driver.FoldASCII folds, hostile strings and attributes included.
func TestSearchColumnsBackfill(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, filepath.Join(t.TempDir(), "q.db"), Options{AutoMigrate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	p := storetest.Snapshot("vc-ÄB'c", time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC), 60, 1)
	hostile := append(storetest.HostileStrings(), "ÄBC", "Straße", "İSTANBUL", "ǅ", "K") // K: the Kelvin sign
	for i := range p.State.VMs {
		v := &p.State.VMs[i]
		v.Name, v.GuestOS = hostile[i%len(hostile)], strings.ToUpper(hostile[(i+7)%len(hostile)])
		v.UUID, v.IPAddress = strings.ToUpper(v.UUID), hostile[(i+3)%len(hostile)]
		v.Attributes = map[string]string{hostile[(i+1)%len(hostile)]: hostile[(i+2)%len(hostile)], "Tag:ENV": "PROD"}
	}
	p.Samples = nil
	if _, err := st.WriteSnapshot(ctx, p); err != nil {
		t.Fatal(err)
	}
	read := func() map[string]string {
		rows, err := st.d.wdb.QueryContext(ctx, "SELECT vm_id, search_key || '|' || search_os || '|' || search_tags FROM inv_vms")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		out := map[string]string{}
		for rows.Next() {
			var id, s string
			if err := rows.Scan(&id, &s); err != nil {
				t.Fatal(err)
			}
			out[id] = s
		}
		return out
	}
	written := read()
	mig, err := fs.ReadFile(migrationsFS, "migrations/0009_query.sql")
	if err != nil {
		t.Fatal(err)
	}
	update := string(mig)[strings.Index(string(mig), "UPDATE inv_vms SET"):]
	update = update[:strings.Index(update, ";")]
	if _, err := st.d.wdb.ExecContext(ctx, "UPDATE inv_vms SET search_key = '', search_os = '', search_tags = ''"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.d.wdb.ExecContext(ctx, update); err != nil {
		t.Fatal(err)
	}
	filled := read()
	if len(written) != 60 {
		t.Fatalf("%d VMs stored, want 60", len(written))
	}
	for id, w := range written {
		if filled[id] != w {
			t.Errorf("VM %s: the migration fills %q, the writer stored %q", id, filled[id], w)
		}
	}
}
