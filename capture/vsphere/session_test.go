package vsphere_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"

	"github.com/accessvault/vinventory/capture/vcsim"
	"github.com/accessvault/vinventory/capture/vsphere"
)

func TestReloginOnNotAuthenticatedFault(t *testing.T) {
	t.Parallel()
	sim := newSim(t, vcsim.Options{VMs: 30})
	src, l := open(t, sim, vsphere.Options{PageSize: 5})
	ctx := context.Background()
	want, err := src.Retrieve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	before := l.n.Load()

	// The third continuation page answers NotAuthenticated once.
	inj := sim.InjectNotAuthenticated("ContinueRetrievePropertiesEx", 2)
	got, err := src.Retrieve(ctx)
	if err != nil {
		t.Fatalf("Retrieve after NotAuthenticated: %v", err)
	}
	if inj.Fired() != 1 {
		t.Fatalf("fault fired %d times", inj.Fired())
	}
	if n := l.n.Load() - before; n != 1 {
		t.Fatalf("%d re-logins, want exactly 1", n)
	}
	if diff := gocmp.Diff(want, got); diff != "" {
		t.Fatalf("inventory after re-login differs:\n%s", diff)
	}
}

func TestReloginWhenSessionTerminatedMidRetrieval(t *testing.T) {
	t.Parallel()
	sim := newSim(t, vcsim.Options{VMs: 30})
	src, l := open(t, sim, vsphere.Options{PageSize: 4, Concurrency: 2})
	ctx := context.Background()
	want, err := src.Retrieve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	before := l.n.Load()

	// Slow the continuation pages down and end every session on the server
	// while the first one is in flight.
	slow := sim.InjectSlowCalls("ContinueRetrievePropertiesEx", 20*time.Millisecond)
	expired := make(chan int, 1)
	go func() {
		for slow.Seen() == 0 {
			time.Sleep(time.Millisecond)
		}
		n, err := sim.ExpireSessions(ctx)
		if err != nil {
			t.Error(err)
		}
		expired <- n
	}()
	got, err := src.Retrieve(ctx)
	if err != nil {
		t.Fatalf("Retrieve across a terminated session: %v", err)
	}
	if n := <-expired; n == 0 {
		t.Fatal("no session was terminated")
	}
	if n := l.n.Load() - before; n != 1 {
		t.Fatalf("%d re-logins, want exactly 1", n)
	}
	if diff := gocmp.Diff(want, got); diff != "" {
		t.Fatalf("inventory after re-login differs:\n%s", diff)
	}
}

func TestConcurrentCallersShareOneRelogin(t *testing.T) {
	t.Parallel()
	sim := newSim(t, vcsim.Options{VMs: 20})
	src, l := open(t, sim, vsphere.Options{PageSize: 3})
	ctx := context.Background()
	if _, err := src.Retrieve(ctx); err != nil {
		t.Fatal(err)
	}
	before := l.n.Load()
	if n, err := sim.ExpireSessions(ctx); err != nil || n == 0 {
		t.Fatalf("ExpireSessions = %d, %v", n, err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 6)
	for i := range 6 {
		wg.Go(func() {
			var err error
			if i%3 == 2 {
				_, err = src.Events(ctx, fixedNow.Add(-24*time.Hour), time.Now().Add(time.Hour))
			} else {
				_, err = src.Retrieve(ctx)
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if n := l.n.Load() - before; n != 1 {
		t.Fatalf("%d logins for 6 concurrent callers, want exactly 1", n)
	}
}

func TestKeepAliveRenewsEndedSession(t *testing.T) {
	t.Parallel()
	sim := newSim(t, vcsim.Options{VMs: 2})
	src, l := open(t, sim, vsphere.Options{KeepAlive: 20 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))})
	ctx := context.Background()
	before := l.n.Load()
	if _, err := sim.ExpireSessions(ctx); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for l.n.Load() == before {
		if time.Now().After(deadline) {
			t.Fatal("the keep-alive did not renew the ended session")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if _, err := src.Retrieve(ctx); err != nil {
		t.Fatal(err)
	}
	if n := l.n.Load() - before; n != 1 {
		t.Fatalf("%d logins, want 1 (by the keep-alive only)", n)
	}
}

func TestPersistentNotAuthenticatedFails(t *testing.T) {
	t.Parallel()
	sim := newSim(t, vcsim.Options{VMs: 10})
	src, l := open(t, sim, vsphere.Options{PageSize: 2})
	before := l.n.Load()
	sim.InjectFault(vcsim.FaultRule{Method: "ContinueRetrievePropertiesEx", Type: simulator.FaultTypeNotAuthenticated})
	st, err := src.Retrieve(context.Background())
	if err == nil || st != nil {
		t.Fatalf("Retrieve = %v, %v; want an error and no state", st != nil, err)
	}
	if n := l.n.Load() - before; n != 1 {
		t.Fatalf("%d logins: a re-login must be tried, once", n)
	}
	t.Logf("error: %v (after %d logins)", err, l.n.Load()-before)
}

func TestReloginWithRefusedCredentials(t *testing.T) {
	t.Parallel()
	sim := newSim(t, vcsim.Options{VMs: 2, Password: "S1m-Secret-42"})
	const rotated = "rotated-S3cret!"
	var calls int
	var mu sync.Mutex
	creds := func(context.Context) (string, string, error) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		if calls == 1 {
			return "", sim.Password, nil
		}
		return "", rotated, nil // the server does not know this one
	}
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	src, _ := open(t, sim, vsphere.Options{Credentials: creds, Logger: logger})
	if _, err := sim.ExpireSessions(context.Background()); err != nil {
		t.Fatal(err)
	}
	st, err := src.Retrieve(context.Background())
	var le *vsphere.LoginError
	if !errors.As(err, &le) || st != nil {
		t.Fatalf("Retrieve = %v; want a *LoginError", err)
	}
	if strings.Contains(err.Error(), rotated) || strings.Contains(err.Error(), sim.Password) {
		t.Fatalf("error leaks a password: %v", err)
	}
	if logs.Len() == 0 || strings.Contains(logs.String(), rotated) || strings.Contains(logs.String(), sim.Password) {
		t.Fatalf("logs are empty or leak a password:\n%s", logs.String())
	}
}

func TestRetrieveFailsWholeOnFault(t *testing.T) {
	t.Parallel()
	sim := newSim(t, vcsim.Options{VMs: 20})
	src, _ := open(t, sim, vsphere.Options{PageSize: 5})
	sim.InjectNetworkFailure("ContinueRetrievePropertiesEx", 1, 0)
	st, err := src.Retrieve(context.Background())
	if err == nil || st != nil {
		t.Fatalf("Retrieve = %v, %v; want an error and no state", st != nil, err)
	}
	if !strings.Contains(err.Error(), "ContinueRetrievePropertiesEx") || !strings.Contains(err.Error(), `"vc1"`) {
		t.Fatalf("error does not say which call of which endpoint failed: %v", err)
	}
	sim.ClearFaults()
	if _, err := src.Retrieve(context.Background()); err != nil {
		t.Fatalf("Retrieve after the fault cleared: %v", err)
	}
}

// TestRetrieveFailsWholeOnConnectionLoss cuts the TCP connection (through
// a proxy) in the middle of a paged retrieval.
func TestRetrieveFailsWholeOnConnectionLoss(t *testing.T) {
	t.Parallel()
	sim := newSim(t, vcsim.Options{VMs: 20})
	p := newProxy(t, sim.URL.Host)
	ep := endpoint(sim)
	ep.URL = "https://" + p.addr() + "/sdk"
	src, err := vsphere.New(context.Background(), ep, vsphere.Options{Credentials: vsphere.Password(sim.Password), PageSize: 3, Concurrency: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close(context.Background())
	slow := sim.InjectSlowCalls("ContinueRetrievePropertiesEx", 50*time.Millisecond)
	go func() {
		for slow.Seen() == 0 {
			time.Sleep(time.Millisecond)
		}
		p.cut()
	}()
	st, err := src.Retrieve(context.Background())
	if err == nil || st != nil {
		t.Fatalf("Retrieve = %v, %v; want an error and no state", st != nil, err)
	}
	var ce *vsphere.ConnectError
	if !errors.As(err, &ce) || ce.Endpoint != "vc1" {
		t.Fatalf("error = %v (%T); want a *ConnectError naming the endpoint", err, err)
	}
}

// TestConnectionsReused checks that paged retrieval reuses its connection:
// govmomi closes SOAP response bodies unread and keeps two idle
// connections, which without the Source's transport settings costs a new
// TCP+TLS connection for almost every page.
func TestConnectionsReused(t *testing.T) {
	t.Parallel()
	sim := newSim(t, vcsim.Options{VMs: 40})
	p := newProxy(t, sim.URL.Host)
	ep := endpoint(sim)
	ep.URL = "https://" + p.addr() + "/sdk"
	src, err := vsphere.New(context.Background(), ep, vsphere.Options{Credentials: vsphere.Password(sim.Password),
		PageSize: 3, Concurrency: 1, DisableTags: true, KeepAlive: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close(context.Background())
	before := p.acceptedConns()
	for i := 0; i < 2; i++ {
		if _, err := src.Retrieve(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	// Two retrievals of 40+ VMs in pages of 3 make dozens of calls.
	if n := p.acceptedConns() - before; n > 2 {
		t.Fatalf("two paged retrievals opened %d new connections; want them to reuse the Source's connections", n)
	}
}

func TestClose(t *testing.T) {
	t.Parallel()
	sim := newSim(t, vcsim.Options{VMs: 2})
	ctx := context.Background()
	sessions := func() int {
		var sm mo.SessionManager
		c := sim.Client.Client
		if err := property.DefaultCollector(c).RetrieveOne(ctx, *c.ServiceContent.SessionManager, []string{"sessionList"}, &sm); err != nil {
			t.Fatal(err)
		}
		return len(sm.SessionList)
	}
	before := sessions()
	src, err := vsphere.New(ctx, endpoint(sim), vsphere.Options{Credentials: vsphere.Password(sim.Password)})
	if err != nil {
		t.Fatal(err)
	}
	if got := src.Endpoint(); got.Credential != nil || got.Name != "vc1" {
		t.Fatalf("Endpoint() = %v", got)
	}
	if n := sessions(); n != before+1 {
		t.Fatalf("%d sessions after New, want %d", n, before+1)
	}
	if err := src.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if n := sessions(); n != before {
		t.Fatalf("%d sessions after Close, want %d (logged out)", n, before)
	}
	if err := src.Close(ctx); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := src.Retrieve(ctx); !errors.Is(err, vsphere.ErrClosed) {
		t.Fatalf("Retrieve after Close = %v", err)
	}
	if _, err := src.Events(ctx, fixedNow.Add(-time.Hour), fixedNow); !errors.Is(err, vsphere.ErrClosed) {
		t.Fatalf("Events after Close = %v", err)
	}
}

// proxy forwards TCP connections to a target until cut.
type proxy struct {
	ln       net.Listener
	target   string
	mu       sync.Mutex
	conns    []net.Conn
	accepted int
}

func newProxy(t *testing.T, target string) *proxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target}
	go p.serve()
	t.Cleanup(p.cut)
	return p
}

func (p *proxy) addr() string { return p.ln.Addr().String() }

func (p *proxy) acceptedConns() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.accepted
}

func (p *proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		u, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, u)
		p.accepted++
		p.mu.Unlock()
		go func() { _, _ = io.Copy(u, c); u.Close() }()
		go func() { _, _ = io.Copy(c, u); c.Close() }()
	}
}

// cut closes the listener and every open connection.
func (p *proxy) cut() {
	p.ln.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// TestMissingSetNotAuthenticated: a session that ends under a read can come
// back as properties in missingSet with NotAuthenticated rather than as a
// fault (vcsim answers the global property collector that way without a
// session). The session is renewed once and the read repeated (authRT;
// Retrieve also reruns the whole retrieval when such a result survives
// that): the inventory is complete, never empty values, with exactly one
// re-login.
func TestMissingSetNotAuthenticated(t *testing.T) {
	t.Parallel()
	sim := newSim(t, vcsim.Options{VMs: 12})
	src, l := open(t, sim, vsphere.Options{})
	ctx := context.Background()
	want, err := src.Retrieve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	before := l.n.Load()
	// Container views come up slowly, so the custom attribute read (on the
	// global property collector) is the first call on the ended session.
	slow := sim.InjectSlowCalls("CreateContainerView", 300*time.Millisecond)
	defer slow.Remove()
	if n, err := sim.ExpireSessions(ctx); err != nil || n == 0 {
		t.Fatalf("ExpireSessions = %d, %v", n, err)
	}
	got, err := src.Retrieve(ctx)
	if err != nil {
		t.Fatalf("Retrieve after the session ended: %v", err)
	}
	if n := l.n.Load() - before; n != 1 {
		t.Errorf("%d re-logins, want exactly 1", n)
	}
	if diff := gocmp.Diff(want, got); diff != "" {
		t.Fatalf("inventory after re-login differs:\n%s", diff)
	}
}
