package vsphere

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/accessvault/vinventory/inventory"
)

// unit is one kind group retrieved through its own container view and
// property collector.
type unit struct {
	name  string   // for errors and logs
	types []string // container view types
	specs []types.PropertySpec
}

func (s *Source) units() []unit { return s.unitsWith(!s.opts.DisableDetails) }

// unitsWith returns the units with or without the detail paths.
func (s *Source) unitsWith(details bool) []unit {
	spec := func(t string, props []string) types.PropertySpec {
		return types.PropertySpec{Type: t, PathSet: props}
	}
	detail := func(core, det []string) []string {
		if !details {
			return core
		}
		return slices.Concat(core, det)
	}
	vm := slices.Concat(detail(vmProps, vmDetailProps), s.opts.ExtraVMProperties)
	slices.Sort(vm)
	vm = slices.Compact(vm)
	// The VM unit comes first: it is the longest, so it should start first.
	return []unit{
		{name: tVM, types: []string{tVM}, specs: []types.PropertySpec{spec(tVM, vm)}},
		{name: tHost, types: []string{tHost}, specs: []types.PropertySpec{spec(tHost, detail(hostProps, hostDetailProps))}},
		{name: tCR, types: []string{tCR}, specs: []types.PropertySpec{spec(tCR, crProps), spec(tCluster, detail(clusterProps, clusterDetailProps))}},
		{name: tDatastore, types: []string{tDatastore}, specs: []types.PropertySpec{spec(tDatastore, detail(dsProps, dsDetailProps))}},
		{name: tNetwork, types: []string{tNetwork, tDVS}, specs: []types.PropertySpec{spec(tNetwork, netProps), spec(tDVPG, detail(dvpgProps, dvpgDetailProps)), spec(tDVS, detail(dvsProps, dvsDetailProps))}},
		{name: tPool, types: []string{tPool}, specs: []types.PropertySpec{spec(tPool, poolProps), spec(tVApp, vappProps)}},
		{name: tFolder, types: []string{tFolder, tDC}, specs: []types.PropertySpec{spec(tFolder, folderProps), spec(tDC, folderProps)}},
	}
}

// Retrieve reads the whole inventory: every kind through its own container
// view and property collector (up to Options.Concurrency at once), paged
// with RetrievePropertiesEx / ContinueRetrievePropertiesEx, then resolves
// references in memory. It returns an error and no State when any call
// fails, when an object stays incomplete after the single-object fallback,
// or when the session cannot be renewed.
//
// A session that expires mid-retrieval may show as properties reported
// missing with NotAuthenticated (a missingSet) rather than as a fault:
// then the session is renewed once and the whole retrieval runs again, so
// no empty value is ever returned.
func (s *Source) Retrieve(ctx context.Context) (*inventory.State, error) {
	if s.closed.Load() {
		return nil, ErrClosed
	}
	gen := s.gen.Load()
	st, err := s.retrieve(ctx)
	if errors.Is(err, errSessionLost) {
		s.log.Info("session lost during the retrieval (NotAuthenticated in a missingSet); logging in again and retrying once")
		if lerr := s.relogin(ctx, gen); lerr != nil {
			return nil, s.wrap("renew the session", lerr)
		}
		st, err = s.retrieve(ctx)
	}
	return st, err
}

// errSessionLost: a read came back with properties missing for
// NotAuthenticated, the session having expired under it.
var errSessionLost = errors.New("the session expired during the retrieval (NotAuthenticated in a missingSet)")

// notAuthenticated reports whether any missing property failed with
// NotAuthenticated.
func notAuthenticated(ms []types.MissingProperty) bool {
	for _, m := range ms {
		if _, ok := m.Fault.Fault.(*types.NotAuthenticated); ok {
			return true
		}
	}
	return false
}

func (s *Source) retrieve(ctx context.Context) (*inventory.State, error) {
	snap := s.opts.Clock().UTC().Truncate(time.Second)
	start := time.Now()

	var (
		mu     sync.Mutex
		all    = newBatch()
		fields map[int32]string
		tags   map[string]map[string]string
	)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(s.opts.Concurrency)
	core := s.unitsWith(false)
	for i, u := range s.units() {
		g.Go(func() error {
			return s.withSession(gctx, func(ctx context.Context) error {
				b, err := s.collectUnit(ctx, u)
				if err != nil && !s.opts.DisableDetails && fault.Is(err, &types.InvalidProperty{}) {
					// A server that does not know a detail path refuses
					// the whole call: read the kind without detail.
					s.log.Warn("the server refused a property path; reading this kind without its detail",
						slog.String("kind", u.name), slog.Any("error", err))
					b, err = s.collectUnit(ctx, core[i])
				}
				if err != nil {
					return s.wrap("retrieve "+u.name, err)
				}
				mu.Lock()
				all.merge(b)
				mu.Unlock()
				return nil
			})
		})
	}
	g.Go(func() error {
		f, err := s.customFields(gctx)
		if err != nil {
			return s.wrap("retrieve custom attribute definitions", err)
		}
		mu.Lock()
		fields = f
		mu.Unlock()
		return nil
	})
	if s.tags != nil {
		g.Go(func() error {
			t, err := s.tags.vmTags(gctx)
			if err != nil {
				return s.wrap("retrieve tags", err)
			}
			mu.Lock()
			tags = t
			mu.Unlock()
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	if len(all.incomplete) > 0 {
		for _, inc := range all.incomplete {
			if notAuthenticated(inc.missing) {
				return nil, s.wrap("retrieve "+inc.obj.Type, errSessionLost)
			}
		}
		if err := s.refetch(ctx, all); err != nil {
			return nil, err
		}
	}
	if !s.opts.DisableDetails {
		if err := s.withSession(ctx, func(ctx context.Context) error { return s.readLayouts(ctx, all) }); err != nil {
			return nil, s.wrap("retrieve the file layout of VMs with snapshots", err)
		}
	}
	if n := all.detailMissing.n; n > 0 {
		s.log.Warn("some detail properties could not be read; their values are left empty",
			slog.Int("faults", n), slog.Any("first", all.detailMissing.first))
	}
	st := s.build(all, fields, tags, snap)
	s.log.Debug("retrieved inventory", slog.Int("vms", len(st.VMs)), slog.Int("hosts", len(st.Hosts)), slog.Duration("took", time.Since(start)))
	return st, nil
}

// wrap adds the endpoint and operation to an error, except to typed errors
// that already name the endpoint.
func (s *Source) wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	if _, ok := errors.AsType[*ConnectError](err); ok {
		return err
	}
	if _, ok := errors.AsType[*TLSError](err); ok {
		return err
	}
	if _, ok := errors.AsType[*IncompleteError](err); ok {
		return err
	}
	if errors.Is(err, ErrClosed) {
		return err
	}
	return fmt.Errorf("vsphere: endpoint %q: %s: %w", s.ep.Name, op, err)
}

// collectUnit retrieves one unit: container view, private property
// collector, pages read in order, both destroyed afterwards.
func (s *Source) collectUnit(ctx context.Context, u unit) (*batch, error) {
	view, pc, release, err := s.openView(ctx, u.types)
	if err != nil {
		return nil, err
	}
	defer release()

	if u.name == tVM && s.opts.Concurrency > 1 {
		return s.collectSplit(ctx, u, view, pc)
	}
	b := s.newBatch()
	spec := viewSpec(view, u.specs)
	err = s.pages(ctx, pc, spec, func(objs []types.ObjectContent) {
		for _, o := range objs {
			b.add(o, u.specs, s.opts.ExtraVMProperties)
		}
	})
	return b, err
}

// openView creates a container view of typs over the root folder and a
// private property collector; release destroys both.
func (s *Source) openView(ctx context.Context, typs []string) (view, pc types.ManagedObjectReference, release func(), err error) {
	sc := s.vc.ServiceContent
	vres, err := methods.CreateContainerView(ctx, s.vc, &types.CreateContainerView{
		This: *sc.ViewManager, Container: sc.RootFolder, Type: typs, Recursive: true,
	})
	if err != nil {
		return view, pc, nil, err
	}
	view = vres.Returnval
	destroyView := func() {
		s.cleanup(ctx, func(ctx context.Context) error {
			_, err := methods.DestroyView(ctx, s.raw, &types.DestroyView{This: view})
			return err
		})
	}
	pres, err := methods.CreatePropertyCollector(ctx, s.vc, &types.CreatePropertyCollector{This: sc.PropertyCollector})
	if err != nil {
		destroyView()
		return view, pc, nil, err
	}
	pc = pres.Returnval
	return view, pc, func() {
		s.cleanup(ctx, func(ctx context.Context) error {
			_, err := methods.DestroyPropertyCollector(ctx, s.raw, &types.DestroyPropertyCollector{This: pc})
			return err
		})
		destroyView()
	}, nil
}

// viewSpec reads props of every object of a container view.
func viewSpec(view types.ManagedObjectReference, props []types.PropertySpec) types.PropertyFilterSpec {
	return types.PropertyFilterSpec{
		ObjectSet: []types.ObjectSpec{{
			Obj:       view,
			Skip:      types.NewBool(true),
			SelectSet: []types.BaseSelectionSpec{&types.TraversalSpec{Type: "ContainerView", Path: "view"}},
		}},
		PropSet: props,
	}
}

// collectSplit reads a unit too large for one collector to keep the
// server busy: it lists the view's objects (one call), then reads them in
// up to Options.Concurrency chunks of at least PageSize objects at once
// (readChunks). A server computes one RetrievePropertiesEx result on one
// thread (vcsim builds all pages before answering the first), and the
// client decodes one page at a time, so a single collector leaves the
// other cores on both sides idle.
func (s *Source) collectSplit(ctx context.Context, u unit, view, pc types.ManagedObjectReference) (*batch, error) {
	refs, err := s.viewRefs(ctx, pc, view)
	if err != nil {
		return nil, err
	}
	return s.readChunks(ctx, u, pc, refs)
}

// viewRefs lists a container view's objects (its "view" property) with
// collector pc.
func (s *Source) viewRefs(ctx context.Context, pc, view types.ManagedObjectReference) ([]moref, error) {
	var (
		refs    []moref
		missing error
	)
	err := s.pages(ctx, pc, types.PropertyFilterSpec{
		ObjectSet: []types.ObjectSpec{{Obj: view}},
		PropSet:   []types.PropertySpec{{Type: "ContainerView", PathSet: []string{"view"}}},
	}, func(objs []types.ObjectContent) {
		for _, o := range objs {
			if notAuthenticated(o.MissingSet) {
				missing = fmt.Errorf("ContainerView.view: %w", errSessionLost)
			} else if len(o.MissingSet) > 0 {
				missing = fmt.Errorf("ContainerView.view: %s", faultName(o.MissingSet[0]))
			}
			for _, p := range o.PropSet {
				refs = append(refs, asRefs(p.Val)...)
			}
		}
	})
	if err != nil {
		return nil, err
	}
	return refs, missing
}

// readChunks reads refs with u's properties in k = min(Concurrency,
// ceil(len(refs)/PageSize)) chunks at once, each through its own property
// collector with explicit object specs (pc serves the first). Objects
// deleted since they were listed are left out, as a view read a moment
// later would have.
func (s *Source) readChunks(ctx context.Context, u unit, pc types.ManagedObjectReference, refs []moref) (*batch, error) {
	var (
		mu  sync.Mutex
		all = newBatch()
	)
	err := s.eachChunk(ctx, pc, refs, func(ctx context.Context, _ int, cpc types.ManagedObjectReference, objs []types.ObjectSpec) error {
		spec := types.PropertyFilterSpec{ObjectSet: objs, PropSet: u.specs, ReportMissingObjectsInResults: types.NewBool(true)}
		b := s.newBatch()
		err := s.pages(ctx, cpc, spec, func(objs []types.ObjectContent) {
			for _, o := range objs {
				if deleted(o) {
					s.log.Info("object deleted during retrieval", slog.String("id", o.Obj.Value))
					continue
				}
				b.add(o, u.specs, s.opts.ExtraVMProperties)
			}
		})
		if err != nil {
			return err
		}
		mu.Lock()
		all.merge(b)
		mu.Unlock()
		return nil
	})
	return all, err
}

// eachChunk splits refs into up to min(Concurrency, ceil(len(refs) /
// PageSize)) chunks and runs fn for each at once, each chunk with a
// property collector of its own (pc serves the first; the others are
// created and destroyed here). fn gets the chunk's index and its objects.
func (s *Source) eachChunk(ctx context.Context, pc types.ManagedObjectReference, refs []moref,
	fn func(ctx context.Context, i int, pc types.ManagedObjectReference, objs []types.ObjectSpec) error) error {
	k := s.chunks(len(refs))
	g, gctx := errgroup.WithContext(ctx)
	for i := range k {
		chunk := refs[i*len(refs)/k : (i+1)*len(refs)/k]
		if len(chunk) == 0 {
			continue
		}
		g.Go(func() error {
			cpc := pc
			if i > 0 {
				pres, err := methods.CreatePropertyCollector(gctx, s.vc, &types.CreatePropertyCollector{This: s.vc.ServiceContent.PropertyCollector})
				if err != nil {
					return err
				}
				cpc = pres.Returnval
				defer s.cleanup(gctx, func(ctx context.Context) error {
					_, err := methods.DestroyPropertyCollector(ctx, s.raw, &types.DestroyPropertyCollector{This: cpc})
					return err
				})
			}
			objs := make([]types.ObjectSpec, len(chunk))
			for j, r := range chunk {
				objs[j] = types.ObjectSpec{Obj: r}
			}
			return fn(gctx, i, cpc, objs)
		})
	}
	return g.Wait()
}

// chunks is the number of chunks eachChunk splits n objects into.
func (s *Source) chunks(n int) int {
	return max(1, min(s.opts.Concurrency, (n+s.opts.PageSize-1)/s.opts.PageSize))
}

// deleted reports whether o is the report of a missing object
// (reportMissingObjectsInResults): ManagedObjectNotFound on the object
// itself rather than on one of its properties.
func deleted(o types.ObjectContent) bool {
	if len(o.MissingSet) == 0 {
		return false
	}
	for _, m := range o.MissingSet {
		if _, ok := m.Fault.Fault.(*types.ManagedObjectNotFound); !ok {
			return false
		}
	}
	return true
}

// pages runs a paged retrieval and hands every page to fn, in order.
func (s *Source) pages(ctx context.Context, pc types.ManagedObjectReference, spec types.PropertyFilterSpec, fn func([]types.ObjectContent)) error {
	res, err := methods.RetrievePropertiesEx(ctx, s.vc, &types.RetrievePropertiesEx{
		This:    pc,
		SpecSet: []types.PropertyFilterSpec{spec},
		Options: types.RetrieveOptions{MaxObjects: int32(min(s.opts.PageSize, 1<<31-1))},
	})
	if err != nil {
		return err
	}
	if res.Returnval == nil {
		return nil
	}
	fn(res.Returnval.Objects)
	token := res.Returnval.Token
	for token != "" {
		if err := ctx.Err(); err != nil {
			return err
		}
		cres, err := methods.ContinueRetrievePropertiesEx(ctx, s.vc, &types.ContinueRetrievePropertiesEx{This: pc, Token: token})
		if err != nil {
			return err
		}
		if cres == nil {
			return nil
		}
		fn(cres.Returnval.Objects)
		token = cres.Returnval.Token
	}
	return nil
}

// cleanup destroys a session-scoped object on the raw connection (no
// re-login: the object dies with its session anyway), even when ctx is
// done.
func (s *Source) cleanup(ctx context.Context, fn func(context.Context) error) {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.opts.CallTimeout)
	defer cancel()
	if err := fn(cctx); err != nil && !fault.Is(err, &types.NotAuthenticated{}) && !fault.Is(err, &types.ManagedObjectNotFound{}) {
		s.log.Debug("clean-up failed", slog.Any("error", err))
	}
}

// customFields reads the custom attribute definitions (key -> name).
func (s *Source) customFields(ctx context.Context) (map[int32]string, error) {
	cfm := s.vc.ServiceContent.CustomFieldsManager
	if cfm == nil {
		return nil, nil // standalone ESXi
	}
	res, err := methods.RetrieveProperties(ctx, s.vc, &types.RetrieveProperties{
		This: s.vc.ServiceContent.PropertyCollector,
		SpecSet: []types.PropertyFilterSpec{{
			ObjectSet: []types.ObjectSpec{{Obj: *cfm}},
			PropSet:   []types.PropertySpec{{Type: "CustomFieldsManager", PathSet: []string{"field"}}},
		}},
	})
	if err != nil {
		return nil, err
	}
	fields := map[int32]string{}
	for _, o := range res.Returnval {
		if notAuthenticated(o.MissingSet) {
			return nil, fmt.Errorf("CustomFieldsManager.field: %w", errSessionLost)
		}
		if len(o.MissingSet) > 0 {
			return nil, fmt.Errorf("CustomFieldsManager.field: %s", faultName(o.MissingSet[0]))
		}
		for _, p := range o.PropSet {
			if a, ok := p.Val.(types.ArrayOfCustomFieldDef); ok {
				for _, f := range a.CustomFieldDef {
					fields[f.Key] = f.Name
				}
			}
		}
	}
	return fields, nil
}

// refetch re-reads, one object per call, the objects whose bulk properties
// came back incomplete. Objects deleted meanwhile are dropped; objects that
// stay incomplete fail the retrieval with an *IncompleteError.
func (s *Source) refetch(ctx context.Context, all *batch) error {
	todo := all.incomplete
	all.incomplete = nil
	if len(todo) > s.opts.MaxRefetch {
		return s.incompleteError(todo)
	}
	s.log.Info("re-reading incomplete objects one by one", slog.Int("objects", len(todo)))
	var (
		mu    sync.Mutex
		still []incomplete
	)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(s.opts.Concurrency)
	for _, inc := range todo {
		g.Go(func() error {
			res, err := methods.RetrieveProperties(gctx, s.vc, &types.RetrieveProperties{
				This: s.vc.ServiceContent.PropertyCollector,
				SpecSet: []types.PropertyFilterSpec{{
					ObjectSet: []types.ObjectSpec{{Obj: inc.obj}},
					PropSet:   inc.specs,
				}},
			})
			if err != nil {
				if fault.Is(err, &types.ManagedObjectNotFound{}) {
					s.log.Info("object deleted during retrieval", slog.String("id", inc.obj.Value))
					return nil
				}
				return s.wrap("re-read "+inc.obj.Value, err)
			}
			b := s.newBatch()
			for _, o := range res.Returnval {
				b.add(o, inc.specs, s.opts.ExtraVMProperties)
			}
			mu.Lock()
			defer mu.Unlock()
			still = append(still, b.incomplete...)
			b.incomplete = nil
			all.merge(b)
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	if len(still) > 0 {
		return s.incompleteError(still)
	}
	return nil
}

func (s *Source) incompleteError(list []incomplete) error {
	e := &IncompleteError{Endpoint: s.ep.Name}
	for _, inc := range list {
		o := IncompleteObject{Type: inc.obj.Type, ID: inc.obj.Value, Name: inc.name}
		for _, m := range inc.missing {
			o.Missing = append(o.Missing, faultName(m))
		}
		e.Objects = append(e.Objects, o)
	}
	slices.SortFunc(e.Objects, func(a, b IncompleteObject) int { return compareID(a.ID, b.ID) })
	return e
}

// incomplete is an object whose bulk read had a missingSet.
type incomplete struct {
	obj     types.ManagedObjectReference
	name    string
	specs   []types.PropertySpec
	missing []types.MissingProperty
}

// node is any inventory container: folder, datacenter, compute resource,
// host, pool (for parent chains).
type node struct {
	typ    string
	name   string
	parent moref
}

type rawVM struct {
	ref                      moref
	name                     string
	parent, parentVApp, pool moref
	host                     moref
	power                    string
	uuid, instanceUUID       string
	template                 bool
	cpu                      int64
	memMB                    int64
	guestFull, guestID       string
	created                  time.Time
	committed, diskBytes     int64 // diskBytes: Σ VirtualDisk capacities
	datastores, networks     []moref
	ip                       string
	custom                   []types.BaseCustomFieldValue
	extra                    map[string]string
	det                      vmDet
}

type rawHost struct {
	ref         moref
	name        string
	parent      moref
	hw          *types.HostHardwareSummary
	product     *types.AboutInfo
	conn, power string
	maintenance bool
	// cpuUsage (MHz) and memUsage (MB) are summary.quickStats'.
	cpuUsage, memUsage int64
	det                hostDet
}

type rawCR struct {
	ref                moref
	name               string
	parent, pool       moref
	cluster            bool
	numHosts, totalCPU int64
	totalMem           int64
	drs, ha            bool
	cfg                *types.ClusterConfigInfoEx
	summary            *types.ClusterComputeResourceSummary
	status             string
}

type rawDS struct {
	ref     moref
	name    string
	parent  moref
	summary *types.DatastoreSummary
	hosts   []moref
	info    any
	status  string
	vmCount int
}

type rawNet struct {
	ref         moref
	name, kind  string
	parent, dvs moref
	vlan        string
	key         string // a distributed port group's key
}

type rawPool struct {
	ref                moref
	name               string
	parent, owner      moref
	cpuLimit, memLimit int64
	vapp               bool
	parentFolder       moref
}

// batch accumulates decoded objects of one unit (or of all units).
type batch struct {
	vms        []*rawVM
	hosts      []*rawHost
	crs        []*rawCR
	dss        []*rawDS
	nets       []*rawNet
	pools      []*rawPool
	dvs        map[moref]string
	nodes      map[moref]node
	incomplete []incomplete
	// dvsDet and dvpgKeys: distributed switch detail and port group keys.
	dvsDet   map[moref]*rawDVS
	dvpgKeys map[string]moref
	// detailMissing: faults on detail paths, logged once per retrieval.
	detailMissing faultList
	// noDetails: do not decode the VMs' devices into detail.
	noDetails bool
}

// faultList keeps the first few of many fault descriptions and counts all.
type faultList struct {
	first []string
	n     int
}

func (f *faultList) add(s string) {
	f.n++
	if len(f.first) < 10 {
		f.first = append(f.first, s)
	}
}

func (f *faultList) merge(o faultList) {
	for _, s := range o.first {
		if len(f.first) < 10 {
			f.first = append(f.first, s)
		}
	}
	f.n += o.n
}

// newBatch returns a batch that decodes the detail unless
// Options.DisableDetails.
func (s *Source) newBatch() *batch {
	b := newBatch()
	b.noDetails = s.opts.DisableDetails
	return b
}

func newBatch() *batch {
	return &batch{dvs: map[moref]string{}, nodes: map[moref]node{}, dvsDet: map[moref]*rawDVS{}, dvpgKeys: map[string]moref{}}
}

func (b *batch) merge(o *batch) {
	b.vms = append(b.vms, o.vms...)
	b.hosts = append(b.hosts, o.hosts...)
	b.crs = append(b.crs, o.crs...)
	b.dss = append(b.dss, o.dss...)
	b.nets = append(b.nets, o.nets...)
	b.pools = append(b.pools, o.pools...)
	for k, v := range o.dvs {
		b.dvs[k] = v
	}
	for k, v := range o.nodes {
		b.nodes[k] = v
	}
	b.incomplete = append(b.incomplete, o.incomplete...)
	maps.Copy(b.dvsDet, o.dvsDet)
	maps.Copy(b.dvpgKeys, o.dvpgKeys)
	b.detailMissing.merge(o.detailMissing)
}

// add decodes one object. Objects with a missingSet are set aside for the
// single-object fallback.
func (b *batch) add(o types.ObjectContent, specs []types.PropertySpec, extra []string) {
	if len(o.MissingSet) > 0 {
		// Faults on detail paths leave the detail value empty; faults on
		// core paths (and NotAuthenticated anywhere: the session expired)
		// set the object aside.
		var core []types.MissingProperty
		for _, m := range o.MissingSet {
			if _, auth := m.Fault.Fault.(*types.NotAuthenticated); auth || !isDetailPath(o.Obj.Type, m.Path) {
				core = append(core, m)
			}
		}
		if len(core) > 0 {
			name := ""
			for _, p := range o.PropSet {
				if p.Name == "name" {
					name = asString(p.Val)
				}
			}
			b.incomplete = append(b.incomplete, incomplete{obj: o.Obj, name: name, specs: specs, missing: core})
			return
		}
		for _, m := range o.MissingSet {
			b.detailMissing.add(o.Obj.Type + " " + o.Obj.Value + ": " + faultName(m))
		}
	}
	t := o.Obj.Type
	switch {
	case t == tVM:
		b.vms = append(b.vms, decodeVM(o, extra, !b.noDetails))
	case t == tHost:
		h := decodeHost(o)
		b.hosts = append(b.hosts, h)
		b.nodes[h.ref] = node{typ: t, name: h.name, parent: h.parent}
	case t == tCR || t == tCluster:
		c := decodeCR(o)
		b.crs = append(b.crs, c)
		b.nodes[c.ref] = node{typ: t, name: c.name, parent: c.parent}
	case t == tDatastore:
		b.dss = append(b.dss, decodeDS(o))
	case t == tNetwork || t == tDVPG || t == tOpaque:
		n := decodeNet(o)
		b.nets = append(b.nets, n)
		if n.key != "" {
			b.dvpgKeys[n.key] = n.ref
		}
	case strings.HasSuffix(t, tDVS):
		d := decodeDVS(o)
		b.dvs[o.Obj] = d.name
		b.dvsDet[o.Obj] = d
	case t == tPool || t == tVApp:
		p := decodePool(o)
		b.pools = append(b.pools, p)
		b.nodes[p.ref] = node{typ: t, name: p.name, parent: p.parent}
	default: // Folder, Datacenter, StoragePod
		var n node
		n.typ = t
		for _, p := range o.PropSet {
			switch p.Name {
			case "name":
				n.name = asString(p.Val)
			case "parent":
				n.parent = asRef(p.Val)
			}
		}
		b.nodes[o.Obj] = n
	}
}

func decodeVM(o types.ObjectContent, extra []string, details bool) *rawVM {
	v := &rawVM{ref: o.Obj}
	for _, p := range o.PropSet {
		switch p.Name {
		case "name":
			v.name = asString(p.Val)
		case "parent":
			v.parent = asRef(p.Val)
		case "parentVApp":
			v.parentVApp = asRef(p.Val)
		case "resourcePool":
			v.pool = asRef(p.Val)
		case "runtime.host":
			v.host = asRef(p.Val)
		case "runtime.powerState":
			v.power = asString(p.Val)
		case "config.uuid":
			v.uuid = asString(p.Val)
		case "config.instanceUuid":
			v.instanceUUID = asString(p.Val)
		case "config.template":
			v.template = asBool(p.Val)
		case "config.hardware.numCPU":
			v.cpu, _ = asInt64(p.Val)
		case "config.hardware.memoryMB":
			v.memMB, _ = asInt64(p.Val)
		case "config.guestFullName":
			v.guestFull = asString(p.Val)
		case "config.guestId":
			v.guestID = asString(p.Val)
		case "config.createDate":
			v.created = asTime(p.Val)
		case "summary.storage.committed":
			v.committed, _ = asInt64(p.Val)
		case "config.hardware.device":
			devs := elems[types.BaseVirtualDevice](p.Val)
			v.diskBytes = diskCapacity(devs)
			if details {
				v.det.devices(devs)
			}
		case "datastore":
			v.datastores = asRefs(p.Val)
		case "network":
			v.networks = asRefs(p.Val)
		case "guest.ipAddress":
			v.ip = asString(p.Val)
		case "customValue":
			switch a := p.Val.(type) {
			case types.ArrayOfCustomFieldValue:
				v.custom = a.CustomFieldValue
			case *types.ArrayOfCustomFieldValue:
				if a != nil {
					v.custom = a.CustomFieldValue
				}
			}
		default:
			v.det.decode(p)
		}
		if len(extra) > 0 && slices.Contains(extra, p.Name) {
			if v.extra == nil {
				v.extra = map[string]string{}
			}
			v.extra[p.Name] = formatValue(p.Val)
		}
	}
	return v
}

// diskCapacity returns the sum of the capacities of the virtual disks in a
// config.hardware.device value (SEMANTICS §1: provisioned disk).
func diskCapacity(devs []types.BaseVirtualDevice) int64 {
	var sum int64
	for _, d := range devs {
		if disk, ok := d.(*types.VirtualDisk); ok {
			if disk.CapacityInBytes > 0 {
				sum += disk.CapacityInBytes
			} else {
				sum += disk.CapacityInKB * 1024
			}
		}
	}
	return sum
}

func decodeHost(o types.ObjectContent) *rawHost {
	h := &rawHost{ref: o.Obj}
	for _, p := range o.PropSet {
		switch p.Name {
		case "name":
			h.name = asString(p.Val)
		case "parent":
			h.parent = asRef(p.Val)
		case "summary.hardware":
			switch x := p.Val.(type) {
			case types.HostHardwareSummary:
				h.hw = &x
			case *types.HostHardwareSummary:
				h.hw = x
			}
		case "summary.config.product":
			switch x := p.Val.(type) {
			case types.AboutInfo:
				h.product = &x
			case *types.AboutInfo:
				h.product = x
			}
		case "runtime.connectionState":
			h.conn = asString(p.Val)
		case "runtime.powerState":
			h.power = asString(p.Val)
		case "runtime.inMaintenanceMode":
			h.maintenance = asBool(p.Val)
		case "summary.quickStats.overallCpuUsage":
			h.cpuUsage, _ = asInt64(p.Val)
		case "summary.quickStats.overallMemoryUsage":
			h.memUsage, _ = asInt64(p.Val)
		default:
			h.det.decode(p)
		}
	}
	return h
}

func decodeCR(o types.ObjectContent) *rawCR {
	c := &rawCR{ref: o.Obj, cluster: o.Obj.Type == tCluster}
	for _, p := range o.PropSet {
		switch p.Name {
		case "name":
			c.name = asString(p.Val)
		case "parent":
			c.parent = asRef(p.Val)
		case "resourcePool":
			c.pool = asRef(p.Val)
		case "summary.numHosts":
			c.numHosts, _ = asInt64(p.Val)
		case "summary.totalCpu":
			c.totalCPU, _ = asInt64(p.Val)
		case "summary.totalMemory":
			c.totalMem, _ = asInt64(p.Val)
		case "configurationEx":
			var cfg *types.ClusterConfigInfoEx
			switch x := p.Val.(type) {
			case types.ClusterConfigInfoEx:
				cfg = &x
			case *types.ClusterConfigInfoEx:
				cfg = x
			}
			if cfg != nil {
				c.drs = asBool(cfg.DrsConfig.Enabled)
				c.ha = asBool(cfg.DasConfig.Enabled)
				c.cfg = cfg
			}
		case "summary":
			c.summary = deref[types.ClusterComputeResourceSummary](p.Val)
		case "overallStatus":
			c.status = asString(p.Val)
		}
	}
	return c
}

func decodeDS(o types.ObjectContent) *rawDS {
	d := &rawDS{ref: o.Obj}
	for _, p := range o.PropSet {
		switch p.Name {
		case "name":
			d.name = asString(p.Val)
		case "parent":
			d.parent = asRef(p.Val)
		case "summary":
			switch x := p.Val.(type) {
			case types.DatastoreSummary:
				d.summary = &x
			case *types.DatastoreSummary:
				d.summary = x
			}
		case "host":
			var mounts []types.DatastoreHostMount
			switch x := p.Val.(type) {
			case types.ArrayOfDatastoreHostMount:
				mounts = x.DatastoreHostMount
			case *types.ArrayOfDatastoreHostMount:
				if x != nil {
					mounts = x.DatastoreHostMount
				}
			}
			for _, m := range mounts {
				d.hosts = append(d.hosts, m.Key)
			}
		case "info":
			d.info = p.Val
		case "overallStatus":
			d.status = asString(p.Val)
		case "vm":
			d.vmCount = len(asRefs(p.Val))
		}
	}
	return d
}

func decodeNet(o types.ObjectContent) *rawNet {
	n := &rawNet{ref: o.Obj, kind: inventory.NetworkStandard}
	switch o.Obj.Type {
	case tDVPG:
		n.kind = inventory.NetworkDistributed
	case tOpaque:
		n.kind = inventory.NetworkOpaque
	}
	for _, p := range o.PropSet {
		switch p.Name {
		case "name":
			n.name = asString(p.Val)
		case "parent":
			n.parent = asRef(p.Val)
		case "config.distributedVirtualSwitch":
			n.dvs = asRef(p.Val)
		case "config.defaultPortConfig":
			n.vlan = vlanOf(p.Val)
		case "key":
			n.key = asString(p.Val)
		}
	}
	return n
}

// vlanOf renders the VLAN of a distributed port group's default port
// setting: "100" (VLAN id; "0" is untagged), "trunk:0-4094,5" or "pvlan:7".
func vlanOf(v any) string {
	var ps *types.VMwareDVSPortSetting
	switch x := v.(type) {
	case types.VMwareDVSPortSetting:
		ps = &x
	case *types.VMwareDVSPortSetting:
		ps = x
	}
	if ps == nil || ps.Vlan == nil {
		return ""
	}
	switch x := ps.Vlan.(type) {
	case *types.VmwareDistributedVirtualSwitchVlanIdSpec:
		return fmt.Sprint(x.VlanId)
	case *types.VmwareDistributedVirtualSwitchTrunkVlanSpec:
		parts := make([]string, len(x.VlanId))
		for i, r := range x.VlanId {
			if r.Start == r.End {
				parts[i] = fmt.Sprint(r.Start)
			} else {
				parts[i] = fmt.Sprintf("%d-%d", r.Start, r.End)
			}
		}
		return "trunk:" + strings.Join(parts, ",")
	case *types.VmwareDistributedVirtualSwitchPvlanSpec:
		return fmt.Sprintf("pvlan:%d", x.PvlanId)
	}
	return ""
}

func decodePool(o types.ObjectContent) *rawPool {
	p := &rawPool{ref: o.Obj, vapp: o.Obj.Type == tVApp}
	for _, prop := range o.PropSet {
		switch prop.Name {
		case "name":
			p.name = asString(prop.Val)
		case "parent":
			p.parent = asRef(prop.Val)
		case "owner":
			p.owner = asRef(prop.Val)
		case "config.cpuAllocation.limit":
			p.cpuLimit, _ = asInt64(prop.Val)
		case "config.memoryAllocation.limit":
			p.memLimit, _ = asInt64(prop.Val)
		case "parentFolder":
			p.parentFolder = asRef(prop.Val)
		}
	}
	return p
}
