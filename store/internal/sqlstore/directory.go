package sqlstore

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

// Two small side tables let every backend find one VM's samples without an
// index that leads with the VM identity on vm_hourly_stats (such indexes
// make every batched write touch one index page per VM, which SQLite pays
// for at every commit):
//
//   - sample_times (vcenter, snapshot_time) lists the snapshot times that
//     have samples, exactly: writes add theirs, WriteSnapshot removes a
//     time it leaves empty, DeleteSamples removes what it deletes.
//   - vm_identities lists every (vcenter, vm_key, vm_id, vm_uuid, name)
//     combination ever written, keyed by a hash of the combination and
//     indexed on vm_id, vm_uuid and name. Rows are only ever added (a stale
//     one only yields a lookup that finds nothing).
//
// TraceVM resolves the identity to (vcenter, vm_key) pairs, then reads
// their samples by primary key at each snapshot time. SnapshotTimes reads
// sample_times.

const (
	TableSampleTimes = "sample_times"
	TableIdentities  = "vm_identities"
)

var (
	sampleTimeCols = []string{"vcenter", "snapshot_time"}
	identityCols   = []string{"ident_hash", "vcenter", "vm_key", "vm_id", "vm_uuid", "name"}
)

type identity struct{ vcenter, key, id, uuid, name string }

func (x identity) hash() []byte {
	h := sha256.New()
	var n [8]byte
	for _, s := range []string{x.vcenter, x.key, x.id, x.uuid, x.name} {
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	return h.Sum(nil)[:16]
}

// identityCache remembers combinations known to be stored, so steady-state
// writes (the same VMs every hour) add nothing to vm_identities. Entries
// are added only after the transaction that stored them committed.
type identityCache struct {
	mu sync.Mutex
	m  map[identity]struct{}
}

const identityCacheMax = 1 << 18

// sampleSide is what a sample write adds to the side tables.
type sampleSide struct {
	times []sampleTime
	ids   []identity
}

type sampleTime struct {
	vcenter string
	t       time.Time
}

// sideRows collects the snapshot times and the identities not known to be
// stored of samples (stored at st, or at their own times when st is zero).
func (c *Core) sideRows(samples []inventory.Sample, st time.Time) *sampleSide {
	side := &sampleSide{}
	var last sampleTime
	var fresh map[identity]struct{}
	c.idents.mu.Lock()
	for i := range samples {
		s := &samples[i]
		t := st
		if t.IsZero() {
			t = store.SnapshotTime(s.SnapshotTime)
		}
		if i == 0 || last.vcenter != s.Vcenter || !last.t.Equal(t) {
			last = sampleTime{s.Vcenter, t}
			side.times = append(side.times, last)
		}
		id := identity{s.Vcenter, s.Key(), s.VMID, s.VMUUID, s.Name}
		if _, ok := c.idents.m[id]; ok {
			continue
		}
		if fresh == nil {
			fresh = map[identity]struct{}{}
		}
		if _, ok := fresh[id]; !ok {
			fresh[id] = struct{}{}
			side.ids = append(side.ids, id)
		}
	}
	c.idents.mu.Unlock()
	slices.SortFunc(side.times, func(a, b sampleTime) int {
		if c := strings.Compare(a.vcenter, b.vcenter); c != 0 {
			return c
		}
		return a.t.Compare(b.t)
	})
	side.times = slices.CompactFunc(side.times, func(a, b sampleTime) bool { return a.vcenter == b.vcenter && a.t.Equal(b.t) })
	return side
}

// writeSide stores side's rows in tx. They are deferred (sent with the
// transaction's next statement or its commit) where the dialect can: their
// results are not needed, and a write's side rows are few once its VMs'
// identities are known.
func (c *Core) writeSide(ctx context.Context, tx Tx, side *sampleSide) error {
	if err := c.insertBatched(ctx, tx, TableSampleTimes, &RowSource{N: len(side.times), Cols: sampleTimeCols, Row: func(i int, dst []any) []any {
		return append(dst, side.times[i].vcenter, c.time(side.times[i].t))
	}}, "ON CONFLICT DO NOTHING", true); err != nil {
		return err
	}
	return c.insertBatched(ctx, tx, TableIdentities, &RowSource{N: len(side.ids), Cols: identityCols, Row: func(i int, dst []any) []any {
		x := side.ids[i]
		return append(dst, x.hash(), x.vcenter, x.key, x.id, x.uuid, x.name)
	}}, "ON CONFLICT DO NOTHING", true)
}

// committed records side's identities as stored.
func (c *Core) committed(side *sampleSide) {
	if len(side.ids) == 0 {
		return
	}
	c.idents.mu.Lock()
	defer c.idents.mu.Unlock()
	if c.idents.m == nil || len(c.idents.m)+len(side.ids) > identityCacheMax {
		c.idents.m = make(map[identity]struct{}, len(side.ids))
	}
	for _, id := range side.ids {
		c.idents.m[id] = struct{}{}
	}
}
