package vsphere

import (
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"reflect"
	"strings"
	"time"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/accessvault/vinventory/inventory"
)

// baseRT puts the per-call deadline on every SOAP call and turns transport
// failures into *ConnectError / *TLSError.
type baseRT struct {
	s    *Source
	next soap.RoundTripper
}

func (b *baseRT) RoundTrip(ctx context.Context, req, res soap.HasFault) error {
	timeout := b.s.opts.CallTimeout
	if _, ok := req.(*methods.WaitForUpdatesExBody); ok {
		if _, has := ctx.Deadline(); has {
			// A long poll with its own deadline (the watcher's:
			// MaxWaitSeconds plus a margin), which may exceed CallTimeout.
			timeout = 0
		}
	}
	cctx, cancel := ctx, context.CancelFunc(func() {})
	if timeout > 0 {
		cctx, cancel = context.WithTimeout(ctx, timeout)
	}
	defer cancel()
	err := b.next.RoundTrip(cctx, req, res)
	if err == nil {
		return nil
	}
	if _, ok := err.(interface{ Fault() types.BaseMethodFault }); ok {
		return fmt.Errorf("%s: %w", methodName(req), err)
	}
	if ctx.Err() != nil {
		return fmt.Errorf("%s: %w", methodName(req), ctx.Err())
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s did not answer within %v: %w", methodName(req), b.s.opts.CallTimeout, err)
	}
	return b.s.classify(fmt.Errorf("%s: %w", methodName(req), err))
}

// classify turns a transport error into a *TLSError or *ConnectError.
func (s *Source) classify(err error) error {
	host := s.url.Host
	if mm, ok := errors.AsType[*thumbprintMismatch](err); ok {
		return &TLSError{Endpoint: s.ep.Name, Host: host, Thumbprint: mm.got, Mismatch: true, Err: err}
	}
	if cve, ok := errors.AsType[*tls.CertificateVerificationError](err); ok {
		tp := ""
		if len(cve.UnverifiedCertificates) > 0 {
			tp = thumbprintSHA1(cve.UnverifiedCertificates[0])
		}
		return &TLSError{Endpoint: s.ep.Name, Host: host, Thumbprint: tp, Err: cve.Err}
	}
	if _, ok := errors.AsType[x509.UnknownAuthorityError](err); ok {
		return &TLSError{Endpoint: s.ep.Name, Host: host, Err: err}
	}
	if _, ok := errors.AsType[x509.HostnameError](err); ok {
		return &TLSError{Endpoint: s.ep.Name, Host: host, Err: err}
	}
	if _, ok := errors.AsType[x509.CertificateInvalidError](err); ok {
		return &TLSError{Endpoint: s.ep.Name, Host: host, Err: err}
	}
	unreachable := false
	if op, ok := errors.AsType[*net.OpError](err); ok && op.Op == "dial" {
		unreachable = true
	}
	if _, ok := errors.AsType[*net.DNSError](err); ok {
		unreachable = true
	}
	return &ConnectError{Endpoint: s.ep.Name, URL: s.url.String(), Unreachable: unreachable, Err: err}
}

// authRT re-logs in once when a call fails because the session is gone
// (a NotAuthenticated fault, or a property read whose every missing
// property says NotAuthenticated), then repeats the call once.
type authRT struct {
	s    *Source
	next soap.RoundTripper
}

func (a *authRT) RoundTrip(ctx context.Context, req, res soap.HasFault) error {
	switch req.(type) {
	case *methods.LoginBody, *methods.LogoutBody:
		return a.next.RoundTrip(ctx, req, res)
	}
	gen := a.s.gen.Load()
	err := a.next.RoundTrip(ctx, req, res)
	if err == nil && !unauthenticatedResult(res) {
		return nil
	}
	if err != nil && !fault.Is(err, &types.NotAuthenticated{}) {
		return err
	}
	if rerr := a.s.relogin(ctx, gen); rerr != nil {
		if errors.Is(rerr, ErrClosed) {
			return rerr
		}
		return fmt.Errorf("%s: the session ended and could not be renewed: %w", methodName(req), rerr)
	}
	resetBody(res)
	return a.next.RoundTrip(ctx, req, res)
}

// resetBody zeroes a response body so a repeated call does not see the
// fault of the first one (the XML decoder leaves absent fields alone).
func resetBody(res soap.HasFault) {
	v := reflect.ValueOf(res)
	if v.Kind() == reflect.Pointer && !v.IsNil() {
		v.Elem().Set(reflect.Zero(v.Elem().Type()))
	}
}

// unauthenticatedResult reports whether a property read came back with
// NotAuthenticated in place of properties, which is how some servers
// (vcsim among them) answer RetrieveProperties without a session.
func unauthenticatedResult(res soap.HasFault) bool {
	var objs []types.ObjectContent
	switch r := res.(type) {
	case *methods.RetrievePropertiesBody:
		if r.Res != nil {
			objs = r.Res.Returnval
		}
	case *methods.RetrievePropertiesExBody:
		if r.Res != nil && r.Res.Returnval != nil {
			objs = r.Res.Returnval.Objects
		}
	case *methods.ContinueRetrievePropertiesExBody:
		if r.Res != nil {
			objs = r.Res.Returnval.Objects
		}
	default:
		return false
	}
	for _, o := range objs {
		for _, m := range o.MissingSet {
			if _, ok := m.Fault.Fault.(*types.NotAuthenticated); ok {
				return true
			}
		}
	}
	return false
}

// methodName returns the vSphere method of a request body.
func methodName(req soap.HasFault) string {
	t := reflect.TypeOf(req)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return strings.TrimSuffix(t.Name(), "Body")
}

// thumbprint is a parsed certificate pin: the raw digest and its kind.
type thumbprint struct {
	sum    []byte
	sha256 bool
}

// parseThumbprint accepts SHA-1 (vSphere style "AA:BB:...") or SHA-256
// fingerprints, in any case, with or without colons or spaces.
func parseThumbprint(s string) (*thumbprint, error) {
	if s == "" {
		return nil, nil
	}
	clean := strings.NewReplacer(":", "", " ", "", "-", "").Replace(strings.TrimSpace(s))
	sum, err := hex.DecodeString(clean)
	if err != nil || (len(sum) != sha1.Size && len(sum) != sha256.Size) {
		return nil, &inventory.FieldError{Field: "tls.thumbprint", Reason: "must be a SHA-1 (20 bytes) or SHA-256 (32 bytes) fingerprint in hex, e.g. \"AA:BB:...\""}
	}
	return &thumbprint{sum: sum, sha256: len(sum) == sha256.Size}, nil
}

func (t *thumbprint) matches(cert *x509.Certificate) bool {
	if t.sha256 {
		sum := sha256.Sum256(cert.Raw)
		return string(sum[:]) == string(t.sum)
	}
	sum := sha1.Sum(cert.Raw)
	return string(sum[:]) == string(t.sum)
}

type thumbprintMismatch struct{ got string }

func (e *thumbprintMismatch) Error() string {
	return "certificate thumbprint " + e.got + " does not match the pinned thumbprint"
}

func thumbprintSHA1(cert *x509.Certificate) string {
	sum := sha1.Sum(cert.Raw)
	var b strings.Builder
	for i, c := range sum {
		if i > 0 {
			b.WriteByte(':')
		}
		fmt.Fprintf(&b, "%02X", c)
	}
	return b.String()
}

// tlsConfig builds the client TLS configuration: a pinned thumbprint
// accepts exactly the matching certificate; Insecure accepts any; otherwise
// the chain must verify against the system roots plus CAFile.
func tlsConfig(o inventory.TLSOptions, pin *thumbprint) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	switch {
	case pin != nil:
		cfg.InsecureSkipVerify = true // replaced by the pin check below
		cfg.VerifyConnection = func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("server presented no certificate")
			}
			if !pin.matches(cs.PeerCertificates[0]) {
				return &thumbprintMismatch{got: thumbprintSHA1(cs.PeerCertificates[0])}
			}
			return nil
		}
	case o.Insecure:
		cfg.InsecureSkipVerify = true
	default:
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if o.CAFile != "" {
			pem, err := os.ReadFile(o.CAFile)
			if err != nil {
				return nil, &inventory.FieldError{Field: "tls.ca_file", Reason: "cannot be read: " + err.Error()}
			}
			if !pool.AppendCertsFromPEM(pem) {
				return nil, &inventory.FieldError{Field: "tls.ca_file", Reason: "holds no PEM certificate"}
			}
		}
		cfg.RootCAs = pool
	}
	return cfg, nil
}

// setTLS makes the transport use cfg for direct and proxied connections,
// replacing govmomi's dialer (whose thumbprint check is only a fallback
// after normal verification fails, and which ignores the context).
func setTLS(t *http.Transport, cfg *tls.Config) {
	t.TLSClientConfig = cfg
	d := &tls.Dialer{NetDialer: &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}, Config: cfg}
	t.DialTLSContext = d.DialContext
}

// drainTransport reads what the SOAP decoder left of a response body (at
// most 64 KiB) before closing it, so net/http can reuse the connection.
type drainTransport struct{ next http.RoundTripper }

func (d drainTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	res, err := d.next.RoundTrip(r)
	if err == nil && res.Body != nil {
		res.Body = drainBody{res.Body}
	}
	return res, err
}

type drainBody struct{ io.ReadCloser }

func (b drainBody) Close() error {
	_, _ = io.CopyN(io.Discard, b.ReadCloser, 64<<10)
	return b.ReadCloser.Close()
}
