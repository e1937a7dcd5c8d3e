package inventory

import (
	"fmt"
	"strings"
)

// Tier is a resource pool tier used for chargeback.
type Tier string

// The default tiers.
const (
	TierNone   Tier = ""
	TierTin    Tier = "Tin"
	TierBronze Tier = "Bronze"
	TierSilver Tier = "Silver"
	TierGold   Tier = "Gold"
)

// Tiers returns the four tiers in rollup column order, in a new slice.
func Tiers() []Tier { return []Tier{TierTin, TierBronze, TierSilver, TierGold} }

// Index is the tier's rollup column (0 for Tin to 3 for Gold), or -1 for
// TierNone and names that are not tiers.
func (t Tier) Index() int {
	switch t {
	case TierTin:
		return 0
	case TierBronze:
		return 1
	case TierSilver:
		return 2
	case TierGold:
		return 3
	}
	return -1
}

// TierMap maps resource pool names (compared case-insensitively) to tiers.
// The zero value maps nothing; DefaultTierMap maps Tin, Bronze, Silver and
// Gold to themselves.
type TierMap struct {
	m map[string]Tier
}

// DefaultTierMap returns the default mapping: pools named Tin, Bronze,
// Silver and Gold (any case).
func DefaultTierMap() TierMap {
	tm, _ := NewTierMap(map[string]Tier{"Tin": TierTin, "Bronze": TierBronze, "Silver": TierSilver, "Gold": TierGold})
	return tm
}

// NewTierMap builds a mapping from pool names to tiers. Pool names are
// compared case-insensitively; tiers must be one of Tiers.
func NewTierMap(poolToTier map[string]Tier) (TierMap, error) {
	m := make(map[string]Tier, len(poolToTier))
	for pool, t := range poolToTier {
		if !t.Valid() {
			return TierMap{}, &FieldError{Field: "pool_tiers", Reason: fmt.Sprintf("pool %q maps to unknown tier %q (want Tin, Bronze, Silver or Gold)", pool, string(t))}
		}
		if strings.TrimSpace(pool) == "" {
			return TierMap{}, &FieldError{Field: "pool_tiers", Reason: "pool name must not be empty"}
		}
		k := strings.ToLower(pool)
		if prev, ok := m[k]; ok && prev != t {
			return TierMap{}, &FieldError{Field: "pool_tiers", Reason: fmt.Sprintf("pool %q maps to both %s and %s", pool, prev, t)}
		}
		m[k] = t
	}
	return TierMap{m: m}, nil
}

// Valid reports whether t is one of the four tiers.
func (t Tier) Valid() bool {
	return t == TierTin || t == TierBronze || t == TierSilver || t == TierGold
}

// Of returns the tier of a resource pool given its name or path: the last
// path element is compared case-insensitively with the map. It returns
// TierNone for untiered pools.
func (tm TierMap) Of(pool string) Tier {
	if tm.m == nil || pool == "" {
		return TierNone
	}
	if i := strings.LastIndexByte(pool, '/'); i >= 0 {
		pool = pool[i+1:]
	}
	if t, ok := tm.m[pool]; ok { // fast path for already-lowercase names
		return t
	}
	return tm.m[strings.ToLower(pool)]
}
