package store

import (
	"context"

	"github.com/accessvault/vinventory/inventory"
)

// Querier answers the API's questions about the latest-state inventory in
// the store: filtered, sorted and paginated VM lists, and a quick search
// across entity names, VM ids, UUIDs, IP addresses and tags. It is an
// optional interface (see Store): memstore, sqlitestore and pgstore
// implement it, with identical answers in identical order.
//
// Text is ordered by its bytes (UTF-8 byte order, as Go's strings.Compare
// and PostgreSQL's COLLATE "C"). Case-insensitive matching folds ASCII
// letters only: "ABC" matches "abc", but "Ä" and "ä" are different
// characters (SQLite's lower() and PostgreSQL's lower() on COLLATE "C"
// text fold only ASCII, so every backend folds only ASCII). Matching is by
// plain substring: %, _ and \ match themselves.
type Querier interface {
	// QueryVMs returns one page of the VMs matching p, in p.Sort order.
	// Invalid params (Limit, Sort, Cursor, Tags, strings that cannot be
	// stored) return an *InvalidParamsError naming the field.
	QueryVMs(ctx context.Context, p *QueryVMsParams) (*VMQueryPage, error)
	// Search returns, for each kind of entity in SearchKinds order, up to
	// p.Limit entities whose name (VMs: also vm_id, vm_uuid, ip_address or a
	// tag) contains p.Q, case-insensitively.
	Search(ctx context.Context, p *SearchParams) (*SearchResult, error)
}

// QueryVMsParams filter, sort and page VMs. Zero values mean no filter;
// every filter set must match.
type QueryVMsParams struct {
	// Vcenters is the scope: only VMs of these vCenters are seen (the
	// vCenters a caller may read). nil means every vCenter; an empty,
	// non-nil slice means none (the answer is empty).
	Vcenters []string
	// Vcenter keeps one vCenter (within the scope).
	Vcenter string
	// Cluster keeps the VMs of the cluster of that name.
	Cluster string
	// HostID keeps the VMs on that host.
	HostID string
	// ResourcePoolID keeps the VMs in that resource pool.
	ResourcePoolID string
	// DatastoreID keeps the VMs with a disk or file on that datastore.
	DatastoreID string
	// NetworkID keeps the VMs connected to that network.
	NetworkID string
	// Folder keeps the VMs of that folder (its full path, compared
	// exactly).
	Folder string
	// PowerState keeps the VMs in that power state.
	PowerState inventory.PowerState
	// Template keeps templates (true) or VMs that are not templates
	// (false) when non-nil.
	Template *bool
	// Tags keeps the VMs whose Attributes match every filter.
	Tags []TagFilter
	// Q keeps the VMs whose name, vm_id, vm_uuid, ip_address or guest_os
	// contains Q, ASCII case-insensitively (see Querier). It is matched as
	// given, spaces included.
	Q string
	// Sort is one of VMSortFields, prefixed with "-" for descending order.
	// Ties are broken by (vcenter, vm_id) ascending, so the order is total.
	// A zero creation_time sorts before every other. Defaults to "name".
	Sort string
	// Limit is the page size. Defaults to 100; at most 1000 (more is an
	// error, not a smaller page).
	Limit int
	// Cursor is NextCursor of the previous page, of a query with the same
	// Sort (a cursor of another Sort is an error). Pages follow the
	// position of the cursor's VM in the order, so VMs written between two
	// pages may be missed or seen at their new place.
	Cursor string
	// Count asks for VMQueryPage.Total.
	Count bool
}

// TagFilter matches a VM's Attributes (custom attributes and vSphere tags,
// the latter as "tag:<category>" keys).
type TagFilter struct {
	// Key must be present. Required.
	Key string
	// Value, when not empty, must be Key's value (compared exactly).
	Value string
}

// VMQueryPage is one page of a VM query.
type VMQueryPage struct {
	// VMs are whole rows, as ListVMs returns them (DatastoreIDs, NetworkIDs
	// and Attributes included).
	VMs []inventory.VM
	// NextCursor is empty on the last page.
	NextCursor string
	// Total is the number of VMs matching the filters (on every page), or
	// -1 when Count was not asked for.
	Total int
}

// VMSortFields returns the fields QueryVMsParams.Sort accepts, each the
// JSON name of an inventory.VM field.
func VMSortFields() []string {
	return []string{"name", "vm_id", "vcenter", "datacenter", "cluster", "host", "resource_pool", "folder",
		"power_state", "guest_os", "ip_address", "vcpu_count", "ram_mb", "provisioned_disk_gb", "used_disk_gb",
		"creation_time", "snapshot_time"}
}

// SearchParams describe a quick search.
type SearchParams struct {
	// Q is the text searched for, trimmed of surrounding white space; at
	// least 2 characters remain. Required.
	Q string
	// Vcenters is the scope, as in QueryVMsParams.
	Vcenters []string
	// Limit is the number of hits per kind. Defaults to 10; at most 100.
	Limit int
}

// SearchKind is the kind of entity a search hit names.
type SearchKind string

// Kinds of search hits, in the order Search returns them.
const (
	SearchVM           SearchKind = "vm"
	SearchHost         SearchKind = "host"
	SearchCluster      SearchKind = "cluster"
	SearchDatastore    SearchKind = "datastore"
	SearchNetwork      SearchKind = "network"
	SearchResourcePool SearchKind = "resource_pool"
)

// SearchKinds returns the kinds of search hits, in the order Search
// returns them.
func SearchKinds() []SearchKind {
	return []SearchKind{SearchVM, SearchHost, SearchCluster, SearchDatastore, SearchNetwork, SearchResourcePool}
}

// SearchField is what a search hit matched.
type SearchField string

// Fields a search hit matches. Entities other than VMs match by name only;
// a VM reports the first field that matches, in this order.
const (
	FieldName      SearchField = "name"
	FieldVMID      SearchField = "vm_id"
	FieldVMUUID    SearchField = "vm_uuid"
	FieldIPAddress SearchField = "ip_address"
	// FieldTag matches the "key:value" text of one of a VM's Attributes
	// (the first that matches, in key order).
	FieldTag SearchField = "tag"
)

// SearchResult holds the hits of a search.
type SearchResult struct {
	// Hits are ordered by kind (SearchKinds order), then entities whose
	// name equals Q (ASCII case-insensitively) first, then by name,
	// vcenter and id.
	Hits []SearchHit
}

// SearchHit is one entity found by Search.
type SearchHit struct {
	Kind    SearchKind `json:"kind"`
	Vcenter string     `json:"vcenter"`
	// ID is the entity's managed object id (a VM's vm_id).
	ID   string `json:"id"`
	Name string `json:"name"`
	// Field is what matched; Value its text (a tag as "key:value").
	Field SearchField `json:"field"`
	Value string      `json:"value"`
}
