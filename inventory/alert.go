package inventory

import (
	"encoding/json"
	"time"
)

// AlertRuleKind names what an alert rule checks (see package alert).
type AlertRuleKind string

// Alert rule kinds.
const (
	// RuleHostDisconnected fires for a host whose connection state is
	// disconnected or notResponding, never while it is in maintenance mode.
	RuleHostDisconnected AlertRuleKind = "host_disconnected"
	// RuleHostMaintenance fires for a host in maintenance mode longer than
	// the rule's Duration.
	RuleHostMaintenance AlertRuleKind = "host_maintenance"
	// RuleDatastoreUsedPct fires when a datastore's used % reaches the
	// rule's Threshold and clears when it falls below Clear (hysteresis).
	RuleDatastoreUsedPct AlertRuleKind = "datastore_used_pct"
	// RuleDatastoreFreeGB fires when a datastore's free GB falls below
	// Threshold (clears above Clear when set).
	RuleDatastoreFreeGB AlertRuleKind = "datastore_free_gb"
	// RuleVMPoweredOff fires for a VM powered off unexpectedly: not by a
	// user (see PowerEvent), and clears when it is powered on again.
	RuleVMPoweredOff AlertRuleKind = "vm_powered_off"
	// RuleVMSnapshotAge fires for a VM with a snapshot older than
	// Threshold days.
	RuleVMSnapshotAge AlertRuleKind = "vm_snapshot_age"
	// RuleVMSnapshotSize fires for a VM whose snapshots hold more than
	// Threshold GB.
	RuleVMSnapshotSize AlertRuleKind = "vm_snapshot_size"
	// RuleCaptureFailing fires for an endpoint whose last Threshold
	// captures (at least) failed in a row.
	RuleCaptureFailing AlertRuleKind = "capture_failing"
	// RuleDataStale fires for an endpoint with no successful capture for
	// the rule's Duration.
	RuleDataStale AlertRuleKind = "data_stale"

	// The metric rules read the utilisation time series (MetricKey, kept
	// by a store.MetricStore): each fires when the entity's metric,
	// averaged over the raw points of the rule's Duration up to the
	// evaluation (the window; defaults to 15 minutes), reaches Threshold
	// (a percentage), and clears when it falls below Clear (hysteresis;
	// defaults to Threshold). An entity with no point in the window keeps
	// its alert as it is; a VM that is not powered on has none.

	// RuleVMCPUUsagePct reads a VM's MetricCPUUsagePct (% of its vCPUs).
	RuleVMCPUUsagePct AlertRuleKind = "vm_cpu_usage_pct"
	// RuleVMCPUReadyPct reads a VM's MetricPerfCPUReadyPct (CPU ready
	// per vCPU; collected with the performance counters).
	RuleVMCPUReadyPct AlertRuleKind = "vm_cpu_ready_pct"
	// RuleVMMemUsagePct reads a VM's MetricMemUsagePct (guest memory of
	// its configured RAM).
	RuleVMMemUsagePct AlertRuleKind = "vm_mem_usage_pct"
	// RuleHostCPUUsagePct reads a host's MetricCPUUsagePct.
	RuleHostCPUUsagePct AlertRuleKind = "host_cpu_usage_pct"
	// RuleHostMemUsagePct reads a host's MetricMemUsagePct.
	RuleHostMemUsagePct AlertRuleKind = "host_mem_usage_pct"
)

// AlertRuleKinds returns every rule kind, in a new slice.
func AlertRuleKinds() []AlertRuleKind {
	return []AlertRuleKind{RuleHostDisconnected, RuleHostMaintenance, RuleDatastoreUsedPct, RuleDatastoreFreeGB,
		RuleVMPoweredOff, RuleVMSnapshotAge, RuleVMSnapshotSize, RuleCaptureFailing, RuleDataStale,
		RuleVMCPUUsagePct, RuleVMCPUReadyPct, RuleVMMemUsagePct, RuleHostCPUUsagePct, RuleHostMemUsagePct}
}

// AlertSeverity ranks alerts.
type AlertSeverity string

// Alert severities, from the least to the most severe.
const (
	SeverityInfo     AlertSeverity = "info"
	SeverityWarning  AlertSeverity = "warning"
	SeverityCritical AlertSeverity = "critical"
)

// AlertSeverities returns the severities from the least to the most
// severe, in a new slice.
func AlertSeverities() []AlertSeverity {
	return []AlertSeverity{SeverityInfo, SeverityWarning, SeverityCritical}
}

// EntityEndpoint is the entity type of alerts about an endpoint itself
// (capture failing, data stale); its ID is the endpoint name.
const EntityEndpoint EntityType = "endpoint"

// AlertScope limits a rule to some entities: an entity matches when it
// matches every field that is set. The zero value matches everything.
type AlertScope struct {
	// Vcenters are endpoint names.
	Vcenters []string `json:"vcenters,omitempty"`
	// Datacenters and Clusters are names (a datastore matches a cluster
	// when one of its hosts is in it; an endpoint rule ignores both).
	Datacenters []string `json:"datacenters,omitempty"`
	Clusters    []string `json:"clusters,omitempty"`
	// Attribute matches VMs by custom attribute or tag, as ScopeRule's
	// Attribute: "key=value" or "key" (tags are "tag:<category>=<tag>").
	// Only VM rules accept it.
	Attribute string `json:"attribute,omitempty"`
	// Name is a regular expression (RE2) the entity's name must match.
	Name string `json:"name,omitempty"`
}

// Where an alert rule comes from (AlertRule.Origin).
const (
	RuleFromConfig = "config" // the daemon's configuration file; read-only in the API
	RuleFromAPI    = "api"
)

// AlertRule is one alerting rule. Which fields a kind reads is documented
// on its constant; package alert validates a rule.
type AlertRule struct {
	// ID is the rule's unique name: 1–100 characters of [a-z0-9_.-].
	ID string `json:"id"`
	// Name is a human title (defaults to ID).
	Name     string        `json:"name,omitempty"`
	Kind     AlertRuleKind `json:"kind"`
	Severity AlertSeverity `json:"severity"`
	Enabled  bool          `json:"enabled"`
	Scope    AlertScope    `json:"scope,omitzero"`
	// Threshold raises the alert (a percentage, GB, days or a count, by
	// kind); Clear clears it (hysteresis; defaults to Threshold).
	Threshold float64 `json:"threshold,omitempty"`
	Clear     float64 `json:"clear,omitempty"`
	// Duration is how long a state must last (maintenance, staleness),
	// or the window a metric rule averages over.
	Duration time.Duration `json:"duration,omitempty"`
	// For is the debounce: the condition must hold this long before the
	// alert opens (it is "pending" until then).
	For time.Duration `json:"for,omitempty"`
	// Channels name the notification channels the rule notifies.
	Channels []string `json:"channels,omitempty"`
	// Origin is RuleFromConfig or RuleFromAPI.
	Origin    string    `json:"origin,omitempty"`
	UpdatedAt time.Time `json:"updated_at,omitzero"`
}

// AlertState is where an alert is in its lifecycle.
type AlertState string

// Alert states. An alert is pending while its condition holds for less
// than its rule's For; open once it fires; acknowledged once an operator
// took it; resolved when the condition cleared or an operator resolved it.
const (
	AlertPending      AlertState = "pending"
	AlertOpen         AlertState = "open"
	AlertAcknowledged AlertState = "acknowledged"
	AlertResolved     AlertState = "resolved"
)

// Active reports whether the alert is open or acknowledged.
func (s AlertState) Active() bool { return s == AlertOpen || s == AlertAcknowledged }

// Alert is one alert: one rule about one entity, from the moment its
// condition was first seen until it resolves. There is at most one alert
// that is not resolved per (RuleID, Vcenter, EntityType, EntityID).
type Alert struct {
	// ID is assigned by the store.
	ID         int64         `json:"id"`
	RuleID     string        `json:"rule_id"`
	Kind       AlertRuleKind `json:"kind"`
	Severity   AlertSeverity `json:"severity"`
	Vcenter    string        `json:"vcenter"`
	EntityType EntityType    `json:"entity_type"`
	EntityID   string        `json:"entity_id"`
	EntityName string        `json:"entity_name"`
	State      AlertState    `json:"state"`
	// Summary says what was seen, e.g. "datastore ds1 is 91.2% used
	// (raise at 85%)" or "powered off by the guest OS".
	Summary string `json:"summary"`
	// Value is the measured value that raised or last updated the alert.
	Value float64 `json:"value,omitempty"`
	// SeenAt is when the condition was first seen; OpenedAt when the
	// alert opened (SeenAt + the rule's For); UpdatedAt its last change.
	SeenAt    time.Time `json:"seen_at"`
	OpenedAt  time.Time `json:"opened_at,omitzero"`
	UpdatedAt time.Time `json:"updated_at"`
	// AckedAt, AckedBy and AckComment record the acknowledgement.
	AckedAt    time.Time `json:"acked_at,omitzero"`
	AckedBy    string    `json:"acked_by,omitempty"`
	AckComment string    `json:"ack_comment,omitempty"`
	// ResolvedAt is when it resolved; ResolvedBy names the operator, empty
	// when the condition cleared.
	ResolvedAt time.Time `json:"resolved_at,omitzero"`
	ResolvedBy string    `json:"resolved_by,omitempty"`
	// Flaps counts how often the alert reopened within the flap window;
	// Flapping is set while it reopens too often to notify each time.
	Flaps    int  `json:"flaps,omitempty"`
	Flapping bool `json:"flapping,omitempty"`
	// Silenced is set while a silence covers the alert (no notification).
	Silenced bool `json:"silenced,omitempty"`
}

// AlertTransition is one entry of an alert's history.
type AlertTransition struct {
	// ID is assigned by the store, increasing.
	ID      int64      `json:"id"`
	AlertID int64      `json:"alert_id"`
	From    AlertState `json:"from,omitempty"`
	To      AlertState `json:"to"`
	At      time.Time  `json:"at"`
	// By names the operator; empty for the evaluator.
	By      string `json:"by,omitempty"`
	Comment string `json:"comment,omitempty"`
	Summary string `json:"summary,omitempty"`
}

// Silence mutes notifications of the alerts it covers until Until: those
// of RuleID (any rule when empty) about the entity (any entity when
// EntityID is empty) in Vcenter (any when empty). A silence must name a
// rule or an entity.
type Silence struct {
	// ID is assigned by the store.
	ID         int64      `json:"id"`
	RuleID     string     `json:"rule_id,omitempty"`
	Vcenter    string     `json:"vcenter,omitempty"`
	EntityType EntityType `json:"entity_type,omitempty"`
	EntityID   string     `json:"entity_id,omitempty"`
	Until      time.Time  `json:"until"`
	Comment    string     `json:"comment,omitempty"`
	CreatedBy  string     `json:"created_by,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
}

// Covers reports whether the silence mutes a at time now.
func (s *Silence) Covers(a *Alert, now time.Time) bool {
	if !now.Before(s.Until) {
		return false
	}
	if s.RuleID != "" && s.RuleID != a.RuleID {
		return false
	}
	if s.Vcenter != "" && s.Vcenter != a.Vcenter {
		return false
	}
	if s.EntityID != "" && (s.EntityID != a.EntityID || (s.EntityType != "" && s.EntityType != a.EntityType)) {
		return false
	}
	return true
}

// Notification channel kinds.
const (
	ChannelWebhook = "webhook" // JSON POST, HMAC-SHA256 signed
	ChannelSlack   = "slack"   // Slack incoming webhook
	ChannelTeams   = "teams"   // Microsoft Teams workflow webhook
	ChannelEmail   = "email"   // SMTP
)

// AlertChannel is a notification channel. Its secrets (a Slack or Teams
// webhook URL, the webhook's HMAC key, the SMTP password) are kept only
// in Secret, encrypted by the caller (the daemon's keyring, with the
// channel name as associated data), and never leave in JSON.
type AlertChannel struct {
	// Name is unique: 1–100 characters of [a-z0-9_.-].
	Name    string `json:"name"`
	Kind    string `json:"kind"`
	Enabled bool   `json:"enabled"`
	// MinSeverity: alerts below it are not sent. Defaults to info.
	MinSeverity AlertSeverity `json:"min_severity,omitempty"`
	// URL is the webhook's endpoint (kind webhook); Slack and Teams URLs
	// carry a token and are kept in Secret.
	URL string `json:"url,omitempty"`
	// SMTP settings (kind email).
	SMTPHost string   `json:"smtp_host,omitempty"`
	SMTPPort int      `json:"smtp_port,omitempty"`
	From     string   `json:"from,omitempty"`
	To       []string `json:"to,omitempty"`
	Username string   `json:"username,omitempty"`
	// TLS is "starttls" (required; the default), "opportunistic", "tls"
	// (implicit) or "none".
	TLS string `json:"tls,omitempty"`
	// RatePerMinute caps the messages sent per minute. Defaults to 20.
	RatePerMinute int `json:"rate_per_minute,omitempty"`
	// DigestAfter: when more notifications than this are due at once,
	// they go as one grouped digest. Defaults to 5.
	DigestAfter int `json:"digest_after,omitempty"`
	// Secret is the encrypted secret blob; HasSecret says one is stored.
	Secret    []byte    `json:"-"`
	HasSecret bool      `json:"has_secret"`
	UpdatedAt time.Time `json:"updated_at,omitzero"`
}

// NotificationState is where a notification is in its delivery.
type NotificationState string

// Notification states.
const (
	NotificationPending   NotificationState = "pending"
	NotificationDelivered NotificationState = "delivered"
	NotificationFailed    NotificationState = "failed" // gave up after its retries
)

// Notification events (Notification.Event).
const (
	NotifyOpened       = "opened"
	NotifyAcknowledged = "acknowledged"
	NotifyResolved     = "resolved"
	NotifyTest         = "test"
)

// Notification is one message owed to a channel, kept in the store until
// it is delivered (or given up), so a restart loses none.
type Notification struct {
	// ID is assigned by the store, increasing.
	ID      int64  `json:"id"`
	Channel string `json:"channel"`
	// Event is one of the Notify* constants.
	Event string `json:"event"`
	// Alert is the alert as it was when the notification was queued (zero
	// for a test).
	Alert     Alert             `json:"alert"`
	State     NotificationState `json:"state"`
	CreatedAt time.Time         `json:"created_at"`
	// NextAttempt is when it is due; Attempts counts tries; LastError the
	// last failure (never a secret).
	NextAttempt time.Time `json:"next_attempt"`
	Attempts    int       `json:"attempts"`
	LastError   string    `json:"last_error,omitempty"`
	DeliveredAt time.Time `json:"delivered_at,omitzero"`
	// Extra carries kind-specific data (optional JSON).
	Extra json.RawMessage `json:"extra,omitempty"`
}

// Kinds of the power events an endpoint records (PowerEvent.Kind).
const (
	PowerOffEvent      = "powered_off"     // VmPoweredOffEvent
	PowerGuestShutdown = "guest_shutdown"  // VmGuestShutdownEvent
	PowerHAReset       = "ha_reset"        // VmDasBeingResetEvent (and WithScreenshot)
	PowerFailover      = "failover_failed" // VmFailoverFailed
	PowerHostFailure   = "host_failure"    // the VM's host failed (HostConnectionLostEvent, DasHostFailedEvent)
	PowerOnEvent       = "powered_on"      // VmPoweredOnEvent
)

// PowerEvent is a VM power event read from an endpoint's event history:
// what package alert reads to tell a user's power-off from a failure.
type PowerEvent struct {
	Vcenter string `json:"vcenter"`
	// Key is the event's key on the endpoint.
	Key    int32  `json:"key"`
	Kind   string `json:"kind"`
	VMID   string `json:"vm_id,omitempty"`
	VMName string `json:"vm_name,omitempty"`
	// HostID is the host of a host-failure event (every VM on it).
	HostID string `json:"host_id,omitempty"`
	// User is the event's user name; empty when vCenter recorded none.
	User    string    `json:"user,omitempty"`
	Message string    `json:"message,omitempty"`
	Time    time.Time `json:"time"`
}
