package vsphere_test

import (
	"context"
	"crypto/tls"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/simulator"
	_ "github.com/vmware/govmomi/vapi/simulator" // serve the REST (tagging) API from vcsim
	"github.com/vmware/govmomi/vim25/soap"

	"github.com/accessvault/vinventory/capture/capturetest"
	"github.com/accessvault/vinventory/capture/vcsim"
	"github.com/accessvault/vinventory/capture/vsphere"
	"github.com/accessvault/vinventory/inventory"
)

// fixedNow is the clock of every Source in these tests.
var fixedNow = time.Date(2026, 11, 22, 14, 0, 0, 0, time.UTC)

// endpoint describes sim as an endpoint that pins its certificate.
func endpoint(sim *vcsim.Sim) inventory.Endpoint {
	u := *sim.URL
	u.User = nil
	return inventory.Endpoint{
		Name:     "vc1",
		URL:      u.String(),
		Username: sim.Username,
		TLS:      inventory.TLSOptions{Thumbprint: sim.Thumbprint()},
	}
}

// logins is a Credentials callback that counts its calls.
type logins struct {
	password string
	n        atomic.Int64
}

func (l *logins) creds(context.Context) (string, string, error) {
	l.n.Add(1)
	return "", l.password, nil
}

// open connects a Source to sim with the given options (Credentials and
// Clock filled in) and closes it when the test ends. It returns the login
// counter.
func open(t testing.TB, sim *vcsim.Sim, o vsphere.Options) (*vsphere.Source, *logins) {
	t.Helper()
	l := &logins{password: sim.Password}
	if o.Credentials == nil {
		o.Credentials = l.creds
	}
	if o.Clock == nil {
		o.Clock = func() time.Time { return fixedNow }
	}
	src, err := vsphere.New(context.Background(), endpoint(sim), o)
	if err != nil {
		t.Fatalf("vsphere.New: %v", err)
	}
	t.Cleanup(func() { _ = src.Close(context.Background()) })
	return src, l
}

// createMu serializes building simulators: vcsim's Model.Create writes
// package-level state (the license manager's defaults), so parallel tests
// may not build models at the same time.
var createMu sync.Mutex

// newSim starts a small simulator; tests that inject faults or end
// sessions get their own.
func newSim(t testing.TB, o vcsim.Options) *vcsim.Sim {
	t.Helper()
	createMu.Lock()
	defer createMu.Unlock()
	return capturetest.NewSim(t, o)
}

// vpx is a plain vcsim vCenter (simulator.VPX) with the REST endpoints
// registered, for what capturetest does not serve.
type vpx struct {
	model  *simulator.Model
	server *simulator.Server
}

func rawVPX(t testing.TB, configure ...func(*simulator.Model)) *vpx {
	t.Helper()
	m := simulator.VPX()
	for _, f := range configure {
		f(m)
	}
	createMu.Lock()
	defer createMu.Unlock()
	if err := m.Create(); err != nil {
		t.Fatal(err)
	}
	m.Service.TLS = new(tls.Config)
	m.Service.RegisterEndpoints = true
	s := m.Service.NewServer()
	t.Cleanup(func() {
		s.Close()
		m.Remove()
	})
	return &vpx{model: m, server: s}
}

func (v *vpx) endpoint() inventory.Endpoint {
	u := *v.server.URL
	u.User = nil
	return inventory.Endpoint{
		Name:     "vc1",
		URL:      u.String(),
		Username: "user",
		TLS:      inventory.TLSOptions{Thumbprint: soap.ThumbprintSHA1(v.server.Certificate())},
	}
}

// client logs a govmomi client in (verification skipped: test only).
func (v *vpx) client(t testing.TB) *govmomi.Client {
	t.Helper()
	c, err := govmomi.NewClient(context.Background(), v.server.URL, true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Logout(context.Background()) })
	return c
}
