// Package inventory holds the plain domain types of vinventory: endpoints,
// the six vSphere entity kinds (VM, Host, Cluster, Datastore, Network,
// ResourcePool), hourly samples, daily and monthly rollups, lifecycle rows,
// totals, snapshot registry records, change events and per-endpoint capture
// status, together with the small pure rules every other package shares:
// VM identity (SEMANTICS §2), pool tiers, and hour/day/month windows cut in a
// time.Location.
//
// It is a leaf package: it imports only the standard library, so any program
// can use these types without pulling in govmomi or a database driver.
//
// Times in these types are UTC when they come from a store. A zero time.Time
// means "unknown" (stored as NULL).
package inventory
