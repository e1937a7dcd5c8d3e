package inventory

import "time"

// EntityType names the kind of object a live change is about.
type EntityType string

// Entity types of a Change.
const (
	EntityVM           EntityType = "vm"
	EntityHost         EntityType = "host"
	EntityCluster      EntityType = "cluster"
	EntityDatastore    EntityType = "datastore"
	EntityNetwork      EntityType = "network"
	EntityResourcePool EntityType = "resource_pool"
)

// EntityTypes returns every entity type, in a new slice.
func EntityTypes() []EntityType {
	return []EntityType{EntityVM, EntityHost, EntityCluster, EntityDatastore, EntityNetwork, EntityResourcePool}
}

// ChangeOp is what a live change did to the latest-state row.
type ChangeOp string

// Change operations.
const (
	// ChangeUpsert inserts or replaces the row with the one carried.
	ChangeUpsert ChangeOp = "upsert"
	// ChangeDelete removes the row (the object left the vCenter, or the
	// endpoint's scope).
	ChangeDelete ChangeOp = "delete"
)

// Change is one latest-state change seen between captures by a watcher
// (capture.Watch): an object entered, changed or left. A store with the
// live capability (store.LiveState) applies it to the latest-state
// tables and keeps it in its change log, where readers tail it by Seq.
//
// Exactly one of VM, Host, Cluster, Datastore, Network and ResourcePool is
// set for an upsert, the one matching Entity, and carries the whole row;
// a delete carries none (Name says what left).
type Change struct {
	// Seq is assigned by the store: it grows in commit order across every
	// vCenter of the store.
	Seq     int64      `json:"seq"`
	Vcenter string     `json:"vcenter"`
	At      time.Time  `json:"at"`
	Entity  EntityType `json:"entity"`
	ID      string     `json:"id"`
	Op      ChangeOp   `json:"op"`
	Name    string     `json:"name"`
	// Fields names the JSON fields of the row that changed (e.g.
	// "power_state"); empty for an object that entered or left.
	Fields       []string      `json:"fields,omitempty"`
	VM           *VM           `json:"vm,omitempty"`
	Host         *Host         `json:"host,omitempty"`
	Cluster      *Cluster      `json:"cluster,omitempty"`
	Datastore    *Datastore    `json:"datastore,omitempty"`
	Network      *Network      `json:"network,omitempty"`
	ResourcePool *ResourcePool `json:"resource_pool,omitempty"`
}
