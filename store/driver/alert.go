package driver

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

// This file is the backend authors' kit for store.AlertStore,
// store.AlertChannels and store.NotificationQueue: validation (every
// violation an *InvalidParamsError naming the field), the stored forms of
// the values (copies, times at Precision) and the conflict errors, so
// memstore and the SQL backends share one copy.

// alertEntityTypes are the entity types an alert or a silence may name.
var alertEntityTypes = []inventory.EntityType{
	inventory.EntityVM, inventory.EntityHost, inventory.EntityCluster, inventory.EntityDatastore,
	inventory.EntityNetwork, inventory.EntityResourcePool, inventory.EntityEndpoint,
}

// alertStates are the alert states in lifecycle order.
var alertStates = []inventory.AlertState{inventory.AlertPending, inventory.AlertOpen, inventory.AlertAcknowledged, inventory.AlertResolved}

// channelKinds are the notification channel kinds.
var channelKinds = []string{inventory.ChannelWebhook, inventory.ChannelSlack, inventory.ChannelTeams, inventory.ChannelEmail}

// notifyEvents are the notification events.
var notifyEvents = []string{inventory.NotifyOpened, inventory.NotifyAcknowledged, inventory.NotifyResolved, inventory.NotifyTest}

// notificationStates are the notification states.
var notificationStates = []inventory.NotificationState{inventory.NotificationPending, inventory.NotificationDelivered, inventory.NotificationFailed}

// stringFields checks named strings in order.
func stringFields(op string, fields ...string) error {
	for i := 0; i+1 < len(fields); i += 2 {
		if err := CheckStrings(op, fields[i], fields[i+1]); err != nil {
			return err
		}
	}
	return nil
}

func checkList(op, field string, vals []string) error {
	for i, v := range vals {
		if err := CheckStrings(op, indexed(field, i), v); err != nil {
			return err
		}
	}
	return nil
}

func cloneList(vals []string) []string {
	if len(vals) == 0 {
		return nil
	}
	return slices.Clone(vals)
}

// ---------------------------------------------------------------------------
// Rules

// PrepareAlertRule checks PutAlertRuleParams (an ID, a known Kind and
// Severity, storable strings, finite thresholds) and returns the rule to
// store: a deep copy with empty lists nil and UpdatedAt = now at
// Precision.
func PrepareAlertRule(p *store.PutAlertRuleParams, now time.Time) (inventory.AlertRule, error) {
	const op = "PutAlertRule"
	if p == nil {
		return inventory.AlertRule{}, Invalid(op, "params", "must not be nil")
	}
	r := p.Rule
	switch {
	case r.ID == "":
		return r, Invalid(op, "Rule.ID", "must not be empty")
	case !slices.Contains(inventory.AlertRuleKinds(), r.Kind):
		return r, Invalid(op, "Rule.Kind", fmt.Sprintf("unknown kind %q", r.Kind))
	case !slices.Contains(inventory.AlertSeverities(), r.Severity):
		return r, Invalid(op, "Rule.Severity", fmt.Sprintf("unknown severity %q", r.Severity))
	}
	if err := stringFields(op, "Rule.ID", r.ID, "Rule.Name", r.Name, "Rule.Origin", r.Origin,
		"Rule.Scope.Attribute", r.Scope.Attribute, "Rule.Scope.Name", r.Scope.Name); err != nil {
		return r, err
	}
	for _, l := range []struct {
		name string
		vals []string
	}{{"Rule.Scope.Vcenters", r.Scope.Vcenters}, {"Rule.Scope.Datacenters", r.Scope.Datacenters},
		{"Rule.Scope.Clusters", r.Scope.Clusters}, {"Rule.Channels", r.Channels}} {
		if err := checkList(op, l.name, l.vals); err != nil {
			return r, err
		}
	}
	if err := CheckFloats(op, "Rule.Threshold", r.Threshold); err != nil {
		return r, err
	}
	if err := CheckFloats(op, "Rule.Clear", r.Clear); err != nil {
		return r, err
	}
	r.Scope = CloneAlertScope(r.Scope)
	r.Channels = cloneList(r.Channels)
	r.UpdatedAt = NormTime(now)
	return r, nil
}

// CloneAlertScope deep-copies a scope, empty lists nil.
func CloneAlertScope(s inventory.AlertScope) inventory.AlertScope {
	s.Vcenters, s.Datacenters, s.Clusters = cloneList(s.Vcenters), cloneList(s.Datacenters), cloneList(s.Clusters)
	return s
}

// CloneAlertRule deep-copies a rule.
func CloneAlertRule(r inventory.AlertRule) inventory.AlertRule {
	r.Scope = CloneAlertScope(r.Scope)
	r.Channels = cloneList(r.Channels)
	return r
}

// ValidateDeleteAlertRule checks DeleteAlertRuleParams.
func ValidateDeleteAlertRule(p *store.DeleteAlertRuleParams) error {
	if p == nil || p.ID == "" {
		return Invalid("DeleteAlertRule", "ID", "must not be empty")
	}
	return CheckStrings("DeleteAlertRule", "ID", p.ID)
}

// ---------------------------------------------------------------------------
// Alerts

// NormAlert returns a with its times at Precision.
func NormAlert(a inventory.Alert) inventory.Alert {
	a.SeenAt, a.OpenedAt, a.UpdatedAt = NormTime(a.SeenAt), NormTime(a.OpenedAt), NormTime(a.UpdatedAt)
	a.AckedAt, a.ResolvedAt = NormTime(a.AckedAt), NormTime(a.ResolvedAt)
	return a
}

// ValidateAlert checks an alert to store: a RuleID, EntityID, known Kind,
// Severity, State and EntityType, storable strings, a finite Value and
// Flaps not negative.
func ValidateAlert(op, field string, a *inventory.Alert) error {
	switch {
	case a.ID < 0:
		return Invalid(op, field+".ID", "must not be negative")
	case a.RuleID == "":
		return Invalid(op, field+".RuleID", "must not be empty")
	case !slices.Contains(inventory.AlertRuleKinds(), a.Kind):
		return Invalid(op, field+".Kind", fmt.Sprintf("unknown kind %q", a.Kind))
	case !slices.Contains(inventory.AlertSeverities(), a.Severity):
		return Invalid(op, field+".Severity", fmt.Sprintf("unknown severity %q", a.Severity))
	case !slices.Contains(alertStates, a.State):
		return Invalid(op, field+".State", fmt.Sprintf("unknown state %q", a.State))
	case !slices.Contains(alertEntityTypes, a.EntityType):
		return Invalid(op, field+".EntityType", fmt.Sprintf("unknown entity type %q", a.EntityType))
	case a.EntityID == "":
		return Invalid(op, field+".EntityID", "must not be empty")
	case a.Flaps < 0:
		return Invalid(op, field+".Flaps", "must not be negative")
	}
	if err := CheckFloats(op, field+".Value", a.Value); err != nil {
		return err
	}
	return alertStrings(op, field, a)
}

func alertStrings(op, field string, a *inventory.Alert) error {
	return stringFields(op, field+".RuleID", a.RuleID, field+".Vcenter", a.Vcenter, field+".EntityID", a.EntityID,
		field+".EntityName", a.EntityName, field+".Summary", a.Summary, field+".AckedBy", a.AckedBy,
		field+".AckComment", a.AckComment, field+".ResolvedBy", a.ResolvedBy)
}

// PreparedAlerts is ApplyAlertsParams checked and normalised.
type PreparedAlerts struct {
	// Alerts are the alerts in p.Alerts order (times at Precision).
	Alerts []store.AlertUpdate
	// Transitions are the transitions (ID zero, times at Precision); one
	// whose Transition.AlertID is 0 belongs to Alerts[AlertIndex].
	Transitions []store.AlertTransitionRef
	// Delete are the IDs to delete, sorted, without duplicates.
	Delete []int64
	// Notifications are the notifications to queue (State pending,
	// attempts reset, times at Precision); those with AlertIndex >= 0
	// take the stored Alerts[AlertIndex].
	Notifications []store.NotificationRef
}

// PrepareApplyAlerts checks ApplyAlertsParams against the rules documented
// on store.AlertStore.ApplyAlerts: every alert valid (ValidateAlert), an
// update's ExpectState known (and none on a new alert), no ID twice, none
// both updated and deleted;
// every transition to a known state (From empty or known) with At set and
// its AlertIndex in range when its AlertID is 0; Delete IDs positive;
// every notification valid (ValidateNotification) with AlertIndex -1 or in
// range. CreatedAt and NextAttempt of the notifications default to now.
func PrepareApplyAlerts(p *store.ApplyAlertsParams, now time.Time) (*PreparedAlerts, error) {
	const op = "ApplyAlerts"
	if p == nil {
		return nil, Invalid(op, "params", "must not be nil")
	}
	out := &PreparedAlerts{Alerts: make([]store.AlertUpdate, len(p.Alerts))}
	ids := map[int64]bool{}
	for i, u := range p.Alerts {
		f := indexed("Alerts", i)
		if err := ValidateAlert(op, f+".Alert", &u.Alert); err != nil {
			return nil, err
		}
		if u.ExpectState != "" && !slices.Contains(alertStates, u.ExpectState) {
			return nil, Invalid(op, f+".ExpectState", fmt.Sprintf("unknown state %q", u.ExpectState))
		}
		if u.ExpectState != "" && u.Alert.ID == 0 {
			return nil, Invalid(op, f+".ExpectState", "must be empty for a new alert")
		}
		if id := u.Alert.ID; id > 0 {
			if ids[id] {
				return nil, Invalid(op, f+".Alert.ID", fmt.Sprintf("alert %d is updated twice", id))
			}
			ids[id] = true
		}
		u.Alert = NormAlert(u.Alert)
		out.Alerts[i] = u
	}
	for i, id := range p.Delete {
		if id <= 0 {
			return nil, Invalid(op, indexed("Delete", i), "must be a positive alert ID")
		}
		if ids[id] {
			return nil, Invalid(op, indexed("Delete", i), fmt.Sprintf("alert %d is both updated and deleted", id))
		}
	}
	out.Delete = slices.Compact(slices.Sorted(slices.Values(p.Delete)))
	out.Transitions = make([]store.AlertTransitionRef, len(p.Transitions))
	for i, r := range p.Transitions {
		f := indexed("Transitions", i)
		t := &r.Transition
		switch {
		case t.AlertID < 0:
			return nil, Invalid(op, f+".Transition.AlertID", "must not be negative")
		case t.AlertID == 0 && (r.AlertIndex < 0 || r.AlertIndex >= len(p.Alerts)):
			return nil, Invalid(op, f+".AlertIndex", fmt.Sprintf("is %d, want an index of Alerts (0 to %d)", r.AlertIndex, len(p.Alerts)-1))
		case t.From != "" && !slices.Contains(alertStates, t.From):
			return nil, Invalid(op, f+".Transition.From", fmt.Sprintf("unknown state %q", t.From))
		case !slices.Contains(alertStates, t.To):
			return nil, Invalid(op, f+".Transition.To", fmt.Sprintf("unknown state %q", t.To))
		case t.At.IsZero():
			return nil, Invalid(op, f+".Transition.At", "must be set")
		}
		if err := stringFields(op, f+".Transition.By", t.By, f+".Transition.Comment", t.Comment, f+".Transition.Summary", t.Summary); err != nil {
			return nil, err
		}
		t.ID, t.At = 0, NormTime(t.At)
		out.Transitions[i] = r
	}
	out.Notifications = make([]store.NotificationRef, len(p.Notifications))
	for i, r := range p.Notifications {
		f := indexed("Notifications", i)
		if r.AlertIndex < -1 || r.AlertIndex >= len(p.Alerts) {
			return nil, Invalid(op, f+".AlertIndex", fmt.Sprintf("is %d, want -1 or an index of Alerts (0 to %d)", r.AlertIndex, len(p.Alerts)-1))
		}
		n, err := prepareNotification(op, f+".Notification", &r.Notification, now)
		if err != nil {
			return nil, err
		}
		r.Notification = n
		out.Notifications[i] = r
	}
	return out, nil
}

// AlertKeyConflict is ApplyAlerts' error for a second alert that is not
// resolved for the same (RuleID, Vcenter, EntityType, EntityID); field
// names it ("Alerts[2]").
func AlertKeyConflict(field string, a *inventory.Alert) error {
	return &store.ConflictError{Op: "ApplyAlerts", Field: field, Reason: fmt.Sprintf(
		"rule %q already has an alert that is not resolved about %s %q of %q", a.RuleID, a.EntityType, a.EntityID, a.Vcenter)}
}

// AlertStateConflict is ApplyAlerts' error for an update whose ExpectState
// is not the stored state; field names the update ("Alerts[0]").
func AlertStateConflict(field string, id int64, want, stored inventory.AlertState) error {
	return &store.ConflictError{Op: "ApplyAlerts", Field: field + ".ExpectState", Reason: fmt.Sprintf(
		"alert %d is %s, not %s", id, stored, want)}
}

// AlertMissing is ApplyAlerts' error for an update or a transition naming
// an alert that does not exist (deleted meanwhile): a *ConflictError.
func AlertMissing(field string, id int64) error {
	return &store.ConflictError{Op: "ApplyAlerts", Field: field, Reason: fmt.Sprintf("alert %d does not exist", id)}
}

// AlertKey is the key at most one alert that is not resolved holds.
type AlertKey struct {
	RuleID, Vcenter, EntityID string
	EntityType                inventory.EntityType
}

// KeyOf returns an alert's key.
func KeyOf(a *inventory.Alert) AlertKey {
	return AlertKey{RuleID: a.RuleID, Vcenter: a.Vcenter, EntityType: a.EntityType, EntityID: a.EntityID}
}

// ValidateGetAlert checks GetAlertParams.
func ValidateGetAlert(p *store.GetAlertParams) error {
	if p == nil || p.ID <= 0 {
		return Invalid("GetAlert", "ID", "must be a positive alert ID")
	}
	return nil
}

// AlertsPageSize is p.Limit with the default and maximum documented on
// store.ListAlertsParams applied.
func AlertsPageSize(p *store.ListAlertsParams) int { return LimitOr(p.Limit, 100, 1000) }

// AlertHistoryPageSize is p.Limit with the default and maximum documented
// on store.ListAlertHistoryParams applied.
func AlertHistoryPageSize(p *store.ListAlertHistoryParams) int { return LimitOr(p.Limit, 100, 1000) }

// NotificationsPageSize is p.Limit with the default and maximum
// documented on store.ListNotificationsParams applied.
func NotificationsPageSize(p *store.ListNotificationsParams) int { return LimitOr(p.Limit, 100, 1000) }

// ClaimSize is p.Limit with the default and maximum documented on
// store.ClaimNotificationsParams applied.
func ClaimSize(p *store.ClaimNotificationsParams) int { return LimitOr(p.Limit, 100, 1000) }

// IDCursor decodes the cursor of an ID-ordered list: the ID the next page
// starts after (below it for a newest-first list), or 0 for the first page.
func IDCursor(op, cursor string) (int64, error) {
	parts, err := DecodeCursor(op, cursor, 1)
	if err != nil || parts == nil {
		return 0, err
	}
	id, err := strconv.ParseInt(parts[0], 10, 64)
	if err != nil || id <= 0 {
		return 0, Invalid(op, "Cursor", "is not a cursor returned by this method")
	}
	return id, nil
}

// NextIDCursor returns the cursor after the row with ID id when more
// rows follow (got > limit), or "".
func NextIDCursor(got, limit int, id int64) string {
	if got <= limit {
		return ""
	}
	return EncodeCursor(strconv.FormatInt(id, 10))
}

// PrepareListAlerts checks ListAlertsParams and returns the cursor's ID
// (0 for the first page) and the page size.
func PrepareListAlerts(p *store.ListAlertsParams) (afterID int64, limit int, err error) {
	const op = "ListAlerts"
	for i, s := range p.States {
		if !slices.Contains(alertStates, s) {
			return 0, 0, Invalid(op, indexed("States", i), fmt.Sprintf("unknown state %q", s))
		}
	}
	for i, s := range p.Severities {
		if !slices.Contains(inventory.AlertSeverities(), s) {
			return 0, 0, Invalid(op, indexed("Severities", i), fmt.Sprintf("unknown severity %q", s))
		}
	}
	if p.EntityType != "" && !slices.Contains(alertEntityTypes, p.EntityType) {
		return 0, 0, Invalid(op, "EntityType", fmt.Sprintf("unknown entity type %q", p.EntityType))
	}
	if err := stringFields(op, "RuleID", p.RuleID, "Vcenter", p.Vcenter, "EntityID", p.EntityID); err != nil {
		return 0, 0, err
	}
	if err := checkList(op, "Vcenters", p.Vcenters); err != nil {
		return 0, 0, err
	}
	id, err := IDCursor(op, p.Cursor)
	return id, AlertsPageSize(p), err
}

// MatchAlert reports whether a passes every filter of p (not the cursor).
func MatchAlert(a *inventory.Alert, p *store.ListAlertsParams) bool {
	return (len(p.States) == 0 || slices.Contains(p.States, a.State)) &&
		(len(p.Severities) == 0 || slices.Contains(p.Severities, a.Severity)) &&
		(p.RuleID == "" || a.RuleID == p.RuleID) && (p.Vcenter == "" || a.Vcenter == p.Vcenter) &&
		(p.EntityType == "" || a.EntityType == p.EntityType) && (p.EntityID == "" || a.EntityID == p.EntityID) &&
		(p.Vcenters == nil || slices.Contains(p.Vcenters, a.Vcenter))
}

// ValidateCountAlerts checks CountAlertsParams.
func ValidateCountAlerts(p *store.CountAlertsParams) error {
	return checkList("CountAlerts", "Vcenters", p.Vcenters)
}

// SortAlertCounts orders counts by state (lifecycle order) then severity
// (least severe first): the order CountAlerts returns.
func SortAlertCounts(c []store.AlertCount) {
	slices.SortFunc(c, func(a, b store.AlertCount) int {
		if d := slices.Index(alertStates, a.State) - slices.Index(alertStates, b.State); d != 0 {
			return d
		}
		return slices.Index(inventory.AlertSeverities(), a.Severity) - slices.Index(inventory.AlertSeverities(), b.Severity)
	})
}

// PrepareListAlertHistory checks ListAlertHistoryParams and returns the
// cursor's ID (0 for the first page), Since (as given: a stored At, a
// whole multiple of Precision, is at or after it exactly when it is at or
// after Since rounded up) and the page size.
func PrepareListAlertHistory(p *store.ListAlertHistoryParams) (afterID int64, since time.Time, limit int, err error) {
	const op = "ListAlertHistory"
	if p.AlertID < 0 {
		return 0, since, 0, Invalid(op, "AlertID", "must not be negative")
	}
	id, err := IDCursor(op, p.Cursor)
	return id, p.Since, AlertHistoryPageSize(p), err
}

// ---------------------------------------------------------------------------
// Silences

// PrepareSilence checks CreateSilenceParams (a rule or an entity named,
// Until after now, a known EntityType when set, storable strings) and
// returns the silence to store with CreatedAt = now, times at Precision.
func PrepareSilence(p *store.CreateSilenceParams, now time.Time) (inventory.Silence, error) {
	const op = "CreateSilence"
	if p == nil {
		return inventory.Silence{}, Invalid(op, "params", "must not be nil")
	}
	s := p.Silence
	s.ID, s.CreatedAt, s.Until = 0, NormTime(now), NormTime(s.Until)
	switch {
	case s.RuleID == "" && s.EntityID == "":
		return s, Invalid(op, "Silence.RuleID", "a silence must name a rule or an entity")
	case s.EntityType != "" && !slices.Contains(alertEntityTypes, s.EntityType):
		return s, Invalid(op, "Silence.EntityType", fmt.Sprintf("unknown entity type %q", s.EntityType))
	case !s.Until.After(s.CreatedAt):
		return s, Invalid(op, "Silence.Until", "must be in the future")
	}
	return s, stringFields(op, "Silence.RuleID", s.RuleID, "Silence.Vcenter", s.Vcenter, "Silence.EntityID", s.EntityID,
		"Silence.Comment", s.Comment, "Silence.CreatedBy", s.CreatedBy)
}

// ValidateDeleteSilence checks DeleteSilenceParams.
func ValidateDeleteSilence(p *store.DeleteSilenceParams) error {
	if p == nil || p.ID <= 0 {
		return Invalid("DeleteSilence", "ID", "must be a positive silence ID")
	}
	return nil
}

// ---------------------------------------------------------------------------
// Channels

// PrepareAlertChannel checks PutAlertChannelParams (a Name, a known Kind,
// MinSeverity empty or known, storable strings, SMTPPort 0–65535,
// RatePerMinute and DigestAfter not negative) and returns the channel to
// store: a copy with UpdatedAt = now at Precision, Secret nil when empty
// and HasSecret set from it. The caller applies KeepSecret.
func PrepareAlertChannel(p *store.PutAlertChannelParams, now time.Time) (inventory.AlertChannel, error) {
	const op = "PutAlertChannel"
	if p == nil {
		return inventory.AlertChannel{}, Invalid(op, "params", "must not be nil")
	}
	c := p.Channel
	switch {
	case c.Name == "":
		return c, Invalid(op, "Channel.Name", "must not be empty")
	case !slices.Contains(channelKinds, c.Kind):
		return c, Invalid(op, "Channel.Kind", fmt.Sprintf("unknown kind %q (want one of %q)", c.Kind, channelKinds))
	case c.MinSeverity != "" && !slices.Contains(inventory.AlertSeverities(), c.MinSeverity):
		return c, Invalid(op, "Channel.MinSeverity", fmt.Sprintf("unknown severity %q", c.MinSeverity))
	case c.SMTPPort < 0 || c.SMTPPort > 65535:
		return c, Invalid(op, "Channel.SMTPPort", "must be 0 to 65535")
	case c.RatePerMinute < 0:
		return c, Invalid(op, "Channel.RatePerMinute", "must not be negative")
	case c.DigestAfter < 0:
		return c, Invalid(op, "Channel.DigestAfter", "must not be negative")
	}
	if err := stringFields(op, "Channel.Name", c.Name, "Channel.URL", c.URL, "Channel.SMTPHost", c.SMTPHost,
		"Channel.From", c.From, "Channel.Username", c.Username, "Channel.TLS", c.TLS); err != nil {
		return c, err
	}
	if err := checkList(op, "Channel.To", c.To); err != nil {
		return c, err
	}
	c.To = cloneList(c.To)
	c.Secret = CloneSecret(c.Secret)
	c.HasSecret = c.Secret != nil
	c.UpdatedAt = NormTime(now)
	return c, nil
}

// CloneSecret copies a secret, nil when empty.
func CloneSecret(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return slices.Clone(b)
}

// CloneAlertChannel deep-copies a channel.
func CloneAlertChannel(c inventory.AlertChannel) inventory.AlertChannel {
	c.To = cloneList(c.To)
	c.Secret = CloneSecret(c.Secret)
	return c
}

// ValidateChannelName checks the Name of GetAlertChannelParams or
// DeleteAlertChannelParams.
func ValidateChannelName(op, name string) error {
	if name == "" {
		return Invalid(op, "Name", "must not be empty")
	}
	return CheckStrings(op, "Name", name)
}

// ChannelDeletedError is the LastError DeleteAlertChannel gives the
// channel's pending notifications it marks failed.
const ChannelDeletedError = "channel deleted"

// ---------------------------------------------------------------------------
// Notifications

// ValidateNotification checks a notification to queue: a Channel, a known
// Event, storable strings (the Alert's included; a test's Alert may be
// zero) and Extra empty or valid JSON.
func ValidateNotification(op, field string, n *inventory.Notification) error {
	switch {
	case n.Channel == "":
		return Invalid(op, field+".Channel", "must not be empty")
	case !slices.Contains(notifyEvents, n.Event):
		return Invalid(op, field+".Event", fmt.Sprintf("unknown event %q (want one of %q)", n.Event, notifyEvents))
	}
	if err := stringFields(op, field+".Channel", n.Channel, field+".LastError", n.LastError); err != nil {
		return err
	}
	if err := alertStrings(op, field+".Alert", &n.Alert); err != nil {
		return err
	}
	if err := CheckFloats(op, field+".Alert.Value", n.Alert.Value); err != nil {
		return err
	}
	return CheckJSON(op, field+".Extra", n.Extra)
}

// prepareNotification checks n and returns it as queued: ID zero, State
// pending, Attempts 0, no LastError or DeliveredAt, CreatedAt now and
// NextAttempt defaulting to it, times at Precision.
func prepareNotification(op, field string, in *inventory.Notification, now time.Time) (inventory.Notification, error) {
	if err := ValidateNotification(op, field, in); err != nil {
		return *in, err
	}
	n := *in
	n.ID, n.State, n.Attempts, n.LastError, n.DeliveredAt = 0, inventory.NotificationPending, 0, "", time.Time{}
	n.CreatedAt = NormTime(now)
	n.NextAttempt = NormTime(n.NextAttempt)
	if n.NextAttempt.IsZero() {
		n.NextAttempt = n.CreatedAt
	}
	n.Alert = NormAlert(n.Alert)
	n.Extra = AuditJSON(n.Extra)
	return n, nil
}

// PrepareEnqueue checks EnqueueNotificationsParams and returns the
// notifications as queued (see ApplyAlerts' notifications).
func PrepareEnqueue(p *store.EnqueueNotificationsParams, now time.Time) ([]inventory.Notification, error) {
	const op = "EnqueueNotifications"
	if p == nil {
		return nil, Invalid(op, "params", "must not be nil")
	}
	out := make([]inventory.Notification, len(p.Notifications))
	for i := range p.Notifications {
		n, err := prepareNotification(op, indexed("Notifications", i), &p.Notifications[i], now)
		if err != nil {
			return nil, err
		}
		out[i] = n
	}
	return out, nil
}

// CloneNotification deep-copies a notification.
func CloneNotification(n inventory.Notification) inventory.Notification {
	n.Extra = AuditJSON(n.Extra)
	return n
}

// PrepareClaim checks ClaimNotificationsParams (Owner, Now and a positive
// Lease required) and returns Now and the lease end at Precision and the
// row limit.
func PrepareClaim(p *store.ClaimNotificationsParams) (now, until time.Time, limit int, err error) {
	const op = "ClaimNotifications"
	switch {
	case p == nil:
		return now, until, 0, Invalid(op, "params", "must not be nil")
	case p.Owner == "":
		return now, until, 0, Invalid(op, "Owner", "must not be empty")
	case p.Now.IsZero():
		return now, until, 0, Invalid(op, "Now", "must be set")
	case p.Lease <= 0:
		return now, until, 0, Invalid(op, "Lease", "must be positive")
	}
	if err := stringFields(op, "Owner", p.Owner, "Channel", p.Channel); err != nil {
		return now, until, 0, err
	}
	now = NormTime(p.Now)
	return now, NormTime(p.Now.Add(p.Lease)), ClaimSize(p), nil
}

// PrepareFinish checks FinishNotificationsParams (an Owner, and per result
// a positive ID, At set, storable Error, no RetryAt on a delivered one)
// and returns the results with times at Precision, ordered by ID (stable:
// rows are then locked in one order by every writer).
func PrepareFinish(p *store.FinishNotificationsParams) ([]store.NotificationResult, error) {
	const op = "FinishNotifications"
	if p == nil {
		return nil, Invalid(op, "params", "must not be nil")
	}
	if p.Owner == "" {
		return nil, Invalid(op, "Owner", "must not be empty")
	}
	if err := CheckStrings(op, "Owner", p.Owner); err != nil {
		return nil, err
	}
	out := make([]store.NotificationResult, len(p.Results))
	for i, r := range p.Results {
		f := indexed("Results", i)
		switch {
		case r.ID <= 0:
			return nil, Invalid(op, f+".ID", "must be a positive notification ID")
		case r.At.IsZero():
			return nil, Invalid(op, f+".At", "must be set")
		case r.Delivered && !r.RetryAt.IsZero():
			return nil, Invalid(op, f+".RetryAt", "must be zero for a delivered notification")
		}
		if err := CheckStrings(op, f+".Error", r.Error); err != nil {
			return nil, err
		}
		r.At, r.RetryAt = NormTime(r.At), NormTime(r.RetryAt)
		out[i] = r
	}
	slices.SortStableFunc(out, func(a, b store.NotificationResult) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// FinishOne applies one result to a notification p.Owner holds (state
// pending): delivered (DeliveredAt = At), retried (NextAttempt = RetryAt,
// LastError set) or failed (LastError set); Attempts is incremented. The
// caller releases the lease.
func FinishOne(n *inventory.Notification, r *store.NotificationResult) {
	n.Attempts++
	switch {
	case r.Delivered:
		n.State, n.DeliveredAt = inventory.NotificationDelivered, r.At
	case !r.RetryAt.IsZero():
		n.NextAttempt, n.LastError = r.RetryAt, r.Error
	default:
		n.State, n.LastError = inventory.NotificationFailed, r.Error
	}
}

// PrepareListNotifications checks ListNotificationsParams and returns the
// cursor's ID (0 for the first page) and the page size.
func PrepareListNotifications(p *store.ListNotificationsParams) (beforeID int64, limit int, err error) {
	const op = "ListNotifications"
	for i, s := range p.States {
		if !slices.Contains(notificationStates, s) {
			return 0, 0, Invalid(op, indexed("States", i), fmt.Sprintf("unknown state %q", s))
		}
	}
	if p.AlertID < 0 {
		return 0, 0, Invalid(op, "AlertID", "must not be negative")
	}
	if err := CheckStrings(op, "Channel", p.Channel); err != nil {
		return 0, 0, err
	}
	id, err := IDCursor(op, p.Cursor)
	return id, NotificationsPageSize(p), err
}

// ValidatePruneNotifications checks PruneNotificationsParams.
func ValidatePruneNotifications(p *store.PruneNotificationsParams) error {
	if p == nil || p.Before.IsZero() {
		return Invalid("PruneNotifications", "Before", "must be set")
	}
	return nil
}

// MarshalAlert is the stored JSON of a notification's alert snapshot.
func MarshalAlert(a *inventory.Alert) ([]byte, error) { return json.Marshal(a) }
