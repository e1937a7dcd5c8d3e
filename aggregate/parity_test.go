package aggregate_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/accessvault/vinventory/aggregate"
	"github.com/accessvault/vinventory/internal/testbackends"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/storetest"
)

// randomHistory writes days of hourly snapshots of two vCenters with
// random churn, resizes, pool moves, power changes, missing creation
// times, samples without vm_id (joined by uuid or name), attributes and
// tags that change during the day (see parityAttributes), a snapshot with
// no VMs and a registered snapshot missing from the second vCenter, plus
// lifecycle rows (some deleted).
func randomHistory(t *testing.T, st store.Store, seed int64, start time.Time, days int) {
	t.Helper()
	ctx := context.Background()
	rng := rand.New(rand.NewSource(seed))
	pools := []string{"Resources/Tin", "Resources/bronze", "rp/SILVER", "Gold", "Resources", "Resources/Gold/child", ""}
	type vm struct {
		id, uuid, name string
		born, died     int // hours
		vcpu           int
		ram            int64
		pool           int
		creation       time.Time
		noID, noUUID   bool
	}
	hoursN := days * 24
	for _, vc := range []string{"vc-a", "vc-b"} {
		var vms []*vm
		for i := 0; i < 25; i++ {
			v := &vm{id: fmt.Sprintf("vm-%d", 100+i), uuid: fmt.Sprintf("4200-%s-%d", vc, i), name: fmt.Sprintf("%s-app-%02d", vc, i),
				born: rng.Intn(hoursN) - hoursN/2, died: hoursN + 10, vcpu: 1 + rng.Intn(8), ram: int64(512 * (1 + rng.Intn(16))), pool: rng.Intn(len(pools))}
			if rng.Intn(3) == 0 {
				v.died = v.born + 1 + rng.Intn(hoursN)
			}
			if rng.Intn(3) > 0 {
				v.creation = start.Add(-time.Duration(rng.Intn(1000)) * time.Hour)
			}
			switch i {
			case 3:
				v.noID = true // joins by uuid
			case 4:
				v.noID, v.noUUID = true, true // joins by name
			}
			if i == 5 || i == 6 {
				v.born, v.died = 0, hoursN+10 // present every day, id-less on some (below)
			}
			vms = append(vms, v)
		}
		var lcs []inventory.Lifecycle
		for h := 0; h < hoursN; h++ {
			s := start.Add(time.Duration(h) * time.Hour)
			var samples []inventory.Sample
			if !(vc == "vc-a" && h == 5) { // an empty snapshot
				for _, v := range vms {
					if h < v.born || h >= v.died || rng.Intn(10) == 0 {
						continue
					}
					if rng.Intn(12) == 0 {
						v.vcpu = 1 + rng.Intn(8)
					}
					if rng.Intn(12) == 0 {
						v.ram = int64(512 * (1 + rng.Intn(16)))
					}
					if rng.Intn(10) == 0 {
						v.pool = rng.Intn(len(pools))
					}
					x := inventory.Sample{Vcenter: vc, SnapshotTime: s, VMID: v.id, VMUUID: v.uuid, Name: v.name,
						Datacenter: "DC", Cluster: "C1", Host: fmt.Sprintf("esx-%d", rng.Intn(3)), ResourcePool: pools[v.pool],
						Folder: "vm", PowerState: []inventory.PowerState{inventory.PoweredOn, inventory.PoweredOff, inventory.Suspended}[rng.Intn(3)],
						IsTemplate: v.id == "vm-107", VCPUCount: v.vcpu, RAMMB: v.ram, ProvisionedDiskGB: float64(rng.Intn(5000)) / 7,
						UsedDiskGB: float64(rng.Intn(3000)) / 3, GuestOS: "linux", IPAddress: "10.0.0.1", CreationTime: v.creation}
					x.Attributes = parityAttributes(v.id, h)
					if v.noID {
						x.VMID = ""
					}
					if v.noUUID {
						x.VMUUID = ""
					}
					// Imported rows without a vm_id (uuid-only on odd days,
					// name-only on the second day's late hours) resolve over
					// the history to the VM with a vm_id (SEMANTICS §2).
					if v.id == "vm-105" && (h/24)%2 == 1 {
						x.VMID = ""
					}
					if v.id == "vm-106" && h/24 == 1 && h%24 >= 12 {
						x.VMID, x.VMUUID = "", ""
					}
					samples = append(samples, x)
				}
			}
			if vc == "vc-b" && h%24 == 7 {
				continue // not captured: no sample, no registry record
			}
			if _, err := st.WriteSnapshot(ctx, &store.WriteSnapshotParams{Vcenter: vc, SnapshotTime: s, Samples: samples,
				Totals: inventory.ComputeTotals(vc, s, samples, nil), Compat: true, RegisteredAt: start}); err != nil {
				t.Fatal(err)
			}
		}
		for _, v := range vms {
			if v.noID || v.born >= hoursN || v.died <= 0 {
				continue
			}
			first := max(v.born, 0)
			last := min(v.died, hoursN) - 1
			l := inventory.Lifecycle{Vcenter: vc, VMID: v.id, VMUUID: v.uuid, Name: v.name,
				FirstSeen: start.Add(time.Duration(first) * time.Hour), LastSeen: start.Add(time.Duration(last) * time.Hour),
				CreationSource: inventory.SourceNone}
			if rng.Intn(2) == 0 {
				l.CreationTime, l.CreationSource = start.Add(-time.Duration(rng.Intn(5000))*time.Minute), inventory.SourceEvent
			}
			if v.died < hoursN {
				l.Deleted, l.DeletionTime, l.DeletionSource = true, start.Add(time.Duration(v.died)*time.Hour), inventory.SourceAbsence
			}
			lcs = append(lcs, l)
		}
		if err := st.ApplyReconcile(ctx, &store.ApplyReconcileParams{Vcenter: vc, SnapshotTime: start.Add(time.Duration(hoursN) * time.Hour),
			Lifecycles: lcs}); err != nil {
			t.Fatal(err)
		}
	}
}

// parityAttributes are the attributes of VM id at hour h of randomHistory,
// drawn without its random source: vm-100, vm-110, ... have none; the
// others' tag:env changes every five hours, a hostile tag (a key with a
// quote and a dot, a formula, HTML) comes and goes, and at some hours a
// VM has none at all, so a day's (a month's) attributes are those of its
// latest present sample (last day present), never a merge.
func parityAttributes(id string, h int) map[string]string {
	var n int
	fmt.Sscanf(id, "vm-%d", &n)
	if n%10 == 0 || (h+n)%11 == 4 {
		return nil
	}
	m := map[string]string{"tag:env": []string{"prod", "dev", "test"}[(h/5+n)%3], "owner": fmt.Sprint("team-", n%4)}
	if (h+n)%6 < 2 {
		m[`tag:k"e.y`] = `=1+1 <script>alert("x")</script> ✓`
	}
	return m
}

func dailyRows(t *testing.T, st store.Store, from, to time.Time) []inventory.DailyRollup {
	t.Helper()
	var out []inventory.DailyRollup
	if err := st.ScanDailyRollups(context.Background(), &store.ScanRollupsParams{From: from, To: to}, func(d *inventory.DailyRollup) error {
		out = append(out, *d)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func monthlyRows(t *testing.T, st store.Store) []inventory.MonthlyRollup {
	t.Helper()
	var out []inventory.MonthlyRollup
	if err := st.ScanMonthlyRollups(context.Background(), &store.ScanRollupsParams{}, func(d *inventory.MonthlyRollup) error {
		out = append(out, *d)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// someAttributes reports whether a row has attributes (attrs reads them):
// the comparisons would pass on rows without any.
func someAttributes[T any](rows []T, attrs func(*T) map[string]string) bool {
	for i := range rows {
		if len(attrs(&rows[i])) > 0 {
			return true
		}
	}
	return false
}

var allModes = []aggregate.Mode{aggregate.ModeGo, aggregate.ModeSQL, aggregate.ModeLegacy}

// runDays aggregates days [start, start+days) in mode.
func runDays(t *testing.T, st store.Store, start time.Time, days int, opts aggregate.Options) error {
	t.Helper()
	for d := 0; d < days; d++ {
		if _, err := aggregate.Daily(context.Background(), st, start.AddDate(0, 0, d), opts); err != nil {
			return err
		}
	}
	return nil
}

// TestModesAgree: on random data the go, sql and legacy daily paths write
// the same rows, every monthly mode and granularity writes the same rows,
// re-runs change nothing, and every backend gives the same rows.
func TestModesAgree(t *testing.T) {
	approx := cmpopts.EquateApprox(1e-9, 0)
	for _, loc := range []string{"UTC", "America/New_York"} {
		l, err := time.LoadLocation(loc)
		if err != nil {
			t.Fatal(err)
		}
		// Month end + month start around the US DST change of 2026-11-01.
		start := time.Date(2026, 10, 30, 0, 0, 0, 0, l)
		const days = 4
		var perBackendDaily [][]inventory.DailyRollup
		var perBackendMonthly [][]inventory.MonthlyRollup
		t.Run(loc, func(t *testing.T) {
			testbackends.ForEach(t, func(t *testing.T, st store.Store) {
				ctx := context.Background()
				randomHistory(t, st, 42, start, days)
				from, to := start, start.AddDate(0, 0, days)
				var ref []inventory.DailyRollup
				var refMonthly []inventory.MonthlyRollup
				for _, mode := range allModes {
					opts := aggregate.Options{Location: l, Mode: mode, Clock: func() time.Time { return start.AddDate(0, 2, 0) }}
					err := runDays(t, st, start, days, opts)
					if mode == aggregate.ModeSQL && !implements[store.SQLAggregator](st) {
						if !errors.Is(err, store.ErrUnsupported) {
							t.Fatalf("ModeSQL on %s: err = %v, want ErrUnsupported", st.Capabilities().Backend, err)
						}
						continue
					}
					if err != nil {
						t.Fatalf("%s: %v", mode, err)
					}
					got := dailyRows(t, st, from, to)
					if len(got) == 0 {
						t.Fatal("no daily rows")
					}
					if ref == nil {
						ref = got
						if !someAttributes(got, func(r *inventory.DailyRollup) map[string]string { return r.Attributes }) {
							t.Fatal("no daily row has attributes")
						}
					} else if d := cmp.Diff(ref, got, approx); d != "" {
						t.Fatalf("daily rows of mode %s differ from go (-go +%s):\n%s", mode, mode, d)
					}
					// Monthly, both months touched, every granularity.
					for _, g := range []inventory.Granularity{inventory.Daily, inventory.Hourly} {
						mo := opts
						mo.MonthlyGranularity = g
						before := storetest.Dump(t, st)
						for _, m := range []time.Time{start, start.AddDate(0, 0, days-1)} {
							_, err := aggregate.Monthly(ctx, st, m, mo)
							if mode == aggregate.ModeSQL && g == inventory.Hourly {
								if !errors.Is(err, store.ErrUnsupported) {
									t.Fatalf("sql+hourly: err = %v, want ErrUnsupported", err)
								}
								continue
							}
							if err != nil {
								t.Fatalf("monthly %s/%s: %v", mode, g, err)
							}
						}
						gotM := monthlyRows(t, st)
						after := storetest.Dump(t, st)
						wantM := refMonthly
						if mode == aggregate.ModeLegacy {
							// The daily summary tables have no attributes
							// column (store.CompatTables): monthly rows
							// from them (daily granularity) have none;
							// from the hourly tables they have them.
							if g == inventory.Daily {
								wantM = aggregate.WithoutAttributes(refMonthly)
							}
							before.MonthlyRollups, after.MonthlyRollups = aggregate.WithoutAttributes(before.MonthlyRollups), aggregate.WithoutAttributes(after.MonthlyRollups)
						}
						if refMonthly == nil {
							refMonthly = gotM
							if !someAttributes(gotM, func(r *inventory.MonthlyRollup) map[string]string { return r.Attributes }) {
								t.Fatal("no monthly row has attributes")
							}
						} else if d := cmp.Diff(wantM, gotM, approx); d != "" {
							t.Fatalf("monthly rows of %s/%s differ from go/daily:\n%s", mode, g, d)
						}
						if refMonthly != nil && len(before.MonthlyRollups) > 0 {
							// A re-run (same figures from another mode) leaves the store as it was.
							if d := cmp.Diff(before, after, approx); d != "" {
								t.Fatalf("re-run %s/%s changed the store:\n%s", mode, g, d)
							}
						}
					}
				}
				// Re-running daily in the default mode changes nothing.
				before := storetest.Dump(t, st)
				if err := runDays(t, st, start, days, aggregate.Options{Location: l, Clock: func() time.Time { return start.AddDate(0, 2, 0) }}); err != nil {
					t.Fatal(err)
				}
				if d := cmp.Diff(before, storetest.Dump(t, st), approx); d != "" {
					t.Fatalf("re-run changed the store:\n%s", d)
				}
				perBackendDaily = append(perBackendDaily, ref)
				perBackendMonthly = append(perBackendMonthly, refMonthly)
			})
			for i := 1; i < len(perBackendDaily); i++ {
				if d := cmp.Diff(perBackendDaily[0], perBackendDaily[i], approx); d != "" {
					t.Fatalf("backend %d daily rows differ from memstore:\n%s", i, d)
				}
				if d := cmp.Diff(perBackendMonthly[0], perBackendMonthly[i], approx); d != "" {
					t.Fatalf("backend %d monthly rows differ from memstore:\n%s", i, d)
				}
			}
		})
	}
}

// TestModesAgreeHostileNames: vCenter, VM, pool and other names with
// quotes, SQL, formulas, HTML, unicode and 1000 characters go through the
// SQL and legacy paths as parameters and come back unchanged, and tier
// mapping of such pools matches the Go path.
func TestModesAgreeHostileNames(t *testing.T) {
	hostile := []string{`O'Brien "quoted"`, `'; DROP TABLE vm_hourly_stats; --`, `=HYPERLINK("http://x","y")`,
		`<script>alert(1)</script>`, "ünïcødé ✓ 日本", strings.Repeat("x", 1000), `back\slash %_ like`}
	pools := []string{"Resources/GOLD", `Resources/'Silver'`, "Resources/tin", "rp/" + hostile[1], "Resources/Bronze"}
	vcs := []string{`vc "one"`, hostile[1]}
	start := time.Date(2026, 5, 4, 0, 0, 0, 0, time.UTC)
	var perBackend [][]inventory.DailyRollup
	testbackends.ForEach(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		for _, vc := range vcs {
			for h := 0; h < 4; h++ {
				at := start.Add(time.Duration(h) * time.Hour)
				var ss []inventory.Sample
				for i, name := range hostile {
					ss = append(ss, inventory.Sample{Vcenter: vc, SnapshotTime: at, VMID: fmt.Sprintf("vm-%d '\"", i),
						VMUUID: "u-" + name, Name: name, Host: name, Folder: name, GuestOS: name,
						ResourcePool: pools[(i+h)%len(pools)], PowerState: inventory.PoweredOn, VCPUCount: 1 + i, RAMMB: 1024,
						// Hostile keys and values; tag:hour changes every hour.
						Attributes: map[string]string{name: hostile[(i+1)%len(hostile)], `k"e.y`: "=1+1", "tag:hour": fmt.Sprint(h)}})
				}
				if _, err := st.WriteSnapshot(ctx, &store.WriteSnapshotParams{Vcenter: vc, SnapshotTime: at, Samples: ss,
					Totals: inventory.ComputeTotals(vc, at, ss, nil), Compat: true}); err != nil {
					t.Fatal(err)
				}
			}
		}
		var ref []inventory.DailyRollup
		for _, mode := range allModes {
			_, err := aggregate.Daily(ctx, st, start, aggregate.Options{Mode: mode})
			if mode == aggregate.ModeSQL && !implements[store.SQLAggregator](st) {
				continue
			}
			if err != nil {
				t.Fatalf("%s: %v", mode, err)
			}
			got := dailyRows(t, st, start, start.AddDate(0, 0, 1))
			if len(got) != len(vcs)*len(hostile) {
				t.Fatalf("%s: %d rows, want %d", mode, len(got), len(vcs)*len(hostile))
			}
			if ref == nil {
				ref = got
				// Hand check: each VM visits every pool in 4 hours; Gold,
				// 'Silver' (not a tier: the quotes are part of the name),
				// tin and Bronze are one sample each.
				for i, r := range got {
					// The latest sample's attributes (hour 3), exactly.
					next := hostile[(slices.Index(hostile, r.Name)+1)%len(hostile)]
					if want := map[string]string{r.Name: next, `k"e.y`: "=1+1", "tag:hour": "3"}; !maps.Equal(r.Attributes, want) {
						t.Fatalf("row %d (%q): attributes %q, want %q", i, r.VMKey, r.Attributes, want)
					}
					tiers := r.PoolGoldPct + r.PoolSilverPct + r.PoolTinPct + r.PoolBronzePct
					if r.SamplesPresent != 4 || r.PoolSilverPct != 0 || (tiers != 75 && tiers != 50) {
						t.Fatalf("row %q: present %d, tiers gold %v silver %v tin %v bronze %v", r.VMKey, r.SamplesPresent,
							r.PoolGoldPct, r.PoolSilverPct, r.PoolTinPct, r.PoolBronzePct)
					}
				}
			} else if d := cmp.Diff(ref, got, cmpopts.EquateApprox(1e-9, 0)); d != "" {
				t.Fatalf("mode %s differs from go:\n%s", mode, d)
			}
		}
		names := map[string]bool{}
		for _, r := range ref {
			names[r.Name] = true
		}
		for _, h := range hostile {
			if !names[h] {
				t.Fatalf("name %q did not survive", h)
			}
		}
		perBackend = append(perBackend, ref)
	})
	for i := 1; i < len(perBackend); i++ {
		if d := cmp.Diff(perBackend[0], perBackend[i], cmpopts.EquateApprox(1e-9, 0)); d != "" {
			t.Fatalf("backend %d differs from memstore:\n%s", i, d)
		}
	}
}
