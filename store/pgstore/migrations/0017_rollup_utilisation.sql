-- Version 17: daily rows carry the VM's measured use over the day
-- (inventory.Utilisation): the number of cpu.usage.mhz points, and the
-- average and peak of cpu.usage.mhz, cpu.usage.pct and mem.usage.pct
-- (percentages 0–100). Rows written before this version have 0 (unknown)
-- until their day is aggregated again. Monthly rows and the summary
-- compatibility tables do not get them.
ALTER TABLE vm_daily_rollup
    ADD COLUMN util_samples bigint NOT NULL DEFAULT 0,
    ADD COLUMN avg_cpu_mhz double precision NOT NULL DEFAULT 0,
    ADD COLUMN peak_cpu_mhz double precision NOT NULL DEFAULT 0,
    ADD COLUMN avg_cpu_pct double precision NOT NULL DEFAULT 0,
    ADD COLUMN peak_cpu_pct double precision NOT NULL DEFAULT 0,
    ADD COLUMN avg_mem_pct double precision NOT NULL DEFAULT 0,
    ADD COLUMN peak_mem_pct double precision NOT NULL DEFAULT 0;
