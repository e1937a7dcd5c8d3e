package vsphere

import (
	"errors"
	"fmt"
	"strings"
)

// ErrClosed is returned by calls on a Source after Close.
var ErrClosed = errors.New("vsphere: source is closed")

// ConnectError reports that the endpoint could not be reached or did not
// answer like a vSphere SDK endpoint (connection refused, DNS failure,
// timeout, unexpected HTTP status, ...).
type ConnectError struct {
	// Endpoint is the endpoint's name.
	Endpoint string
	// URL is the SDK URL without user information.
	URL string
	// Unreachable is true when no connection could be opened at all (dial
	// or DNS error).
	Unreachable bool
	// Err is the underlying error.
	Err error
}

func (e *ConnectError) Error() string {
	if e.Unreachable {
		return fmt.Sprintf("vsphere: endpoint %q (%s) is unreachable: %v", e.Endpoint, e.URL, e.Err)
	}
	return fmt.Sprintf("vsphere: endpoint %q (%s): connection failed: %v", e.Endpoint, e.URL, e.Err)
}

func (e *ConnectError) Unwrap() error { return e.Err }

// TLSError reports that the endpoint's TLS certificate was not accepted.
type TLSError struct {
	// Endpoint is the endpoint's name.
	Endpoint string
	// Host is the host:port that presented the certificate.
	Host string
	// Thumbprint is the SHA-1 thumbprint ("AA:BB:...") of the certificate
	// the server presented, when known. Compare it out of band before
	// pinning it.
	Thumbprint string
	// Mismatch is true when a pinned thumbprint was configured and the
	// certificate does not match it.
	Mismatch bool
	// Err is the underlying verification error.
	Err error
}

func (e *TLSError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "vsphere: endpoint %q: TLS certificate of %s ", e.Endpoint, e.Host)
	if e.Mismatch {
		b.WriteString("does not match the pinned thumbprint (tls.thumbprint)")
		if e.Thumbprint != "" {
			fmt.Fprintf(&b, "; the server presented SHA-1 thumbprint %s", e.Thumbprint)
		}
		return b.String()
	}
	fmt.Fprintf(&b, "is not trusted: %v; ", e.Err)
	b.WriteString("set tls.ca_file to a PEM bundle of its CA, or pin the certificate with tls.thumbprint")
	if e.Thumbprint != "" {
		fmt.Fprintf(&b, " (the server presented SHA-1 thumbprint %s)", e.Thumbprint)
	}
	return b.String()
}

func (e *TLSError) Unwrap() error { return e.Err }

// LoginError reports that the endpoint refused the credentials (or that
// the credentials could not be obtained). It never contains the password.
type LoginError struct {
	// Endpoint is the endpoint's name.
	Endpoint string
	// Username is the user name that was tried.
	Username string
	// Err is the underlying error (a vSphere InvalidLogin fault, or the
	// error of the Credentials callback).
	Err error
}

func (e *LoginError) Error() string {
	return fmt.Sprintf("vsphere: endpoint %q: login as %q failed: %v", e.Endpoint, e.Username, e.Err)
}

func (e *LoginError) Unwrap() error { return e.Err }

// Retryable is false: logging in again with the same credentials fails
// again, and repeated failures lock the account out (vCenter SSO's default
// is 5 failures in 180 s). capture.Run does not retry it.
func (e *LoginError) Retryable() bool { return false }

// IncompleteError reports objects whose properties could not be read, even
// one by one after the bulk retrieval: Retrieve returns no inventory then.
type IncompleteError struct {
	// Endpoint is the endpoint's name.
	Endpoint string
	// Objects are the objects that stayed incomplete, in id order.
	Objects []IncompleteObject
}

// IncompleteObject is one object that could not be read completely.
type IncompleteObject struct {
	// Type is the managed object type, e.g. "VirtualMachine".
	Type string
	// ID is the managed object id, e.g. "vm-42".
	ID string
	// Name is the object's name when it was read.
	Name string
	// Missing lists each unreadable property path with its fault, e.g.
	// "config.hardware.numCPU: SystemError".
	Missing []string
}

func (e *IncompleteError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "vsphere: endpoint %q: properties of %d object(s) could not be read: ", e.Endpoint, len(e.Objects))
	for i, o := range e.Objects {
		if i == 10 {
			fmt.Fprintf(&b, ", and %d more", len(e.Objects)-10)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(o.ID)
		if o.Name != "" {
			fmt.Fprintf(&b, " (%s)", o.Name)
		}
		if len(o.Missing) > 0 {
			fmt.Fprintf(&b, " [%s]", strings.Join(o.Missing, "; "))
		}
	}
	return b.String()
}

// IDs returns the managed object ids of the incomplete objects.
func (e *IncompleteError) IDs() []string {
	ids := make([]string, len(e.Objects))
	for i, o := range e.Objects {
		ids[i] = o.ID
	}
	return ids
}
