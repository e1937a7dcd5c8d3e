-- Version 12: the RVTools-depth detail of each vCenter's newest capture
-- (store.Details). Latest state, not history: WriteDetails replaces a
-- vCenter's rows of every table here in one transaction.
--
-- vm_details has a row per VM with real columns for the scalar settings
-- health checks and filters read (Tools, hardware version, connection
-- state, consolidation, boot time, allocation, ...); the short lists (IP
-- addresses, removable drives, guest partitions) are JSON arrays, NULL
-- when empty. vm_snapshots, vm_disks and vm_nics have a row per item, keyed
-- by (vcenter, vm_id, position): position is the item's place in the VM's
-- list as written (snapshots depth-first, devices by key), so a read gives
-- them back in that order. A 40,000-VM vCenter has about 80,000 disks and
-- 50,000 NICs: a vCenter's rows are one key range of each table, deleted
-- and read as one. vm_disks_datastore_idx finds the disks on a datastore.
--
-- entity_details holds the host, cluster, datastore and distributed-switch
-- detail as one JSON document per object, keyed by (vcenter, kind, id).
CREATE TABLE vm_details (
    vcenter              text COLLATE "C" NOT NULL,
    vm_id                text COLLATE "C" NOT NULL,
    snapshot_time        timestamptz NOT NULL,
    hardware_version     text COLLATE "C" NOT NULL DEFAULT '',
    firmware             text COLLATE "C" NOT NULL DEFAULT '',
    annotation           text COLLATE "C" NOT NULL DEFAULT '',
    dns_name             text COLLATE "C" NOT NULL DEFAULT '',
    ip_addresses         jsonb,
    guest_state          text COLLATE "C" NOT NULL DEFAULT '',
    guest_full_name      text COLLATE "C" NOT NULL DEFAULT '',
    guest_heartbeat      text COLLATE "C" NOT NULL DEFAULT '',
    overall_status       text COLLATE "C" NOT NULL DEFAULT '',
    config_status        text COLLATE "C" NOT NULL DEFAULT '',
    connection_state     text COLLATE "C" NOT NULL DEFAULT '',
    consolidation_needed boolean NOT NULL DEFAULT false,
    boot_time            timestamptz,
    tools_running_status text COLLATE "C" NOT NULL DEFAULT '',
    tools_version_status text COLLATE "C" NOT NULL DEFAULT '',
    tools_version        text COLLATE "C" NOT NULL DEFAULT '',
    tools_upgrade_policy text COLLATE "C" NOT NULL DEFAULT '',
    cores_per_socket     bigint NOT NULL DEFAULT 0,
    cpu_reservation      bigint NOT NULL DEFAULT 0,
    cpu_limit            bigint NOT NULL DEFAULT 0,
    cpu_shares_level     text COLLATE "C" NOT NULL DEFAULT '',
    cpu_shares           bigint NOT NULL DEFAULT 0,
    memory_reservation   bigint NOT NULL DEFAULT 0,
    memory_limit         bigint NOT NULL DEFAULT 0,
    memory_shares_level  text COLLATE "C" NOT NULL DEFAULT '',
    memory_shares        bigint NOT NULL DEFAULT 0,
    cpu_hot_add          boolean NOT NULL DEFAULT false,
    cpu_hot_remove       boolean NOT NULL DEFAULT false,
    memory_hot_add       boolean NOT NULL DEFAULT false,
    ha_restart_priority  text COLLATE "C" NOT NULL DEFAULT '',
    vmx_path             text COLLATE "C" NOT NULL DEFAULT '',
    folder_path          text COLLATE "C" NOT NULL DEFAULT '',
    removables           jsonb,
    partitions           jsonb,
    PRIMARY KEY (vcenter, vm_id)
);

CREATE TABLE vm_snapshots (
    vcenter       text COLLATE "C" NOT NULL,
    vm_id         text COLLATE "C" NOT NULL,
    position      bigint NOT NULL,
    snapshot_id   bigint NOT NULL DEFAULT 0,
    name          text COLLATE "C" NOT NULL DEFAULT '',
    description   text COLLATE "C" NOT NULL DEFAULT '',
    created       timestamptz,
    quiesced      boolean NOT NULL DEFAULT false,
    state         text COLLATE "C" NOT NULL DEFAULT '',
    depth         bigint NOT NULL DEFAULT 0,
    is_current    boolean NOT NULL DEFAULT false,
    file          text COLLATE "C" NOT NULL DEFAULT '',
    size_mb       double precision NOT NULL DEFAULT 0,
    PRIMARY KEY (vcenter, vm_id, position)
);

CREATE TABLE vm_disks (
    vcenter       text COLLATE "C" NOT NULL,
    vm_id         text COLLATE "C" NOT NULL,
    position      bigint NOT NULL,
    device_key    bigint NOT NULL DEFAULT 0,
    label         text COLLATE "C" NOT NULL DEFAULT '',
    capacity_mb   bigint NOT NULL DEFAULT 0,
    provisioning  text COLLATE "C" NOT NULL DEFAULT '',
    datastore_id  text COLLATE "C" NOT NULL DEFAULT '',
    datastore     text COLLATE "C" NOT NULL DEFAULT '',
    file_path     text COLLATE "C" NOT NULL DEFAULT '',
    controller    text COLLATE "C" NOT NULL DEFAULT '',
    unit_number   bigint NOT NULL DEFAULT 0,
    mode          text COLLATE "C" NOT NULL DEFAULT '',
    shares_level  text COLLATE "C" NOT NULL DEFAULT '',
    shares        bigint NOT NULL DEFAULT 0,
    limit_iops    bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (vcenter, vm_id, position)
);
CREATE INDEX vm_disks_datastore_idx ON vm_disks (vcenter, datastore_id);

CREATE TABLE vm_nics (
    vcenter         text COLLATE "C" NOT NULL,
    vm_id           text COLLATE "C" NOT NULL,
    position        bigint NOT NULL,
    device_key      bigint NOT NULL DEFAULT 0,
    label           text COLLATE "C" NOT NULL DEFAULT '',
    adapter_type    text COLLATE "C" NOT NULL DEFAULT '',
    network_id      text COLLATE "C" NOT NULL DEFAULT '',
    network         text COLLATE "C" NOT NULL DEFAULT '',
    mac             text COLLATE "C" NOT NULL DEFAULT '',
    connected       boolean NOT NULL DEFAULT false,
    start_connected boolean NOT NULL DEFAULT false,
    PRIMARY KEY (vcenter, vm_id, position)
);

CREATE TABLE entity_details (
    vcenter       text COLLATE "C" NOT NULL,
    kind          text COLLATE "C" NOT NULL,
    id            text COLLATE "C" NOT NULL,
    snapshot_time timestamptz NOT NULL,
    detail        jsonb NOT NULL,
    PRIMARY KEY (vcenter, kind, id)
);
