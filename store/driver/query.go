package driver

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

// The rules of store.Querier every backend shares: params checks, sort
// fields and their cursors, scope, ASCII case folding and search hits.

// FoldASCII returns s with the ASCII letters A–Z lowered and every other
// byte kept: the case folding of store.Querier in every backend (SQLite's
// lower() and PostgreSQL's lower() on COLLATE "C" text do the same).
func FoldASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// ContainsFold reports whether FoldASCII(s) contains sub, which is already
// folded. It allocates nothing.
func ContainsFold(s, sub string) bool {
	if len(sub) == 0 {
		return true
	}
	for i := 0; i+len(sub) <= len(s); i++ {
		j := 0
		for ; j < len(sub); j++ {
			c := s[i+j]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != sub[j] {
				break
			}
		}
		if j == len(sub) {
			return true
		}
	}
	return false
}

// InScope reports whether vcenter is in scope (nil: every vCenter).
func InScope(scope []string, vcenter string) bool {
	return scope == nil || slices.Contains(scope, vcenter)
}

// VMRefsMatch reports whether v passes the id filters of ListVMsParams and
// QueryVMsParams (empty ids do not filter).
func VMRefsMatch(v *inventory.VM, hostID, poolID, datastoreID, networkID string) bool {
	return (hostID == "" || v.HostID == hostID) && (poolID == "" || v.ResourcePoolID == poolID) &&
		(datastoreID == "" || slices.Contains(v.DatastoreIDs, datastoreID)) &&
		(networkID == "" || slices.Contains(v.NetworkIDs, networkID))
}

// SortKind is the type of a sort field's values.
type SortKind int

// Kinds of sort fields.
const (
	SortText  SortKind = iota // compared by bytes
	SortInt                   // int64
	SortFloat                 // float64 (never NaN)
	SortTime                  // a time; the zero time (NULL in SQL) sorts first
)

// SortKey is a VM's value of a sort field: the member of its kind.
type SortKey struct {
	Text  string
	Int   int64
	Float float64
	// Time is zero when the column is NULL.
	Time time.Time
}

// VMSortField is a field of store.VMSortFields.
type VMSortField struct {
	// Name is the field's name in QueryVMsParams.Sort.
	Name string
	// Column is its column of the latest-state VM table (inv_vms).
	Column string
	Kind   SortKind
	// Nullable reports that the column holds NULL for the zero value
	// (times): SQL then orders NULL first ascending and last descending.
	Nullable bool
	key      func(v *inventory.VM) SortKey
}

// Key returns v's value of the field.
func (f *VMSortField) Key(v *inventory.VM) SortKey { return f.key(v) }

func textKey(get func(v *inventory.VM) string) func(v *inventory.VM) SortKey {
	return func(v *inventory.VM) SortKey { return SortKey{Text: get(v)} }
}

func intKey(get func(v *inventory.VM) int64) func(v *inventory.VM) SortKey {
	return func(v *inventory.VM) SortKey { return SortKey{Int: get(v)} }
}

func floatKey(get func(v *inventory.VM) float64) func(v *inventory.VM) SortKey {
	return func(v *inventory.VM) SortKey { return SortKey{Float: get(v)} }
}

// vmSortFields are the fields of store.VMSortFields, by name.
var vmSortFields = map[string]*VMSortField{
	"name":                {Column: "name", key: textKey(func(v *inventory.VM) string { return v.Name })},
	"vm_id":               {Column: "vm_id", key: textKey(func(v *inventory.VM) string { return v.ID })},
	"vcenter":             {Column: "vcenter", key: textKey(func(v *inventory.VM) string { return v.Vcenter })},
	"datacenter":          {Column: "datacenter", key: textKey(func(v *inventory.VM) string { return v.Datacenter })},
	"cluster":             {Column: "cluster", key: textKey(func(v *inventory.VM) string { return v.Cluster })},
	"host":                {Column: "host", key: textKey(func(v *inventory.VM) string { return v.Host })},
	"resource_pool":       {Column: "resource_pool", key: textKey(func(v *inventory.VM) string { return v.ResourcePool })},
	"folder":              {Column: "folder", key: textKey(func(v *inventory.VM) string { return v.Folder })},
	"power_state":         {Column: "power_state", key: textKey(func(v *inventory.VM) string { return string(v.PowerState) })},
	"guest_os":            {Column: "guest_os", key: textKey(func(v *inventory.VM) string { return v.GuestOS })},
	"ip_address":          {Column: "ip_address", key: textKey(func(v *inventory.VM) string { return v.IPAddress })},
	"vcpu_count":          {Column: "vcpu_count", Kind: SortInt, key: intKey(func(v *inventory.VM) int64 { return int64(v.VCPUCount) })},
	"ram_mb":              {Column: "ram_mb", Kind: SortInt, key: intKey(func(v *inventory.VM) int64 { return v.RAMMB })},
	"provisioned_disk_gb": {Column: "provisioned_disk_gb", Kind: SortFloat, key: floatKey(func(v *inventory.VM) float64 { return v.ProvisionedDiskGB })},
	"used_disk_gb":        {Column: "used_disk_gb", Kind: SortFloat, key: floatKey(func(v *inventory.VM) float64 { return v.UsedDiskGB })},
	"creation_time": {Column: "creation_time", Kind: SortTime, Nullable: true,
		key: func(v *inventory.VM) SortKey { return SortKey{Time: NormTime(v.CreationTime)} }},
	"snapshot_time": {Column: "snapshot_time", Kind: SortTime,
		key: func(v *inventory.VM) SortKey { return SortKey{Time: NormTime(v.SnapshotTime)} }},
}

func init() {
	for name, f := range vmSortFields {
		f.Name = name
	}
}

// compareKeys orders two keys of kind k ascending.
func compareKeys(k SortKind, a, b SortKey) int {
	switch k {
	case SortInt:
		return cmp.Compare(a.Int, b.Int)
	case SortFloat:
		return cmp.Compare(a.Float, b.Float)
	case SortTime:
		if az, bz := a.Time.IsZero(), b.Time.IsZero(); az || bz {
			return -cmp.Compare(boolInt(az), boolInt(bz)) // the zero time first
		}
		return a.Time.Compare(b.Time)
	}
	return strings.Compare(a.Text, b.Text)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// VMPosition is a VM's place in a sort order.
type VMPosition struct {
	Key     SortKey
	Vcenter string
	ID      string
}

// VMQuery is a checked store.QueryVMsParams (CheckQueryVMs).
type VMQuery struct {
	// P are the params as given.
	P store.QueryVMsParams
	// Field is the sort field; Desc its direction.
	Field *VMSortField
	Desc  bool
	// Limit is the page size.
	Limit int
	// After is the position of the previous page's last VM; nil on the
	// first page.
	After *VMPosition
	// Q is the folded QueryVMsParams.Q.
	Q string
	// Vcenters are the vCenters the query may read (Vcenter and the scope
	// combined); nil means every vCenter.
	Vcenters []string
	// Empty reports that no vCenter is in scope: the answer is empty.
	Empty bool
}

// CheckQueryVMs checks p and resolves its defaults, scope, sort and
// cursor. Errors are *store.InvalidParamsError naming the field.
func CheckQueryVMs(p *store.QueryVMsParams) (*VMQuery, error) {
	const op = "QueryVMs"
	if p == nil {
		p = &store.QueryVMsParams{}
	}
	q := &VMQuery{P: *p}
	var err error
	if q.Limit, err = checkLimit(op, p.Limit, 100, 1000); err != nil {
		return nil, err
	}
	spec := cmp.Or(p.Sort, "name")
	name, desc := strings.CutPrefix(spec, "-")
	f := vmSortFields[name]
	if f == nil {
		return nil, Invalid(op, "Sort", fmt.Sprintf("%q is not one of %s, optionally prefixed with -", p.Sort, strings.Join(store.VMSortFields(), ", ")))
	}
	q.Field, q.Desc = f, desc
	if p.Cursor != "" {
		if q.After, err = decodeVMCursor(op, p.Cursor, spec, f); err != nil {
			return nil, err
		}
	}
	strs := []struct{ field, v string }{
		{"Vcenter", p.Vcenter}, {"Cluster", p.Cluster}, {"HostID", p.HostID}, {"ResourcePoolID", p.ResourcePoolID},
		{"DatastoreID", p.DatastoreID}, {"NetworkID", p.NetworkID}, {"Folder", p.Folder},
		{"PowerState", string(p.PowerState)}, {"Q", p.Q},
	}
	for _, s := range strs {
		if err := CheckStrings(op, s.field, s.v); err != nil {
			return nil, err
		}
	}
	if err := CheckStrings(op, "Vcenters", p.Vcenters...); err != nil {
		return nil, err
	}
	for i, t := range p.Tags {
		field := indexed("Tags", i)
		if t.Key == "" {
			return nil, Invalid(op, field+".Key", "must not be empty")
		}
		if err := CheckStrings(op, field, t.Key, t.Value); err != nil {
			return nil, err
		}
	}
	q.P.Tags = slices.Clone(p.Tags)
	q.Q = FoldASCII(p.Q)
	q.Vcenters, q.Empty = scope(p.Vcenters, p.Vcenter)
	return q, nil
}

// scope combines a scope (nil: all) with a vCenter filter ("": none).
func scope(scope []string, vcenter string) (vcenters []string, empty bool) {
	if vcenter != "" {
		return []string{vcenter}, !InScope(scope, vcenter)
	}
	if scope == nil {
		return nil, false
	}
	out := slices.Clone(scope)
	slices.Sort(out)
	out = slices.Compact(out)
	return out, len(out) == 0
}

// checkLimit applies a default to 0 and refuses what lies outside [1, max].
func checkLimit(op string, n, def, max int) (int, error) {
	switch {
	case n == 0:
		return def, nil
	case n < 0 || n > max:
		return 0, Invalid(op, "Limit", fmt.Sprintf("is %d, must be between 1 and %d (0 means %d)", n, max, def))
	}
	return n, nil
}

// Sort returns the normalized sort spec, e.g. "-ram_mb".
func (q *VMQuery) Sort() string {
	if q.Desc {
		return "-" + q.Field.Name
	}
	return q.Field.Name
}

// Keep reports whether v passes every filter and the scope.
func (q *VMQuery) Keep(v *inventory.VM) bool {
	p := &q.P
	if q.Empty || !InScope(q.Vcenters, v.Vcenter) {
		return false
	}
	if (p.Cluster != "" && v.Cluster != p.Cluster) || (p.Folder != "" && v.Folder != p.Folder) ||
		(p.PowerState != "" && v.PowerState != p.PowerState) || (p.Template != nil && v.IsTemplate != *p.Template) ||
		!VMRefsMatch(v, p.HostID, p.ResourcePoolID, p.DatastoreID, p.NetworkID) {
		return false
	}
	for _, t := range p.Tags {
		val, ok := v.Attributes[t.Key]
		if !ok || (t.Value != "" && val != t.Value) {
			return false
		}
	}
	return q.Q == "" || ContainsFold(v.Name, q.Q) || ContainsFold(v.ID, q.Q) || ContainsFold(v.UUID, q.Q) ||
		ContainsFold(v.IPAddress, q.Q) || ContainsFold(v.GuestOS, q.Q)
}

// Position returns v's place in the query's order.
func (q *VMQuery) Position(v *inventory.VM) VMPosition {
	return VMPosition{Key: q.Field.Key(v), Vcenter: v.Vcenter, ID: v.ID}
}

// Compare orders two positions: by the sort key in the query's direction,
// then by (vcenter, vm_id) ascending.
func (q *VMQuery) Compare(a, b VMPosition) int {
	c := compareKeys(q.Field.Kind, a.Key, b.Key)
	if q.Desc {
		c = -c
	}
	if c != 0 {
		return c
	}
	if c := strings.Compare(a.Vcenter, b.Vcenter); c != 0 {
		return c
	}
	return strings.Compare(a.ID, b.ID)
}

// Page cuts vms (in the query's order, up to Limit+1 of them, after the
// cursor) to a page, with the cursor of the next page when there are more.
// total is the page's Total when Count was asked for.
func (q *VMQuery) Page(vms []inventory.VM, total int) *store.VMQueryPage {
	page := &store.VMQueryPage{VMs: vms, Total: -1}
	if q.P.Count {
		page.Total = total
	}
	if len(vms) > q.Limit {
		page.VMs = vms[:q.Limit]
		page.NextCursor = q.cursor(q.Position(&vms[q.Limit-1]))
	}
	return page
}

// cursor encodes a position with the query's sort spec.
func (q *VMQuery) cursor(pos VMPosition) string {
	var key string
	switch q.Field.Kind {
	case SortText:
		key = pos.Key.Text
	case SortInt:
		key = strconv.FormatInt(pos.Key.Int, 10)
	case SortFloat:
		key = strconv.FormatFloat(pos.Key.Float, 'g', -1, 64)
	case SortTime:
		if !pos.Key.Time.IsZero() {
			key = strconv.FormatInt(pos.Key.Time.UnixMicro(), 10)
		}
	}
	return EncodeCursor(q.Sort(), key, pos.Vcenter, pos.ID)
}

// decodeVMCursor decodes a cursor of sort spec, whose field is f.
func decodeVMCursor(op, cursor, spec string, f *VMSortField) (*VMPosition, error) {
	parts, err := DecodeCursor(op, cursor, 4)
	if err != nil {
		return nil, err
	}
	if parts[0] != spec {
		return nil, Invalid(op, "Cursor", fmt.Sprintf("belongs to sort %q, not %q", parts[0], spec))
	}
	bad := Invalid(op, "Cursor", "is not a cursor returned by this method")
	pos := &VMPosition{Vcenter: parts[2], ID: parts[3]}
	raw := parts[1]
	switch f.Kind {
	case SortText:
		pos.Key.Text = raw
	case SortInt:
		if pos.Key.Int, err = strconv.ParseInt(raw, 10, 64); err != nil {
			return nil, bad
		}
	case SortFloat:
		if pos.Key.Float, err = strconv.ParseFloat(raw, 64); err != nil || math.IsNaN(pos.Key.Float) || math.IsInf(pos.Key.Float, 0) {
			return nil, bad
		}
	case SortTime:
		if raw != "" {
			us, err := strconv.ParseInt(raw, 10, 64)
			if err != nil {
				return nil, bad
			}
			pos.Key.Time = time.UnixMicro(us).UTC()
			if pos.Key.Time.IsZero() {
				return nil, bad
			}
		} else if !f.Nullable {
			return nil, bad
		}
	}
	if badString(pos.Key.Text) != "" || badString(pos.Vcenter) != "" || badString(pos.ID) != "" {
		return nil, bad
	}
	return pos, nil
}

// ---------------------------------------------------------------------------
// Search

// SearchQuery is a checked store.SearchParams (CheckSearch).
type SearchQuery struct {
	// Q is the trimmed, folded text searched for.
	Q string
	// Limit is the number of hits per kind.
	Limit int
	// Vcenters is the scope; nil means every vCenter.
	Vcenters []string
	// Empty reports that no vCenter is in scope: there are no hits.
	Empty bool
}

// CheckSearch checks p and resolves its defaults and scope.
func CheckSearch(p *store.SearchParams) (*SearchQuery, error) {
	const op = "Search"
	if p == nil {
		p = &store.SearchParams{}
	}
	q := strings.TrimSpace(p.Q)
	if err := CheckStrings(op, "Q", q); err != nil {
		return nil, err
	}
	if utf8.RuneCountInString(q) < 2 {
		return nil, Invalid(op, "Q", "must hold at least 2 characters besides surrounding white space")
	}
	if err := CheckStrings(op, "Vcenters", p.Vcenters...); err != nil {
		return nil, err
	}
	limit, err := checkLimit(op, p.Limit, 10, 100)
	if err != nil {
		return nil, err
	}
	s := &SearchQuery{Q: FoldASCII(q), Limit: limit}
	s.Vcenters, s.Empty = scope(p.Vcenters, "")
	return s, nil
}

// VMHit returns the hit of v when its name, vm_id, vm_uuid, ip_address or
// one of its tags ("key:value", in key order) contains the query, the
// first of them that does.
func (s *SearchQuery) VMHit(v *inventory.VM) (store.SearchHit, bool) {
	hit := store.SearchHit{Kind: store.SearchVM, Vcenter: v.Vcenter, ID: v.ID, Name: v.Name}
	for _, f := range []struct {
		field store.SearchField
		value string
	}{{store.FieldName, v.Name}, {store.FieldVMID, v.ID}, {store.FieldVMUUID, v.UUID}, {store.FieldIPAddress, v.IPAddress}} {
		if ContainsFold(f.value, s.Q) {
			hit.Field, hit.Value = f.field, f.value
			return hit, true
		}
	}
	keys := make([]string, 0, len(v.Attributes))
	for k := range v.Attributes {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if tag := k + ":" + v.Attributes[k]; ContainsFold(tag, s.Q) {
			hit.Field, hit.Value = store.FieldTag, tag
			return hit, true
		}
	}
	return store.SearchHit{}, false
}

// NameHit returns the hit of an entity other than a VM when its name
// contains the query.
func (s *SearchQuery) NameHit(kind store.SearchKind, vcenter, id, name string) (store.SearchHit, bool) {
	if !ContainsFold(name, s.Q) {
		return store.SearchHit{}, false
	}
	return store.SearchHit{Kind: kind, Vcenter: vcenter, ID: id, Name: name, Field: store.FieldName, Value: name}, true
}

// CompareHits orders the hits of one kind: names equal to the query
// (folded) first, then by name, vcenter and id.
func (s *SearchQuery) CompareHits(a, b store.SearchHit) int {
	if c := -cmp.Compare(boolInt(FoldASCII(a.Name) == s.Q), boolInt(FoldASCII(b.Name) == s.Q)); c != 0 {
		return c
	}
	if c := strings.Compare(a.Name, b.Name); c != 0 {
		return c
	}
	if c := strings.Compare(a.Vcenter, b.Vcenter); c != 0 {
		return c
	}
	return strings.Compare(a.ID, b.ID)
}
