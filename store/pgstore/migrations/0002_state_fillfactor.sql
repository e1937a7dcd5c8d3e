-- Version 2: the latest-state entity tables leave half of each page free.
-- Every capture updates each stored row of a vCenter in place (its
-- snapshot_time at least; see ReplaceState in copy.go); with room on the
-- page, PostgreSQL writes the new row version next to the old one without
-- touching any index (a HOT update) when no indexed column changed,
-- instead of a new version elsewhere plus an entry in every index. Pages written before this migration keep
-- their layout until their rows move.

ALTER TABLE inv_vms SET (fillfactor = 50);
ALTER TABLE inv_hosts SET (fillfactor = 50);
ALTER TABLE inv_clusters SET (fillfactor = 50);
ALTER TABLE inv_datastores SET (fillfactor = 50);
ALTER TABLE inv_networks SET (fillfactor = 50);
ALTER TABLE inv_resource_pools SET (fillfactor = 50);
