package chargeback_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/accessvault/vinventory/chargeback"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

// TestPriceChangeMidMonth: two VMs over all 31 days of March; the card of
// their tier is replaced by a newer one whose EffectiveFrom is March 15,
// 13:00: March 1–14 are billed at the old prices, March 15–31 at the new.
func TestPriceChangeMidMonth(t *testing.T) {
	forEachStore(t, false, func(t *testing.T, st store.Store) {
		a := vm{key: "vm-a", vcpu: 2, ram: 4, prov: 100, used: 40, present: 1}
		b := vm{key: "vm-b", vcpu: 1, ram: 2, prov: 20, used: 0, present: 0.5}
		for d := 1; d <= 31; d++ {
			aggregated(t, st, "vc1", mar(d), a, b)
		}
		cards := []inventory.RateCard{
			{ID: 1, Name: "untiered 2026", Currency: "EUR", Tier: "none", EffectiveFrom: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
				VCPUDay: "0.50", RAMGBDay: "0.10", ProvisionedDiskGBDay: "0.01", UsedDiskGBDay: "0.02", VMDay: "1.00"},
			{ID: 2, Name: "untiered from March 15", Currency: "EUR", Tier: "none", EffectiveFrom: time.Date(2026, 3, 15, 13, 0, 0, 0, time.UTC),
				VCPUDay: "0.60", RAMGBDay: "0.10", ProvisionedDiskGBDay: "0.01", UsedDiskGBDay: "0.02", VMDay: "1.10"},
		}
		bill := compute(t, st, &chargeback.Request{Period: chargeback.PeriodMonth, At: mar(20).Add(5 * time.Hour), By: []string{"vm"},
			Cards: cards, Now: time.Date(2026, 4, 10, 0, 0, 0, 0, time.UTC)})

		// vm-a, one day: 2×0.50 + 4×0.10 + 100×0.01 + 40×0.02 + 1×1.00
		//              = 1.00 + 0.40 + 1.00 + 0.80 + 1.00 = 4.20 (old)
		//                2×0.60 + 0.40 + 1.00 + 0.80 + 1×1.10 = 4.50 (new)
		// 14 days × 4.20 + 17 days × 4.50 = 58.80 + 76.50 = 135.30
		la := line(t, bill, "vc1/vm-a")
		checkMoney(t, "vm-a", la.Cost, "135.30", "135.30")
		checkQ(t, "vm-a", la.Quantities, "62", "124", "3100", "1240", "31") // 31 × (2, 4, 100, 40, 1)
		// vm-b, quantities per day: 1×0.5 = 0.5 vCPU, 2×0.5 = 1 GB RAM,
		// 20×0.5 = 10 GB provisioned, 0 used, 0.5 VM-days.
		// old: 0.5×0.50 + 1×0.10 + 10×0.01 + 0 + 0.5×1.00 = 0.25+0.10+0.10+0.50 = 0.95
		// new: 0.5×0.60 + 0.10 + 0.10 + 0.5×1.10       = 0.30+0.10+0.10+0.55 = 1.05
		// 14 × 0.95 + 17 × 1.05 = 13.30 + 17.85 = 31.15
		lb := line(t, bill, "vc1/vm-b")
		checkMoney(t, "vm-b", lb.Cost, "31.15", "31.15")
		checkQ(t, "vm-b", lb.Quantities, "15.5", "31", "310", "0", "15.5")
		checkMoney(t, "total", bill.Total.Cost, "166.45", "166.45") // 135.30 + 31.15
		checkQ(t, "total", bill.Total.Quantities, "77.5", "155", "3410", "1240", "46.5")
		if !slices.Equal(keys(bill)[0], []string{"vc1/vm-a"}) || len(bill.Lines) != 2 {
			t.Errorf("lines %v, want vc1/vm-a, vc1/vm-b", keys(bill))
		}
		if bill.Currency != "EUR" || !slices.Equal(bill.CardsUsed, []int64{1, 2}) || bill.Total.Unpriced.Shares != 0 {
			t.Errorf("currency %q, cards used %v, unpriced %d; want EUR, [1 2], 0", bill.Currency, bill.CardsUsed, bill.Total.Unpriced.Shares)
		}
		want := []chargeback.Coverage{{Vcenter: "vc1", DaysInPeriod: 31, CoveredDays: 31, UncoveredDays: []string{}, PartialDays: []string{}}}
		if bill.Partial || !reflect.DeepEqual(bill.Coverage, want) {
			t.Errorf("partial %v, coverage %+v; want false, %+v", bill.Partial, bill.Coverage, want)
		}
		if !bill.Start.Equal(march) || !bill.End.Equal(time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)) || bill.Location != "UTC" {
			t.Errorf("period [%s, %s) in %s, want March 2026 in UTC", bill.Start, bill.End, bill.Location)
		}
		if bill.MonthToDate != nil || bill.Projection != nil || la.Projected != nil {
			t.Error("a month that ended before Now has a month-to-date or a projection")
		}
	})
}

// TestTierSharesWithinDay: a VM moved from a Silver pool to a Gold pool at
// noon is billed half at each tier's card; a VM a quarter in a Tin pool
// (no Tin card: unpriced) and three quarters untiered. A day bill grouped
// by tier.
func TestTierSharesWithinDay(t *testing.T) {
	forEachStore(t, false, func(t *testing.T, st store.Store) {
		m := vm{key: "vm-m", vcpu: 4, ram: 16, prov: 200, used: 100, present: 1, silver: 50, gold: 50}
		n := vm{key: "vm-n", vcpu: 2, ram: 4, prov: 40, used: 10, present: 0.75, tin: 25}
		aggregated(t, st, "vc1", mar(3), m, n)
		aggregated(t, st, "vc1", mar(4), m) // another day: not in the bill
		cards := []inventory.RateCard{
			{ID: 1, Currency: "EUR", Tier: "silver", VCPUDay: "0.40", RAMGBDay: "0.05", ProvisionedDiskGBDay: "0.002"},
			{ID: 2, Currency: "EUR", Tier: "Gold", VCPUDay: "0.80", RAMGBDay: "0.10", ProvisionedDiskGBDay: "0.004", VMDay: "0.50"},
			{ID: 3, Currency: "EUR", Tier: "none", VCPUDay: "0.20", RAMGBDay: "0.02", UsedDiskGBDay: "0.01", VMDay: "0.10"},
		}
		bill := compute(t, st, &chargeback.Request{Period: chargeback.PeriodDay, At: mar(3).Add(12 * time.Hour), By: []string{"tier"}, Cards: cards, Now: mar(5)})

		if want := [][]string{{"Gold"}, {"Silver"}, {"Tin"}, {"none"}}; !reflect.DeepEqual(keys(bill), want) {
			t.Fatalf("lines %v, want %v", keys(bill), want)
		}
		// vm-m Gold share 0.5: 2 vCPU-days, 8 RAM GB-days, 100 prov GB-days, 50 used, 0.5 VM-days
		// 2×0.80 + 8×0.10 + 100×0.004 + 50×0 + 0.5×0.50 = 1.60 + 0.80 + 0.40 + 0.25 = 3.05
		gold := line(t, bill, "Gold")
		checkMoney(t, "Gold", gold.Cost, "3.05", "3.05")
		checkQ(t, "Gold", gold.Quantities, "2", "8", "100", "50", "0.5")
		// vm-m Silver share 0.5: 2×0.40 + 8×0.05 + 100×0.002 = 0.80 + 0.40 + 0.20 = 1.40
		checkMoney(t, "Silver", line(t, bill, "Silver").Cost, "1.40", "1.40")
		// vm-n: 1.5 vCPU-days, 3 RAM, 30 prov, 7.5 used, 0.75 VM-days.
		// Tin share 0.25: 0.375, 0.75, 7.5, 1.875, 0.1875, no card: cost 0, unpriced.
		tin := line(t, bill, "Tin")
		checkMoney(t, "Tin", tin.Cost, "0", "0.00")
		checkQ(t, "Tin", tin.Quantities, "0.375", "0.75", "7.5", "1.875", "0.1875")
		checkQ(t, "Tin unpriced", tin.Unpriced.Quantities, "0.375", "0.75", "7.5", "1.875", "0.1875")
		if tin.Unpriced.Shares != 1 {
			t.Errorf("Tin unpriced shares %d, want 1", tin.Unpriced.Shares)
		}
		// none share 0.75: 1.125 vCPU, 2.25 RAM, 22.5 prov, 5.625 used, 0.5625 VM-days
		// 1.125×0.20 + 2.25×0.02 + 5.625×0.01 + 0.5625×0.10 = 0.225 + 0.045 + 0.05625 + 0.05625 = 0.3825
		none := line(t, bill, "none")
		checkMoney(t, "none", none.Cost, "0.3825", "0.38")
		checkQ(t, "none", none.Quantities, "1.125", "2.25", "22.5", "5.625", "0.5625")
		if none.Unpriced.Shares != 0 || line(t, bill, "Gold").Unpriced.Shares != 0 {
			t.Error("priced shares counted as unpriced")
		}
		// 3.05 + 1.40 + 0 + 0.3825 = 4.8325; quantities 4 + 1.5 vCPU-days, 1 + 0.75 VM-days.
		checkMoney(t, "total", bill.Total.Cost, "4.8325", "4.83")
		checkQ(t, "total", bill.Total.Quantities, "5.5", "19", "230", "107.5", "1.75")
		checkQ(t, "total unpriced", bill.Total.Unpriced.Quantities, "0.375", "0.75", "7.5", "1.875", "0.1875")
		if bill.Total.Unpriced.Shares != 1 || bill.Partial || bill.Coverage[0].DaysInPeriod != 1 || bill.Coverage[0].CoveredDays != 1 {
			t.Errorf("total unpriced shares %d, partial %v, coverage %+v", bill.Total.Unpriced.Shares, bill.Partial, bill.Coverage)
		}
		if !bill.Start.Equal(mar(3)) || !bill.End.Equal(mar(4)) {
			t.Errorf("day bill [%s, %s), want March 3", bill.Start, bill.End)
		}

		// Without "tier" the shares of a VM-day add up to the whole VM-day.
		bill = compute(t, st, &chargeback.Request{Period: chargeback.PeriodDay, At: mar(3), By: []string{"vm"}, Cards: cards})
		checkMoney(t, "vm-m", line(t, bill, "vc1/vm-m").Cost, "4.45", "4.45") // 3.05 + 1.40
		checkQ(t, "vm-m", line(t, bill, "vc1/vm-m").Quantities, "4", "16", "200", "100", "1")
		checkQ(t, "vm-n", line(t, bill, "vc1/vm-n").Quantities, "1.5", "3", "30", "7.5", "0.75")
		if u := line(t, bill, "vc1/vm-n").Unpriced; u.Shares != 1 || !u.VMDays.Equal(dec("0.1875")) {
			t.Errorf("vm-n unpriced %+v, want its Tin share", u)
		}
	})
}

// TestTagCardBeatsTierCard: of the cards that apply, the most specific
// prices the share (package documentation, "Which card prices a share").
func TestTagCardBeatsTierCard(t *testing.T) {
	forEachStore(t, true, func(t *testing.T, st store.Store) {
		gold := func(key string, attrs map[string]string) vm {
			return vm{key: key, vcpu: 2, present: 1, gold: 100, attrs: attrs}
		}
		aggregated(t, st, "vc1", mar(2),
			gold("vm-p", map[string]string{"tag:tenant": "acme"}),
			gold("vm-q", map[string]string{"tag:tenant": "beta", "owner": "acme"}),
			gold("vm-r", nil),
			gold("vm-s", map[string]string{"tag:tenant": "acme, beta"}),
			gold("vm-t", map[string]string{"tenant": "acme"})) // a custom attribute, not a tag
		cards := []inventory.RateCard{
			{ID: 10, Currency: "EUR", Tier: "Gold", VCPUDay: "1.00"},
			{ID: 11, Currency: "EUR", TagKey: "tenant", TagValue: "acme", VCPUDay: "0.70"},
			{ID: 12, Currency: "EUR", Tier: "Gold", TagKey: "tag:tenant", VCPUDay: "0.90"},
		}
		bill := compute(t, st, &chargeback.Request{Period: chargeback.PeriodDay, At: mar(2), By: []string{"vm"}, Cards: cards})
		for _, c := range []struct{ vm, cost, why string }{
			// tenant=acme (2 selectors) against Gold+tenant (2): the tie goes to the tag value.
			{"vm-p", "1.40", "2 × 0.70, card 11"},
			// Gold+tenant (2 selectors) beats Gold (1).
			{"vm-q", "1.80", "2 × 0.90, card 12"},
			{"vm-r", "2.00", "2 × 1.00, card 10: no tenant tag"},
			// "acme, beta" holds the tag name acme.
			{"vm-s", "1.40", "2 × 0.70, card 11"},
			{"vm-t", "2.00", "2 × 1.00, card 10: an attribute without tag: is no tag"},
		} {
			checkMoney(t, c.vm+" ("+c.why+")", line(t, bill, "vc1/"+c.vm).Cost, c.cost, c.cost)
		}
		checkMoney(t, "total", bill.Total.Cost, "8.60", "8.60") // 1.40 + 1.80 + 2.00 + 1.40 + 2.00
		if !slices.Equal(bill.CardsUsed, []int64{10, 11, 12}) {
			t.Errorf("cards used %v, want [10 11 12]", bill.CardsUsed)
		}

		// A vCenter card in the Gold tier (2 selectors) beats tenant (1),
		// and loses to tenant=acme in the Gold tier (3).
		cards = []inventory.RateCard{
			{ID: 20, Currency: "EUR", TagKey: "tenant", VCPUDay: "0.10"},
			{ID: 21, Currency: "EUR", Tier: "Gold", Vcenter: "vc1", VCPUDay: "0.20"},
			{ID: 22, Currency: "EUR", Tier: "Gold", TagKey: "tenant", TagValue: "acme", VCPUDay: "0.30"},
		}
		bill = compute(t, st, &chargeback.Request{Period: chargeback.PeriodDay, At: mar(2), By: []string{"vm"}, Cards: cards})
		checkMoney(t, "vm-p", line(t, bill, "vc1/vm-p").Cost, "0.60", "0.60") // 2 × 0.30, card 22
		checkMoney(t, "vm-q", line(t, bill, "vc1/vm-q").Cost, "0.40", "0.40") // 2 × 0.20, card 21
	})
}

// TestGroupByTwoTagsAndScope: lines per (tenant, environment) pair, a
// missing tag as "", hostile values kept intact, the vCenter scope and
// filter.
func TestGroupByTwoTagsAndScope(t *testing.T) {
	forEachStore(t, true, func(t *testing.T, st store.Store) {
		tags := func(tenant, env string) map[string]string {
			m := map[string]string{"tag:tenant": tenant}
			if env != "" {
				m["tag:environment"] = env
			}
			return m
		}
		hostile, script := `=SUM(A1)"'`, "<script>alert(1)</script> ü"
		aggregated(t, st, "vc1", mar(5),
			vm{key: "a", present: 1, attrs: tags("acme", "prod")},
			vm{key: "b", present: 0.5, attrs: tags("acme", "dev")},
			vm{key: "c", present: 1, attrs: tags(hostile, script)},
			vm{key: "d", present: 0.25, attrs: tags("acme", "")})
		aggregated(t, st, "vc2", mar(5), vm{key: "e", present: 1, attrs: tags("acme", "prod")})
		// One card, 1.00 per VM-day: a line's cost is its VM-days.
		cards := []inventory.RateCard{{ID: 1, Currency: "CHF", VMDay: "1.00"}}
		by := []string{"tag:tenant", "tag:environment"}

		bill := compute(t, st, &chargeback.Request{Period: chargeback.PeriodDay, At: mar(5), By: by, Cards: cards, Vcenters: []string{"vc1"}})
		want := [][]string{{hostile, script}, {"acme", ""}, {"acme", "dev"}, {"acme", "prod"}}
		if !reflect.DeepEqual(keys(bill), want) {
			t.Fatalf("lines %q, want %q", keys(bill), want)
		}
		for _, c := range []struct {
			key  []string
			cost string
		}{{want[0], "1.00"}, {want[1], "0.25"}, {want[2], "0.50"}, {want[3], "1.00"}} {
			checkMoney(t, strings.Join(c.key, "/"), line(t, bill, c.key...).Cost, c.cost, c.cost)
		}
		checkMoney(t, "vc1 total", bill.Total.Cost, "2.75", "2.75") // 1 + 0.5 + 1 + 0.25
		if len(bill.Coverage) != 1 || bill.Coverage[0].Vcenter != "vc1" || bill.Currency != "CHF" {
			t.Errorf("coverage %+v currency %q, want vc1 only, CHF", bill.Coverage, bill.Currency)
		}
		// The JSON the API returns keeps the values exactly.
		raw, err := json.Marshal(bill)
		if err != nil {
			t.Fatal(err)
		}
		var back chargeback.Bill
		if err := json.Unmarshal(raw, &back); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(back.Lines[0].Key, want[0]) || !back.Total.Cost.Exact.Equal(dec("2.75")) || back.Total.Cost.Rounded != "2.75" {
			t.Errorf("JSON round trip: key %q, total %+v", back.Lines[0].Key, back.Total.Cost)
		}
		for _, field := range []string{`"vcpu_days"`, `"provisioned_disk_gb_days"`, `"unpriced"`, `"uncovered_days"`, `"cards_used"`, `"rounded":"2.75"`, `"exact":"2.75"`} {
			if !strings.Contains(string(raw), field) {
				t.Errorf("JSON lacks %s: %s", field, raw)
			}
		}

		// Every vCenter: vc2's acme/prod joins vc1's.
		bill = compute(t, st, &chargeback.Request{Period: chargeback.PeriodDay, At: mar(5), By: by, Cards: cards})
		checkMoney(t, "acme/prod", line(t, bill, "acme", "prod").Cost, "2.00", "2.00")
		checkMoney(t, "all total", bill.Total.Cost, "3.75", "3.75")
		if len(bill.Coverage) != 2 {
			t.Errorf("coverage %+v, want vc1 and vc2", bill.Coverage)
		}
		// One vCenter of the scope.
		bill = compute(t, st, &chargeback.Request{Period: chargeback.PeriodDay, At: mar(5), By: by, Cards: cards, Vcenters: []string{"vc1", "vc2"}, Vcenter: "vc2"})
		checkMoney(t, "vc2 total", bill.Total.Cost, "1.00", "1.00")
		if len(bill.Lines) != 1 || len(bill.Coverage) != 1 || bill.Coverage[0].Vcenter != "vc2" {
			t.Errorf("vc2 only: lines %v coverage %+v", keys(bill), bill.Coverage)
		}
		// A vCenter outside the scope is refused.
		_, err = chargeback.Compute(context.Background(), st, &chargeback.Request{Period: chargeback.PeriodDay, At: mar(5), Cards: cards, Vcenters: []string{"vc1"}, Vcenter: "vc2"})
		var re *chargeback.RequestError
		if !errors.As(err, &re) || re.Field != "Vcenter" {
			t.Errorf("vc2 outside scope vc1: %v, want a RequestError naming Vcenter", err)
		}
	})
}

// TestPartialMonth: only March 1–10 are covered; a rollup written for
// March 12 without its registry record bills nothing; a vCenter in scope
// without any data is listed as uncovered.
func TestPartialMonth(t *testing.T) {
	forEachStore(t, false, func(t *testing.T, st store.Store) {
		a := vm{key: "a", present: 1, vcpu: 1}
		for d := 1; d <= 9; d++ {
			aggregated(t, st, "vc1", mar(d), a)
		}
		p := a
		p.partial = true
		rollups(t, st, "vc1", mar(10), p)
		covered(t, st, "vc1", mar(10), 1, true) // aggregated before the day ended
		rollups(t, st, "vc1", mar(12), a)       // no record: not billed
		cards := []inventory.RateCard{{ID: 7, Currency: "USD", VMDay: "2.00"}}
		bill := compute(t, st, &chargeback.Request{Period: chargeback.PeriodMonth, At: mar(1), Cards: cards,
			Vcenters: []string{"vc1", "vc9"}, Now: time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)})

		checkMoney(t, "total", bill.Total.Cost, "20.00", "20.00") // 10 covered days × 1 VM-day × 2.00
		checkQ(t, "total", bill.Total.Quantities, "10", "0", "0", "0", "10")
		if len(bill.Lines) != 1 || len(bill.Lines[0].Key) != 0 || !bill.Lines[0].Cost.Exact.Equal(dec("20")) {
			t.Errorf("lines %+v, want one line with an empty key and the total", bill.Lines)
		}
		want := []chargeback.Coverage{
			{Vcenter: "vc1", DaysInPeriod: 31, CoveredDays: 10, UncoveredDays: dates(11, 31), PartialDays: dates(10, 10), UnbilledRows: 1},
			{Vcenter: "vc9", DaysInPeriod: 31, CoveredDays: 0, UncoveredDays: dates(1, 31), PartialDays: []string{}},
		}
		if !bill.Partial || bill.PartialRows != 1 || !reflect.DeepEqual(bill.Coverage, want) {
			t.Errorf("partial %v, partial rows %d, coverage %+v; want true, 1, %+v", bill.Partial, bill.PartialRows, bill.Coverage, want)
		}
	})
}

// TestProjection: March 10, 15:00; vc1 is covered up to March 9 (a new VM
// on the 9th), vc2 up to March 8. A card taking over on March 20 (after
// Now) prices the projected days from the 20th on.
func TestProjection(t *testing.T) {
	forEachStore(t, false, func(t *testing.T, st store.Store) {
		a, b, c := vm{key: "a", present: 1}, vm{key: "b", present: 0.5}, vm{key: "c", present: 1}
		g := vm{key: "g", present: 1, gold: 100} // no Gold card: unpriced
		for d := 1; d <= 8; d++ {
			aggregated(t, st, "vc1", mar(d), a)
			aggregated(t, st, "vc2", mar(d), c, g)
		}
		aggregated(t, st, "vc1", mar(9), a, b)
		// Asked as of March 10, a day aggregated after Now is in the bill
		// but neither in the month to date nor in the projection.
		aggregated(t, st, "vc1", mar(12), a)
		cards := []inventory.RateCard{
			{ID: 1, Currency: "EUR", Tier: "none", EffectiveFrom: time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC), VMDay: "1.00"},
			{ID: 2, Currency: "EUR", Tier: "none", EffectiveFrom: mar(20), VMDay: "1.50"},
		}
		now := mar(10).Add(15 * time.Hour)
		bill := compute(t, st, &chargeback.Request{Period: chargeback.PeriodMonth, At: now, By: []string{"vcenter"}, Cards: cards, Now: now})

		// Month to date: vc1 8 × 1 × 1.00 + 1 × 1.5 × 1.00 = 9.50; vc2 8 × 1.00 = 8.00.
		// The bill adds March 12 of vc1: 1 × 1.00.
		checkMoney(t, "total", bill.Total.Cost, "18.50", "18.50")
		if bill.MonthToDate == nil || !bill.MonthToDate.Now.Equal(now) {
			t.Fatalf("month to date %+v, want one at %s", bill.MonthToDate, now)
		}
		checkMoney(t, "month to date", bill.MonthToDate.Cost, "17.50", "17.50")
		// vc1 copies March 9 (1.5 VM-days) over March 10–31 (22 days):
		//   March 10–19: 10 × 1.5 × 1.00 = 15.00; March 20–31: 12 × 1.5 × 1.50 = 27.00; 42.00
		// vc2 copies March 8 (1 VM-day) over March 9–31 (23 days):
		//   March 9–19: 11 × 1.00 = 11.00; March 20–31: 12 × 1.50 = 18.00; 29.00
		// 17.50 + 42.00 + 29.00 = 88.50
		p := bill.Projection
		if p == nil || !p.Estimate {
			t.Fatalf("projection %+v, want an estimate", p)
		}
		checkMoney(t, "projection", p.Cost, "88.50", "88.50")
		checkMoney(t, "vc1 projected", *line(t, bill, "vc1").Projected, "51.50", "51.50") // 9.50 + 42.00
		checkMoney(t, "vc2 projected", *line(t, bill, "vc2").Projected, "37.00", "37.00") // 8.00 + 29.00
		checkMoney(t, "total projected", *bill.Total.Projected, "88.50", "88.50")
		wantBasis := []chargeback.ProjectionBasis{
			{Vcenter: "vc1", LastCoveredDay: "2026-03-09", Rows: 2, ProjectedDays: 22},
			{Vcenter: "vc2", LastCoveredDay: "2026-03-08", Rows: 2, ProjectedDays: 23},
		}
		// g's Gold share: unpriced on 8 billed days and 23 projected days.
		if bill.Total.Unpriced.Shares != 8 || !bill.Total.Unpriced.VMDays.Equal(dec("8")) {
			t.Errorf("unpriced %+v, want g's 8 VM-days", bill.Total.Unpriced)
		}
		if !reflect.DeepEqual(p.Basis, wantBasis) || p.UnpricedShares != 23 || !strings.Contains(p.Note, "estimate") {
			t.Errorf("basis %+v unpriced %d note %q, want %+v", p.Basis, p.UnpricedShares, p.Note, wantBasis)
		}
		if !bill.Partial || !slices.Equal(bill.CardsUsed, []int64{1, 2}) {
			t.Errorf("partial %v cards used %v, want true, [1 2] (card 2 prices the projection only)", bill.Partial, bill.CardsUsed)
		}

		// A month without any covered day up to Now projects zero and says why.
		now = time.Date(2026, 4, 2, 9, 0, 0, 0, time.UTC)
		bill = compute(t, st, &chargeback.Request{Period: chargeback.PeriodMonth, At: now, Cards: cards, Now: now})
		if p := bill.Projection; p == nil || !p.Cost.Exact.IsZero() || len(p.Basis) != 0 || !strings.Contains(p.Note, "no day") {
			t.Errorf("projection of an uncovered month: %+v", p)
		}
		if !bill.Partial || bill.MonthToDate == nil || !bill.MonthToDate.Cost.Exact.IsZero() {
			t.Errorf("uncovered month: partial %v month to date %+v", bill.Partial, bill.MonthToDate)
		}
	})
}

// TestMixedCurrencies: two cards of different currencies pricing one bill
// are refused, naming both; an unused card of another currency is not.
func TestMixedCurrencies(t *testing.T) {
	forEachStore(t, false, func(t *testing.T, st store.Store) {
		aggregated(t, st, "vc1", mar(1), vm{key: "a", present: 1, gold: 50})
		eur := inventory.RateCard{ID: 1, Name: "gold", Currency: "EUR", Tier: "Gold", VMDay: "1"}
		usd := inventory.RateCard{ID: 2, Name: "rest", Currency: "USD", Tier: "none", VMDay: "1"}
		_, err := chargeback.Compute(context.Background(), st, &chargeback.Request{Period: chargeback.PeriodDay, At: mar(1), Cards: []inventory.RateCard{eur, usd}})
		var ce *chargeback.CurrencyError
		if !errors.Is(err, chargeback.ErrMixedCurrencies) || !errors.As(err, &ce) || !strings.Contains(err.Error(), "EUR") || !strings.Contains(err.Error(), "USD") {
			t.Fatalf("EUR and USD cards: %v, want a CurrencyError naming both", err)
		}
		if ce.First.ID != 1 || ce.Other.ID != 2 {
			t.Errorf("CurrencyError cards %d, %d; want 1, 2", ce.First.ID, ce.Other.ID)
		}
		usd.Tier = "Silver" // prices nothing now
		eur.Tier = ""
		bill := compute(t, st, &chargeback.Request{Period: chargeback.PeriodDay, At: mar(1), Cards: []inventory.RateCard{eur, usd}})
		if bill.Currency != "EUR" || !slices.Equal(bill.CardsUsed, []int64{1}) {
			t.Errorf("currency %q cards %v, want EUR, [1]", bill.Currency, bill.CardsUsed)
		}
	})
}

// TestRoundingHalfEven: 0.125 rounds to 0.12 and 0.135 to 0.14.
func TestRoundingHalfEven(t *testing.T) {
	forEachStore(t, false, func(t *testing.T, st store.Store) {
		aggregated(t, st, "vc1", mar(1), vm{key: "x", vcpu: 1, present: 1}, vm{key: "y", vcpu: 1.08, present: 1})
		bill := compute(t, st, &chargeback.Request{Period: chargeback.PeriodDay, At: mar(1), By: []string{"vm"},
			Cards: []inventory.RateCard{{Currency: "EUR", VCPUDay: "0.125"}}})
		checkMoney(t, "x", line(t, bill, "vc1/x").Cost, "0.125", "0.12") // 1 × 0.125
		checkMoney(t, "y", line(t, bill, "vc1/y").Cost, "0.135", "0.14") // 1.08 × 0.125
		checkMoney(t, "total", bill.Total.Cost, "0.26", "0.26")
	})
}

// TestLocation: days are cut in Request.Location, which must be the
// location the rollups were aggregated in.
func TestLocation(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Skip(err)
	}
	forEachStore(t, false, func(t *testing.T, st store.Store) {
		// March 29, 2026 in Paris: 23 hours (summer time starts), from 23:00 UTC the day before.
		day := time.Date(2026, 3, 29, 0, 0, 0, 0, paris)
		aggregated(t, st, "vc1", day.UTC(), vm{key: "a", present: 1})
		cards := []inventory.RateCard{{Currency: "EUR", VMDay: "3", EffectiveFrom: day}}
		bill := compute(t, st, &chargeback.Request{Period: chargeback.PeriodMonth, At: day, Location: paris, Cards: cards})
		checkMoney(t, "total", bill.Total.Cost, "3", "3.00")
		cv := bill.Coverage[0]
		if cv.DaysInPeriod != 31 || cv.CoveredDays != 1 || slices.Contains(cv.UncoveredDays, "2026-03-29") || bill.Location != "Europe/Paris" {
			t.Errorf("coverage %+v location %q", cv, bill.Location)
		}
		_, err := chargeback.Compute(context.Background(), st, &chargeback.Request{Period: chargeback.PeriodMonth, At: day, Cards: cards})
		var re *chargeback.RequestError
		if !errors.As(err, &re) || re.Field != "Location" {
			t.Errorf("Paris rollups billed in UTC: %v, want a RequestError naming Location", err)
		}
	})
}

// TestBadRollup: stored figures that cannot be billed are refused, naming
// the row.
func TestBadRollup(t *testing.T) {
	forEachStore(t, false, func(t *testing.T, st store.Store) {
		aggregated(t, st, "vc1", mar(1), vm{key: "over", present: 1, gold: 80, silver: 70})
		aggregated(t, st, "vc1", mar(2), vm{key: "neg", present: 1, vcpu: -2})
		cards := []inventory.RateCard{{Currency: "EUR", VMDay: "1"}}
		for d, field := range map[int]string{1: "pool_*_pct", 2: "avg_vcpu_count"} {
			_, err := chargeback.Compute(context.Background(), st, &chargeback.Request{Period: chargeback.PeriodDay, At: mar(d), Cards: cards})
			var re *chargeback.RollupError
			if !errors.Is(err, chargeback.ErrBadRollup) || !errors.As(err, &re) || re.Field != field || re.Vcenter != "vc1" || !re.Day.Equal(mar(d)) {
				t.Errorf("March %d: %v, want a RollupError on %s", d, err, field)
			}
		}
	})
}

// refusingSource fails the test when read: an invalid request reads nothing.
type refusingSource struct{ t *testing.T }

func (s refusingSource) ScanDailyRollups(context.Context, *store.ScanRollupsParams, func(*inventory.DailyRollup) error) error {
	s.t.Error("ScanDailyRollups called for an invalid request")
	return nil
}

func (s refusingSource) ListSnapshots(context.Context, *store.ListSnapshotsParams) ([]inventory.SnapshotRecord, error) {
	s.t.Error("ListSnapshots called for an invalid request")
	return nil, nil
}

// TestInvalidRequest: every invalid request is a RequestError naming the
// field, and reads nothing.
func TestInvalidRequest(t *testing.T) {
	ok := func() chargeback.Request {
		return chargeback.Request{Period: chargeback.PeriodMonth, At: march, Cards: []inventory.RateCard{{Currency: "EUR", VCPUDay: "1"}}}
	}
	for _, c := range []struct {
		field, text string
		edit        func(r *chargeback.Request)
	}{
		{"Period", "week", func(r *chargeback.Request) { r.Period = "week" }},
		{"At", "required", func(r *chargeback.Request) { r.At = time.Time{} }},
		{"By[1]", `"colour"`, func(r *chargeback.Request) { r.By = []string{"cluster", "colour"} }},
		{"By[0]", `"tag:"`, func(r *chargeback.Request) { r.By = []string{"tag:"} }},
		{"By[2]", "repeated", func(r *chargeback.Request) { r.By = []string{"tag:a", "tier", "tag:a"} }},
		{"Vcenters[1]", "empty", func(r *chargeback.Request) { r.Vcenters = []string{"vc1", ""} }},
		{"Vcenter", "not in Vcenters", func(r *chargeback.Request) { r.Vcenters, r.Vcenter = []string{"vc1"}, "vc2" }},
		{"Cards[0].Currency", `"eur"`, func(r *chargeback.Request) { r.Cards[0].Currency = "eur" }},
		{"Cards[0].Currency", `""`, func(r *chargeback.Request) { r.Cards[0].Currency = "" }},
		{"Cards[0].Tier", "Platinum", func(r *chargeback.Request) { r.Cards[0].Tier = "Platinum" }},
		{"Cards[0].VCPUDay", `"1,5"`, func(r *chargeback.Request) { r.Cards[0].VCPUDay = "1,5" }},
		{"Cards[0].VMDay", "negative", func(r *chargeback.Request) { r.Cards[0].VMDay = "-0.01" }},
		{"Cards[0].TagValue", "without TagKey", func(r *chargeback.Request) { r.Cards[0].TagValue = "acme" }},
		{"Cards[0].TagKey", "no tag category", func(r *chargeback.Request) { r.Cards[0].TagKey = "tag:" }},
	} {
		req := ok()
		req.Cards = slices.Clone(req.Cards)
		c.edit(&req)
		_, err := chargeback.Compute(context.Background(), refusingSource{t}, &req)
		var re *chargeback.RequestError
		if !errors.Is(err, chargeback.ErrInvalidRequest) || !errors.As(err, &re) || re.Field != c.field || !strings.Contains(err.Error(), c.text) {
			t.Errorf("%s: %v, want a RequestError naming %s and %s", c.field, err, c.field, c.text)
		}
	}
	req := ok()
	if _, err := chargeback.Compute(context.Background(), nil, &req); !errors.Is(err, chargeback.ErrInvalidRequest) {
		t.Errorf("nil source: %v", err)
	}
	if _, err := chargeback.Compute(context.Background(), refusingSource{t}, nil); !errors.Is(err, chargeback.ErrInvalidRequest) {
		t.Errorf("nil request: %v", err)
	}
}
