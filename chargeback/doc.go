// Package chargeback prices the daily rollups of a vinventory store with
// rate cards (inventory.RateCard) into a bill: cost per group (vCenter,
// pool tier, cluster, folder, VM, tags), with the coverage it was computed
// from, and for the current month the month-to-date cost and a projection.
//
//	bill, err := chargeback.Compute(ctx, st, &chargeback.Request{
//		Period: chargeback.PeriodMonth, At: time.Now(),
//		By:     []string{"tag:tenant", "tier"},
//		Cards:  cards,
//	})
//
// Compute only reads: the daily rollups (store.Rollups.ScanDailyRollups)
// and the daily records of the snapshot registry
// (store.Registry.ListSnapshots); any store.Store is a Source. This
// documentation is the complete set of rules a bill follows.
//
// # Period and scope
//
// A bill covers one calendar day or one calendar month of
// Request.Location (UTC by default), the one holding Request.At. Location
// must be the location the rollups were aggregated in: a stored day that
// is not a day start there is refused (a *RequestError naming Location)
// rather than billed on the wrong day. Request.Vcenters limits the bill to
// those vCenters (empty: every vCenter); Request.Vcenter keeps one of them.
//
// # What is billed: covered days
//
// A day of a vCenter is covered when the snapshot registry holds a daily
// record for it (a completed daily aggregation). Only covered days are
// billed. A day without one bills nothing, even if rollup rows exist for
// it (they are counted in Coverage.UnbilledRows): a month observed on 4 of
// its 31 days bills those 4 days, never an average stretched over the
// month (SEMANTICS §5).
//
// Bill.Coverage lists, per vCenter, the days of the period, the covered
// days, the uncovered days (dates, YYYY-MM-DD) and the covered days that
// were aggregated before they ended (a partial registry record or a
// partial rollup row). Bill.Partial is true when the period has not ended
// at Request.Now (the current day or month) or any vCenter has an
// uncovered or partial day: the bill covers less than its whole period.
// The vCenters of a bill are
// those named by Request.Vcenters or Request.Vcenter, and every vCenter
// with a daily record or a rollup row in the period.
//
// # Billable quantities of a VM-day
//
// A VM-day is one daily rollup row (one VM, one vCenter, one day). Its
// billable quantities are (SEMANTICS §4):
//
//	vCPU-days                 = avg_vcpu_count × avg_is_present
//	RAM GB-days               = avg_ram_gb × avg_is_present
//	provisioned disk GB-days  = avg_provisioned_disk_gb × avg_is_present
//	used disk GB-days         = avg_used_disk_gb × avg_is_present
//	VM-days                   = avg_is_present
//
// The stored figures are float64: each is converted to a decimal with
// decimal.NewFromFloat (the shortest decimal that reads back as the same
// float64: 0.1 is 0.1, 2/3 is 0.6666666666666666), and everything after
// that is exact decimal arithmetic. A row with a figure that is not a
// finite number at or above 0 is refused with a *RollupError.
//
// # Tier shares
//
// A VM-day is split into up to five shares by the pool tier its samples
// were in: Tin, Bronze, Silver and Gold take pool_tin_pct / 100 …
// pool_gold_pct / 100 of it, and "none" (no tiered pool) takes the rest,
// 1 − the four shares. Should the stored percentages add up to a hair more
// than 100 (floating-point rounding, up to 1e-9 of the VM-day), the none
// share is 0; more than that is a *RollupError. A share of 0 is ignored. A
// VM that moved from a Silver pool to a Gold pool at noon has a Silver and
// a Gold share of one half each, each priced with its own card.
//
// # Which card prices a share
//
// For the share of tier T of a VM-day on day D, a card applies when
//
//   - its first day is D or earlier: the day (in Location) holding its
//     EffectiveFrom; a zero EffectiveFrom applies from the beginning;
//   - each of its selectors is empty or matches: Tier equals T (any case;
//     "none" selects the untiered share), Vcenter and Cluster equal the
//     VM-day's (exactly), TagKey names a tag category the VM-day has (its
//     attribute "tag:<TagKey>"; a leading "tag:" in TagKey is accepted),
//     and TagValue, when set, equals that attribute or one of its tag
//     names (vSphere joins several tags of one category with ", ").
//
// Of the applicable cards with the same selectors, only the newest counts
// (latest first day, then highest ID, then the latest in Request.Cards): a
// card is replaced by a newer card with the same selectors from the
// newer card's first day on. Of what remains, the most specific card
// prices the share:
//
//  1. the card with the most selectors set (Tier, Vcenter, Cluster,
//     TagKey and TagValue each count one);
//  2. on a tie, a card with a TagKey wins over one without, then a card
//     with a TagValue, then a Cluster, then a Vcenter, then a Tier;
//  3. then the highest ID, then the latest in Request.Cards.
//
// So a card for tag tenant=acme (two selectors) beats a card for the Gold
// tier (one), and a card for cluster C in the Gold tier (two) beats a card
// for tag tenant (one) but not one for tenant=acme in the Gold tier.
//
// # Cost of a share
//
//	cost = share × ( vCPU-days × VCPUDay
//	               + RAM GB-days × RAMGBDay
//	               + provisioned disk GB-days × ProvisionedDiskGBDay
//	               + used disk GB-days × UsedDiskGBDay
//	               + VM-days × VMDay )
//
// with the card's prices (exact decimal strings; an empty price is 0).
// Every day is priced with the cards in effect on that day, so a price
// change in the middle of a month bills the days before it at the old
// price and the days from it on at the new one.
//
// A share no card applies to is not dropped: it costs 0, its quantities
// are in the line's quantities and again in Line.Unpriced, which counts
// such shares. All cards that price one bill (its projection included)
// must have the same currency, Bill.Currency; otherwise Compute fails with
// a *CurrencyError naming both currencies. Cards that price nothing are
// not checked.
//
// # Lines
//
// Request.By lists the group keys; Bill.Lines has one line per distinct
// tuple of their values, sorted by tuple (byte order, first key first).
// The value of each key for a share:
//
//	vcenter         the vCenter
//	tier            the share's tier: Tin, Bronze, Silver, Gold or none
//	cluster         the row's cluster (the latest of the day)
//	folder          the row's folder (the latest of the day)
//	vm              "<vcenter>/<vm_key>", unique across vCenters
//	tag:<category>  the row's attribute "tag:<category>" (the latest
//	                present sample's tags); "" when the VM has none
//
// Without "tier", a VM-day's shares all go to one line, whose quantities
// are then the VM-day's whole quantities. Without any key there is one
// line (when anything was billed), equal to Bill.Total. An unknown or
// repeated key is a *RequestError naming it (By[i]).
//
// A line holds its quantities (sums of share × quantity), its cost, and
// its unpriced part. Costs are kept exact (Money.Exact) and presented
// rounded half to even to 2 decimals (Money.Rounded); the rounded lines
// need not add up to the rounded total, the exact ones do.
//
// # Month-to-date and projection
//
// A month bill whose month contains Request.Now (default: now) also has:
//
//   - Bill.MonthToDate: the cost of the covered days starting at or
//     before Now (normally the whole bill).
//   - Bill.Projection, an estimate, never a bill: the month-to-date cost
//     plus, for each vCenter, every day after its last covered day at or
//     before Now, up to the end of the month, priced as a copy of that
//     last covered day's VM-days (same quantities, shares, clusters and
//     tags) at the cards in effect on the projected day itself; a card
//     that becomes effective after Now prices the projected days from its
//     first day on. Uncovered days before a vCenter's last covered day are
//     not projected. Projection.Basis names the day each vCenter copies,
//     Line.Projected splits the projection by line. With no covered day up
//     to Now the projection is zero and Projection.Note says why.
//
// # Errors
//
// *RequestError (errors.Is ErrInvalidRequest) names the Request field:
// Period, At, Vcenter, Vcenters[i], By[i], Cards[i].<field> (a currency
// that is not three letters A-Z, an unknown Tier, a TagValue without
// TagKey, a price that is not a decimal or is negative) or Location.
// *CurrencyError (ErrMixedCurrencies), *RollupError (ErrBadRollup) and the
// store's errors, wrapped, are the others. No partial bill is returned
// with an error.
package chargeback
