package daemon

import (
	"context"
	"fmt"
	"log/slog"

	"go.uber.org/zap"
	"go.uber.org/zap/exp/zapslog"

	"github.com/accessvault/vinventory/capture"
	"github.com/accessvault/vinventory/capture/vsphere"
	"github.com/accessvault/vinventory/internal/secrets"
	"github.com/accessvault/vinventory/store"
)

// Targets turns the store's enabled endpoints into capture targets. The
// password is decrypted for every login (vsphere.Credentials is called for
// the first login and each re-login), so plaintext lives only for the call.
// When only is non-empty, just the endpoints it names are returned. With a
// Parking, an endpoint whose credentials were refused is not logged in to
// again until its credential or configuration changes or the back-off
// passes (its Open returns a *ParkedError).
func Targets(ctx context.Context, st store.Endpoints, kr *secrets.Keyring, logger *zap.Logger, park *Parking, only ...string) ([]capture.Target, error) {
	eps, err := st.ListEndpoints(ctx, &store.ListEndpointsParams{EnabledOnly: true})
	if err != nil {
		return nil, fmt.Errorf("list endpoints: %w", err)
	}
	want := map[string]bool{}
	for _, n := range only {
		want[n] = true
	}
	vlog := slog.New(zapslog.NewHandler(logger.Core(), zapslog.WithName("vsphere")))
	var out []capture.Target
	for _, ep := range eps {
		if len(want) > 0 && !want[ep.Name] {
			continue
		}
		opts := vsphere.Options{Credentials: kr.CredentialsFor(ep), Logger: vlog, UserAgent: "vinventoryd"}
		out = append(out, capture.Target{
			Endpoint: ep,
			Open: func(ctx context.Context) (capture.Source, error) {
				if err := park.Check(ep); err != nil {
					return nil, err
				}
				src, err := vsphere.New(ctx, ep, opts)
				park.Record(ep, err)
				return src, err
			},
		})
	}
	return out, nil
}
