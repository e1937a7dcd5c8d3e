-- vinventory PostgreSQL schema, version 1. Applied with search_path set to
-- the store's schema. Times are timestamptz (NULL when unknown), maps are
-- jsonb (NULL when empty), durations are bigint nanoseconds. Text columns
-- use the "C" collation so every ordering (and keyset pagination) matches
-- Go's byte order, as in the other backends.

CREATE TABLE vm_hourly_stats (
    vcenter             text COLLATE "C" NOT NULL,
    snapshot_time       timestamptz      NOT NULL,
    vm_key              text COLLATE "C" NOT NULL,
    vm_id               text COLLATE "C" NOT NULL DEFAULT '',
    vm_uuid             text COLLATE "C" NOT NULL DEFAULT '',
    name                text COLLATE "C" NOT NULL DEFAULT '',
    datacenter          text COLLATE "C" NOT NULL DEFAULT '',
    cluster             text COLLATE "C" NOT NULL DEFAULT '',
    host                text COLLATE "C" NOT NULL DEFAULT '',
    resource_pool       text COLLATE "C" NOT NULL DEFAULT '',
    folder              text COLLATE "C" NOT NULL DEFAULT '',
    power_state         text COLLATE "C" NOT NULL DEFAULT '',
    is_template         boolean          NOT NULL DEFAULT false,
    vcpu_count          bigint           NOT NULL DEFAULT 0,
    ram_mb              bigint           NOT NULL DEFAULT 0,
    provisioned_disk_gb double precision NOT NULL DEFAULT 0,
    used_disk_gb        double precision NOT NULL DEFAULT 0,
    guest_os            text COLLATE "C" NOT NULL DEFAULT '',
    ip_address          text COLLATE "C" NOT NULL DEFAULT '',
    creation_time       timestamptz,
    attributes          jsonb,
    PRIMARY KEY (vcenter, snapshot_time, vm_key)
){{if .Partitioned}} PARTITION BY RANGE (snapshot_time){{end}};
-- The indexes of ARCHITECTURE.md's list:
--   (vcenter, snapshot_time): the primary key, whose leading columns they
--     are, serves it (a separate btree would only duplicate it).
--   (snapshot_time): a BRIN index. Samples arrive in time order, so each
--     range of heap pages covers a narrow span of times; time-range scans
--     and retention deletes use it as a bitmap index scan, and it costs next
--     to nothing to maintain (a btree on it was 12% of the server's work per
--     COPYed row). Rows later written into space freed by retention deletes
--     widen the ranges they land in; the monthly partitioning avoids that.
--   (vcenter, vm_id|vm_uuid|name, snapshot_time): the VM-first lookups,
--     unless the store was migrated with Options.NoTraceIndexes. TraceVM
--     does not need them (it goes through vm_identities, sample_times and
--     primary-key lookups); each costs one btree insertion per sample at a
--     different place per VM, the bulk of a write's cost.
CREATE INDEX vm_hourly_stats_time_idx ON vm_hourly_stats USING brin (snapshot_time);
{{- if .TraceIndexes}}
CREATE INDEX vm_hourly_stats_vm_id_idx ON vm_hourly_stats (vcenter, vm_id, snapshot_time);
CREATE INDEX vm_hourly_stats_vm_uuid_idx ON vm_hourly_stats (vcenter, vm_uuid, snapshot_time);
CREATE INDEX vm_hourly_stats_name_idx ON vm_hourly_stats (vcenter, name, snapshot_time);
{{- end}}

-- The snapshot times that have samples, kept exact by every sample write.
CREATE TABLE sample_times (
    vcenter       text COLLATE "C" NOT NULL,
    snapshot_time timestamptz      NOT NULL,
    PRIMARY KEY (vcenter, snapshot_time)
);
CREATE INDEX sample_times_time_idx ON sample_times (snapshot_time);

-- Every (vcenter, vm_key, vm_id, vm_uuid, name) combination ever written,
-- keyed by a hash of it: resolves a VM trace to primary-key lookups, the
-- same way in every backend.
CREATE TABLE vm_identities (
    ident_hash bytea            NOT NULL PRIMARY KEY,
    vcenter    text COLLATE "C" NOT NULL,
    vm_key     text COLLATE "C" NOT NULL,
    vm_id      text COLLATE "C" NOT NULL DEFAULT '',
    vm_uuid    text COLLATE "C" NOT NULL DEFAULT '',
    name       text COLLATE "C" NOT NULL DEFAULT ''
);
CREATE INDEX vm_identities_vm_id_idx ON vm_identities (vm_id, vcenter);
CREATE INDEX vm_identities_vm_uuid_idx ON vm_identities (vm_uuid, vcenter);
CREATE INDEX vm_identities_name_idx ON vm_identities (name, vcenter);

CREATE TABLE vm_daily_rollup (
    vcenter                 text COLLATE "C" NOT NULL,
    day                     timestamptz      NOT NULL,
    vm_key                  text COLLATE "C" NOT NULL,
    vm_id                   text COLLATE "C" NOT NULL DEFAULT '',
    vm_uuid                 text COLLATE "C" NOT NULL DEFAULT '',
    name                    text COLLATE "C" NOT NULL DEFAULT '',
    datacenter              text COLLATE "C" NOT NULL DEFAULT '',
    cluster                 text COLLATE "C" NOT NULL DEFAULT '',
    host                    text COLLATE "C" NOT NULL DEFAULT '',
    resource_pool           text COLLATE "C" NOT NULL DEFAULT '',
    folder                  text COLLATE "C" NOT NULL DEFAULT '',
    power_state             text COLLATE "C" NOT NULL DEFAULT '',
    guest_os                text COLLATE "C" NOT NULL DEFAULT '',
    is_template             boolean          NOT NULL DEFAULT false,
    total_samples           bigint           NOT NULL DEFAULT 0,
    samples_present         bigint           NOT NULL DEFAULT 0,
    avg_is_present          double precision NOT NULL DEFAULT 0,
    samples_powered_on      bigint           NOT NULL DEFAULT 0,
    avg_powered_on          double precision NOT NULL DEFAULT 0,
    avg_vcpu_count          double precision NOT NULL DEFAULT 0,
    avg_ram_gb              double precision NOT NULL DEFAULT 0,
    avg_provisioned_disk_gb double precision NOT NULL DEFAULT 0,
    avg_used_disk_gb        double precision NOT NULL DEFAULT 0,
    pool_tin_pct            double precision NOT NULL DEFAULT 0,
    pool_bronze_pct         double precision NOT NULL DEFAULT 0,
    pool_silver_pct         double precision NOT NULL DEFAULT 0,
    pool_gold_pct           double precision NOT NULL DEFAULT 0,
    first_seen              timestamptz,
    last_seen               timestamptz,
    creation_time           timestamptz,
    deletion_time           timestamptz,
    PRIMARY KEY (vcenter, day, vm_key)
);
CREATE INDEX vm_daily_rollup_vm_key_idx ON vm_daily_rollup (vm_key, day);

CREATE TABLE vm_monthly_rollup (
    vcenter                 text COLLATE "C" NOT NULL,
    month                   timestamptz      NOT NULL,
    vm_key                  text COLLATE "C" NOT NULL,
    vm_id                   text COLLATE "C" NOT NULL DEFAULT '',
    vm_uuid                 text COLLATE "C" NOT NULL DEFAULT '',
    name                    text COLLATE "C" NOT NULL DEFAULT '',
    datacenter              text COLLATE "C" NOT NULL DEFAULT '',
    cluster                 text COLLATE "C" NOT NULL DEFAULT '',
    host                    text COLLATE "C" NOT NULL DEFAULT '',
    resource_pool           text COLLATE "C" NOT NULL DEFAULT '',
    folder                  text COLLATE "C" NOT NULL DEFAULT '',
    power_state             text COLLATE "C" NOT NULL DEFAULT '',
    guest_os                text COLLATE "C" NOT NULL DEFAULT '',
    is_template             boolean          NOT NULL DEFAULT false,
    total_samples           bigint           NOT NULL DEFAULT 0,
    samples_present         bigint           NOT NULL DEFAULT 0,
    avg_is_present          double precision NOT NULL DEFAULT 0,
    samples_powered_on      bigint           NOT NULL DEFAULT 0,
    avg_powered_on          double precision NOT NULL DEFAULT 0,
    avg_vcpu_count          double precision NOT NULL DEFAULT 0,
    avg_ram_gb              double precision NOT NULL DEFAULT 0,
    avg_provisioned_disk_gb double precision NOT NULL DEFAULT 0,
    avg_used_disk_gb        double precision NOT NULL DEFAULT 0,
    pool_tin_pct            double precision NOT NULL DEFAULT 0,
    pool_bronze_pct         double precision NOT NULL DEFAULT 0,
    pool_silver_pct         double precision NOT NULL DEFAULT 0,
    pool_gold_pct           double precision NOT NULL DEFAULT 0,
    first_seen              timestamptz,
    last_seen               timestamptz,
    creation_time           timestamptz,
    deletion_time           timestamptz,
    days_present            bigint           NOT NULL DEFAULT 0,
    PRIMARY KEY (vcenter, month, vm_key)
);
CREATE INDEX vm_monthly_rollup_vm_key_idx ON vm_monthly_rollup (vm_key, month);

CREATE TABLE vm_lifecycle_cache (
    vcenter         text COLLATE "C" NOT NULL,
    vm_id           text COLLATE "C" NOT NULL,
    vm_uuid         text COLLATE "C" NOT NULL DEFAULT '',
    name            text COLLATE "C" NOT NULL DEFAULT '',
    first_seen      timestamptz,
    last_seen       timestamptz,
    creation_time   timestamptz,
    creation_source text COLLATE "C" NOT NULL DEFAULT '',
    deletion_time   timestamptz,
    deletion_source text COLLATE "C" NOT NULL DEFAULT '',
    deleted         boolean          NOT NULL DEFAULT false,
    PRIMARY KEY (vcenter, vm_id)
);
CREATE INDEX vm_lifecycle_cache_deleted_idx ON vm_lifecycle_cache (vcenter, deleted);

CREATE TABLE vcenter_totals (
    vcenter                   text COLLATE "C" NOT NULL,
    snapshot_time             timestamptz      NOT NULL,
    vm_count                  bigint           NOT NULL DEFAULT 0,
    template_count            bigint           NOT NULL DEFAULT 0,
    powered_on_count          bigint           NOT NULL DEFAULT 0,
    vcpu_total                bigint           NOT NULL DEFAULT 0,
    ram_gb_total              double precision NOT NULL DEFAULT 0,
    provisioned_disk_gb_total double precision NOT NULL DEFAULT 0,
    host_count                bigint           NOT NULL DEFAULT 0,
    cluster_count             bigint           NOT NULL DEFAULT 0,
    datastore_count           bigint           NOT NULL DEFAULT 0,
    datastore_capacity_gb     double precision NOT NULL DEFAULT 0,
    datastore_free_gb         double precision NOT NULL DEFAULT 0,
    PRIMARY KEY (vcenter, snapshot_time)
);

CREATE TABLE vcenter_latest_totals (
    vcenter                   text COLLATE "C" NOT NULL PRIMARY KEY,
    snapshot_time             timestamptz      NOT NULL,
    vm_count                  bigint           NOT NULL DEFAULT 0,
    template_count            bigint           NOT NULL DEFAULT 0,
    powered_on_count          bigint           NOT NULL DEFAULT 0,
    vcpu_total                bigint           NOT NULL DEFAULT 0,
    ram_gb_total              double precision NOT NULL DEFAULT 0,
    provisioned_disk_gb_total double precision NOT NULL DEFAULT 0,
    host_count                bigint           NOT NULL DEFAULT 0,
    cluster_count             bigint           NOT NULL DEFAULT 0,
    datastore_count           bigint           NOT NULL DEFAULT 0,
    datastore_capacity_gb     double precision NOT NULL DEFAULT 0,
    datastore_free_gb         double precision NOT NULL DEFAULT 0
);

CREATE TABLE vcenter_aggregate_totals (
    vcenter                   text COLLATE "C" NOT NULL,
    granularity               text COLLATE "C" NOT NULL,
    period_start              timestamptz      NOT NULL,
    snapshot_count            bigint           NOT NULL DEFAULT 0,
    vm_count                  double precision NOT NULL DEFAULT 0,
    template_count            double precision NOT NULL DEFAULT 0,
    powered_on_count          double precision NOT NULL DEFAULT 0,
    vcpu_total                double precision NOT NULL DEFAULT 0,
    ram_gb_total              double precision NOT NULL DEFAULT 0,
    provisioned_disk_gb_total double precision NOT NULL DEFAULT 0,
    host_count                double precision NOT NULL DEFAULT 0,
    cluster_count             double precision NOT NULL DEFAULT 0,
    datastore_count           double precision NOT NULL DEFAULT 0,
    datastore_capacity_gb     double precision NOT NULL DEFAULT 0,
    datastore_free_gb         double precision NOT NULL DEFAULT 0,
    PRIMARY KEY (vcenter, granularity, period_start)
);

CREATE TABLE snapshot_registry (
    vcenter       text COLLATE "C" NOT NULL,
    kind          text COLLATE "C" NOT NULL,
    snapshot_time timestamptz      NOT NULL,
    table_name    text COLLATE "C" NOT NULL DEFAULT '',
    row_count     bigint           NOT NULL DEFAULT 0,
    duration      bigint           NOT NULL DEFAULT 0,
    registered_at timestamptz,
    PRIMARY KEY (vcenter, kind, snapshot_time)
);
CREATE INDEX snapshot_registry_time_idx ON snapshot_registry (snapshot_time);

CREATE TABLE inventory_events (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    vcenter       text COLLATE "C" NOT NULL,
    snapshot_time timestamptz      NOT NULL,
    kind          text COLLATE "C" NOT NULL,
    vm_id         text COLLATE "C" NOT NULL DEFAULT '',
    vm_uuid       text COLLATE "C" NOT NULL DEFAULT '',
    name          text COLLATE "C" NOT NULL DEFAULT '',
    "before"      jsonb,
    "after"       jsonb,
    UNIQUE (vcenter, snapshot_time, kind, vm_id)
);
CREATE INDEX inventory_events_time_idx ON inventory_events (snapshot_time, id);
CREATE INDEX inventory_events_vm_idx ON inventory_events (vm_id, snapshot_time);

CREATE TABLE endpoints (
    name          text COLLATE "C" NOT NULL PRIMARY KEY,
    url           text COLLATE "C" NOT NULL DEFAULT '',
    kind          text COLLATE "C" NOT NULL DEFAULT '',
    username      text COLLATE "C" NOT NULL DEFAULT '',
    credential    bytea,
    tls           jsonb,
    tags          jsonb,
    poll_interval bigint           NOT NULL DEFAULT 0,
    enabled       boolean          NOT NULL DEFAULT false,
    created_at    timestamptz,
    updated_at    timestamptz
);

CREATE TABLE endpoint_status (
    endpoint             text COLLATE "C" NOT NULL PRIMARY KEY,
    last_attempt         timestamptz,
    last_success         timestamptz,
    last_error           text COLLATE "C" NOT NULL DEFAULT '',
    last_duration        bigint           NOT NULL DEFAULT 0,
    consecutive_failures bigint           NOT NULL DEFAULT 0,
    counts               jsonb
);

-- Latest-state inventory, one set per vCenter, replaced by WriteSnapshot.
CREATE TABLE inv_state (
    vcenter       text COLLATE "C" NOT NULL PRIMARY KEY,
    snapshot_time timestamptz      NOT NULL
);

CREATE TABLE inv_vms (
    vcenter             text COLLATE "C" NOT NULL,
    vm_id               text COLLATE "C" NOT NULL,
    vm_uuid             text COLLATE "C" NOT NULL DEFAULT '',
    name                text COLLATE "C" NOT NULL DEFAULT '',
    datacenter          text COLLATE "C" NOT NULL DEFAULT '',
    cluster             text COLLATE "C" NOT NULL DEFAULT '',
    host                text COLLATE "C" NOT NULL DEFAULT '',
    host_id             text COLLATE "C" NOT NULL DEFAULT '',
    resource_pool       text COLLATE "C" NOT NULL DEFAULT '',
    resource_pool_id    text COLLATE "C" NOT NULL DEFAULT '',
    folder              text COLLATE "C" NOT NULL DEFAULT '',
    power_state         text COLLATE "C" NOT NULL DEFAULT '',
    is_template         boolean          NOT NULL DEFAULT false,
    vcpu_count          bigint           NOT NULL DEFAULT 0,
    ram_mb              bigint           NOT NULL DEFAULT 0,
    provisioned_disk_gb double precision NOT NULL DEFAULT 0,
    used_disk_gb        double precision NOT NULL DEFAULT 0,
    guest_os            text COLLATE "C" NOT NULL DEFAULT '',
    ip_address          text COLLATE "C" NOT NULL DEFAULT '',
    creation_time       timestamptz,
    attributes          jsonb,
    snapshot_time       timestamptz      NOT NULL,
    PRIMARY KEY (vcenter, vm_id)
);
CREATE INDEX inv_vms_host_idx ON inv_vms (vcenter, host_id);
CREATE INDEX inv_vms_pool_idx ON inv_vms (vcenter, resource_pool_id);

CREATE TABLE vm_datastores (
    vcenter      text COLLATE "C" NOT NULL,
    vm_id        text COLLATE "C" NOT NULL,
    datastore_id text COLLATE "C" NOT NULL,
    PRIMARY KEY (vcenter, vm_id, datastore_id)
);
CREATE INDEX vm_datastores_datastore_idx ON vm_datastores (vcenter, datastore_id);

CREATE TABLE vm_networks (
    vcenter    text COLLATE "C" NOT NULL,
    vm_id      text COLLATE "C" NOT NULL,
    network_id text COLLATE "C" NOT NULL,
    PRIMARY KEY (vcenter, vm_id, network_id)
);
CREATE INDEX vm_networks_network_idx ON vm_networks (vcenter, network_id);

CREATE TABLE inv_hosts (
    vcenter          text COLLATE "C" NOT NULL,
    host_id          text COLLATE "C" NOT NULL,
    name             text COLLATE "C" NOT NULL DEFAULT '',
    datacenter       text COLLATE "C" NOT NULL DEFAULT '',
    cluster_id       text COLLATE "C" NOT NULL DEFAULT '',
    cluster          text COLLATE "C" NOT NULL DEFAULT '',
    connection_state text COLLATE "C" NOT NULL DEFAULT '',
    power_state      text COLLATE "C" NOT NULL DEFAULT '',
    in_maintenance   boolean          NOT NULL DEFAULT false,
    vendor           text COLLATE "C" NOT NULL DEFAULT '',
    model            text COLLATE "C" NOT NULL DEFAULT '',
    cpu_model        text COLLATE "C" NOT NULL DEFAULT '',
    cpu_sockets      bigint           NOT NULL DEFAULT 0,
    cpu_cores        bigint           NOT NULL DEFAULT 0,
    cpu_threads      bigint           NOT NULL DEFAULT 0,
    cpu_mhz          bigint           NOT NULL DEFAULT 0,
    memory_mb        bigint           NOT NULL DEFAULT 0,
    version          text COLLATE "C" NOT NULL DEFAULT '',
    build            text COLLATE "C" NOT NULL DEFAULT '',
    snapshot_time    timestamptz      NOT NULL,
    PRIMARY KEY (vcenter, host_id)
);
CREATE INDEX inv_hosts_cluster_idx ON inv_hosts (vcenter, cluster_id);

CREATE TABLE inv_clusters (
    vcenter         text COLLATE "C" NOT NULL,
    cluster_id      text COLLATE "C" NOT NULL,
    name            text COLLATE "C" NOT NULL DEFAULT '',
    datacenter      text COLLATE "C" NOT NULL DEFAULT '',
    num_hosts       bigint           NOT NULL DEFAULT 0,
    total_cpu_mhz   bigint           NOT NULL DEFAULT 0,
    total_memory_mb bigint           NOT NULL DEFAULT 0,
    drs_enabled     boolean          NOT NULL DEFAULT false,
    ha_enabled      boolean          NOT NULL DEFAULT false,
    snapshot_time   timestamptz      NOT NULL,
    PRIMARY KEY (vcenter, cluster_id)
);

CREATE TABLE inv_datastores (
    vcenter       text COLLATE "C" NOT NULL,
    datastore_id  text COLLATE "C" NOT NULL,
    name          text COLLATE "C" NOT NULL DEFAULT '',
    datacenter    text COLLATE "C" NOT NULL DEFAULT '',
    type          text COLLATE "C" NOT NULL DEFAULT '',
    url           text COLLATE "C" NOT NULL DEFAULT '',
    capacity_gb   double precision NOT NULL DEFAULT 0,
    free_gb       double precision NOT NULL DEFAULT 0,
    accessible    boolean          NOT NULL DEFAULT false,
    snapshot_time timestamptz      NOT NULL,
    PRIMARY KEY (vcenter, datastore_id)
);

CREATE TABLE datastore_hosts (
    vcenter      text COLLATE "C" NOT NULL,
    datastore_id text COLLATE "C" NOT NULL,
    host_id      text COLLATE "C" NOT NULL,
    PRIMARY KEY (vcenter, datastore_id, host_id)
);
CREATE INDEX datastore_hosts_host_idx ON datastore_hosts (vcenter, host_id);

CREATE TABLE inv_networks (
    vcenter       text COLLATE "C" NOT NULL,
    network_id    text COLLATE "C" NOT NULL,
    name          text COLLATE "C" NOT NULL DEFAULT '',
    datacenter    text COLLATE "C" NOT NULL DEFAULT '',
    kind          text COLLATE "C" NOT NULL DEFAULT '',
    switch        text COLLATE "C" NOT NULL DEFAULT '',
    vlan          text COLLATE "C" NOT NULL DEFAULT '',
    snapshot_time timestamptz      NOT NULL,
    PRIMARY KEY (vcenter, network_id)
);

CREATE TABLE inv_resource_pools (
    vcenter         text COLLATE "C" NOT NULL,
    pool_id         text COLLATE "C" NOT NULL,
    name            text COLLATE "C" NOT NULL DEFAULT '',
    path            text COLLATE "C" NOT NULL DEFAULT '',
    datacenter      text COLLATE "C" NOT NULL DEFAULT '',
    cluster_id      text COLLATE "C" NOT NULL DEFAULT '',
    cluster         text COLLATE "C" NOT NULL DEFAULT '',
    parent_id       text COLLATE "C" NOT NULL DEFAULT '',
    cpu_limit_mhz   bigint           NOT NULL DEFAULT 0,
    memory_limit_mb bigint           NOT NULL DEFAULT 0,
    snapshot_time   timestamptz      NOT NULL,
    PRIMARY KEY (vcenter, pool_id)
);
CREATE INDEX inv_resource_pools_cluster_idx ON inv_resource_pools (vcenter, cluster_id);
