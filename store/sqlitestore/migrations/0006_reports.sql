-- Version 6: the report catalog (store.ReportCatalog): generated report
-- workbooks kept in the store, so any node can list and serve them. The
-- bytes are kept in chunks of at most 1 MiB under the generation of the
-- put that wrote them; a reader checks the generation chunk by chunk.
CREATE TABLE report_catalog (
    key        TEXT    NOT NULL PRIMARY KEY,
    kind       TEXT    NOT NULL DEFAULT '',
    vcenter    TEXT    NOT NULL DEFAULT '',
    period     INTEGER NOT NULL,
    size       INTEGER NOT NULL DEFAULT 0,
    sha256     TEXT    NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    generation INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX report_catalog_period_idx ON report_catalog (period);

CREATE TABLE report_chunks (
    key        TEXT    NOT NULL,
    generation INTEGER NOT NULL,
    seq        INTEGER NOT NULL,
    data       BLOB    NOT NULL,
    PRIMARY KEY (key, generation, seq)
);
