-- Version 11: per-snapshot history of hosts, clusters and datastores
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
ALTER TABLE inv_hosts
    ADD COLUMN cpu_usage_mhz bigint NOT NULL DEFAULT 0,
    ADD COLUMN memory_usage_mb bigint NOT NULL DEFAULT 0;
ALTER TABLE inv_datastores ADD COLUMN uncommitted_gb double precision NOT NULL DEFAULT 0;

CREATE TABLE entity_history_snapshots (
    vcenter       text COLLATE "C" NOT NULL,
    snapshot_time timestamptz NOT NULL,
    PRIMARY KEY (vcenter, snapshot_time)
);

CREATE TABLE host_history (
    vcenter          text COLLATE "C" NOT NULL,
    host_id          text COLLATE "C" NOT NULL,
    name             text COLLATE "C" NOT NULL DEFAULT '',
    datacenter       text COLLATE "C" NOT NULL DEFAULT '',
    cluster_id       text COLLATE "C" NOT NULL DEFAULT '',
    cluster          text COLLATE "C" NOT NULL DEFAULT '',
    connection_state text COLLATE "C" NOT NULL DEFAULT '',
    power_state      text COLLATE "C" NOT NULL DEFAULT '',
    in_maintenance   boolean NOT NULL DEFAULT false,
    vendor           text COLLATE "C" NOT NULL DEFAULT '',
    model            text COLLATE "C" NOT NULL DEFAULT '',
    cpu_model        text COLLATE "C" NOT NULL DEFAULT '',
    cpu_sockets      bigint NOT NULL DEFAULT 0,
    cpu_cores        bigint NOT NULL DEFAULT 0,
    cpu_threads      bigint NOT NULL DEFAULT 0,
    cpu_mhz          bigint NOT NULL DEFAULT 0,
    memory_mb        bigint NOT NULL DEFAULT 0,
    version          text COLLATE "C" NOT NULL DEFAULT '',
    build            text COLLATE "C" NOT NULL DEFAULT '',
    cpu_usage_mhz    bigint NOT NULL DEFAULT 0,
    memory_usage_mb  bigint NOT NULL DEFAULT 0,
    snapshot_time    timestamptz NOT NULL,
    PRIMARY KEY (vcenter, snapshot_time, host_id)
);

CREATE TABLE cluster_history (
    vcenter         text COLLATE "C" NOT NULL,
    cluster_id      text COLLATE "C" NOT NULL,
    name            text COLLATE "C" NOT NULL DEFAULT '',
    datacenter      text COLLATE "C" NOT NULL DEFAULT '',
    num_hosts       bigint NOT NULL DEFAULT 0,
    total_cpu_mhz   bigint NOT NULL DEFAULT 0,
    total_memory_mb bigint NOT NULL DEFAULT 0,
    drs_enabled     boolean NOT NULL DEFAULT false,
    ha_enabled      boolean NOT NULL DEFAULT false,
    snapshot_time   timestamptz NOT NULL,
    PRIMARY KEY (vcenter, snapshot_time, cluster_id)
);
CREATE INDEX cluster_history_id_idx ON cluster_history (vcenter, cluster_id, snapshot_time);

CREATE TABLE datastore_history (
    vcenter        text COLLATE "C" NOT NULL,
    datastore_id   text COLLATE "C" NOT NULL,
    name           text COLLATE "C" NOT NULL DEFAULT '',
    datacenter     text COLLATE "C" NOT NULL DEFAULT '',
    type           text COLLATE "C" NOT NULL DEFAULT '',
    url            text COLLATE "C" NOT NULL DEFAULT '',
    capacity_gb    double precision NOT NULL DEFAULT 0,
    free_gb        double precision NOT NULL DEFAULT 0,
    uncommitted_gb double precision NOT NULL DEFAULT 0,
    accessible     boolean NOT NULL DEFAULT false,
    snapshot_time  timestamptz NOT NULL,
    PRIMARY KEY (vcenter, snapshot_time, datastore_id)
);
CREATE INDEX datastore_history_id_idx ON datastore_history (vcenter, datastore_id, snapshot_time);
