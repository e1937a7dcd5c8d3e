-- Version 5: a daily or monthly aggregation of a period that had not ended
-- (asked for explicitly) is marked partial in the registry and its rows
-- (SEMANTICS §5).
ALTER TABLE snapshot_registry ADD COLUMN partial INTEGER NOT NULL DEFAULT 0;
ALTER TABLE vm_daily_rollup ADD COLUMN partial INTEGER NOT NULL DEFAULT 0;
ALTER TABLE vm_monthly_rollup ADD COLUMN partial INTEGER NOT NULL DEFAULT 0;
