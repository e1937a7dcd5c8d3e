package vcsim

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/session"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/simulator/sim25"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/accessvault/vinventory/internal/ctxtime"
)

// FaultRule describes a fault (or a slowdown) injected into SOAP calls. The
// fault itself is built by vcsim's simulator.FaultInjector.CreateFault, so
// the FaultType values and the faults they produce are vcsim's:
//
//   - simulator.FaultTypeNotAuthenticated: types.NotAuthenticated, what
//     vCenter returns once a session has expired;
//   - simulator.FaultTypeNetworkFailure: *types.SystemErrorFault (the
//     SystemError fault) with reason "Network connection failed: <Message>";
//   - simulator.FaultTypeTimeout: the same with "Operation timed out: ...";
//   - simulator.FaultTypeCustom with Fault set: that fault; and the others.
//
// The Sim evaluates its rules itself (under its own lock, from vcsim's
// Registry.Handler hook) instead of adding them to vcsim's FaultInjector:
// vcsim v0.56.0 updates a rule's counters and random source under a read
// lock, which is a data race as soon as two calls that match a rule run
// concurrently (go test -race fails). The Sim's rules are safe for
// concurrent calls and deterministic for a given Options.Seed.
type FaultRule struct {
	// Method is the SOAP method the rule applies to, such as
	// "RetrievePropertiesEx" or "PowerOnVM_Task". "" or "*" matches every
	// method.
	Method string
	// ObjectType limits the rule to calls on objects of this managed object
	// type ("PropertyCollector", "VirtualMachine", ...). "" or "*" matches
	// any type.
	ObjectType string
	// ObjectName limits the rule to calls on the managed entity with this
	// name. "" or "*" matches any object.
	ObjectName string

	// Type is the kind of fault to return. Defaults to
	// simulator.FaultTypeGeneric (a SystemError with Message as reason).
	Type simulator.FaultType
	// Fault is returned when Type is simulator.FaultTypeCustom.
	Fault types.BaseMethodFault
	// Message is used in the fault where vcsim's fault type carries one.
	// Defaults to "fault injected by vcsim (vinventory)".
	Message string

	// After is the number of matching calls that go through untouched
	// before the rule fires. Defaults to 0.
	After int
	// Times is how many times the rule fires; 0 means on every matching
	// call after the first After (a persistent fault). Defaults to 0.
	Times int
	// Probability is the chance (0 to 1) that an eligible call fires the
	// rule, drawn from a generator seeded by Options.Seed. 0 means 1
	// (always).
	Probability float64

	// Delay is how long a call that fires the rule waits before it returns.
	// Defaults to 0.
	Delay time.Duration
	// SlowOnly makes the rule delay the call by Delay and then let it run
	// normally instead of returning a fault.
	SlowOnly bool
}

// Injection is a rule added to a Sim. Its methods are safe for concurrent
// use.
type Injection struct {
	sim  *Sim
	rule FaultRule
	vc   *simulator.FaultInjectionRule // what CreateFault reads

	// guarded by sim.faults.mu
	seen, fired int
}

// Fired returns how many calls the rule has failed (or slowed) so far.
func (i *Injection) Fired() int {
	i.sim.faults.mu.Lock()
	defer i.sim.faults.mu.Unlock()
	return i.fired
}

// Seen returns how many calls matched the rule's method, type and name so
// far, fired or not.
func (i *Injection) Seen() int {
	i.sim.faults.mu.Lock()
	defer i.sim.faults.mu.Unlock()
	return i.seen
}

// Remove deactivates the rule. Calls already waiting on its Delay finish.
func (i *Injection) Remove() {
	f := &i.sim.faults
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rules = slices.DeleteFunc(f.rules, func(r *Injection) bool { return r == i })
}

type faultState struct {
	mu    sync.Mutex
	rules []*Injection
	rng   *rand.Rand
}

// InjectFault adds a rule and returns its handle. Rules are checked in the
// order they were added; the first one that fires decides the call.
func (s *Sim) InjectFault(rule FaultRule) *Injection {
	if rule.Message == "" {
		rule.Message = "fault injected by vcsim (vinventory)"
	}
	inj := &Injection{
		sim:  s,
		rule: rule,
		vc: &simulator.FaultInjectionRule{
			MethodName:  orStar(rule.Method),
			ObjectType:  orStar(rule.ObjectType),
			ObjectName:  orStar(rule.ObjectName),
			Probability: 1,
			FaultType:   rule.Type,
			Message:     rule.Message,
			Fault:       rule.Fault,
			Delay:       int(rule.Delay / time.Millisecond),
			Enabled:     true,
		},
	}
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	if s.faults.rng == nil {
		s.faults.rng = rand.New(rand.NewPCG(uint64(s.Options.Seed), 0xfa17))
	}
	s.faults.rules = append(s.faults.rules, inj)
	return inj
}

// InjectNotAuthenticated makes the after+1-th call of method (and only that
// one) fail with NotAuthenticated, as if the session had expired in the
// middle of a capture; later calls succeed again on the same session. Use
// "RetrievePropertiesEx" to fail the first page of a retrieval and
// "ContinueRetrievePropertiesEx" to fail a later page. To really end the
// sessions, use ExpireSessions.
func (s *Sim) InjectNotAuthenticated(method string, after int) *Injection {
	return s.InjectFault(FaultRule{
		Method: method,
		Type:   simulator.FaultTypeNotAuthenticated,
		After:  after,
		Times:  1,
	})
}

// InjectInvalidCollectorVersion makes the next WaitForUpdatesEx call (of any
// client, after the first after ones) fail with InvalidCollectorVersion, as
// a vCenter does when a watcher's collector version is out of date; vcsim
// never raises it by itself. A watcher should start over with a new
// collector.
func (s *Sim) InjectInvalidCollectorVersion(after int) *Injection {
	return s.InjectFault(FaultRule{
		Method: "WaitForUpdatesEx",
		Type:   simulator.FaultTypeCustom,
		Fault:  new(types.InvalidCollectorVersion),
		After:  after,
		Times:  1,
	})
}

// InjectNetworkFailure makes calls of method fail with vcsim's network
// failure fault (a SystemError, "Network connection failed: ...") once the
// first after calls have gone through: times times, or on every later call
// when times is 0. Method "*" fails every call, including the Sim's own
// mutations and logins.
func (s *Sim) InjectNetworkFailure(method string, after, times int) *Injection {
	return s.InjectFault(FaultRule{
		Method:  method,
		Type:    simulator.FaultTypeNetworkFailure,
		Message: "injected by vcsim (vinventory)",
		After:   after,
		Times:   times,
	})
}

// InjectSlowCalls delays every call of method ("*" for all) by delay, on top
// of any Options.Latency, until the returned Injection is removed or
// ClearFaults is called.
func (s *Sim) InjectSlowCalls(method string, delay time.Duration) *Injection {
	return s.InjectFault(FaultRule{Method: method, Delay: delay, SlowOnly: true})
}

// ClearFaults removes every rule added through the Sim, and any rule added
// directly to vcsim's FaultInjector (Model.Service.AddFaultRule).
func (s *Sim) ClearFaults() {
	s.faults.mu.Lock()
	s.faults.rules = nil
	s.faults.mu.Unlock()
	if s.Model != nil && s.Model.Service != nil {
		s.Model.Service.ClearFaultRules()
	}
}

func orStar(s string) string {
	if s == "" {
		return "*"
	}
	return s
}

// handle is installed as the vim25 Registry.Handler. vcsim calls it first
// for every SOAP call (HTTP or in-process), before it checks the session.
func (s *Sim) handle(ctx *simulator.Context, method *simulator.Method) (mo.Reference, types.BaseMethodFault) {
	inj := s.match(ctx, method)
	if inj == nil {
		return nil, nil
	}
	if inj.rule.SlowOnly {
		_ = ctxtime.Sleep(ctx, inj.rule.Delay) // a cancelled request stops waiting
		return nil, nil
	}
	// CreateFault sleeps for the rule's Delay, then builds the fault.
	res := s.Model.Service.FaultInjector().CreateFault(inj.vc, method)
	if f := res.Fault(); f != nil {
		if mf, ok := f.Detail.Fault.(types.BaseMethodFault); ok {
			return nil, mf
		}
	}
	return nil, &types.SystemError{Reason: inj.rule.Message}
}

// match returns the rule that fires for this call, if any, and counts it.
// The target's name is read (under the target's lock) only if a rule needs
// it, and never while holding the Sim's fault lock.
func (s *Sim) match(ctx *simulator.Context, method *simulator.Method) *Injection {
	s.faults.mu.Lock()
	n := len(s.faults.rules)
	needName := slices.ContainsFunc(s.faults.rules, func(r *Injection) bool { return orStar(r.rule.ObjectName) != "*" })
	s.faults.mu.Unlock()
	if n == 0 {
		return nil
	}
	var name string
	if needName {
		name = entityName(ctx, method.This)
	}

	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	for _, inj := range s.faults.rules {
		r := inj.rule
		if orStar(r.Method) != "*" && r.Method != method.Name {
			continue
		}
		if orStar(r.ObjectType) != "*" && r.ObjectType != method.This.Type {
			continue
		}
		if orStar(r.ObjectName) != "*" && r.ObjectName != name {
			continue
		}
		if r.Times > 0 && inj.fired >= r.Times {
			continue
		}
		inj.seen++
		if inj.seen <= r.After {
			continue
		}
		if r.Probability > 0 && r.Probability < 1 && s.faults.rng.Float64() >= r.Probability {
			continue
		}
		inj.fired++
		return inj
	}
	return nil
}

// entityName reads the name of the entity a call targets, under the
// entity's lock.
func entityName(ctx *simulator.Context, ref types.ManagedObjectReference) string {
	obj := ctx.Map.Get(ref)
	e, ok := obj.(mo.Entity)
	if !ok {
		return ""
	}
	var name string
	ctx.Map.WithLock(&simulator.Context{Context: context.Background(), Map: ctx.Map}, obj, func() {
		name = e.Entity().Name
	})
	return name
}

// ExpireSessions ends every session except the Sim's own client session,
// the way an idle timeout or an administrator would (SessionManager
// TerminateSession), and returns how many it ended. The next call on an
// ended session fails with NotAuthenticated, with one vcsim difference:
// objects that lived in the session, such as its ContainerViews, are gone
// with it, so a retrieval through a view created before the expiry fails
// with ManagedObjectNotFound where vCenter says NotAuthenticated. For an
// exact NotAuthenticated mid-capture use InjectNotAuthenticated.
func (s *Sim) ExpireSessions(ctx context.Context) (int, error) {
	c := s.Client.Client
	current, err := s.Client.SessionManager.UserSession(ctx)
	if err != nil {
		return 0, fmt.Errorf("vcsim: current session: %w", err)
	}
	var sm mo.SessionManager
	err = property.DefaultCollector(c).RetrieveOne(ctx, *c.ServiceContent.SessionManager, []string{"sessionList"}, &sm)
	if err != nil {
		return 0, fmt.Errorf("vcsim: list sessions: %w", err)
	}
	n := 0
	for _, us := range sm.SessionList {
		if current != nil && us.Key == current.Key {
			continue
		}
		_, err := methods.TerminateSession(ctx, c, &types.TerminateSession{
			This:      *c.ServiceContent.SessionManager,
			SessionId: []string{us.Key},
		})
		if err != nil {
			if fault.Is(err, &types.NotFound{}) {
				continue // logged out meanwhile
			}
			return n, fmt.Errorf("vcsim: terminate session: %w", err)
		}
		n++
	}
	return n, nil
}

// SetSessionTimeout sets vcsim's idle session timeout for sessions created
// from now on (vcsim reads it at login); an idle session then expires after
// d. It uses sim25.SetSessionTimeout.
func (s *Sim) SetSessionTimeout(ctx context.Context, d time.Duration) error {
	if err := sim25.SetSessionTimeout(ctx, s.Client.Client, d); err != nil {
		return fmt.Errorf("vcsim: set session timeout: %w", err)
	}
	return nil
}

func newSessionManager(c *vim25.Client) *session.Manager { return session.NewManager(c) }
