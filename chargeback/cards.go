package chargeback

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/accessvault/vinventory/inventory"
)

// The billable quantities of a VM-day, in the order of a card's prices.
const (
	qVCPU = iota // vCPU-days
	qRAM         // RAM GB-days
	qProv        // provisioned disk GB-days
	qUsed        // used disk GB-days
	qVM          // VM-days (avg_is_present)
	nq
)

// nTiers is the number of tier shares of a VM-day: the four pool tiers in
// rollup column order, then the untiered share.
const nTiers = 5

// tierName returns the name of share t: Tin, Bronze, Silver, Gold, none.
func tierName(t int) string {
	if t < 4 {
		return string(inventory.Tiers()[t])
	}
	return TierNone
}

// card is a validated rate card.
type card struct {
	rc  inventory.RateCard
	idx int // position in Request.Cards
	// tier is "", a tier name or TierNone; tagKey the attribute key
	// ("tag:<category>") of the tag selector, "" without one.
	tier, tagKey string
	// from is the first day the card prices: the start, in the bill's
	// location, of the day holding EffectiveFrom.
	from  time.Time
	price [nq]decimal.Decimal
}

func parseCards(in []inventory.RateCard, loc *time.Location) ([]*card, error) {
	out := make([]*card, 0, len(in))
	for i := range in {
		rc := in[i]
		field := func(name string) string { return fmt.Sprintf("Cards[%d].%s", i, name) }
		if !isCurrencyCode(rc.Currency) {
			return nil, invalid(field("Currency"), "%q is not an ISO 4217 code (three letters A-Z)", rc.Currency)
		}
		c := &card{rc: rc, idx: i, from: inventory.DayOf(rc.EffectiveFrom, loc).Start}
		if rc.Tier != "" {
			for t := range nTiers {
				if strings.EqualFold(rc.Tier, tierName(t)) {
					c.tier = tierName(t)
				}
			}
			if c.tier == "" {
				return nil, invalid(field("Tier"), "%q is not Tin, Bronze, Silver, Gold or %s", rc.Tier, TierNone)
			}
		}
		if rc.TagKey != "" {
			category := strings.TrimPrefix(rc.TagKey, ByTagPrefix)
			if category == "" {
				return nil, invalid(field("TagKey"), "%q names no tag category", rc.TagKey)
			}
			c.tagKey = ByTagPrefix + category
		}
		if rc.TagValue != "" && c.tagKey == "" {
			return nil, invalid(field("TagValue"), "is set without TagKey")
		}
		for q, p := range []struct{ name, v string }{
			{"VCPUDay", rc.VCPUDay}, {"RAMGBDay", rc.RAMGBDay}, {"ProvisionedDiskGBDay", rc.ProvisionedDiskGBDay},
			{"UsedDiskGBDay", rc.UsedDiskGBDay}, {"VMDay", rc.VMDay},
		} {
			if p.v == "" {
				continue
			}
			d, err := decimal.NewFromString(p.v)
			if err != nil {
				return nil, invalid(field(p.name), "%q is not a decimal number", p.v)
			}
			if d.IsNegative() {
				return nil, invalid(field(p.name), "%q is negative", p.v)
			}
			c.price[q] = d
		}
		out = append(out, c)
	}
	return out, nil
}

func isCurrencyCode(s string) bool {
	if len(s) != 3 {
		return false
	}
	for _, r := range []byte(s) {
		if r < 'A' || r > 'Z' {
			return false
		}
	}
	return true
}

// sameSelectors reports whether c and o select the same VM-day shares.
func (c *card) sameSelectors(o *card) bool {
	return c.tier == o.tier && c.rc.Vcenter == o.rc.Vcenter && c.rc.Cluster == o.rc.Cluster &&
		c.tagKey == o.tagKey && c.rc.TagValue == o.rc.TagValue
}

// newer orders cards of one selector set: the later first day, then the
// higher ID, then the later position in Request.Cards.
func newer(c, o *card) int {
	return cmp.Or(c.from.Compare(o.from), cmp.Compare(c.rc.ID, o.rc.ID), cmp.Compare(c.idx, o.idx))
}

// specificity orders the cards that apply to a VM-day share: more
// selectors set; then, in this order, a tag selector, a tag value, a
// cluster, a vCenter, a tier; then the higher ID, then the later position
// in Request.Cards.
func specificity(c, o *card) int {
	flags := func(c *card) [6]int {
		set := func(s string) int {
			if s == "" {
				return 0
			}
			return 1
		}
		n := set(c.tier) + set(c.rc.Vcenter) + set(c.rc.Cluster) + set(c.tagKey) + set(c.rc.TagValue)
		return [6]int{n, set(c.tagKey), set(c.rc.TagValue), set(c.rc.Cluster), set(c.rc.Vcenter), set(c.tier)}
	}
	fc, fo := flags(c), flags(o)
	return cmp.Or(slices.Compare(fc[:], fo[:]), cmp.Compare(c.rc.ID, o.rc.ID), cmp.Compare(c.idx, o.idx))
}

// matches reports whether c's selectors select the share of tier t of v.
func (c *card) matches(v *vmDay, t int) bool {
	if (c.tier != "" && c.tier != tierName(t)) || (c.rc.Vcenter != "" && c.rc.Vcenter != v.vcenter) ||
		(c.rc.Cluster != "" && c.rc.Cluster != v.cluster) {
		return false
	}
	if c.tagKey == "" {
		return true
	}
	val, ok := v.tags[c.tagKey]
	return ok && (c.rc.TagValue == "" || val == c.rc.TagValue || slices.Contains(strings.Split(val, ", "), c.rc.TagValue))
}

// pricer finds the card of each VM-day share, caching per day the cards in
// effect and per distinct (vCenter, cluster, tags) the cards found.
type pricer struct {
	cards   []*card
	tagKeys []string            // the attribute keys card selectors read
	days    map[int64]*dayCards // by day start, Unix seconds
}

type dayCards struct {
	active []*card // in effect on the day, most specific first
	found  map[string]*[nTiers]*card
}

func newPricer(cards []*card) *pricer {
	p := &pricer{cards: cards, days: map[int64]*dayCards{}}
	for _, c := range cards {
		if c.tagKey != "" && !slices.Contains(p.tagKeys, c.tagKey) {
			p.tagKeys = append(p.tagKeys, c.tagKey)
		}
	}
	return p
}

// inEffect returns the cards in effect on day: per selector set, the
// newest card whose first day is at or before day; most specific first.
func (p *pricer) inEffect(day time.Time) []*card {
	var active []*card
	for _, c := range p.cards {
		if c.from.After(day) {
			continue
		}
		i := slices.IndexFunc(active, c.sameSelectors)
		switch {
		case i < 0:
			active = append(active, c)
		case newer(c, active[i]) > 0:
			active[i] = c
		}
	}
	slices.SortFunc(active, func(a, b *card) int { return specificity(b, a) })
	return active
}

// cardsFor returns the card pricing each tier share of v on day (nil where
// none applies).
func (p *pricer) cardsFor(v *vmDay, day time.Time) *[nTiers]*card {
	dc := p.days[day.Unix()]
	if dc == nil {
		dc = &dayCards{active: p.inEffect(day), found: map[string]*[nTiers]*card{}}
		p.days[day.Unix()] = dc
	}
	// The key spells each part with its length, so no two differ only in
	// where one part ends.
	var b strings.Builder
	part := func(s string) {
		b.WriteString(strconv.Itoa(len(s)))
		b.WriteByte(':')
		b.WriteString(s)
	}
	part(v.vcenter)
	part(v.cluster)
	for _, k := range p.tagKeys {
		if val, ok := v.tags[k]; ok {
			part(val)
		} else {
			b.WriteByte('-')
		}
	}
	key := b.String()
	if got := dc.found[key]; got != nil {
		return got
	}
	got := new([nTiers]*card)
	for t := range nTiers {
		if i := slices.IndexFunc(dc.active, func(c *card) bool { return c.matches(v, t) }); i >= 0 {
			got[t] = dc.active[i]
		}
	}
	dc.found[key] = got
	return got
}

// boundaries returns the first days (Unix seconds) of the cards starting
// strictly inside (after, end): the days the cards in effect may change.
func (p *pricer) boundaries(after, end time.Time) map[int64]bool {
	out := map[int64]bool{}
	for _, c := range p.cards {
		if c.from.After(after) && c.from.Before(end) {
			out[c.from.Unix()] = true
		}
	}
	return out
}
