package alert_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/accessvault/vinventory/alert"
	"github.com/accessvault/vinventory/capture/capturetest"
	"github.com/accessvault/vinventory/capture/vcsim"
	"github.com/accessvault/vinventory/capture/vsphere"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/memstore"
)

const vc = "vc1"

// env is a simulator captured into a memstore, with an evaluator whose
// clock the test moves.
type env struct {
	t   *testing.T
	sim *vcsim.Sim
	src *vsphere.Source
	st  *memstore.Store
	ev  *alert.Evaluator

	mu  sync.Mutex
	now time.Time
}

// createMu serializes building simulators (vcsim's Model.Create writes
// package-level state).
var createMu sync.Mutex

// newEnv starts a simulator, registers it as endpoint vc1 and returns the
// environment; the clock starts at the wall clock (vcsim stamps events
// with it), truncated to a second.
func newEnv(t *testing.T, so vcsim.Options, o alert.Options) *env {
	t.Helper()
	createMu.Lock()
	sim := capturetest.NewSim(t, so)
	createMu.Unlock()
	e := &env{t: t, sim: sim, now: time.Now().UTC().Truncate(time.Second)}
	ctx := context.Background()
	e.st = memstore.New(memstore.Options{Clock: e.clock})
	ep := inventory.Endpoint{Name: vc, URL: "https://" + sim.URL.Host + "/sdk", Username: sim.Username,
		TLS: inventory.TLSOptions{Thumbprint: sim.Thumbprint()}, Enabled: true}
	src, err := vsphere.New(ctx, ep, vsphere.Options{Credentials: vsphere.Password(sim.Password), Clock: e.clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = src.Close(context.Background()) })
	e.src = src
	if _, err := e.st.UpsertEndpoint(ctx, &store.UpsertEndpointParams{Endpoint: ep}); err != nil {
		t.Fatal(err)
	}
	o.Clock = e.clock
	if o.PowerEvents == nil {
		o.PowerEvents = alert.PowerEventSources{vc: src}
	}
	if e.ev, err = alert.NewEvaluator(e.st, o); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *env) clock() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.now
}

// advance moves the clock.
func (e *env) advance(d time.Duration) {
	e.mu.Lock()
	e.now = e.now.Add(d)
	e.mu.Unlock()
}

// capture captures and reconciles the simulator at the current time.
func (e *env) capture() {
	e.t.Helper()
	capturetest.Snapshot(e.t, e.st, e.src, e.clock(), time.Second)
}

// run evaluates rules (nil: the store's) and returns the result.
func (e *env) run(rules ...inventory.AlertRule) *alert.Result {
	e.t.Helper()
	p := &alert.RunParams{}
	if len(rules) > 0 {
		p.Rules = rules
	}
	res, err := e.ev.Run(context.Background(), p)
	if err != nil {
		e.t.Fatalf("Run: %v", err)
	}
	return res
}

// alerts returns the stored alerts of a rule (every state), oldest first.
func (e *env) alerts(rule string) []inventory.Alert {
	e.t.Helper()
	pg, err := e.st.ListAlerts(context.Background(), &store.ListAlertsParams{RuleID: rule, Limit: 1000})
	if err != nil {
		e.t.Fatal(err)
	}
	slices.Reverse(pg.Alerts)
	return pg.Alerts
}

// active returns the entity ids of a rule's alerts in state s.
func (e *env) active(rule string, s inventory.AlertState) []string {
	var out []string
	for _, a := range e.alerts(rule) {
		if a.State == s {
			out = append(out, a.EntityID)
		}
	}
	slices.Sort(out)
	return out
}

// notifications returns the queued notifications as "event channel entity".
func (e *env) notifications() []string {
	e.t.Helper()
	pg, err := e.st.ListNotifications(context.Background(), &store.ListNotificationsParams{Limit: 1000})
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, n := range slices.Backward(pg.Notifications) {
		out = append(out, n.Event+" "+n.Channel+" "+n.Alert.EntityID)
	}
	return out
}

// host returns the id of a host by name prefix order: the n-th host
// (sorted by id) of the captured state.
func (e *env) hosts() []inventory.Host {
	e.t.Helper()
	hs, err := e.st.ListHosts(context.Background(), &store.ListHostsParams{Vcenter: vc})
	if err != nil {
		e.t.Fatal(err)
	}
	return hs
}

func (e *env) datastores() []inventory.Datastore {
	e.t.Helper()
	ds, err := e.st.ListDatastores(context.Background(), &store.ListDatastoresParams{Vcenter: vc})
	if err != nil {
		e.t.Fatal(err)
	}
	return ds
}

func (e *env) must(err error) {
	e.t.Helper()
	if err != nil {
		e.t.Fatal(err)
	}
}

func rule(id string, kind inventory.AlertRuleKind) inventory.AlertRule {
	return inventory.AlertRule{ID: id, Kind: kind, Severity: inventory.SeverityWarning, Enabled: true}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
