package chargeback

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

// Source is what Compute reads: the daily rollups and the snapshot
// registry. Every store.Store is a Source.
type Source interface {
	// ScanDailyRollups is store.Rollups.ScanDailyRollups.
	ScanDailyRollups(ctx context.Context, p *store.ScanRollupsParams, fn func(*inventory.DailyRollup) error) error
	// ListSnapshots is store.Registry.ListSnapshots.
	ListSnapshots(ctx context.Context, p *store.ListSnapshotsParams) ([]inventory.SnapshotRecord, error)
}

// Period is the length of a bill.
type Period string

// The periods a bill covers.
const (
	// PeriodDay bills one calendar day of Request.Location.
	PeriodDay Period = "day"
	// PeriodMonth bills one calendar month of Request.Location, with the
	// month-to-date cost and a projection while Request.Now is inside it.
	PeriodMonth Period = "month"
)

// Group keys of Request.By, besides "tag:<category>".
const (
	ByVcenter = "vcenter"
	ByTier    = "tier"
	ByCluster = "cluster"
	ByFolder  = "folder"
	ByVM      = "vm"
	// ByTagPrefix starts a tag group key: "tag:<category>" groups by the
	// value of the VM-day's tag of that category.
	ByTagPrefix = "tag:"
)

// TierNone is the tier name of the untiered share of a VM-day: in
// RateCard.Tier (a card for VM-days in no tiered pool) and as the "tier"
// group value.
const TierNone = "none"

// Request says what to bill.
type Request struct {
	// Period is PeriodDay or PeriodMonth. Required.
	Period Period
	// At is any instant inside the period to bill. Required.
	At time.Time
	// Location cuts days and months; it must be the location the daily
	// rollups were aggregated in. Defaults to UTC.
	Location *time.Location
	// Vcenters is the scope of the bill: only these vCenters are read and
	// billed. Empty means every vCenter.
	Vcenters []string
	// Vcenter keeps one vCenter of the scope. Empty means the whole scope;
	// a vCenter outside a non-empty Vcenters is refused.
	Vcenter string
	// By lists the group keys of Bill.Lines, in key order: "vcenter",
	// "tier", "cluster", "folder", "vm" and "tag:<category>" (one or
	// several). Empty means a single line, equal to the total.
	By []string
	// Cards are the rate cards to price with (see the package
	// documentation for which card prices a VM-day).
	Cards []inventory.RateCard
	// Now is the current time: a month bill whose month contains Now gets
	// its month-to-date cost and a projection. Defaults to time.Now().
	Now time.Time
}

// ErrInvalidRequest is matched (errors.Is) by every *RequestError.
var ErrInvalidRequest = errors.New("chargeback: invalid request")

// RequestError names the Request field that cannot be billed, for example
// "By[1]" or "Cards[2].VCPUDay". Nothing was read or computed.
type RequestError struct {
	Field  string
	Reason string
}

func (e *RequestError) Error() string {
	return fmt.Sprintf("chargeback: invalid %s: %s", e.Field, e.Reason)
}

// Is makes errors.Is(err, ErrInvalidRequest) true.
func (e *RequestError) Is(target error) bool { return target == ErrInvalidRequest }

// ErrMixedCurrencies is matched (errors.Is) by every *CurrencyError.
var ErrMixedCurrencies = errors.New("chargeback: rate cards of more than one currency")

// CurrencyError reports two rate cards of different currencies that would
// both price the same bill; no bill is made.
type CurrencyError struct {
	// First is the card that set the bill's currency, Other the first card
	// of another currency.
	First, Other inventory.RateCard
}

func (e *CurrencyError) Error() string {
	return fmt.Sprintf("chargeback: one bill cannot mix currencies %s (card %d %q) and %s (card %d %q)",
		e.First.Currency, e.First.ID, e.First.Name, e.Other.Currency, e.Other.ID, e.Other.Name)
}

// Is makes errors.Is(err, ErrMixedCurrencies) true.
func (e *CurrencyError) Is(target error) bool { return target == ErrMixedCurrencies }

// ErrBadRollup is matched (errors.Is) by every *RollupError.
var ErrBadRollup = errors.New("chargeback: daily rollup cannot be billed")

// RollupError reports a stored daily rollup row whose figures cannot be
// billed (not finite, negative, or pool percentages adding up to more
// than 100); no bill is made.
type RollupError struct {
	Vcenter string
	Day     time.Time
	VMKey   string
	// Field is the rollup's JSON field name, e.g. "avg_vcpu_count".
	Field  string
	Reason string
}

func (e *RollupError) Error() string {
	return fmt.Sprintf("chargeback: daily rollup of vCenter %q, day %s, VM %q: %s: %s",
		e.Vcenter, e.Day.Format(time.DateOnly), e.VMKey, e.Field, e.Reason)
}

// Is makes errors.Is(err, ErrBadRollup) true.
func (e *RollupError) Is(target error) bool { return target == ErrBadRollup }

// request is a validated Request.
type request struct {
	period   Period
	window   inventory.Window // in loc
	loc      *time.Location
	vcenters []string // sorted, nil = every vCenter
	by       []string
	tierCol  int      // index of "tier" in by, or -1
	tagKeys  []string // attribute keys ("tag:<category>") read from rows
	cards    []*card
	now      time.Time
}

func invalid(field, format string, args ...any) error {
	return &RequestError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

func validate(req *Request) (*request, error) {
	if req == nil {
		return nil, invalid("Request", "is nil")
	}
	r := &request{period: req.Period, loc: req.Location, now: req.Now, tierCol: -1}
	if r.loc == nil {
		r.loc = time.UTC
	}
	if r.now.IsZero() {
		r.now = time.Now()
	}
	if req.At.IsZero() {
		return nil, invalid("At", "is required")
	}
	switch req.Period {
	case PeriodDay:
		r.window = inventory.DayOf(req.At, r.loc)
	case PeriodMonth:
		r.window = inventory.MonthOf(req.At, r.loc)
	default:
		return nil, invalid("Period", "%q is not %q or %q", string(req.Period), PeriodDay, PeriodMonth)
	}
	for i, vc := range req.Vcenters {
		if vc == "" {
			return nil, invalid(fmt.Sprintf("Vcenters[%d]", i), "is empty")
		}
	}
	switch {
	case req.Vcenter != "":
		if len(req.Vcenters) > 0 && !slices.Contains(req.Vcenters, req.Vcenter) {
			return nil, invalid("Vcenter", "%q is not in Vcenters", req.Vcenter)
		}
		r.vcenters = []string{req.Vcenter}
	case len(req.Vcenters) > 0:
		r.vcenters = slices.Compact(slices.Sorted(slices.Values(req.Vcenters)))
	}
	tags := map[string]bool{}
	for i, k := range req.By {
		field := fmt.Sprintf("By[%d]", i)
		switch {
		case k == ByVcenter || k == ByCluster || k == ByFolder || k == ByVM:
		case k == ByTier:
			r.tierCol = i
		case strings.HasPrefix(k, ByTagPrefix) && len(k) > len(ByTagPrefix):
			tags[k] = true
		default:
			return nil, invalid(field, "unknown group key %q (want vcenter, tier, cluster, folder, vm or tag:<category>)", k)
		}
		if slices.Contains(req.By[:i], k) {
			return nil, invalid(field, "group key %q is repeated", k)
		}
	}
	r.by = slices.Clone(req.By)
	cards, err := parseCards(req.Cards, r.loc)
	if err != nil {
		return nil, err
	}
	r.cards = cards
	for _, c := range cards {
		if c.tagKey != "" {
			tags[c.tagKey] = true
		}
	}
	r.tagKeys = slices.Sorted(maps.Keys(tags))
	return r, nil
}

// date formats a day start as YYYY-MM-DD in the bill's location.
func (r *request) date(t time.Time) string { return t.In(r.loc).Format(time.DateOnly) }
