-- Version 11: the RVTools-depth detail of each vCenter's newest capture
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
    vcenter              TEXT    NOT NULL,
    vm_id                TEXT    NOT NULL,
    snapshot_time        INTEGER NOT NULL,
    hardware_version     TEXT    NOT NULL DEFAULT '',
    firmware             TEXT    NOT NULL DEFAULT '',
    annotation           TEXT    NOT NULL DEFAULT '',
    dns_name             TEXT    NOT NULL DEFAULT '',
    ip_addresses         TEXT,
    guest_state          TEXT    NOT NULL DEFAULT '',
    guest_full_name      TEXT    NOT NULL DEFAULT '',
    guest_heartbeat      TEXT    NOT NULL DEFAULT '',
    overall_status       TEXT    NOT NULL DEFAULT '',
    config_status        TEXT    NOT NULL DEFAULT '',
    connection_state     TEXT    NOT NULL DEFAULT '',
    consolidation_needed INTEGER NOT NULL DEFAULT 0,
    boot_time            INTEGER,
    tools_running_status TEXT    NOT NULL DEFAULT '',
    tools_version_status TEXT    NOT NULL DEFAULT '',
    tools_version        TEXT    NOT NULL DEFAULT '',
    tools_upgrade_policy TEXT    NOT NULL DEFAULT '',
    cores_per_socket     INTEGER NOT NULL DEFAULT 0,
    cpu_reservation      INTEGER NOT NULL DEFAULT 0,
    cpu_limit            INTEGER NOT NULL DEFAULT 0,
    cpu_shares_level     TEXT    NOT NULL DEFAULT '',
    cpu_shares           INTEGER NOT NULL DEFAULT 0,
    memory_reservation   INTEGER NOT NULL DEFAULT 0,
    memory_limit         INTEGER NOT NULL DEFAULT 0,
    memory_shares_level  TEXT    NOT NULL DEFAULT '',
    memory_shares        INTEGER NOT NULL DEFAULT 0,
    cpu_hot_add          INTEGER NOT NULL DEFAULT 0,
    cpu_hot_remove       INTEGER NOT NULL DEFAULT 0,
    memory_hot_add       INTEGER NOT NULL DEFAULT 0,
    ha_restart_priority  TEXT    NOT NULL DEFAULT '',
    vmx_path             TEXT    NOT NULL DEFAULT '',
    folder_path          TEXT    NOT NULL DEFAULT '',
    removables           TEXT,
    partitions           TEXT,
    PRIMARY KEY (vcenter, vm_id)
) WITHOUT ROWID;

CREATE TABLE vm_snapshots (
    vcenter       TEXT    NOT NULL,
    vm_id         TEXT    NOT NULL,
    position      INTEGER NOT NULL,
    snapshot_id   INTEGER NOT NULL DEFAULT 0,
    name          TEXT    NOT NULL DEFAULT '',
    description   TEXT    NOT NULL DEFAULT '',
    created       INTEGER,
    quiesced      INTEGER NOT NULL DEFAULT 0,
    state         TEXT    NOT NULL DEFAULT '',
    depth         INTEGER NOT NULL DEFAULT 0,
    is_current    INTEGER NOT NULL DEFAULT 0,
    file          TEXT    NOT NULL DEFAULT '',
    size_mb       REAL    NOT NULL DEFAULT 0,
    PRIMARY KEY (vcenter, vm_id, position)
) WITHOUT ROWID;

CREATE TABLE vm_disks (
    vcenter       TEXT    NOT NULL,
    vm_id         TEXT    NOT NULL,
    position      INTEGER NOT NULL,
    device_key    INTEGER NOT NULL DEFAULT 0,
    label         TEXT    NOT NULL DEFAULT '',
    capacity_mb   INTEGER NOT NULL DEFAULT 0,
    provisioning  TEXT    NOT NULL DEFAULT '',
    datastore_id  TEXT    NOT NULL DEFAULT '',
    datastore     TEXT    NOT NULL DEFAULT '',
    file_path     TEXT    NOT NULL DEFAULT '',
    controller    TEXT    NOT NULL DEFAULT '',
    unit_number   INTEGER NOT NULL DEFAULT 0,
    mode          TEXT    NOT NULL DEFAULT '',
    shares_level  TEXT    NOT NULL DEFAULT '',
    shares        INTEGER NOT NULL DEFAULT 0,
    limit_iops    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (vcenter, vm_id, position)
) WITHOUT ROWID;
CREATE INDEX vm_disks_datastore_idx ON vm_disks (vcenter, datastore_id);

CREATE TABLE vm_nics (
    vcenter         TEXT    NOT NULL,
    vm_id           TEXT    NOT NULL,
    position        INTEGER NOT NULL,
    device_key      INTEGER NOT NULL DEFAULT 0,
    label           TEXT    NOT NULL DEFAULT '',
    adapter_type    TEXT    NOT NULL DEFAULT '',
    network_id      TEXT    NOT NULL DEFAULT '',
    network         TEXT    NOT NULL DEFAULT '',
    mac             TEXT    NOT NULL DEFAULT '',
    connected       INTEGER NOT NULL DEFAULT 0,
    start_connected INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (vcenter, vm_id, position)
) WITHOUT ROWID;

CREATE TABLE entity_details (
    vcenter       TEXT    NOT NULL,
    kind          TEXT    NOT NULL,
    id            TEXT    NOT NULL,
    snapshot_time INTEGER NOT NULL,
    detail        TEXT    NOT NULL,
    PRIMARY KEY (vcenter, kind, id)
) WITHOUT ROWID;
