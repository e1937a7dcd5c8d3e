-- vinventory SQLite schema, version 1.
-- Times are INTEGER unix microseconds (UTC), NULL when unknown; booleans
-- are 0/1; maps are JSON text, NULL when empty; durations are nanoseconds.

CREATE TABLE vm_hourly_stats (
    vcenter             TEXT    NOT NULL,
    snapshot_time       INTEGER NOT NULL,
    vm_key              TEXT    NOT NULL,
    vm_id               TEXT    NOT NULL DEFAULT '',
    vm_uuid             TEXT    NOT NULL DEFAULT '',
    name                TEXT    NOT NULL DEFAULT '',
    datacenter          TEXT    NOT NULL DEFAULT '',
    cluster             TEXT    NOT NULL DEFAULT '',
    host                TEXT    NOT NULL DEFAULT '',
    resource_pool       TEXT    NOT NULL DEFAULT '',
    folder              TEXT    NOT NULL DEFAULT '',
    power_state         TEXT    NOT NULL DEFAULT '',
    is_template         INTEGER NOT NULL DEFAULT 0,
    vcpu_count          INTEGER NOT NULL DEFAULT 0,
    ram_mb              INTEGER NOT NULL DEFAULT 0,
    provisioned_disk_gb REAL    NOT NULL DEFAULT 0,
    used_disk_gb        REAL    NOT NULL DEFAULT 0,
    guest_os            TEXT    NOT NULL DEFAULT '',
    ip_address          TEXT    NOT NULL DEFAULT '',
    creation_time       INTEGER,
    attributes          TEXT,
    PRIMARY KEY (vcenter, snapshot_time, vm_key)
) WITHOUT ROWID;
-- The primary key serves (vcenter, snapshot_time) scans. There is
-- deliberately no index leading with the VM identity: with one, every
-- batched write touches one index page per VM, which SQLite writes out at
-- every commit (an order of magnitude off the write throughput). VM traces
-- go through vm_identities and sample_times instead.
CREATE INDEX vm_hourly_stats_time_idx ON vm_hourly_stats (snapshot_time);

-- The snapshot times that have samples, kept exact by every sample write.
CREATE TABLE sample_times (
    vcenter       TEXT    NOT NULL,
    snapshot_time INTEGER NOT NULL,
    PRIMARY KEY (vcenter, snapshot_time)
) WITHOUT ROWID;
CREATE INDEX sample_times_time_idx ON sample_times (snapshot_time);

-- Every (vcenter, vm_key, vm_id, vm_uuid, name) combination ever written,
-- keyed by a hash of it: resolves a VM trace to primary-key lookups.
CREATE TABLE vm_identities (
    ident_hash BLOB NOT NULL PRIMARY KEY,
    vcenter    TEXT NOT NULL,
    vm_key     TEXT NOT NULL,
    vm_id      TEXT NOT NULL DEFAULT '',
    vm_uuid    TEXT NOT NULL DEFAULT '',
    name       TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;
CREATE INDEX vm_identities_vm_id_idx ON vm_identities (vm_id, vcenter);
CREATE INDEX vm_identities_vm_uuid_idx ON vm_identities (vm_uuid, vcenter);
CREATE INDEX vm_identities_name_idx ON vm_identities (name, vcenter);

CREATE TABLE vm_daily_rollup (
    vcenter                 TEXT    NOT NULL,
    day                     INTEGER NOT NULL,
    vm_key                  TEXT    NOT NULL,
    vm_id                   TEXT    NOT NULL DEFAULT '',
    vm_uuid                 TEXT    NOT NULL DEFAULT '',
    name                    TEXT    NOT NULL DEFAULT '',
    datacenter              TEXT    NOT NULL DEFAULT '',
    cluster                 TEXT    NOT NULL DEFAULT '',
    host                    TEXT    NOT NULL DEFAULT '',
    resource_pool           TEXT    NOT NULL DEFAULT '',
    folder                  TEXT    NOT NULL DEFAULT '',
    power_state             TEXT    NOT NULL DEFAULT '',
    guest_os                TEXT    NOT NULL DEFAULT '',
    is_template             INTEGER NOT NULL DEFAULT 0,
    total_samples           INTEGER NOT NULL DEFAULT 0,
    samples_present         INTEGER NOT NULL DEFAULT 0,
    avg_is_present          REAL    NOT NULL DEFAULT 0,
    samples_powered_on      INTEGER NOT NULL DEFAULT 0,
    avg_powered_on          REAL    NOT NULL DEFAULT 0,
    avg_vcpu_count          REAL    NOT NULL DEFAULT 0,
    avg_ram_gb              REAL    NOT NULL DEFAULT 0,
    avg_provisioned_disk_gb REAL    NOT NULL DEFAULT 0,
    avg_used_disk_gb        REAL    NOT NULL DEFAULT 0,
    pool_tin_pct            REAL    NOT NULL DEFAULT 0,
    pool_bronze_pct         REAL    NOT NULL DEFAULT 0,
    pool_silver_pct         REAL    NOT NULL DEFAULT 0,
    pool_gold_pct           REAL    NOT NULL DEFAULT 0,
    first_seen              INTEGER,
    last_seen               INTEGER,
    creation_time           INTEGER,
    deletion_time           INTEGER,
    PRIMARY KEY (vcenter, day, vm_key)
) WITHOUT ROWID;
CREATE INDEX vm_daily_rollup_vm_key_idx ON vm_daily_rollup (vm_key, day);

CREATE TABLE vm_monthly_rollup (
    vcenter                 TEXT    NOT NULL,
    month                   INTEGER NOT NULL,
    vm_key                  TEXT    NOT NULL,
    vm_id                   TEXT    NOT NULL DEFAULT '',
    vm_uuid                 TEXT    NOT NULL DEFAULT '',
    name                    TEXT    NOT NULL DEFAULT '',
    datacenter              TEXT    NOT NULL DEFAULT '',
    cluster                 TEXT    NOT NULL DEFAULT '',
    host                    TEXT    NOT NULL DEFAULT '',
    resource_pool           TEXT    NOT NULL DEFAULT '',
    folder                  TEXT    NOT NULL DEFAULT '',
    power_state             TEXT    NOT NULL DEFAULT '',
    guest_os                TEXT    NOT NULL DEFAULT '',
    is_template             INTEGER NOT NULL DEFAULT 0,
    total_samples           INTEGER NOT NULL DEFAULT 0,
    samples_present         INTEGER NOT NULL DEFAULT 0,
    avg_is_present          REAL    NOT NULL DEFAULT 0,
    samples_powered_on      INTEGER NOT NULL DEFAULT 0,
    avg_powered_on          REAL    NOT NULL DEFAULT 0,
    avg_vcpu_count          REAL    NOT NULL DEFAULT 0,
    avg_ram_gb              REAL    NOT NULL DEFAULT 0,
    avg_provisioned_disk_gb REAL    NOT NULL DEFAULT 0,
    avg_used_disk_gb        REAL    NOT NULL DEFAULT 0,
    pool_tin_pct            REAL    NOT NULL DEFAULT 0,
    pool_bronze_pct         REAL    NOT NULL DEFAULT 0,
    pool_silver_pct         REAL    NOT NULL DEFAULT 0,
    pool_gold_pct           REAL    NOT NULL DEFAULT 0,
    first_seen              INTEGER,
    last_seen               INTEGER,
    creation_time           INTEGER,
    deletion_time           INTEGER,
    days_present            INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (vcenter, month, vm_key)
) WITHOUT ROWID;
CREATE INDEX vm_monthly_rollup_vm_key_idx ON vm_monthly_rollup (vm_key, month);

CREATE TABLE vm_lifecycle_cache (
    vcenter         TEXT    NOT NULL,
    vm_id           TEXT    NOT NULL,
    vm_uuid         TEXT    NOT NULL DEFAULT '',
    name            TEXT    NOT NULL DEFAULT '',
    first_seen      INTEGER,
    last_seen       INTEGER,
    creation_time   INTEGER,
    creation_source TEXT    NOT NULL DEFAULT '',
    deletion_time   INTEGER,
    deletion_source TEXT    NOT NULL DEFAULT '',
    deleted         INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (vcenter, vm_id)
) WITHOUT ROWID;

CREATE TABLE vcenter_totals (
    vcenter                   TEXT    NOT NULL,
    snapshot_time             INTEGER NOT NULL,
    vm_count                  INTEGER NOT NULL DEFAULT 0,
    template_count            INTEGER NOT NULL DEFAULT 0,
    powered_on_count          INTEGER NOT NULL DEFAULT 0,
    vcpu_total                INTEGER NOT NULL DEFAULT 0,
    ram_gb_total              REAL    NOT NULL DEFAULT 0,
    provisioned_disk_gb_total REAL    NOT NULL DEFAULT 0,
    host_count                INTEGER NOT NULL DEFAULT 0,
    cluster_count             INTEGER NOT NULL DEFAULT 0,
    datastore_count           INTEGER NOT NULL DEFAULT 0,
    datastore_capacity_gb     REAL    NOT NULL DEFAULT 0,
    datastore_free_gb         REAL    NOT NULL DEFAULT 0,
    PRIMARY KEY (vcenter, snapshot_time)
) WITHOUT ROWID;

CREATE TABLE vcenter_latest_totals (
    vcenter                   TEXT    NOT NULL PRIMARY KEY,
    snapshot_time             INTEGER NOT NULL,
    vm_count                  INTEGER NOT NULL DEFAULT 0,
    template_count            INTEGER NOT NULL DEFAULT 0,
    powered_on_count          INTEGER NOT NULL DEFAULT 0,
    vcpu_total                INTEGER NOT NULL DEFAULT 0,
    ram_gb_total              REAL    NOT NULL DEFAULT 0,
    provisioned_disk_gb_total REAL    NOT NULL DEFAULT 0,
    host_count                INTEGER NOT NULL DEFAULT 0,
    cluster_count             INTEGER NOT NULL DEFAULT 0,
    datastore_count           INTEGER NOT NULL DEFAULT 0,
    datastore_capacity_gb     REAL    NOT NULL DEFAULT 0,
    datastore_free_gb         REAL    NOT NULL DEFAULT 0
) WITHOUT ROWID;

CREATE TABLE vcenter_aggregate_totals (
    vcenter                   TEXT    NOT NULL,
    granularity               TEXT    NOT NULL,
    period_start              INTEGER NOT NULL,
    snapshot_count            INTEGER NOT NULL DEFAULT 0,
    vm_count                  REAL    NOT NULL DEFAULT 0,
    template_count            REAL    NOT NULL DEFAULT 0,
    powered_on_count          REAL    NOT NULL DEFAULT 0,
    vcpu_total                REAL    NOT NULL DEFAULT 0,
    ram_gb_total              REAL    NOT NULL DEFAULT 0,
    provisioned_disk_gb_total REAL    NOT NULL DEFAULT 0,
    host_count                REAL    NOT NULL DEFAULT 0,
    cluster_count             REAL    NOT NULL DEFAULT 0,
    datastore_count           REAL    NOT NULL DEFAULT 0,
    datastore_capacity_gb     REAL    NOT NULL DEFAULT 0,
    datastore_free_gb         REAL    NOT NULL DEFAULT 0,
    PRIMARY KEY (vcenter, granularity, period_start)
) WITHOUT ROWID;

CREATE TABLE snapshot_registry (
    vcenter       TEXT    NOT NULL,
    kind          TEXT    NOT NULL,
    snapshot_time INTEGER NOT NULL,
    table_name    TEXT    NOT NULL DEFAULT '',
    row_count     INTEGER NOT NULL DEFAULT 0,
    duration      INTEGER NOT NULL DEFAULT 0,
    registered_at INTEGER,
    PRIMARY KEY (vcenter, kind, snapshot_time)
) WITHOUT ROWID;
CREATE INDEX snapshot_registry_time_idx ON snapshot_registry (snapshot_time);

CREATE TABLE inventory_events (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    vcenter       TEXT    NOT NULL,
    snapshot_time INTEGER NOT NULL,
    kind          TEXT    NOT NULL,
    vm_id         TEXT    NOT NULL DEFAULT '',
    vm_uuid       TEXT    NOT NULL DEFAULT '',
    name          TEXT    NOT NULL DEFAULT '',
    "before"      TEXT,
    "after"       TEXT,
    UNIQUE (vcenter, snapshot_time, kind, vm_id)
);
CREATE INDEX inventory_events_time_idx ON inventory_events (snapshot_time, id);
CREATE INDEX inventory_events_vm_idx ON inventory_events (vm_id, snapshot_time);

CREATE TABLE endpoints (
    name          TEXT    NOT NULL PRIMARY KEY,
    url           TEXT    NOT NULL DEFAULT '',
    kind          TEXT    NOT NULL DEFAULT '',
    username      TEXT    NOT NULL DEFAULT '',
    credential    BLOB,
    tls           TEXT,
    tags          TEXT,
    poll_interval INTEGER NOT NULL DEFAULT 0,
    enabled       INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER,
    updated_at    INTEGER
) WITHOUT ROWID;

CREATE TABLE endpoint_status (
    endpoint             TEXT    NOT NULL PRIMARY KEY,
    last_attempt         INTEGER,
    last_success         INTEGER,
    last_error           TEXT    NOT NULL DEFAULT '',
    last_duration        INTEGER NOT NULL DEFAULT 0,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    counts               TEXT
) WITHOUT ROWID;

-- Latest-state inventory, one set per vCenter, replaced by WriteSnapshot.
CREATE TABLE inv_state (
    vcenter       TEXT    NOT NULL PRIMARY KEY,
    snapshot_time INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE inv_vms (
    vcenter             TEXT    NOT NULL,
    vm_id               TEXT    NOT NULL,
    vm_uuid             TEXT    NOT NULL DEFAULT '',
    name                TEXT    NOT NULL DEFAULT '',
    datacenter          TEXT    NOT NULL DEFAULT '',
    cluster             TEXT    NOT NULL DEFAULT '',
    host                TEXT    NOT NULL DEFAULT '',
    host_id             TEXT    NOT NULL DEFAULT '',
    resource_pool       TEXT    NOT NULL DEFAULT '',
    resource_pool_id    TEXT    NOT NULL DEFAULT '',
    folder              TEXT    NOT NULL DEFAULT '',
    power_state         TEXT    NOT NULL DEFAULT '',
    is_template         INTEGER NOT NULL DEFAULT 0,
    vcpu_count          INTEGER NOT NULL DEFAULT 0,
    ram_mb              INTEGER NOT NULL DEFAULT 0,
    provisioned_disk_gb REAL    NOT NULL DEFAULT 0,
    used_disk_gb        REAL    NOT NULL DEFAULT 0,
    guest_os            TEXT    NOT NULL DEFAULT '',
    ip_address          TEXT    NOT NULL DEFAULT '',
    creation_time       INTEGER,
    attributes          TEXT,
    snapshot_time       INTEGER NOT NULL,
    PRIMARY KEY (vcenter, vm_id)
) WITHOUT ROWID;
CREATE INDEX inv_vms_host_idx ON inv_vms (vcenter, host_id);
CREATE INDEX inv_vms_pool_idx ON inv_vms (vcenter, resource_pool_id);

CREATE TABLE vm_datastores (
    vcenter      TEXT NOT NULL,
    vm_id        TEXT NOT NULL,
    datastore_id TEXT NOT NULL,
    PRIMARY KEY (vcenter, vm_id, datastore_id)
) WITHOUT ROWID;
CREATE INDEX vm_datastores_datastore_idx ON vm_datastores (vcenter, datastore_id);

CREATE TABLE vm_networks (
    vcenter    TEXT NOT NULL,
    vm_id      TEXT NOT NULL,
    network_id TEXT NOT NULL,
    PRIMARY KEY (vcenter, vm_id, network_id)
) WITHOUT ROWID;
CREATE INDEX vm_networks_network_idx ON vm_networks (vcenter, network_id);

CREATE TABLE inv_hosts (
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
    snapshot_time    INTEGER NOT NULL,
    PRIMARY KEY (vcenter, host_id)
) WITHOUT ROWID;
CREATE INDEX inv_hosts_cluster_idx ON inv_hosts (vcenter, cluster_id);

CREATE TABLE inv_clusters (
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
    PRIMARY KEY (vcenter, cluster_id)
) WITHOUT ROWID;

CREATE TABLE inv_datastores (
    vcenter       TEXT    NOT NULL,
    datastore_id  TEXT    NOT NULL,
    name          TEXT    NOT NULL DEFAULT '',
    datacenter    TEXT    NOT NULL DEFAULT '',
    type          TEXT    NOT NULL DEFAULT '',
    url           TEXT    NOT NULL DEFAULT '',
    capacity_gb   REAL    NOT NULL DEFAULT 0,
    free_gb       REAL    NOT NULL DEFAULT 0,
    accessible    INTEGER NOT NULL DEFAULT 0,
    snapshot_time INTEGER NOT NULL,
    PRIMARY KEY (vcenter, datastore_id)
) WITHOUT ROWID;

CREATE TABLE datastore_hosts (
    vcenter      TEXT NOT NULL,
    datastore_id TEXT NOT NULL,
    host_id      TEXT NOT NULL,
    PRIMARY KEY (vcenter, datastore_id, host_id)
) WITHOUT ROWID;
CREATE INDEX datastore_hosts_host_idx ON datastore_hosts (vcenter, host_id);

CREATE TABLE inv_networks (
    vcenter       TEXT    NOT NULL,
    network_id    TEXT    NOT NULL,
    name          TEXT    NOT NULL DEFAULT '',
    datacenter    TEXT    NOT NULL DEFAULT '',
    kind          TEXT    NOT NULL DEFAULT '',
    switch        TEXT    NOT NULL DEFAULT '',
    vlan          TEXT    NOT NULL DEFAULT '',
    snapshot_time INTEGER NOT NULL,
    PRIMARY KEY (vcenter, network_id)
) WITHOUT ROWID;

CREATE TABLE inv_resource_pools (
    vcenter         TEXT    NOT NULL,
    pool_id         TEXT    NOT NULL,
    name            TEXT    NOT NULL DEFAULT '',
    path            TEXT    NOT NULL DEFAULT '',
    datacenter      TEXT    NOT NULL DEFAULT '',
    cluster_id      TEXT    NOT NULL DEFAULT '',
    cluster         TEXT    NOT NULL DEFAULT '',
    parent_id       TEXT    NOT NULL DEFAULT '',
    cpu_limit_mhz   INTEGER NOT NULL DEFAULT 0,
    memory_limit_mb INTEGER NOT NULL DEFAULT 0,
    snapshot_time   INTEGER NOT NULL,
    PRIMARY KEY (vcenter, pool_id)
) WITHOUT ROWID;
CREATE INDEX inv_resource_pools_cluster_idx ON inv_resource_pools (vcenter, cluster_id);
