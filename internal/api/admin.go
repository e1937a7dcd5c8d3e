package api

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

// StoreTokens authenticates the tokens kept in a store (created through
// the API or `vinventoryd token create`): the secret's SHA-256 is looked up
// by its hash, so only a secret whose hash is stored matches; a revoked
// token is refused.
type StoreTokens struct{ Store store.TokenStore }

// Authenticate implements TokenSource.
func (s StoreTokens) Authenticate(ctx context.Context, secret string) (Principal, bool, error) {
	h := sha256.Sum256([]byte(secret))
	t, err := s.Store.TokenByHash(ctx, &store.TokenByHashParams{Hash: h[:]})
	if errors.Is(err, store.ErrNotFound) {
		return Principal{}, false, nil
	}
	if err != nil {
		return Principal{}, false, err
	}
	if t.Revoked() {
		return Principal{}, false, nil
	}
	role, err := ParseRole(t.Role)
	if err != nil {
		return Principal{}, false, fmt.Errorf("api: stored token %d: %w", t.ID, err)
	}
	return Principal{Name: t.Name, Role: role, Vcenters: t.Vcenters}, true, nil
}

// TokenSources tries each source in turn: the first that knows the secret
// answers.
type TokenSources []TokenSource

// Authenticate implements TokenSource.
func (ts TokenSources) Authenticate(ctx context.Context, secret string) (Principal, bool, error) {
	for _, s := range ts {
		p, ok, err := s.Authenticate(ctx, secret)
		if err != nil || ok {
			return p, ok, err
		}
	}
	return Principal{}, false, nil
}

// registerAdmin declares the token, audit and rate card calls.
func (a *API) registerAdmin() {
	huma.Register(a.h, op(http.MethodGet, "/api/tokens", "list-tokens", "API tokens (never their secrets)", RoleAdmin, "admin"), a.listTokens)
	create := op(http.MethodPost, "/api/tokens", "create-token", "Create an API token; its secret is in this answer only", RoleAdmin, "admin")
	create.DefaultStatus = http.StatusCreated
	create.Errors = append(create.Errors, http.StatusConflict, http.StatusServiceUnavailable)
	huma.Register(a.h, create, a.createToken)
	revoke := op(http.MethodDelete, "/api/tokens/{id}", "revoke-token", "Revoke an API token (at once, on every replica)", RoleAdmin, "admin")
	revoke.DefaultStatus = http.StatusNoContent
	revoke.Errors = append(revoke.Errors, http.StatusNotFound, http.StatusServiceUnavailable)
	huma.Register(a.h, revoke, a.revokeToken)
	huma.Register(a.h, op(http.MethodGet, "/api/audit", "list-audit", "The audit log, newest first", RoleAdmin, "admin"), a.listAudit)
	huma.Register(a.h, op(http.MethodGet, "/api/rate-cards", "list-rate-cards", "Rate cards, by effective date", RoleViewer, "chargeback"), a.listRateCards)
	rc := op(http.MethodPost, "/api/rate-cards", "create-rate-card", "Create a rate card", RoleAdmin, "chargeback")
	rc.DefaultStatus = http.StatusCreated
	huma.Register(a.h, rc, a.createRateCard)
	ru := op(http.MethodPut, "/api/rate-cards/{id}", "update-rate-card", "Replace a rate card", RoleAdmin, "chargeback")
	ru.Errors = append(ru.Errors, http.StatusNotFound)
	huma.Register(a.h, ru, a.updateRateCard)
	rd := op(http.MethodDelete, "/api/rate-cards/{id}", "delete-rate-card", "Delete a rate card", RoleAdmin, "chargeback")
	rd.DefaultStatus = http.StatusNoContent
	rd.Errors = append(rd.Errors, http.StatusNotFound)
	huma.Register(a.h, rd, a.deleteRateCard)
}

func (a *API) tokenStore() (store.TokenStore, error) {
	ts, ok := a.o.Store.(store.TokenStore)
	if !ok {
		return nil, huma.Error503ServiceUnavailable("this store keeps no API tokens")
	}
	return ts, nil
}

type listTokensInput struct {
	IncludeRevoked bool `query:"include_revoked" doc:"Also list revoked tokens."`
}

func (a *API) listTokens(ctx context.Context, in *listTokensInput) (*listOutput[store.TokenInfo], error) {
	ts, err := a.tokenStore()
	if err != nil {
		return nil, err
	}
	toks, err := ts.ListTokens(ctx, &store.ListTokensParams{IncludeRevoked: in.IncludeRevoked})
	if err != nil {
		return nil, a.storeError(ctx, "list tokens", err)
	}
	sc := scopeOf(ctx)
	toks = keep(toks, func(t store.TokenInfo) bool { return scopeCovers(sc, t.Vcenters) })
	return newList(toks, ""), nil
}

// scopeCovers reports whether a caller of scope sc may see or make a token
// scoped to vcs: an unscoped caller any, a scoped one only tokens within
// its own scope.
func scopeCovers(sc scope, vcs []string) bool {
	if sc.all {
		return true
	}
	return len(vcs) > 0 && !slices.ContainsFunc(vcs, func(vc string) bool { return !sc.sees(vc) })
}

// TokenRequest is the body of a token creation.
type TokenRequest struct {
	Name     string   `json:"name" minLength:"1" maxLength:"200"`
	Role     string   `json:"role" enum:"viewer,operator,admin"`
	Vcenters []string `json:"vcenters,omitempty" maxItems:"1000" doc:"Scope: the vCenters the token may see; empty means every vCenter."`
}

// CreatedToken is a new token and its secret, shown this once.
type CreatedToken struct {
	Token  store.TokenInfo `json:"token"`
	Secret string          `json:"secret" doc:"The bearer secret. It is shown only in this answer: vinventory keeps its SHA-256 only."`
}

func (a *API) createToken(ctx context.Context, in *struct{ Body TokenRequest }) (*struct{ Body CreatedToken }, error) {
	ts, err := a.tokenStore()
	if err != nil {
		return nil, err
	}
	role, err := ParseRole(in.Body.Role)
	if err != nil {
		return nil, invalidBody("role", err.Error())
	}
	caller, _ := PrincipalFrom(ctx)
	if !scopeCovers(scopeOf(ctx), in.Body.Vcenters) {
		return nil, huma.Error403Forbidden("a scoped token may only create tokens scoped to vCenters it sees")
	}
	secret, tok, err := NewToken(in.Body.Name, role)
	if err != nil {
		return nil, a.internal(ctx, "new token", err)
	}
	info, err := ts.CreateToken(ctx, &store.CreateTokenParams{Name: in.Body.Name, Role: role.String(), Vcenters: in.Body.Vcenters,
		Hash: tok.Hash[:], CreatedBy: caller.Name})
	if errors.Is(err, store.ErrConflict) {
		return nil, huma.Error409Conflict(fmt.Sprintf("a token named %q exists (revoke it first)", in.Body.Name))
	}
	if err != nil {
		return nil, a.storeError(ctx, "create token", err)
	}
	a.audit(ctx, "token.create", strconv.FormatInt(info.ID, 10), nil, info, http.StatusCreated)
	return &struct{ Body CreatedToken }{CreatedToken{Token: *info, Secret: secret}}, nil
}

type idInput struct {
	ID int64 `path:"id" minimum:"1"`
}

func (a *API) revokeToken(ctx context.Context, in *idInput) (*struct{}, error) {
	ts, err := a.tokenStore()
	if err != nil {
		return nil, err
	}
	toks, err := ts.ListTokens(ctx, &store.ListTokensParams{IncludeRevoked: true})
	if err != nil {
		return nil, a.storeError(ctx, "list tokens", err)
	}
	i := slices.IndexFunc(toks, func(t store.TokenInfo) bool { return t.ID == in.ID })
	if i < 0 || !scopeCovers(scopeOf(ctx), toks[i].Vcenters) {
		return nil, huma.Error404NotFound(fmt.Sprintf("no token %d", in.ID))
	}
	after, err := ts.RevokeToken(ctx, &store.RevokeTokenParams{ID: in.ID})
	if err != nil {
		return nil, a.storeError(ctx, "revoke token", err)
	}
	a.audit(ctx, "token.revoke", strconv.FormatInt(in.ID, 10), toks[i], after, http.StatusNoContent)
	return &struct{}{}, nil
}

type auditInput struct {
	Actor  string    `query:"actor" maxLength:"256"`
	Action string    `query:"action" maxLength:"128"`
	Target string    `query:"target" maxLength:"1024"`
	From   time.Time `query:"from" doc:"At or after (RFC 3339)."`
	To     time.Time `query:"to" doc:"Before (RFC 3339)."`
	Page
}

func (a *API) listAudit(ctx context.Context, in *auditInput) (*listOutput[store.AuditEntry], error) {
	al, ok := a.o.Store.(store.AuditLog)
	if !ok {
		return nil, huma.Error503ServiceUnavailable("this store keeps no audit log")
	}
	if !scopeOf(ctx).all {
		return nil, huma.Error403Forbidden("the audit log is for tokens without a vCenter scope")
	}
	pg, err := al.ListAudit(ctx, &store.ListAuditParams{Actor: in.Actor, Action: in.Action, Target: in.Target,
		From: in.From, To: in.To, Limit: in.Limit, Cursor: in.Cursor})
	if err != nil {
		return nil, a.storeError(ctx, "list audit", err)
	}
	for i := range pg.Entries {
		pg.Entries[i].Time = pg.Entries[i].Time.UTC()
	}
	return newList(pg.Entries, pg.NextCursor), nil
}

type remoteKey struct{}

// audit records an action in the store's audit log, when the store keeps
// one: the caller's token name, what, on what, from which address, the
// object before and after (views that carry no secret) and the answer's
// status. The change is already made: a failure to record it is logged,
// not returned.
func (a *API) audit(ctx context.Context, action, target string, before, after any, status int) {
	al, ok := a.o.Store.(store.AuditLog)
	if !ok {
		return
	}
	p, _ := PrincipalFrom(ctx)
	remote, _ := ctx.Value(remoteKey{}).(string)
	e := store.AuditEntry{Actor: p.Name, Action: action, Target: target, RemoteAddr: remote, Status: status}
	for _, x := range []struct {
		v   any
		dst *json.RawMessage
	}{{before, &e.Before}, {after, &e.After}} {
		if x.v == nil {
			continue
		}
		b, err := json.Marshal(x.v)
		if err != nil {
			a.log.Error("api: audit: encoding", slog.String("action", action), slog.Any("error", err))
			continue
		}
		*x.dst = b
	}
	if _, err := al.AppendAudit(context.WithoutCancel(ctx), &store.AppendAuditParams{Entry: e}); err != nil {
		a.log.Error("api: audit: the action is done but not recorded", slog.String("action", action), slog.String("target", target),
			slog.String("actor", p.Name), slog.Any("error", err))
	}
}

func (a *API) rateCards() (store.RateCardStore, error) {
	rs, ok := a.o.Store.(store.RateCardStore)
	if !ok {
		return nil, huma.Error503ServiceUnavailable("this store keeps no rate cards")
	}
	return rs, nil
}

func (a *API) listRateCards(ctx context.Context, _ *struct{}) (*listOutput[inventory.RateCard], error) {
	rs, err := a.rateCards()
	if err != nil {
		return nil, err
	}
	cards, err := rs.ListRateCards(ctx, &store.ListRateCardsParams{})
	if err != nil {
		return nil, a.storeError(ctx, "list rate cards", err)
	}
	sc := scopeOf(ctx)
	cards = keep(cards, func(c inventory.RateCard) bool { return c.Vcenter == "" || sc.sees(c.Vcenter) })
	for i := range cards {
		cards[i].EffectiveFrom = cards[i].EffectiveFrom.UTC()
	}
	return newList(cards, ""), nil
}

// rateCardAdmin is the rate card store for a call that changes cards:
// only tokens without a vCenter scope may (a card can price every
// vCenter).
func (a *API) rateCardAdmin(ctx context.Context) (store.RateCardStore, error) {
	rs, err := a.rateCards()
	if err != nil {
		return nil, err
	}
	if !scopeOf(ctx).all {
		return nil, huma.Error403Forbidden("rate cards are managed with a token without a vCenter scope")
	}
	return rs, nil
}

// rateCardError maps a card's validation error to a 422 naming each field
// (nil for nil; a card the store then refuses is named by storeError).
func rateCardError(err error) error {
	fes := inventory.FieldErrors(err)
	if len(fes) == 0 {
		return nil
	}
	var details []error
	for _, fe := range fes {
		if fe.Field == "" {
			return nil
		}
		details = append(details, &huma.ErrorDetail{Location: "body." + fe.Field, Message: fe.Reason})
	}
	return huma.Error422UnprocessableEntity("invalid rate card", details...)
}

func (a *API) createRateCard(ctx context.Context, in *struct{ Body inventory.RateCard }) (*struct{ Body inventory.RateCard }, error) {
	rs, err := a.rateCardAdmin(ctx)
	if err != nil {
		return nil, err
	}
	if err := rateCardError(in.Body.Validate()); err != nil {
		return nil, err
	}
	c, err := rs.CreateRateCard(ctx, &store.CreateRateCardParams{Card: in.Body})
	if err != nil {
		return nil, a.storeError(ctx, "create rate card", err)
	}
	a.audit(ctx, "rate_card.create", strconv.FormatInt(c.ID, 10), nil, c, http.StatusCreated)
	return &struct{ Body inventory.RateCard }{*c}, nil
}

func (a *API) rateCard(ctx context.Context, rs store.RateCardStore, id int64) (*inventory.RateCard, error) {
	cards, err := rs.ListRateCards(ctx, &store.ListRateCardsParams{})
	if err != nil {
		return nil, a.storeError(ctx, "list rate cards", err)
	}
	i := slices.IndexFunc(cards, func(c inventory.RateCard) bool { return c.ID == id })
	if i < 0 {
		return nil, huma.Error404NotFound(fmt.Sprintf("no rate card %d", id))
	}
	return &cards[i], nil
}

func (a *API) updateRateCard(ctx context.Context, in *struct {
	ID   int64 `path:"id" minimum:"1"`
	Body inventory.RateCard
}) (*struct{ Body inventory.RateCard }, error) {
	rs, err := a.rateCardAdmin(ctx)
	if err != nil {
		return nil, err
	}
	old, err := a.rateCard(ctx, rs, in.ID)
	if err != nil {
		return nil, err
	}
	in.Body.ID = in.ID
	if err := rateCardError(in.Body.Validate()); err != nil {
		return nil, err
	}
	c, err := rs.UpdateRateCard(ctx, &store.UpdateRateCardParams{Card: in.Body})
	if err != nil {
		return nil, a.storeError(ctx, "update rate card", err)
	}
	a.audit(ctx, "rate_card.update", strconv.FormatInt(c.ID, 10), old, c, http.StatusOK)
	return &struct{ Body inventory.RateCard }{*c}, nil
}

func (a *API) deleteRateCard(ctx context.Context, in *idInput) (*struct{}, error) {
	rs, err := a.rateCardAdmin(ctx)
	if err != nil {
		return nil, err
	}
	old, err := a.rateCard(ctx, rs, in.ID)
	if err != nil {
		return nil, err
	}
	if err := rs.DeleteRateCard(ctx, &store.DeleteRateCardParams{ID: in.ID}); err != nil {
		return nil, a.storeError(ctx, "delete rate card", err)
	}
	a.audit(ctx, "rate_card.delete", strconv.FormatInt(in.ID, 10), old, nil, http.StatusNoContent)
	return &struct{}{}, nil
}
