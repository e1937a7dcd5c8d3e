package inventory

import "time"

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
