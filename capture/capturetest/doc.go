// Package capturetest is the test side of package vcsim: NewSim starts a
// simulated vCenter with a generated inventory for a test or benchmark and
// closes it when the test ends.
//
//	sim := capturetest.NewSim(t, vcsim.Options{VMs: 200, Seed: 1})
//	src, err := vsphere.New(ctx, inventory.Endpoint{URL: sim.URL.String(), ...})
//
// Everything else (the inventory options, mutations, faults and latency) is
// package vcsim's; see its documentation.
package capturetest
