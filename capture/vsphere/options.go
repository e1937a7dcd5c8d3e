package vsphere

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/accessvault/vinventory/inventory"
)

// Defaults of Options.
const (
	DefaultPageSize    = 1000
	DefaultCallTimeout = 60 * time.Second
	DefaultConcurrency = 4
	DefaultKeepAlive   = 5 * time.Minute
	DefaultMaxRefetch  = 100
)

// Credentials returns the user name and password to log in with. It is
// called for every login (the first one, every re-login after the session
// expired, and the vSphere Automation API login used for tags), so a caller
// that rotates or decrypts secrets on demand hands out a fresh one each
// time. An empty username means the endpoint's Username.
//
// The password is used only for the login call: it is never logged, never
// part of an error and not kept by the Source.
type Credentials func(ctx context.Context) (username, password string, err error)

// Password returns Credentials that always log in as the endpoint's
// Username with password.
func Password(password string) Credentials {
	return func(context.Context) (string, string, error) { return "", password, nil }
}

// Options configures a Source. The zero value of every field but
// Credentials selects the documented default.
type Options struct {
	// Credentials supplies the password (the Endpoint carries only the
	// encrypted blob, which the caller decrypts). Required.
	Credentials Credentials

	// PageSize is the number of objects per RetrievePropertiesEx page
	// (RetrieveOptions.maxObjects) and per ReadNextEvents call (capped at
	// 1000, the vSphere maximum for events). Defaults to DefaultPageSize
	// (1000).
	PageSize int

	// CallTimeout is the deadline of every single vSphere call (SOAP or
	// REST), on top of the caller's context. Defaults to DefaultCallTimeout
	// (60 s).
	CallTimeout time.Duration

	// Concurrency is the number of property collectors that retrieve
	// object kinds in parallel, and of the chunks one VM read is split
	// into (at least PageSize VMs each), and the bound on other parallel calls
	// (single-object fallbacks, tag look-ups). Defaults to
	// DefaultConcurrency (4).
	Concurrency int

	// ExtraVMProperties are additional VirtualMachine property paths
	// (e.g. "summary.quickStats.overallCpuUsage") retrieved with every VM.
	// Each value is stored in VM.Attributes under "prop:<path>", formatted
	// as text (numbers and booleans as Go formats them, times in RFC 3339,
	// other values as JSON). Defaults to none.
	ExtraVMProperties []string

	// MaxRefetch is the largest number of objects whose bulk properties
	// came back incomplete (ObjectContent.missingSet) that Retrieve re-reads
	// one by one before giving up with an *IncompleteError. Defaults to
	// DefaultMaxRefetch (100); -1 disables the fallback.
	MaxRefetch int

	// DisableTags skips vSphere tags. By default, on a vCenter, Retrieve
	// reads the tags attached to VMs through the vSphere Automation (REST)
	// tagging API and stores them in VM.Attributes as "tag:<category>" =
	// tag names (sorted, joined with ", "); an endpoint that does not serve
	// that API (HTTP 404) has no tags; any other failure of the tagging
	// API fails Retrieve like any other call. Standalone ESXi hosts have
	// no tags.
	DisableTags bool

	// DisableDetails skips the RVTools-depth detail (State.Details: VM
	// snapshots, disks, NICs, Tools, allocations; host NICs, HBAs,
	// switches; cluster, datastore and distributed switch settings). By
	// default Retrieve reads it in the same bulk retrieval, with explicit
	// property paths added to each kind's list; a property fault on a
	// detail path is logged and leaves that value empty, it never fails
	// the retrieval.
	DisableDetails bool

	// KeepAlive is the interval at which an idle session is checked (and
	// so kept alive), and renewed if the server ended it. Defaults to
	// DefaultKeepAlive (5 min); a negative value disables the check.
	KeepAlive time.Duration

	// Clock returns the current time; Retrieve stamps every object's
	// SnapshotTime with Clock() in UTC, truncated to the second. Defaults
	// to time.Now.
	Clock func() time.Time

	// Logger receives diagnostics (session renewals, fallbacks). It never
	// receives a password. Defaults to discarding them.
	Logger *slog.Logger

	// UserAgent is sent with every request. Defaults to "vinventory".
	UserAgent string
}

func (o Options) normalized() (Options, error) {
	var errs []error
	bad := func(field, reason string) {
		errs = append(errs, &inventory.FieldError{Field: field, Reason: reason})
	}
	if o.Credentials == nil {
		bad("credentials", "must be set (use vsphere.Password for a fixed password)")
	}
	switch {
	case o.PageSize == 0:
		o.PageSize = DefaultPageSize
	case o.PageSize < 0:
		bad("page_size", "must not be negative")
	}
	switch {
	case o.CallTimeout == 0:
		o.CallTimeout = DefaultCallTimeout
	case o.CallTimeout < 0:
		bad("call_timeout", "must not be negative")
	}
	switch {
	case o.Concurrency == 0:
		o.Concurrency = DefaultConcurrency
	case o.Concurrency < 0:
		bad("concurrency", "must not be negative")
	}
	switch {
	case o.MaxRefetch == 0:
		o.MaxRefetch = DefaultMaxRefetch
	case o.MaxRefetch == -1:
		o.MaxRefetch = 0
	case o.MaxRefetch < 0:
		bad("max_refetch", "must be -1 (none) or positive")
	}
	if o.KeepAlive == 0 {
		o.KeepAlive = DefaultKeepAlive
	}
	for _, p := range o.ExtraVMProperties {
		if strings.TrimSpace(p) == "" || strings.ContainsAny(p, " \t\n") {
			bad("extra_vm_properties", "property paths must be non-empty and contain no spaces")
			break
		}
	}
	o.ExtraVMProperties = append([]string(nil), o.ExtraVMProperties...)
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.UserAgent == "" {
		o.UserAgent = "vinventory"
	}
	return o, errors.Join(errs...)
}
