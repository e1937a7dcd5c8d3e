-- Version 2: exactly-once reconcile and kept endpoint events (SEMANTICS §3).
-- reconcile_state holds each vCenter's reconciled watermark: registered
-- hourly snapshots after it are still to be reconciled, in order. A
-- database from before this version was reconciled through its newest
-- hourly snapshot.
CREATE TABLE reconcile_state (
    vcenter            TEXT    NOT NULL PRIMARY KEY,
    reconciled_through INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO reconcile_state (vcenter, reconciled_through)
SELECT vcenter, max(snapshot_time) FROM snapshot_registry WHERE kind = 'hourly' GROUP BY vcenter;

-- The VM creation and removal events read from each endpoint, kept so a
-- VM first seen after a later snapshot still gets its creation event.
CREATE TABLE vm_endpoint_events (
    vcenter    TEXT    NOT NULL,
    vm_id      TEXT    NOT NULL,
    kind       TEXT    NOT NULL,
    event_time INTEGER NOT NULL,
    PRIMARY KEY (vcenter, vm_id, event_time, kind)
) WITHOUT ROWID;
