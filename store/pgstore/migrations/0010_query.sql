-- Version 10: the VM queries of store.Querier.
--
-- inv_vms gains three search columns, written with every VM, that
-- substring queries read instead of lowering the columns (and expanding
-- the JSON attributes) of every row. Each holds texts with their ASCII
-- letters lowered, joined by 'A' (a letter lowering never yields, so a
-- lowered query never matches across two texts):
--   search_key:  name, vm_id, vm_uuid and ip_address;
--   search_os:   guest_os;
--   search_tags: each attribute as "key:value".
-- Rows stored before are filled here: lower() on COLLATE "C" text folds
-- ASCII letters only, exactly as the writer does (driver.FoldASCII).
--
-- inv_vms_name_idx serves the default order, by name, page after page.
ALTER TABLE inv_vms
    ADD COLUMN search_key text COLLATE "C" NOT NULL DEFAULT '',
    ADD COLUMN search_os text COLLATE "C" NOT NULL DEFAULT '',
    ADD COLUMN search_tags text COLLATE "C" NOT NULL DEFAULT '';
UPDATE inv_vms SET
    search_key = lower(name) || 'A' || lower(vm_id) || 'A' || lower(vm_uuid) || 'A' || lower(ip_address),
    search_os = lower(guest_os),
    search_tags = coalesce((SELECT string_agg(lower((key || ':' || value) COLLATE "C"), 'A' ORDER BY key COLLATE "C")
        FROM jsonb_each_text(attributes)), '');
CREATE INDEX inv_vms_name_idx ON inv_vms (vcenter, name, vm_id);
