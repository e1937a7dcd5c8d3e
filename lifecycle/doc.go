// Package lifecycle is the one place where the VM identity and lifecycle
// rules of docs/semantics.md (§2 and §3) live, as pure functions over
// plain inventory values. capture.Reconcile uses it for each snapshot as it
// is captured, and aggregate's backfill and repair use it to derive
// lifecycle rows from a whole history; both apply exactly the same rules.
//
// The pieces:
//
//   - Resolver resolves a sample to its VM over a vCenter's history: a
//     sample with a vm_id is that VM; one with only a vm_uuid (or only a
//     name) joins the VM with a vm_id that carried that uuid (name) most
//     recently; only when none did does it form a VM of its own, keyed
//     "uuid:<vm_uuid>" ("name:<name>").
//   - Guard is the mass-absence guard (deletion_guard_fraction,
//     deletion_guard_min_vms).
//   - Step reconciles one complete snapshot against the state left by the
//     previous one: new lifecycle rows, creation precedence (event, else
//     config.createDate, else none), deletion by removal event or by
//     absence, reappearance, and the change events (created, deleted,
//     reappeared, power, resize, host_move, pool_move, rename,
//     identity_change, mass_absence).
//
// Nothing here does I/O: callers load what Step needs from a store and
// write what it returns.
package lifecycle
