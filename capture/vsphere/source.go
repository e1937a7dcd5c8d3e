package vsphere

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/session"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/accessvault/vinventory/capture"
	"github.com/accessvault/vinventory/inventory"
)

var _ capture.Source = (*Source)(nil)

// Source is a capture.Source reading one vCenter or standalone ESXi host
// through govmomi. It holds one session, kept alive and renewed on demand.
// Its methods are safe for concurrent use.
type Source struct {
	ep   inventory.Endpoint // credential cleared
	opts Options
	log  *slog.Logger
	url  *url.URL

	sc  *soap.Client
	vc  *vim25.Client // calls go through the re-login wrapper
	raw *vim25.Client // same connection, no re-login (login, logout, clean-up, probes)

	// Session state. gen counts successful logins; a call that fails with
	// NotAuthenticated re-logs in only if no login happened since it was
	// sent, and concurrent callers share one in-flight login.
	loginMu     sync.Mutex
	inflight    *loginCall
	lastRelogin time.Time // guarded by loginMu
	gen         atomic.Uint64
	// relogged is closed (and replaced) by every re-login, guarded by
	// loginMu: watchers wait on it to start over at once.
	relogged chan struct{}

	tags *tagClient

	// counters caches the performance counter ids (CollectMetrics).
	counters counterCache

	closed    atomic.Bool
	closeOnce sync.Once
	stop      chan struct{}
	done      chan struct{}
}

type loginCall struct {
	done chan struct{}
	err  error
}

// New connects to the endpoint, verifies its TLS certificate according to
// ep.TLS and logs in with opts.Credentials. The returned Source must be
// closed with Close.
//
// Errors are typed: an invalid endpoint or options yield
// *inventory.FieldError values (joined), an unreachable endpoint a
// *ConnectError, an untrusted certificate a *TLSError (which says to set a
// thumbprint or CA file) and refused credentials a *LoginError. None of
// them contains the password.
func New(ctx context.Context, ep inventory.Endpoint, opts Options) (*Source, error) {
	o, oerr := opts.normalized()
	verr := ep.Validate()
	tp, terr := parseThumbprint(ep.TLS.Thumbprint)
	if err := errors.Join(verr, oerr, terr); err != nil {
		return nil, fmt.Errorf("vsphere: endpoint %q: %w", ep.Name, err)
	}
	ep.Credential = nil
	if ep.Kind == "" {
		ep.Kind = inventory.KindVCenter
	}

	u, err := url.Parse(ep.URL)
	if err != nil { // already validated; keep the URL out of the message
		return nil, fmt.Errorf("vsphere: endpoint %q: %w", ep.Name, &inventory.FieldError{Field: "url", Reason: "is not a valid URL"})
	}
	u.User = nil
	if u.Path == "" || u.Path == "/" {
		u.Path = vim25.Path
	}

	s := &Source{
		ep:       ep,
		opts:     o,
		log:      o.Logger.With(slog.String("endpoint", ep.Name)),
		url:      u,
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
		relogged: make(chan struct{}),
	}

	tc, err := tlsConfig(ep.TLS, tp)
	if err != nil {
		return nil, fmt.Errorf("vsphere: endpoint %q: %w", ep.Name, err)
	}
	s.sc = soap.NewClient(u, ep.TLS.Insecure)
	s.sc.UserAgent = o.UserAgent
	s.sc.Namespace = "urn:" + vim25.Namespace // as vim25.NewClient does
	s.sc.Version = vim25.Version
	t := s.sc.DefaultTransport()
	setTLS(t, tc)
	// Keep a connection per concurrent call (collectors, custom fields,
	// keep-alive, tags) and drain what the SOAP decoder leaves of each
	// response, so pages reuse connections instead of a new TCP+TLS
	// handshake per call.
	t.MaxIdleConnsPerHost = 2*o.Concurrency + 2 // unit collectors, the VM chunks (collectSplit), custom fields, keep-alive, tags
	s.sc.Client.Transport = drainTransport{t}

	base := &baseRT{s: s, next: s.sc}
	cctx, cancel := context.WithTimeout(ctx, o.CallTimeout)
	defer cancel()
	content, err := methods.GetServiceContent(cctx, base)
	if err != nil {
		return nil, s.wrap("connect", err)
	}
	s.raw = &vim25.Client{Client: s.sc, ServiceContent: content, RoundTripper: base}
	vc := *s.raw
	vc.RoundTripper = &authRT{s: s, next: base}
	s.vc = &vc

	lctx, lcancel := context.WithTimeout(ctx, o.CallTimeout)
	defer lcancel()
	if err := s.login(lctx); err != nil {
		s.sc.CloseIdleConnections()
		return nil, err
	}
	s.gen.Add(1)

	if api := content.About.ApiType; (api == "VirtualCenter") != (ep.Kind == inventory.KindVCenter) {
		s.log.Warn("endpoint kind does not match the server", slog.String("kind", string(ep.Kind)), slog.String("api_type", api))
	}
	if s.isVC() && !o.DisableTags {
		s.tags = newTagClient(s)
	}

	if o.KeepAlive > 0 {
		go s.keepAlive(o.KeepAlive)
	} else {
		close(s.done)
	}
	return s, nil
}

// Endpoint returns the endpoint this source reads, its credential cleared.
func (s *Source) Endpoint() inventory.Endpoint {
	ep := s.ep
	ep.Tags = cloneMap(ep.Tags)
	return ep
}

// About returns the server's product information (name, version, build,
// API type) as read at connection time.
func (s *Source) About() types.AboutInfo { return s.raw.ServiceContent.About }

// Client returns the underlying vim25 client, whose calls renew the
// session when it expires. It is meant for reading data this package does
// not capture; do not log it out.
func (s *Source) Client() *vim25.Client { return s.vc }

func (s *Source) isVC() bool { return s.raw.ServiceContent.About.ApiType == "VirtualCenter" }

// Close stops the keep-alive, logs out and releases idle connections. It
// is safe to call more than once; later calls return nil.
func (s *Source) Close(ctx context.Context) error {
	var err error
	s.closeOnce.Do(func() {
		s.closed.Store(true)
		close(s.stop)
		<-s.done
		cctx, cancel := context.WithTimeout(ctx, s.opts.CallTimeout)
		defer cancel()
		var errs []error
		if s.tags != nil {
			errs = append(errs, s.tags.logout(cctx))
		}
		if _, lerr := methods.Logout(cctx, s.raw, &types.Logout{This: *s.raw.ServiceContent.SessionManager}); lerr != nil && !fault.Is(lerr, &types.NotAuthenticated{}) {
			errs = append(errs, fmt.Errorf("vsphere: endpoint %q: logout: %w", s.ep.Name, lerr))
		}
		s.sc.CloseIdleConnections()
		err = errors.Join(errs...)
	})
	return err
}

// login logs in on the raw connection with fresh credentials.
func (s *Source) login(ctx context.Context) error {
	user, pass, err := s.opts.Credentials(ctx)
	if user == "" {
		user = s.ep.Username
	}
	if err != nil {
		return &LoginError{Endpoint: s.ep.Name, Username: user, Err: fmt.Errorf("credentials: %w", err)}
	}
	req := types.Login{This: *s.raw.ServiceContent.SessionManager, UserName: user, Password: pass}
	if _, err := methods.Login(ctx, s.raw, &req); err != nil {
		if fault.Is(err, &types.InvalidLogin{}) {
			return &LoginError{Endpoint: s.ep.Name, Username: user, Err: errInvalidLogin}
		}
		if _, ok := errors.AsType[*ConnectError](err); ok {
			return err
		}
		if _, ok := errors.AsType[*TLSError](err); ok {
			return err
		}
		return &LoginError{Endpoint: s.ep.Name, Username: user, Err: err}
	}
	return nil
}

var errInvalidLogin = errors.New("incorrect user name or password (InvalidLogin)")

// reloginMinInterval is the shortest time between two re-logins.
const reloginMinInterval = time.Second

// relogin renews the session unless a login already happened after seen
// (the generation the caller's failed call was sent under). Concurrent
// callers with the same generation share one login.
func (s *Source) relogin(ctx context.Context, seen uint64) error {
	if s.closed.Load() {
		return ErrClosed
	}
	s.loginMu.Lock()
	if s.gen.Load() != seen {
		s.loginMu.Unlock()
		return nil
	}
	if c := s.inflight; c != nil {
		s.loginMu.Unlock()
		select {
		case <-c.done:
			return c.err
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if since := time.Since(s.lastRelogin); since < reloginMinInterval {
		// The session renewed moments ago is rejected too: logging in
		// again and again would not help (and could trip account
		// lock-out policies).
		s.loginMu.Unlock()
		return fmt.Errorf("vsphere: endpoint %q: the server rejected a session renewed %v ago", s.ep.Name, since.Round(time.Millisecond))
	}
	c := &loginCall{done: make(chan struct{})}
	s.inflight = c
	s.loginMu.Unlock()

	// The login outlives a caller that gives up: others may wait for it.
	lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*s.opts.CallTimeout)
	defer cancel()
	// End the old session if the server still knows it (a NotAuthenticated
	// fault does not always mean it is gone), so it does not linger and so
	// servers that refuse Login on a live session accept this one.
	_, _ = methods.Logout(lctx, s.raw, &types.Logout{This: *s.raw.ServiceContent.SessionManager})
	err := s.login(lctx)

	s.loginMu.Lock()
	if err == nil {
		s.gen.Add(1)
		s.lastRelogin = time.Now()
		close(s.relogged)
		s.relogged = make(chan struct{})
	}
	s.inflight = nil
	s.loginMu.Unlock()
	c.err = err
	close(c.done)
	if err != nil {
		s.log.Warn("session renewal failed", slog.Any("error", err))
	} else {
		s.log.Info("session renewed")
	}
	return err
}

// reloginSignal returns the generation of the current session and a
// channel closed when a later login replaces it.
func (s *Source) reloginSignal() (uint64, <-chan struct{}) {
	s.loginMu.Lock()
	defer s.loginMu.Unlock()
	return s.gen.Load(), s.relogged
}

// sessionActive reports whether the server still knows the session.
func (s *Source) sessionActive(ctx context.Context) (bool, error) {
	us, err := session.NewManager(s.raw).UserSession(ctx)
	if err != nil {
		return false, err
	}
	return us != nil, nil
}

// ensureSession re-logs in if the session of generation seen is gone. It
// reports whether the session changed since seen.
func (s *Source) ensureSession(ctx context.Context, seen uint64) bool {
	if s.gen.Load() != seen {
		return true
	}
	cctx, cancel := context.WithTimeout(ctx, s.opts.CallTimeout)
	defer cancel()
	active, err := s.sessionActive(cctx)
	if err != nil || active {
		return s.gen.Load() != seen
	}
	if err := s.relogin(ctx, seen); err != nil {
		return false
	}
	return s.gen.Load() != seen
}

func (s *Source) keepAlive(every time.Duration) {
	defer close(s.done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), s.opts.CallTimeout)
			gen := s.gen.Load()
			active, err := s.sessionActive(ctx)
			switch {
			case err != nil:
				s.log.Debug("keep-alive failed", slog.Any("error", err))
			case !active:
				_ = s.relogin(ctx, gen)
			}
			if s.tags != nil {
				s.tags.keepAlive(ctx)
			}
			cancel()
		}
	}
}

// withSession runs a unit of work that creates session-scoped server
// objects (views, collectors) and retries it when the session was renewed
// while it ran (those objects are gone then), at most twice.
func (s *Source) withSession(ctx context.Context, fn func(context.Context) error) error {
	for attempt := 0; ; attempt++ {
		gen := s.gen.Load()
		err := fn(ctx)
		if err == nil || ctx.Err() != nil || s.closed.Load() || attempt == 2 {
			return err
		}
		if _, ok := errors.AsType[*LoginError](err); ok {
			return err
		}
		if !s.ensureSession(ctx, gen) {
			return err
		}
		s.log.Info("retrying after session renewal", slog.Any("error", err))
	}
}

func cloneMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	c := make(map[string]string, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}
