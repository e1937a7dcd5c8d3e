-- Version 4: monthly rows carry the month's billable figures (the sums of
-- its days') and its coverage (SEMANTICS §5). Rows written before this
-- version have zeros until their month is aggregated again.
ALTER TABLE vm_monthly_rollup ADD COLUMN vcpu_days                REAL    NOT NULL DEFAULT 0;
ALTER TABLE vm_monthly_rollup ADD COLUMN ram_gb_days              REAL    NOT NULL DEFAULT 0;
ALTER TABLE vm_monthly_rollup ADD COLUMN provisioned_disk_gb_days REAL    NOT NULL DEFAULT 0;
ALTER TABLE vm_monthly_rollup ADD COLUMN used_disk_gb_days        REAL    NOT NULL DEFAULT 0;
ALTER TABLE vm_monthly_rollup ADD COLUMN coverage_days            INTEGER NOT NULL DEFAULT 0;
ALTER TABLE vm_monthly_rollup ADD COLUMN days_in_month            INTEGER NOT NULL DEFAULT 0;
