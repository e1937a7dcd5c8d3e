package vcsim

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
)

// DefaultPools are the resource pool names created under every cluster's
// root pool when Options.Pools is nil. They match the default pool tiers of
// vinventory.
func DefaultPools() []string { return []string{"Tin", "Bronze", "Silver", "Gold"} }

// Options describes the inventory a Sim builds. The zero value is a small
// vCenter (1 datacenter, 2 clusters of 3 hosts, 24 VMs, 2 templates). Every
// count is per datacenter unless its comment says otherwise. Fields whose
// zero value means "use the default" accept -1 for "none".
type Options struct {
	// Datacenters is the number of datacenters, named DC0, DC1, ...
	// Defaults to 1. Ignored when ESX is true (an ESXi host has exactly one,
	// "ha-datacenter").
	Datacenters int

	// ClustersPerDatacenter is the number of clusters in each datacenter,
	// named DC0_C0, DC0_C1, ... Defaults to 2; -1 for none (then set
	// StandaloneHosts). Ignored when ESX is true.
	ClustersPerDatacenter int

	// HostsPerCluster is the number of hosts in each cluster, named
	// DC0_C0_H0, ... Defaults to 3. Ignored when ESX is true.
	HostsPerCluster int

	// StandaloneHosts is the number of standalone hosts (each its own
	// compute resource) in each datacenter, named DC0_H0, ... VMs are spread
	// over them too, in their root pool. Defaults to 0. Ignored when ESX is
	// true.
	StandaloneHosts int

	// VMs is the total number of (non-template) virtual machines, spread
	// round-robin over the compute resources, their hosts and pools and the
	// datastores. Defaults to 24; -1 for none.
	VMs int

	// Datastores is the number of local datastores in each datacenter,
	// named LocalDS_0, LocalDS_1, ..., each mounted on every host of the
	// datacenter. Defaults to 2.
	Datastores int

	// DatastoreFill, when above 0, resizes every datastore once its VMs
	// are built so their disks fill this fraction of it (capacity rounded
	// up to a whole GiB; free space = capacity - the disks). Defaults to 0:
	// vcsim's 1 TB per mounted host, whose free space goes negative once the
	// disks exceed it. At most 1.
	DatastoreFill float64

	// Networks is the number of standard port groups (Network objects) in
	// each datacenter, including vcsim's built-in "VM Network"; the others
	// are named "VM Network 1", "VM Network 2", ... Defaults to 2.
	Networks int

	// DistributedPortGroups is the number of distributed port groups in each
	// datacenter, named DC0_DVPG0, ...; when it is above zero each datacenter
	// also gets one distributed switch (DVS0) whose uplink port group is an
	// extra DistributedVirtualPortgroup object. Defaults to 2; -1 for none.
	// Ignored when ESX is true.
	DistributedPortGroups int

	// Pools are the names of the child resource pools created under every
	// cluster's root pool (under the host's root pool with ESX). VMs are
	// spread over these pools and the root pool. nil means DefaultPools
	// (Tin, Bronze, Silver, Gold); an empty non-nil slice means no child
	// pools.
	Pools []string

	// Templates is the number of extra VMs marked as templates (they are not
	// counted in VMs), named tpl-<os>-00000, ... Defaults to 2; -1 for none.
	Templates int

	// Latency adds simulated per-call latency to every SOAP call once the
	// inventory is built (see Latency). Defaults to none.
	Latency Latency

	// ESX selects a standalone ESXi model (one host, one datacenter, no
	// clusters, no distributed switches) instead of vCenter. Defaults to
	// false.
	ESX bool

	// Workers is the number of goroutines that create VMs. Creation is
	// serialized per datastore (see the package doc), so at most
	// Datacenters*Datastores workers are busy at once. With one worker,
	// vcsim numbers the VMs in plan order, so a Seed also reproduces every
	// VM's moref (and vm_uuid, derived from its path). Defaults to 8.
	Workers int

	// Seed makes the generated inventory (names, sizes, placement, power
	// states, dates, addresses) deterministic. Morefs and UUIDs are assigned
	// by vcsim. Defaults to 0, which is a valid seed like any other.
	Seed int64

	// Dir is where a new temporary directory for the datastores' files (VM
	// directories, .vmx, .nvram, logs, disk descriptors) is made; Close
	// removes it. Defaults to /dev/shm when it is a writable directory:
	// vcsim creates about seven files per VM, and on a disk-backed file
	// system that dominates the build time (0.7 ms per file against 11 µs
	// on tmpfs on the CI machines), then to os.TempDir().
	Dir string

	// Username and Password are the credentials the simulator accepts.
	// Default to "user" and "pass".
	Username, Password string
}

// Latency is simulated per-call latency, applied through vcsim's
// simulator.DelayConfig on the Model (see that type):
//
//   - Every SOAP call (HTTP or in-process) sleeps Delay plus
//     MethodDelay[method] milliseconds, after authentication and fault
//     injection checks and before the method runs, so an injected fault
//     returns without this delay.
//   - Jitter is a coefficient of variation: the sleep is drawn from a normal
//     distribution with mean Delay+MethodDelay[method] and standard
//     deviation Jitter times that mean.
//   - Asynchronous task bodies (the work behind a *_Task method) are not
//     delayed; only the call that starts the task is.
//   - The delay is switched on after the inventory is built, so it does not
//     slow down NewSim, and it applies to the Sim's own mutation calls too.
//     It cannot be changed once the Sim runs; use InjectSlowCalls for that.
type Latency struct {
	// Delay is added to every call, in milliseconds.
	Delay int
	// MethodDelay is added to calls of the named SOAP method, in
	// milliseconds, e.g. {"RetrievePropertiesEx": 50}. Method names are the
	// vim25 names, with the "_Task" suffix for task methods.
	MethodDelay map[string]int
	// Jitter is the standard deviation of the delay as a fraction of it.
	Jitter float64
}

// normalized returns a copy of o with defaults applied, or an error that
// names the invalid field.
func (o Options) normalized() (Options, error) {
	var errs []error
	bad := func(field string, v int) {
		errs = append(errs, fmt.Errorf("vcsim: Options.%s = %d is invalid", field, v))
	}
	def := func(field string, v *int, d int, allowNone bool) {
		switch {
		case *v == 0:
			*v = d
		case *v == -1 && allowNone:
			*v = 0
		case *v < 0:
			bad(field, *v)
		}
	}

	def("Datacenters", &o.Datacenters, 1, false)
	def("ClustersPerDatacenter", &o.ClustersPerDatacenter, 2, true)
	def("HostsPerCluster", &o.HostsPerCluster, 3, false)
	if o.StandaloneHosts < 0 {
		bad("StandaloneHosts", o.StandaloneHosts)
	}
	def("VMs", &o.VMs, 24, true)
	def("Datastores", &o.Datastores, 2, false)
	def("Networks", &o.Networks, 2, false)
	def("DistributedPortGroups", &o.DistributedPortGroups, 2, true)
	def("Templates", &o.Templates, 2, true)
	def("Workers", &o.Workers, 8, false)

	if o.ESX {
		o.Datacenters = 1
		o.ClustersPerDatacenter = 0
		o.HostsPerCluster = 0
		o.StandaloneHosts = 0
		o.DistributedPortGroups = 0
	} else if o.ClustersPerDatacenter == 0 && o.StandaloneHosts == 0 {
		errs = append(errs, errors.New("vcsim: Options need at least one cluster or standalone host"))
	}

	if o.Pools == nil {
		o.Pools = DefaultPools()
	}
	o.Pools = slices.Clone(o.Pools)
	seen := map[string]bool{}
	for _, p := range o.Pools {
		if strings.TrimSpace(p) == "" || seen[p] {
			errs = append(errs, fmt.Errorf("vcsim: Options.Pools has an empty or duplicate name %q", p))
		}
		seen[p] = true
	}

	if !(o.DatastoreFill >= 0 && o.DatastoreFill <= 1) {
		errs = append(errs, fmt.Errorf("vcsim: Options.DatastoreFill %v is not within [0, 1]", o.DatastoreFill))
	}
	if o.Latency.Delay < 0 || o.Latency.Jitter < 0 {
		errs = append(errs, errors.New("vcsim: Options.Latency must not be negative"))
	}
	o.Latency.MethodDelay = maps.Clone(o.Latency.MethodDelay)

	if o.Dir == "" {
		o.Dir = defaultDir()
	}
	if o.Username == "" {
		o.Username = "user"
	}
	if o.Password == "" {
		o.Password = "pass"
	}

	return o, errors.Join(errs...)
}

// hostsPerDatacenter returns the number of hosts in each datacenter.
func (o Options) hostsPerDatacenter() int {
	if o.ESX {
		return 1
	}
	return o.ClustersPerDatacenter*o.HostsPerCluster + o.StandaloneHosts
}

// defaultDir prefers the memory-backed /dev/shm for datastore files.
func defaultDir() string {
	const shm = "/dev/shm"
	if fi, err := os.Stat(shm); err == nil && fi.IsDir() {
		if f, err := os.CreateTemp(shm, ".vinventory-vcsim-probe-"); err == nil {
			name := f.Name()
			_ = f.Close()
			_ = os.Remove(name)
			return shm
		}
	}
	return os.TempDir()
}

// Counts is the number of inventory objects of each kind.
type Counts struct {
	Datacenters int
	Clusters    int
	// Hosts counts cluster hosts and standalone hosts.
	Hosts      int
	Datastores int
	// Networks counts every Network object a ContainerView of type
	// "Network" returns: standard port groups, distributed port groups and
	// each distributed switch's uplink port group.
	Networks int
	// StandardNetworks and DistributedPortGroups split Networks; the
	// uplink port groups are counted in DistributedPortGroups.
	StandardNetworks      int
	DistributedPortGroups int
	// ResourcePools counts root pools (one per cluster or standalone host)
	// and child pools.
	ResourcePools int
	// VMs counts every VirtualMachine object, templates included.
	VMs       int
	Templates int
}

// Expected returns the counts of the inventory as built from the Sim's
// Options, before any mutation: what a capture of a fresh Sim should find.
func (s *Sim) Expected() Counts { return s.Options.expected() }

func (o Options) expected() Counts {
	dcs := o.Datacenters
	c := Counts{
		Datacenters:      dcs,
		Clusters:         dcs * o.ClustersPerDatacenter,
		Hosts:            dcs * o.hostsPerDatacenter(),
		Datastores:       dcs * o.Datastores,
		StandardNetworks: dcs * o.Networks,
		VMs:              o.VMs + o.Templates,
		Templates:        o.Templates,
	}
	if o.DistributedPortGroups > 0 {
		c.DistributedPortGroups = dcs * (o.DistributedPortGroups + 1)
	}
	c.Networks = c.StandardNetworks + c.DistributedPortGroups
	if o.ESX {
		c.ResourcePools = 1 + len(o.Pools)
	} else {
		roots := dcs * (o.ClustersPerDatacenter + o.StandaloneHosts)
		c.ResourcePools = roots + c.Clusters*len(o.Pools)
	}
	return c
}
