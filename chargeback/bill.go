package chargeback

import (
	"time"

	"github.com/shopspring/decimal"
)

// Bill is the cost of a period, in lines per group key tuple, with the
// coverage it was computed from. Every figure is exact; a decimal.Decimal
// is written to JSON as a decimal string (e.g. "12.5"), never as a binary
// floating-point number.
type Bill struct {
	Period Period `json:"period"`
	// Start and End bound the period to [Start, End), in UTC; Location is
	// the name of the location that cut it.
	Start    time.Time `json:"start"`
	End      time.Time `json:"end"`
	Location string    `json:"location"`
	// Currency is the currency of every card that priced the bill; empty
	// when no card priced anything.
	Currency string `json:"currency"`
	// By are the group keys of the lines, as requested.
	By []string `json:"by"`
	// Lines holds one line per distinct group key tuple, sorted by key
	// tuple (byte order of each value, first key first).
	Lines []Line `json:"lines"`
	// Total adds up every line; its Key is empty.
	Total Line `json:"total"`
	// Coverage lists, per vCenter of the bill (sorted by name), which days
	// were billed.
	Coverage []Coverage `json:"coverage"`
	// Partial is true when the period had not ended at Request.Now, or
	// some vCenter has days of the period that were not billed (no daily
	// aggregation yet, or none at all) or that were aggregated before the
	// day ended (a partial rollup): the bill covers less than the whole
	// period.
	Partial bool `json:"partial"`
	// PartialRows counts the billed rollup rows aggregated before their
	// day ended.
	PartialRows int `json:"partial_rows"`
	// CardsUsed lists the IDs of the cards that priced the bill (its
	// projection included), ascending.
	CardsUsed []int64 `json:"cards_used"`
	// MonthToDate and Projection are set for a month bill whose month
	// contains Request.Now.
	MonthToDate *MonthToDate `json:"month_to_date,omitempty"`
	Projection  *Projection  `json:"projection,omitempty"`
}

// Line is the cost and the billable quantities of one group of VM-day
// shares.
type Line struct {
	// Key holds the group values, one per Bill.By key (see the package
	// documentation for each key's value; a missing tag is "").
	Key []string `json:"key"`
	// Quantities are every billable quantity of the line's VM-day shares,
	// priced or not.
	Quantities
	// Cost prices the line's VM-day shares with their cards.
	Cost Money `json:"cost"`
	// Unpriced is the part of Quantities that no card priced (its cost is
	// 0) and the number of VM-day shares it comes from.
	Unpriced Unpriced `json:"unpriced"`
	// Projected is the line's share of Bill.Projection (its month-to-date
	// cost plus its projected days); set only with Bill.Projection. An
	// estimate.
	Projected *Money `json:"projected,omitempty"`
}

// Quantities are billable resource-days (SEMANTICS §4): of a VM-day,
// avg_vcpu_count × avg_is_present vCPU-days, avg_ram_gb × avg_is_present
// RAM GB-days, the provisioned and used disk GB-days likewise and
// avg_is_present VM-days, each multiplied by the tier share.
type Quantities struct {
	VCPUDays              decimal.Decimal `json:"vcpu_days"`
	RAMGBDays             decimal.Decimal `json:"ram_gb_days"`
	ProvisionedDiskGBDays decimal.Decimal `json:"provisioned_disk_gb_days"`
	UsedDiskGBDays        decimal.Decimal `json:"used_disk_gb_days"`
	VMDays                decimal.Decimal `json:"vm_days"`
}

// Unpriced are the quantities of the VM-day shares no card priced.
type Unpriced struct {
	// Shares counts the VM-day shares (a VM-day has up to five: four pool
	// tiers and the untiered share) that no card priced.
	Shares int `json:"shares"`
	Quantities
}

// Money is an amount in Bill.Currency.
type Money struct {
	// Rounded is Exact rounded half to even to 2 decimals, always written
	// with 2 decimals ("1234.50"): the figure to present.
	Rounded string `json:"rounded"`
	// Exact is the amount before rounding. Sum the exact amounts, not the
	// rounded ones: rounded lines need not add up to the rounded total.
	Exact decimal.Decimal `json:"exact"`
}

func money(d decimal.Decimal) Money { return Money{Rounded: d.StringFixedBank(2), Exact: d} }

// Coverage tells which days of the period a vCenter's bill covers.
type Coverage struct {
	Vcenter string `json:"vcenter"`
	// DaysInPeriod is the number of days of the period (1 for a day).
	DaysInPeriod int `json:"days_in_period"`
	// CoveredDays is the number of days with a daily aggregation record
	// in the snapshot registry: the days billed.
	CoveredDays int `json:"covered_days"`
	// UncoveredDays lists the other days (YYYY-MM-DD in the bill's
	// location), which bill nothing; days still to come in the current
	// month are among them.
	UncoveredDays []string `json:"uncovered_days"`
	// PartialDays lists the covered days aggregated before they ended
	// (a partial registry record or a partial rollup row).
	PartialDays []string `json:"partial_days"`
	// UnbilledRows counts the rollup rows of uncovered days, left out of
	// the bill (an aggregation that wrote rows but not its record).
	UnbilledRows int `json:"unbilled_rows"`
}

// MonthToDate is the cost of the days of the month up to Now.
type MonthToDate struct {
	// Now is Request.Now, in UTC.
	Now time.Time `json:"now"`
	// Cost prices the covered days that start at or before Now.
	Cost Money `json:"cost"`
}

// Projection estimates the cost of the whole month from its month-to-date
// cost: for each vCenter, every day after its last covered day up to the
// end of the month is priced as a copy of that day's VM-days, at the
// cards in effect on the projected day.
type Projection struct {
	// Estimate is always true: a projection is not a bill.
	Estimate bool `json:"estimate"`
	// Cost is the month-to-date cost plus the projected days.
	Cost Money `json:"cost"`
	// Basis lists, per vCenter with a covered day up to Now, the day
	// copied and how many days were projected from it.
	Basis []ProjectionBasis `json:"basis"`
	// UnpricedShares counts the projected VM-day shares (per projected
	// day) that no card priced.
	UnpricedShares int `json:"unpriced_shares"`
	// Note says how the projection was made, or why it is zero.
	Note string `json:"note"`
}

// ProjectionBasis is the day a vCenter's projection copies.
type ProjectionBasis struct {
	Vcenter string `json:"vcenter"`
	// LastCoveredDay is the vCenter's last covered day at or before Now
	// (YYYY-MM-DD in the bill's location).
	LastCoveredDay string `json:"last_covered_day"`
	// Rows is the number of that day's daily rollup rows (VMs) copied.
	Rows int `json:"rows"`
	// ProjectedDays is the number of days after it up to the end of the
	// month.
	ProjectedDays int `json:"projected_days"`
}
