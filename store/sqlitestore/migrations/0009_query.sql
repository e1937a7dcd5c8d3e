-- Version 9: the VM queries of store.Querier. inv_vms gains two stored
-- generated columns that substring queries read instead of lowering five
-- columns of every row:
--   search_key: lower(name), lower(vm_id), lower(vm_uuid) and
--               lower(ip_address) joined by 'A', a letter lower() never
--               yields, so a lowered query cannot match across two fields;
--   search_os:  lower(guest_os).
-- lower() folds ASCII letters only (this build has no ICU), like the other
-- backends. SQLite adds stored generated columns only to a new table, so
-- inv_vms is rebuilt (its rows copied; the generated columns computed).
CREATE TABLE inv_vms_new (
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
    search_key          TEXT    GENERATED ALWAYS AS (
        lower(name) || 'A' || lower(vm_id) || 'A' || lower(vm_uuid) || 'A' || lower(ip_address)) STORED,
    search_os           TEXT    GENERATED ALWAYS AS (lower(guest_os)) STORED,
    PRIMARY KEY (vcenter, vm_id)
) WITHOUT ROWID;
INSERT INTO inv_vms_new (vcenter, vm_id, vm_uuid, name, datacenter, cluster, host, host_id, resource_pool,
    resource_pool_id, folder, power_state, is_template, vcpu_count, ram_mb, provisioned_disk_gb, used_disk_gb,
    guest_os, ip_address, creation_time, attributes, snapshot_time)
SELECT vcenter, vm_id, vm_uuid, name, datacenter, cluster, host, host_id, resource_pool,
    resource_pool_id, folder, power_state, is_template, vcpu_count, ram_mb, provisioned_disk_gb, used_disk_gb,
    guest_os, ip_address, creation_time, attributes, snapshot_time
FROM inv_vms;
DROP TABLE inv_vms;
ALTER TABLE inv_vms_new RENAME TO inv_vms;
CREATE INDEX inv_vms_host_idx ON inv_vms (vcenter, host_id);
CREATE INDEX inv_vms_pool_idx ON inv_vms (vcenter, resource_pool_id);
