package api

import (
	"bytes"
	"context"
	"math"
	"net/http"
	"strconv"
	"testing"

	"github.com/accessvault/vinventory/chargeback"
	"github.com/accessvault/vinventory/internal/testbackends"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

// TestChargebackAPI: rate cards managed through the API (validation naming
// fields, audited) price the captured day: the month's bill equals the
// hand sum over the day's rollup rows at the card in effect that day (a
// later price change does not touch it), says the month is partial (one of
// 31 days), groups by tier into lines that add up to the total.
func TestChargebackAPI(t *testing.T) {
	testbackends.ForEach(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		f := newFixture(t, st)
		card := inventory.RateCard{Name: "base", Currency: "EUR", EffectiveFrom: fixtureDay.AddDate(0, -1, 0),
			VCPUDay: "0.50", RAMGBDay: "0.125", ProvisionedDiskGBDay: "0.01", VMDay: "1.00"}
		var created inventory.RateCard
		resp, _ := f.call(t, RoleAdmin, http.MethodPost, "/api/rate-cards", card, &created)
		if resp.StatusCode != 201 || created.ID <= 0 || created.VCPUDay != "0.50" {
			t.Fatalf("create card: %d %+v", resp.StatusCode, created)
		}
		// A price change from the next day on: the captured day keeps the old price.
		later := card
		later.Name, later.EffectiveFrom, later.VCPUDay = "raise", fixtureDay.AddDate(0, 0, 1), "9.00"
		f.call(t, RoleAdmin, http.MethodPost, "/api/rate-cards", later, &created)
		bad := card
		bad.Currency, bad.VCPUDay = "euro", "-1"
		resp, raw := f.call(t, RoleAdmin, http.MethodPost, "/api/rate-cards", bad, nil)
		if resp.StatusCode != 422 || !bytes.Contains(raw, []byte("body.currency")) || !bytes.Contains(raw, []byte("body.vcpu_day")) {
			t.Errorf("a bad card: %d %s", resp.StatusCode, raw)
		}
		if resp, _ := f.call(t, RoleOperator, http.MethodPost, "/api/rate-cards", card, nil); resp.StatusCode != 403 {
			t.Errorf("an operator creating a card: %d", resp.StatusCode)
		}
		// The hand sum over the day's rows.
		var want float64
		if err := st.ScanDailyRollups(ctx, &store.ScanRollupsParams{From: fixtureDay, To: fixtureDay.AddDate(0, 0, 1)}, func(r *inventory.DailyRollup) error {
			want += r.AvgVCPUCount*r.AvgIsPresent*0.50 + r.AvgRAMGB*r.AvgIsPresent*0.125 + r.AvgProvisionedDiskGB*r.AvgIsPresent*0.01 + r.AvgIsPresent*1.00
			return nil
		}); err != nil || want == 0 {
			t.Fatalf("rows: %v, sum %v", err, want)
		}
		var bill chargeback.Bill
		f.get(t, RoleViewer, "/api/chargeback?period=month&at=2026-03&by=tier", &bill)
		got, _ := strconv.ParseFloat(bill.Total.Cost.Exact.String(), 64)
		if math.Abs(got-want) > 1e-9*want || bill.Currency != "EUR" || !bill.Partial {
			t.Errorf("bill total %v (%s), want %v; currency %q partial %v", got, bill.Total.Cost.Rounded, want, bill.Currency, bill.Partial)
		}
		if len(bill.Coverage) != 1 || bill.Coverage[0].CoveredDays != 1 || bill.Coverage[0].DaysInPeriod != 31 || bill.Coverage[0].Vcenter != hostile {
			t.Errorf("coverage %+v", bill.Coverage)
		}
		var sum float64
		for _, l := range bill.Lines {
			v, _ := strconv.ParseFloat(l.Cost.Exact.String(), 64)
			sum += v
		}
		if len(bill.Lines) == 0 || math.Abs(sum-want) > 1e-9*want {
			t.Errorf("tier lines add up to %v, want %v (%d lines)", sum, want, len(bill.Lines))
		}
		var day chargeback.Bill
		f.get(t, RoleViewer, "/api/chargeback?period=day&at=2026-03-01", &day)
		if day.Total.Cost.Exact.String() != bill.Total.Cost.Exact.String() || day.Partial {
			t.Errorf("the day's bill %s (partial %v), the month's %s", day.Total.Cost.Exact, day.Partial, bill.Total.Cost.Exact)
		}
		for _, c := range []struct{ path, param string }{
			{"/api/chargeback?at=2026-03&by=colour", "by"},
			{"/api/chargeback?at=March", "at"},
			{"/api/chargeback?period=week&at=2026-03", "period"},
		} {
			resp, raw := f.get(t, RoleViewer, c.path, nil)
			if resp.StatusCode != 422 || !bytes.Contains(raw, []byte(c.param)) {
				t.Errorf("%s: %d %s", c.path, resp.StatusCode, raw)
			}
		}
		// Cards in two currencies cannot make one bill.
		usd := card
		usd.Name, usd.Currency, usd.Tier = "usd", "USD", "Gold"
		f.call(t, RoleAdmin, http.MethodPost, "/api/rate-cards", usd, &created)
		if resp, raw := f.get(t, RoleViewer, "/api/chargeback?at=2026-03", nil); resp.StatusCode != 422 || !bytes.Contains(raw, []byte("USD")) {
			t.Errorf("mixed currencies: %d %s", resp.StatusCode, raw)
		}
		if resp, _ := f.call(t, RoleAdmin, http.MethodDelete, "/api/rate-cards/"+strconv.FormatInt(created.ID, 10), nil, nil); resp.StatusCode != 204 {
			t.Errorf("delete card: %d", resp.StatusCode)
		}
		if n := len(auditOf(t, st, "rate_card.create")); n != 3 {
			t.Errorf("rate_card.create audited %d times, want 3", n)
		}
		if es := auditOf(t, st, "rate_card.delete"); len(es) != 1 || !bytes.Contains(es[0].Before, []byte(`"USD"`)) {
			t.Errorf("rate_card.delete audit %+v", es)
		}
	})
}
