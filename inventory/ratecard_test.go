package inventory_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/accessvault/vinventory/inventory"
)

// goodCard is a valid card with every field set.
func goodCard() inventory.RateCard {
	return inventory.RateCard{
		Name: "Gold tier 2026", Currency: "EUR", EffectiveFrom: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		Tier: "Gold", Vcenter: "vc-a", Cluster: "prod", TagKey: "cost-center", TagValue: "42",
		VCPUDay: "0.5", RAMGBDay: "0.0125", ProvisionedDiskGBDay: "0.000000000000000001", UsedDiskGBDay: "0", VMDay: "12",
	}
}

func TestRateCardValidateAccepts(t *testing.T) {
	for name, mod := range map[string]func(c *inventory.RateCard){
		"every field": func(*inventory.RateCard) {},
		"no selectors, no prices": func(c *inventory.RateCard) {
			*c = inventory.RateCard{Name: "n", Currency: "USD", EffectiveFrom: c.EffectiveFrom}
		},
		"tier none":                func(c *inventory.RateCard) { c.Tier = inventory.RateCardTierNone },
		"tag key alone":            func(c *inventory.RateCard) { c.TagValue = "" },
		"name of 200 characters":   func(c *inventory.RateCard) { c.Name = strings.Repeat("é", inventory.RateCardNameMax) },
		"18 decimals":              func(c *inventory.RateCard) { c.VCPUDay = "1." + strings.Repeat("9", 18) },
		"long integer part":        func(c *inventory.RateCard) { c.VMDay = strings.Repeat("9", 40) },
		"leading zeros":            func(c *inventory.RateCard) { c.RAMGBDay = "000.10" },
		"hostile free-text fields": func(c *inventory.RateCard) { c.Name, c.Cluster, c.TagKey = `=1+1 "q"`, "<script>", "'; --" },
	} {
		c := goodCard()
		mod(&c)
		if err := c.Validate(); err != nil {
			t.Errorf("%s: Validate() = %v, want nil", name, err)
		}
	}
	for _, tier := range inventory.Tiers() {
		c := goodCard()
		c.Tier = string(tier)
		if err := c.Validate(); err != nil {
			t.Errorf("tier %s: Validate() = %v, want nil", tier, err)
		}
	}
}

func TestRateCardValidateRefuses(t *testing.T) {
	for _, c := range []struct {
		name, field string
		mod         func(c *inventory.RateCard)
	}{
		{"empty name", "name", func(c *inventory.RateCard) { c.Name = "" }},
		{"blank name", "name", func(c *inventory.RateCard) { c.Name = " \t " }},
		{"name of 201 characters", "name", func(c *inventory.RateCard) { c.Name = strings.Repeat("é", inventory.RateCardNameMax+1) }},
		{"empty currency", "currency", func(c *inventory.RateCard) { c.Currency = "" }},
		{"lower-case currency", "currency", func(c *inventory.RateCard) { c.Currency = "eur" }},
		{"two-letter currency", "currency", func(c *inventory.RateCard) { c.Currency = "EU" }},
		{"four-letter currency", "currency", func(c *inventory.RateCard) { c.Currency = "EURO" }},
		{"non-ASCII currency", "currency", func(c *inventory.RateCard) { c.Currency = "ÉUR" }},
		{"symbol currency", "currency", func(c *inventory.RateCard) { c.Currency = "€" }},
		{"zero effective_from", "effective_from", func(c *inventory.RateCard) { c.EffectiveFrom = time.Time{} }},
		{"lower-case tier", "tier", func(c *inventory.RateCard) { c.Tier = "gold" }},
		{"unknown tier", "tier", func(c *inventory.RateCard) { c.Tier = "Platinum" }},
		{"None capitalised", "tier", func(c *inventory.RateCard) { c.Tier = "None" }},
		{"tag value without key", "tag_value", func(c *inventory.RateCard) { c.TagKey = "" }},
		{"negative price", "vcpu_day", func(c *inventory.RateCard) { c.VCPUDay = "-1" }},
		{"plus sign", "vcpu_day", func(c *inventory.RateCard) { c.VCPUDay = "+1" }},
		{"exponent", "ram_gb_day", func(c *inventory.RateCard) { c.RAMGBDay = "1e-3" }},
		{"comma", "ram_gb_day", func(c *inventory.RateCard) { c.RAMGBDay = "0,5" }},
		{"trailing point", "provisioned_disk_gb_day", func(c *inventory.RateCard) { c.ProvisionedDiskGBDay = "1." }},
		{"leading point", "provisioned_disk_gb_day", func(c *inventory.RateCard) { c.ProvisionedDiskGBDay = ".5" }},
		{"two points", "used_disk_gb_day", func(c *inventory.RateCard) { c.UsedDiskGBDay = "1.2.3" }},
		{"19 decimals", "used_disk_gb_day", func(c *inventory.RateCard) { c.UsedDiskGBDay = "0." + strings.Repeat("1", 19) }},
		{"spaces", "vm_day", func(c *inventory.RateCard) { c.VMDay = " 1" }},
		{"NaN", "vm_day", func(c *inventory.RateCard) { c.VMDay = "NaN" }},
		{"formula", "vm_day", func(c *inventory.RateCard) { c.VMDay = "=1+1" }},
		{"non-ASCII digits", "vm_day", func(c *inventory.RateCard) { c.VMDay = "١" }},
	} {
		card := goodCard()
		c.mod(&card)
		fes := inventory.FieldErrors(card.Validate())
		if len(fes) != 1 || fes[0].Field != c.field || fes[0].Reason == "" {
			t.Errorf("%s: Validate() gives field errors %+v, want exactly one naming %q", c.name, fes, c.field)
		}
	}
}

func TestRateCardValidateNamesEveryField(t *testing.T) {
	card := inventory.RateCard{Tier: "x", TagValue: "v", VCPUDay: "x", RAMGBDay: "x", ProvisionedDiskGBDay: "x", UsedDiskGBDay: "x", VMDay: "x"}
	var got []string
	for _, fe := range inventory.FieldErrors(card.Validate()) {
		got = append(got, fe.Field)
	}
	want := []string{"name", "currency", "effective_from", "tier", "tag_value",
		"vcpu_day", "ram_gb_day", "provisioned_disk_gb_day", "used_disk_gb_day", "vm_day"}
	if !slices.Equal(got, want) {
		t.Errorf("Validate() names %q, want %q", got, want)
	}
}
