-- Version 8: daily and monthly rows carry the custom attributes and tags
-- of the VM's latest present sample (monthly: of its last day present), a
-- JSON object encoded as vm_hourly_stats.attributes is, NULL when empty.
-- Rows written before this version have NULL until their period is
-- aggregated again. The summary compatibility tables do not get it.
ALTER TABLE vm_daily_rollup ADD COLUMN attributes TEXT;
ALTER TABLE vm_monthly_rollup ADD COLUMN attributes TEXT;
