package daemon

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/accessvault/vinventory/capture/vsphere"
	"github.com/accessvault/vinventory/inventory"
)

// DefaultLoginBackoff is how long an endpoint whose credentials were
// refused is left alone (login_failure_backoff).
const DefaultLoginBackoff = 30 * time.Minute

// Parking keeps endpoints whose credentials the server refused from
// logging in again until their credential or configuration changes or
// Backoff passes, so the daemon makes at most one failed login per
// endpoint per back-off window (vCenter SSO locks an account after 5
// failures in 180 s by default). The zero value is not usable; use
// NewParking.
type Parking struct {
	backoff time.Duration
	clock   func() time.Time
	mu      sync.Mutex
	parked  map[string]parkEntry
}

type parkEntry struct {
	until       time.Time
	fingerprint string
	cause       string
}

// NewParking returns a Parking; backoff <= 0 means DefaultLoginBackoff and
// a nil clock time.Now.
func NewParking(backoff time.Duration, clock func() time.Time) *Parking {
	if backoff <= 0 {
		backoff = DefaultLoginBackoff
	}
	if clock == nil {
		clock = time.Now
	}
	return &Parking{backoff: backoff, clock: clock, parked: map[string]parkEntry{}}
}

// ParkedError refuses to log in to an endpoint whose credentials were
// refused less than the back-off ago. It is not retryable.
type ParkedError struct {
	Endpoint string
	Until    time.Time
	// Cause is the refusal that parked it (no secret).
	Cause string
}

func (e *ParkedError) Error() string {
	return fmt.Sprintf("endpoint %q is parked until %s after its credentials were refused (%s); fix the credential or wait",
		e.Endpoint, e.Until.UTC().Format(time.RFC3339), e.Cause)
}

// Retryable is false: the point of parking is not to try.
func (e *ParkedError) Retryable() bool { return false }

// fingerprint identifies what a login depends on: a change of any of it
// (a new password, URL, user or TLS setting) unparks the endpoint.
func fingerprint(ep inventory.Endpoint) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%v\x00%s\x00%s\x00", ep.URL, ep.Username, ep.Kind, ep.TLS.Insecure, ep.TLS.Thumbprint, ep.TLS.CAFile)
	h.Write(ep.Credential)
	return hex.EncodeToString(h.Sum(nil))
}

// Check returns a *ParkedError when ep is parked and nothing it logs in
// with has changed.
func (p *Parking) Check(ep inventory.Endpoint) error {
	if p == nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	e, ok := p.parked[ep.Name]
	if !ok {
		return nil
	}
	if e.fingerprint != fingerprint(ep) || !p.clock().Before(e.until) {
		delete(p.parked, ep.Name)
		return nil
	}
	return &ParkedError{Endpoint: ep.Name, Until: e.until, Cause: e.cause}
}

// Record parks ep when err says its credentials were refused.
func (p *Parking) Record(ep inventory.Endpoint, err error) {
	var le *vsphere.LoginError
	if p == nil || !errors.As(err, &le) {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.parked[ep.Name] = parkEntry{until: p.clock().Add(p.backoff), fingerprint: fingerprint(ep), cause: le.Err.Error()}
}
