package sqlstore

import (
	"bytes"
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/driver"
)

// Tables of the API's administration (migration 8 on PostgreSQL, 7 on
// SQLite).
const (
	TableTokens    = "api_tokens"
	TableAudit     = "audit_log"
	TableRateCards = "rate_cards"
)

var (
	// tokenCols are the columns read into a store.TokenInfo: all but the
	// hash.
	tokenCols    = list([]string{"id", "name", "role", "vcenters", "created_at", "revoked_at", "created_by"})
	auditCols    = []string{"entry_time", "actor", "action", "target", "remote_addr", `"before"`, `"after"`, "status"}
	rateCardCols = []string{"name", "currency", "effective_from", "tier", "vcenter", "cluster", "tag_key", "tag_value",
		"vcpu_day", "ram_gb_day", "provisioned_disk_gb_day", "used_disk_gb_day", "vm_day"}
)

func tokenDest(t *store.TokenInfo) []any {
	return []any{&t.ID, &t.Name, &t.Role, jsonDest{&t.Vcenters}, timeDest{&t.CreatedAt}, timeDest{&t.RevokedAt}, &t.CreatedBy}
}

func auditDest(e *store.AuditEntry) []any {
	return []any{&e.ID, timeDest{&e.Time}, &e.Actor, &e.Action, &e.Target, &e.RemoteAddr,
		bytesDest{(*[]byte)(&e.Before)}, bytesDest{(*[]byte)(&e.After)}, &e.Status}
}

func rateCardDest(r *inventory.RateCard) []any {
	return []any{&r.ID, &r.Name, &r.Currency, timeDest{&r.EffectiveFrom}, &r.Tier, &r.Vcenter, &r.Cluster, &r.TagKey, &r.TagValue,
		&r.VCPUDay, &r.RAMGBDay, &r.ProvisionedDiskGBDay, &r.UsedDiskGBDay, &r.VMDay}
}

func (c *Core) rateCardArgs(r *inventory.RateCard) []any {
	return []any{r.Name, r.Currency, c.time(r.EffectiveFrom), r.Tier, r.Vcenter, r.Cluster, r.TagKey, r.TagValue,
		r.VCPUDay, r.RAMGBDay, r.ProvisionedDiskGBDay, r.UsedDiskGBDay, r.VMDay}
}

// jsonText encodes a JSON document as a nullable text argument: NULL
// when empty.
func jsonText(raw []byte) any {
	if len(raw) == 0 {
		return nil
	}
	return string(raw)
}

// txRow runs a query in tx and scans its first row into dest; found is
// false when it returned none.
func txRow(ctx context.Context, tx Tx, query string, args []any, dest ...any) (found bool, err error) {
	rows, err := tx.Query(ctx, query, args...)
	if err != nil {
		return false, err
	}
	defer rows.Close()
	if rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return false, err
		}
		found = true
	}
	return found, rows.Err()
}

// insertReturningID inserts one row of cols into table and returns its
// generated id.
func (c *Core) insertReturningID(ctx context.Context, tx Tx, table string, cols []string, args []any) (int64, error) {
	var id int64
	_, err := txRow(ctx, tx, c.insertSQL(table, cols, "RETURNING id", 1), args, &id)
	return id, err
}

// ---------------------------------------------------------------------------
// API tokens

// CreateToken stores a new token, refusing a live name or a known hash
// under a lock that serializes token writers (store.TokenStore).
func (c *Core) CreateToken(ctx context.Context, p *store.CreateTokenParams) (*store.TokenInfo, error) {
	const op = "CreateToken"
	if err := c.check(op); err != nil {
		return nil, err
	}
	if err := driver.ValidateCreateToken(p); err != nil {
		return nil, err
	}
	t := store.TokenInfo{Name: p.Name, Role: p.Role, Vcenters: driver.TokenVcenters(p.Vcenters),
		CreatedAt: driver.NormTime(c.now()), CreatedBy: p.CreatedBy}
	var vcenters any
	if t.Vcenters != nil {
		vcenters = jsonValue(t.Vcenters)
	}
	w := &writeOp{op: op, stage: store.StageTokens}
	err := c.inTx(ctx, w, func(tx Tx) error {
		if err := c.d.Lock(ctx, tx, TableTokens); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, c.sql("SELECT hash FROM {api_tokens} WHERE hash = ? OR (name = ? AND revoked_at IS NULL)"), p.Hash, p.Name)
		if err != nil {
			return err
		}
		var conflict error
		for rows.Next() {
			var h []byte
			if err := rows.Scan(&h); err != nil {
				rows.Close()
				return err
			}
			if bytes.Equal(h, p.Hash) {
				conflict = driver.TokenHashConflict()
			} else if conflict == nil {
				conflict = driver.TokenNameConflict(p.Name)
			}
		}
		rows.Close()
		if err := errors.Join(rows.Err(), conflict); err != nil {
			return err
		}
		t.ID, err = c.insertReturningID(ctx, tx, TableTokens, []string{"name", "role", "vcenters", "hash", "created_at", "created_by"},
			[]any{t.Name, t.Role, vcenters, p.Hash, c.time(t.CreatedAt), t.CreatedBy})
		return err
	})
	if ce := (*store.ConflictError)(nil); errors.As(err, &ce) {
		return nil, ce
	}
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// ListTokens returns tokens ordered by ID (store.TokenStore).
func (c *Core) ListTokens(ctx context.Context, p *store.ListTokensParams) ([]store.TokenInfo, error) {
	const op = "ListTokens"
	if err := c.check(op); err != nil {
		return nil, err
	}
	if p == nil {
		p = &store.ListTokensParams{}
	}
	q := c.db.NewSelect().ColumnExpr(tokenCols).TableExpr(c.sql("{api_tokens}"))
	if !p.IncludeRevoked {
		q = q.Where("revoked_at IS NULL")
	}
	return queryRows(ctx, c, op, q.OrderExpr("id"), tokenDest)
}

// TokenByHash returns the token whose secret hashes to Hash
// (store.TokenStore).
func (c *Core) TokenByHash(ctx context.Context, p *store.TokenByHashParams) (*store.TokenInfo, error) {
	const op = "TokenByHash"
	if err := c.check(op); err != nil {
		return nil, err
	}
	if p == nil {
		p = &store.TokenByHashParams{}
	}
	if err := driver.ValidateTokenHash(op, p.Hash); err != nil {
		return nil, err
	}
	q := c.db.NewSelect().ColumnExpr(tokenCols).TableExpr(c.sql("{api_tokens}")).Where("hash = ?", p.Hash)
	out, err := queryRows(ctx, c, op, q, tokenDest)
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, c.notFound(op, "no token has this hash")
	}
	return &out[0], nil
}

// RevokeToken revokes a token by ID, keeping an earlier RevokedAt
// (store.TokenStore).
func (c *Core) RevokeToken(ctx context.Context, p *store.RevokeTokenParams) (*store.TokenInfo, error) {
	const op = "RevokeToken"
	if err := c.check(op); err != nil {
		return nil, err
	}
	if err := driver.ValidateRevokeToken(p); err != nil {
		return nil, err
	}
	var t store.TokenInfo
	found := false
	w := &writeOp{op: op, stage: store.StageTokens}
	err := c.inTx(ctx, w, func(tx Tx) error {
		var err error
		found, err = txRow(ctx, tx, c.sql("UPDATE {api_tokens} SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ? RETURNING "+tokenCols),
			[]any{c.time(c.now()), p.ID}, tokenDest(&t)...)
		return err
	})
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, c.notFound(op, "token "+strconv.FormatInt(p.ID, 10))
	}
	return &t, nil
}

// ---------------------------------------------------------------------------
// Audit log

// AppendAudit stores one audit entry (store.AuditLog).
func (c *Core) AppendAudit(ctx context.Context, p *store.AppendAuditParams) (*store.AuditEntry, error) {
	const op = "AppendAudit"
	if err := c.check(op); err != nil {
		return nil, err
	}
	if err := driver.ValidateAppendAudit(p); err != nil {
		return nil, err
	}
	e := p.Entry
	e.Time, e.Before, e.After = driver.NormTime(c.now()), driver.AuditJSON(e.Before), driver.AuditJSON(e.After)
	w := &writeOp{op: op, stage: store.StageAudit}
	err := c.inTx(ctx, w, func(tx Tx) error {
		var err error
		e.ID, err = c.insertReturningID(ctx, tx, TableAudit, auditCols,
			[]any{c.time(e.Time), e.Actor, e.Action, e.Target, e.RemoteAddr, jsonText(e.Before), jsonText(e.After), e.Status})
		return err
	})
	if err != nil {
		return nil, err
	}
	return &e, nil
}

// ListAudit returns audit entries newest first (store.AuditLog).
func (c *Core) ListAudit(ctx context.Context, p *store.ListAuditParams) (*store.AuditPage, error) {
	const op = "ListAudit"
	if err := c.check(op); err != nil {
		return nil, err
	}
	if p == nil {
		p = &store.ListAuditParams{}
	}
	below, err := driver.AuditCursor(p.Cursor)
	if err != nil {
		return nil, err
	}
	limit := driver.AuditPageSize(p)
	q := c.db.NewSelect().ColumnExpr("id, " + list(auditCols)).TableExpr(c.sql("{audit_log}"))
	if below > 0 {
		q = q.Where("id < ?", below)
	}
	for _, f := range []struct{ col, v string }{{"actor", p.Actor}, {"action", p.Action}, {"target", p.Target}} {
		if f.v != "" {
			q = q.Where(f.col+" = ?", f.v)
		}
	}
	q = c.inRange(q, "entry_time", p.From, p.To).OrderExpr("id DESC").Limit(int64(limit + 1))
	out, err := queryRows(ctx, c, op, q, auditDest)
	if err != nil {
		return nil, err
	}
	return driver.AuditPage(out, limit), nil
}

// ---------------------------------------------------------------------------
// Rate cards

// CreateRateCard stores a new rate card (store.RateCardStore).
func (c *Core) CreateRateCard(ctx context.Context, p *store.CreateRateCardParams) (*inventory.RateCard, error) {
	const op = "CreateRateCard"
	if err := c.check(op); err != nil {
		return nil, err
	}
	if p == nil {
		return nil, driver.Invalid(op, "params", "must not be nil")
	}
	r := p.Card
	r.EffectiveFrom = driver.NormTime(r.EffectiveFrom)
	if err := driver.ValidateRateCard(op, &r); err != nil {
		return nil, err
	}
	w := &writeOp{op: op, stage: store.StageRateCards}
	err := c.inTx(ctx, w, func(tx Tx) error {
		var err error
		r.ID, err = c.insertReturningID(ctx, tx, TableRateCards, rateCardCols, c.rateCardArgs(&r))
		return err
	})
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// UpdateRateCard replaces a stored rate card (store.RateCardStore).
func (c *Core) UpdateRateCard(ctx context.Context, p *store.UpdateRateCardParams) (*inventory.RateCard, error) {
	const op = "UpdateRateCard"
	if err := c.check(op); err != nil {
		return nil, err
	}
	if p == nil {
		return nil, driver.Invalid(op, "params", "must not be nil")
	}
	r := p.Card
	r.EffectiveFrom = driver.NormTime(r.EffectiveFrom)
	if err := driver.ValidateRateCardID(op, "Card.ID", r.ID); err != nil {
		return nil, err
	}
	if err := driver.ValidateRateCard(op, &r); err != nil {
		return nil, err
	}
	var n int64
	w := &writeOp{op: op, stage: store.StageRateCards}
	err := c.inTx(ctx, w, func(tx Tx) error {
		var err error
		n, err = tx.Exec(ctx, c.sql("UPDATE {rate_cards} SET "+strings.Join(rateCardCols, " = ?, ")+" = ? WHERE id = ?"),
			append(c.rateCardArgs(&r), r.ID)...)
		return err
	})
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, c.notFound(op, "rate card "+strconv.FormatInt(r.ID, 10))
	}
	return &r, nil
}

// DeleteRateCard deletes a rate card (store.RateCardStore).
func (c *Core) DeleteRateCard(ctx context.Context, p *store.DeleteRateCardParams) error {
	const op = "DeleteRateCard"
	if err := c.check(op); err != nil {
		return err
	}
	if p == nil {
		p = &store.DeleteRateCardParams{}
	}
	if err := driver.ValidateRateCardID(op, "ID", p.ID); err != nil {
		return err
	}
	var n int64
	w := &writeOp{op: op, stage: store.StageRateCards}
	err := c.inTx(ctx, w, func(tx Tx) error {
		var err error
		n, err = tx.Exec(ctx, c.sql("DELETE FROM {rate_cards} WHERE id = ?"), p.ID)
		return err
	})
	if err != nil {
		return err
	}
	if n == 0 {
		return c.notFound(op, "rate card "+strconv.FormatInt(p.ID, 10))
	}
	return nil
}

// ListRateCards returns rate cards ordered by (EffectiveFrom, ID)
// (store.RateCardStore).
func (c *Core) ListRateCards(ctx context.Context, p *store.ListRateCardsParams) ([]inventory.RateCard, error) {
	const op = "ListRateCards"
	if err := c.check(op); err != nil {
		return nil, err
	}
	if p == nil {
		p = &store.ListRateCardsParams{}
	}
	q := c.db.NewSelect().ColumnExpr("id, " + list(rateCardCols)).TableExpr(c.sql("{rate_cards}"))
	q = c.inRange(q, "effective_from", time.Time{}, p.EffectiveBefore).OrderExpr("effective_from, id")
	return queryRows(ctx, c, op, q, rateCardDest)
}
