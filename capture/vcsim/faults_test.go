package vcsim_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/view"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/accessvault/vinventory/capture/capturetest"
	"github.com/accessvault/vinventory/capture/vcsim"
)

// pagedRetrieve retrieves name and runtime.powerState of every VM through a
// ContainerView with RetrievePropertiesEx, pageSize objects at a time
// (ContinueRetrievePropertiesEx for the next pages), the way a bulk capture
// does. It returns the number of VMs.
func pagedRetrieve(ctx context.Context, c *vim25.Client, pageSize int32) (int, error) {
	v, err := view.NewManager(c).CreateContainerView(ctx, c.ServiceContent.RootFolder, []string{"VirtualMachine"}, true)
	if err != nil {
		return 0, err
	}
	defer func() { _ = v.Destroy(context.WithoutCancel(ctx)) }()
	req := types.RetrieveProperties{SpecSet: []types.PropertyFilterSpec{{
		ObjectSet: []types.ObjectSpec{{
			Obj:  v.Reference(),
			Skip: types.NewBool(true),
			SelectSet: []types.BaseSelectionSpec{&types.TraversalSpec{
				Type: "ContainerView", Path: "view", Skip: types.NewBool(false),
			}},
		}},
		PropSet: []types.PropertySpec{{Type: "VirtualMachine", PathSet: []string{"name", "runtime.powerState"}}},
	}}}
	res, err := property.DefaultCollector(c).RetrieveProperties(ctx, req, pageSize)
	if err != nil {
		return 0, err
	}
	return len(res.Returnval), nil
}

func TestInjectNotAuthenticated(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := capturetest.NewSim(t, vcsim.Options{VMs: 28, Templates: 2})
	c := s.Client.Client

	inj := s.InjectNotAuthenticated("RetrievePropertiesEx", 1)
	if n, err := pagedRetrieve(ctx, c, 10); err != nil || n != 30 {
		t.Fatalf("first retrieval: %d VMs, %v", n, err)
	}
	if _, err := pagedRetrieve(ctx, c, 10); !fault.Is(err, &types.NotAuthenticated{}) {
		t.Fatalf("second retrieval: got %v, want NotAuthenticated", err)
	}
	if n, err := pagedRetrieve(ctx, c, 10); err != nil || n != 30 {
		t.Fatalf("third retrieval (same session): %d VMs, %v", n, err)
	}
	if inj.Fired() != 1 {
		t.Errorf("fired %d times, want 1", inj.Fired())
	}

	// Mid-capture: the second continuation page fails once.
	inj = s.InjectNotAuthenticated("ContinueRetrievePropertiesEx", 1)
	if _, err := pagedRetrieve(ctx, c, 10); !fault.Is(err, &types.NotAuthenticated{}) {
		t.Fatalf("paged retrieval: got %v, want NotAuthenticated on a later page", err)
	}
	if inj.Seen() != 2 || inj.Fired() != 1 {
		t.Errorf("seen %d fired %d, want 2 and 1", inj.Seen(), inj.Fired())
	}
	if n, err := pagedRetrieve(ctx, c, 10); err != nil || n != 30 {
		t.Fatalf("retry: %d VMs, %v", n, err)
	}
}

func TestInjectNetworkFailure(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := capturetest.NewSim(t, vcsim.Options{VMs: 6, Templates: -1})
	c := s.Client.Client

	isNetwork := func(err error) bool {
		var reason string
		fault.In(err, func(f types.BaseMethodFault, _ string, _ []types.LocalizableMessage) bool {
			switch se := f.(type) {
			case *types.SystemError:
				reason = se.Reason
			case *types.SystemErrorFault: // what vcsim's CreateFault returns
				reason = se.Reason
			}
			return true
		})
		return strings.Contains(reason, "Network connection failed")
	}

	inj := s.InjectNetworkFailure("RetrievePropertiesEx", 1, 2)
	results := make([]bool, 5)
	for i := range results {
		_, err := pagedRetrieve(ctx, c, 100)
		if err != nil && !isNetwork(err) {
			t.Fatalf("call %d: unexpected error %v", i, err)
		}
		results[i] = err != nil
	}
	if want := []bool{false, true, true, false, false}; !equalBools(results, want) {
		t.Errorf("failures %v, want %v", results, want)
	}
	if inj.Fired() != 2 {
		t.Errorf("fired %d, want 2", inj.Fired())
	}

	// Persistent until removed.
	inj = s.InjectNetworkFailure("RetrievePropertiesEx", 0, 0)
	for i := range 3 {
		if _, err := pagedRetrieve(ctx, c, 100); !isNetwork(err) {
			t.Fatalf("persistent failure, call %d: %v", i, err)
		}
	}
	inj.Remove()
	if _, err := pagedRetrieve(ctx, c, 100); err != nil {
		t.Fatalf("after Remove: %v", err)
	}

	// Scoped to one VM's power-on.
	refs := s.VMRefs()
	names := map[string]string{}
	for n, r := range s.VMs() {
		names[r] = n
	}
	_ = s.PowerOff(ctx, refs[0])
	_ = s.PowerOff(ctx, refs[1])
	s.InjectFault(vcsim.FaultRule{Method: "PowerOnVM_Task", ObjectType: "VirtualMachine", ObjectName: names[refs[0]], Type: simulator.FaultTypeNetworkFailure})
	if err := s.PowerOn(ctx, refs[0]); !isNetwork(err) {
		t.Errorf("PowerOn of the targeted VM: %v", err)
	}
	if err := s.PowerOn(ctx, refs[1]); err != nil {
		t.Errorf("PowerOn of another VM: %v", err)
	}

	// "*" also fails the Sim's own calls, until ClearFaults.
	s.InjectNetworkFailure("*", 0, 0)
	if err := s.PowerOff(ctx, refs[1]); err == nil {
		t.Error("mutation succeeded under a '*' failure")
	}
	s.Model.Service.AddFaultRule(&simulator.FaultInjectionRule{MethodName: "PowerOffVM_Task", ObjectType: "*", ObjectName: "*", Probability: 1, Enabled: true})
	s.ClearFaults()
	if n := len(s.Model.Service.GetFaultRules()); n != 0 {
		t.Errorf("ClearFaults left %d vcsim rules", n)
	}
	if err := s.PowerOff(ctx, refs[1]); err != nil {
		t.Errorf("after ClearFaults: %v", err)
	}
}

func TestInjectSlowCalls(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := capturetest.NewSim(t, vcsim.Options{VMs: 3, Templates: -1})
	c := s.Client.Client

	const d = 150 * time.Millisecond
	inj := s.InjectSlowCalls("RetrievePropertiesEx", d)
	start := time.Now()
	if _, err := pagedRetrieve(ctx, c, 100); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < d {
		t.Errorf("slowed retrieval took %v, want at least %v", took, d)
	}
	if inj.Fired() != 1 {
		t.Errorf("fired %d, want 1", inj.Fired())
	}
	inj.Remove()
	if _, err := pagedRetrieve(ctx, c, 100); err != nil || inj.Fired() != 1 {
		t.Errorf("after Remove: %v, fired %d", err, inj.Fired())
	}
}

func TestLatencyOption(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const d = 120
	s := capturetest.NewSim(t, vcsim.Options{VMs: 2, Templates: -1, Latency: vcsim.Latency{
		MethodDelay: map[string]int{"RetrievePropertiesEx": d},
	}})
	start := time.Now()
	if _, err := pagedRetrieve(ctx, s.Client.Client, 100); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < d*time.Millisecond {
		t.Errorf("retrieval took %v, want at least %dms", took, d)
	}
}

func TestExpireSessions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := capturetest.NewSim(t, vcsim.Options{VMs: 3, Templates: -1})

	other, err := s.NewClient(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pagedRetrieve(ctx, other.Client, 100); err != nil {
		t.Fatal(err)
	}
	n, err := s.ExpireSessions(ctx)
	if err != nil || n < 1 {
		t.Fatalf("ExpireSessions = %d, %v", n, err)
	}
	if _, err := pagedRetrieve(ctx, other.Client, 100); !fault.Is(err, &types.NotAuthenticated{}) {
		t.Errorf("expired session: got %v, want NotAuthenticated", err)
	}
	if _, err := pagedRetrieve(ctx, s.Client.Client, 100); err != nil {
		t.Errorf("the Sim's own session: %v", err)
	}
	// A new login works again.
	if err := other.Login(ctx, s.URL.User); err != nil {
		t.Fatal(err)
	}
	if _, err := pagedRetrieve(ctx, other.Client, 100); err != nil {
		t.Errorf("after a new login: %v", err)
	}

	// Idle timeout, for sessions created after it is set.
	if err := s.SetSessionTimeout(ctx, 100*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	idle, err := s.NewClient(ctx)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	if _, err := pagedRetrieve(ctx, idle.Client, 100); !fault.Is(err, &types.NotAuthenticated{}) {
		t.Errorf("idle session: got %v, want NotAuthenticated", err)
	}
}

// TestConcurrentFaults exercises the rules from many goroutines; with -race
// it proves the evaluation is race-free (vcsim's own FaultInjector is not).
func TestConcurrentFaults(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := capturetest.NewSim(t, vcsim.Options{VMs: 4, Templates: -1})
	fail := s.InjectNetworkFailure("RetrievePropertiesEx", 0, 0)
	slow := s.InjectSlowCalls("CreateContainerView", time.Millisecond)
	once := s.InjectNotAuthenticated("DestroyView", 3)

	var wg sync.WaitGroup
	var mu sync.Mutex
	failures := 0
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 5 {
				if _, err := pagedRetrieve(ctx, s.Client.Client, 100); err != nil {
					mu.Lock()
					failures++
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if failures != 40 || fail.Fired() != 40 || slow.Fired() != 40 || once.Fired() != 1 {
		t.Errorf("failures %d, fired %d/%d/%d; want 40, 40/40/1", failures, fail.Fired(), slow.Fired(), once.Fired())
	}
}

func equalBools(a, b []bool) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
