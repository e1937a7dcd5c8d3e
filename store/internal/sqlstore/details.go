package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/uptrace/bun"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/driver"
)

// Kinds of entity_details rows.
const (
	detailHost      = "host"
	detailCluster   = "cluster"
	detailDatastore = "datastore"
	detailSwitch    = "switch"
)

// maxIDsInQuery is the most VM ids ReadDetails puts in an IN list; more
// are filtered after reading the vCenter's rows.
const maxIDsInQuery = 500

var vmDetailCols = []string{"vcenter", "vm_id", "hardware_version", "firmware", "annotation", "dns_name",
	"ip_addresses", "guest_state", "guest_full_name", "guest_heartbeat", "overall_status", "config_status",
	"connection_state", "consolidation_needed", "boot_time", "tools_running_status", "tools_version_status",
	"tools_version", "tools_upgrade_policy", "cores_per_socket", "cpu_reservation", "cpu_limit", "cpu_shares_level",
	"cpu_shares", "memory_reservation", "memory_limit", "memory_shares_level", "memory_shares", "cpu_hot_add",
	"cpu_hot_remove", "memory_hot_add", "ha_restart_priority", "vmx_path", "folder_path", "removables",
	"partitions", "snapshot_time"}

func (c *Core) vmDetailArgs(dst []any, v *inventory.VMDetail, st any) []any {
	return append(dst, v.Vcenter, v.VMID, v.HardwareVersion, v.Firmware, v.Annotation, v.DNSName,
		jsonList(v.IPAddresses), v.GuestState, v.GuestFullName, v.GuestHeartbeat, v.OverallStatus, v.ConfigStatus,
		v.ConnectionState, v.ConsolidationNeeded, c.time(v.BootTime), v.ToolsRunningStatus, v.ToolsVersionStatus,
		v.ToolsVersion, v.ToolsUpgradePolicy, v.CoresPerSocket, v.CPU.Reservation, v.CPU.Limit, v.CPU.Shares.Level,
		int64(v.CPU.Shares.Shares), v.Memory.Reservation, v.Memory.Limit, v.Memory.Shares.Level, int64(v.Memory.Shares.Shares),
		v.CPUHotAdd, v.CPUHotRemove, v.MemoryHotAdd, v.HARestartPriority, v.VMXPath, v.FolderPath,
		jsonList(v.Removables), jsonList(v.Partitions), st)
}

// vmDetailDest returns scan destinations for vmDetailCols without
// snapshot_time.
func vmDetailDest(v *inventory.VMDetail) []any {
	return []any{&v.Vcenter, &v.VMID, &v.HardwareVersion, &v.Firmware, &v.Annotation, &v.DNSName,
		jsonDest{&v.IPAddresses}, &v.GuestState, &v.GuestFullName, &v.GuestHeartbeat, &v.OverallStatus,
		&v.ConfigStatus, &v.ConnectionState, &v.ConsolidationNeeded, timeDest{&v.BootTime}, &v.ToolsRunningStatus,
		&v.ToolsVersionStatus, &v.ToolsVersion, &v.ToolsUpgradePolicy, &v.CoresPerSocket, &v.CPU.Reservation,
		&v.CPU.Limit, &v.CPU.Shares.Level, &v.CPU.Shares.Shares, &v.Memory.Reservation, &v.Memory.Limit,
		&v.Memory.Shares.Level, &v.Memory.Shares.Shares, &v.CPUHotAdd, &v.CPUHotRemove, &v.MemoryHotAdd,
		&v.HARestartPriority, &v.VMXPath, &v.FolderPath, jsonDest{&v.Removables}, jsonDest{&v.Partitions}}
}

var vmSnapshotCols = []string{"vcenter", "vm_id", "position", "snapshot_id", "name", "description", "created",
	"quiesced", "state", "depth", "is_current", "file", "size_mb"}

func (c *Core) vmSnapshotArgs(dst []any, vc, vm string, pos int, s *inventory.VMSnapshot) []any {
	return append(dst, vc, vm, pos, int64(s.ID), s.Name, s.Description, c.time(s.Created), s.Quiesced, string(s.State),
		s.Depth, s.Current, s.File, s.SizeMB)
}

func vmSnapshotDest(s *inventory.VMSnapshot) []any {
	return []any{&s.ID, &s.Name, &s.Description, timeDest{&s.Created}, &s.Quiesced, (*string)(&s.State), &s.Depth,
		&s.Current, &s.File, &s.SizeMB}
}

var vmDiskCols = []string{"vcenter", "vm_id", "position", "device_key", "label", "capacity_mb", "provisioning",
	"datastore_id", "datastore", "file_path", "controller", "unit_number", "mode", "shares_level", "shares",
	"limit_iops"}

func vmDiskArgs(dst []any, vc, vm string, pos int, d *inventory.VirtualDisk) []any {
	return append(dst, vc, vm, pos, int64(d.Key), d.Label, d.CapacityMB, d.Provisioning, d.DatastoreID, d.Datastore,
		d.FilePath, d.Controller, int64(d.UnitNumber), d.Mode, d.Shares.Level, int64(d.Shares.Shares), d.LimitIOPS)
}

func vmDiskDest(d *inventory.VirtualDisk) []any {
	return []any{&d.Key, &d.Label, &d.CapacityMB, &d.Provisioning, &d.DatastoreID, &d.Datastore, &d.FilePath,
		&d.Controller, &d.UnitNumber, &d.Mode, &d.Shares.Level, &d.Shares.Shares, &d.LimitIOPS}
}

var vmNICCols = []string{"vcenter", "vm_id", "position", "device_key", "label", "adapter_type", "network_id",
	"network", "mac", "connected", "start_connected"}

func vmNICArgs(dst []any, vc, vm string, pos int, n *inventory.VirtualNIC) []any {
	return append(dst, vc, vm, pos, int64(n.Key), n.Label, n.AdapterType, n.NetworkID, n.Network, n.MAC, n.Connected,
		n.StartConnected)
}

func vmNICDest(n *inventory.VirtualNIC) []any {
	return []any{&n.Key, &n.Label, &n.AdapterType, &n.NetworkID, &n.Network, &n.MAC, &n.Connected, &n.StartConnected}
}

var entityDetailCols = []string{"vcenter", "kind", "id", "snapshot_time", "detail"}

// jsonList encodes a short list as a JSON array argument: NULL when
// empty.
func jsonList[T any](v []T) any {
	if len(v) == 0 {
		return nil
	}
	return detailJSON(v)
}

// detailJSON encodes v as a JSON text argument.
func detailJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil { // cannot happen for the detail types
		panic(err)
	}
	return string(b)
}

// item is one child row of a VM: its index in d.VMs and its position in
// the VM's list.
type item struct{ vm, pos int }

// WriteDetails replaces the detail rows of one vCenter (store.Details).
func (c *Core) WriteDetails(ctx context.Context, p *store.WriteDetailsParams) error {
	const op = "WriteDetails"
	if err := c.check(op); err != nil {
		return err
	}
	st, d, err := driver.PrepareDetails(p)
	if err != nil {
		return err
	}
	vc, stv, batch := p.Vcenter, c.time(st), p.BatchSize
	var snaps, disks, nics []item
	for i := range d.VMs {
		for j := range d.VMs[i].Snapshots {
			snaps = append(snaps, item{i, j})
		}
		for j := range d.VMs[i].Disks {
			disks = append(disks, item{i, j})
		}
		for j := range d.VMs[i].NICs {
			nics = append(nics, item{i, j})
		}
	}
	type entity struct {
		kind, id string
		detail   any
	}
	var ents []entity
	// Rows in primary-key order: (kind, id).
	for i := range d.Clusters {
		ents = append(ents, entity{detailCluster, d.Clusters[i].ClusterID, &d.Clusters[i]})
	}
	for i := range d.Datastores {
		ents = append(ents, entity{detailDatastore, d.Datastores[i].DatastoreID, &d.Datastores[i]})
	}
	for i := range d.Hosts {
		ents = append(ents, entity{detailHost, d.Hosts[i].HostID, &d.Hosts[i]})
	}
	for i := range d.Switches {
		ents = append(ents, entity{detailSwitch, d.Switches[i].ID, &d.Switches[i]})
	}
	w := &writeOp{op: op, vcenter: vc, t: st, stage: store.StageDetails}
	return c.inTx(ctx, w, func(tx Tx) error {
		if err := c.d.Lock(ctx, tx, "details|"+vc); err != nil {
			return err
		}
		for _, t := range []string{TableVMSnapshots, TableVMDisks, TableVMNICs, TableVMDetails, TableEntityDetails} {
			if _, err := tx.Exec(ctx, "DELETE FROM "+c.d.Table(t)+" WHERE vcenter = ?", vc); err != nil {
				return err
			}
		}
		ins := func(table string, cols []string, n int, row func(i int, dst []any) []any) error {
			if n == 0 {
				return nil
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			return c.d.InsertRows(ctx, tx, table, cols, &RowSource{N: n, Cols: cols, Batch: batch, Row: row})
		}
		for _, step := range []func() error{
			func() error {
				return ins(TableVMDetails, vmDetailCols, len(d.VMs), func(i int, dst []any) []any {
					return c.vmDetailArgs(dst, &d.VMs[i], stv)
				})
			},
			func() error {
				return ins(TableVMSnapshots, vmSnapshotCols, len(snaps), func(i int, dst []any) []any {
					x := snaps[i]
					return c.vmSnapshotArgs(dst, vc, d.VMs[x.vm].VMID, x.pos, &d.VMs[x.vm].Snapshots[x.pos])
				})
			},
			func() error {
				return ins(TableVMDisks, vmDiskCols, len(disks), func(i int, dst []any) []any {
					x := disks[i]
					return vmDiskArgs(dst, vc, d.VMs[x.vm].VMID, x.pos, &d.VMs[x.vm].Disks[x.pos])
				})
			},
			func() error {
				return ins(TableVMNICs, vmNICCols, len(nics), func(i int, dst []any) []any {
					x := nics[i]
					return vmNICArgs(dst, vc, d.VMs[x.vm].VMID, x.pos, &d.VMs[x.vm].NICs[x.pos])
				})
			},
			func() error {
				return ins(TableEntityDetails, entityDetailCols, len(ents), func(i int, dst []any) []any {
					return append(dst, vc, ents[i].kind, ents[i].id, stv, detailJSON(ents[i].detail))
				})
			},
		} {
			if err := step(); err != nil {
				return err
			}
		}
		return nil
	})
}

// ReadDetails returns the stored detail of one vCenter or of every
// vCenter (store.Details). It reads the VM rows, then each child table,
// then entity_details, outside a transaction (as the other latest-state
// reads): a WriteDetails of the same vCenter committing in between can
// give VMs of one write with items of the other. Child rows of VMs not
// read are skipped.
func (c *Core) ReadDetails(ctx context.Context, p *store.ReadDetailsParams) (*inventory.Details, error) {
	const op = "ReadDetails"
	if err := c.check(op); err != nil {
		return nil, err
	}
	if err := driver.ValidateReadDetails(p); err != nil {
		return nil, err
	}
	if p == nil {
		p = &store.ReadDetailsParams{}
	}
	// Many ids are filtered here rather than bound one parameter each.
	var keep map[string]bool
	inList := len(p.VMIDs) > 0 && len(p.VMIDs) <= maxIDsInQuery
	if len(p.VMIDs) > maxIDsInQuery {
		keep = make(map[string]bool, len(p.VMIDs))
		for _, id := range p.VMIDs {
			keep[id] = true
		}
	}
	sel := func(table string, cols []string, vmRows bool, order string) *bun.SelectQuery {
		q := c.db.NewSelect().TableExpr(c.d.Table(table))
		for _, col := range cols {
			q = q.ColumnExpr(col)
		}
		if p.Vcenter != "" {
			q = q.Where("vcenter = ?", p.Vcenter)
		}
		if vmRows && inList {
			q = q.Where("vm_id IN (?)", bun.List(p.VMIDs))
		}
		return q.OrderExpr(order)
	}
	out := &inventory.Details{}
	at := map[[2]string]int{} // (vcenter, vm_id) -> index in out.VMs
	var err error
	if !p.EntitiesOnly {
		err = c.queryAll(ctx, op, sel(TableVMDetails, vmDetailCols[:len(vmDetailCols)-1], true, "vcenter, vm_id"), func(r *sql.Rows) error {
			var v inventory.VMDetail
			if err := r.Scan(vmDetailDest(&v)...); err != nil {
				return err
			}
			if keep != nil && !keep[v.VMID] {
				return nil
			}
			at[[2]string{v.Vcenter, v.VMID}] = len(out.VMs)
			out.VMs = append(out.VMs, v)
			return nil
		})
		if err != nil {
			return nil, err
		}
		if len(out.VMs) > 0 {
			child := func(table string, cols []string) *bun.SelectQuery {
				return sel(table, append([]string{"vcenter", "vm_id"}, cols[3:]...), true, "vcenter, vm_id, position")
			}
			if err := readChildren(ctx, c, op, child(TableVMSnapshots, vmSnapshotCols), at, out.VMs, vmSnapshotDest,
				func(v *inventory.VMDetail, x inventory.VMSnapshot) { v.Snapshots = append(v.Snapshots, x) }); err != nil {
				return nil, err
			}
			if err := readChildren(ctx, c, op, child(TableVMDisks, vmDiskCols), at, out.VMs, vmDiskDest,
				func(v *inventory.VMDetail, x inventory.VirtualDisk) { v.Disks = append(v.Disks, x) }); err != nil {
				return nil, err
			}
			if err := readChildren(ctx, c, op, child(TableVMNICs, vmNICCols), at, out.VMs, vmNICDest,
				func(v *inventory.VMDetail, x inventory.VirtualNIC) { v.NICs = append(v.NICs, x) }); err != nil {
				return nil, err
			}
		}
	}
	if p.VMsOnly {
		return out, nil
	}
	err = c.queryAll(ctx, op, sel(TableEntityDetails, []string{"kind", "detail"}, false, "vcenter, kind, id"), func(r *sql.Rows) error {
		var kind string
		var raw json.RawMessage
		if err := r.Scan(&kind, jsonDest{&raw}); err != nil {
			return err
		}
		switch kind {
		case detailHost:
			out.Hosts = append(out.Hosts, inventory.HostDetail{})
			return json.Unmarshal(raw, &out.Hosts[len(out.Hosts)-1])
		case detailCluster:
			out.Clusters = append(out.Clusters, inventory.ClusterDetail{})
			return json.Unmarshal(raw, &out.Clusters[len(out.Clusters)-1])
		case detailDatastore:
			out.Datastores = append(out.Datastores, inventory.DatastoreDetail{})
			return json.Unmarshal(raw, &out.Datastores[len(out.Datastores)-1])
		case detailSwitch:
			out.Switches = append(out.Switches, inventory.DistributedSwitch{})
			return json.Unmarshal(raw, &out.Switches[len(out.Switches)-1])
		}
		return fmt.Errorf("entity_details: unknown kind %q", kind)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// readChildren reads the child rows q selects (vcenter, vm_id, then the
// columns dest scans) and adds each to its VM in vms (found through at);
// rows of VMs not there are skipped.
func readChildren[T any](ctx context.Context, c *Core, op string, q *bun.SelectQuery, at map[[2]string]int,
	vms []inventory.VMDetail, dest func(*T) []any, add func(v *inventory.VMDetail, x T)) error {
	var key [2]string
	var x T
	args := append([]any{&key[0], &key[1]}, dest(&x)...)
	return c.queryAll(ctx, op, q, func(r *sql.Rows) error {
		var zero T
		x = zero
		if err := r.Scan(args...); err != nil {
			return err
		}
		if i, ok := at[key]; ok {
			add(&vms[i], x)
		}
		return nil
	})
}
