-- Version 15: utilisation metrics (store.MetricStore).
--
-- metric_series gives each (vcenter, entity_type, entity_id, metric) a
-- small integer series_id (the rowid). metric_points hold the raw points,
-- metric_rollup_hour and metric_rollup_day the 1-hour and 1-day rollups
-- (bucket starts aligned to UTC hours and days), all keyed by
-- (series_id, t): one B-tree each (WITHOUT ROWID: the key is the row's
-- address, no second index). Times are INTEGER unix seconds.
-- metric_watermarks hold each rollup tier's watermark.
CREATE TABLE metric_series (
    series_id   INTEGER PRIMARY KEY,
    vcenter     TEXT    NOT NULL,
    entity_type TEXT    NOT NULL,
    entity_id   TEXT    NOT NULL,
    metric      TEXT    NOT NULL,
    UNIQUE (vcenter, entity_type, entity_id, metric)
);

CREATE TABLE metric_points (
    series_id INTEGER NOT NULL,
    t         INTEGER NOT NULL,
    value     REAL    NOT NULL,
    PRIMARY KEY (series_id, t)
) WITHOUT ROWID;

CREATE TABLE metric_rollup_hour (
    series_id INTEGER NOT NULL,
    t         INTEGER NOT NULL,
    n         INTEGER NOT NULL,
    avg       REAL    NOT NULL,
    max       REAL    NOT NULL,
    min       REAL    NOT NULL,
    p95       REAL    NOT NULL,
    PRIMARY KEY (series_id, t)
) WITHOUT ROWID;

CREATE TABLE metric_rollup_day (
    series_id INTEGER NOT NULL,
    t         INTEGER NOT NULL,
    n         INTEGER NOT NULL,
    avg       REAL    NOT NULL,
    max       REAL    NOT NULL,
    min       REAL    NOT NULL,
    p95       REAL    NOT NULL,
    PRIMARY KEY (series_id, t)
) WITHOUT ROWID;

CREATE TABLE metric_watermarks (
    tier TEXT    NOT NULL PRIMARY KEY,
    t    INTEGER NOT NULL
);
