package vsphere

import (
	"context"
	"errors"
	"fmt"

	"github.com/accessvault/vinventory/capture"
	"github.com/accessvault/vinventory/inventory"
)

// Decrypter returns the password of a registry endpoint from its stored
// credential (inventory.Endpoint.Credential, an opaque blob the store
// keeps as given): a keyring, a secrets manager lookup, ...
type Decrypter interface {
	DecryptCredential(ctx context.Context, ep inventory.Endpoint) (password string, err error)
}

// Opener is the capture.Opener of vSphere endpoints: it logs in to each
// endpoint with New, decrypting the endpoint's stored credential for every
// login (the first one and each re-login), so the plaintext password lives
// only for the login call.
type Opener struct {
	d    Decrypter
	opts Options
}

var _ capture.Opener = (*Opener)(nil)

// NewOpener returns an Opener whose Sources use opts, with Credentials
// supplied by d (opts.Credentials must be nil). opts is validated as New
// validates it.
func NewOpener(d Decrypter, opts Options) (*Opener, error) {
	if d == nil {
		return nil, errors.New("vsphere: NewOpener: Decrypter is nil")
	}
	if opts.Credentials != nil {
		return nil, errors.New("vsphere: NewOpener: Options.Credentials must be nil (the Decrypter supplies them)")
	}
	check := opts
	check.Credentials = Password("")
	if _, err := check.normalized(); err != nil {
		return nil, fmt.Errorf("vsphere: NewOpener: %w", err)
	}
	return &Opener{d: d, opts: opts}, nil
}

// Open logs in to ep and returns its Source.
func (o *Opener) Open(ctx context.Context, ep inventory.Endpoint) (capture.Source, error) {
	opts := o.opts
	ep.Credential = append([]byte(nil), ep.Credential...)
	opts.Credentials = func(ctx context.Context) (string, string, error) {
		pw, err := o.d.DecryptCredential(ctx, ep)
		if err != nil {
			return "", "", err
		}
		return ep.Username, pw, nil
	}
	src, err := New(ctx, ep, opts)
	if err != nil {
		return nil, err // not a typed nil *Source in the interface
	}
	return src, nil
}
