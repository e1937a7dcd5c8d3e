package store

import (
	"context"
	"encoding/json"
	"time"

	"github.com/accessvault/vinventory/inventory"
)

// This file holds the optional interfaces the JSON API manages the
// service through: TokenStore (API tokens), AuditLog (who changed what)
// and RateCardStore (chargeback prices).

// ---------------------------------------------------------------------------
// API tokens

// TokenStore keeps the API's bearer tokens. It is an optional interface
// (see Store): memstore, sqlitestore and pgstore implement it. A token's
// secret is never stored, only its SHA-256, and TokenInfo never carries
// even that.
type TokenStore interface {
	// CreateToken stores a new token and returns it as stored (ID and
	// CreatedAt set by the store). A Name held by a token that is not
	// revoked, or a Hash held by any token, is refused with a
	// *ConflictError; nothing is stored then.
	CreateToken(ctx context.Context, p *CreateTokenParams) (*TokenInfo, error)
	// ListTokens returns tokens ordered by ID.
	ListTokens(ctx context.Context, p *ListTokensParams) ([]TokenInfo, error)
	// TokenByHash returns the token whose secret hashes to Hash, or
	// ErrNotFound. A revoked token is returned with RevokedAt set: the
	// caller refuses it.
	TokenByHash(ctx context.Context, p *TokenByHashParams) (*TokenInfo, error)
	// RevokeToken revokes a token by ID and returns it, or ErrNotFound. A
	// token revoked again keeps its first RevokedAt.
	RevokeToken(ctx context.Context, p *RevokeTokenParams) (*TokenInfo, error)
}

// Token roles, from the least to the most privileged.
const (
	RoleViewer   = "viewer"
	RoleOperator = "operator"
	RoleAdmin    = "admin"
)

// TokenRoles returns the roles a token may have, from the least to the
// most privileged, in a new slice.
func TokenRoles() []string { return []string{RoleViewer, RoleOperator, RoleAdmin} }

// TokenHashSize is the length of a token hash: a SHA-256.
const TokenHashSize = 32

// TokenInfo is a stored token, without its hash.
type TokenInfo struct {
	// ID is assigned by the store, increasing.
	ID int64 `json:"id"`
	// Name is unique among the tokens that are not revoked.
	Name string `json:"name"`
	// Role is one of TokenRoles.
	Role string `json:"role"`
	// Vcenters scopes the token to these vCenters, sorted and without
	// duplicates; nil means every vCenter.
	Vcenters []string `json:"vcenters,omitempty"`
	// CreatedAt is when the token was stored (the store's clock).
	CreatedAt time.Time `json:"created_at"`
	// RevokedAt is when the token was revoked; zero while it is valid.
	RevokedAt time.Time `json:"revoked_at,omitzero"`
	// CreatedBy names who created the token (the creating token's name).
	CreatedBy string `json:"created_by,omitempty"`
}

// Revoked reports whether the token was revoked.
func (t *TokenInfo) Revoked() bool { return !t.RevokedAt.IsZero() }

// CreateTokenParams describe a new token.
type CreateTokenParams struct {
	// Name is required: at most 200 characters, unique among the tokens
	// that are not revoked.
	Name string
	// Role is required, one of TokenRoles.
	Role string
	// Vcenters scopes the token (each name non-empty); empty means every
	// vCenter.
	Vcenters []string
	// Hash is the SHA-256 of the token's secret: TokenHashSize bytes,
	// required, unique among all tokens (revoked ones included).
	Hash []byte
	// CreatedBy names the creator (optional).
	CreatedBy string
}

// ListTokensParams filter tokens.
type ListTokensParams struct {
	// IncludeRevoked also lists revoked tokens. Defaults to false.
	IncludeRevoked bool
}

// TokenByHashParams name a token by the hash of its secret.
type TokenByHashParams struct {
	// Hash is the SHA-256 of the secret (TokenHashSize bytes).
	Hash []byte
}

// RevokeTokenParams name a token.
type RevokeTokenParams struct{ ID int64 }

// ---------------------------------------------------------------------------
// Audit log

// AuditLog records the mutating calls made through the API. It is an
// optional interface (see Store): memstore, sqlitestore and pgstore
// implement it. Entries are append-only: there is no method to change or
// delete one.
type AuditLog interface {
	// AppendAudit stores one entry and returns it as stored (ID and Time
	// set by the store).
	AppendAudit(ctx context.Context, p *AppendAuditParams) (*AuditEntry, error)
	// ListAudit returns entries newest first (by descending ID),
	// paginated.
	ListAudit(ctx context.Context, p *ListAuditParams) (*AuditPage, error)
}

// AuditEntry is one audited action.
type AuditEntry struct {
	// ID is assigned by the store, increasing in the order entries are
	// appended.
	ID int64 `json:"id"`
	// Time is when the entry was appended (the store's clock).
	Time time.Time `json:"time"`
	// Actor is who acted: the token's name. Required.
	Actor string `json:"actor"`
	// Action is what was done, e.g. "token.create". Required.
	Action string `json:"action"`
	// Target names the object acted on, e.g. a token ID or an endpoint.
	Target string `json:"target,omitempty"`
	// RemoteAddr is where the call came from.
	RemoteAddr string `json:"remote_addr,omitempty"`
	// Before and After are the object before and after the action, as
	// JSON without secrets; empty when there is none. The bundled stores
	// return the bytes given; others may return an equal JSON value
	// formatted differently.
	Before json.RawMessage `json:"before,omitempty"`
	After  json.RawMessage `json:"after,omitempty"`
	// Status is the HTTP status the action answered, 100 to 599, or 0
	// when there is none.
	Status int `json:"status"`
}

// AppendAuditParams carry one entry. Entry's ID and Time are ignored:
// the store sets them.
type AppendAuditParams struct{ Entry AuditEntry }

// ListAuditParams filter and page audit entries. Zero values mean no
// filter.
type ListAuditParams struct {
	// Actor, Action and Target keep the entries with exactly that value.
	Actor, Action, Target string
	// From and To bound Time to [From, To).
	From, To time.Time
	// Limit is the page size. Defaults to 100; at most 1000.
	Limit int
	// Cursor is NextCursor of the previous page.
	Cursor string
}

// AuditPage is one page of audit entries.
type AuditPage struct {
	Entries []AuditEntry
	// NextCursor is empty on the last page.
	NextCursor string
}

// ---------------------------------------------------------------------------
// Rate cards

// RateCardStore keeps the rate cards chargeback prices resource-days with
// (inventory.RateCard). It is an optional interface (see Store): memstore,
// sqlitestore and pgstore implement it. Prices are kept exactly as given
// (decimal strings, never floats). A card's ID is never reused, even once
// it is deleted.
type RateCardStore interface {
	// CreateRateCard validates a card (inventory.RateCard.Validate) and
	// stores it under a new ID; it returns the card as stored.
	CreateRateCard(ctx context.Context, p *CreateRateCardParams) (*inventory.RateCard, error)
	// UpdateRateCard validates a card and replaces the stored card of the
	// same ID with it, or returns ErrNotFound; it returns the card as
	// stored.
	UpdateRateCard(ctx context.Context, p *UpdateRateCardParams) (*inventory.RateCard, error)
	// DeleteRateCard deletes a card by ID, or returns ErrNotFound.
	DeleteRateCard(ctx context.Context, p *DeleteRateCardParams) error
	// ListRateCards returns cards ordered by (EffectiveFrom, ID).
	ListRateCards(ctx context.Context, p *ListRateCardsParams) ([]inventory.RateCard, error)
}

// CreateRateCardParams carry a new card; its ID is ignored (the store
// assigns one).
type CreateRateCardParams struct{ Card inventory.RateCard }

// UpdateRateCardParams carry a card replacing the stored card of ID
// Card.ID.
type UpdateRateCardParams struct{ Card inventory.RateCard }

// DeleteRateCardParams name a card.
type DeleteRateCardParams struct{ ID int64 }

// ListRateCardsParams filter rate cards. Zero values mean no filter.
type ListRateCardsParams struct {
	// EffectiveBefore keeps the cards whose EffectiveFrom is before it:
	// those that can price a period ending then.
	EffectiveBefore time.Time
}
