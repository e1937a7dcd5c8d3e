// Package capturetest is the test side of package vcsim: NewSim starts a
// simulated vCenter with a generated inventory for a test or benchmark and
// closes it when the test ends.
//
//	sim := capturetest.NewSim(t, vcsim.Options{VMs: 200, Seed: 1})
//	src, err := vsphere.New(ctx, inventory.Endpoint{URL: sim.URL.String(), ...})
//
// # Watcher tests
//
// Power, Reconfigure, Relocate, Move, Rename, RenameHost, Create and
// Destroy change a running Sim the way an administrator would and return
// a Mutation: the object changed, the row fields that change, and Seen, a
// predicate that recognizes the capture.WatchUpdate showing it. A
// WatchRecorder collects what a capture.WatchSource (vsphere.Source)
// reports: pass its Record method as Watch's fn, take a Mark before a
// mutation, then Wait (or WaitFor, with a deadline that fails the test)
// for the update after the mark that satisfies the predicate:
//
//	rec := capturetest.NewWatchRecorder()
//	go src.Watch(ctx, &capture.WatchSourceOptions{MaxWaitSeconds: 5}, rec.Record)
//	rec.WaitFor(t, 0, time.Minute, capturetest.IsFull(capture.ResyncStart))
//	mark := rec.Mark()
//	m, err := capturetest.Rename(ctx, sim, "vm-42", "web-01")
//	u := rec.WaitFor(t, mark, 5*time.Second, m.Seen)
//
// vcsim recomputes every object of a property filter for each change, so
// a watcher's latency on a simulator grows with the inventory; keep
// watcher tests small (tens of VMs).
//
// # Power-off cases
//
// UserPowerOff, GuestShutdown, NoUserPowerOff, HAEvent and HostFailure
// power VMs off each way package alert's ClassifyPowerOff tells apart,
// leaving the vCenter events of that case for vsphere.Source.PowerEvents.
//
// Everything else (the inventory options, mutations, faults and latency) is
// package vcsim's; see its documentation.
package capturetest
