package secrets

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/accessvault/vinventory/store"
)

// RotateResult counts what RotateEndpoints did.
type RotateResult struct {
	// NewestID is the key every credential is now encrypted under.
	NewestID string
	// Total is the number of endpoints in the registry.
	Total int
	// Rotated endpoints were re-encrypted under the newest key.
	Rotated int
	// Current endpoints were already on the newest key and left alone.
	Current int
	// Empty endpoints have no credential.
	Empty int
	// Changed endpoints were modified by someone else between read and
	// write; they were left as the other writer stored them.
	Changed int
	// Failed endpoints hold a credential no key of the keyring can open (or
	// could not be written); it was left untouched.
	Failed []RotateFailure
}

// RotateFailure names an endpoint whose credential was not rotated.
type RotateFailure struct {
	Endpoint string
	Err      error
}

// EndpointError wraps the failure of one endpoint's rotation.
type EndpointError struct {
	Endpoint string
	Err      error
}

func (e *EndpointError) Error() string {
	return fmt.Sprintf("secrets: endpoint %q: %v", e.Endpoint, e.Err)
}

func (e *EndpointError) Unwrap() error { return e.Err }

// RotateEndpoints re-encrypts every endpoint credential in st under kr's
// newest key. Each endpoint is rewritten by one UpsertEndpoint call (atomic
// per endpoint), after re-reading it to make sure its credential did not
// change meanwhile. Endpoints already on the newest key and endpoints
// without a credential are skipped. A credential that cannot be decrypted is
// reported in RotateResult.Failed and left as it is, never destroyed.
//
// The error is nil when every credential is on the newest key (or empty);
// otherwise it joins one *EndpointError per failure (errors.As finds
// *UnknownKeyError, ErrDecrypt, ...). Listing the registry failing returns
// that error alone.
func RotateEndpoints(ctx context.Context, st store.Endpoints, kr *Keyring) (RotateResult, error) {
	res := RotateResult{NewestID: kr.NewestID()}
	eps, err := st.ListEndpoints(ctx, &store.ListEndpointsParams{})
	if err != nil {
		return res, fmt.Errorf("secrets: listing endpoints: %w", err)
	}
	res.Total = len(eps)
	var errs []error
	fail := func(name string, err error) {
		res.Failed = append(res.Failed, RotateFailure{Endpoint: name, Err: err})
		errs = append(errs, &EndpointError{Endpoint: name, Err: err})
	}
	for _, ep := range eps {
		if err := ctx.Err(); err != nil {
			return res, errors.Join(append(errs, err)...)
		}
		if len(ep.Credential) == 0 {
			res.Empty++
			continue
		}
		id, err := KeyID(ep.Credential)
		if err != nil {
			fail(ep.Name, err)
			continue
		}
		if id == res.NewestID {
			res.Current++
			continue
		}
		pt, err := kr.Decrypt(ep.Credential, ep.Name)
		if err != nil {
			fail(ep.Name, err)
			continue
		}
		blob, err := kr.Encrypt(pt, ep.Name)
		clear(pt)
		if err != nil {
			fail(ep.Name, err)
			continue
		}
		cur, err := st.GetEndpoint(ctx, &store.GetEndpointParams{Name: ep.Name})
		if errors.Is(err, store.ErrNotFound) {
			res.Changed++
			continue
		}
		if err != nil {
			fail(ep.Name, err)
			continue
		}
		if !bytes.Equal(cur.Credential, ep.Credential) {
			res.Changed++
			continue
		}
		cur.Credential = blob
		if _, err := st.UpsertEndpoint(ctx, &store.UpsertEndpointParams{Endpoint: *cur}); err != nil {
			fail(ep.Name, err)
			continue
		}
		res.Rotated++
	}
	return res, errors.Join(errs...)
}
