package storetest

import (
	"context"
	"time"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

// maxCountdown caps the context checks a write is failed at.
const maxCountdown = 200

func atomicityTests() []test {
	return []test{
		{"WriteSnapshot", func(e *env) {
			e.countdown("WriteSnapshot", func(st store.Store) {
				mustWrite(e.t, e.ctx, st, e.snapshot("vc-a", t0, 30, 1))
				mustWrite(e.t, e.ctx, st, e.snapshot("vc-b", t0.Add(time.Hour), 5, 1))
			}, func(ctx context.Context, st store.Store) error {
				p := e.snapshot("vc-a", t0.Add(time.Hour), 50, 2)
				p.BatchSize = 7
				_, err := st.WriteSnapshot(ctx, p)
				return err
			})
		}},
		{"WriteSnapshotRewrite", func(e *env) {
			// Re-writing a stored snapshot must not lose its rows when it fails.
			e.countdown("WriteSnapshot", func(st store.Store) {
				mustWrite(e.t, e.ctx, st, e.snapshot("vc-a", t0, 50, 1))
			}, func(ctx context.Context, st store.Store) error {
				p := e.snapshot("vc-a", t0, 45, 2)
				p.BatchSize = 7
				_, err := st.WriteSnapshot(ctx, p)
				return err
			})
		}},
		{"WriteSamples", func(e *env) {
			e.countdown("WriteSamples", func(st store.Store) {
				p := Snapshot("vc-a", t0, 20, 1)
				if err := st.WriteSamples(e.ctx, &store.WriteSamplesParams{Samples: p.Samples}); err != nil {
					e.t.Fatalf("WriteSamples: %v", err)
				}
			}, func(ctx context.Context, st store.Store) error {
				var rows []inventory.Sample
				for i, at := range []time.Time{t0, t0.Add(time.Hour), t0.Add(2 * time.Hour)} {
					rows = append(rows, Snapshot("vc-a", at, 17, int64(i+5)).Samples...)
				}
				return st.WriteSamples(ctx, &store.WriteSamplesParams{Samples: rows, BatchSize: 7})
			})
		}},
		{"WriteDailyRollups", func(e *env) {
			e.countdown("WriteDailyRollups", func(st store.Store) {
				for _, vc := range []string{"vc-a", "vc-b"} {
					if err := st.WriteDailyRollups(e.ctx, &store.WriteDailyRollupsParams{Vcenter: vc, Day: day0, Rows: DailyRollups(vc, day0, 30, 1), Compat: e.compat}); err != nil {
						e.t.Fatalf("WriteDailyRollups: %v", err)
					}
				}
			}, func(ctx context.Context, st store.Store) error {
				return st.WriteDailyRollups(ctx, &store.WriteDailyRollupsParams{Vcenter: "vc-a", Day: day0, Rows: DailyRollups("vc-a", day0, 50, 2),
					Compat: e.compat, BatchSize: 7})
			})
		}},
		{"WriteMonthlyRollups", func(e *env) {
			e.countdown("WriteMonthlyRollups", func(st store.Store) {
				if err := st.WriteMonthlyRollups(e.ctx, &store.WriteMonthlyRollupsParams{Vcenter: "vc-a", Month: mon0, Rows: MonthlyRollups("vc-a", mon0, 30, 1), Compat: e.compat}); err != nil {
					e.t.Fatalf("WriteMonthlyRollups: %v", err)
				}
			}, func(ctx context.Context, st store.Store) error {
				return st.WriteMonthlyRollups(ctx, &store.WriteMonthlyRollupsParams{Vcenter: "vc-a", Month: mon0, Rows: MonthlyRollups("vc-a", mon0, 12, 2),
					Compat: e.compat, BatchSize: 7})
			})
		}},
		{"ApplyReconcile", func(e *env) {
			e.countdown("ApplyReconcile", func(st store.Store) {
				if err := st.ApplyReconcile(e.ctx, &store.ApplyReconcileParams{Vcenter: "vc-a", SnapshotTime: t0,
					Lifecycles: Lifecycles("vc-a", t0, 20, 1), Events: Events("vc-a", t0, 10, 1)}); err != nil {
					e.t.Fatalf("ApplyReconcile: %v", err)
				}
			}, func(ctx context.Context, st store.Store) error {
				t1 := t0.Add(time.Hour)
				return st.ApplyReconcile(ctx, &store.ApplyReconcileParams{Vcenter: "vc-a", SnapshotTime: t1,
					Lifecycles: Lifecycles("vc-a", t1, 50, 2), Events: append(Events("vc-a", t0, 12, 1), Events("vc-a", t1, 30, 2)...)})
			})
		}},
		{"AppendEvents", func(e *env) {
			e.countdown("AppendEvents", func(st store.Store) {
				if err := st.AppendEvents(e.ctx, &store.AppendEventsParams{Events: Events("vc-a", t0, 10, 1)}); err != nil {
					e.t.Fatalf("AppendEvents: %v", err)
				}
			}, func(ctx context.Context, st store.Store) error {
				return st.AppendEvents(ctx, &store.AppendEventsParams{Events: append(Events("vc-a", t0, 15, 1), Events("vc-b", t0, 30, 2)...)})
			})
		}},
		{"WriteCompatHourly", func(e *env) {
			e.requireCompat()
			e.countdown("WriteCompatHourly", func(st store.Store) {
				for _, vc := range []string{"vc-a", "vc-b"} {
					if err := st.(store.CompatTables).WriteCompatHourly(e.ctx, &store.WriteCompatHourlyParams{Vcenter: vc, SnapshotTime: t0, Samples: compatSamples(vc, t0, 20, 1)}); err != nil {
						e.t.Fatalf("WriteCompatHourly: %v", err)
					}
				}
			}, func(ctx context.Context, st store.Store) error {
				return st.(store.CompatTables).WriteCompatHourly(ctx, &store.WriteCompatHourlyParams{Vcenter: "vc-a", SnapshotTime: t0, Samples: compatSamples("vc-a", t0, 30, 2), BatchSize: 7})
			})
		}},
	}
}

// countdown proves a write is atomic: on a store prepared by setup, it runs
// write with a context cancelled at its 1st, 2nd, 3rd, ... check until the
// write succeeds. Every failed attempt must leave the store exactly as it
// was; the successful one must leave it equal to a fresh store that got
// setup and write without interference.
func (e *env) countdown(op string, setup func(st store.Store), write func(ctx context.Context, st store.Store) error) {
	t := e.t
	setup(e.st)
	before := e.dump()
	succeededAt := 0
	for n := 1; n <= maxCountdown; n++ {
		ctx := CountdownContext(e.ctx, n)
		err := write(ctx, e.st)
		if err == nil {
			succeededAt = n
			break
		}
		if !isWriteFailure(err) {
			t.Errorf("%s cancelled at context check #%d: error %v (%T), want a *store.WriteError or one wrapping context.Canceled", op, n, err, err)
		}
		if d := Diff(before, e.dump()); d != "" {
			t.Fatalf("%s cancelled at context check #%d failed (%v) but changed the store (-before +after):\n%s", op, n, err, d)
		}
	}
	switch succeededAt {
	case 0:
		t.Logf("%s: still failing at context check #%d; finishing with a live context", op, maxCountdown)
		e.ok(write(e.ctx, e.st), "%s", op)
	case 1:
		t.Errorf("%s succeeded with a context reporting cancellation from its first check: the store never looks at ctx (want a failed write)", op)
	default:
		t.Logf("%s: failed cleanly when cancelled at each of its first %d context checks", op, succeededAt-1)
	}
	ref := e.newStore(t)
	setup(ref)
	if err := write(e.ctx, ref); err != nil {
		t.Fatalf("%s on a reference store: %v", op, err)
	}
	got, want := e.dump(), Dump(t, ref)
	if d := diffIgnoringEventIDs(want, got); d != "" {
		t.Errorf("%s that succeeded after %d cancelled attempts left a store unlike one written once (-want +got):\n%s", op, max(succeededAt-1, 0), d)
	}
}

// diffIgnoringEventIDs compares dumps with event IDs and change-log
// sequence numbers zeroed (a backend may burn sequence values in
// rolled-back transactions).
func diffIgnoringEventIDs(a, b *Contents) string {
	strip := func(c *Contents) *Contents {
		cp := *c
		cp.Events = nil
		for _, ev := range c.Events {
			ev.ID = 0
			cp.Events = append(cp.Events, ev)
		}
		cp.Changes = nil
		for _, ch := range c.Changes {
			ch.Seq = 0
			cp.Changes = append(cp.Changes, ch)
		}
		return &cp
	}
	return Diff(strip(a), strip(b))
}
