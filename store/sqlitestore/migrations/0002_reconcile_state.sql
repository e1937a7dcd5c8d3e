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

-- Samples without a vm_id resolve to the VM that carried their uuid (or
-- name) most recently (SEMANTICS §2): the aggregation queries look the
-- lifecycle rows up by both.
CREATE INDEX vm_lifecycle_cache_uuid_idx ON vm_lifecycle_cache (vcenter, vm_uuid, last_seen);
CREATE INDEX vm_lifecycle_cache_name_idx ON vm_lifecycle_cache (vcenter, name, last_seen);

-- Reconcile reads the rows of VMs not deleted: an index keeps that read
-- independent of how much deleted history the vCenter has.
CREATE INDEX vm_lifecycle_cache_live_idx ON vm_lifecycle_cache (vcenter, vm_id) WHERE NOT deleted;
