package api

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/accessvault/vinventory/chargeback"
	"github.com/accessvault/vinventory/store"
)

func (a *API) registerChargeback() {
	o := op(http.MethodGet, "/api/chargeback", "get-chargeback",
		"A day's or month's bill: costs from the rate cards, grouped, with coverage, month-to-date and projection", RoleViewer, "chargeback")
	o.Description = "Package chargeback's rules (see its documentation): each VM-day and pool-tier share is priced by the most " +
		"specific rate card in effect that day; only days with a daily aggregation are billed; a partial period says so " +
		"(coverage lists the days missing). While the month runs, month_to_date is what the covered days cost and projection " +
		"repeats each vCenter's last covered day to the month's end at each day's prices (an estimate). " + o.Description
	o.Errors = append(o.Errors, http.StatusServiceUnavailable)
	huma.Register(a.h, o, a.getChargeback)
}

type chargebackInput struct {
	Period  string   `query:"period" enum:"day,month" default:"month"`
	At      string   `query:"at" required:"true" maxLength:"40" doc:"The day (YYYY-MM-DD), month (YYYY-MM) or any RFC 3339 time inside the period."`
	Vcenter string   `query:"vcenter" maxLength:"256"`
	By      []string `query:"by,explode" maxItems:"8" doc:"Group keys (repeatable): vcenter, tier, cluster, folder, vm, tag:<category>."`
}

func (a *API) getChargeback(ctx context.Context, in *chargebackInput) (*struct{ Body chargeback.Bill }, error) {
	rs, ok := a.o.Store.(store.RateCardStore)
	if !ok {
		return nil, huma.Error503ServiceUnavailable("this store keeps no rate cards")
	}
	var at time.Time
	var err error
	for _, layout := range []string{time.DateOnly, "2006-01", time.RFC3339Nano} {
		if at, err = time.ParseInLocation(layout, in.At, a.o.Location); err == nil {
			break
		}
	}
	if err != nil {
		return nil, invalid("at", "want YYYY-MM-DD, YYYY-MM or an RFC 3339 time")
	}
	sc := scopeOf(ctx)
	if in.Vcenter != "" && !sc.sees(in.Vcenter) {
		return nil, huma.Error403Forbidden("this token may not read vCenter " + in.Vcenter)
	}
	cards, err := rs.ListRateCards(ctx, &store.ListRateCardsParams{})
	if err != nil {
		return nil, a.storeError(ctx, "list rate cards", err)
	}
	req := &chargeback.Request{Period: chargeback.Period(in.Period), At: at, Location: a.o.Location, Vcenter: in.Vcenter,
		By: in.By, Cards: cards, Now: a.o.Clock()}
	if !sc.all {
		req.Vcenters = sc.list
	}
	bill, err := chargeback.Compute(ctx, a.o.Store, req)
	var re *chargeback.RequestError
	switch {
	case errors.As(err, &re):
		field, _, _ := strings.Cut(re.Field, "[")
		name := map[string]string{"By": "by", "At": "at", "Vcenter": "vcenter", "Period": "period"}[field]
		if name == "" {
			return nil, a.internal(ctx, "chargeback", err)
		}
		return nil, invalid(name, re.Reason)
	case errors.Is(err, chargeback.ErrMixedCurrencies):
		return nil, huma.Error422UnprocessableEntity(err.Error())
	case err != nil:
		return nil, a.storeError(ctx, "chargeback", err)
	}
	return &struct{ Body chargeback.Bill }{*bill}, nil
}
