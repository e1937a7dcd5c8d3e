-- Version 9: the VM queries of store.Querier.
--
-- inv_vms gains three search columns, written with every VM, that
-- substring queries read instead of lowering the columns (and expanding
-- the JSON attributes) of every row. Each holds texts with their ASCII
-- letters lowered, joined by 'A' (a letter lowering never yields, so a
-- lowered query never matches across two texts):
--   search_key:  name, vm_id, vm_uuid and ip_address;
--   search_os:   guest_os;
--   search_tags: each attribute as "key:value".
-- Rows stored before are filled here: lower() folds ASCII letters only,
-- exactly as the writer does (driver.FoldASCII).
--
-- inv_vms_search_idx covers what a text query filters on first (scope,
-- power state, template, the search columns): the query reads it instead
-- of the whole table and then only the rows of the VMs it keeps.
-- inv_vms_name_idx serves the default order, by name, page after page.
ALTER TABLE inv_vms ADD COLUMN search_key TEXT NOT NULL DEFAULT '';
ALTER TABLE inv_vms ADD COLUMN search_os TEXT NOT NULL DEFAULT '';
ALTER TABLE inv_vms ADD COLUMN search_tags TEXT NOT NULL DEFAULT '';
UPDATE inv_vms SET
    search_key = lower(name) || 'A' || lower(vm_id) || 'A' || lower(vm_uuid) || 'A' || lower(ip_address),
    search_os = lower(guest_os),
    search_tags = coalesce((SELECT group_concat(t, 'A') FROM
        (SELECT lower(key || ':' || value) AS t FROM json_each(attributes) ORDER BY key)), '');
CREATE INDEX inv_vms_search_idx ON inv_vms (vcenter, power_state, is_template, search_key, search_os, search_tags);
CREATE INDEX inv_vms_name_idx ON inv_vms (vcenter, name);
