-- Version 10: the VM queries of store.Querier. inv_vms gains two stored
-- generated columns that substring queries read instead of lowering five
-- columns of every row:
--   search_key: lower(name), lower(vm_id), lower(vm_uuid) and
--               lower(ip_address) joined by 'A', a letter lower() never
--               yields, so a lowered query cannot match across two fields;
--   search_os:  lower(guest_os).
-- The columns are COLLATE "C", so lower() folds ASCII letters only, like
-- the other backends. They are not indexed: updates of a VM stay HOT.
ALTER TABLE inv_vms
    ADD COLUMN search_key text COLLATE "C" GENERATED ALWAYS AS (
        lower(name) || 'A' || lower(vm_id) || 'A' || lower(vm_uuid) || 'A' || lower(ip_address)) STORED,
    ADD COLUMN search_os text COLLATE "C" GENERATED ALWAYS AS (lower(guest_os)) STORED;
