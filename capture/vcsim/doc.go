// Package vcsim runs govmomi's vCenter simulator (package
// github.com/vmware/govmomi/simulator) with a realistic inventory, so that
// capture code can be tested and demonstrated against a real SOAP endpoint
// instead of a mock. Tests change the inventory between captures with the
// mutation methods and inject faults and latency to exercise error paths.
// It imports no test code: the daemon's demo mode runs on it, and package
// capturetest wraps it for tests (capturetest.NewSim).
//
// # Starting a simulator
//
// Start builds the inventory, starts an HTTPS server on 127.0.0.1; Close
// stops it and removes its files:
//
//	sim, err := vcsim.Start(ctx, vcsim.Options{VMs: 200, Seed: 1})
//	defer sim.Close()
//	src, err := vsphere.New(ctx, inventory.Endpoint{URL: sim.URL.String(), ...})
//
// In a test, capturetest.NewSim does both and fails the test on error. The Sim
// exposes the URL with credentials (URL, Username, Password), a logged-in
// *govmomi.Client (Client), NewClient for more sessions, the vcsim Model and
// Server, and the server's TLS certificate: Thumbprint and ThumbprintSHA256
// for thumbprint pinning (soap.Client.SetThumbprint(sim.Addr(), ...)),
// CertPool and CertificatePEM for CA verification. Every Sim gets its own
// self-signed certificate, so a thumbprint of another Sim is a wrong one.
//
// # The inventory
//
// Options sets the number of datacenters, clusters, hosts per cluster,
// standalone hosts, datastores, standard and distributed port groups, VMs
// and templates, and the child resource pools of every cluster (Tin,
// Bronze, Silver and Gold by default). Expected returns the resulting
// counts. VMs are spread over compute resources, hosts, pools and
// datastores and get varied, realistic settings: names like app-web-00123,
// 1 to 16 vCPUs, 1 to 64 GiB of memory, one to three disks, a guest OS, one
// or two NICs; most are powered on (with a guest IP address), some are off
// and some suspended; most have a past config.createDate and a few have
// none. The same Seed gives the same inventory (names, sizes, placement,
// states, dates); morefs and UUIDs are vcsim's.
//
// # Building large inventories fast
//
// vcsim's Model.Create creates VMs one at a time (about 37 ms each), so a
// Sim builds a model without VMs and creates them itself with
// CreateVM_Task on Options.Workers goroutines, before the server starts:
//
//   - the task methods are called directly on the simulator objects, under
//     the same object locks vcsim's Service takes for a SOAP call, which
//     skips the XML deep copy of every request that even vcsim's in-process
//     client pays; tasks are awaited by polling the Task object under its
//     lock, not with a PropertyCollector, whose WaitForUpdatesEx deep-copies
//     the task through XML several times;
//   - the power state of a generated VM (and its boot time and guest
//     address) is set at creation through the ExtraConfig "SET." keys vcsim
//     supports, instead of a PowerOnVM_Task and SuspendVM_Task per VM; the
//     VMs then behave like any other for later power, reconfigure,
//     relocate and destroy calls, but the event history has no power-on
//     events for them, as for VMs that have been running for a while;
//   - datastore directories go to /dev/shm when it is available (see
//     Options.Dir): vcsim writes about seven files per VM, which costs more
//     than everything else together on a disk-backed file system;
//   - creation holds a per-datastore lock, because vcsim's Datastore.resolve
//     copies the datastore object without its lock and races with other VM
//     operations on the same datastore under go test -race. The mutation
//     methods take the same locks.
//
// One Sim per endpoint in tests that capture several endpoints at once:
// vcsim's event manager iterates its history collectors while another
// session may destroy one (a Logout next to a DestroyCollector), which go
// test -race reports inside govmomi.
//
// On the 2-core CI machines this builds 10,000 VMs in about 10 to 15 s and
// 40,000 in about a minute (1.6 ms of CPU per VM, a quarter of it garbage
// collection; GOGC=400 cuts the CPU time by a quarter for twice the
// memory); see BenchmarkNewSim.
//
// # Mutations
//
// CreateVM, DestroyVM, PowerOn, PowerOff, Suspend, Reconfigure,
// MigrateHost, MovePool, Rename, MarkAsTemplate, MarkAsVirtualMachine,
// SetCustomValue, RenameHost and SetHostMaintenance change the inventory through the vSphere API (the Sim's
// Client), and work around vcsim quirks so that a ContainerView and
// PropertyCollector retrieval made afterwards sees what vCenter would show:
// after a relocation or a template conversion the hosts' and pools' vm
// lists are rebuilt from the VMs' runtime.host and resourcePool (vcsim
// leaves them stale, so a moved VM would stay listed under its old host and
// a moved-then-destroyed VM would linger as a dead moref); Rename follows
// Rename_Task with a name-only reconfiguration so config.name changes too;
// Reconfigure converts a template to a VM and back, since vcsim only lets a
// template change its name. vcsim never fills Network.vm, so the Sim keeps
// it in step with the VMs' network property too (and fills Network.host and
// HostSystem.network for the standard port groups it adds). A VM is named
// by its moref value or its name; VMs, VMRefs, VMByName, Hosts and Pools
// list what exists. Mutations of different VMs may run concurrently;
// mutations of one VM should not.
//
// Detail mutations, for RVTools-depth capture tests: CreateSnapshot,
// RemoveSnapshot, RevertToSnapshot, AddDisk, ResizeDisk, RemoveDisk,
// AddNIC, RemoveNIC, SetNICConnected, SetAnnotation, SetTools (vcsim's
// SET.<path> extraConfig keys for the guest Tools properties) and
// UpgradeHardware go through the API too. SetGuest (guest host name,
// state, IPs, partitions, heartbeat, consolidation) and SetProperty (any
// property of any object: a host's NTP servers, a cluster's HA settings, a
// datastore's VMFS info...) write vcsim's registry under the object's lock,
// for what vcsim has no API for; SetProperty turns vcsim's panics on an
// unknown path or a wrong type into errors.
//
// Metrics: vcsim leaves VM quickStats at 0 and host quickStats at 67 MHz
// and 1404 MB; SetVMQuickStats and SetHostQuickStats set them. vcsim's
// QueryPerf adds random noise to its recorded series, so RecordPerf
// records the samples it served (PerfRecording.Queries) for a test to
// compute expected values from.
//
// Power events, for telling a user's power-off from a failure
// (vsphere.Source.PowerEvents, package alert): ShutdownGuest (vcsim posts
// VmGuestShutdownEvent and VmPoweredOffEvent with the Sim's user),
// SetVMPowerState and SetHostConnectionState (a state change with no
// event, as when a host dies), VMsOnHost, and PostEvent, which posts any
// event through vcsim's EventManager from a session with a chosen user
// name or none (vcsim stamps a posted event with the posting session's
// user); VMEvent and HostEvent give the event arguments to embed.
//
// # Watchers
//
// vcsim sets some properties without telling property collectors
// (ReconfigVM_Task's CPU, memory and devices, SetCustomValue, template
// conversions, host maintenance mode), and a change reported on a parent
// path never reaches a filter that names a deeper path. Every mutation
// above therefore reports the leaf paths it changes (name, runtime.host,
// resourcePool, config.hardware.numCPU/memoryMB/device, config.template,
// datastore, network, customValue) through Registry.Update under the VM's
// lock, so a watcher following a WaitForUpdatesEx filter (such as
// vsphere.Source.Watch) sees them. RenameHost (vcsim has no Rename_Task
// for hosts) and SetHostMaintenance do the same for hosts. Two vcsim
// behaviours a watcher must absorb remain: a container view's change makes
// a filter re-enter every object, and the leave of an object removed with
// that change is dropped; DestroyVM then reports an unchanged host name so
// the re-entered set arrives at once, without the destroyed VM.
// InjectInvalidCollectorVersion fails the next WaitForUpdatesEx as a
// vCenter does for an out-of-date collector version; ExpireSessions ends a
// watcher's session (its collector goes with it).
//
// # Faults and latency
//
// InjectNotAuthenticated fails one call of a method (for example the
// second RetrievePropertiesEx, or a ContinueRetrievePropertiesEx page) as
// an expired session would; ExpireSessions really ends the other sessions,
// and SetSessionTimeout makes new sessions expire when idle.
// InjectNetworkFailure fails a method after N calls, a given number of
// times or until removed; InjectSlowCalls delays a method; InjectFault takes
// a full FaultRule; ClearFaults removes them all. Faults are vcsim's
// (simulator.FaultType and FaultInjector.CreateFault) but the rules are
// evaluated by the Sim, under its own lock, because vcsim's FaultInjector
// is not safe for concurrent calls. Faults apply to every client, the Sim's
// own included.
//
// Options.Latency sets vcsim's DelayConfig: a fixed delay per call, extra
// delay per method and jitter, applied to every SOAP call once the
// inventory is built (see Latency).
package vcsim
