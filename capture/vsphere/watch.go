package vsphere

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/accessvault/vinventory/capture"
	"github.com/accessvault/vinventory/internal/ctxtime"
	"github.com/accessvault/vinventory/inventory"
)

var _ capture.WatchSource = (*Source)(nil)

// Watch defaults and limits.
const (
	defaultWatchMaxWait    = 30
	defaultWatchMaxObjects = 500
	// watchRetries is how many times a wait failing with a transient
	// network error is retried (with backoff from watchBackoff, doubling)
	// before Watch returns the error.
	watchRetries = 4
	watchBackoff = 500 * time.Millisecond
)

// watchHook, when set (by tests), is called with each watch collector
// right after it is created; watchStepHook with the arrival time of the
// answer that completed a step, right before its update goes to fn.
var (
	watchHook     func(pc types.ManagedObjectReference)
	watchStepHook func(arrived time.Time)
)

// Watch follows the endpoint with the property collector until ctx ends
// (it returns ctx's error) or a fault it cannot recover from; it
// implements capture.WatchSource.
//
// It creates its own property collector with one filter over container
// views of VMs, hosts, compute resources, datastores, networks and
// switches, pools and vApps, folders and datacenters, reading the same
// core property paths as Retrieve (never the detail paths: those stay with
// the hourly capture), and follows the collector's version with
// WaitForUpdatesEx. It keeps every object's properties, decodes and
// resolves them as Retrieve does, and calls fn with the rows that changed:
// a VM whose host, cluster, pool, folder or datacenter was renamed or
// moved is sent again with the new names.
//
// The first update is Full (capture.ResyncStart), built from the
// collector's initial enter set (paged by MaxObjectUpdates); custom
// attribute definitions and tags are read again for every Full update. A
// renewed session (capture.ResyncRelogin), InvalidCollectorVersion or a
// lost collector (capture.ResyncCollector) and a receive on o.Resync
// (capture.ResyncRequested) start over with a new collector and a new
// Full update. A transient network error is retried with backoff (the
// same version, unless the last answer was truncated: then it starts
// over), then returned. The collector and views are destroyed on return.
func (s *Source) Watch(ctx context.Context, o *capture.WatchSourceOptions, fn func(context.Context, *capture.WatchUpdate) error) error {
	if s.closed.Load() {
		return ErrClosed
	}
	var opts capture.WatchSourceOptions
	if o != nil {
		opts = *o
	}
	if opts.MaxWaitSeconds <= 0 {
		opts.MaxWaitSeconds = defaultWatchMaxWait
	}
	if opts.MaxObjectUpdates <= 0 {
		opts.MaxObjectUpdates = defaultWatchMaxObjects
	}
	reason := capture.ResyncStart
	for {
		err := s.watchOnce(ctx, &opts, reason, fn)
		rs, ok := errors.AsType[*resyncError](err)
		if !ok {
			return err
		}
		s.log.Info("watch starting over", slog.String("reason", rs.reason), slog.Any("cause", rs.cause))
		if !rs.setup {
			// A restart before the first Full update keeps its reason.
			reason = rs.reason
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}

// resyncError makes Watch start over with a Full update of the reason.
type resyncError struct {
	reason string
	cause  error
	setup  bool // while creating the collector, before any update
}

func (e *resyncError) Error() string { return "resync (" + e.reason + ")" }

// errResyncRequested: a receive on WatchSourceOptions.Resync ended a wait.
var errResyncRequested = errors.New("resync requested")

// errRelogged: the session was renewed during a wait (by the keep-alive or
// another call of the Source): the collector died with the old session.
var errRelogged = errors.New("the session was renewed")

// watcher is the state of one collector's watch.
type watcher struct {
	s     *Source
	opts  *capture.WatchSourceOptions
	pc    types.ManagedObjectReference
	views []types.ManagedObjectReference
	specs []types.PropertySpec
	gen   uint64

	// props caches every object's watched property values, as one
	// ObjectContent would hold them (a VM's device list is reduced to one
	// disk of the total capacity, all the row needs).
	props map[moref]map[string]any

	vms   map[moref]*rawVM
	hosts map[moref]*rawHost
	crs   map[moref]*rawCR
	dss   map[moref]*rawDS
	nets  map[moref]*rawNet
	pools map[moref]*rawPool
	dvs   map[moref]string
	nodes map[moref]node

	fields map[int32]string
	tags   map[string]map[string]string

	// rows are the last rows sent, SnapshotTime cleared, by object.
	rows map[moref]any

	// Per step.
	touched    map[moref]bool
	structural bool // a name or parent that other rows resolve changed
	refetch    map[moref]bool
	received   int
	// reentered: an object already known entered again. vCenter sends an
	// enter only for an object new to the filter; vcsim re-enters every
	// object when a view changes and then drops the leave of an object
	// removed with that change. The views are read again to find what
	// left.
	reentered bool
}

func (s *Source) newWatcher(opts *capture.WatchSourceOptions) *watcher {
	w := &watcher{
		s: s, opts: opts,
		props: map[moref]map[string]any{},
		vms:   map[moref]*rawVM{}, hosts: map[moref]*rawHost{}, crs: map[moref]*rawCR{},
		dss: map[moref]*rawDS{}, nets: map[moref]*rawNet{}, pools: map[moref]*rawPool{},
		dvs: map[moref]string{}, nodes: map[moref]node{},
		rows: map[moref]any{},
	}
	w.resetStep()
	return w
}

func (w *watcher) resetStep() {
	w.touched = map[moref]bool{}
	w.refetch = map[moref]bool{}
	w.structural = false
	w.received = 0
	w.reentered = false
}

// watchOnce runs one collector until an error; a *resyncError asks Watch to
// start over.
func (s *Source) watchOnce(ctx context.Context, opts *capture.WatchSourceOptions, reason string, fn func(context.Context, *capture.WatchUpdate) error) error {
	w := s.newWatcher(opts)
	gen0 := s.gen.Load()
	// setupError: a session renewed while the views, collector and filter
	// were created leaves some of them in the dead session: start over.
	setupError := func(op string, err error) error {
		if s.gen.Load() != gen0 && !s.closed.Load() {
			return &resyncError{reason: capture.ResyncRelogin, cause: err, setup: true}
		}
		return s.wrap("watch: "+op, err)
	}
	units := s.unitsWith(false)
	spec := types.PropertyFilterSpec{}
	for _, u := range units {
		w.specs = append(w.specs, u.specs...)
	}
	spec.PropSet = w.specs

	sc := s.vc.ServiceContent
	var views []types.ManagedObjectReference
	defer func() {
		for _, v := range views {
			s.cleanup(ctx, func(ctx context.Context) error {
				_, err := methods.DestroyView(ctx, s.raw, &types.DestroyView{This: v})
				return err
			})
		}
	}()
	for _, u := range units {
		vres, err := methods.CreateContainerView(ctx, s.vc, &types.CreateContainerView{
			This: *sc.ViewManager, Container: sc.RootFolder, Type: u.types, Recursive: true,
		})
		if err != nil {
			return setupError("create the "+u.name+" view", err)
		}
		views = append(views, vres.Returnval)
		spec.ObjectSet = append(spec.ObjectSet, types.ObjectSpec{
			Obj:       vres.Returnval,
			Skip:      types.NewBool(true),
			SelectSet: []types.BaseSelectionSpec{&types.TraversalSpec{Type: "ContainerView", Path: "view"}},
		})
	}
	pres, err := methods.CreatePropertyCollector(ctx, s.vc, &types.CreatePropertyCollector{This: sc.PropertyCollector})
	if err != nil {
		return setupError("create a property collector", err)
	}
	w.pc = pres.Returnval
	w.views = views
	defer s.cleanup(ctx, func(ctx context.Context) error {
		_, err := methods.DestroyPropertyCollector(ctx, s.raw, &types.DestroyPropertyCollector{This: w.pc})
		return err
	})
	if watchHook != nil {
		watchHook(w.pc)
	}
	if _, err := methods.CreateFilter(ctx, s.vc, &types.CreateFilter{This: w.pc, Spec: spec}); err != nil {
		return setupError("create the property filter", err)
	}
	// The collector and views live in this session: a later login (by
	// this watch, the keep-alive or a concurrent call) ends them.
	w.gen = s.gen.Load()
	if w.gen != gen0 {
		return &resyncError{reason: capture.ResyncRelogin, cause: errRelogged, setup: true}
	}

	version := ""
	full := true
	truncated := false
	failures := 0
	for {
		set, err := w.wait(ctx, version)
		arrived := time.Now()
		s.log.Debug("watch: wait returned", slog.String("version", version), slog.Bool("set", set != nil), slog.Any("error", err))
		if err != nil {
			if errors.Is(err, errResyncRequested) {
				return &resyncError{reason: capture.ResyncRequested}
			}
			if errors.Is(err, errRelogged) {
				return &resyncError{reason: capture.ResyncRelogin, cause: err}
			}
			if cerr := ctx.Err(); cerr != nil {
				return cerr
			}
			switch {
			case fault.Is(err, &types.NotAuthenticated{}):
				return w.sessionLost(ctx, err)
			case fault.Is(err, &types.InvalidCollectorVersion{}):
				return &resyncError{reason: capture.ResyncCollector, cause: err}
			case fault.Is(err, &types.ManagedObjectNotFound{}) || fault.Is(err, &types.RequestCanceled{}):
				// The collector is gone: with the session, or on its own.
				if s.gen.Load() != w.gen || !s.sessionAlive(ctx) {
					return w.sessionLost(ctx, err)
				}
				return &resyncError{reason: capture.ResyncCollector, cause: err}
			case transient(err):
				if truncated {
					// A truncated version cannot be used twice.
					return &resyncError{reason: capture.ResyncCollector, cause: err}
				}
				if failures >= watchRetries {
					return s.wrap("wait for updates", err)
				}
				d := watchBackoff << failures
				failures++
				s.log.Info("waiting for updates failed; retrying", slog.Duration("in", d), slog.Any("error", err))
				if err := ctxtime.Sleep(ctx, d); err != nil {
					return err
				}
				continue
			default:
				return s.wrap("wait for updates", err)
			}
		}
		failures = 0
		if set == nil {
			continue // MaxWaitSeconds passed with no change: same version
		}
		if err := w.apply(set); err != nil {
			return w.sessionLost(ctx, err)
		}
		version = set.Version
		truncated = set.Truncated != nil && *set.Truncated
		if truncated {
			continue
		}
		if len(w.refetch) > 0 {
			if err := w.refetchObjects(ctx); err != nil {
				if errors.Is(err, errSessionLost) || fault.Is(err, &types.NotAuthenticated{}) {
					return w.sessionLost(ctx, err)
				}
				return s.wrap("re-read changed objects", err)
			}
		}
		if w.reentered && !full {
			if err := w.sweep(ctx); err != nil {
				if errors.Is(err, errSessionLost) || fault.Is(err, &types.NotAuthenticated{}) {
					return w.sessionLost(ctx, err)
				}
				return s.wrap("re-read the watched views", err)
			}
		}
		var u *capture.WatchUpdate
		if full {
			if err := w.readFieldsAndTags(ctx); err != nil {
				if errors.Is(err, errSessionLost) {
					return w.sessionLost(ctx, err)
				}
				return err
			}
			u = w.fullUpdate(reason)
			full = false
		} else {
			if err := w.checkFields(ctx); err != nil {
				if errors.Is(err, errSessionLost) {
					return w.sessionLost(ctx, err)
				}
				return err
			}
			u = w.deltaUpdate()
		}
		w.resetStep()
		if u == nil {
			continue
		}
		if watchStepHook != nil {
			watchStepHook(arrived)
		}
		if err := fn(ctx, u); err != nil {
			return err
		}
	}
}

// sessionLost renews the session (shared with concurrent callers) and asks
// for a resync; a failed renewal is returned.
func (w *watcher) sessionLost(ctx context.Context, cause error) error {
	if err := w.s.relogin(ctx, w.gen); err != nil {
		return w.s.wrap("watch: renew the session", err)
	}
	return &resyncError{reason: capture.ResyncRelogin, cause: cause}
}

// sessionAlive reports whether the server still knows the session (true
// when it cannot tell).
func (s *Source) sessionAlive(ctx context.Context) bool {
	cctx, cancel := context.WithTimeout(ctx, s.opts.CallTimeout)
	defer cancel()
	active, err := s.sessionActive(cctx)
	return err != nil || active
}

// transient reports whether err is a network failure worth retrying: a
// transport error, a wait that outlived its deadline, a SystemError (or
// SystemErrorFault).
func transient(err error) bool {
	if _, ok := errors.AsType[*ConnectError](err); ok {
		return true
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	// A server-side failure of the wait itself (vcsim reports its
	// simulated network failures so).
	return fault.Is(err, &types.SystemError{}) || fault.Is(err, &types.SystemErrorFault{})
}

// wait runs one WaitForUpdatesEx. A receive on Resync cancels it
// (CancelWaitForUpdates and the request's context) and returns
// errResyncRequested.
func (w *watcher) wait(ctx context.Context, version string) (*types.UpdateSet, error) {
	maxWait := w.opts.MaxWaitSeconds
	// The server answers an idle wait after MaxWaitSeconds; it gets
	// CallTimeout more to compute an answer.
	limit := time.Duration(maxWait)*time.Second + w.s.opts.CallTimeout
	wctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	var (
		requested, relogged bool
		wg                  sync.WaitGroup
		done                = make(chan struct{})
	)
	gen, login := w.s.reloginSignal()
	if gen != w.gen {
		return nil, errRelogged
	}
	wg.Go(func() {
		select {
		case <-w.opts.Resync: // nil: never
			requested = true
			cancel()
			w.s.cleanup(ctx, func(ctx context.Context) error {
				_, err := methods.CancelWaitForUpdates(ctx, w.s.raw, &types.CancelWaitForUpdates{This: w.pc})
				return err
			})
		case <-login:
			relogged = true
			cancel()
		case <-done:
		}
	})
	res, err := methods.WaitForUpdatesEx(wctx, w.s.raw, &types.WaitForUpdatesEx{
		This:    w.pc,
		Version: version,
		Options: &types.WaitOptions{MaxWaitSeconds: &maxWait, MaxObjectUpdates: w.opts.MaxObjectUpdates},
	})
	close(done)
	wg.Wait()
	if requested {
		return nil, errResyncRequested
	}
	if relogged {
		return nil, errRelogged
	}
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
			return nil, fmt.Errorf("WaitForUpdatesEx did not answer within %v: %w", limit, err)
		}
		return nil, err
	}
	return res.Returnval, nil
}

// apply merges an update set into the cache. It returns errSessionLost when
// an object's properties are missing for NotAuthenticated.
func (w *watcher) apply(set *types.UpdateSet) error {
	for _, f := range set.FilterSet {
		for _, u := range f.ObjectSet {
			w.received++
			if w.s.log.Enabled(context.Background(), slog.LevelDebug) {
				names := make([]string, len(u.ChangeSet))
				for i, c := range u.ChangeSet {
					names[i] = c.Name
				}
				w.s.log.Debug("watch: object update", slog.String("kind", string(u.Kind)), slog.String("id", u.Obj.Value), slog.Any("paths", names))
			}
			if notAuthenticated(u.MissingSet) {
				return fmt.Errorf("%s %s: %w", u.Obj.Type, u.Obj.Value, errSessionLost)
			}
			if len(u.MissingSet) > 0 {
				w.refetch[u.Obj] = true
			}
			w.applyObject(u)
		}
	}
	return nil
}

func (w *watcher) applyObject(u types.ObjectUpdate) {
	ref := u.Obj
	w.touched[ref] = true
	switch u.Kind {
	case types.ObjectUpdateKindLeave:
		delete(w.props, ref)
		delete(w.refetch, ref)
		w.forget(ref)
		return
	case types.ObjectUpdateKindEnter:
		if _, known := w.props[ref]; known {
			w.reentered = true
		}
		w.props[ref] = map[string]any{}
	}
	props := w.props[ref]
	if props == nil { // a modify of an object never entered: read it whole
		props = map[string]any{}
		w.props[ref] = props
		w.refetch[ref] = true
	}
	for _, ch := range u.ChangeSet {
		switch ch.Op {
		case types.PropertyChangeOpAssign:
			if ch.Val == nil {
				delete(props, ch.Name)
			} else {
				props[ch.Name] = compact(ref, ch.Name, ch.Val)
			}
		case types.PropertyChangeOpIndirectRemove:
			delete(props, ch.Name)
		default: // add/remove of one element of a keyed array: read the object again
			w.refetch[ref] = true
		}
	}
	w.decode(ref)
}

// compact reduces a VM's device list to one disk of the total capacity:
// the row needs nothing else, and the list is the largest value kept.
func compact(ref moref, name string, val any) any {
	if ref.Type != tVM || name != "config.hardware.device" {
		return val
	}
	sum := diskCapacity(elems[types.BaseVirtualDevice](val))
	return types.ArrayOfVirtualDevice{VirtualDevice: []types.BaseVirtualDevice{&types.VirtualDisk{CapacityInBytes: sum}}}
}

// decode re-decodes one object from its cached properties.
func (w *watcher) decode(ref moref) {
	props := w.props[ref]
	oc := types.ObjectContent{Obj: ref, PropSet: make([]types.DynamicProperty, 0, len(props))}
	for name, v := range props {
		oc.PropSet = append(oc.PropSet, types.DynamicProperty{Name: name, Val: v})
	}
	// Decoders read in order; keep it stable.
	slices.SortFunc(oc.PropSet, func(a, b types.DynamicProperty) int { return strings.Compare(a.Name, b.Name) })
	old, hadNode := w.nodes[ref]
	oldPool := w.pools[ref]
	t := ref.Type
	switch {
	case t == tVM:
		w.vms[ref] = decodeVM(oc, w.s.opts.ExtraVMProperties, false)
		return
	case t == tHost:
		h := decodeHost(oc)
		w.hosts[ref] = h
		w.nodes[ref] = node{typ: t, name: h.name, parent: h.parent}
	case t == tCR || t == tCluster:
		c := decodeCR(oc)
		w.crs[ref] = c
		w.nodes[ref] = node{typ: t, name: c.name, parent: c.parent}
	case t == tDatastore:
		w.dss[ref] = decodeDS(oc)
		return
	case t == tNetwork || t == tDVPG || t == tOpaque:
		w.nets[ref] = decodeNet(oc)
		return
	case strings.HasSuffix(t, tDVS):
		d := decodeDVS(oc)
		if w.dvs[ref] != d.name {
			w.structural = true
		}
		w.dvs[ref] = d.name
		return
	case t == tPool || t == tVApp:
		p := decodePool(oc)
		w.pools[ref] = p
		w.nodes[ref] = node{typ: t, name: p.name, parent: p.parent}
		if oldPool == nil || oldPool.owner != p.owner || oldPool.parentFolder != p.parentFolder {
			w.structural = true
		}
	default: // Folder, Datacenter
		n := node{typ: t}
		for _, p := range oc.PropSet {
			switch p.Name {
			case "name":
				n.name = asString(p.Val)
			case "parent":
				n.parent = asRef(p.Val)
			}
		}
		w.nodes[ref] = n
	}
	if !hadNode || old != w.nodes[ref] {
		w.structural = true
	}
}

// forget drops an object that left.
func (w *watcher) forget(ref moref) {
	if _, ok := w.nodes[ref]; ok {
		w.structural = true
	}
	if _, ok := w.dvs[ref]; ok {
		w.structural = true
	}
	delete(w.vms, ref)
	delete(w.hosts, ref)
	delete(w.crs, ref)
	delete(w.dss, ref)
	delete(w.nets, ref)
	delete(w.pools, ref)
	delete(w.dvs, ref)
	delete(w.nodes, ref)
}

// refetchObjects re-reads the objects whose updates could not be merged
// (add/remove of an array element, a modify of an unknown object, missing
// properties). An object gone meanwhile leaves.
func (w *watcher) refetchObjects(ctx context.Context) error {
	refs := make([]moref, 0, len(w.refetch))
	for r := range w.refetch {
		refs = append(refs, r)
	}
	w.refetch = map[moref]bool{}
	s := w.s
	for _, ref := range refs {
		res, err := methods.RetrieveProperties(ctx, s.vc, &types.RetrieveProperties{
			This:    s.vc.ServiceContent.PropertyCollector,
			SpecSet: []types.PropertyFilterSpec{{ObjectSet: []types.ObjectSpec{{Obj: ref}}, PropSet: w.specs}},
		})
		if err != nil {
			if fault.Is(err, &types.ManagedObjectNotFound{}) {
				w.applyObject(types.ObjectUpdate{Kind: types.ObjectUpdateKindLeave, Obj: ref})
				continue
			}
			return err
		}
		for _, o := range res.Returnval {
			if notAuthenticated(o.MissingSet) {
				return fmt.Errorf("%s %s: %w", o.Obj.Type, o.Obj.Value, errSessionLost)
			}
			if deleted(o) {
				w.applyObject(types.ObjectUpdate{Kind: types.ObjectUpdateKindLeave, Obj: ref})
				continue
			}
			if len(o.MissingSet) > 0 {
				s.log.Warn("some watched properties could not be read; their values are left empty",
					slog.String("id", o.Obj.Value), slog.String("first", faultName(o.MissingSet[0])))
			}
			u := types.ObjectUpdate{Kind: types.ObjectUpdateKindEnter, Obj: o.Obj}
			for _, p := range o.PropSet {
				u.ChangeSet = append(u.ChangeSet, types.PropertyChange{Name: p.Name, Op: types.PropertyChangeOpAssign, Val: p.Val})
			}
			w.applyObject(u)
		}
	}
	return nil
}

// sweep reads the views' object lists and makes every known object no
// view lists leave.
func (w *watcher) sweep(ctx context.Context) error {
	present := map[moref]bool{}
	for _, v := range w.views {
		refs, err := w.s.viewRefs(ctx, w.s.vc.ServiceContent.PropertyCollector, v)
		if err != nil {
			return err
		}
		for _, r := range refs {
			present[r] = true
		}
	}
	for ref := range w.props {
		if !present[ref] {
			w.applyObject(types.ObjectUpdate{Kind: types.ObjectUpdateKindLeave, Obj: ref})
		}
	}
	return nil
}

// readFieldsAndTags reads the custom attribute definitions and, when tags
// are read, the VMs' tags (for a Full update).
func (w *watcher) readFieldsAndTags(ctx context.Context) error {
	s := w.s
	f, err := s.customFields(ctx)
	if err != nil {
		return s.wrap("watch: retrieve custom attribute definitions", err)
	}
	w.fields = f
	w.tags = nil
	if s.tags != nil {
		t, err := s.tags.vmTags(ctx)
		if err != nil {
			return s.wrap("watch: retrieve tags", err)
		}
		w.tags = t
	}
	return nil
}

// checkFields reads the custom attribute definitions again when a changed
// VM carries a key it does not know (an attribute defined since), and
// then rebuilds every VM row.
func (w *watcher) checkFields(ctx context.Context) error {
	for ref := range w.touched {
		v := w.vms[ref]
		if v == nil {
			continue
		}
		for _, cv := range v.custom {
			if _, ok := w.fields[cv.GetCustomFieldValue().Key]; !ok {
				f, err := w.s.customFields(ctx)
				if err != nil {
					return w.s.wrap("watch: retrieve custom attribute definitions", err)
				}
				w.fields = f
				w.structural = true
				return nil
			}
		}
	}
	return nil
}

// fullUpdate builds the whole inventory and remembers every row.
func (w *watcher) fullUpdate(reason string) *capture.WatchUpdate {
	now := w.s.opts.Clock()
	snap := now.UTC().Truncate(time.Second)
	u := &capture.WatchUpdate{At: now, Full: true, Reason: reason, Received: w.received}
	w.rows = map[moref]any{}
	r := w.resolver()
	vc := w.s.ep.Name
	for _, ref := range w.all() {
		if row := w.row(r, vc, ref); row != nil {
			w.rows[ref] = row
			addRow(&u.State, row, snap)
		}
	}
	sortState(&u.State)
	return u
}

// deltaUpdate builds the rows that changed since the last update and the
// objects that left; nil when nothing did.
func (w *watcher) deltaUpdate() *capture.WatchUpdate {
	now := w.s.opts.Clock()
	snap := now.UTC().Truncate(time.Second)
	u := &capture.WatchUpdate{At: now, Received: w.received}
	r := w.resolver()
	vc := w.s.ep.Name
	var cands []moref
	if w.structural {
		cands = w.all()
		for ref := range w.rows {
			if !w.present(ref) {
				cands = append(cands, ref)
			}
		}
	} else {
		for ref := range w.touched {
			cands = append(cands, ref)
		}
	}
	for _, ref := range cands {
		row := w.row(r, vc, ref)
		prev, had := w.rows[ref]
		switch {
		case row == nil && had:
			delete(w.rows, ref)
			u.Removed = append(u.Removed, capture.WatchRef{Entity: entityOf(prev), ID: ref.Value})
		case row != nil && (!had || !reflect.DeepEqual(prev, row)):
			w.rows[ref] = row
			addRow(&u.State, row, snap)
		}
	}
	if len(u.Removed) == 0 && stateEmpty(&u.State) {
		return nil
	}
	sortState(&u.State)
	slices.SortFunc(u.Removed, func(a, b capture.WatchRef) int {
		if a.Entity != b.Entity {
			return strings.Compare(string(a.Entity), string(b.Entity))
		}
		return compareID(a.ID, b.ID)
	})
	return u
}

func (w *watcher) resolver() *resolver {
	return newResolverFrom(w.nodes, w.hosts, w.crs, w.pools)
}

// all lists every object that has a row kind.
func (w *watcher) all() []moref {
	out := make([]moref, 0, len(w.vms)+len(w.hosts)+len(w.crs)+len(w.dss)+len(w.nets)+len(w.pools))
	for _, m := range []func(func(moref) bool){keysOf(w.vms), keysOf(w.hosts), keysOf(w.crs), keysOf(w.dss), keysOf(w.nets), keysOf(w.pools)} {
		m(func(r moref) bool { out = append(out, r); return true })
	}
	return out
}

func keysOf[V any](m map[moref]V) func(func(moref) bool) {
	return func(yield func(moref) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func (w *watcher) present(ref moref) bool {
	_, ok := w.props[ref]
	return ok
}

// row builds the row of one object (SnapshotTime zero), or nil when the
// object has none (gone, a folder, a standalone compute resource).
func (w *watcher) row(r *resolver, vc string, ref moref) any {
	if v := w.vms[ref]; v != nil {
		row := r.vmRow(vc, v, w.fields, w.tags[ref.Value], time.Time{})
		return &row
	}
	if h := w.hosts[ref]; h != nil {
		row := r.hostRow(vc, h, time.Time{})
		return &row
	}
	if c := w.crs[ref]; c != nil && c.cluster {
		row := r.clusterRow(vc, c, time.Time{})
		return &row
	}
	if d := w.dss[ref]; d != nil {
		row := r.datastoreRow(vc, d, time.Time{})
		return &row
	}
	if n := w.nets[ref]; n != nil {
		row := r.networkRow(vc, n, w.dvs, time.Time{})
		return &row
	}
	if p := w.pools[ref]; p != nil {
		row := r.poolRow(vc, p, time.Time{})
		return &row
	}
	return nil
}

// addRow appends a copy of row, stamped with snap, to st.
func addRow(st *inventory.State, row any, snap time.Time) {
	switch x := row.(type) {
	case *inventory.VM:
		v := *x
		v.SnapshotTime = snap
		st.VMs = append(st.VMs, v)
	case *inventory.Host:
		v := *x
		v.SnapshotTime = snap
		st.Hosts = append(st.Hosts, v)
	case *inventory.Cluster:
		v := *x
		v.SnapshotTime = snap
		st.Clusters = append(st.Clusters, v)
	case *inventory.Datastore:
		v := *x
		v.SnapshotTime = snap
		st.Datastores = append(st.Datastores, v)
	case *inventory.Network:
		v := *x
		v.SnapshotTime = snap
		st.Networks = append(st.Networks, v)
	case *inventory.ResourcePool:
		v := *x
		v.SnapshotTime = snap
		st.ResourcePools = append(st.ResourcePools, v)
	}
}

func entityOf(row any) inventory.EntityType {
	switch row.(type) {
	case *inventory.VM:
		return inventory.EntityVM
	case *inventory.Host:
		return inventory.EntityHost
	case *inventory.Cluster:
		return inventory.EntityCluster
	case *inventory.Datastore:
		return inventory.EntityDatastore
	case *inventory.Network:
		return inventory.EntityNetwork
	default:
		return inventory.EntityResourcePool
	}
}

func stateEmpty(st *inventory.State) bool {
	return len(st.VMs)+len(st.Hosts)+len(st.Clusters)+len(st.Datastores)+len(st.Networks)+len(st.ResourcePools) == 0
}

func sortState(st *inventory.State) {
	slices.SortFunc(st.VMs, func(a, b inventory.VM) int { return compareID(a.ID, b.ID) })
	slices.SortFunc(st.Hosts, func(a, b inventory.Host) int { return compareID(a.ID, b.ID) })
	slices.SortFunc(st.Clusters, func(a, b inventory.Cluster) int { return compareID(a.ID, b.ID) })
	slices.SortFunc(st.Datastores, func(a, b inventory.Datastore) int { return compareID(a.ID, b.ID) })
	slices.SortFunc(st.Networks, func(a, b inventory.Network) int { return compareID(a.ID, b.ID) })
	slices.SortFunc(st.ResourcePools, func(a, b inventory.ResourcePool) int { return compareID(a.ID, b.ID) })
}
