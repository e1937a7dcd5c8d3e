-- Version 14: alerting (store.AlertStore, store.AlertChannels,
-- store.NotificationQueue).
--
-- alert_rules keep a rule's scope and channels as JSON (NULL when empty)
-- and its durations in nanoseconds. alerts hold one row per alert;
-- alerts_unresolved_idx lets at most one alert that is not resolved exist
-- per (rule_id, vcenter, entity_type, entity_id). alert_transitions are
-- an alert's history (deleted with a pending alert). alert_channels keep
-- the caller's encrypted secret as opaque bytes. notifications are the
-- queue: the alert as it was when queued (JSON), the delivery state, when
-- the next attempt is due and the lease of the dispatcher that claimed the
-- row; notifications_due_idx serves the claims. Times are INTEGER unix
-- microseconds; AUTOINCREMENT never reuses an ID.
CREATE TABLE alert_rules (
    id          TEXT    PRIMARY KEY,
    name        TEXT    NOT NULL DEFAULT '',
    kind        TEXT    NOT NULL,
    severity    TEXT    NOT NULL,
    enabled     INTEGER NOT NULL DEFAULT 0,
    scope       TEXT,
    threshold   REAL    NOT NULL DEFAULT 0,
    clear_value REAL    NOT NULL DEFAULT 0,
    duration_ns INTEGER NOT NULL DEFAULT 0,
    for_ns      INTEGER NOT NULL DEFAULT 0,
    channels    TEXT,
    origin      TEXT    NOT NULL DEFAULT '',
    updated_at  INTEGER NOT NULL
);

CREATE TABLE alerts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    rule_id     TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    severity    TEXT    NOT NULL,
    vcenter     TEXT    NOT NULL DEFAULT '',
    entity_type TEXT    NOT NULL,
    entity_id   TEXT    NOT NULL,
    entity_name TEXT    NOT NULL DEFAULT '',
    state       TEXT    NOT NULL,
    summary     TEXT    NOT NULL DEFAULT '',
    value       REAL    NOT NULL DEFAULT 0,
    seen_at     INTEGER,
    opened_at   INTEGER,
    updated_at  INTEGER,
    acked_at    INTEGER,
    acked_by    TEXT    NOT NULL DEFAULT '',
    ack_comment TEXT    NOT NULL DEFAULT '',
    resolved_at INTEGER,
    resolved_by TEXT    NOT NULL DEFAULT '',
    flaps       INTEGER NOT NULL DEFAULT 0,
    flapping    INTEGER NOT NULL DEFAULT 0,
    silenced    INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX alerts_unresolved_idx ON alerts (rule_id, vcenter, entity_type, entity_id) WHERE state <> 'resolved';
CREATE INDEX alerts_state_idx ON alerts (state, id);

CREATE TABLE alert_transitions (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    alert_id   INTEGER NOT NULL,
    from_state TEXT    NOT NULL DEFAULT '',
    to_state   TEXT    NOT NULL,
    at         INTEGER NOT NULL,
    by_user    TEXT    NOT NULL DEFAULT '',
    comment    TEXT    NOT NULL DEFAULT '',
    summary    TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX alert_transitions_alert_idx ON alert_transitions (alert_id, id);
CREATE INDEX alert_transitions_at_idx ON alert_transitions (at);

CREATE TABLE alert_silences (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    rule_id     TEXT    NOT NULL DEFAULT '',
    vcenter     TEXT    NOT NULL DEFAULT '',
    entity_type TEXT    NOT NULL DEFAULT '',
    entity_id   TEXT    NOT NULL DEFAULT '',
    ends_at     INTEGER NOT NULL,
    comment     TEXT    NOT NULL DEFAULT '',
    created_by  TEXT    NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL
);

CREATE TABLE alert_channels (
    name            TEXT    PRIMARY KEY,
    kind            TEXT    NOT NULL,
    enabled         INTEGER NOT NULL DEFAULT 0,
    min_severity    TEXT    NOT NULL DEFAULT '',
    url             TEXT    NOT NULL DEFAULT '',
    smtp_host       TEXT    NOT NULL DEFAULT '',
    smtp_port       INTEGER NOT NULL DEFAULT 0,
    from_addr       TEXT    NOT NULL DEFAULT '',
    to_addrs        TEXT,
    username        TEXT    NOT NULL DEFAULT '',
    tls             TEXT    NOT NULL DEFAULT '',
    rate_per_minute INTEGER NOT NULL DEFAULT 0,
    digest_after    INTEGER NOT NULL DEFAULT 0,
    secret          BLOB,
    updated_at      INTEGER NOT NULL
);

CREATE TABLE notifications (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    channel      TEXT    NOT NULL,
    event        TEXT    NOT NULL,
    alert_id     INTEGER NOT NULL DEFAULT 0,
    alert        TEXT    NOT NULL,
    state        TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    next_attempt INTEGER NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT    NOT NULL DEFAULT '',
    delivered_at INTEGER,
    extra        TEXT,
    lease_owner  TEXT    NOT NULL DEFAULT '',
    lease_until  INTEGER
);
CREATE INDEX notifications_due_idx ON notifications (state, next_attempt);
CREATE INDEX notifications_channel_idx ON notifications (channel, id);
CREATE INDEX notifications_alert_idx ON notifications (alert_id, id);
