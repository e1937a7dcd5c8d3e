-- Version 8: what the JSON API manages the service through. api_tokens
-- (store.TokenStore) keeps each token's SHA-256, never its secret; a name
-- is unique among the tokens not revoked. audit_log (store.AuditLog) is
-- append-only; before and after are kept as the exact JSON text given.
-- rate_cards (store.RateCardStore) keep prices as the exact decimal text
-- given.
CREATE TABLE api_tokens (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       text COLLATE "C" NOT NULL,
    role       text COLLATE "C" NOT NULL,
    vcenters   jsonb,
    hash       bytea            NOT NULL UNIQUE,
    created_at timestamptz      NOT NULL,
    revoked_at timestamptz,
    created_by text COLLATE "C" NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX api_tokens_live_name_idx ON api_tokens (name) WHERE revoked_at IS NULL;

CREATE TABLE audit_log (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    entry_time  timestamptz      NOT NULL,
    actor       text COLLATE "C" NOT NULL,
    action      text COLLATE "C" NOT NULL,
    target      text COLLATE "C" NOT NULL DEFAULT '',
    remote_addr text COLLATE "C" NOT NULL DEFAULT '',
    "before"    text,
    "after"     text,
    status      integer          NOT NULL DEFAULT 0
);
CREATE INDEX audit_log_actor_idx ON audit_log (actor, id);
CREATE INDEX audit_log_target_idx ON audit_log (target, id);

CREATE TABLE rate_cards (
    id                      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name                    text COLLATE "C" NOT NULL,
    currency                text COLLATE "C" NOT NULL,
    effective_from          timestamptz      NOT NULL,
    tier                    text COLLATE "C" NOT NULL DEFAULT '',
    vcenter                 text COLLATE "C" NOT NULL DEFAULT '',
    cluster                 text COLLATE "C" NOT NULL DEFAULT '',
    tag_key                 text COLLATE "C" NOT NULL DEFAULT '',
    tag_value               text COLLATE "C" NOT NULL DEFAULT '',
    vcpu_day                text COLLATE "C" NOT NULL DEFAULT '',
    ram_gb_day              text COLLATE "C" NOT NULL DEFAULT '',
    provisioned_disk_gb_day text COLLATE "C" NOT NULL DEFAULT '',
    used_disk_gb_day        text COLLATE "C" NOT NULL DEFAULT '',
    vm_day                  text COLLATE "C" NOT NULL DEFAULT ''
);
CREATE INDEX rate_cards_effective_idx ON rate_cards (effective_from, id);
