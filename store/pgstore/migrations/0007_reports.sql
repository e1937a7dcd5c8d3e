-- Version 7: the report catalog (store.ReportCatalog): generated report
-- workbooks kept in the store, so any replica can list and serve them. The
-- bytes are kept in chunks of at most 1 MiB under the generation of the
-- put that wrote them; a reader checks the generation chunk by chunk.
CREATE TABLE report_catalog (
    key        text COLLATE "C" NOT NULL PRIMARY KEY,
    kind       text COLLATE "C" NOT NULL DEFAULT '',
    vcenter    text COLLATE "C" NOT NULL DEFAULT '',
    period     timestamptz      NOT NULL,
    size       bigint           NOT NULL DEFAULT 0,
    sha256     text COLLATE "C" NOT NULL DEFAULT '',
    created_at timestamptz      NOT NULL,
    generation bigint           NOT NULL
);
CREATE INDEX report_catalog_period_idx ON report_catalog (period);

CREATE TABLE report_chunks (
    key        text COLLATE "C" NOT NULL,
    generation bigint           NOT NULL,
    seq        integer          NOT NULL,
    data       bytea            NOT NULL,
    PRIMARY KEY (key, generation, seq)
);
-- Workbooks are zip files already: store the chunks uncompressed.
ALTER TABLE report_chunks ALTER COLUMN data SET STORAGE EXTERNAL;
