package memstore

import (
	"bytes"
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/driver"
)

var (
	_ store.TokenStore    = (*Store)(nil)
	_ store.AuditLog      = (*Store)(nil)
	_ store.RateCardStore = (*Store)(nil)
)

// adminState holds API tokens, the audit log and rate cards. The zero
// value is empty.
type adminState struct {
	tokens    []storedToken      // ordered by ID
	audit     []store.AuditEntry // ordered by ID
	rateCards map[int64]inventory.RateCard
	// The last IDs assigned; IDs are never reused.
	lastTokenID, lastAuditID, lastRateCardID int64
}

type storedToken struct {
	info store.TokenInfo
	hash []byte
}

func copyToken(t store.TokenInfo) store.TokenInfo {
	t.Vcenters = cloneIDs(t.Vcenters)
	return t
}

func copyAudit(e store.AuditEntry) store.AuditEntry {
	e.Before, e.After = driver.AuditJSON(e.Before), driver.AuditJSON(e.After)
	return e
}

// ---------------------------------------------------------------------------
// API tokens

// CreateToken stores a new token (store.TokenStore).
func (s *Store) CreateToken(ctx context.Context, p *store.CreateTokenParams) (*store.TokenInfo, error) {
	const op = "CreateToken"
	if err := driver.ValidateCreateToken(p); err != nil {
		return nil, err
	}
	tok := storedToken{
		info: store.TokenInfo{Name: p.Name, Role: p.Role, Vcenters: driver.TokenVcenters(p.Vcenters), CreatedBy: p.CreatedBy},
		hash: slices.Clone(p.Hash),
	}
	var conflict error
	err := s.commit(ctx, &store.WriteError{Op: op, Stage: store.StageTokens}, func() {
		for _, t := range s.admin.tokens {
			if bytes.Equal(t.hash, tok.hash) {
				conflict = driver.TokenHashConflict() // whatever the names
				return
			}
			if t.info.Name == tok.info.Name && !t.info.Revoked() {
				conflict = driver.TokenNameConflict(tok.info.Name)
			}
		}
		if conflict != nil {
			return
		}
		s.admin.lastTokenID++
		tok.info.ID, tok.info.CreatedAt = s.admin.lastTokenID, driver.NormTime(s.now())
		s.admin.tokens = append(s.admin.tokens, tok)
	})
	if err = cmp.Or(err, conflict); err != nil {
		return nil, err
	}
	out := copyToken(tok.info)
	return &out, nil
}

// ListTokens returns tokens ordered by ID (store.TokenStore).
func (s *Store) ListTokens(ctx context.Context, p *store.ListTokensParams) ([]store.TokenInfo, error) {
	if p == nil {
		p = &store.ListTokensParams{}
	}
	unlock, err := s.read("ListTokens")
	if err != nil {
		return nil, err
	}
	defer unlock()
	var out []store.TokenInfo
	for _, t := range s.admin.tokens {
		if p.IncludeRevoked || !t.info.Revoked() {
			out = append(out, copyToken(t.info))
		}
	}
	return out, nil
}

// TokenByHash returns the token whose secret hashes to Hash
// (store.TokenStore).
func (s *Store) TokenByHash(ctx context.Context, p *store.TokenByHashParams) (*store.TokenInfo, error) {
	const op = "TokenByHash"
	if p == nil {
		p = &store.TokenByHashParams{}
	}
	if err := driver.ValidateTokenHash(op, p.Hash); err != nil {
		return nil, err
	}
	unlock, err := s.read(op)
	if err != nil {
		return nil, err
	}
	defer unlock()
	for _, t := range s.admin.tokens {
		if bytes.Equal(t.hash, p.Hash) {
			out := copyToken(t.info)
			return &out, nil
		}
	}
	return nil, notFound(op, "no token has this hash")
}

// RevokeToken revokes a token by ID (store.TokenStore).
func (s *Store) RevokeToken(ctx context.Context, p *store.RevokeTokenParams) (*store.TokenInfo, error) {
	const op = "RevokeToken"
	if err := driver.ValidateRevokeToken(p); err != nil {
		return nil, err
	}
	var out *store.TokenInfo
	err := s.commit(ctx, &store.WriteError{Op: op, Stage: store.StageTokens}, func() {
		i, found := slices.BinarySearchFunc(s.admin.tokens, p.ID, func(t storedToken, id int64) int { return cmp.Compare(t.info.ID, id) })
		if !found {
			return
		}
		t := &s.admin.tokens[i].info
		if !t.Revoked() {
			t.RevokedAt = driver.NormTime(s.now())
		}
		c := copyToken(*t)
		out = &c
	})
	if err == nil && out == nil {
		err = notFound(op, "token %d", p.ID)
	}
	return out, err
}

// ---------------------------------------------------------------------------
// Audit log

// AppendAudit stores one audit entry (store.AuditLog).
func (s *Store) AppendAudit(ctx context.Context, p *store.AppendAuditParams) (*store.AuditEntry, error) {
	const op = "AppendAudit"
	if err := driver.ValidateAppendAudit(p); err != nil {
		return nil, err
	}
	e := copyAudit(p.Entry)
	err := s.commit(ctx, &store.WriteError{Op: op, Stage: store.StageAudit}, func() {
		s.admin.lastAuditID++
		e.ID, e.Time = s.admin.lastAuditID, driver.NormTime(s.now())
		s.admin.audit = append(s.admin.audit, e)
	})
	if err != nil {
		return nil, err
	}
	out := copyAudit(e)
	return &out, nil
}

// ListAudit returns audit entries newest first (store.AuditLog).
func (s *Store) ListAudit(ctx context.Context, p *store.ListAuditParams) (*store.AuditPage, error) {
	const op = "ListAudit"
	if p == nil {
		p = &store.ListAuditParams{}
	}
	below, err := driver.AuditCursor(p.Cursor)
	if err != nil {
		return nil, err
	}
	limit := driver.AuditPageSize(p)
	unlock, err := s.read(op)
	if err != nil {
		return nil, err
	}
	defer unlock()
	var out []store.AuditEntry
	for i := len(s.admin.audit) - 1; i >= 0 && len(out) <= limit; i-- {
		e := &s.admin.audit[i]
		if (below > 0 && e.ID >= below) || (p.Actor != "" && e.Actor != p.Actor) || (p.Action != "" && e.Action != p.Action) ||
			(p.Target != "" && e.Target != p.Target) || !inRange(e.Time, p.From, p.To) {
			continue
		}
		out = append(out, copyAudit(*e))
	}
	return driver.AuditPage(out, limit), nil
}

// ---------------------------------------------------------------------------
// Rate cards

// normRateCard returns the stored form of a card.
func normRateCard(c inventory.RateCard) inventory.RateCard {
	c.EffectiveFrom = driver.NormTime(c.EffectiveFrom)
	return c
}

// CreateRateCard stores a new rate card (store.RateCardStore).
func (s *Store) CreateRateCard(ctx context.Context, p *store.CreateRateCardParams) (*inventory.RateCard, error) {
	const op = "CreateRateCard"
	if p == nil {
		return nil, driver.Invalid(op, "params", "must not be nil")
	}
	c := normRateCard(p.Card)
	if err := driver.ValidateRateCard(op, &c); err != nil {
		return nil, err
	}
	err := s.commit(ctx, &store.WriteError{Op: op, Stage: store.StageRateCards}, func() {
		if s.admin.rateCards == nil {
			s.admin.rateCards = map[int64]inventory.RateCard{}
		}
		s.admin.lastRateCardID++
		c.ID = s.admin.lastRateCardID
		s.admin.rateCards[c.ID] = c
	})
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// UpdateRateCard replaces a stored rate card (store.RateCardStore).
func (s *Store) UpdateRateCard(ctx context.Context, p *store.UpdateRateCardParams) (*inventory.RateCard, error) {
	const op = "UpdateRateCard"
	if p == nil {
		return nil, driver.Invalid(op, "params", "must not be nil")
	}
	c := normRateCard(p.Card)
	if err := driver.ValidateRateCardID(op, "Card.ID", c.ID); err != nil {
		return nil, err
	}
	if err := driver.ValidateRateCard(op, &c); err != nil {
		return nil, err
	}
	found := false
	err := s.commit(ctx, &store.WriteError{Op: op, Stage: store.StageRateCards}, func() {
		if _, found = s.admin.rateCards[c.ID]; found {
			s.admin.rateCards[c.ID] = c
		}
	})
	if err == nil && !found {
		err = notFound(op, "rate card %d", c.ID)
	}
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// DeleteRateCard deletes a rate card (store.RateCardStore).
func (s *Store) DeleteRateCard(ctx context.Context, p *store.DeleteRateCardParams) error {
	const op = "DeleteRateCard"
	if p == nil {
		p = &store.DeleteRateCardParams{}
	}
	if err := driver.ValidateRateCardID(op, "ID", p.ID); err != nil {
		return err
	}
	found := false
	err := s.commit(ctx, &store.WriteError{Op: op, Stage: store.StageRateCards}, func() {
		if _, found = s.admin.rateCards[p.ID]; found {
			delete(s.admin.rateCards, p.ID)
		}
	})
	if err == nil && !found {
		err = notFound(op, "rate card %d", p.ID)
	}
	return err
}

// ListRateCards returns rate cards ordered by (EffectiveFrom, ID)
// (store.RateCardStore).
func (s *Store) ListRateCards(ctx context.Context, p *store.ListRateCardsParams) ([]inventory.RateCard, error) {
	if p == nil {
		p = &store.ListRateCardsParams{}
	}
	unlock, err := s.read("ListRateCards")
	if err != nil {
		return nil, err
	}
	defer unlock()
	var out []inventory.RateCard
	for _, c := range s.admin.rateCards {
		if inRange(c.EffectiveFrom, time.Time{}, p.EffectiveBefore) {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b inventory.RateCard) int {
		return cmp.Or(a.EffectiveFrom.Compare(b.EffectiveFrom), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}
