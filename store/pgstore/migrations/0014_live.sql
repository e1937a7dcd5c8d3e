-- Version 14: live inventory (store.LiveState).
--
-- inventory_events.live marks an event a watcher appended between captures
-- (inventory.Event.Live); ListEvents reads it back and LiveOnly filters on
-- it. The constant default adds the column without rewriting the table.
--
-- live_changes is the change log readers tail by seq (the API's
-- /api/stream): one row per applied change, the row as upserted in data
-- (NULL for a delete) and the changed JSON field names in fields (a JSON
-- array, NULL when none). Every transaction that inserts into live_changes
-- or inventory_events takes one transaction-scoped advisory lock first
-- (sqlstore's sequence lock), so seq and inventory_events.id become
-- visible in commit order across vCenters: a reader tailing by number
-- never skips a row that commits later with a smaller one.
-- live_changes_vcenter_idx serves the Vcenter filter, live_changes_at_idx
-- PruneChanges.
ALTER TABLE inventory_events ADD COLUMN live boolean NOT NULL DEFAULT false;

CREATE TABLE live_changes (
    seq     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    vcenter text COLLATE "C" NOT NULL,
    at      timestamptz      NOT NULL,
    entity  text COLLATE "C" NOT NULL,
    id      text COLLATE "C" NOT NULL,
    op      text COLLATE "C" NOT NULL,
    name    text COLLATE "C" NOT NULL DEFAULT '',
    fields  jsonb,
    data    jsonb
);
CREATE INDEX live_changes_vcenter_idx ON live_changes (vcenter, seq);
CREATE INDEX live_changes_at_idx ON live_changes (at);
