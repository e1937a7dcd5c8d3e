-- Version 13: live inventory (store.LiveState).
--
-- inventory_events.live marks an event a watcher appended between captures
-- (inventory.Event.Live); ListEvents reads it back and LiveOnly filters on
-- it.
--
-- live_changes is the change log readers tail by seq (the API's
-- /api/stream): one row per applied change, the row as upserted in data
-- (JSON, NULL for a delete) and the changed JSON field names in fields
-- (a JSON array, NULL when none). AUTOINCREMENT keeps seq growing even
-- after PruneChanges emptied the table (a plain rowid would reuse the
-- largest number). SQLite has one writer at a time, so seq grows in commit
-- order. live_changes_vcenter_idx serves the Vcenter filter,
-- live_changes_at_idx PruneChanges.
ALTER TABLE inventory_events ADD COLUMN live INTEGER NOT NULL DEFAULT 0;

CREATE TABLE live_changes (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    vcenter TEXT    NOT NULL,
    at      INTEGER NOT NULL,
    entity  TEXT    NOT NULL,
    id      TEXT    NOT NULL,
    op      TEXT    NOT NULL,
    name    TEXT    NOT NULL DEFAULT '',
    fields  TEXT,
    data    TEXT
);
CREATE INDEX live_changes_vcenter_idx ON live_changes (vcenter, seq);
CREATE INDEX live_changes_at_idx ON live_changes (at);
