-- Version 7: what the JSON API manages the service through. api_tokens
-- (store.TokenStore) keeps each token's SHA-256, never its secret; a name
-- is unique among the tokens not revoked. audit_log (store.AuditLog) is
-- append-only. rate_cards (store.RateCardStore) keep prices as the exact
-- decimal text given. AUTOINCREMENT: an ID is never reused, even after a
-- delete.
CREATE TABLE api_tokens (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT    NOT NULL,
    role       TEXT    NOT NULL,
    vcenters   TEXT,
    hash       BLOB    NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER,
    created_by TEXT    NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX api_tokens_live_name_idx ON api_tokens (name) WHERE revoked_at IS NULL;

CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    entry_time  INTEGER NOT NULL,
    actor       TEXT    NOT NULL,
    action      TEXT    NOT NULL,
    target      TEXT    NOT NULL DEFAULT '',
    remote_addr TEXT    NOT NULL DEFAULT '',
    "before"    TEXT,
    "after"     TEXT,
    status      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX audit_log_actor_idx ON audit_log (actor, id);
CREATE INDEX audit_log_target_idx ON audit_log (target, id);

CREATE TABLE rate_cards (
    id                      INTEGER PRIMARY KEY AUTOINCREMENT,
    name                    TEXT    NOT NULL,
    currency                TEXT    NOT NULL,
    effective_from          INTEGER NOT NULL,
    tier                    TEXT    NOT NULL DEFAULT '',
    vcenter                 TEXT    NOT NULL DEFAULT '',
    cluster                 TEXT    NOT NULL DEFAULT '',
    tag_key                 TEXT    NOT NULL DEFAULT '',
    tag_value               TEXT    NOT NULL DEFAULT '',
    vcpu_day                TEXT    NOT NULL DEFAULT '',
    ram_gb_day              TEXT    NOT NULL DEFAULT '',
    provisioned_disk_gb_day TEXT    NOT NULL DEFAULT '',
    used_disk_gb_day        TEXT    NOT NULL DEFAULT '',
    vm_day                  TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX rate_cards_effective_idx ON rate_cards (effective_from, id);
