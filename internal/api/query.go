package api

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

type vmsInput struct {
	Vcenter        string   `query:"vcenter" maxLength:"256"`
	Cluster        string   `query:"cluster" maxLength:"256" doc:"The cluster's name."`
	HostID         string   `query:"host_id" maxLength:"256"`
	ResourcePoolID string   `query:"resource_pool_id" maxLength:"256"`
	DatastoreID    string   `query:"datastore_id" maxLength:"256"`
	NetworkID      string   `query:"network_id" maxLength:"256"`
	Folder         string   `query:"folder" maxLength:"1024" doc:"The folder's full path, exactly."`
	PowerState     string   `query:"power_state" enum:"poweredOn,poweredOff,suspended"`
	Template       string   `query:"template" enum:"true,false" doc:"true: only templates; false: no templates."`
	Tag            []string `query:"tag,explode" maxItems:"10" doc:"key:value (or key alone: the key is set), repeatable; every one must match. vSphere tags are tag:<category>:<name>."`
	Q              string   `query:"q" maxLength:"256" doc:"Substring of the name, vm_id, vm_uuid, IP address or guest OS (ASCII case-insensitive)."`
	Sort           string   `query:"sort" default:"name"`
	Count          bool     `query:"count" doc:"Also return total, the number of matching VMs."`
	Page
}

// Resolve checks sort against the store's sort fields (huma reads the
// enum from the schema hook below).
func (in *vmsInput) Resolve(huma.Context) []error {
	if in.Sort != "" && !slices.Contains(store.VMSortFields(), strings.TrimPrefix(in.Sort, "-")) {
		return []error{&huma.ErrorDetail{Location: "query.sort", Message: fmt.Sprintf("%q is not a sort field (%s, each with - for descending)",
			in.Sort, strings.Join(store.VMSortFields(), ", ")), Value: in.Sort}}
	}
	return nil
}

// vmList is a VM page with the total when count=true.
type vmList struct {
	Body struct {
		Items      []inventory.VM `json:"items"`
		NextCursor string         `json:"next_cursor,omitempty"`
		Total      *int           `json:"total,omitempty" doc:"Matching VMs, with count=true."`
	}
}

// tagFilters parses key:value filters; a key may hold colons (tag:<category>),
// so the value is what follows the last colon when the key is a vSphere tag.
func tagFilters(tags []string) ([]store.TagFilter, error) {
	var out []store.TagFilter
	for _, t := range tags {
		var f store.TagFilter
		if rest, ok := strings.CutPrefix(t, "tag:"); ok {
			cat, val, _ := strings.Cut(rest, ":")
			f = store.TagFilter{Key: "tag:" + cat, Value: val}
		} else {
			f.Key, f.Value, _ = strings.Cut(t, ":")
		}
		if f.Key == "" || f.Key == "tag:" {
			return nil, invalid("tag", fmt.Sprintf("%q: want key:value or key", t))
		}
		out = append(out, f)
	}
	return out, nil
}

func (a *API) listVMs(ctx context.Context, in *vmsInput) (*vmList, error) {
	sc := scopeOf(ctx)
	p := &store.QueryVMsParams{Vcenter: in.Vcenter, Cluster: in.Cluster, HostID: in.HostID, ResourcePoolID: in.ResourcePoolID,
		DatastoreID: in.DatastoreID, NetworkID: in.NetworkID, Folder: in.Folder, PowerState: inventory.PowerState(in.PowerState),
		Q: in.Q, Sort: in.Sort, Limit: in.Limit, Cursor: in.Cursor, Count: in.Count}
	if !sc.all {
		p.Vcenters = sc.list
	}
	if in.Template != "" {
		b := in.Template == "true"
		p.Template = &b
	}
	var err error
	if p.Tags, err = tagFilters(in.Tag); err != nil {
		return nil, err
	}
	q, ok := a.o.Store.(store.Querier)
	if !ok {
		return nil, huma.Error503ServiceUnavailable("this store answers no VM queries")
	}
	pg, err := q.QueryVMs(ctx, p)
	if err != nil {
		return nil, a.storeError(ctx, "query VMs", err)
	}
	out := &vmList{}
	out.Body.Items, out.Body.NextCursor = orEmpty(pg.VMs), pg.NextCursor
	if in.Count {
		out.Body.Total = &pg.Total
	}
	return out, nil
}

type searchInput struct {
	Q     string `query:"q" required:"true" minLength:"2" maxLength:"256" doc:"At least 2 characters: matched in entity names, VM ids, UUIDs, IP addresses and tags."`
	Limit int    `query:"limit" minimum:"1" maximum:"100" default:"10" doc:"Hits per kind of entity."`
}

func (a *API) search(ctx context.Context, in *searchInput) (*listOutput[store.SearchHit], error) {
	q, ok := a.o.Store.(store.Querier)
	if !ok {
		return nil, huma.Error503ServiceUnavailable("this store answers no searches")
	}
	p := &store.SearchParams{Q: in.Q, Limit: in.Limit}
	if sc := scopeOf(ctx); !sc.all {
		p.Vcenters = sc.list
	}
	res, err := q.Search(ctx, p)
	if err != nil {
		return nil, a.storeError(ctx, "search", err)
	}
	return newList(res.Hits, ""), nil
}

func (a *API) registerQuery() {
	o := op(http.MethodGet, "/api/search", "search", "Quick search across entity names, VM ids, UUIDs, IP addresses and tags", RoleViewer, "inventory")
	o.Errors = append(o.Errors, http.StatusServiceUnavailable)
	huma.Register(a.h, o, a.search)
}
