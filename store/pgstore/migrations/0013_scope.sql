-- Version 13: endpoint capture scopes (inventory.Scope) and the VMs a
-- scope left out of each snapshot.
--
-- endpoints.scope holds the include/exclude rules as JSON (NULL or {} for
-- every VM). excluded_vm_history belongs to store.EntityHistory: one row
-- per VM left out of a history snapshot, written, read and deleted with
-- the snapshot's host, cluster and datastore rows; reconcile reads it to
-- tell a VM out of scope from a deleted one.
ALTER TABLE endpoints ADD COLUMN scope jsonb;

CREATE TABLE excluded_vm_history (
    vcenter       text COLLATE "C" NOT NULL,
    vm_id         text COLLATE "C" NOT NULL,
    vm_uuid       text COLLATE "C" NOT NULL DEFAULT '',
    name          text COLLATE "C" NOT NULL DEFAULT '',
    reason        text COLLATE "C" NOT NULL DEFAULT '',
    snapshot_time timestamptz NOT NULL,
    PRIMARY KEY (vcenter, snapshot_time, vm_id)
);
