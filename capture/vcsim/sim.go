package vcsim

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/url"
	"os"
	"sync"
	"time"

	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"

	inv "github.com/accessvault/vinventory/inventory"
)

// Sim is a running vcsim server with a generated inventory, a logged-in
// client for mutations, and fault injection. Create one with NewSim (tests)
// or Start, and release it with Close. Its methods are safe for concurrent
// use.
type Sim struct {
	// URL is the SDK endpoint (https://127.0.0.1:port/sdk) with Username and
	// Password as user info, ready for govmomi.NewClient or soap.ParseURL.
	URL *url.URL
	// Username and Password are the credentials the simulator accepts.
	Username, Password string

	// Model is the vcsim model behind the server. Use Model.Map() (with the
	// simulator's locks) only if the helpers here are not enough.
	Model *simulator.Model
	// Server is the vcsim HTTPS server.
	Server *simulator.Server
	// Client is a logged-in client that the mutation methods use. It goes
	// through the same SOAP endpoint as any other client, so injected faults
	// and latency apply to it too.
	Client *govmomi.Client

	// Options is the normalized copy of the options the Sim was built with
	// (defaults applied).
	Options Options

	inv    *inventory
	hostMu sync.RWMutex // guards inv.hosts (RenameHost)

	faults faultState

	// perfRec records QueryPerf calls (RecordPerf), guarded by perfMu.
	perfMu   sync.Mutex
	perfRec  *PerfRecording
	perfOnce sync.Once

	// dsLocks serializes VM operations per datastore: vcsim's
	// Datastore.resolve copies the datastore object without its lock, which
	// races with other operations on the same datastore.
	dsLocks map[types.ManagedObjectReference]*sync.Mutex

	dir string // datastore files

	fieldMu sync.Mutex // serializes custom attribute definition

	buildSession *simulator.Session // the session of direct calls while building

	certPEM []byte
	cert    *x509.Certificate

	closeOnce sync.Once
}

// createMu serializes simulator.Model.Create and Service.NewServer across
// Sims: both write vcsim package-level state (the license manager's
// defaults; the OptionManager settings shared by every model, whose URIs
// NewServer rewrites).
var createMu sync.Mutex

// Start builds the inventory described by opts, starts an HTTPS vcsim server
// on 127.0.0.1 with a fresh self-signed certificate and logs a client in. It
// is meant for non-test use such as a demo mode; tests should use NewSim.
// ctx bounds the build and the login only. The caller must Close the Sim.
func Start(ctx context.Context, opts Options) (*Sim, error) {
	o, err := opts.normalized()
	if err != nil {
		return nil, err
	}

	var model *simulator.Model
	if o.ESX {
		model = simulator.ESX()
	} else {
		model = simulator.VPX()
		model.Datacenter = o.Datacenters
		model.Cluster = o.ClustersPerDatacenter
		model.ClusterHost = o.HostsPerCluster
		model.Host = o.StandaloneHosts
		model.Portgroup = o.DistributedPortGroups
	}
	model.Datastore = 0 // created by build, in s.dir
	model.Machine = 0
	model.Pool = 0
	model.App = 0
	model.Pod = 0
	model.Autostart = false

	// Model.Create is not safe for concurrent use: vcsim's
	// LicenseManager.init appends to the package-level EvalLicense.
	createMu.Lock()
	err = model.Create()
	createMu.Unlock()
	if err != nil {
		if model.Service != nil {
			model.Remove()
		}
		return nil, fmt.Errorf("vcsim: create model: %w", err)
	}

	s := &Sim{
		Username: o.Username,
		Password: o.Password,
		Model:    model,
		Options:  o,
		dsLocks:  map[types.ManagedObjectReference]*sync.Mutex{},
	}
	ok := false
	defer func() {
		if !ok {
			s.Close()
		}
	}()

	s.dir, err = os.MkdirTemp(o.Dir, "vinventory-vcsim-")
	if err != nil {
		return nil, fmt.Errorf("vcsim: datastore directory: %w", err)
	}

	// Datastores, pools and port groups are made through an in-process
	// client (vcsim's Service implements soap.RoundTripper, so no HTTP);
	// VMs by direct calls (see createPlanned).
	c, err := vim25.NewClient(ctx, model.Service)
	if err != nil {
		return nil, fmt.Errorf("vcsim: in-process client: %w", err)
	}
	if err := s.build(ctx, c); err != nil {
		return nil, err
	}

	// Faults and slow calls are evaluated in the Registry handler hook.
	model.Map().Handler = s.handle

	// vcsim applies model.DelayConfig to every call once CreateInfrastructure
	// has run (it keeps a pointer to the field), so set it only now that the
	// inventory is built, and before the server serves any request.
	model.DelayConfig = simulator.DelayConfig{
		Delay:       o.Latency.Delay,
		MethodDelay: o.Latency.MethodDelay,
		DelayJitter: o.Latency.Jitter,
	}

	cert, certPEM, err := selfSignedCert()
	if err != nil {
		return nil, err
	}
	model.Service.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	model.Service.Listen = &url.URL{Host: "127.0.0.1:0", User: url.UserPassword(o.Username, o.Password)}
	createMu.Lock()
	s.Server = model.Service.NewServer()
	createMu.Unlock()
	s.cert = s.Server.Certificate()
	s.certPEM = certPEM

	u := *s.Server.URL
	u.User = url.UserPassword(o.Username, o.Password)
	s.URL = &u

	s.Client, err = s.NewClient(ctx)
	if err != nil {
		return nil, err
	}

	ok = true
	return s, nil
}

// NewClient logs a new client in to the simulator, trusting its certificate
// through the CA pool (not by skipping verification). Each client has its
// own session.
func (s *Sim) NewClient(ctx context.Context) (*govmomi.Client, error) {
	sc := soap.NewClient(s.URL, false)
	sc.DefaultTransport().TLSClientConfig.RootCAs = s.CertPool()
	vc, err := vim25.NewClient(ctx, sc)
	if err != nil {
		return nil, fmt.Errorf("vcsim: connect %s: %w", s.Server.URL, err)
	}
	c := &govmomi.Client{Client: vc}
	c.SessionManager = newSessionManager(vc)
	if err := c.Login(ctx, s.URL.User); err != nil {
		return nil, fmt.Errorf("vcsim: login: %w", err)
	}
	return c, nil
}

// Close logs the client out, stops the server and removes the simulator's
// temporary files. It is safe to call more than once.
// Endpoint is an endpoint named name for this simulator: its SDK URL, its
// user and its certificate's thumbprint pinned (no password: pass
// vsphere.Password(s.Password) as the source's credentials).
func (s *Sim) Endpoint(name string) inv.Endpoint {
	return inv.Endpoint{Name: name, URL: "https://" + s.URL.Host + "/sdk", Username: s.Username,
		TLS: inv.TLSOptions{Thumbprint: s.Thumbprint()}}
}

func (s *Sim) Close() {
	s.closeOnce.Do(func() {
		if s.Client != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			s.ClearFaults()
			_ = s.Client.Logout(ctx)
			cancel()
		}
		// httptest's Close waits for every request in flight, and the
		// simulator's handlers can deadlock on their object locks under
		// concurrent load (govmomi#4109): bound the wait, so a stuck
		// handler leaks a goroutine instead of hanging the caller.
		if s.Server != nil {
			s.Server.CloseClientConnections()
			bounded("stop the server", s.Server.Close)
		}
		if s.Model != nil && s.Model.Service != nil {
			bounded("remove the model", s.Model.Remove)
		}
		if s.dir != "" {
			_ = os.RemoveAll(s.dir)
		}
	})
}

// closeWait bounds each step of Close.
const closeWait = 30 * time.Second

// bounded runs f and waits for it at most closeWait; a step that does not
// end is reported on stderr and left running.
func bounded(what string, f func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
	case <-time.After(closeWait):
		fmt.Fprintf(os.Stderr, "vcsim: Close: %s did not end within %s (a simulator handler is stuck); left running\n", what, closeWait)
	}
}

// Certificate returns the server's self-signed TLS certificate. It is
// generated for each Sim, so two Sims have different thumbprints.
func (s *Sim) Certificate() *x509.Certificate { return s.cert }

// CertificatePEM returns the server certificate in PEM form, e.g. for a CA
// file setting.
func (s *Sim) CertificatePEM() []byte { return append([]byte(nil), s.certPEM...) }

// CertPool returns a pool holding only the server certificate, for
// tls.Config.RootCAs.
func (s *Sim) CertPool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(s.cert)
	return p
}

// Thumbprint returns the SHA-1 thumbprint of the server certificate in the
// form vSphere and govmomi's soap.Client.SetThumbprint use ("AB:CD:...",
// soap.ThumbprintSHA1).
func (s *Sim) Thumbprint() string { return soap.ThumbprintSHA1(s.cert) }

// ThumbprintSHA256 returns the SHA-256 thumbprint of the server
// certificate in the same colon-separated form; SetThumbprint accepts it
// too.
func (s *Sim) ThumbprintSHA256() string { return soap.ThumbprintSHA256(s.cert) }

// Addr returns the server's host:port, the key soap.Client.SetThumbprint
// expects.
func (s *Sim) Addr() string { return s.URL.Host }

// selfSignedCert makes a short-lived ECDSA certificate for 127.0.0.1, ::1
// and localhost.
func selfSignedCert() (tls.Certificate, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("vcsim: certificate key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("vcsim: certificate serial: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "vcsim.vinventory", Organization: []string{"vinventory vcsim"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(7 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("vcsim: create certificate: %w", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("vcsim: parse certificate: %w", err)
	}
	cert := tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
	return cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), nil
}
