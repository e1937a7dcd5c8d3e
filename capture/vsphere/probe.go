package vsphere

import (
	"context"
	"time"

	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/accessvault/vinventory/inventory"
)

// Probe is what TestConnection learned of an endpoint.
type Probe struct {
	// Product, Version, Build, APIType ("VirtualCenter" or "HostAgent")
	// and InstanceUUID are the server's About info.
	Product      string `json:"product"`
	Version      string `json:"version"`
	Build        string `json:"build"`
	APIType      string `json:"api_type"`
	InstanceUUID string `json:"instance_uuid,omitempty"`
	// VMs counts the virtual machines (templates included) the login sees.
	VMs int `json:"vms"`
	// Duration is how long the test took, login to logout.
	Duration time.Duration `json:"-"`
}

// TestConnection checks an endpoint the way an operator would before
// saving it: it connects and verifies TLS as ep.TLS says, logs in with
// opts.Credentials, reads the About info, counts the VMs through one
// container view, and logs out. It writes nothing anywhere. Errors are
// New's typed errors (*ConnectError, *TLSError, *LoginError, field errors),
// never carrying the password.
func TestConnection(ctx context.Context, ep inventory.Endpoint, opts Options) (*Probe, error) {
	start := time.Now()
	opts.KeepAlive = -1
	opts.DisableTags = true
	s, err := New(ctx, ep, opts)
	if err != nil {
		return nil, err
	}
	defer s.Close(context.WithoutCancel(ctx))
	about := s.About()
	p := &Probe{Product: about.FullName, Version: about.Version, Build: about.Build, APIType: about.ApiType, InstanceUUID: about.InstanceUuid}
	if p.VMs, err = s.CountVMs(ctx); err != nil {
		return nil, err
	}
	p.Duration = time.Since(start)
	return p, nil
}

// CountVMs counts the virtual machines (templates included) the session
// sees, through one container view: one list of references, no properties.
func (s *Source) CountVMs(ctx context.Context) (int, error) {
	sc := s.vc.ServiceContent
	vres, err := methods.CreateContainerView(ctx, s.vc, &types.CreateContainerView{
		This: *sc.ViewManager, Container: sc.RootFolder, Type: []string{"VirtualMachine"}, Recursive: true,
	})
	if err != nil {
		return 0, s.wrap("count VMs", err)
	}
	view := vres.Returnval
	defer s.cleanup(ctx, func(ctx context.Context) error {
		_, err := methods.DestroyView(ctx, s.raw, &types.DestroyView{This: view})
		return err
	})
	pres, err := methods.CreatePropertyCollector(ctx, s.vc, &types.CreatePropertyCollector{This: sc.PropertyCollector})
	if err != nil {
		return 0, s.wrap("count VMs", err)
	}
	pc := pres.Returnval
	defer s.cleanup(ctx, func(ctx context.Context) error {
		_, err := methods.DestroyPropertyCollector(ctx, s.raw, &types.DestroyPropertyCollector{This: pc})
		return err
	})
	refs, err := s.viewRefs(ctx, pc, view)
	if err != nil {
		return 0, s.wrap("count VMs", err)
	}
	return len(refs), nil
}
