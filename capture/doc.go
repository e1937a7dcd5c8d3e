// Package capture takes snapshots of vSphere endpoints and reconciles VM
// lifecycles.
//
// Capture reads one endpoint's whole inventory through a Source (the govmomi
// implementation is capture/vsphere) and writes it atomically: the
// latest-state inventory, one vm_hourly_stats sample per VM, the vCenter's
// totals, the snapshot registry row and, in compatibility mode, the
// inventory_hourly_<YYYYMMDDHHMM> table. A capture that fails at any stage
// stores nothing and returns an *Error naming the stage.
//
// Reconcile then maintains vm_lifecycle_cache and appends change events
// (created, deleted, reappeared, power, resize, host_move, pool_move,
// rename, mass_absence) by comparing the snapshot with the previous one and
// with the endpoint's creation and removal events.
//
// Run does both for many endpoints with bounded concurrency, per-endpoint
// retries with exponential backoff, and per-endpoint capture status stored
// for health views.
package capture
