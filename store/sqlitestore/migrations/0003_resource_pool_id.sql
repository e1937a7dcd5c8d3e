-- Version 3: each sample keeps its resource pool's managed object id, so a
-- move into a same-named pool of another cluster is a pool_move
-- (SEMANTICS §1, §3). Rows written before this version have ''.
ALTER TABLE vm_hourly_stats ADD COLUMN resource_pool_id TEXT NOT NULL DEFAULT '';
