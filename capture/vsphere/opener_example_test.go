package vsphere_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"time"

	"github.com/accessvault/vinventory/capture"
	"github.com/accessvault/vinventory/capture/vcsim"
	"github.com/accessvault/vinventory/capture/vsphere"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/memstore"
)

// vault stands in for a real secret store (the daemon's keyring, a
// secrets manager): it "decrypts" the stored credential, here base64.
type vault struct{}

func (vault) DecryptCredential(_ context.Context, ep inventory.Endpoint) (string, error) {
	pw, err := base64.StdEncoding.DecodeString(string(ep.Credential))
	if err != nil {
		return "", fmt.Errorf("vault: credential of %q: %w", ep.Name, err)
	}
	return string(pw), nil
}

// ExampleOpener wires the endpoint registry to captures: the registry
// keeps each endpoint with its encrypted credential, a vsphere.Opener
// decrypts it for every login, and capture.Targets lists the enabled
// endpoints as targets for capture.Run (or a Pipeline).
func ExampleOpener() {
	ctx := context.Background()
	sim, err := vcsim.Start(ctx, vcsim.Options{VMs: 12, Templates: 1, Seed: 7})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer sim.Close()

	st := memstore.New(memstore.Options{})
	for _, ep := range []inventory.Endpoint{
		{Name: "vc1", Kind: inventory.KindVCenter, URL: "https://" + sim.Addr() + "/sdk", Username: sim.Options.Username,
			Credential: []byte(base64.StdEncoding.EncodeToString([]byte(sim.Options.Password))),
			TLS:        inventory.TLSOptions{Thumbprint: sim.Thumbprint()}, Enabled: true},
		{Name: "retired", Kind: inventory.KindVCenter, URL: "https://retired.example/sdk", Username: "u", Enabled: false},
	} {
		if _, err := st.UpsertEndpoint(ctx, &store.UpsertEndpointParams{Endpoint: ep}); err != nil {
			fmt.Println(err)
			return
		}
	}

	op, err := vsphere.NewOpener(vault{}, vsphere.Options{PageSize: 500})
	if err != nil {
		fmt.Println(err)
		return
	}
	targets, err := capture.Targets(ctx, st, op)
	if err != nil {
		fmt.Println(err)
		return
	}
	at := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	results, err := capture.Run(ctx, st, targets, capture.RunOptions{Capture: capture.Options{SnapshotTime: at}})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range results {
		fmt.Println(r.Endpoint, r.Capture.Counts.VMs, "VMs and templates captured")
	}
	// Output:
	// vc1 13 VMs and templates captured
}
