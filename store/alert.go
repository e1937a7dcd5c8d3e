package store

import (
	"context"
	"time"

	"github.com/accessvault/vinventory/inventory"
)

// This file holds the optional interfaces alerting keeps its state
// through (package alert, the daemon's notifier): AlertStore (rules,
// alerts with their history, silences), AlertChannels (notification
// channels) and NotificationQueue (notifications owed to channels).
// memstore, sqlitestore and pgstore implement all three.

// AlertStore keeps alert rules, alerts with their full history, and
// silences. It is an optional interface (see Store).
type AlertStore interface {
	// PutAlertRule inserts or replaces the rule with p.Rule.ID and returns
	// it as stored (UpdatedAt set by the store). The rule must carry an
	// ID, a known Kind and Severity and valid UTF-8 strings without NUL
	// bytes (package alert validates the rest); otherwise nothing is
	// stored and an *InvalidParamsError is returned.
	PutAlertRule(ctx context.Context, p *PutAlertRuleParams) (*inventory.AlertRule, error)
	// ListAlertRules returns the rules ordered by ID.
	ListAlertRules(ctx context.Context, p *ListAlertRulesParams) ([]inventory.AlertRule, error)
	// DeleteAlertRule deletes a rule, or returns ErrNotFound. Its alerts
	// and their history stay.
	DeleteAlertRule(ctx context.Context, p *DeleteAlertRuleParams) error

	// ApplyAlerts, in one transaction: inserts the alerts of p.Alerts with
	// ID 0 (IDs assigned) and replaces those with an ID, appends
	// p.Transitions (one with AlertID 0 belongs to the alert
	// p.Alerts[AlertIndex]: see AlertTransitionRef),
	// deletes the alerts p.Delete names (pending alerts whose condition
	// cleared; their history goes with them), and queues p.Notifications
	// (see NotificationRef). An update whose ExpectState is set and
	// differs from the stored state, or a second alert that is not
	// resolved for the same (RuleID, Vcenter, EntityType, EntityID), is
	// refused with a *ConflictError; invalid params with an
	// *InvalidParamsError. Either way nothing is written.
	ApplyAlerts(ctx context.Context, p *ApplyAlertsParams) (*ApplyAlertsResult, error)
	// GetAlert returns one alert, or ErrNotFound.
	GetAlert(ctx context.Context, p *GetAlertParams) (*inventory.Alert, error)
	// ListAlerts returns alerts newest first (by descending ID),
	// paginated.
	ListAlerts(ctx context.Context, p *ListAlertsParams) (*AlertPage, error)
	// CountAlerts counts alerts that are not resolved by state and
	// severity.
	CountAlerts(ctx context.Context, p *CountAlertsParams) ([]AlertCount, error)
	// ListAlertHistory returns transitions oldest first (by ID),
	// paginated.
	ListAlertHistory(ctx context.Context, p *ListAlertHistoryParams) (*AlertHistoryPage, error)

	// CreateSilence stores a silence and returns it as stored (ID and
	// CreatedAt set by the store). It must name a rule or an entity and
	// end in the future of CreatedAt; otherwise *InvalidParamsError.
	CreateSilence(ctx context.Context, p *CreateSilenceParams) (*inventory.Silence, error)
	// ListSilences returns silences ordered by ID; only those whose Until
	// is after p.ActiveAt when it is set.
	ListSilences(ctx context.Context, p *ListSilencesParams) ([]inventory.Silence, error)
	// DeleteSilence deletes a silence, or returns ErrNotFound.
	DeleteSilence(ctx context.Context, p *DeleteSilenceParams) error
}

// PutAlertRuleParams carry one rule.
type PutAlertRuleParams struct{ Rule inventory.AlertRule }

// ListAlertRulesParams filter rules.
type ListAlertRulesParams struct {
	// EnabledOnly leaves out disabled rules.
	EnabledOnly bool
}

// DeleteAlertRuleParams name a rule.
type DeleteAlertRuleParams struct{ ID string }

// AlertUpdate is one alert to insert (ID 0) or replace.
type AlertUpdate struct {
	Alert inventory.Alert
	// ExpectState, when set, must be the stored state of the alert being
	// replaced (optimistic concurrency between the evaluator and an
	// operator's acknowledgement).
	ExpectState inventory.AlertState
}

// AlertTransitionRef is a transition to append: to Transition.AlertID, or
// when that is 0 to the new alert p.Alerts[AlertIndex].
type AlertTransitionRef struct {
	Transition inventory.AlertTransition
	AlertIndex int
}

// NotificationRef is a notification to queue: its Alert is the stored
// alert p.Alerts[AlertIndex] (with its ID) when AlertIndex >= 0, or
// Notification.Alert as given when AlertIndex is -1.
type NotificationRef struct {
	Notification inventory.Notification
	AlertIndex   int
}

// ApplyAlertsParams are one evaluation's (or one operator action's)
// changes.
type ApplyAlertsParams struct {
	Alerts        []AlertUpdate
	Transitions   []AlertTransitionRef
	Delete        []int64
	Notifications []NotificationRef
}

// ApplyAlertsResult returns the alerts as stored (in p.Alerts order, IDs
// set) and the IDs of the queued notifications.
type ApplyAlertsResult struct {
	Alerts          []inventory.Alert
	NotificationIDs []int64
}

// GetAlertParams name an alert.
type GetAlertParams struct{ ID int64 }

// ListAlertsParams filter alerts. Every set field must match.
type ListAlertsParams struct {
	// States: any of these (empty: every state).
	States     []inventory.AlertState
	Severities []inventory.AlertSeverity
	RuleID     string
	Vcenter    string
	EntityType inventory.EntityType
	EntityID   string
	// Vcenters limits the alerts to these vCenters (a token's scope);
	// nil means every vCenter. Endpoint alerts match by their vCenter.
	Vcenters []string
	// Cursor continues a previous page (opaque).
	Cursor string
	// Limit is the page size. Defaults to 100; at most 1000.
	Limit int
}

// AlertPage is one page of alerts.
type AlertPage struct {
	Alerts     []inventory.Alert
	NextCursor string
}

// CountAlertsParams filter CountAlerts.
type CountAlertsParams struct {
	// Vcenters as in ListAlertsParams.
	Vcenters []string
}

// AlertCount is the number of alerts in one state and severity.
type AlertCount struct {
	State    inventory.AlertState
	Severity inventory.AlertSeverity
	Count    int
}

// ListAlertHistoryParams select transitions.
type ListAlertHistoryParams struct {
	// AlertID limits the history to one alert; 0 means every alert.
	AlertID int64
	// Since lists transitions at or after it (zero: all).
	Since  time.Time
	Cursor string
	// Limit is the page size. Defaults to 100; at most 1000.
	Limit int
}

// AlertHistoryPage is one page of transitions.
type AlertHistoryPage struct {
	Transitions []inventory.AlertTransition
	NextCursor  string
}

// CreateSilenceParams carry a silence (ID and CreatedAt are ignored).
type CreateSilenceParams struct{ Silence inventory.Silence }

// ListSilencesParams filter silences.
type ListSilencesParams struct {
	// ActiveAt, when set, lists only silences that end after it.
	ActiveAt time.Time
}

// DeleteSilenceParams name a silence.
type DeleteSilenceParams struct{ ID int64 }

// AlertChannels keeps notification channels. It is an optional interface
// (see Store). The store keeps Secret as the opaque bytes it is given.
type AlertChannels interface {
	// PutAlertChannel inserts or replaces the channel with p.Channel.Name
	// and returns it as stored (UpdatedAt and HasSecret set). When
	// p.KeepSecret is set and p.Channel.Secret is nil, a stored secret is
	// kept. A channel with no name, an unknown kind or invalid strings is
	// refused with an *InvalidParamsError.
	PutAlertChannel(ctx context.Context, p *PutAlertChannelParams) (*inventory.AlertChannel, error)
	// GetAlertChannel returns one channel with its Secret, or ErrNotFound.
	GetAlertChannel(ctx context.Context, p *GetAlertChannelParams) (*inventory.AlertChannel, error)
	// ListAlertChannels returns the channels ordered by name, with their
	// Secret.
	ListAlertChannels(ctx context.Context, p *ListAlertChannelsParams) ([]inventory.AlertChannel, error)
	// DeleteAlertChannel deletes a channel, or returns ErrNotFound. Its
	// pending notifications are marked failed.
	DeleteAlertChannel(ctx context.Context, p *DeleteAlertChannelParams) error
}

// PutAlertChannelParams carry one channel.
type PutAlertChannelParams struct {
	Channel    inventory.AlertChannel
	KeepSecret bool
}

// GetAlertChannelParams name a channel.
type GetAlertChannelParams struct{ Name string }

// ListAlertChannelsParams filter channels.
type ListAlertChannelsParams struct{}

// DeleteAlertChannelParams name a channel.
type DeleteAlertChannelParams struct{ Name string }

// NotificationQueue keeps the notifications owed to channels until they
// are delivered, so a daemon restart loses none. Several dispatchers
// (replicas) may claim from one queue: a claim leases rows to one owner.
// It is an optional interface (see Store).
type NotificationQueue interface {
	// EnqueueNotifications queues notifications (State pending, IDs and
	// CreatedAt set by the store; NextAttempt defaults to CreatedAt) and
	// returns their IDs.
	EnqueueNotifications(ctx context.Context, p *EnqueueNotificationsParams) ([]int64, error)
	// ClaimNotifications leases up to p.Limit pending notifications whose
	// NextAttempt is not after p.Now and whose lease (if any) expired, to
	// p.Owner until p.Now+p.Lease, oldest first (by ID), and returns them.
	ClaimNotifications(ctx context.Context, p *ClaimNotificationsParams) ([]inventory.Notification, error)
	// FinishNotifications records delivery attempts of notifications
	// p.Owner holds (others are skipped): delivered, retried at RetryAt
	// (Attempts incremented, LastError set, lease released), or failed
	// for good (RetryAt zero and not delivered), or deferred to RetryAt
	// without counting an attempt (Deferred).
	FinishNotifications(ctx context.Context, p *FinishNotificationsParams) error
	// ListNotifications returns notifications newest first (by
	// descending ID), paginated.
	ListNotifications(ctx context.Context, p *ListNotificationsParams) (*NotificationPage, error)
	// PruneNotifications deletes delivered and failed notifications
	// created before p.Before.
	PruneNotifications(ctx context.Context, p *PruneNotificationsParams) (*PruneNotificationsResult, error)
}

// EnqueueNotificationsParams carry notifications to queue.
type EnqueueNotificationsParams struct {
	Notifications []inventory.Notification
}

// ClaimNotificationsParams say what to claim.
type ClaimNotificationsParams struct {
	// Owner names the claiming dispatcher. Required.
	Owner string
	// Now is the claim time. Required.
	Now time.Time
	// Lease is how long the claim holds. Required (> 0).
	Lease time.Duration
	// Channel limits the claim to one channel; empty means every channel.
	Channel string
	// Limit caps the rows. Defaults to 100; at most 1000.
	Limit int
}

// NotificationResult is the outcome of one delivery attempt.
type NotificationResult struct {
	ID        int64
	Delivered bool
	// At is when the attempt ended. Required.
	At time.Time
	// Error says why it failed (no secret).
	Error string
	// RetryAt is when to try again; zero (and not Delivered) gives up.
	RetryAt time.Time
	// Deferred marks a wait, not a failure (a channel's rate limit): the
	// notification stays pending with NextAttempt moved to RetryAt
	// (required), its Attempts and LastError unchanged, the lease
	// released.
	Deferred bool
}

// FinishNotificationsParams carry attempt outcomes.
type FinishNotificationsParams struct {
	Owner   string
	Results []NotificationResult
}

// ListNotificationsParams filter notifications.
type ListNotificationsParams struct {
	Channel string
	States  []inventory.NotificationState
	AlertID int64
	Cursor  string
	// Limit is the page size. Defaults to 100; at most 1000.
	Limit int
}

// NotificationPage is one page of notifications.
type NotificationPage struct {
	Notifications []inventory.Notification
	NextCursor    string
}

// PruneNotificationsParams say which notifications to delete.
type PruneNotificationsParams struct{ Before time.Time }

// PruneNotificationsResult counts the rows deleted.
type PruneNotificationsResult struct{ Deleted int64 }
