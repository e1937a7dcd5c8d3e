package aggregate

import (
	"math/rand"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/accessvault/vinventory/inventory"
)

// attrs sets a sample's attributes.
func attrs(m map[string]string) func(*inventory.Sample) {
	return func(s *inventory.Sample) { s.Attributes = m }
}

// TestDailyAttributesLatestPresentSample: a day's row takes the whole
// attribute map of its latest present sample, in any arrival order: not
// a merge (a removed tag is gone, a sample without any gives nil), not a
// sample at an unregistered (incomplete) snapshot, not a duplicate of a
// present sample.
func TestDailyAttributesLatestPresentSample(t *testing.T) {
	day := time.Date(2026, 3, 14, 0, 0, 0, 0, time.UTC)
	at := func(h int) time.Time { return day.Add(time.Duration(h) * time.Hour) }
	times := []time.Time{at(1), at(2), at(3), at(4)}
	samples := []*inventory.Sample{
		smp(at(1), "vm-1", "u-1", "a", attrs(map[string]string{"tag:env": "dev", "owner": "alice"})),
		smp(at(2), "vm-1", "u-1", "a", attrs(map[string]string{"tag:env": "prod", "owner": "alice"})),
		smp(at(3), "vm-1", "u-1", "a", attrs(map[string]string{"tag:env": "prod"})),
		// Unregistered: an incomplete snapshot, not a present sample.
		smp(at(3).Add(30*time.Minute), "vm-1", "u-1", "a", attrs(map[string]string{"tag:env": "incomplete"})),
		smp(at(1), "vm-2", "u-2", "b", attrs(map[string]string{"tag:env": "prod"})),
		smp(at(4), "vm-2", "u-2", "b"), // tags removed
		smp(at(2), "vm-3", "u-3", "c", attrs(map[string]string{`k"e.y`: "=1+1"})),
	}
	want := map[string]map[string]string{"vm-1": {"tag:env": "prod"}, "vm-2": nil, "vm-3": {`k"e.y`: "=1+1"}}
	rng := rand.New(rand.NewSource(1))
	for round := range 20 {
		order := rng.Perm(len(samples))
		b := NewDaily(DailyInput{Vcenter: vc, Day: inventory.DayOf(day, nil), SnapshotTimes: times})
		for _, i := range order {
			b.Add(samples[i])
		}
		got := map[string]map[string]string{}
		for _, r := range b.Rows() {
			got[r.VMKey] = r.Attributes
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Fatalf("round %d (order %v): attributes (-want +got):\n%s", round, order, d)
		}
		if b.Ignored() != 1 {
			t.Fatalf("Ignored = %d, want 1 (the unregistered sample)", b.Ignored())
		}
	}
}

// TestAttributesNotAliased: the builders keep copies of the attributes
// they are given (a caller reusing its map after Add changes no row) and
// hand out copies (a caller changing a row's map changes no other row).
func TestAttributesNotAliased(t *testing.T) {
	day := time.Date(2026, 3, 14, 0, 0, 0, 0, time.UTC)
	win := inventory.DayOf(day, nil)
	m := map[string]string{"tag:env": "prod"}
	b := NewDaily(DailyInput{Vcenter: vc, Day: win})
	b.Add(smp(day.Add(time.Hour), "vm-1", "u-1", "a", attrs(m)))
	b.Add(smp(day.Add(2*time.Hour), "vm-1", "u-1", "a", attrs(m))) // the same map again
	m["tag:env"], m["new"] = "changed", "x"
	rows := b.Rows()
	if want := map[string]string{"tag:env": "prod"}; !cmp.Equal(rows[0].Attributes, want) {
		t.Fatalf("daily attributes %v after the caller changed its map, want %v", rows[0].Attributes, want)
	}
	rows[0].Attributes["tag:env"] = "mutated"
	if again := b.Rows(); again[0].Attributes["tag:env"] != "prod" {
		t.Fatalf("a second Rows shares the first one's map: %v", again[0].Attributes)
	}

	mb := NewMonthly(MonthlyInput{Vcenter: vc, Month: inventory.MonthOf(day, nil)})
	d := inventory.DailyRollup{Day: win.Start, Rollup: inventory.Rollup{Vcenter: vc, VMKey: "vm-1", VMID: "vm-1", Name: "a",
		TotalSamples: 24, SamplesPresent: 24, Attributes: map[string]string{"tag:env": "prod"}}}
	mb.Add(&d)
	d.Attributes["tag:env"] = "changed"
	mrows := mb.Rows()
	if mrows[0].Attributes["tag:env"] != "prod" {
		t.Fatalf("monthly attributes %v after the caller changed its row's map, want tag:env prod", mrows[0].Attributes)
	}
	mrows[0].Attributes["tag:env"] = "mutated"
	if again := mb.Rows(); again[0].Attributes["tag:env"] != "prod" {
		t.Fatalf("a second monthly Rows shares the first one's map: %v", again[0].Attributes)
	}
}

// TestMonthlyAttributesLastDayPresent: a month's row takes the whole
// attribute map of the VM's last day present, from daily rows in any
// order and, at hourly granularity, from the month's latest present
// sample; the two paths agree.
func TestMonthlyAttributesLastDayPresent(t *testing.T) {
	mw := inventory.MonthOf(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), nil)
	at := func(d, h int) time.Time { return time.Date(2026, 3, d, h, 0, 0, 0, time.UTC) }
	samples := []*inventory.Sample{
		smp(at(2, 1), "vm-1", "u-1", "a", attrs(map[string]string{"tag:env": "dev", "owner": "alice"})),
		smp(at(9, 1), "vm-1", "u-1", "a", attrs(map[string]string{"tag:env": "prod", "tag:cost": "=1+1"})),
		smp(at(9, 2), "vm-1", "u-1", "a", attrs(map[string]string{"tag:env": "prod"})),
		smp(at(5, 1), "vm-1", "u-1", "a", attrs(map[string]string{"tag:env": "test"})),
		smp(at(3, 1), "vm-2", "u-2", "b", attrs(map[string]string{"owner": "bob"})),
		smp(at(4, 1), "vm-2", "u-2", "b"),
		smp(time.Date(2026, 4, 1, 1, 0, 0, 0, time.UTC), "vm-2", "u-2", "b", attrs(map[string]string{"owner": "april"})),
	}
	want := map[string]map[string]string{"vm-1": {"tag:env": "prod"}, "vm-2": nil}
	h := NewMonthlyFromHourly(MonthlyHourlyInput{Vcenter: vc, Month: mw})
	var days []inventory.DailyRollup
	for _, dw := range mw.Days() {
		db := NewDaily(DailyInput{Vcenter: vc, Day: dw})
		for _, s := range samples {
			db.Add(s)
		}
		days = append(days, db.Rows()...)
	}
	for _, s := range samples {
		h.Add(s)
	}
	rng := rand.New(rand.NewSource(2))
	rng.Shuffle(len(days), func(i, j int) { days[i], days[j] = days[j], days[i] })
	m := NewMonthly(MonthlyInput{Vcenter: vc, Month: mw})
	for i := range days {
		m.Add(&days[i])
	}
	for name, rows := range map[string][]inventory.MonthlyRollup{"from daily rows": m.Rows(), "from hourly samples": h.Rows()} {
		got := map[string]map[string]string{}
		for _, r := range rows {
			got[r.VMKey] = r.Attributes
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("monthly %s: attributes (-want +got):\n%s", name, d)
		}
	}
}
