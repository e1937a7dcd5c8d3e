package report

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/accessvault/vinventory/inventory"
)

// ChangeKind says how a VM differs between two snapshots.
type ChangeKind string

// Change kinds.
const (
	ChangeAdded   ChangeKind = "added"
	ChangeRemoved ChangeKind = "removed"
	ChangeChanged ChangeKind = "changed"
)

// SnapshotPair is the pair of snapshots compared for one vCenter: the
// latest at or before From and the latest at or before To. Before is zero
// when the vCenter has no snapshot at From (every VM is then added).
type SnapshotPair struct {
	Vcenter       string
	Before, After time.Time
}

// Change is one VM's difference between the two snapshots of a pair.
// Before is nil for an added VM, After for a removed one; both samples have
// nil Attributes.
type Change struct {
	Kind          ChangeKind
	Before, After *inventory.Sample
	// Fields names the compared fields (ChangeFields) that differ, for a
	// changed VM.
	Fields []string
	fields []int
}

// Diff compares, for vcenter (or every vCenter when empty), the snapshot at
// or before from with the snapshot at or before to — what the changes report
// shows — and calls fn for each VM that differs: added and changed VMs as
// the later snapshot is read, then removed VMs in key order, one vCenter
// at a time in name order. It returns the pairs compared. The earlier
// snapshot is held in memory (one copy per VM); the later one is streamed.
// fn's Change is only valid during the call.
func Diff(ctx context.Context, st Reader, vcenter string, from, to time.Time, fn func(SnapshotPair, *Change) error) ([]SnapshotPair, error) {
	if to.Before(from) {
		return nil, &Error{Kind: KindChanges, Stage: StageValidate, Field: "To", Err: fmt.Errorf("%w: to is before from", ErrInvalidRequest)}
	}
	g := &gen{ctx: ctx, st: st, req: Request{Kind: KindChanges, Vcenter: vcenter, From: from, To: to}, opts: Options{}.withDefaults()}
	pairs, err := g.changePairs()
	if err != nil {
		return nil, err
	}
	return pairs, g.diff(pairs, fn)
}

// diff compares each pair (see Diff).
func (g *gen) diff(pairs []SnapshotPair, fn func(SnapshotPair, *Change) error) error {
	for _, p := range pairs {
		if p.Before.Equal(p.After) {
			continue // the same snapshot: nothing changed
		}
		before := map[string]inventory.Sample{}
		if !p.Before.IsZero() {
			err := g.scanSnapshot(p.Vcenter, p.Before, func(s *inventory.Sample) error {
				c := *s
				c.Attributes = nil
				before[s.Key()] = c
				return nil
			})
			if err != nil {
				return err
			}
		}
		err := g.scanSnapshot(p.Vcenter, p.After, func(s *inventory.Sample) error {
			a := *s
			a.Attributes = nil
			b, ok := before[s.Key()]
			if !ok {
				return fn(p, &Change{Kind: ChangeAdded, After: &a})
			}
			delete(before, s.Key())
			c := Change{Kind: ChangeChanged, Before: &b, After: &a}
			for i, f := range changeFields {
				if f.get(&b) != f.get(&a) {
					c.fields = append(c.fields, i)
					c.Fields = append(c.Fields, f.name)
				}
			}
			if len(c.fields) == 0 {
				return nil
			}
			return fn(p, &c)
		})
		if err != nil {
			return err
		}
		keys := make([]string, 0, len(before))
		for k := range before {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			b := before[k]
			if err := fn(p, &Change{Kind: ChangeRemoved, Before: &b}); err != nil {
				return err
			}
		}
	}
	return nil
}
