package daemon

import (
	"context"
	"log/slog"

	"go.uber.org/zap"
	"go.uber.org/zap/exp/zapslog"

	"github.com/accessvault/vinventory/capture"
	"github.com/accessvault/vinventory/capture/vsphere"
	"github.com/accessvault/vinventory/internal/secrets"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

// Targets turns the store's enabled endpoints into capture targets,
// opened by a vsphere.Opener over the keyring (the password is decrypted
// for every login, so plaintext lives only for the call). When only is
// non-empty, just the endpoints it names are returned. With a Parking, an
// endpoint whose credentials were refused is not logged in to again until
// its credential or configuration changes or the back-off passes (its Open
// returns a *ParkedError).
func Targets(ctx context.Context, st store.Endpoints, kr *secrets.Keyring, logger *zap.Logger, park *Parking, only ...string) ([]capture.Target, error) {
	op, err := Opener(kr, logger, park)
	if err != nil {
		return nil, err
	}
	return capture.Targets(ctx, st, op, only...)
}

// Opener opens endpoints with a vsphere.Opener over the keyring, through
// park (see Targets; nil parks nothing).
func Opener(kr *secrets.Keyring, logger *zap.Logger, park *Parking) (capture.OpenerFunc, error) {
	op, err := vsphere.NewOpener(kr, vsphere.Options{Logger: sdkLogger(logger, "vsphere"), UserAgent: "vinventoryd"})
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, ep inventory.Endpoint) (capture.Source, error) {
		if err := park.Check(ep); err != nil {
			return nil, err
		}
		src, err := op.Open(ctx, ep)
		park.Record(ep, err)
		return src, err
	}, nil
}

// sdkLogger is the *slog.Logger the SDK logs to: the daemon's zap logger
// through the zapslog bridge, so SDK entries keep zap's encoding, level
// and output. name, when set, names the logger ("vsphere").
func sdkLogger(l *zap.Logger, name string) *slog.Logger {
	var opts []zapslog.HandlerOption
	if name != "" {
		opts = append(opts, zapslog.WithName(name))
	}
	return slog.New(zapslog.NewHandler(l.Core(), opts...))
}
