package daemon

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/accessvault/vinventory/capture/vcsim"
)

// churn applies a realistic hour of change to a simulated vCenter: a few VMs
// created (with config.createDate = at) and destroyed, power changes,
// resizes, pool moves, host migrations and the odd rename. It returns how
// many changes it made. Failures of single mutations are returned joined
// with the count of those that worked; the demo logs and carries on.
type churner struct {
	sim   *vcsim.Sim
	rng   *rand.Rand
	pools []string // "<cluster>/<tier pool>"
	hosts []string
	seq   int
}

func newChurner(sim *vcsim.Sim, seed uint64) *churner {
	c := &churner{sim: sim, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
	for p := range sim.Pools() {
		if !strings.HasSuffix(p, "/Resources") {
			c.pools = append(c.pools, p)
		}
	}
	for h := range sim.Hosts() {
		c.hosts = append(c.hosts, h)
	}
	slices.Sort(c.pools)
	slices.Sort(c.hosts)
	return c
}

// vms lists the non-template VMs by name, sorted (deterministic picks).
func (c *churner) vms() []string {
	var out []string
	for name := range c.sim.VMs() {
		if !strings.HasPrefix(name, "tpl-") {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

func (c *churner) pick(names []string) string { return names[c.rng.IntN(len(names))] }

// blip makes one small live change, as an operator would between two
// captures: a VM powered off or on, or now and then resized. It returns
// the VM's name.
func (c *churner) blip(ctx context.Context) (string, error) {
	vms := c.vms()
	if len(vms) == 0 {
		return "", nil
	}
	vm := c.pick(vms)
	switch c.rng.IntN(6) {
	case 0:
		return vm, c.sim.Reconfigure(ctx, vm, int32(1<<c.rng.IntN(4)), int64(1024<<c.rng.IntN(4)))
	case 1, 2:
		return vm, c.power(ctx, vm, true)
	default:
		return vm, c.power(ctx, vm, false)
	}
}

// power powers vm on (or off); a VM already in that state is switched the
// other way, so every blip changes something.
func (c *churner) power(ctx context.Context, vm string, on bool) error {
	do := map[bool]func(context.Context, string) error{true: c.sim.PowerOn, false: c.sim.PowerOff}
	err := do[on](ctx, vm)
	if fault.Is(err, &types.InvalidPowerState{}) {
		err = do[!on](ctx, vm)
	}
	return err
}

// hour applies one hour of churn ending at snapshot time at.
func (c *churner) hour(ctx context.Context, at time.Time) (int, error) {
	vms := c.vms()
	if len(vms) == 0 {
		return 0, nil
	}
	var errs []error
	n := 0
	do := func(err error) {
		if err != nil {
			errs = append(errs, err)
			return
		}
		n++
	}
	// Creations: 0-2 an hour, spread over the tiers.
	for range c.rng.IntN(3) {
		c.seq++
		pool := c.pick(c.pools)
		_, err := c.sim.CreateVM(ctx, vcsim.VMSpec{
			Name:       fmt.Sprintf("demo-%s-%04d", strings.ToLower(pool[strings.LastIndex(pool, "/")+1:]), c.seq),
			Pool:       pool,
			VCPU:       int32(1 << c.rng.IntN(4)),
			MemoryMB:   int64(1024 << c.rng.IntN(4)),
			DiskGB:     int64(20 + 20*c.rng.IntN(5)),
			CreateDate: at.Add(-time.Duration(1+c.rng.IntN(50)) * time.Minute),
			PowerOn:    c.rng.IntN(4) > 0,
			Datastore:  fmt.Sprintf("LocalDS_%d", c.rng.IntN(2)),
		})
		do(err)
	}
	// Deletions: about one every other hour.
	if c.rng.IntN(2) == 0 {
		do(c.sim.DestroyVM(ctx, c.pick(vms)))
		vms = c.vms()
	}
	// Power changes.
	for range 1 + c.rng.IntN(3) {
		vm := c.pick(vms)
		if c.rng.IntN(2) == 0 {
			do(c.sim.PowerOff(ctx, vm))
		} else {
			do(c.sim.PowerOn(ctx, vm))
		}
	}
	// Resizes, pool moves, migrations, renames.
	if c.rng.IntN(3) == 0 {
		do(c.sim.Reconfigure(ctx, c.pick(vms), int32(1<<c.rng.IntN(4)), int64(1024<<c.rng.IntN(4))))
	}
	if c.rng.IntN(3) == 0 {
		do(c.sim.MovePool(ctx, c.pick(vms), c.pick(c.pools)))
	}
	if c.rng.IntN(4) == 0 && len(c.hosts) > 1 {
		do(c.sim.MigrateHost(ctx, c.pick(vms), c.pick(c.hosts)))
	}
	if c.rng.IntN(12) == 0 {
		vm := c.pick(vms)
		do(c.sim.Rename(ctx, vm, vm+"-renamed"))
	}
	return n, joinErrs(errs)
}

func joinErrs(errs []error) error {
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("demo churn: %d of the hour's changes failed: %w", len(errs), errors.Join(errs...))
}
