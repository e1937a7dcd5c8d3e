package api

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

// registerEntities declares the latest-state lists and details.
func (a *API) registerEntities() {
	get := func(path, id, summary string) huma.Operation {
		o := op(http.MethodGet, path, id, summary, RoleViewer, "inventory")
		if strings.Contains(path, "{") {
			o.Errors = append(o.Errors, http.StatusNotFound)
		}
		return o
	}
	vms := get("/api/vms", "list-vms", "VMs (latest state): filtered, sorted, paged")
	vms.Errors = append(vms.Errors, http.StatusServiceUnavailable)
	huma.Register(a.h, vms, a.listVMs)
	huma.Register(a.h, get("/api/vms/{vcenter}/{vm_id}", "get-vm", "A VM with its host, cluster, pool, datastores, networks and recent events"), a.getVM)
	huma.Register(a.h, get("/api/hosts", "list-hosts", "ESXi hosts (latest state)"), a.listHosts)
	huma.Register(a.h, get("/api/hosts/{vcenter}/{host_id}", "get-host", "A host with its cluster, VMs and datastores"), a.getHost)
	huma.Register(a.h, get("/api/clusters", "list-clusters", "Clusters (latest state)"), a.listClusters)
	huma.Register(a.h, get("/api/clusters/{vcenter}/{cluster_id}", "get-cluster", "A cluster with its hosts and VMs"), a.getCluster)
	huma.Register(a.h, get("/api/datastores", "list-datastores", "Datastores (latest state)"), a.listDatastores)
	huma.Register(a.h, get("/api/datastores/{vcenter}/{datastore_id}", "get-datastore", "A datastore with its hosts and VMs"), a.getDatastore)
	huma.Register(a.h, get("/api/networks", "list-networks", "Networks (latest state)"), a.listNetworks)
	huma.Register(a.h, get("/api/networks/{vcenter}/{network_id}", "get-network", "A network with its VMs"), a.getNetwork)
	huma.Register(a.h, get("/api/resource-pools", "list-resource-pools", "Resource pools (latest state)"), a.listPools)
	huma.Register(a.h, get("/api/resource-pools/{vcenter}/{pool_id}", "get-resource-pool", "A resource pool with its VMs"), a.getPool)
}

// listOutput is a page of items.
type listOutput[T any] struct {
	Body struct {
		Items      []T    `json:"items"`
		NextCursor string `json:"next_cursor,omitempty"`
	}
}

func newList[T any](items []T, next string) *listOutput[T] {
	out := &listOutput[T]{}
	out.Body.Items, out.Body.NextCursor = items, next
	if out.Body.Items == nil {
		out.Body.Items = []T{}
	}
	return out
}

// offsetPage pages a list the store returns whole (hosts, clusters and the
// like number in the hundreds): the cursor is the offset of the next item.
func offsetPage[T any](items []T, p Page) ([]T, string, error) {
	off := 0
	if p.Cursor != "" {
		b, err := base64.RawURLEncoding.DecodeString(p.Cursor)
		s, ok := strings.CutPrefix(string(b), "o:")
		if err == nil && ok {
			off, err = strconv.Atoi(s)
		}
		if err != nil || !ok || off < 0 {
			return nil, "", invalid("cursor", "not a cursor this list returned")
		}
	}
	if off >= len(items) {
		return nil, "", nil
	}
	end := min(off+p.Limit, len(items))
	next := ""
	if end < len(items) {
		next = base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "o:%d", end))
	}
	return items[off:end], next, nil
}

// notVisible is the 404 of a detail outside the caller's scope: the same
// answer as an unknown object, so a scope reveals nothing.
func notVisible(ctx context.Context, kind, id, vcenter string) error {
	if scopeOf(ctx).sees(vcenter) {
		return nil
	}
	return huma.Error404NotFound(fmt.Sprintf("no %s %q in vCenter %q", kind, id, vcenter))
}

// VMDetail is a VM with the entities it relates to.
type VMDetail struct {
	VM           inventory.VM            `json:"vm"`
	Host         *inventory.Host         `json:"host,omitempty"`
	Cluster      *inventory.Cluster      `json:"cluster,omitempty"`
	ResourcePool *inventory.ResourcePool `json:"resource_pool,omitempty"`
	Datastores   []inventory.Datastore   `json:"datastores"`
	Networks     []inventory.Network     `json:"networks"`
	// RecentEvents are its latest events, newest first (at most 20).
	RecentEvents []inventory.Event `json:"recent_events"`
	// Detail is its RVTools-depth detail (snapshots, disks, NICs, Tools,
	// settings) from the newest capture, when the store keeps detail.
	Detail *inventory.VMDetail `json:"detail,omitempty"`
}

type vmInput struct {
	Vcenter string `path:"vcenter" maxLength:"256"`
	VMID    string `path:"vm_id" maxLength:"256"`
}

// recentEvents is how many events a detail shows.
const recentEvents = 20

func (a *API) getVM(ctx context.Context, in *vmInput) (*struct{ Body VMDetail }, error) {
	if err := notVisible(ctx, "VM", in.VMID, in.Vcenter); err != nil {
		return nil, err
	}
	d, err := a.VMDetail(ctx, in.Vcenter, in.VMID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, huma.Error404NotFound(fmt.Sprintf("no VM %q in vCenter %q", in.VMID, in.Vcenter))
	}
	if err != nil {
		return nil, a.storeError(ctx, "VM detail", err)
	}
	return &struct{ Body VMDetail }{*d}, nil
}

// VMDetail reads what GET /api/vms/{vcenter}/{vm_id} answers: the VM and
// its relations and recent events, straight from the store (no scope
// check; store.ErrNotFound for an unknown VM). The load benchmark times it
// as "the store call alone".
func (a *API) VMDetail(ctx context.Context, vcenter, vmID string) (*VMDetail, error) {
	vm, err := a.o.Store.GetVM(ctx, &store.GetVMParams{Vcenter: vcenter, VMID: vmID})
	if err != nil {
		return nil, err
	}
	// Each relation is read by id, not as the vCenter's whole list.
	d := VMDetail{VM: *vm, Datastores: []inventory.Datastore{}, Networks: []inventory.Network{}}
	if vm.HostID != "" {
		hosts, err := a.o.Store.ListHosts(ctx, &store.ListHostsParams{Vcenter: vm.Vcenter, IDs: []string{vm.HostID}})
		if err != nil {
			return nil, err
		}
		if len(hosts) == 1 {
			d.Host = &hosts[0]
			if d.Cluster, err = a.cluster(ctx, vm.Vcenter, hosts[0].ClusterID); err != nil {
				return nil, err
			}
		}
	}
	if vm.ResourcePoolID != "" {
		pools, err := a.o.Store.ListResourcePools(ctx, &store.ListResourcePoolsParams{Vcenter: vm.Vcenter, IDs: []string{vm.ResourcePoolID}})
		if err != nil {
			return nil, err
		}
		if len(pools) == 1 {
			d.ResourcePool = &pools[0]
		}
	}
	if len(vm.DatastoreIDs) > 0 {
		if d.Datastores, err = a.o.Store.ListDatastores(ctx, &store.ListDatastoresParams{Vcenter: vm.Vcenter, IDs: vm.DatastoreIDs}); err != nil {
			return nil, err
		}
	}
	if len(vm.NetworkIDs) > 0 {
		if d.Networks, err = a.o.Store.ListNetworks(ctx, &store.ListNetworksParams{Vcenter: vm.Vcenter, IDs: vm.NetworkIDs}); err != nil {
			return nil, err
		}
	}
	d.Datastores, d.Networks = orEmpty(d.Datastores), orEmpty(d.Networks)
	det, err := a.details(ctx, vm.Vcenter, []string{vm.ID})
	if err != nil {
		return nil, err
	}
	if det != nil && len(det.VMs) == 1 {
		d.Detail = &det.VMs[0]
	}
	ev, err := a.o.Store.ListEvents(ctx, &store.ListEventsParams{Vcenter: vm.Vcenter, VMID: vm.ID, Descending: true, Limit: recentEvents})
	if err != nil {
		return nil, err
	}
	d.RecentEvents = orEmpty(ev.Events)
	return &d, nil
}

// lookup returns the item whose key is id, or a 404 naming what is missing.
func lookup[T any](items []T, key func(T) string, kind, id, vcenter string) (T, error) {
	if i := slices.IndexFunc(items, func(x T) bool { return key(x) == id }); i >= 0 {
		return items[i], nil
	}
	var zero T
	return zero, huma.Error404NotFound(fmt.Sprintf("no %s %q in vCenter %q", kind, id, vcenter))
}

// keep returns the items f keeps, never nil.
func keep[T any](items []T, f func(T) bool) []T {
	out := []T{}
	for _, it := range items {
		if f(it) {
			out = append(out, it)
		}
	}
	return out
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// cluster returns a vCenter's cluster by id (nil when unknown).
func (a *API) cluster(ctx context.Context, vcenter, id string) (*inventory.Cluster, error) {
	if id == "" {
		return nil, nil
	}
	cs, err := a.o.Store.ListClusters(ctx, &store.ListClustersParams{Vcenter: vcenter, IDs: []string{id}})
	if err != nil {
		return nil, err
	}
	if len(cs) == 1 {
		return &cs[0], nil
	}
	return nil, nil
}

// vmsWhere returns the first page of VMs matching p (at most 1000) and the
// cursor of the rest, for a detail's VM list (/api/vms with the same
// filter pages on).
func (a *API) vmsWhere(ctx context.Context, p store.ListVMsParams) ([]inventory.VM, string, error) {
	p.Limit = 1000
	pg, err := a.o.Store.ListVMs(ctx, &p)
	if err != nil {
		return nil, "", a.storeError(ctx, "list VMs", err)
	}
	return orEmpty(pg.VMs), pg.NextCursor, nil
}

type hostsInput struct {
	Vcenter   string `query:"vcenter" maxLength:"256"`
	ClusterID string `query:"cluster_id" maxLength:"256"`
	ListQuery
	Page
}

func (a *API) listHosts(ctx context.Context, in *hostsInput) (*listOutput[inventory.Host], error) {
	sc := scopeOf(ctx)
	vc, _, ok := sc.filter(in.Vcenter)
	if !ok {
		return newList[inventory.Host](nil, ""), nil
	}
	hs, err := a.o.Store.ListHosts(ctx, &store.ListHostsParams{Vcenter: vc, ClusterID: in.ClusterID})
	if err != nil {
		return nil, a.storeError(ctx, "list hosts", err)
	}
	rows, err := queryList(visible(sc, hs, func(x inventory.Host) string { return x.Vcenter }), in.ListQuery, func(x inventory.Host) string { return x.Name })
	if err != nil {
		return nil, err
	}
	items, next, err := offsetPage(rows, in.Page)
	if err != nil {
		return nil, err
	}
	return newList(items, next), nil
}

// HostDetail is a host with its cluster, VMs and datastores.
type HostDetail struct {
	Host       inventory.Host        `json:"host"`
	Cluster    *inventory.Cluster    `json:"cluster,omitempty"`
	Datastores []inventory.Datastore `json:"datastores"`
	// VMs are the first 1000 of its VMs; VMsNextCursor pages on through
	// /api/vms?host_id=.
	VMs           []inventory.VM `json:"vms"`
	VMsNextCursor string         `json:"vms_next_cursor,omitempty"`
	// Detail is its RVTools-depth detail (NICs, HBAs, switches, services),
	// when the store keeps detail.
	Detail *inventory.HostDetail `json:"detail,omitempty"`
}

type hostInput struct {
	Vcenter string `path:"vcenter" maxLength:"256"`
	HostID  string `path:"host_id" maxLength:"256"`
}

func (a *API) getHost(ctx context.Context, in *hostInput) (*struct{ Body HostDetail }, error) {
	if err := notVisible(ctx, "host", in.HostID, in.Vcenter); err != nil {
		return nil, err
	}
	hs, err := a.o.Store.ListHosts(ctx, &store.ListHostsParams{Vcenter: in.Vcenter, IDs: []string{in.HostID}})
	if err != nil {
		return nil, a.storeError(ctx, "list hosts", err)
	}
	h, err := lookup(hs, func(h inventory.Host) string { return h.ID }, "host", in.HostID, in.Vcenter)
	if err != nil {
		return nil, err
	}
	d := HostDetail{Host: h}
	if d.Cluster, err = a.cluster(ctx, in.Vcenter, h.ClusterID); err != nil {
		return nil, a.storeError(ctx, "list clusters", err)
	}
	dss, err := a.o.Store.ListDatastores(ctx, &store.ListDatastoresParams{Vcenter: in.Vcenter, HostID: in.HostID})
	if err != nil {
		return nil, a.storeError(ctx, "list datastores", err)
	}
	d.Datastores = orEmpty(dss)
	if d.VMs, d.VMsNextCursor, err = a.vmsWhere(ctx, store.ListVMsParams{Vcenter: in.Vcenter, HostID: in.HostID}); err != nil {
		return nil, err
	}
	det, err := a.details(ctx, in.Vcenter, nil)
	if err != nil {
		return nil, a.storeError(ctx, "read details", err)
	}
	if det != nil {
		d.Detail = findDetail(det.Hosts, func(x inventory.HostDetail) bool { return x.HostID == in.HostID })
	}
	return &struct{ Body HostDetail }{d}, nil
}

type vcenterInput struct {
	Vcenter string `query:"vcenter" maxLength:"256"`
	ListQuery
	Page
}

func (a *API) listClusters(ctx context.Context, in *vcenterInput) (*listOutput[inventory.Cluster], error) {
	sc := scopeOf(ctx)
	vc, _, ok := sc.filter(in.Vcenter)
	if !ok {
		return newList[inventory.Cluster](nil, ""), nil
	}
	cs, err := a.o.Store.ListClusters(ctx, &store.ListClustersParams{Vcenter: vc})
	if err != nil {
		return nil, a.storeError(ctx, "list clusters", err)
	}
	rows, err := queryList(visible(sc, cs, func(x inventory.Cluster) string { return x.Vcenter }), in.ListQuery, func(x inventory.Cluster) string { return x.Name })
	if err != nil {
		return nil, err
	}
	items, next, err := offsetPage(rows, in.Page)
	if err != nil {
		return nil, err
	}
	return newList(items, next), nil
}

// ClusterDetail is a cluster with its hosts and their VMs.
type ClusterDetail struct {
	Cluster inventory.Cluster `json:"cluster"`
	Hosts   []inventory.Host  `json:"hosts"`
	// VMs are the VMs on its hosts, at most 1000 (Truncated says more).
	VMs       []inventory.VM `json:"vms"`
	Truncated bool           `json:"truncated,omitempty"`
	// Detail is its EVC, DRS and HA settings and effective capacity, when
	// the store keeps detail.
	Detail *inventory.ClusterDetail `json:"detail,omitempty"`
}

type clusterInput struct {
	Vcenter   string `path:"vcenter" maxLength:"256"`
	ClusterID string `path:"cluster_id" maxLength:"256"`
}

func (a *API) getCluster(ctx context.Context, in *clusterInput) (*struct{ Body ClusterDetail }, error) {
	if err := notVisible(ctx, "cluster", in.ClusterID, in.Vcenter); err != nil {
		return nil, err
	}
	c, err := a.cluster(ctx, in.Vcenter, in.ClusterID)
	if err != nil {
		return nil, a.storeError(ctx, "list clusters", err)
	}
	if c == nil {
		return nil, huma.Error404NotFound(fmt.Sprintf("no cluster %q in vCenter %q", in.ClusterID, in.Vcenter))
	}
	d := ClusterDetail{Cluster: *c, VMs: []inventory.VM{}}
	hs, err := a.o.Store.ListHosts(ctx, &store.ListHostsParams{Vcenter: in.Vcenter, ClusterID: in.ClusterID})
	if err != nil {
		return nil, a.storeError(ctx, "list hosts", err)
	}
	d.Hosts = orEmpty(hs)
	for _, h := range hs {
		vms, next, err := a.vmsWhere(ctx, store.ListVMsParams{Vcenter: in.Vcenter, HostID: h.ID})
		if err != nil {
			return nil, err
		}
		d.VMs = append(d.VMs, vms...)
		if next != "" || len(d.VMs) > 1000 {
			d.VMs, d.Truncated = d.VMs[:min(len(d.VMs), 1000)], true
			break
		}
	}
	det, err := a.details(ctx, in.Vcenter, nil)
	if err != nil {
		return nil, a.storeError(ctx, "read details", err)
	}
	if det != nil {
		d.Detail = findDetail(det.Clusters, func(x inventory.ClusterDetail) bool { return x.ClusterID == in.ClusterID })
	}
	return &struct{ Body ClusterDetail }{d}, nil
}

type datastoresInput struct {
	Vcenter string `query:"vcenter" maxLength:"256"`
	HostID  string `query:"host_id" maxLength:"256"`
	ListQuery
	Page
}

func (a *API) listDatastores(ctx context.Context, in *datastoresInput) (*listOutput[inventory.Datastore], error) {
	sc := scopeOf(ctx)
	vc, _, ok := sc.filter(in.Vcenter)
	if !ok {
		return newList[inventory.Datastore](nil, ""), nil
	}
	ds, err := a.o.Store.ListDatastores(ctx, &store.ListDatastoresParams{Vcenter: vc, HostID: in.HostID})
	if err != nil {
		return nil, a.storeError(ctx, "list datastores", err)
	}
	rows, err := queryList(visible(sc, ds, func(x inventory.Datastore) string { return x.Vcenter }), in.ListQuery, func(x inventory.Datastore) string { return x.Name })
	if err != nil {
		return nil, err
	}
	items, next, err := offsetPage(rows, in.Page)
	if err != nil {
		return nil, err
	}
	return newList(items, next), nil
}

// DatastoreDetail is a datastore with the hosts mounting it and its VMs.
type DatastoreDetail struct {
	Datastore     inventory.Datastore `json:"datastore"`
	Hosts         []inventory.Host    `json:"hosts"`
	VMs           []inventory.VM      `json:"vms"`
	VMsNextCursor string              `json:"vms_next_cursor,omitempty"`
	// Detail is its file system, NFS, maintenance and access detail, when
	// the store keeps detail.
	Detail *inventory.DatastoreDetail `json:"detail,omitempty"`
}

type datastoreInput struct {
	Vcenter     string `path:"vcenter" maxLength:"256"`
	DatastoreID string `path:"datastore_id" maxLength:"256"`
}

func (a *API) getDatastore(ctx context.Context, in *datastoreInput) (*struct{ Body DatastoreDetail }, error) {
	if err := notVisible(ctx, "datastore", in.DatastoreID, in.Vcenter); err != nil {
		return nil, err
	}
	dss, err := a.o.Store.ListDatastores(ctx, &store.ListDatastoresParams{Vcenter: in.Vcenter, IDs: []string{in.DatastoreID}})
	if err != nil {
		return nil, a.storeError(ctx, "list datastores", err)
	}
	ds, err := lookup(dss, func(d inventory.Datastore) string { return d.ID }, "datastore", in.DatastoreID, in.Vcenter)
	if err != nil {
		return nil, err
	}
	d := DatastoreDetail{Datastore: ds}
	d.Hosts = []inventory.Host{}
	if len(ds.HostIDs) > 0 {
		if d.Hosts, err = a.o.Store.ListHosts(ctx, &store.ListHostsParams{Vcenter: in.Vcenter, IDs: ds.HostIDs}); err != nil {
			return nil, a.storeError(ctx, "list hosts", err)
		}
	}
	if d.VMs, d.VMsNextCursor, err = a.vmsWhere(ctx, store.ListVMsParams{Vcenter: in.Vcenter, DatastoreID: in.DatastoreID}); err != nil {
		return nil, err
	}
	det, err := a.details(ctx, in.Vcenter, nil)
	if err != nil {
		return nil, a.storeError(ctx, "read details", err)
	}
	if det != nil {
		d.Detail = findDetail(det.Datastores, func(x inventory.DatastoreDetail) bool { return x.DatastoreID == in.DatastoreID })
	}
	return &struct{ Body DatastoreDetail }{d}, nil
}

func (a *API) listNetworks(ctx context.Context, in *vcenterInput) (*listOutput[inventory.Network], error) {
	sc := scopeOf(ctx)
	vc, _, ok := sc.filter(in.Vcenter)
	if !ok {
		return newList[inventory.Network](nil, ""), nil
	}
	ns, err := a.o.Store.ListNetworks(ctx, &store.ListNetworksParams{Vcenter: vc})
	if err != nil {
		return nil, a.storeError(ctx, "list networks", err)
	}
	rows, err := queryList(visible(sc, ns, func(x inventory.Network) string { return x.Vcenter }), in.ListQuery, func(x inventory.Network) string { return x.Name })
	if err != nil {
		return nil, err
	}
	items, next, err := offsetPage(rows, in.Page)
	if err != nil {
		return nil, err
	}
	return newList(items, next), nil
}

// NetworkDetail is a network with its VMs.
type NetworkDetail struct {
	Network       inventory.Network `json:"network"`
	VMs           []inventory.VM    `json:"vms"`
	VMsNextCursor string            `json:"vms_next_cursor,omitempty"`
}

type networkInput struct {
	Vcenter   string `path:"vcenter" maxLength:"256"`
	NetworkID string `path:"network_id" maxLength:"256"`
}

func (a *API) getNetwork(ctx context.Context, in *networkInput) (*struct{ Body NetworkDetail }, error) {
	if err := notVisible(ctx, "network", in.NetworkID, in.Vcenter); err != nil {
		return nil, err
	}
	ns, err := a.o.Store.ListNetworks(ctx, &store.ListNetworksParams{Vcenter: in.Vcenter, IDs: []string{in.NetworkID}})
	if err != nil {
		return nil, a.storeError(ctx, "list networks", err)
	}
	n, err := lookup(ns, func(n inventory.Network) string { return n.ID }, "network", in.NetworkID, in.Vcenter)
	if err != nil {
		return nil, err
	}
	d := NetworkDetail{Network: n}
	if d.VMs, d.VMsNextCursor, err = a.vmsWhere(ctx, store.ListVMsParams{Vcenter: in.Vcenter, NetworkID: in.NetworkID}); err != nil {
		return nil, err
	}
	return &struct{ Body NetworkDetail }{d}, nil
}

type poolsInput struct {
	Vcenter   string `query:"vcenter" maxLength:"256"`
	ClusterID string `query:"cluster_id" maxLength:"256"`
	ListQuery
	Page
}

func (a *API) listPools(ctx context.Context, in *poolsInput) (*listOutput[inventory.ResourcePool], error) {
	sc := scopeOf(ctx)
	vc, _, ok := sc.filter(in.Vcenter)
	if !ok {
		return newList[inventory.ResourcePool](nil, ""), nil
	}
	ps, err := a.o.Store.ListResourcePools(ctx, &store.ListResourcePoolsParams{Vcenter: vc, ClusterID: in.ClusterID})
	if err != nil {
		return nil, a.storeError(ctx, "list resource pools", err)
	}
	rows, err := queryList(visible(sc, ps, func(x inventory.ResourcePool) string { return x.Vcenter }), in.ListQuery, func(x inventory.ResourcePool) string { return x.Name })
	if err != nil {
		return nil, err
	}
	items, next, err := offsetPage(rows, in.Page)
	if err != nil {
		return nil, err
	}
	return newList(items, next), nil
}

// PoolDetail is a resource pool with its VMs.
type PoolDetail struct {
	ResourcePool  inventory.ResourcePool `json:"resource_pool"`
	VMs           []inventory.VM         `json:"vms"`
	VMsNextCursor string                 `json:"vms_next_cursor,omitempty"`
}

type poolInput struct {
	Vcenter string `path:"vcenter" maxLength:"256"`
	PoolID  string `path:"pool_id" maxLength:"256"`
}

func (a *API) getPool(ctx context.Context, in *poolInput) (*struct{ Body PoolDetail }, error) {
	if err := notVisible(ctx, "resource pool", in.PoolID, in.Vcenter); err != nil {
		return nil, err
	}
	ps, err := a.o.Store.ListResourcePools(ctx, &store.ListResourcePoolsParams{Vcenter: in.Vcenter, IDs: []string{in.PoolID}})
	if err != nil {
		return nil, a.storeError(ctx, "list resource pools", err)
	}
	pool, err := lookup(ps, func(p inventory.ResourcePool) string { return p.ID }, "resource pool", in.PoolID, in.Vcenter)
	if err != nil {
		return nil, err
	}
	d := PoolDetail{ResourcePool: pool}
	if d.VMs, d.VMsNextCursor, err = a.vmsWhere(ctx, store.ListVMsParams{Vcenter: in.Vcenter, ResourcePoolID: in.PoolID}); err != nil {
		return nil, err
	}
	return &struct{ Body PoolDetail }{d}, nil
}

// details returns the stored detail of a vCenter (only the VMs vmIDs when
// set; host, cluster, datastore and switch detail when vmIDs is empty), or
// nil when the store keeps no detail.
func (a *API) details(ctx context.Context, vcenter string, vmIDs []string) (*inventory.Details, error) {
	ds, ok := a.o.Store.(store.Details)
	if !ok {
		return nil, nil
	}
	if len(vmIDs) > 0 {
		return ds.ReadDetails(ctx, &store.ReadDetailsParams{Vcenter: vcenter, VMIDs: vmIDs, VMsOnly: true})
	}
	return ds.ReadDetails(ctx, &store.ReadDetailsParams{Vcenter: vcenter, EntitiesOnly: true})
}

// findDetail returns the detail f picks (nil when none).
func findDetail[T any](items []T, f func(T) bool) *T {
	if i := slices.IndexFunc(items, f); i >= 0 {
		return &items[i]
	}
	return nil
}
