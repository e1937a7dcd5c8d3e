package vsphere_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/accessvault/vinventory/capture"
	"github.com/accessvault/vinventory/capture/vcsim"
	"github.com/accessvault/vinventory/capture/vsphere"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/memstore"
)

// countingDecrypter returns password (or err) and counts its calls and
// the endpoints it was asked for.
type countingDecrypter struct {
	password string
	err      error
	calls    atomic.Int64
	last     atomic.Value // inventory.Endpoint
}

func (d *countingDecrypter) DecryptCredential(_ context.Context, ep inventory.Endpoint) (string, error) {
	d.calls.Add(1)
	d.last.Store(ep)
	return d.password, d.err
}

func TestNewOpenerValidates(t *testing.T) {
	d := &countingDecrypter{}
	for name, c := range map[string]struct {
		d    vsphere.Decrypter
		opts vsphere.Options
		want string
	}{
		"nil decrypter":   {nil, vsphere.Options{}, "Decrypter is nil"},
		"credentials set": {d, vsphere.Options{Credentials: vsphere.Password("x")}, "Credentials must be nil"},
		"bad page size":   {d, vsphere.Options{PageSize: -1}, "page_size"},
	} {
		if _, err := vsphere.NewOpener(c.d, c.opts); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: NewOpener error = %v, want one naming %q", name, err, c.want)
		}
	}
}

// TestOpenerDecryptsPerLogin: the Opener hands the stored credential of
// the endpoint it opens to the Decrypter at every login, logs in with the
// endpoint's user name, and a refused or failed decryption fails Open
// without a Source.
func TestOpenerDecryptsPerLogin(t *testing.T) {
	ctx := context.Background()
	sim := newSim(t, vcsim.Options{VMs: 3})
	ep := endpoint(sim)
	ep.Credential = []byte("sealed")

	d := &countingDecrypter{password: sim.Password}
	op, err := vsphere.NewOpener(d, vsphere.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 2; i++ {
		src, err := op.Open(ctx, ep)
		if err != nil {
			t.Fatalf("Open #%d: %v", i, err)
		}
		st, err := src.Retrieve(ctx)
		if err != nil || len(st.VMs) != sim.Expected().VMs {
			t.Fatalf("Retrieve #%d: %v", i, err)
		}
		src.Close(ctx)
		if n := d.calls.Load(); n != int64(i) {
			t.Fatalf("after %d logins the Decrypter was called %d times", i, n)
		}
		if got := d.last.Load().(inventory.Endpoint); got.Name != ep.Name || string(got.Credential) != "sealed" {
			t.Fatalf("Decrypter got endpoint %q with credential %q", got.Name, got.Credential)
		}
	}

	wrong := &countingDecrypter{password: "not-" + sim.Password}
	op, _ = vsphere.NewOpener(wrong, vsphere.Options{})
	if src, err := op.Open(ctx, ep); err == nil || src != nil {
		t.Fatalf("Open with a wrong password = %v, %v; want an error and no Source", src, err)
	} else if strings.Contains(err.Error(), wrong.password) {
		t.Fatalf("the error shows the password: %v", err)
	}

	boom := errors.New("vault sealed")
	failing := &countingDecrypter{err: boom}
	op, _ = vsphere.NewOpener(failing, vsphere.Options{})
	if _, err := op.Open(ctx, ep); !errors.Is(err, boom) {
		t.Fatalf("Open with a failing Decrypter = %v, want it wrapped", err)
	}
}

func TestTargetsListsEnabledEndpoints(t *testing.T) {
	ctx := context.Background()
	st := memstore.New(memstore.Options{})
	for _, ep := range []inventory.Endpoint{
		{Name: "b", URL: "https://b.example/sdk", Username: "u", Enabled: true},
		{Name: "a", URL: "https://a.example/sdk", Username: "u", Enabled: true},
		{Name: "off", URL: "https://off.example/sdk", Username: "u", Enabled: false},
	} {
		ep.Kind = inventory.KindVCenter
		if _, err := st.UpsertEndpoint(ctx, &store.UpsertEndpointParams{Endpoint: ep}); err != nil {
			t.Fatal(err)
		}
	}
	var opened []string
	op := capture.OpenerFunc(func(_ context.Context, ep inventory.Endpoint) (capture.Source, error) {
		opened = append(opened, ep.Name)
		return nil, errors.New("not connecting")
	})
	names := func(ts []capture.Target) (out []string) {
		for _, tg := range ts {
			out = append(out, tg.Endpoint.Name)
			tg.Open(ctx)
		}
		return out
	}
	all, err := capture.Targets(ctx, st, op)
	if got := strings.Join(names(all), ","); err != nil || got != "a,b" {
		t.Fatalf("Targets = %q, %v; want a,b", got, err)
	}
	some, err := capture.Targets(ctx, st, op, "b", "off", "missing")
	if got := strings.Join(names(some), ","); err != nil || got != "b" {
		t.Fatalf("Targets(b, off, missing) = %q, %v; want b", got, err)
	}
	if got := strings.Join(opened, ","); got != "a,b,b" {
		t.Fatalf("each Target's Open opened %q, want a,b,b", got)
	}
	if _, err := capture.Targets(ctx, st, nil); err == nil {
		t.Fatal("Targets accepted a nil Opener")
	}
}
