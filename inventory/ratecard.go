package inventory

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// RateCard prices billable resource-days (SEMANTICS §4, §5) from a day on.
// Prices are exact decimal strings in Currency per unit-day (for example
// "0.0125"); an empty price is zero. A card applies to the VM-days its
// selectors match (an empty selector matches anything) on days at or after
// EffectiveFrom, until a newer card with the same selectors takes over; of
// the cards that apply to a VM-day, the one with the most selectors set
// wins (package chargeback documents the rules in full).
type RateCard struct {
	// ID is assigned by the store when the card is created.
	ID   int64  `json:"id"`
	Name string `json:"name"`
	// Currency is an ISO 4217 code, e.g. "EUR". Every card of one bill has
	// the same currency.
	Currency string `json:"currency"`
	// EffectiveFrom is the first day the card prices (a day start in the
	// configured location, stored UTC).
	EffectiveFrom time.Time `json:"effective_from"`

	// Selectors. Tier is a pool tier (Tin, Bronze, Silver, Gold) or "none"
	// for VM-days in no tiered pool; empty matches every tier.
	Tier     string `json:"tier,omitempty"`
	Vcenter  string `json:"vcenter,omitempty"`
	Cluster  string `json:"cluster,omitempty"`
	TagKey   string `json:"tag_key,omitempty"`
	TagValue string `json:"tag_value,omitempty"`

	// Prices per unit-day, exact decimals.
	VCPUDay              string `json:"vcpu_day,omitempty"`
	RAMGBDay             string `json:"ram_gb_day,omitempty"`
	ProvisionedDiskGBDay string `json:"provisioned_disk_gb_day,omitempty"`
	UsedDiskGBDay        string `json:"used_disk_gb_day,omitempty"`
	// VMDay is a fixed price per VM-day present (× avg_is_present).
	VMDay string `json:"vm_day,omitempty"`
}

// RateCardNameMax is the longest Name a rate card may have, in
// characters.
const RateCardNameMax = 200

// RateCardTierNone is the Tier selector of VM-days in no tiered pool.
const RateCardTierNone = "none"

// Validate checks the card and returns every problem joined, each a
// *FieldError naming the field by its JSON name: name (required, at most
// RateCardNameMax characters), currency (three upper-case ASCII letters),
// effective_from (required), tier (empty, a tier of Tiers as spelled
// there, or "none"), tag_value (only with a tag_key) and each price
// (empty or a non-negative plain decimal: digits, optionally a point and
// at most 18 more digits).
func (c *RateCard) Validate() error {
	var errs []error
	add := func(field, reason string) { errs = append(errs, &FieldError{Field: field, Reason: reason}) }
	switch {
	case strings.TrimSpace(c.Name) == "":
		add("name", "must not be empty")
	case utf8.RuneCountInString(c.Name) > RateCardNameMax:
		add("name", fmt.Sprintf("must be at most %d characters", RateCardNameMax))
	}
	if !isCurrencyCode(c.Currency) {
		add("currency", "must be an ISO 4217 code: three upper-case letters, e.g. EUR")
	}
	if c.EffectiveFrom.IsZero() {
		add("effective_from", "must be set")
	}
	if c.Tier != "" && c.Tier != RateCardTierNone && !Tier(c.Tier).Valid() {
		add("tier", fmt.Sprintf("must be Tin, Bronze, Silver, Gold or %q", RateCardTierNone))
	}
	if c.TagValue != "" && c.TagKey == "" {
		add("tag_value", "needs a tag_key")
	}
	for _, p := range []struct{ field, v string }{
		{"vcpu_day", c.VCPUDay}, {"ram_gb_day", c.RAMGBDay}, {"provisioned_disk_gb_day", c.ProvisionedDiskGBDay},
		{"used_disk_gb_day", c.UsedDiskGBDay}, {"vm_day", c.VMDay},
	} {
		if p.v != "" && !isPlainDecimal(p.v) {
			add(p.field, fmt.Sprintf("must be a non-negative decimal such as 0.0125 (digits, optionally a point and at most %d more digits)", maxPriceDecimals))
		}
	}
	return errors.Join(errs...)
}

// maxPriceDecimals is the number of digits a price may have after its
// point.
const maxPriceDecimals = 18

func isCurrencyCode(s string) bool {
	if len(s) != 3 {
		return false
	}
	for i := range len(s) {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}

// isPlainDecimal reports whether s matches ^[0-9]+(\.[0-9]{1,18})?$.
func isPlainDecimal(s string) bool {
	whole, frac, dot := strings.Cut(s, ".")
	return allDigits(whole) && (!dot || (allDigits(frac) && len(frac) <= maxPriceDecimals))
}

// allDigits reports whether s is one or more ASCII digits.
func allDigits(s string) bool {
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
