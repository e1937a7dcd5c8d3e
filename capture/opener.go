package capture

import (
	"context"
	"fmt"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

// Opener connects to a registry endpoint: it turns a stored
// inventory.Endpoint (whose Credential is an opaque, usually encrypted,
// blob) into a Source. vsphere.Opener is the vSphere one; wrap an Opener to
// add policy (the daemon's parks endpoints whose password was refused).
type Opener interface {
	Open(ctx context.Context, ep inventory.Endpoint) (Source, error)
}

// OpenerFunc is a function that is an Opener.
type OpenerFunc func(ctx context.Context, ep inventory.Endpoint) (Source, error)

// Open calls f.
func (f OpenerFunc) Open(ctx context.Context, ep inventory.Endpoint) (Source, error) {
	return f(ctx, ep)
}

// Targets returns a Target for each enabled endpoint of the registry, in
// name order, opened by o: the list Run and the Pipeline capture. With
// names, only the endpoints named (and enabled) are returned.
func Targets(ctx context.Context, st store.Endpoints, o Opener, names ...string) ([]Target, error) {
	if o == nil {
		return nil, fmt.Errorf("capture: Targets: Opener is nil")
	}
	eps, err := st.ListEndpoints(ctx, &store.ListEndpointsParams{EnabledOnly: true})
	if err != nil {
		return nil, fmt.Errorf("capture: Targets: list endpoints: %w", err)
	}
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	out := make([]Target, 0, len(eps))
	for _, ep := range eps {
		if len(want) > 0 && !want[ep.Name] {
			continue
		}
		out = append(out, Target{
			Endpoint: ep,
			Open:     func(ctx context.Context) (Source, error) { return o.Open(ctx, ep) },
		})
	}
	return out, nil
}
