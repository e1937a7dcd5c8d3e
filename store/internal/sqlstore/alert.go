package sqlstore

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/driver"
)

// Tables of alerting (migration 15 on PostgreSQL, 14 on SQLite).
const (
	TableAlertRules       = "alert_rules"
	TableAlerts           = "alerts"
	TableAlertTransitions = "alert_transitions"
	TableAlertSilences    = "alert_silences"
	TableAlertChannels    = "alert_channels"
	TableNotifications    = "notifications"
)

// alertLockKey is the key of the lock ApplyAlerts takes first, so its
// checks (ExpectState, one alert that is not resolved per key) and its
// writes happen one batch at a time across processes.
const alertLockKey = "alerts"

var (
	alertRuleCols = []string{"id", "name", "kind", "severity", "enabled", "scope", "threshold", "clear_value",
		"duration_ns", "for_ns", "channels", "origin", "updated_at"}
	alertCols = []string{"rule_id", "kind", "severity", "vcenter", "entity_type", "entity_id", "entity_name", "state",
		"summary", "value", "seen_at", "opened_at", "updated_at", "acked_at", "acked_by", "ack_comment", "resolved_at",
		"resolved_by", "flaps", "flapping", "silenced"}
	alertSelectCols = "id, " + list(alertCols)
	transitionCols  = []string{"alert_id", "from_state", "to_state", "at", "by_user", "comment", "summary"}
	silenceCols     = []string{"rule_id", "vcenter", "entity_type", "entity_id", "ends_at", "comment", "created_by", "created_at"}
	channelCols     = []string{"name", "kind", "enabled", "min_severity", "url", "smtp_host", "smtp_port", "from_addr",
		"to_addrs", "username", "tls", "rate_per_minute", "digest_after", "secret", "updated_at"}
	notificationCols = []string{"channel", "event", "alert_id", "alert", "state", "created_at", "next_attempt",
		"attempts", "last_error", "delivered_at", "extra"}
	notificationSelectCols = "id, " + list(notificationCols)
)

func alertRuleDest(r *inventory.AlertRule) []any {
	return []any{&r.ID, &r.Name, &r.Kind, &r.Severity, &r.Enabled, jsonDest{&r.Scope}, &r.Threshold, &r.Clear,
		durationDest{&r.Duration}, durationDest{&r.For}, jsonDest{&r.Channels}, &r.Origin, timeDest{&r.UpdatedAt}}
}

func (c *Core) alertRuleArgs(r *inventory.AlertRule) []any {
	var scope, channels any
	if !isZeroScope(&r.Scope) {
		scope = jsonValue(r.Scope)
	}
	if len(r.Channels) > 0 {
		channels = jsonValue(r.Channels)
	}
	return []any{r.ID, r.Name, string(r.Kind), string(r.Severity), r.Enabled, scope, r.Threshold, r.Clear,
		int64(r.Duration), int64(r.For), channels, r.Origin, c.time(r.UpdatedAt)}
}

func isZeroScope(s *inventory.AlertScope) bool {
	return len(s.Vcenters) == 0 && len(s.Datacenters) == 0 && len(s.Clusters) == 0 && s.Attribute == "" && s.Name == ""
}

func alertDest(a *inventory.Alert) []any {
	return []any{&a.ID, &a.RuleID, &a.Kind, &a.Severity, &a.Vcenter, &a.EntityType, &a.EntityID, &a.EntityName, &a.State,
		&a.Summary, &a.Value, timeDest{&a.SeenAt}, timeDest{&a.OpenedAt}, timeDest{&a.UpdatedAt}, timeDest{&a.AckedAt},
		&a.AckedBy, &a.AckComment, timeDest{&a.ResolvedAt}, &a.ResolvedBy, &a.Flaps, &a.Flapping, &a.Silenced}
}

func (c *Core) alertArgs(a *inventory.Alert) []any {
	return []any{a.RuleID, string(a.Kind), string(a.Severity), a.Vcenter, string(a.EntityType), a.EntityID, a.EntityName,
		string(a.State), a.Summary, a.Value, c.time(a.SeenAt), c.time(a.OpenedAt), c.time(a.UpdatedAt), c.time(a.AckedAt),
		a.AckedBy, a.AckComment, c.time(a.ResolvedAt), a.ResolvedBy, a.Flaps, a.Flapping, a.Silenced}
}

func transitionDest(t *inventory.AlertTransition) []any {
	return []any{&t.ID, &t.AlertID, &t.From, &t.To, timeDest{&t.At}, &t.By, &t.Comment, &t.Summary}
}

func silenceDest(s *inventory.Silence) []any {
	return []any{&s.ID, &s.RuleID, &s.Vcenter, &s.EntityType, &s.EntityID, timeDest{&s.Until}, &s.Comment, &s.CreatedBy, timeDest{&s.CreatedAt}}
}

func channelDest(ch *inventory.AlertChannel) []any {
	return []any{&ch.Name, &ch.Kind, &ch.Enabled, &ch.MinSeverity, &ch.URL, &ch.SMTPHost, &ch.SMTPPort, &ch.From,
		jsonDest{&ch.To}, &ch.Username, &ch.TLS, &ch.RatePerMinute, &ch.DigestAfter, bytesDest{&ch.Secret}, timeDest{&ch.UpdatedAt}}
}

func (c *Core) channelArgs(ch *inventory.AlertChannel) []any {
	var to any
	if len(ch.To) > 0 {
		to = jsonValue(ch.To)
	}
	return []any{ch.Name, ch.Kind, ch.Enabled, string(ch.MinSeverity), ch.URL, ch.SMTPHost, ch.SMTPPort, ch.From,
		to, ch.Username, ch.TLS, ch.RatePerMinute, ch.DigestAfter, bytesArg(ch.Secret), c.time(ch.UpdatedAt)}
}

// alertSnapshot scans the JSON alert of a notification, times in UTC.
type alertSnapshot struct{ a *inventory.Alert }

func (d alertSnapshot) Scan(src any) error {
	if err := (jsonDest{d.a}).Scan(src); err != nil {
		return err
	}
	*d.a = driver.NormAlert(*d.a)
	return nil
}

func notificationDest(n *inventory.Notification) []any {
	var alertID int64
	return []any{&n.ID, &n.Channel, &n.Event, &alertID, alertSnapshot{&n.Alert}, &n.State, timeDest{&n.CreatedAt},
		timeDest{&n.NextAttempt}, &n.Attempts, &n.LastError, timeDest{&n.DeliveredAt}, bytesDest{(*[]byte)(&n.Extra)}}
}

func (c *Core) notificationArgs(n *inventory.Notification) ([]any, error) {
	a, err := json.Marshal(n.Alert)
	if err != nil {
		return nil, err
	}
	return []any{n.Channel, n.Event, n.Alert.ID, string(a), string(n.State), c.time(n.CreatedAt), c.time(n.NextAttempt),
		n.Attempts, n.LastError, c.time(n.DeliveredAt), jsonText(n.Extra)}, nil
}

// txRows runs a query in tx and scans every row with dest.
func txRows[T any](ctx context.Context, tx Tx, query string, args []any, dest func(*T) []any) ([]T, error) {
	rows, err := tx.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		var v T
		if err := rows.Scan(dest(&v)...); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// asConflict returns the *store.ConflictError inside a failed write's
// error, or err.
func asConflict(err error) error {
	if ce := (*store.ConflictError)(nil); errors.As(err, &ce) {
		return ce
	}
	return err
}

// ---------------------------------------------------------------------------
// Rules

// PutAlertRule inserts or replaces a rule (store.AlertStore).
func (c *Core) PutAlertRule(ctx context.Context, p *store.PutAlertRuleParams) (*inventory.AlertRule, error) {
	const op = "PutAlertRule"
	if err := c.check(op); err != nil {
		return nil, err
	}
	r, err := driver.PrepareAlertRule(p, c.now())
	if err != nil {
		return nil, err
	}
	err = c.inTx(ctx, &writeOp{op: op, stage: store.StageAlerts}, func(tx Tx) error {
		_, err := tx.Exec(ctx, c.insertSQL(TableAlertRules, alertRuleCols, Upsert(alertRuleCols, "id"), 1), c.alertRuleArgs(&r)...)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// ListAlertRules returns the rules ordered by ID (store.AlertStore).
func (c *Core) ListAlertRules(ctx context.Context, p *store.ListAlertRulesParams) ([]inventory.AlertRule, error) {
	const op = "ListAlertRules"
	if err := c.check(op); err != nil {
		return nil, err
	}
	if p == nil {
		p = &store.ListAlertRulesParams{}
	}
	q := c.db.NewSelect().ColumnExpr(list(alertRuleCols)).TableExpr(c.sql("{alert_rules}"))
	if p.EnabledOnly {
		q = q.Where("enabled")
	}
	return queryRows(ctx, c, op, q.OrderExpr("id"), alertRuleDest)
}

// DeleteAlertRule deletes a rule (store.AlertStore).
func (c *Core) DeleteAlertRule(ctx context.Context, p *store.DeleteAlertRuleParams) error {
	const op = "DeleteAlertRule"
	if err := c.check(op); err != nil {
		return err
	}
	if err := driver.ValidateDeleteAlertRule(p); err != nil {
		return err
	}
	return c.deleteOne(ctx, op, "DELETE FROM {alert_rules} WHERE id = ?", p.ID, "alert rule "+strconv.Quote(p.ID))
}

// deleteOne runs a one-row DELETE, returning ErrNotFound (naming what)
// when it deleted nothing.
func (c *Core) deleteOne(ctx context.Context, op, query string, key any, what string) error {
	var n int64
	err := c.inTx(ctx, &writeOp{op: op, stage: store.StageAlerts}, func(tx Tx) error {
		var err error
		n, err = tx.Exec(ctx, c.sql(query), key)
		return err
	})
	if err != nil {
		return err
	}
	if n == 0 {
		return c.notFound(op, what)
	}
	return nil
}

// ---------------------------------------------------------------------------
// Alerts

// ApplyAlerts writes one batch of alert changes in one transaction
// (store.AlertStore), under the alert lock: deletes first, then the
// updates (each alert's row locked while its ExpectState is checked) and
// the inserts in order, each checked against the alerts that are not
// resolved, then the transitions and the notifications.
func (c *Core) ApplyAlerts(ctx context.Context, p *store.ApplyAlertsParams) (*store.ApplyAlertsResult, error) {
	const op = "ApplyAlerts"
	if err := c.check(op); err != nil {
		return nil, err
	}
	prep, err := driver.PrepareApplyAlerts(p, c.now())
	if err != nil {
		return nil, err
	}
	var res *store.ApplyAlertsResult
	err = c.inTx(ctx, &writeOp{op: op, stage: store.StageAlerts}, func(tx Tx) error {
		var err error
		res, err = c.applyAlerts(ctx, tx, prep)
		return err
	})
	if err != nil {
		return nil, asConflict(err)
	}
	return res, nil
}

func (c *Core) applyAlerts(ctx context.Context, tx Tx, prep *driver.PreparedAlerts) (*store.ApplyAlertsResult, error) {
	if err := c.d.Lock(ctx, tx, alertLockKey); err != nil {
		return nil, err
	}
	for _, id := range prep.Delete {
		if _, err := tx.Exec(ctx, c.sql("DELETE FROM {alert_transitions} WHERE alert_id = ?"), id); err != nil {
			return nil, err
		}
		if _, err := tx.Exec(ctx, c.sql("DELETE FROM {alerts} WHERE id = ?"), id); err != nil {
			return nil, err
		}
	}
	res := &store.ApplyAlertsResult{Alerts: make([]inventory.Alert, len(prep.Alerts))}
	lockState := c.sql("SELECT state FROM {alerts} WHERE id = ?" + c.d.ForUpdate(false))
	update := c.sql("UPDATE {alerts} SET " + strings.Join(alertCols, " = ?, ") + " = ? WHERE id = ?")
	for i, u := range prep.Alerts {
		if u.Alert.ID == 0 {
			continue
		}
		f := "Alerts[" + strconv.Itoa(i) + "]"
		var state inventory.AlertState
		found, err := txRow(ctx, tx, lockState, []any{u.Alert.ID}, &state)
		switch {
		case err != nil:
			return nil, err
		case !found:
			return nil, driver.AlertMissing(f+".Alert.ID", u.Alert.ID)
		case u.ExpectState != "" && u.ExpectState != state:
			return nil, driver.AlertStateConflict(f, u.Alert.ID, u.ExpectState, state)
		}
		if err := c.checkAlertKey(ctx, tx, f, &u.Alert); err != nil {
			return nil, err
		}
		if _, err := tx.Exec(ctx, update, append(c.alertArgs(&u.Alert), u.Alert.ID)...); err != nil {
			return nil, c.keyViolation(err, f, &u.Alert)
		}
		res.Alerts[i] = u.Alert
	}
	for i, u := range prep.Alerts {
		if u.Alert.ID != 0 {
			continue
		}
		f := "Alerts[" + strconv.Itoa(i) + "]"
		if err := c.checkAlertKey(ctx, tx, f, &u.Alert); err != nil {
			return nil, err
		}
		id, err := c.insertReturningID(ctx, tx, TableAlerts, alertCols, c.alertArgs(&u.Alert))
		if err != nil {
			return nil, c.keyViolation(err, f, &u.Alert)
		}
		u.Alert.ID = id
		res.Alerts[i] = u.Alert
	}
	exists := c.sql("SELECT 1 FROM {alerts} WHERE id = ?")
	checked := map[int64]bool{}
	for _, a := range res.Alerts {
		checked[a.ID] = true
	}
	for i, r := range prep.Transitions {
		t := r.Transition
		if t.AlertID == 0 {
			t.AlertID = res.Alerts[r.AlertIndex].ID
		} else if !checked[t.AlertID] {
			var one int
			found, err := txRow(ctx, tx, exists, []any{t.AlertID}, &one)
			if err != nil {
				return nil, err
			}
			if !found {
				return nil, driver.AlertMissing("Transitions["+strconv.Itoa(i)+"].Transition.AlertID", t.AlertID)
			}
			checked[t.AlertID] = true
		}
		if _, err := tx.Exec(ctx, c.insertSQL(TableAlertTransitions, transitionCols, "", 1),
			t.AlertID, string(t.From), string(t.To), c.time(t.At), t.By, t.Comment, t.Summary); err != nil {
			return nil, err
		}
	}
	for _, r := range prep.Notifications {
		n := r.Notification
		if r.AlertIndex >= 0 {
			n.Alert = res.Alerts[r.AlertIndex]
		}
		id, err := c.insertNotification(ctx, tx, &n)
		if err != nil {
			return nil, err
		}
		res.NotificationIDs = append(res.NotificationIDs, id)
	}
	return res, nil
}

// checkAlertKey refuses a that is not resolved when another alert that is
// not resolved holds its key.
func (c *Core) checkAlertKey(ctx context.Context, tx Tx, field string, a *inventory.Alert) error {
	if a.State == inventory.AlertResolved {
		return nil
	}
	var other int64
	found, err := txRow(ctx, tx, c.sql("SELECT id FROM {alerts} WHERE rule_id = ? AND vcenter = ? AND entity_type = ? AND entity_id = ? AND state <> 'resolved' AND id <> ?"),
		[]any{a.RuleID, a.Vcenter, string(a.EntityType), a.EntityID, a.ID}, &other)
	if err != nil {
		return err
	}
	if found {
		return driver.AlertKeyConflict(field, a)
	}
	return nil
}

// keyViolation turns a unique-index violation of alerts into ApplyAlerts'
// *ConflictError.
func (c *Core) keyViolation(err error, field string, a *inventory.Alert) error {
	if c.d.UniqueViolation(err) {
		return driver.AlertKeyConflict(field, a)
	}
	return err
}

// GetAlert returns one alert (store.AlertStore).
func (c *Core) GetAlert(ctx context.Context, p *store.GetAlertParams) (*inventory.Alert, error) {
	const op = "GetAlert"
	if err := c.check(op); err != nil {
		return nil, err
	}
	if err := driver.ValidateGetAlert(p); err != nil {
		return nil, err
	}
	q := c.db.NewSelect().ColumnExpr(alertSelectCols).TableExpr(c.sql("{alerts}")).Where("id = ?", p.ID)
	out, err := queryRows(ctx, c, op, q, alertDest)
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, c.notFound(op, "alert "+strconv.FormatInt(p.ID, 10))
	}
	return &out[0], nil
}

// whereVcenters restricts q to a scope: nil means every vCenter, an empty
// slice none.
func whereVcenters(q *bun.SelectQuery, vcs []string) *bun.SelectQuery {
	switch {
	case vcs == nil:
		return q
	case len(vcs) == 0:
		return q.Where("1 = 0")
	}
	return q.Where("vcenter IN (?)", bun.List(vcs))
}

func stringsOf[T ~string](vals []T) []string {
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i] = string(v)
	}
	return out
}

// ListAlerts returns alerts newest first (store.AlertStore).
func (c *Core) ListAlerts(ctx context.Context, p *store.ListAlertsParams) (*store.AlertPage, error) {
	const op = "ListAlerts"
	if err := c.check(op); err != nil {
		return nil, err
	}
	if p == nil {
		p = &store.ListAlertsParams{}
	}
	before, limit, err := driver.PrepareListAlerts(p)
	if err != nil {
		return nil, err
	}
	q := c.db.NewSelect().ColumnExpr(alertSelectCols).TableExpr(c.sql("{alerts}"))
	if before > 0 {
		q = q.Where("id < ?", before)
	}
	if len(p.States) > 0 {
		q = q.Where("state IN (?)", bun.List(stringsOf(p.States)))
	}
	if len(p.Severities) > 0 {
		q = q.Where("severity IN (?)", bun.List(stringsOf(p.Severities)))
	}
	for _, f := range []struct{ col, v string }{{"rule_id", p.RuleID}, {"vcenter", p.Vcenter},
		{"entity_type", string(p.EntityType)}, {"entity_id", p.EntityID}} {
		if f.v != "" {
			q = q.Where(f.col+" = ?", f.v)
		}
	}
	q = whereVcenters(q, p.Vcenters).OrderExpr("id DESC").Limit(int64(limit + 1))
	out, err := queryRows(ctx, c, op, q, alertDest)
	if err != nil {
		return nil, err
	}
	page := &store.AlertPage{Alerts: out}
	if len(out) > limit {
		page.Alerts = out[:limit]
		page.NextCursor = driver.NextIDCursor(len(out), limit, out[limit-1].ID)
	}
	return page, nil
}

// CountAlerts counts the alerts that are not resolved by state and
// severity (store.AlertStore), ordered as driver.SortAlertCounts.
func (c *Core) CountAlerts(ctx context.Context, p *store.CountAlertsParams) ([]store.AlertCount, error) {
	const op = "CountAlerts"
	if err := c.check(op); err != nil {
		return nil, err
	}
	if p == nil {
		p = &store.CountAlertsParams{}
	}
	if err := driver.ValidateCountAlerts(p); err != nil {
		return nil, err
	}
	q := c.db.NewSelect().ColumnExpr("state, severity, COUNT(*)").TableExpr(c.sql("{alerts}")).Where("state <> 'resolved'")
	q = whereVcenters(q, p.Vcenters).GroupExpr("state, severity")
	out, err := queryRows(ctx, c, op, q, func(a *store.AlertCount) []any { return []any{&a.State, &a.Severity, &a.Count} })
	if err != nil {
		return nil, err
	}
	driver.SortAlertCounts(out)
	return out, nil
}

// ListAlertHistory returns transitions oldest first (store.AlertStore).
func (c *Core) ListAlertHistory(ctx context.Context, p *store.ListAlertHistoryParams) (*store.AlertHistoryPage, error) {
	const op = "ListAlertHistory"
	if err := c.check(op); err != nil {
		return nil, err
	}
	if p == nil {
		p = &store.ListAlertHistoryParams{}
	}
	after, since, limit, err := driver.PrepareListAlertHistory(p)
	if err != nil {
		return nil, err
	}
	q := c.db.NewSelect().ColumnExpr("id, " + list(transitionCols)).TableExpr(c.sql("{alert_transitions}"))
	if after > 0 {
		q = q.Where("id > ?", after)
	}
	if p.AlertID != 0 {
		q = q.Where("alert_id = ?", p.AlertID)
	}
	q = c.inRange(q, "at", since, time.Time{}).OrderExpr("id").Limit(int64(limit + 1))
	out, err := queryRows(ctx, c, op, q, transitionDest)
	if err != nil {
		return nil, err
	}
	page := &store.AlertHistoryPage{Transitions: out}
	if len(out) > limit {
		page.Transitions = out[:limit]
		page.NextCursor = driver.NextIDCursor(len(out), limit, out[limit-1].ID)
	}
	return page, nil
}

// ---------------------------------------------------------------------------
// Silences

// CreateSilence stores a silence (store.AlertStore).
func (c *Core) CreateSilence(ctx context.Context, p *store.CreateSilenceParams) (*inventory.Silence, error) {
	const op = "CreateSilence"
	if err := c.check(op); err != nil {
		return nil, err
	}
	s, err := driver.PrepareSilence(p, c.now())
	if err != nil {
		return nil, err
	}
	err = c.inTx(ctx, &writeOp{op: op, stage: store.StageAlerts}, func(tx Tx) error {
		var err error
		s.ID, err = c.insertReturningID(ctx, tx, TableAlertSilences, silenceCols, []any{s.RuleID, s.Vcenter, string(s.EntityType),
			s.EntityID, c.time(s.Until), s.Comment, s.CreatedBy, c.time(s.CreatedAt)})
		return err
	})
	if err != nil {
		return nil, err
	}
	return &s, nil
}

// ListSilences returns silences ordered by ID (store.AlertStore).
func (c *Core) ListSilences(ctx context.Context, p *store.ListSilencesParams) ([]inventory.Silence, error) {
	const op = "ListSilences"
	if err := c.check(op); err != nil {
		return nil, err
	}
	if p == nil {
		p = &store.ListSilencesParams{}
	}
	q := c.db.NewSelect().ColumnExpr("id, " + list(silenceCols)).TableExpr(c.sql("{alert_silences}"))
	if !p.ActiveAt.IsZero() {
		// Until > ActiveAt: stored times are whole microseconds, so
		// Until >= the next one after ActiveAt.
		q = q.Where("ends_at >= ?", c.d.Time(driver.NormTime(p.ActiveAt).Add(driver.Precision)))
	}
	return queryRows(ctx, c, op, q.OrderExpr("id"), silenceDest)
}

// DeleteSilence deletes a silence (store.AlertStore).
func (c *Core) DeleteSilence(ctx context.Context, p *store.DeleteSilenceParams) error {
	const op = "DeleteSilence"
	if err := c.check(op); err != nil {
		return err
	}
	if err := driver.ValidateDeleteSilence(p); err != nil {
		return err
	}
	return c.deleteOne(ctx, op, "DELETE FROM {alert_silences} WHERE id = ?", p.ID, "silence "+strconv.FormatInt(p.ID, 10))
}

// ---------------------------------------------------------------------------
// Channels

// PutAlertChannel inserts or replaces a channel (store.AlertChannels).
func (c *Core) PutAlertChannel(ctx context.Context, p *store.PutAlertChannelParams) (*inventory.AlertChannel, error) {
	const op = "PutAlertChannel"
	if err := c.check(op); err != nil {
		return nil, err
	}
	ch, err := driver.PrepareAlertChannel(p, c.now())
	if err != nil {
		return nil, err
	}
	keep := p.KeepSecret && p.Channel.Secret == nil
	err = c.inTx(ctx, &writeOp{op: op, stage: store.StageAlerts}, func(tx Tx) error {
		if keep {
			var secret []byte
			if _, err := txRow(ctx, tx, c.sql("SELECT secret FROM {alert_channels} WHERE name = ?"+c.d.ForUpdate(false)),
				[]any{ch.Name}, bytesDest{&secret}); err != nil {
				return err
			}
			ch.Secret, ch.HasSecret = secret, secret != nil
		}
		_, err := tx.Exec(ctx, c.insertSQL(TableAlertChannels, channelCols, Upsert(channelCols, "name"), 1), c.channelArgs(&ch)...)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &ch, nil
}

// GetAlertChannel returns one channel with its secret
// (store.AlertChannels).
func (c *Core) GetAlertChannel(ctx context.Context, p *store.GetAlertChannelParams) (*inventory.AlertChannel, error) {
	const op = "GetAlertChannel"
	if err := c.check(op); err != nil {
		return nil, err
	}
	if p == nil {
		p = &store.GetAlertChannelParams{}
	}
	if err := driver.ValidateChannelName(op, p.Name); err != nil {
		return nil, err
	}
	out, err := c.listChannels(ctx, op, p.Name)
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, c.notFound(op, "alert channel "+strconv.Quote(p.Name))
	}
	return &out[0], nil
}

func (c *Core) listChannels(ctx context.Context, op, name string) ([]inventory.AlertChannel, error) {
	q := c.db.NewSelect().ColumnExpr(list(channelCols)).TableExpr(c.sql("{alert_channels}"))
	if name != "" {
		q = q.Where("name = ?", name)
	}
	out, err := queryRows(ctx, c, op, q.OrderExpr("name"), channelDest)
	for i := range out {
		out[i].HasSecret = out[i].Secret != nil
	}
	return out, err
}

// ListAlertChannels returns the channels ordered by name
// (store.AlertChannels).
func (c *Core) ListAlertChannels(ctx context.Context, p *store.ListAlertChannelsParams) ([]inventory.AlertChannel, error) {
	const op = "ListAlertChannels"
	if err := c.check(op); err != nil {
		return nil, err
	}
	return c.listChannels(ctx, op, "")
}

// DeleteAlertChannel deletes a channel and marks its pending notifications
// failed (store.AlertChannels).
func (c *Core) DeleteAlertChannel(ctx context.Context, p *store.DeleteAlertChannelParams) error {
	const op = "DeleteAlertChannel"
	if err := c.check(op); err != nil {
		return err
	}
	if p == nil {
		p = &store.DeleteAlertChannelParams{}
	}
	if err := driver.ValidateChannelName(op, p.Name); err != nil {
		return err
	}
	var n int64
	err := c.inTx(ctx, &writeOp{op: op, stage: store.StageAlerts}, func(tx Tx) error {
		var err error
		if n, err = tx.Exec(ctx, c.sql("DELETE FROM {alert_channels} WHERE name = ?"), p.Name); err != nil || n == 0 {
			return err
		}
		_, err = tx.Exec(ctx, c.sql("UPDATE {notifications} SET state = 'failed', last_error = ?, lease_owner = '', lease_until = NULL WHERE channel = ? AND state = 'pending'"),
			driver.ChannelDeletedError, p.Name)
		return err
	})
	if err != nil {
		return err
	}
	if n == 0 {
		return c.notFound(op, "alert channel "+strconv.Quote(p.Name))
	}
	return nil
}

// ---------------------------------------------------------------------------
// Notification queue

func (c *Core) insertNotification(ctx context.Context, tx Tx, n *inventory.Notification) (int64, error) {
	args, err := c.notificationArgs(n)
	if err != nil {
		return 0, err
	}
	return c.insertReturningID(ctx, tx, TableNotifications, notificationCols, args)
}

// EnqueueNotifications queues notifications (store.NotificationQueue).
func (c *Core) EnqueueNotifications(ctx context.Context, p *store.EnqueueNotificationsParams) ([]int64, error) {
	const op = "EnqueueNotifications"
	if err := c.check(op); err != nil {
		return nil, err
	}
	ns, err := driver.PrepareEnqueue(p, c.now())
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(ns))
	err = c.inTx(ctx, &writeOp{op: op, stage: store.StageNotifications}, func(tx Tx) error {
		for i := range ns {
			var err error
			if ids[i], err = c.insertNotification(ctx, tx, &ns[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return ids, nil
}

// ClaimNotifications leases due notifications to p.Owner
// (store.NotificationQueue). On PostgreSQL the rows are picked FOR UPDATE
// SKIP LOCKED, so concurrent claimers never take the same row.
func (c *Core) ClaimNotifications(ctx context.Context, p *store.ClaimNotificationsParams) ([]inventory.Notification, error) {
	const op = "ClaimNotifications"
	if err := c.check(op); err != nil {
		return nil, err
	}
	now, until, limit, err := driver.PrepareClaim(p)
	if err != nil {
		return nil, err
	}
	pick := "SELECT id FROM {notifications} WHERE state = 'pending' AND next_attempt <= ? AND (lease_until IS NULL OR lease_until <= ?)"
	args := []any{p.Owner, c.d.Time(until), c.d.Time(now), c.d.Time(now)}
	if p.Channel != "" {
		pick += " AND channel = ?"
		args = append(args, p.Channel)
	}
	pick += " ORDER BY id LIMIT " + strconv.Itoa(limit) + c.d.ForUpdate(true)
	q := c.sql("UPDATE {notifications} SET lease_owner = ?, lease_until = ? WHERE id IN (" + pick + ") RETURNING " + notificationSelectCols)
	var out []inventory.Notification
	err = c.inTx(ctx, &writeOp{op: op, stage: store.StageNotifications}, func(tx Tx) error {
		var err error
		out, err = txRows(ctx, tx, q, args, notificationDest)
		return err
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b inventory.Notification) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// FinishNotifications records delivery attempts of the notifications
// p.Owner holds (store.NotificationQueue).
func (c *Core) FinishNotifications(ctx context.Context, p *store.FinishNotificationsParams) error {
	const op = "FinishNotifications"
	if err := c.check(op); err != nil {
		return err
	}
	results, err := driver.PrepareFinish(p)
	if err != nil {
		return err
	}
	return c.inTx(ctx, &writeOp{op: op, stage: store.StageNotifications}, func(tx Tx) error {
		for i := range results {
			r := &results[i]
			var n inventory.Notification
			found, err := txRow(ctx, tx, c.sql("SELECT next_attempt, attempts, last_error FROM {notifications} WHERE id = ? AND lease_owner = ? AND state = 'pending'"+c.d.ForUpdate(false)),
				[]any{r.ID, p.Owner}, timeDest{&n.NextAttempt}, &n.Attempts, &n.LastError)
			if err != nil {
				return err
			}
			if !found {
				continue
			}
			n.State = inventory.NotificationPending
			driver.FinishOne(&n, r)
			if _, err := tx.Exec(ctx, c.sql("UPDATE {notifications} SET state = ?, next_attempt = ?, attempts = ?, last_error = ?, delivered_at = ?, lease_owner = '', lease_until = NULL WHERE id = ?"),
				string(n.State), c.time(n.NextAttempt), n.Attempts, n.LastError, c.time(n.DeliveredAt), r.ID); err != nil {
				return err
			}
		}
		return nil
	})
}

// ListNotifications returns notifications newest first
// (store.NotificationQueue).
func (c *Core) ListNotifications(ctx context.Context, p *store.ListNotificationsParams) (*store.NotificationPage, error) {
	const op = "ListNotifications"
	if err := c.check(op); err != nil {
		return nil, err
	}
	if p == nil {
		p = &store.ListNotificationsParams{}
	}
	before, limit, err := driver.PrepareListNotifications(p)
	if err != nil {
		return nil, err
	}
	q := c.db.NewSelect().ColumnExpr(notificationSelectCols).TableExpr(c.sql("{notifications}"))
	if before > 0 {
		q = q.Where("id < ?", before)
	}
	if p.Channel != "" {
		q = q.Where("channel = ?", p.Channel)
	}
	if len(p.States) > 0 {
		q = q.Where("state IN (?)", bun.List(stringsOf(p.States)))
	}
	if p.AlertID != 0 {
		q = q.Where("alert_id = ?", p.AlertID)
	}
	out, err := queryRows(ctx, c, op, q.OrderExpr("id DESC").Limit(int64(limit+1)), notificationDest)
	if err != nil {
		return nil, err
	}
	page := &store.NotificationPage{Notifications: out}
	if len(out) > limit {
		page.Notifications = out[:limit]
		page.NextCursor = driver.NextIDCursor(len(out), limit, out[limit-1].ID)
	}
	return page, nil
}

// PruneNotifications deletes delivered and failed notifications created
// before p.Before (store.NotificationQueue).
func (c *Core) PruneNotifications(ctx context.Context, p *store.PruneNotificationsParams) (*store.PruneNotificationsResult, error) {
	const op = "PruneNotifications"
	if err := c.check(op); err != nil {
		return nil, err
	}
	if err := driver.ValidatePruneNotifications(p); err != nil {
		return nil, err
	}
	res := &store.PruneNotificationsResult{}
	err := c.inTx(ctx, &writeOp{op: op, stage: store.StageNotifications}, func(tx Tx) error {
		var err error
		res.Deleted, err = tx.Exec(ctx, c.sql("DELETE FROM {notifications} WHERE state <> 'pending' AND created_at < ?"), c.bound(p.Before))
		return err
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}
