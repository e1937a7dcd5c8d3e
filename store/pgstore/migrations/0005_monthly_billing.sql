-- Version 5: monthly rows carry the month's billable figures (the sums of
-- its days') and its coverage (SEMANTICS §5). Rows written before this
-- version have zeros until their month is aggregated again.
ALTER TABLE vm_monthly_rollup
    ADD COLUMN vcpu_days                double precision NOT NULL DEFAULT 0,
    ADD COLUMN ram_gb_days              double precision NOT NULL DEFAULT 0,
    ADD COLUMN provisioned_disk_gb_days double precision NOT NULL DEFAULT 0,
    ADD COLUMN used_disk_gb_days        double precision NOT NULL DEFAULT 0,
    ADD COLUMN coverage_days            bigint           NOT NULL DEFAULT 0,
    ADD COLUMN days_in_month            bigint           NOT NULL DEFAULT 0;
