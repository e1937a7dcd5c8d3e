-- Version 10: per-snapshot history of hosts, clusters and datastores
-- (store.EntityHistory), and the usage columns the latest state gains.
--
-- inv_hosts gains the host's CPU and memory usage (summary.quickStats),
-- inv_datastores the space its thin disks may still grow into
-- (summary.uncommitted). Rows stored before read 0.
--
-- entity_history_snapshots records each history snapshot of a vCenter,
-- rows or not: the as-of pick is the latest one at or before a time. The
-- history tables hold the latest-state tables' columns, keyed by
-- (vcenter, snapshot_time, id): a snapshot's rows are one key range, read
-- as of a time and replaced as one. The (vcenter, id, snapshot_time)
-- indexes serve trends of one cluster or datastore.
ALTER TABLE inv_hosts ADD COLUMN cpu_usage_mhz INTEGER NOT NULL DEFAULT 0;
ALTER TABLE inv_hosts ADD COLUMN memory_usage_mb INTEGER NOT NULL DEFAULT 0;
ALTER TABLE inv_datastores ADD COLUMN uncommitted_gb REAL NOT NULL DEFAULT 0;

CREATE TABLE entity_history_snapshots (
    vcenter       TEXT    NOT NULL,
    snapshot_time INTEGER NOT NULL,
    PRIMARY KEY (vcenter, snapshot_time)
) WITHOUT ROWID;

CREATE TABLE host_history (
    vcenter          TEXT    NOT NULL,
    host_id          TEXT    NOT NULL,
    name             TEXT    NOT NULL DEFAULT '',
    datacenter       TEXT    NOT NULL DEFAULT '',
    cluster_id       TEXT    NOT NULL DEFAULT '',
    cluster          TEXT    NOT NULL DEFAULT '',
    connection_state TEXT    NOT NULL DEFAULT '',
    power_state      TEXT    NOT NULL DEFAULT '',
    in_maintenance   INTEGER NOT NULL DEFAULT 0,
    vendor           TEXT    NOT NULL DEFAULT '',
    model            TEXT    NOT NULL DEFAULT '',
    cpu_model        TEXT    NOT NULL DEFAULT '',
    cpu_sockets      INTEGER NOT NULL DEFAULT 0,
    cpu_cores        INTEGER NOT NULL DEFAULT 0,
    cpu_threads      INTEGER NOT NULL DEFAULT 0,
    cpu_mhz          INTEGER NOT NULL DEFAULT 0,
    memory_mb        INTEGER NOT NULL DEFAULT 0,
    version          TEXT    NOT NULL DEFAULT '',
    build            TEXT    NOT NULL DEFAULT '',
    cpu_usage_mhz    INTEGER NOT NULL DEFAULT 0,
    memory_usage_mb  INTEGER NOT NULL DEFAULT 0,
    snapshot_time    INTEGER NOT NULL,
    PRIMARY KEY (vcenter, snapshot_time, host_id)
) WITHOUT ROWID;

CREATE TABLE cluster_history (
    vcenter         TEXT    NOT NULL,
    cluster_id      TEXT    NOT NULL,
    name            TEXT    NOT NULL DEFAULT '',
    datacenter      TEXT    NOT NULL DEFAULT '',
    num_hosts       INTEGER NOT NULL DEFAULT 0,
    total_cpu_mhz   INTEGER NOT NULL DEFAULT 0,
    total_memory_mb INTEGER NOT NULL DEFAULT 0,
    drs_enabled     INTEGER NOT NULL DEFAULT 0,
    ha_enabled      INTEGER NOT NULL DEFAULT 0,
    snapshot_time   INTEGER NOT NULL,
    PRIMARY KEY (vcenter, snapshot_time, cluster_id)
) WITHOUT ROWID;
CREATE INDEX cluster_history_id_idx ON cluster_history (vcenter, cluster_id, snapshot_time);

CREATE TABLE datastore_history (
    vcenter        TEXT    NOT NULL,
    datastore_id   TEXT    NOT NULL,
    name           TEXT    NOT NULL DEFAULT '',
    datacenter     TEXT    NOT NULL DEFAULT '',
    type           TEXT    NOT NULL DEFAULT '',
    url            TEXT    NOT NULL DEFAULT '',
    capacity_gb    REAL    NOT NULL DEFAULT 0,
    free_gb        REAL    NOT NULL DEFAULT 0,
    uncommitted_gb REAL    NOT NULL DEFAULT 0,
    accessible     INTEGER NOT NULL DEFAULT 0,
    snapshot_time  INTEGER NOT NULL,
    PRIMARY KEY (vcenter, snapshot_time, datastore_id)
) WITHOUT ROWID;
CREATE INDEX datastore_history_id_idx ON datastore_history (vcenter, datastore_id, snapshot_time);
