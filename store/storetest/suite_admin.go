package storetest

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/driver"
)

// The sections of the API's administration: TokenStore, AuditLog and
// RateCardStore.

// dumpAdmin reads the tokens, audit entries and rate cards of the
// optional interfaces st implements into c.
func dumpAdmin(ctx context.Context, st store.Store, c *Contents) error {
	var err error
	if ts, ok := st.(store.TokenStore); ok {
		if c.Tokens, err = ts.ListTokens(ctx, &store.ListTokensParams{IncludeRevoked: true}); err != nil {
			return fmt.Errorf("ListTokens: %w", err)
		}
	}
	if al, ok := st.(store.AuditLog); ok {
		for cursor := ""; ; {
			pg, err := al.ListAudit(ctx, &store.ListAuditParams{Limit: 1000, Cursor: cursor})
			if err != nil {
				return fmt.Errorf("ListAudit: %w", err)
			}
			c.Audit = append(c.Audit, pg.Entries...)
			if cursor = pg.NextCursor; cursor == "" {
				break
			}
		}
	}
	if rs, ok := st.(store.RateCardStore); ok {
		if c.RateCards, err = rs.ListRateCards(ctx, &store.ListRateCardsParams{}); err != nil {
			return fmt.Errorf("ListRateCards: %w", err)
		}
	}
	return nil
}

// wantField checks that err is an *InvalidParamsError of op naming field.
func wantField(t testing.TB, err error, op, what, field string) {
	t.Helper()
	var ipe *store.InvalidParamsError
	switch {
	case !errors.As(err, &ipe):
		t.Errorf("%s %s: got error %v (%T), want *store.InvalidParamsError naming %s", op, what, err, err, field)
	case ipe.Op != op || ipe.Field != field:
		t.Errorf("%s %s: InvalidParamsError{Op: %q, Field: %q}, want {%q, %q} (error: %v)", op, what, ipe.Op, ipe.Field, op, field, err)
	}
}

// shortHostile returns the hostile strings that fit a name of at most 200
// characters.
func shortHostile() []string {
	return filter(HostileStrings(), func(s string) bool { return utf8.RuneCountInString(s) <= 200 && strings.TrimSpace(s) != "" })
}

// ---------------------------------------------------------------------------
// TokenStore

// The TokenStore section: tokens round-trip without their hash, scopes
// come back sorted, invalid params name their field and store nothing, a
// live name or any stored hash is a *ConflictError (also between
// concurrent creators), revocation keeps its first time and hostile
// strings come back intact.
func tokenStoreTests() []test {
	return []test{
		{"CreateListLookup", testTokensRoundTrip},
		{"Validation", testTokensInvalid},
		{"Conflicts", testTokenConflicts},
		{"ConcurrentCreate", testTokensConcurrent},
		{"Revoke", testTokenRevoke},
		{"HostileStrings", testTokensHostile},
		{"AfterClose", testTokensClosed},
	}
}

func (e *env) tokens() store.TokenStore { return e.st.(store.TokenStore) }

// tokenHash is the SHA-256 of a secret.
func tokenHash(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// createToken creates a token and checks the result against p.
func (e *env) createToken(p store.CreateTokenParams) store.TokenInfo {
	e.t.Helper()
	got, err := e.tokens().CreateToken(e.ctx, &p)
	e.ok(err, "CreateToken(%q)", p.Name)
	if got == nil {
		e.t.Fatalf("CreateToken(%q): nil token and nil error", p.Name)
	}
	want := store.TokenInfo{ID: got.ID, Name: p.Name, Role: p.Role, Vcenters: sortedUniq(p.Vcenters), CreatedAt: got.CreatedAt, CreatedBy: p.CreatedBy}
	checkEq(e.t, fmt.Sprintf("CreateToken(%q) result", p.Name), want, *got)
	if got.ID <= 0 || got.CreatedAt.IsZero() {
		e.t.Errorf("CreateToken(%q): ID %d, CreatedAt %v; want a positive ID and a creation time", p.Name, got.ID, got.CreatedAt)
	}
	checkTimes(e.t, "CreateToken result", got, e.n.prec)
	return *got
}

func sortedUniq(ids []string) []string { return slices.Compact(sortedIDs(ids)) }

func (e *env) listTokens(includeRevoked bool) []store.TokenInfo {
	e.t.Helper()
	got, err := e.tokens().ListTokens(e.ctx, &store.ListTokensParams{IncludeRevoked: includeRevoked})
	e.ok(err, "ListTokens{IncludeRevoked: %v}", includeRevoked)
	return got
}

func testTokensRoundTrip(e *env) {
	ps := []store.CreateTokenParams{
		{Name: "grafana", Role: store.RoleViewer, Vcenters: []string{"vc-b", "vc-a", "vc-b"}, Hash: tokenHash("grafana"), CreatedBy: "bootstrap"},
		{Name: "ops", Role: store.RoleOperator, Hash: tokenHash("ops")},
		{Name: "root", Role: store.RoleAdmin, Vcenters: []string{"vc-a"}, Hash: tokenHash("root"), CreatedBy: "ops"},
	}
	var all []store.TokenInfo
	for _, p := range ps {
		all = append(all, e.createToken(p))
		if n := len(all); n > 1 && all[n-1].ID <= all[n-2].ID {
			e.t.Errorf("token IDs %d then %d: want them increasing", all[n-2].ID, all[n-1].ID)
		}
	}
	checkList(e.t, "ListTokens (ordered by ID)", all, e.listTokens(false))
	checkList(e.t, "ListTokens{IncludeRevoked}", all, e.listTokens(true))
	for i, p := range ps {
		got, err := e.tokens().TokenByHash(e.ctx, &store.TokenByHashParams{Hash: tokenHash(p.Name)})
		e.ok(err, "TokenByHash(%s)", p.Name)
		checkEq(e.t, "TokenByHash("+p.Name+")", all[i], *got)
	}
	_, err := e.tokens().TokenByHash(e.ctx, &store.TokenByHashParams{Hash: tokenHash("unknown")})
	wantNotFound(e.t, err, "TokenByHash of an unknown secret")

	// What the caller passed and what it got are its own.
	p := store.CreateTokenParams{Name: "mutable", Role: store.RoleViewer, Vcenters: []string{"vc-z"}, Hash: tokenHash("mutable")}
	made := e.createToken(p)
	p.Hash[0]++
	p.Vcenters[0] = "changed"
	made.Vcenters[0] = "changed too"
	got, err := e.tokens().TokenByHash(e.ctx, &store.TokenByHashParams{Hash: tokenHash("mutable")})
	e.ok(err, "TokenByHash after the caller changed its slices")
	if !slices.Equal(got.Vcenters, []string{"vc-z"}) {
		e.t.Errorf("the stored token changed with the caller's slices: Vcenters %q", got.Vcenters)
	}
}

func testTokensInvalid(e *env) {
	e.createToken(store.CreateTokenParams{Name: "kept", Role: store.RoleAdmin, Hash: tokenHash("kept")})
	before := e.dump()
	good := func() store.CreateTokenParams {
		return store.CreateTokenParams{Name: "new", Role: store.RoleViewer, Vcenters: []string{"vc-a"}, Hash: tokenHash("new"), CreatedBy: "kept"}
	}
	for _, c := range []struct {
		name, field string
		mod         func(p *store.CreateTokenParams)
	}{
		{"empty name", "Name", func(p *store.CreateTokenParams) { p.Name = "" }},
		{"blank name", "Name", func(p *store.CreateTokenParams) { p.Name = " \t" }},
		{"name of 201 characters", "Name", func(p *store.CreateTokenParams) { p.Name = strings.Repeat("é", 201) }},
		{"NUL in name", "Name", func(p *store.CreateTokenParams) { p.Name = "a\x00b" }},
		{"empty role", "Role", func(p *store.CreateTokenParams) { p.Role = "" }},
		{"unknown role", "Role", func(p *store.CreateTokenParams) { p.Role = "root" }},
		{"capitalised role", "Role", func(p *store.CreateTokenParams) { p.Role = "Admin" }},
		{"empty vCenter", "Vcenters[1]", func(p *store.CreateTokenParams) { p.Vcenters = []string{"vc-a", ""} }},
		{"invalid UTF-8 vCenter", "Vcenters[0]", func(p *store.CreateTokenParams) { p.Vcenters = []string{"\xff"} }},
		{"no hash", "Hash", func(p *store.CreateTokenParams) { p.Hash = nil }},
		{"short hash", "Hash", func(p *store.CreateTokenParams) { p.Hash = p.Hash[:31] }},
		{"long hash", "Hash", func(p *store.CreateTokenParams) { p.Hash = append(p.Hash, 0) }},
		{"NUL in CreatedBy", "CreatedBy", func(p *store.CreateTokenParams) { p.CreatedBy = "x\x00" }},
	} {
		p := good()
		c.mod(&p)
		_, err := e.tokens().CreateToken(e.ctx, &p)
		wantField(e.t, err, "CreateToken", c.name, c.field)
	}
	_, err := e.tokens().CreateToken(e.ctx, nil)
	wantInvalid(e.t, err, "CreateToken", "nil params")
	_, err = e.tokens().TokenByHash(e.ctx, &store.TokenByHashParams{Hash: []byte("short")})
	wantField(e.t, err, "TokenByHash", "short hash", "Hash")
	_, err = e.tokens().TokenByHash(e.ctx, nil)
	wantField(e.t, err, "TokenByHash", "nil params", "Hash")
	for _, id := range []int64{0, -1} {
		_, err = e.tokens().RevokeToken(e.ctx, &store.RevokeTokenParams{ID: id})
		wantField(e.t, err, "RevokeToken", fmt.Sprintf("ID %d", id), "ID")
	}
	e.unchanged(before, "invalid token calls")
}

// wantConflict checks that err is a *ConflictError of op naming field.
func wantConflict(e *env, err error, what, field string) {
	e.t.Helper()
	var ce *store.ConflictError
	switch {
	case !errors.As(err, &ce) || !errors.Is(err, store.ErrConflict):
		e.t.Errorf("%s: got error %v (%T), want a *store.ConflictError wrapping store.ErrConflict", what, err, err)
	case ce.Op != "CreateToken" || ce.Field != field:
		e.t.Errorf("%s: ConflictError{Op: %q, Field: %q}, want {CreateToken, %q}", what, ce.Op, ce.Field, field)
	}
}

func testTokenConflicts(e *env) {
	ops := e.createToken(store.CreateTokenParams{Name: "ops", Role: store.RoleOperator, Hash: tokenHash("ops-1")})
	before := e.dump()
	_, err := e.tokens().CreateToken(e.ctx, &store.CreateTokenParams{Name: "ops", Role: store.RoleAdmin, Hash: tokenHash("ops-2")})
	wantConflict(e, err, "a second token named ops", "Name")
	_, err = e.tokens().CreateToken(e.ctx, &store.CreateTokenParams{Name: "other", Role: store.RoleViewer, Hash: tokenHash("ops-1")})
	wantConflict(e, err, "a token with ops' secret", "Hash")
	_, err = e.tokens().CreateToken(e.ctx, &store.CreateTokenParams{Name: "ops", Role: store.RoleViewer, Hash: tokenHash("ops-1")})
	wantConflict(e, err, "ops again, with its own secret", "Hash")
	e.unchanged(before, "refused CreateToken calls")

	// Names compare exactly.
	e.createToken(store.CreateTokenParams{Name: "OPS", Role: store.RoleViewer, Hash: tokenHash("OPS")})
	e.createToken(store.CreateTokenParams{Name: "ops ", Role: store.RoleViewer, Hash: tokenHash("ops ")})

	// A revoked token frees its name, not its secret.
	_, err = e.tokens().RevokeToken(e.ctx, &store.RevokeTokenParams{ID: ops.ID})
	e.ok(err, "RevokeToken(ops)")
	again := e.createToken(store.CreateTokenParams{Name: "ops", Role: store.RoleAdmin, Hash: tokenHash("ops-2")})
	if again.ID <= ops.ID {
		e.t.Errorf("the new ops token has ID %d, want more than the revoked one's %d", again.ID, ops.ID)
	}
	_, err = e.tokens().CreateToken(e.ctx, &store.CreateTokenParams{Name: "ops-3", Role: store.RoleViewer, Hash: tokenHash("ops-1")})
	wantConflict(e, err, "a token with the revoked ops' secret", "Hash")
	_, err = e.tokens().CreateToken(e.ctx, &store.CreateTokenParams{Name: "ops", Role: store.RoleViewer, Hash: tokenHash("ops-3")})
	wantConflict(e, err, "a third token named ops", "Name")
	if got := e.listTokens(true); len(got) != 4 {
		e.t.Errorf("ListTokens{IncludeRevoked} holds %d tokens, want 4 (ops revoked, OPS, \"ops \", ops)", len(got))
	}
}

// testTokensConcurrent: of creators racing for one name, exactly one wins
// and the others get a *ConflictError.
func testTokensConcurrent(e *env) {
	const n = 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, errs[i] = e.tokens().CreateToken(e.ctx, &store.CreateTokenParams{Name: "racer", Role: store.RoleViewer, Hash: tokenHash(fmt.Sprint("racer", i))})
		})
	}
	wg.Wait()
	won := 0
	for i, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, store.ErrConflict):
			e.t.Errorf("creator %d: %v, want success or a conflict", i, err)
		}
	}
	if got := e.listTokens(true); won != 1 || len(got) != 1 {
		e.t.Errorf("%d of %d concurrent CreateToken calls for one name succeeded and %d tokens are stored; want 1 and 1", won, n, len(got))
	}
}

func testTokenRevoke(e *env) {
	a := e.createToken(store.CreateTokenParams{Name: "a", Role: store.RoleViewer, Hash: tokenHash("a")})
	b := e.createToken(store.CreateTokenParams{Name: "b", Role: store.RoleAdmin, Hash: tokenHash("b")})
	revoked, err := e.tokens().RevokeToken(e.ctx, &store.RevokeTokenParams{ID: a.ID})
	e.ok(err, "RevokeToken(a)")
	if revoked.RevokedAt.IsZero() || revoked.RevokedAt.Before(a.CreatedAt) {
		e.t.Errorf("RevokeToken: RevokedAt %v, want a time not before CreatedAt %v", revoked.RevokedAt, a.CreatedAt)
	}
	checkTimes(e.t, "RevokeToken result", revoked, e.n.prec)
	want := a
	want.RevokedAt = revoked.RevokedAt
	checkEq(e.t, "RevokeToken result", want, *revoked)
	checkList(e.t, "ListTokens after revoking a", []store.TokenInfo{b}, e.listTokens(false))
	checkList(e.t, "ListTokens{IncludeRevoked} after revoking a", []store.TokenInfo{want, b}, e.listTokens(true))
	got, err := e.tokens().TokenByHash(e.ctx, &store.TokenByHashParams{Hash: tokenHash("a")})
	e.ok(err, "TokenByHash of a revoked token")
	checkEq(e.t, "TokenByHash of a revoked token", want, *got)

	time.Sleep(2 * e.n.prec)
	again, err := e.tokens().RevokeToken(e.ctx, &store.RevokeTokenParams{ID: a.ID})
	e.ok(err, "RevokeToken(a) again")
	checkEq(e.t, "RevokeToken again (keeps the first RevokedAt)", want, *again)

	before := e.dump()
	_, err = e.tokens().RevokeToken(e.ctx, &store.RevokeTokenParams{ID: b.ID + 100})
	wantNotFound(e.t, err, "RevokeToken of an unknown ID")
	e.unchanged(before, "RevokeToken of an unknown ID")
}

func testTokensHostile(e *env) {
	var want []store.TokenInfo
	for i, s := range HostileStrings() {
		name := s
		if utf8.RuneCountInString(s) > 200 || strings.TrimSpace(s) == "" {
			name = fmt.Sprintf("long-%d", i)
		}
		want = append(want, e.createToken(store.CreateTokenParams{Name: name, Role: store.RoleViewer, Vcenters: []string{s, "vc-a"}, Hash: tokenHash(s), CreatedBy: s}))
	}
	checkList(e.t, "ListTokens of hostile tokens", want, e.listTokens(false))
	for i, s := range HostileStrings() {
		got, err := e.tokens().TokenByHash(e.ctx, &store.TokenByHashParams{Hash: tokenHash(s)})
		e.ok(err, "TokenByHash(%q)", s)
		checkEq(e.t, fmt.Sprintf("TokenByHash of hostile token %d", i), want[i], *got)
	}
}

// wantClosed checks that err wraps store.ErrClosed.
func wantClosed(t testing.TB, op string, err error) {
	t.Helper()
	if !errors.Is(err, store.ErrClosed) {
		t.Errorf("%s after Close: error %v, want one wrapping store.ErrClosed", op, err)
	}
}

// closeStore closes e's store, failing the test on an error.
func (e *env) closeStore() {
	e.t.Helper()
	if err := e.st.Close(); err != nil {
		e.t.Fatalf("Close: %v", err)
	}
}

func testTokensClosed(e *env) {
	tok := e.createToken(store.CreateTokenParams{Name: "a", Role: store.RoleViewer, Hash: tokenHash("a")})
	e.closeStore()
	_, err := e.tokens().CreateToken(e.ctx, &store.CreateTokenParams{Name: "b", Role: store.RoleViewer, Hash: tokenHash("b")})
	wantClosed(e.t, "CreateToken", err)
	_, err = e.tokens().ListTokens(e.ctx, &store.ListTokensParams{})
	wantClosed(e.t, "ListTokens", err)
	_, err = e.tokens().TokenByHash(e.ctx, &store.TokenByHashParams{Hash: tokenHash("a")})
	wantClosed(e.t, "TokenByHash", err)
	_, err = e.tokens().RevokeToken(e.ctx, &store.RevokeTokenParams{ID: tok.ID})
	wantClosed(e.t, "RevokeToken", err)
}

// ---------------------------------------------------------------------------
// AuditLog

// The AuditLog section: entries round-trip (Before and After as equal
// JSON), list newest first, page without repeating or skipping an entry
// (also among entries of equal times: RunSection with a clock that stands
// still), filter exactly, refuse invalid params naming the field and keep
// hostile strings intact.
func auditLogTests() []test {
	return []test{
		{"AppendAndList", testAuditRoundTrip},
		{"Paging", testAuditPaging},
		{"Filters", testAuditFilters},
		{"Validation", testAuditInvalid},
		{"HostileStrings", testAuditHostile},
		{"AfterClose", testAuditClosed},
	}
}

func (e *env) auditLog() store.AuditLog { return e.st.(store.AuditLog) }

// sameJSON reports whether a and b are both empty or equal JSON values.
func sameJSON(a, b json.RawMessage) bool {
	if len(a) == 0 || len(b) == 0 {
		return len(a) == len(b)
	}
	var x, y any
	return json.Unmarshal(a, &x) == nil && json.Unmarshal(b, &y) == nil && reflect.DeepEqual(x, y)
}

var jsonEqual = cmp.Comparer(sameJSON)

// appendAudit appends an entry and checks the result against it.
func (e *env) appendAudit(in store.AuditEntry) store.AuditEntry {
	e.t.Helper()
	got, err := e.auditLog().AppendAudit(e.ctx, &store.AppendAuditParams{Entry: in})
	e.ok(err, "AppendAudit(%s %s)", in.Actor, in.Action)
	if got == nil {
		e.t.Fatal("AppendAudit: nil entry and nil error")
	}
	want := in
	want.ID, want.Time = got.ID, got.Time
	checkEq(e.t, "AppendAudit result", want, *got, jsonEqual)
	if got.ID <= 0 || got.Time.IsZero() {
		e.t.Errorf("AppendAudit: ID %d, Time %v; want a positive ID and a time", got.ID, got.Time)
	}
	checkTimes(e.t, "AppendAudit result", got, e.n.prec)
	return *got
}

// appendAudits appends n entries cycling through actors, actions and
// targets, and returns them newest first.
func (e *env) appendAudits(n int) []store.AuditEntry {
	e.t.Helper()
	actors := []string{"ops", "root", "ops2", "OPS"}
	actions := []string{"token.create", "token.revoke", "endpoint.update"}
	var out []store.AuditEntry
	for i := range n {
		got := e.appendAudit(store.AuditEntry{
			Actor: actors[i%len(actors)], Action: actions[i%len(actions)], Target: fmt.Sprint("t-", i%5),
			RemoteAddr: "10.0.0.1:" + fmt.Sprint(40000+i), Status: 200 + i%3,
			After: json.RawMessage(fmt.Sprintf(`{"n": %d}`, i)),
		})
		if len(out) > 0 && got.ID <= out[0].ID {
			e.t.Fatalf("audit IDs %d then %d: want them increasing", out[0].ID, got.ID)
		}
		out = slices.Insert(out, 0, got)
	}
	return out
}

// listAudit lists every page of p, checking that each page but the last
// is full and that no entry comes twice.
func (e *env) listAudit(p store.ListAuditParams) []store.AuditEntry {
	e.t.Helper()
	size := p.Limit
	if size <= 0 {
		size = 100
	}
	var out []store.AuditEntry
	seen := map[int64]bool{}
	for page := 0; ; page++ {
		pg, err := e.auditLog().ListAudit(e.ctx, &p)
		e.ok(err, "ListAudit%s page %d", describe(p), page)
		if pg.NextCursor != "" && len(pg.Entries) != size {
			e.t.Errorf("ListAudit%s page %d: %d entries and a next page; want a full page of %d", describe(p), page, len(pg.Entries), size)
		}
		for _, x := range pg.Entries {
			if seen[x.ID] {
				e.t.Fatalf("ListAudit%s: entry %d returned twice (page %d)", describe(p), x.ID, page)
			}
			seen[x.ID] = true
		}
		out = append(out, pg.Entries...)
		if pg.NextCursor == "" {
			return out
		}
		if page > 10000 {
			e.t.Fatalf("ListAudit%s: more than 10000 pages", describe(p))
		}
		p.Cursor = pg.NextCursor
	}
}

func testAuditRoundTrip(e *env) {
	ins := []store.AuditEntry{
		{Actor: "root", Action: "token.create", Target: "7", RemoteAddr: "[::1]:5050", Status: 201,
			After: json.RawMessage(`{ "name": "grafana", "role": "viewer", "vcenters": ["vc-a", "vc-b"], "n": 2.50, "ok": true, "none": null }`)},
		{Actor: "root", Action: "endpoint.update", Target: "vc-a", Status: 200,
			Before: json.RawMessage(`{"url":"https://old/sdk","tags":{"b":"2","a":"1"}}`), After: json.RawMessage(`{"url":"https://new/sdk","tags":{}}`)},
		{Actor: "ops", Action: "snapshots.aggregate", Status: 202, Before: json.RawMessage(`[1, "two", [3], {"4": 4}]`), After: json.RawMessage(`"scalar"`)},
		{Actor: "ops", Action: "token.revoke", Target: "7", Before: json.RawMessage(`null`), After: json.RawMessage("\n\t12e3 ")},
	}
	var want []store.AuditEntry
	for _, in := range ins {
		want = slices.Insert(want, 0, e.appendAudit(in))
		if len(want) > 1 && want[0].Time.Before(want[1].Time) {
			e.t.Errorf("audit entry %d has Time %v, before the previous entry's %v", want[0].ID, want[0].Time, want[1].Time)
		}
	}
	pg, err := e.auditLog().ListAudit(e.ctx, &store.ListAuditParams{})
	e.ok(err, "ListAudit")
	if pg.NextCursor != "" {
		e.t.Errorf("ListAudit of 4 entries: NextCursor %q, want none", pg.NextCursor)
	}
	checkList(e.t, "ListAudit (newest first)", want, pg.Entries, jsonEqual)
	if d := e.dump(); !sameJSON(d.Audit[3].After, ins[0].After) || d.Audit[3].Before != nil {
		e.t.Errorf("stored entry: Before %s, After %s; want no Before and an After equal to %s", d.Audit[3].Before, d.Audit[3].After, ins[0].After)
	}
	// The entries given and returned are the caller's own.
	in := store.AuditEntry{Actor: "ops", Action: "x", After: json.RawMessage(`{"k":"v"}`)}
	got := e.appendAudit(in)
	in.After[2], got.After[2] = 'X', 'Y'
	d := e.dump()
	if !sameJSON(d.Audit[0].After, json.RawMessage(`{"k":"v"}`)) {
		e.t.Errorf("the stored entry changed with the caller's bytes: After %s", d.Audit[0].After)
	}
}

func testAuditPaging(e *env) {
	all := e.appendAudits(101)
	ties := 0
	for i := 1; i < len(all); i++ {
		if all[i].Time.Equal(all[i-1].Time) {
			ties++
		}
	}
	e.t.Logf("%d of %d consecutive entries share their time", ties, len(all)-1)
	checkList(e.t, "ListAudit{Limit: 1000} (newest first)", all, e.listAudit(store.ListAuditParams{Limit: 1000}), jsonEqual)
	for _, limit := range []int{0, 1, 2, 7, 100, 101} {
		p := store.ListAuditParams{Limit: limit}
		checkList(e.t, fmt.Sprintf("ListAudit{Limit: %d} pages", limit), all, e.listAudit(p), jsonEqual)
	}
	pg, err := e.auditLog().ListAudit(e.ctx, &store.ListAuditParams{})
	e.ok(err, "ListAudit{}")
	if len(pg.Entries) != 100 || pg.NextCursor == "" {
		e.t.Errorf("ListAudit{} of 101 entries: %d entries, cursor %q; want the default page of 100 and a cursor", len(pg.Entries), pg.NextCursor)
	}
	pg, err = e.auditLog().ListAudit(e.ctx, &store.ListAuditParams{Limit: 100000})
	e.ok(err, "ListAudit{Limit: 100000}")
	if len(pg.Entries) != 101 || pg.NextCursor != "" {
		e.t.Errorf("ListAudit{Limit: 100000} of 101 entries: %d entries, cursor %q; want all 101 (the limit is capped at 1000) and no cursor", len(pg.Entries), pg.NextCursor)
	}
	// Entries appended after a page was read do not shift the next page.
	first, err := e.auditLog().ListAudit(e.ctx, &store.ListAuditParams{Limit: 10})
	e.ok(err, "ListAudit{Limit: 10}")
	e.appendAudits(3)
	next, err := e.auditLog().ListAudit(e.ctx, &store.ListAuditParams{Limit: 10, Cursor: first.NextCursor})
	e.ok(err, "ListAudit{Limit: 10} page 2 after more appends")
	checkList(e.t, "page 2 after more appends", all[10:20], next.Entries, jsonEqual)
}

func testAuditFilters(e *env) {
	all := e.appendAudits(30)
	mid, late := all[20].Time, all[5].Time // all is newest first
	for _, p := range []store.ListAuditParams{
		{Actor: "ops"}, {Actor: "OPS"}, {Actor: "op"}, {Actor: "%"},
		{Action: "token.revoke"}, {Action: "token.%"},
		{Target: "t-3"}, {Target: "t-3", Actor: "root"},
		{From: mid}, {To: mid}, {From: mid, To: late}, {From: late, To: mid},
		{Actor: "root", From: mid, To: late, Limit: 2},
	} {
		want := filter(all, func(x store.AuditEntry) bool {
			return (p.Actor == "" || x.Actor == p.Actor) && (p.Action == "" || x.Action == p.Action) &&
				(p.Target == "" || x.Target == p.Target) && inRange(x.Time, p.From, p.To)
		})
		checkList(e.t, "ListAudit"+describe(p), want, e.listAudit(p), jsonEqual)
	}
	if got := e.listAudit(store.ListAuditParams{Actor: "ops"}); len(got) != 8 {
		e.t.Errorf("ListAudit{Actor: ops} returned %d entries, want 8 (ops2 and OPS are other actors)", len(got))
	}
}

func testAuditInvalid(e *env) {
	e.appendAudits(2)
	before := e.dump()
	good := func() store.AuditEntry {
		return store.AuditEntry{Actor: "root", Action: "token.create", Target: "1", RemoteAddr: "127.0.0.1:1", Status: 201,
			Before: json.RawMessage(`{}`), After: json.RawMessage(`{"a":1}`)}
	}
	for _, c := range []struct {
		name, field string
		mod         func(x *store.AuditEntry)
	}{
		{"empty actor", "Entry.Actor", func(x *store.AuditEntry) { x.Actor = "" }},
		{"empty action", "Entry.Action", func(x *store.AuditEntry) { x.Action = "" }},
		{"NUL in actor", "Entry.Actor", func(x *store.AuditEntry) { x.Actor = "a\x00" }},
		{"NUL in target", "Entry.Target", func(x *store.AuditEntry) { x.Target = "\x00" }},
		{"invalid UTF-8 remote address", "Entry.RemoteAddr", func(x *store.AuditEntry) { x.RemoteAddr = "\xc3(" }},
		{"truncated JSON before", "Entry.Before", func(x *store.AuditEntry) { x.Before = json.RawMessage(`{"a":`) }},
		{"bare word after", "Entry.After", func(x *store.AuditEntry) { x.After = json.RawMessage(`nope`) }},
		{"two values after", "Entry.After", func(x *store.AuditEntry) { x.After = json.RawMessage(`{} {}`) }},
		{"blank after", "Entry.After", func(x *store.AuditEntry) { x.After = json.RawMessage(` `) }},
		{"invalid UTF-8 in a JSON string", "Entry.Before", func(x *store.AuditEntry) { x.Before = json.RawMessage("{\"a\":\"\xff\"}") }},
		{"status 42", "Entry.Status", func(x *store.AuditEntry) { x.Status = 42 }},
		{"status 600", "Entry.Status", func(x *store.AuditEntry) { x.Status = 600 }},
		{"negative status", "Entry.Status", func(x *store.AuditEntry) { x.Status = -200 }},
	} {
		x := good()
		c.mod(&x)
		_, err := e.auditLog().AppendAudit(e.ctx, &store.AppendAuditParams{Entry: x})
		wantField(e.t, err, "AppendAudit", c.name, c.field)
	}
	_, err := e.auditLog().AppendAudit(e.ctx, nil)
	wantInvalid(e.t, err, "AppendAudit", "nil params")
	for _, cursor := range []string{"garbage", driver.EncodeCursor("0"), driver.EncodeCursor("-3"), driver.EncodeCursor("x"), driver.EncodeCursor("1", "2")} {
		_, err = e.auditLog().ListAudit(e.ctx, &store.ListAuditParams{Cursor: cursor})
		wantField(e.t, err, "ListAudit", "cursor "+cursor, "Cursor")
	}
	e.unchanged(before, "invalid audit calls")
}

func testAuditHostile(e *env) {
	var want []store.AuditEntry
	for _, s := range HostileStrings() {
		after, err := json.Marshal(map[string]any{s: s, "list": []string{s}})
		e.ok(err, "json.Marshal")
		want = slices.Insert(want, 0, e.appendAudit(store.AuditEntry{Actor: s, Action: s, Target: s, RemoteAddr: s, After: after, Status: 400}))
	}
	checkList(e.t, "ListAudit of hostile entries", want, e.listAudit(store.ListAuditParams{Limit: 7}), jsonEqual)
	for i, s := range HostileStrings() {
		got := e.listAudit(store.ListAuditParams{Actor: s, Action: s, Target: s})
		checkList(e.t, fmt.Sprintf("ListAudit filtered by hostile string %d", i), []store.AuditEntry{want[len(want)-1-i]}, got, jsonEqual)
	}
}

func testAuditClosed(e *env) {
	e.appendAudits(1)
	e.closeStore()
	_, err := e.auditLog().AppendAudit(e.ctx, &store.AppendAuditParams{Entry: store.AuditEntry{Actor: "a", Action: "b"}})
	wantClosed(e.t, "AppendAudit", err)
	_, err = e.auditLog().ListAudit(e.ctx, &store.ListAuditParams{})
	wantClosed(e.t, "ListAudit", err)
}

// ---------------------------------------------------------------------------
// RateCardStore

// The RateCardStore section: cards round-trip with their prices exactly as
// given, list in (EffectiveFrom, ID) order, update and delete by ID (an
// unknown ID is ErrNotFound and changes nothing; an ID is never reused),
// invalid cards are refused naming the field and hostile strings come back
// intact.
func rateCardStoreTests() []test {
	return []test{
		{"CreateUpdateDeleteList", testRateCardsRoundTrip},
		{"Validation", testRateCardsInvalid},
		{"HostileStrings", testRateCardsHostile},
		{"AfterClose", testRateCardsClosed},
	}
}

func (e *env) rateCardStore() store.RateCardStore { return e.st.(store.RateCardStore) }

// rateCard is a valid card with every field set; its prices would not
// survive a float64.
func rateCard(name string, from time.Time) inventory.RateCard {
	return inventory.RateCard{
		Name: name, Currency: "EUR", EffectiveFrom: from, Tier: "Gold", Vcenter: "vc-a", Cluster: "prod", TagKey: "cost-center", TagValue: "42",
		VCPUDay: "0.5", RAMGBDay: "0.000000000000000001", ProvisionedDiskGBDay: "12345678901234567890.123456789012345678",
		UsedDiskGBDay: "0", VMDay: "000.10",
	}
}

// createRateCard creates a card and checks the result against it.
func (e *env) createRateCard(c inventory.RateCard) inventory.RateCard {
	e.t.Helper()
	got, err := e.rateCardStore().CreateRateCard(e.ctx, &store.CreateRateCardParams{Card: c})
	e.ok(err, "CreateRateCard(%q)", c.Name)
	if got == nil {
		e.t.Fatal("CreateRateCard: nil card and nil error")
	}
	want := c
	want.ID, want.EffectiveFrom = got.ID, e.n.t(c.EffectiveFrom)
	checkEq(e.t, "CreateRateCard result", want, *got)
	if got.ID <= 0 {
		e.t.Errorf("CreateRateCard: ID %d, want a positive ID", got.ID)
	}
	checkTimes(e.t, "CreateRateCard result", got, e.n.prec)
	return *got
}

func (e *env) listRateCards(p store.ListRateCardsParams) []inventory.RateCard {
	e.t.Helper()
	got, err := e.rateCardStore().ListRateCards(e.ctx, &p)
	e.ok(err, "ListRateCards%s", describe(p))
	return got
}

func testRateCardsRoundTrip(e *env) {
	zone := time.FixedZone("UTC+5:30", 5*3600+1800)
	a := e.createRateCard(rateCard("a", mon0.Add(123456789).In(zone)))
	b := e.createRateCard(inventory.RateCard{Name: "b: defaults", Currency: "USD", EffectiveFrom: day0})
	c := e.createRateCard(rateCard("c", mon0.Add(123456789)))
	if b.ID == a.ID || c.ID == a.ID || c.ID == b.ID {
		e.t.Fatalf("rate card IDs %d, %d, %d: want distinct IDs", a.ID, b.ID, c.ID)
	}
	// a and c start at the same time: ID order.
	checkList(e.t, "ListRateCards (by EffectiveFrom, ID)", []inventory.RateCard{a, c, b}, e.listRateCards(store.ListRateCardsParams{}))
	checkList(e.t, "ListRateCards{EffectiveBefore: b's}", []inventory.RateCard{a, c}, e.listRateCards(store.ListRateCardsParams{EffectiveBefore: day0}))
	checkList(e.t, "ListRateCards{EffectiveBefore: a's}", nil, e.listRateCards(store.ListRateCardsParams{EffectiveBefore: a.EffectiveFrom}))
	checkList(e.t, "ListRateCards{EffectiveBefore: just after a's}", []inventory.RateCard{a, c},
		e.listRateCards(store.ListRateCardsParams{EffectiveBefore: a.EffectiveFrom.Add(time.Nanosecond)}))

	upd := rateCard("a, updated", day0.Add(-time.Hour))
	upd.ID, upd.Tier, upd.TagKey, upd.TagValue, upd.VMDay = a.ID, "none", "", "", "7.25"
	got, err := e.rateCardStore().UpdateRateCard(e.ctx, &store.UpdateRateCardParams{Card: upd})
	e.ok(err, "UpdateRateCard(a)")
	checkEq(e.t, "UpdateRateCard result", upd, *got)
	checkList(e.t, "ListRateCards after the update", []inventory.RateCard{c, upd, b}, e.listRateCards(store.ListRateCardsParams{}))

	before := e.dump()
	missing := rateCard("missing", day0)
	missing.ID = a.ID + b.ID + c.ID
	_, err = e.rateCardStore().UpdateRateCard(e.ctx, &store.UpdateRateCardParams{Card: missing})
	wantNotFound(e.t, err, "UpdateRateCard of an unknown ID")
	err = e.rateCardStore().DeleteRateCard(e.ctx, &store.DeleteRateCardParams{ID: missing.ID})
	wantNotFound(e.t, err, "DeleteRateCard of an unknown ID")
	e.unchanged(before, "UpdateRateCard and DeleteRateCard of an unknown ID")

	e.ok(e.rateCardStore().DeleteRateCard(e.ctx, &store.DeleteRateCardParams{ID: c.ID}), "DeleteRateCard(c)")
	checkList(e.t, "ListRateCards after deleting c", []inventory.RateCard{upd, b}, e.listRateCards(store.ListRateCardsParams{}))
	err = e.rateCardStore().DeleteRateCard(e.ctx, &store.DeleteRateCardParams{ID: c.ID})
	wantNotFound(e.t, err, "DeleteRateCard of a deleted card")
	_, err = e.rateCardStore().UpdateRateCard(e.ctx, &store.UpdateRateCardParams{Card: c})
	wantNotFound(e.t, err, "UpdateRateCard of a deleted card")
	d := e.createRateCard(rateCard("d", day0))
	if d.ID == a.ID || d.ID == b.ID || d.ID == c.ID {
		e.t.Errorf("a card created after deleting card %d got ID %d: IDs must not be reused", c.ID, d.ID)
	}
}

func testRateCardsInvalid(e *env) {
	kept := e.createRateCard(rateCard("kept", day0))
	before := e.dump()
	for _, c := range []struct {
		name, field string
		mod         func(c *inventory.RateCard)
	}{
		{"empty name", "Card.name", func(c *inventory.RateCard) { c.Name = "" }},
		{"long name", "Card.name", func(c *inventory.RateCard) { c.Name = strings.Repeat("n", 201) }},
		{"lower-case currency", "Card.currency", func(c *inventory.RateCard) { c.Currency = "eur" }},
		{"zero effective_from", "Card.effective_from", func(c *inventory.RateCard) { c.EffectiveFrom = time.Time{} }},
		{"unknown tier", "Card.tier", func(c *inventory.RateCard) { c.Tier = "gold" }},
		{"tag value without key", "Card.tag_value", func(c *inventory.RateCard) { c.TagKey = "" }},
		{"negative price", "Card.vcpu_day", func(c *inventory.RateCard) { c.VCPUDay = "-0.5" }},
		{"float price", "Card.ram_gb_day", func(c *inventory.RateCard) { c.RAMGBDay = "1e-18" }},
		{"19 decimals", "Card.vm_day", func(c *inventory.RateCard) { c.VMDay = "0.0000000000000000001" }},
		{"two bad fields", "Card.currency,used_disk_gb_day", func(c *inventory.RateCard) { c.Currency, c.UsedDiskGBDay = "", "x" }},
		{"NUL in cluster", "Card.cluster", func(c *inventory.RateCard) { c.Cluster = "a\x00" }},
		{"invalid UTF-8 tag key", "Card.tag_key", func(c *inventory.RateCard) { c.TagKey = "\xff" }},
	} {
		card := rateCard("new", day0)
		c.mod(&card)
		_, err := e.rateCardStore().CreateRateCard(e.ctx, &store.CreateRateCardParams{Card: card})
		wantField(e.t, err, "CreateRateCard", c.name, c.field)
		card.ID = kept.ID
		_, err = e.rateCardStore().UpdateRateCard(e.ctx, &store.UpdateRateCardParams{Card: card})
		wantField(e.t, err, "UpdateRateCard", c.name, c.field)
	}
	_, err := e.rateCardStore().CreateRateCard(e.ctx, nil)
	wantInvalid(e.t, err, "CreateRateCard", "nil params")
	_, err = e.rateCardStore().UpdateRateCard(e.ctx, &store.UpdateRateCardParams{Card: rateCard("no id", day0)})
	wantField(e.t, err, "UpdateRateCard", "no ID", "Card.ID")
	err = e.rateCardStore().DeleteRateCard(e.ctx, &store.DeleteRateCardParams{})
	wantField(e.t, err, "DeleteRateCard", "no ID", "ID")
	e.unchanged(before, "invalid rate card calls")
}

func testRateCardsHostile(e *env) {
	var want []inventory.RateCard
	for i, s := range HostileStrings() {
		c := rateCard(fmt.Sprintf("card %d", i), day0.Add(time.Duration(i)*time.Hour))
		if slices.Contains(shortHostile(), s) {
			c.Name = s
		}
		c.Vcenter, c.Cluster, c.TagKey, c.TagValue = s, s, s, s
		want = append(want, e.createRateCard(c))
	}
	checkList(e.t, "ListRateCards of hostile cards", want, e.listRateCards(store.ListRateCardsParams{}))
}

func testRateCardsClosed(e *env) {
	c := e.createRateCard(rateCard("a", day0))
	e.closeStore()
	_, err := e.rateCardStore().CreateRateCard(e.ctx, &store.CreateRateCardParams{Card: rateCard("b", day0)})
	wantClosed(e.t, "CreateRateCard", err)
	_, err = e.rateCardStore().UpdateRateCard(e.ctx, &store.UpdateRateCardParams{Card: c})
	wantClosed(e.t, "UpdateRateCard", err)
	wantClosed(e.t, "DeleteRateCard", e.rateCardStore().DeleteRateCard(e.ctx, &store.DeleteRateCardParams{ID: c.ID}))
	_, err = e.rateCardStore().ListRateCards(e.ctx, &store.ListRateCardsParams{})
	wantClosed(e.t, "ListRateCards", err)
}
