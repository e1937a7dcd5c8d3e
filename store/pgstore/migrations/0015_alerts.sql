-- Version 15: alerting (store.AlertStore, store.AlertChannels,
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
-- row; notifications_due_idx serves the claims. Times are timestamptz.
-- extra keeps the exact JSON text given.
CREATE TABLE alert_rules (
    id              text COLLATE "C" PRIMARY KEY,
    name            text COLLATE "C" NOT NULL DEFAULT '',
    kind            text COLLATE "C" NOT NULL,
    severity        text COLLATE "C" NOT NULL,
    enabled         boolean          NOT NULL DEFAULT false,
    scope           jsonb,
    threshold       double precision NOT NULL DEFAULT 0,
    clear_value     double precision NOT NULL DEFAULT 0,
    duration_ns     bigint           NOT NULL DEFAULT 0,
    for_ns          bigint           NOT NULL DEFAULT 0,
    channels        jsonb,
    origin          text COLLATE "C" NOT NULL DEFAULT '',
    updated_at      timestamptz      NOT NULL
);

CREATE TABLE alerts (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    rule_id         text COLLATE "C" NOT NULL,
    kind            text COLLATE "C" NOT NULL,
    severity        text COLLATE "C" NOT NULL,
    vcenter         text COLLATE "C" NOT NULL DEFAULT '',
    entity_type     text COLLATE "C" NOT NULL,
    entity_id       text COLLATE "C" NOT NULL,
    entity_name     text COLLATE "C" NOT NULL DEFAULT '',
    state           text COLLATE "C" NOT NULL,
    summary         text COLLATE "C" NOT NULL DEFAULT '',
    value           double precision NOT NULL DEFAULT 0,
    seen_at         timestamptz,
    opened_at       timestamptz,
    updated_at      timestamptz,
    acked_at        timestamptz,
    acked_by        text COLLATE "C" NOT NULL DEFAULT '',
    ack_comment     text COLLATE "C" NOT NULL DEFAULT '',
    resolved_at     timestamptz,
    resolved_by     text COLLATE "C" NOT NULL DEFAULT '',
    flaps           integer          NOT NULL DEFAULT 0,
    flapping        boolean          NOT NULL DEFAULT false,
    silenced        boolean          NOT NULL DEFAULT false
);
CREATE UNIQUE INDEX alerts_unresolved_idx ON alerts (rule_id, vcenter, entity_type, entity_id) WHERE state <> 'resolved';
CREATE INDEX alerts_state_idx ON alerts (state, id);

CREATE TABLE alert_transitions (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    alert_id        bigint           NOT NULL,
    from_state      text COLLATE "C" NOT NULL DEFAULT '',
    to_state        text COLLATE "C" NOT NULL,
    at              timestamptz      NOT NULL,
    by_user         text COLLATE "C" NOT NULL DEFAULT '',
    comment         text COLLATE "C" NOT NULL DEFAULT '',
    summary         text COLLATE "C" NOT NULL DEFAULT ''
);
CREATE INDEX alert_transitions_alert_idx ON alert_transitions (alert_id, id);
CREATE INDEX alert_transitions_at_idx ON alert_transitions (at);

CREATE TABLE alert_silences (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    rule_id         text COLLATE "C" NOT NULL DEFAULT '',
    vcenter         text COLLATE "C" NOT NULL DEFAULT '',
    entity_type     text COLLATE "C" NOT NULL DEFAULT '',
    entity_id       text COLLATE "C" NOT NULL DEFAULT '',
    ends_at         timestamptz      NOT NULL,
    comment         text COLLATE "C" NOT NULL DEFAULT '',
    created_by      text COLLATE "C" NOT NULL DEFAULT '',
    created_at      timestamptz      NOT NULL
);

CREATE TABLE alert_channels (
    name            text COLLATE "C" PRIMARY KEY,
    kind            text COLLATE "C" NOT NULL,
    enabled         boolean          NOT NULL DEFAULT false,
    min_severity    text COLLATE "C" NOT NULL DEFAULT '',
    url             text COLLATE "C" NOT NULL DEFAULT '',
    smtp_host       text COLLATE "C" NOT NULL DEFAULT '',
    smtp_port       integer          NOT NULL DEFAULT 0,
    from_addr       text COLLATE "C" NOT NULL DEFAULT '',
    to_addrs        jsonb,
    username        text COLLATE "C" NOT NULL DEFAULT '',
    tls             text COLLATE "C" NOT NULL DEFAULT '',
    rate_per_minute integer          NOT NULL DEFAULT 0,
    digest_after    integer          NOT NULL DEFAULT 0,
    secret          bytea,
    updated_at      timestamptz      NOT NULL
);

CREATE TABLE notifications (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    channel         text COLLATE "C" NOT NULL,
    event           text COLLATE "C" NOT NULL,
    alert_id        bigint           NOT NULL DEFAULT 0,
    alert           jsonb            NOT NULL,
    state           text COLLATE "C" NOT NULL,
    created_at      timestamptz      NOT NULL,
    next_attempt    timestamptz      NOT NULL,
    attempts        integer          NOT NULL DEFAULT 0,
    last_error      text COLLATE "C" NOT NULL DEFAULT '',
    delivered_at    timestamptz,
    extra           text,
    lease_owner     text COLLATE "C" NOT NULL DEFAULT '',
    lease_until     timestamptz
);
CREATE INDEX notifications_due_idx ON notifications (state, next_attempt);
CREATE INDEX notifications_channel_idx ON notifications (channel, id);
CREATE INDEX notifications_alert_idx ON notifications (alert_id, id);
