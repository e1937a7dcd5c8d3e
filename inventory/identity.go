package inventory

// VMKey returns the identity key of a VM within one vCenter: its managed
// object id when known, else "uuid:<vm_uuid>", else "name:<name>". Stores
// key hourly samples and rollups on it, so samples imported without a
// managed object id still get distinct rows.
func VMKey(vmID, vmUUID, name string) string {
	switch {
	case vmID != "":
		return vmID
	case vmUUID != "":
		return "uuid:" + vmUUID
	default:
		return "name:" + name
	}
}

// Identities groups samples of one vCenter into VMs by the rule of
// SEMANTICS §2 within one window: two samples are the same VM when they
// share a non-empty vm_id; a sample with no vm_id joins the VM whose
// vm_uuid it shares; a sample with neither joins the VM with a vm_id that
// carried its name (the first in the order samples are resolved, which
// for a store scan is the earliest), else the other samples with that
// name and no ids. A group without a vm_id adopts the first vm_id that
// comes with its uuid (for a name-only group: with its name).
//
// The zero value is ready to use. It is not safe for concurrent use.
type Identities struct {
	byID   map[string]int
	byUUID map[string]int
	byName map[string]int
	groups []identityGroup
}

type identityGroup struct{ id, uuid, name string }

// Resolve returns the group index (0, 1, 2, ... in order of first
// appearance) of a sample with the given identity fields.
func (x *Identities) Resolve(vmID, vmUUID, name string) int {
	if x.byID == nil {
		x.byID, x.byUUID, x.byName = map[string]int{}, map[string]int{}, map[string]int{}
	}
	if vmID != "" {
		if g, ok := x.byID[vmID]; ok {
			x.learn(g, vmID, vmUUID, name)
			return g
		}
		// A group seen so far only by UUID (or name) without a moref adopts
		// this id.
		if vmUUID != "" {
			if g, ok := x.byUUID[vmUUID]; ok && x.groups[g].id == "" {
				x.learn(g, vmID, vmUUID, name)
				return g
			}
		}
		if g, ok := x.byName[name]; ok && x.groups[g].id == "" && x.groups[g].uuid == "" {
			x.learn(g, vmID, vmUUID, name)
			return g
		}
		return x.add(vmID, vmUUID, name)
	}
	if vmUUID != "" {
		if g, ok := x.byUUID[vmUUID]; ok {
			x.learn(g, "", vmUUID, name)
			return g
		}
		return x.add("", vmUUID, name)
	}
	if g, ok := x.byName[name]; ok {
		return g
	}
	return x.add("", "", name)
}

// Len returns the number of groups.
func (x *Identities) Len() int { return len(x.groups) }

func (x *Identities) add(id, uuid, name string) int {
	g := len(x.groups)
	x.groups = append(x.groups, identityGroup{})
	x.learn(g, id, uuid, name)
	return g
}

func (x *Identities) learn(g int, id, uuid, name string) {
	gr := &x.groups[g]
	if id != "" && gr.id == "" {
		gr.id = id
		x.byID[id] = g
	}
	if uuid != "" {
		if _, ok := x.byUUID[uuid]; !ok {
			x.byUUID[uuid] = g
		}
		gr.uuid = uuid
	}
	if name != "" {
		// Names index the groups a name-only sample may join: those with a
		// vm_id, and name-only ones.
		if _, ok := x.byName[name]; !ok && (gr.id != "" || gr.uuid == "") {
			x.byName[name] = g
		}
		gr.name = name
	}
}
