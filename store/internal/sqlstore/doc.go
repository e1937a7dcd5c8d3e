// Package sqlstore is the code the SQL backends (store/sqlitestore and
// store/pgstore) share: one implementation of every store.Store method over
// a small Dialect interface that holds what differs between SQLite and
// PostgreSQL — time encoding, table naming, the write transaction and its
// locks, the bulk write paths (multi-row INSERT, COPY) and generated DDL —
// plus the versioned migration runner.
//
// Reads go through bun (its dialect formats the arguments); writes go
// through a Tx with bind parameters, in batches, inside one transaction per
// call, and fail with a *store.WriteError naming the stage that failed.
//
// Table names in SQL are written as {table} templates expanded once by
// Core.sql into the dialect's quoted (and schema-qualified) reference.
// Compatibility table names are only ever built by the inventory helpers
// and checked with driver.ParseCompatTableName before reaching SQL.
//
// Core also implements store.SQLAggregator (aggregate.ModeSQL and, over a
// UNION ALL of compatibility tables, aggregate.ModeLegacy): the daily and
// monthly rollup rows are computed by one query each, with the identity
// grouping, latest attributes, pool tiers and lifecycle join of SEMANTICS
// §2, §4 and §5 (see aggregate.go for the query's shape).
package sqlstore
