package driver

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

// ---------------------------------------------------------------------------
// API tokens (store.TokenStore)

// tokenNameMax is the longest token Name, in characters.
const tokenNameMax = 200

// ValidateCreateToken checks CreateTokenParams.
func ValidateCreateToken(p *store.CreateTokenParams) error {
	const op = "CreateToken"
	if p == nil {
		return Invalid(op, "params", "must not be nil")
	}
	switch {
	case strings.TrimSpace(p.Name) == "":
		return Invalid(op, "Name", "must not be blank")
	case utf8.RuneCountInString(p.Name) > tokenNameMax:
		return Invalid(op, "Name", fmt.Sprintf("must be at most %d characters", tokenNameMax))
	case !slices.Contains(store.TokenRoles(), p.Role):
		return Invalid(op, "Role", fmt.Sprintf("must be one of %q", store.TokenRoles()))
	}
	for i, vc := range p.Vcenters {
		if vc == "" {
			return Invalid(op, indexed("Vcenters", i), "must not be empty")
		}
		if err := CheckStrings(op, indexed("Vcenters", i), vc); err != nil {
			return err
		}
	}
	if err := ValidateTokenHash(op, p.Hash); err != nil {
		return err
	}
	if err := CheckStrings(op, "Name", p.Name); err != nil {
		return err
	}
	return CheckStrings(op, "CreatedBy", p.CreatedBy)
}

// ValidateTokenHash checks a token hash: store.TokenHashSize bytes.
func ValidateTokenHash(op string, hash []byte) error {
	if len(hash) != store.TokenHashSize {
		return Invalid(op, "Hash", fmt.Sprintf("must be a SHA-256 of %d bytes, not %d", store.TokenHashSize, len(hash)))
	}
	return nil
}

// ValidateRevokeToken checks RevokeTokenParams.
func ValidateRevokeToken(p *store.RevokeTokenParams) error {
	if p == nil || p.ID <= 0 {
		return Invalid("RevokeToken", "ID", "must be a positive token ID")
	}
	return nil
}

// TokenVcenters returns a token's scope as stored: sorted, without
// duplicates, nil when empty.
func TokenVcenters(vcs []string) []string {
	if len(vcs) == 0 {
		return nil
	}
	out := slices.Clone(vcs)
	slices.Sort(out)
	return slices.Compact(out)
}

// TokenNameConflict is CreateToken's error for a Name already held by a
// token that is not revoked.
func TokenNameConflict(name string) error {
	return &store.ConflictError{Op: "CreateToken", Field: "Name", Reason: fmt.Sprintf("token %q exists and is not revoked", name)}
}

// TokenHashConflict is CreateToken's error for a Hash already stored.
func TokenHashConflict() error {
	return &store.ConflictError{Op: "CreateToken", Field: "Hash", Reason: "another token has this secret"}
}

// ---------------------------------------------------------------------------
// Audit log (store.AuditLog)

// ValidateAppendAudit checks AppendAuditParams.
func ValidateAppendAudit(p *store.AppendAuditParams) error {
	const op = "AppendAudit"
	if p == nil {
		return Invalid(op, "params", "must not be nil")
	}
	e := &p.Entry
	switch {
	case e.Actor == "":
		return Invalid(op, "Entry.Actor", "must not be empty")
	case e.Action == "":
		return Invalid(op, "Entry.Action", "must not be empty")
	case e.Status != 0 && (e.Status < 100 || e.Status > 599):
		return Invalid(op, "Entry.Status", "must be an HTTP status (100 to 599) or 0")
	}
	for _, f := range []struct{ name, v string }{
		{"Entry.Actor", e.Actor}, {"Entry.Action", e.Action}, {"Entry.Target", e.Target}, {"Entry.RemoteAddr", e.RemoteAddr},
	} {
		if err := CheckStrings(op, f.name, f.v); err != nil {
			return err
		}
	}
	if err := CheckJSON(op, "Entry.Before", e.Before); err != nil {
		return err
	}
	return CheckJSON(op, "Entry.After", e.After)
}

// CheckJSON returns an *InvalidParamsError naming field unless raw is
// empty or one valid JSON value in UTF-8.
func CheckJSON(op, field string, raw []byte) error {
	switch {
	case len(raw) == 0:
		return nil
	case !utf8.Valid(raw):
		return Invalid(op, field, "is not valid UTF-8")
	case !json.Valid(raw):
		return Invalid(op, field, "is not valid JSON")
	}
	return nil
}

// AuditJSON returns the stored form of an entry's Before or After: a copy,
// nil when empty.
func AuditJSON(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 {
		return nil
	}
	return slices.Clone(raw)
}

// AuditPageSize is p.Limit with the default and maximum documented on
// store.ListAuditParams applied.
func AuditPageSize(p *store.ListAuditParams) int { return LimitOr(p.Limit, 100, 1000) }

// AuditCursor decodes ListAuditParams.Cursor: the ID the next page starts
// below, or 0 for the first page.
func AuditCursor(cursor string) (int64, error) { return IDCursor("ListAudit", cursor) }

// AuditPage cuts entries (newest first, up to limit+1 of them) to a page
// of limit, with the cursor of the next page when there are more.
func AuditPage(entries []store.AuditEntry, limit int) *store.AuditPage {
	page := &store.AuditPage{Entries: entries}
	if len(entries) > limit {
		page.Entries = entries[:limit]
		page.NextCursor = EncodeCursor(strconv.FormatInt(entries[limit-1].ID, 10))
	}
	return page
}

// ---------------------------------------------------------------------------
// Rate cards (store.RateCardStore)

// ValidateRateCard checks a card for CreateRateCard or UpdateRateCard: its
// own validation (inventory.RateCard.Validate, every field error folded
// into one *InvalidParamsError naming them all, e.g. "Card.currency") plus
// storable strings.
func ValidateRateCard(op string, c *inventory.RateCard) error {
	if err := c.Validate(); err != nil {
		return invalidFields(op, "Card", err)
	}
	for _, f := range []struct{ name, v string }{
		{"name", c.Name}, {"vcenter", c.Vcenter}, {"cluster", c.Cluster}, {"tag_key", c.TagKey}, {"tag_value", c.TagValue},
	} {
		if err := CheckStrings(op, "Card."+f.name, f.v); err != nil {
			return err
		}
	}
	return nil
}

// ValidateRateCardID checks the ID naming a stored card.
func ValidateRateCardID(op, field string, id int64) error {
	if id <= 0 {
		return Invalid(op, field, "must be a positive rate card ID")
	}
	return nil
}
