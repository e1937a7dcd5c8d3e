// Package vsphere is the govmomi implementation of capture.Source: it reads
// the inventory and the VM lifecycle events of one vCenter or standalone
// ESXi host.
//
// # Sessions
//
// A Source holds one SOAP session. Every call carries a deadline
// (Options.CallTimeout). A call that fails with NotAuthenticated (the
// session expired or was terminated) logs in again — with fresh secrets
// from Options.Credentials — and is repeated once; concurrent callers that
// hit the same expiry share a single login. Work that uses session-scoped
// server objects (container views, property collectors, event collectors)
// is restarted once the session is renewed, because those objects die
// with the old session. A keep-alive (Options.KeepAlive) checks the
// session while the Source is idle and renews it if the server dropped it.
// Close logs out.
//
// TLS certificates are verified against the system roots plus
// Endpoint.TLS.CAFile by default. Endpoint.TLS.Thumbprint pins the
// certificate by its SHA-1 (vSphere style "AA:BB:...") or SHA-256
// fingerprint: the certificate is then accepted if and only if it matches,
// whatever its chain. Endpoint.TLS.Insecure skips verification.
//
// Errors are typed for errors.As: *ConnectError (unreachable or not an SDK
// endpoint), *TLSError (certificate not trusted; carries the presented
// thumbprint and says to set tls.thumbprint or tls.ca_file), *LoginError
// (credentials refused) and *IncompleteError (objects that could not be
// read). Invalid endpoints and options yield *inventory.FieldError values.
// No error or log line contains the password.
//
// # Retrieval
//
// Retrieve reads each kind — VirtualMachine; HostSystem; ComputeResource
// and ClusterComputeResource; Datastore; Network, DistributedVirtualPortgroup,
// OpaqueNetwork and distributed switches; ResourcePool and VirtualApp;
// Folder and Datacenter — through its own recursive ContainerView on the
// root folder and its own PropertyCollector, with explicit property lists,
// paged with RetrievePropertiesEx/ContinueRetrievePropertiesEx
// (Options.PageSize objects per page). Up to Options.Concurrency kinds are
// read at once; the pages of one kind are read in order. Virtual machines,
// the bulk of any inventory, are split further when Concurrency > 1: their
// view is listed (one call), and the list is read in up to Concurrency
// chunks of at least PageSize VMs, each chunk by its own PropertyCollector
// with explicit object specs, so that the server and the client decode on
// several cores (a 10,000-VM read on vcsim: 3.2 s → 2.3 s; see
// docs/benchmarks-capture.md). A VM deleted between the listing and its read
// is left out, as a view read a moment later would have. References are
// then resolved in memory; no object is read on its own unless its bulk
// read came back incomplete (a missingSet), in which case it is re-read
// alone (at most Options.MaxRefetch objects); an object still incomplete
// fails the whole Retrieve with an *IncompleteError naming it. Any failed
// call fails the whole Retrieve: a partial State is never returned.
//
// Field rules (SEMANTICS §1):
//
//   - VM.UUID is config.instanceUuid, else config.uuid.
//   - VM.Host/HostID from runtime.host; VM.Cluster is the cluster of that
//     host (else of the VM's pool), empty for standalone hosts.
//   - VM.ResourcePool is the pool's full inventory path, as RVTools shows
//     it, e.g. "/DC0/host/DC0_C0/Resources/Gold" ("Resources" is the root
//     pool), and VM.ResourcePoolID its managed object id; the last path
//     element is the pool's own name, which decides the pool tier.
//     Templates have no pool. A vApp counts as a pool. ResourcePool.Path
//     is the same full path.
//   - VM.Folder is the inventory path of the VM's folder below the root
//     folder, e.g. "/DC0/vm/web"; a VM inside a vApp gets the vApp's folder
//     path plus the vApp name.
//   - VM.ProvisionedDiskGB = the sum of the capacities of the VM's virtual
//     disks (config.hardware.device VirtualDisk.capacityInBytes: what its
//     owner was given, stable across power state, swap and snapshots) and
//     VM.UsedDiskGB = summary.storage.committed, in GiB (2^30 bytes); RAMMB is
//     config.hardware.memoryMB; GuestOS is config.guestFullName, else
//     config.guestId; IPAddress is guest.ipAddress; CreationTime is
//     config.createDate.
//   - VM.Attributes: custom attributes by field name; vSphere tags as
//     "tag:<category>" = tag names (sorted, ", "-joined), read from the
//     REST tagging API on vCenter (Options.DisableTags turns that off);
//     extra properties (Options.ExtraVMProperties) as "prop:<path>".
//   - Host.MemoryMB, Cluster.TotalMemoryMB are MiB; Datastore sizes GiB.
//     Host.Version/Build come from summary.config.product.
//   - Clusters are ClusterComputeResources only; a standalone host's
//     ComputeResource is not listed, and its host and pools have an empty
//     cluster.
//   - ResourcePool limits are vSphere's (-1 = unlimited). ParentID is the
//     parent pool or vApp, empty for a root pool.
//   - Network.Kind is standard, distributed or opaque; Switch is the
//     distributed switch name; VLAN is the distributed port group's default
//     VLAN ("100", "0" for none, "trunk:0-4094", "pvlan:7"), empty for
//     standard port groups (their VLAN is per host).
//   - Every object carries Vcenter = Endpoint.Name and SnapshotTime =
//     Options.Clock() in UTC, truncated to the second. Slices are sorted by
//     managed object id (naturally: vm-9 before vm-10).
//
// # Detail
//
// Retrieve also fills State.Details, the RVTools-depth detail, in the same
// bulk retrieval (Options.DisableDetails turns it off): explicit detail
// paths are added to each kind's property list (vmDetailProps and the
// others in props.go), and what the core inventory reads already
// (config.hardware.device, folders, the cluster configurationEx, the
// datastore summary) serves the detail too. Per VM: hardware version,
// firmware, notes, guest DNS name, every guest IP (primary first), guest
// state and OS, heartbeat, statuses, connection state, consolidation,
// boot time, Tools status, version and upgrade policy, cores per socket,
// CPU and memory allocations, hot-add flags, the .vmx path, the folder
// path (VM.Folder), the snapshot tree (depth-first, with the current one),
// disks (capacity MiB, provisioning from thinProvisioned/eagerlyScrub,
// datastore, file, controller label, unit, mode, storage I/O shares and
// limit), NICs (adapter type from the device type; the network from the
// backing, a distributed port group found by its key), CD and floppy
// drives, guest partitions, and the HA restart priority (the cluster's
// dasVmConfig for the VM, else the cluster default, empty outside an HA
// cluster). Snapshot files and sizes come from layoutEx (the .vmsn and
// memory files plus the delta disks each snapshot created), read in a
// second bulk read for the VMs that have snapshots only. Per host: boot
// time, status, triggered alarm count, hyperthreading, NTP and DNS
// servers, physical NICs, standard switches and port groups, storage
// adapters. Per cluster: status, EVC mode, DRS behaviour and migration
// threshold, HA settings, effective hosts/CPU/memory, cores and threads
// (summary, as the server reports it). Per datastore: status, VMFS
// version, block size and extents or NFS server and path, maintenance
// mode, multiple host access, number of VMs. Distributed switches: name,
// datacenter, vendor and version (summary.productInfo), description,
// creation time, member hosts, ports, maximum ports and MTU.
//
// Detail is best effort: a fault on a detail path (a missingSet entry)
// leaves that value empty and is logged once per retrieval (the first
// ten and a count); the core paths keep the rules above. NotAuthenticated
// on any path still means the session expired. A server that refuses a
// whole read with InvalidProperty (a detail path its API version does not
// know) has that kind read again without its detail.
//
// A standalone ESXi endpoint works the same way: it has one datacenter
// (ha-datacenter), no clusters, no tags and no custom attributes.
//
// # Watching
//
// Watch (capture.WatchSource) follows the endpoint between captures with
// its own property collector and one filter over container views of every
// kind, reading the core paths Retrieve reads (no detail paths) and
// following the collector's version with WaitForUpdatesEx. It keeps each
// object's property values (a VM's device list reduced to its disk
// total), decodes and resolves them with Retrieve's code, and reports the
// rows that changed; a rename or move of a host, cluster, pool, folder or
// datacenter re-sends the rows that name it. The first update, and the
// first after a re-login, an InvalidCollectorVersion or a lost collector,
// or a request on WatchSourceOptions.Resync, is Full: the whole inventory
// (custom attribute definitions and tags read again), equal to Retrieve
// without detail. A session renewed by any call of the Source (the
// keep-alive, a retrieval) ends a pending wait at once. Transient network
// errors are retried with backoff on the same version (a truncated
// version is single-use: then the watch starts over), then returned.
// A re-entered object (vcsim re-enters every object after a view change)
// makes the watch read its views' lists again to find objects that left
// without a leave. Updates of volatile core paths (a host's quick stats, a
// datastore's free space) are reported as they come.
//
// # Events
//
// Events reads VmCreatedEvent, VmClonedEvent, VmDeployedEvent,
// VmRegisteredEvent and VmRemovedEvent in [from, to) through an event
// history collector (filtered on those types and the window, read in
// pages) that is destroyed afterwards.
//
// # Metrics
//
// CollectMetrics (capture.MetricsSource) reads the hosts', VMs' and
// datastores' quickStats and space with explicit property lists (one
// ContainerView and property collector per kind, the VMs in chunks as in
// Retrieve), sums each cluster's connected hosts, and reads seven
// PerformanceManager counters of connected hosts and powered-on VMs with
// QueryPerf, PerfBatchSize entities per call and up to four calls at
// once. Counter ids are resolved once per session. A failed QueryPerf
// batch or a counter the endpoint does not serve is a MetricFailure; the
// rest is returned. See docs/metrics.md for the properties, counters and
// units.
package vsphere
