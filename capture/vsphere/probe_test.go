package vsphere_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/accessvault/vinventory/capture/vcsim"
	"github.com/accessvault/vinventory/capture/vsphere"
)

// TestConnectionProbe: TestConnection reads the About info and counts the
// VMs and templates the simulator holds; a wrong password is a LoginError
// that does not carry it.
func TestConnectionProbe(t *testing.T) {
	ctx := context.Background()
	sim := newSim(t, vcsim.Options{VMs: 7, Templates: 2})
	p, err := vsphere.TestConnection(ctx, endpoint(sim), vsphere.Options{Credentials: vsphere.Password(sim.Password)})
	if err != nil {
		t.Fatal(err)
	}
	want := sim.Expected()
	if p.VMs != want.VMs || want.Templates != 2 || p.APIType != "VirtualCenter" || p.Version == "" || p.Product == "" || p.Duration <= 0 {
		t.Errorf("probe = %+v, want %d VMs (templates included: %d)", p, want.VMs, want.Templates)
	}
	// The VM count follows the inventory.
	if err := sim.DestroyVM(ctx, sim.VMRefs()[0]); err != nil {
		t.Fatal(err)
	}
	if p2, err := vsphere.TestConnection(ctx, endpoint(sim), vsphere.Options{Credentials: vsphere.Password(sim.Password)}); err != nil || p2.VMs != p.VMs-1 {
		t.Errorf("after a destroy: %+v, %v; want %d VMs", p2, err, p.VMs-1)
	}
	const wrong = "not-the-password-9c1f"
	_, err = vsphere.TestConnection(ctx, endpoint(sim), vsphere.Options{Credentials: vsphere.Password(wrong)})
	if le, ok := errors.AsType[*vsphere.LoginError](err); !ok || le == nil {
		t.Fatalf("wrong password: %v, want a *LoginError", err)
	}
	if strings.Contains(err.Error(), wrong) {
		t.Errorf("the error carries the password: %v", err)
	}
}
