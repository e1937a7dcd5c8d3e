// Package report writes XLSX reports from a vinventory store: the hourly
// snapshot of a vCenter, daily and monthly summaries for chargeback,
// vCenter totals, a VM's trace, the inventory as of a past time, the
// changes between two dates and an RVTools-compatible workbook.
//
// # Entry points
//
// Write writes the report a Request names to an io.Writer; WriteFile
// writes it into a directory under Request.FileName, atomically (a
// temporary file in the same directory, fsync, rename: a failed or
// cancelled write never leaves a partial file under the final name, and
// never a temporary file). WriteHourly, WriteDaily, WriteMonthly and
// WriteTotals are shortcuts with default Options.
//
//	err := report.WriteDaily(ctx, st, day, w)
//	path, err := report.WriteFile(ctx, st, report.Request{Kind: report.KindMonthly, Period: month}, dir, report.Options{Location: loc})
//
// The functions read through Reader, the read-only part of store.Store
// they need, so any store.Store works. Errors are *Error values naming the
// report kind, the stage (validate, read, write, file) and, for invalid
// requests, the Request field; they wrap ErrInvalidRequest, ErrNoData
// (which wraps store.ErrNotFound) or the underlying store, excelize or
// file-system error.
//
// # Workbooks
//
//	kind     sheets
//	hourly   VMs, Hosts, Clusters, Datastores
//	daily    Daily summary
//	monthly  Monthly summary, By pool tier, By cluster
//	totals   Totals (+ Snapshots for the hourly granularity)
//	trace    History, Lifecycle, Events
//	asof     vInfo, vHost, vDatastore, vCluster (RVTools-style)
//	changes  Added, Removed, Changed
//	rvtools  vInfo, vCPU, vMemory, vDisk, vPartition, vNetwork, vCD, vSnapshot, vTools,
//	         vSource, vRP, vCluster, vHost, vNIC, vSwitch, vPort, dvSwitch, dvPort,
//	         vDatastore, vHealth (RVTools 4.7 names, order and headers)
//
// Every sheet has a bold header row that stays frozen when scrolling, an
// autofilter over all its rows and columns, and column widths that fit the
// content type. Counts are integers (#,##0), averages and sizes have two
// decimals (#,##0.00; the cell keeps the full value, rounded to the 15
// significant digits spreadsheet programs hold), ratios such as Avg present
// are percentages (0.00%), pool percentages (0 to 100 in the store) show a
// % sign without scaling, and times are real Excel dates, shown as
// yyyy-mm-dd hh:mm:ss (days and months as yyyy-mm-dd) in Options.Location,
// whose name is part of the column header, e.g. "Snapshot time (UTC)".
// Unknown times (zero in the store) are empty cells.
//
// Rows are written with excelize's StreamWriter, as inline strings (no
// shared-string table grows with the rows), so memory stays bounded for
// large vCenters: a 40,000-VM hourly report peaks at 111–116 MB of
// resident memory in a process that reads it from SQLite (see
// docs/benchmarks-report.md). The finished, compressed workbook is held in
// memory once before it is written out (excelize builds the zip in a
// buffer), about 4.6 MB for 40,000 VMs. A sheet can hold MaxRows rows;
// more fail with ErrTooManyRows.
//
// # Text is never a formula
//
// Every text value (VM names, folders, attributes, vCenter names, ...) is
// written as a string cell, never as a formula, so spreadsheet programs
// show it exactly as stored. Text starting with =, +, -, @, a tab, CR or LF
// additionally gets the quotePrefix cell style attribute (as if typed with
// a leading apostrophe), so editing the cell in Excel or LibreOffice does
// not turn it into a formula either; the visible value is the original text
// without an added apostrophe. excelize's Style has no field for
// quotePrefix, so the package sets it on the workbook's cell format record
// (excelize File.Styles) after creating the style. The tests read every
// report back with excelize (string type, no formula, value equal to the
// input, quotePrefix present) and, when LibreOffice is installed, convert
// every sheet to CSV with it and compare each cell.
//
// # Sheet contents and the choices made
//
// Hourly (KindHourly): the VMs sheet is the snapshot's vm_hourly_stats rows
// (SnapshotTime is truncated to the second; a vCenter without a snapshot at
// exactly that time is ErrNoData; a registered snapshot of an empty
// vCenter gives sheets with headers only). Pool tier is the resource
// pool's tier under Options.Tiers.
//
// Host and cluster sheets (hourly and asof): one row per host (cluster)
// name a VM or template was on in the snapshot's samples, with the VM
// count, powered-on count, template count, vCPU and RAM totals (templates
// excluded, as in vcenter_totals) and provisioned and used disk
// (templates included), enriched with the attributes of the host
// (cluster) of that name, then the hosts (clusters) without any VM in the
// snapshot. The attributes (connection and maintenance state, CPU and
// memory usage, cluster capacity, ...) are those of the snapshot itself
// when the store keeps entity history (store.EntityHistory) and holds a
// history snapshot at exactly the report's snapshot time: the "State
// time" column is then the snapshot time. Otherwise (a store without the
// capability, or a snapshot captured before the store kept history) they
// are the latest state's: the "State time" column says when they were
// captured, which may be after the snapshot, and hosts (clusters) without
// VMs are added only when their state was captured at or before the
// snapshot, so they existed then. Datastore sheets list the snapshot's
// datastores from the same source (capacity, free, used, uncommitted and
// provisioned space, State time); the "Hosts" column (mounting hosts)
// always counts the latest state's mounts, which history does not keep.
//
// As of (KindAsOf): the latest complete snapshot of the vCenter at or
// before SnapshotTime (from snapshot_registry, else from the sample times
// when the data was imported without registry records), in the sheets
// vInfo, vHost, vDatastore and vCluster, derived as above.
//
// Daily (KindDaily): the vm_daily_rollup rows of the day holding Period in
// Options.Location, of every vCenter or of Request.Vcenter, with the
// billable vCPU-, RAM GB- and disk GB-days of SEMANTICS §4 (the rollup's
// Billable* methods: average × avg_is_present).
//
// Monthly (KindMonthly): the monthly rollup rows of the month holding
// Period. The billable figures of a month are the sums of its days'
// (SEMANTICS §5), stored on each monthly row: a VM seen on 4 of 31 days
// bills those 4 days, never a per-day average stretched over the month.
// "Coverage days" (days with at least one complete snapshot of the
// vCenter) and "Days in month" stand beside the bill on every sheet, so a
// partly observed month shows. "By pool tier" sums the month's daily
// billable figures split by each day's pool shares (Tin, Bronze, Silver,
// Gold, and "(none)" for time in no tiered pool) per vCenter and tier;
// "VMs" counts the VMs with any time in the tier. "By cluster" sums them
// per vCenter and the cluster each day was spent in.
//
// Every percentage (Avg present, Avg powered on, the pool shares) is a
// fraction of 1 with a percent number format, so formulas can mix them.
//
// Totals (KindTotals): vcenter_aggregate_totals of the granularity over
// [From, To) (period means and snapshot counts), and for the hourly
// granularity also the per-snapshot vcenter_totals rows.
//
// Trace (KindTrace): the VM's samples (store TraceVM, matched by VMID,
// else VMUUID, else VMName, in Request.Vcenter), its lifecycle row(s) and
// its events, one row per changed field with before and after values. A
// trace by UUID or name follows every vm_id the samples carry.
//
// Changes (KindChanges): per vCenter (or Request.Vcenter), the latest
// snapshot at or before From is compared with the latest at or before To.
// VMs are matched by their identity key (vm_id, else uuid, else name).
// Added lists VMs only in the second, Removed VMs only in the first, and
// Changed one row per VM with any difference in ChangeFields, with a
// before and an after column for each field (empty when that field did
// not change). A vCenter with no snapshot at From has every VM added. The
// first snapshot's rows of one vCenter are held in memory while the second
// is streamed.
//
// # RVTools workbook
//
// KindRVTools writes the 20 sheets named above with the column headers
// of RVTools 4.7 (docs/research/rvtools-4.7-headers.md; the test compares
// them with that note), so macros and pivot tables written for RVTools
// exports find their columns. It follows RVTools' layout rather than the
// other reports': the pane is frozen at B2, booleans are the text "True"
// or "False" (vTools Upgradeable "Yes"/"No"), dates are date cells shown
// as yyyy/MM/dd HH:mm:ss (in Options.Location), integers #,##0, sizes MiB
// (GB × 1024, rounded), snapshot sizes #,##0.0000, and every sheet is
// written even when it has no rows. The VM sheets get one column per
// custom attribute after Annotation (attribute keys that are not
// "tag:" tags, sorted case-insensitively). Values vinventory does not
// capture (Suspend time, FT, EVC, certificates, licences, shaping
// policies, VI SDK UUID, ...) are empty cells, never made up.
//
// Without SnapshotTime it shows the latest state of Request.Vcenter (or
// of every vCenter): the store's latest-state inventory
// (store.InventoryState, which every store.Store has) and, when the store
// implements store.Details, the detail of the newest capture, which fills
// vCPU/vMemory allocations, vDisk, vPartition, vNetwork, vCD, vSnapshot,
// vTools, the vInfo detail columns, vNIC, vSwitch, vPort, dvSwitch and
// the vHost, vCluster and vDatastore detail columns. A VM without detail
// has its row in vInfo, vCPU, vMemory and vTools with the detail columns
// empty, and no rows in the device sheets.
//
// With SnapshotTime it shows, per vCenter (Request.Vcenter, or every
// vCenter with hosts, clusters or datastores in the latest state or a
// registered endpoint), the latest complete snapshot at or before it: VM rows from that snapshot's samples; host, cluster
// and datastore rows from the store's entity history of that snapshot
// (store.EntityHistory), else the latest state's objects captured at or
// before it (as KindAsOf). History keeps no detail, resource pools or
// networks: those are the latest capture's, joined to the snapshot's VMs
// and hosts by id, and vHealth's first row for the vCenter (Message type
// "Detail") says so with both times.
//
// vHealth lists the findings of package health (health.Evaluate with its
// default thresholds, measured at Options.Clock, or at the snapshot
// time of an as-of workbook); vSource has one row per vCenter, with the
// product name and API type when the store keeps the endpoint. Host rows
// count the VMs (templates excluded) the samples place on a host of that
// name: # VMs total, and # VMs, # vCPUs and vRAM of the powered-on ones.
//
// Unlike the other reports, the RVTools workbook reads the whole state
// and detail into memory before writing (its sheets join VMs, hosts,
// networks and detail): BenchmarkRVTools40k, 40,000 VMs each with two
// disks, a NIC, a CD drive, a snapshot and a partition, took 19 s on a
// shared 2-core machine, peaked at 625 MB of heap (526 MB above the
// memstore's) and wrote a 35 MB workbook.
package report
