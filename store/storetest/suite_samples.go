package storetest

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

// sample builds one vm_hourly_stats row.
func sample(vc string, at time.Time, id, uuid, name string, i int) inventory.Sample {
	s := inventory.Sample{
		Vcenter: vc, SnapshotTime: at, VMID: id, VMUUID: uuid, Name: name,
		Datacenter: "DC1", Cluster: "Cluster-A", Host: fmt.Sprintf("esx%02d", i%5), ResourcePool: "Resources/" + string(inventory.Tiers()[i%4]),
		Folder: "/DC1/vm", PowerState: []inventory.PowerState{inventory.PoweredOn, inventory.PoweredOff, inventory.Suspended}[i%3],
		IsTemplate: i%11 == 0, VCPUCount: 1 + i%8, RAMMB: int64(1024 * (1 + i%16)),
		ProvisionedDiskGB: trickyFloats[i%len(trickyFloats)] * float64(1+i), UsedDiskGB: 0.1 * float64(i),
		GuestOS: "ubuntu64Guest", IPAddress: fmt.Sprintf("10.0.0.%d", i%250),
	}
	if i%2 == 0 {
		s.CreationTime = time.Date(2024, 1, 2, 3, 4, 5, 6000*i, time.UTC)
	}
	if i%3 == 0 {
		s.Attributes = map[string]string{"owner": fmt.Sprint("team-", i%4), "tag:env": "prod"}
	}
	return s
}

func sampleTests() []test {
	return []test{
		{"WriteSamplesUpsert", testWriteSamplesUpsert},
		{"WriteSamplesInvalid", testWriteSamplesInvalid},
		{"ScanOrderAndFilters", testScanFilters},
		{"ScanStop", testScanStop},
		{"ScanCallbackError", testScanError},
		{"TraceVM", testTraceVM},
		{"SnapshotTimes", testSnapshotTimes},
		{"DeleteSamples", testDeleteSamples},
	}
}

func testWriteSamplesUpsert(e *env) {
	n := e.n
	var first []inventory.Sample
	for i := 1; i <= 5; i++ {
		first = append(first, sample("vc-a", t0, fmt.Sprintf("vm-%d", i), fmt.Sprintf("u-%d", i), fmt.Sprintf("n%d", i), i))
	}
	first = append(first,
		sample("vc-a", t0, "", "u-legacy", "legacy", 6), // uuid:u-legacy
		sample("vc-a", t0, "", "", "orphan", 7),         // name:orphan
		sample("vc-a", t0, "", "", "vm-1", 8),           // name:vm-1, distinct from vm-1
		sample("vc-b", t0, "vm-1", "u-b1", "n1", 9),
		sample("vc-a", t0.Add(time.Hour), "vm-1", "u-1", "n1", 10),
	)
	e.ok(e.st.WriteSamples(e.ctx, &store.WriteSamplesParams{Samples: first, BatchSize: 3}), "WriteSamples")
	checkList(e.t, "ScanSamples after WriteSamples", n.samples(first), e.scanAll(&store.ScanSamplesParams{}))

	upd := sample("vc-a", t0, "vm-2", "u-2", "n2-renamed", 20)
	upd.Attributes = nil
	added := sample("vc-a", t0, "vm-9", "u-9", "n9", 21)
	e.ok(e.st.WriteSamples(e.ctx, &store.WriteSamplesParams{Samples: []inventory.Sample{added, upd}}), "WriteSamples (upsert)")
	want := slices.Clone(first)
	want[1] = upd // vm-2 replaced in full; nothing else touched
	want = append(want, added)
	checkList(e.t, "ScanSamples after an upserting WriteSamples (the others kept)", n.samples(want), e.scanAll(&store.ScanSamplesParams{}))

	once := e.dump()
	e.ok(e.st.WriteSamples(e.ctx, &store.WriteSamplesParams{Samples: want, BatchSize: 4}), "WriteSamples (same rows again)")
	e.unchanged(once, "WriteSamples of the same rows again")
	e.ok(e.st.WriteSamples(e.ctx, &store.WriteSamplesParams{}), "WriteSamples with no samples")
	e.unchanged(once, "WriteSamples with no samples")
}

func testWriteSamplesInvalid(e *env) {
	good := []inventory.Sample{sample("vc-a", t0, "vm-1", "u-1", "a", 1), sample("vc-a", t0, "vm-2", "u-2", "b", 2)}
	e.ok(e.st.WriteSamples(e.ctx, &store.WriteSamplesParams{Samples: good[:1]}), "WriteSamples")
	before := e.dump()
	cases := map[string]func(s []inventory.Sample) []inventory.Sample{
		"duplicate key": func(s []inventory.Sample) []inventory.Sample {
			return append(s, sample("vc-a", t0.Add(300*time.Millisecond), "vm-2", "u-x", "x", 3))
		},
		"empty vcenter": func(s []inventory.Sample) []inventory.Sample { s[1].Vcenter = ""; return s },
		"zero time":     func(s []inventory.Sample) []inventory.Sample { s[1].SnapshotTime = time.Time{}; return s },
		"no identity": func(s []inventory.Sample) []inventory.Sample {
			s[1].VMID, s[1].VMUUID, s[1].Name = "", "", ""
			return s
		},
		"NaN disk":      func(s []inventory.Sample) []inventory.Sample { s[1].ProvisionedDiskGB = math.NaN(); return s },
		"NUL in folder": func(s []inventory.Sample) []inventory.Sample { s[1].Folder = "/x\x00"; return s },
		"NUL in attr key": func(s []inventory.Sample) []inventory.Sample {
			s[1].Attributes = map[string]string{"\x00": "v"}
			return s
		},
	}
	for _, name := range slices.Sorted(maps.Keys(cases)) {
		in := cases[name](slices.Clone(good))
		err := e.st.WriteSamples(e.ctx, &store.WriteSamplesParams{Samples: in, BatchSize: 1})
		wantInvalid(e.t, err, "WriteSamples", name)
		e.unchanged(before, "invalid WriteSamples (%s)", name)
	}
}

// scanData writes samples across three vCenters whose byte order differs
// from a case-insensitive or locale order ("Alpha" < "_gamma" < "beta"), at
// three times, with ids whose byte order is not numeric order.
func (e *env) scanData() []inventory.Sample {
	var all []inventory.Sample
	i := 0
	for _, vc := range []string{"beta", "Alpha", "_gamma"} {
		for h := 2; h >= 0; h-- {
			at := t0.Add(time.Duration(h) * time.Hour)
			for _, id := range []string{"vm-2", "vm-10", "vm-1", "", "vm-100"} {
				i++
				if id == "" {
					all = append(all, sample(vc, at, "", fmt.Sprintf("u-%d", i%2), "legacy", i), sample(vc, at, "", "", "Zed", i+1000))
					continue
				}
				all = append(all, sample(vc, at, id, "u-"+id, "name-"+id, i))
			}
		}
	}
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
	e.ok(e.st.WriteSamples(e.ctx, &store.WriteSamplesParams{Samples: all, BatchSize: 4}), "WriteSamples")
	return e.n.samples(all)
}

func testScanFilters(e *env) {
	all := e.scanData()
	checkList(e.t, "ScanSamples{} (ordered by vcenter, snapshot_time, vm_key in byte order)", all, e.scanAll(&store.ScanSamplesParams{}))
	t1, t2 := t0.Add(time.Hour), t0.Add(2*time.Hour)
	for _, p := range []store.ScanSamplesParams{
		{Vcenter: "Alpha"},
		{Vcenter: "beta"},
		{Vcenter: "BETA"},
		{Vcenter: "missing"},
		{From: t1},
		{To: t1},
		{From: t1, To: t2},
		{From: t1, To: t1},
		{Vcenter: "_gamma", From: t0, To: t2},
		{From: t1.Add(-time.Nanosecond), To: t1.Add(time.Microsecond)},
		{From: t2.Add(time.Second)},
	} {
		want := filter(all, func(s inventory.Sample) bool {
			return (p.Vcenter == "" || s.Vcenter == p.Vcenter) && inRange(s.SnapshotTime, p.From, p.To)
		})
		checkList(e.t, fmt.Sprintf("ScanSamples%s", describe(p)), want, e.scanAll(&p))
	}
}

func testScanStop(e *env) {
	all := e.scanData()
	var got []inventory.Sample
	err := e.st.ScanSamples(e.ctx, &store.ScanSamplesParams{}, func(s *inventory.Sample) error {
		got = append(got, copySample(s))
		if len(got) == 3 {
			return store.ErrStopScan
		}
		return nil
	})
	if err != nil {
		e.t.Errorf("ScanSamples whose callback returned ErrStopScan: error %v, want nil", err)
	}
	checkList(e.t, "ScanSamples rows before ErrStopScan", all[:3], got)
}

var errCallback = errors.New("storetest: callback failed")

func testScanError(e *env) {
	e.scanData()
	calls := 0
	err := e.st.ScanSamples(e.ctx, &store.ScanSamplesParams{}, func(*inventory.Sample) error {
		calls++
		if calls == 2 {
			return errCallback
		}
		return nil
	})
	if !errors.Is(err, errCallback) {
		e.t.Errorf("ScanSamples whose callback failed: error %v, want one wrapping the callback's error", err)
	}
	if calls != 2 {
		e.t.Errorf("ScanSamples called fn %d times, want 2 (the scan must stop at the callback's error)", calls)
	}
}

func (e *env) traceData() []inventory.Sample {
	var all []inventory.Sample
	for h := 0; h < 6; h++ {
		at := t0.Add(time.Duration(h) * time.Hour)
		name := "web"
		if h >= 3 {
			name = "web-renamed"
		}
		all = append(all, sample("vc-a", at, "vm-1", "u-1", name, h), sample("vc-a", at, "vm-2", "u-2", "db", h+10))
		if h == 1 || h == 2 {
			all = append(all, sample("vc-a", at, "", "u-9", "legacy", h+20))
		}
		if h == 2 {
			all = append(all, sample("vc-a", at, "", "", "orphan", h+30))
		}
	}
	all = append(all,
		sample("vc-b", t0.Add(30*time.Minute), "vm-1", "u-b1", "web", 40),
		sample("vc-b", t0.Add(90*time.Minute), "vm-1", "u-b1", "web", 41),
	)
	e.ok(e.st.WriteSamples(e.ctx, &store.WriteSamplesParams{Samples: all}), "WriteSamples")
	return e.n.samples(all)
}

func byTime(in []inventory.Sample) []inventory.Sample {
	out := slices.Clone(in)
	slices.SortStableFunc(out, func(a, b inventory.Sample) int { return a.SnapshotTime.Compare(b.SnapshotTime) })
	return out
}

func testTraceVM(e *env) {
	all := e.traceData()
	match := func(p store.TraceVMParams) []inventory.Sample {
		out := byTime(filter(all, func(s inventory.Sample) bool {
			if p.Vcenter != "" && s.Vcenter != p.Vcenter {
				return false
			}
			if !inRange(s.SnapshotTime, p.From, p.To) {
				return false
			}
			switch {
			case p.VMID != "":
				return s.VMID == p.VMID
			case p.VMUUID != "":
				return s.VMUUID == p.VMUUID
			default:
				return s.Name == p.Name
			}
		}))
		if p.Limit > 0 && len(out) > p.Limit {
			out = out[len(out)-p.Limit:]
		}
		return out
	}
	h := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Hour) }
	for _, c := range []struct {
		p     store.TraceVMParams
		count int
	}{
		{store.TraceVMParams{VMID: "vm-1"}, 8},
		{store.TraceVMParams{Vcenter: "vc-a", VMID: "vm-1"}, 6},
		{store.TraceVMParams{VMUUID: "u-1"}, 6},
		{store.TraceVMParams{Name: "web"}, 5},
		{store.TraceVMParams{Vcenter: "vc-b", Name: "web"}, 2},
		{store.TraceVMParams{VMID: "vm-1", VMUUID: "u-2", Name: "nonexistent"}, 8},
		{store.TraceVMParams{VMUUID: "u-9", Name: "zzz"}, 2},
		{store.TraceVMParams{Name: "orphan"}, 1},
		{store.TraceVMParams{Vcenter: "vc-a", VMID: "vm-1", From: h(1), To: h(4)}, 3},
		{store.TraceVMParams{VMID: "vm-1", From: h(1)}, 6},
		{store.TraceVMParams{VMID: "vm-1", To: h(1)}, 2},
		{store.TraceVMParams{Vcenter: "vc-a", VMID: "vm-1", Limit: 2}, 2},
		{store.TraceVMParams{VMID: "vm-1", Limit: 3}, 3},
		{store.TraceVMParams{VMID: "vm-1", Limit: 100}, 8},
		{store.TraceVMParams{VMID: "missing"}, 0},
		{store.TraceVMParams{Vcenter: "vc-c", VMID: "vm-1"}, 0},
	} {
		want := match(c.p)
		if len(want) != c.count {
			e.t.Fatalf("suite bug: TraceVM%s expects %d rows, built %d", describe(c.p), c.count, len(want))
		}
		got, err := e.st.TraceVM(e.ctx, &c.p)
		e.ok(err, "TraceVM%s", describe(c.p))
		checkList(e.t, fmt.Sprintf("TraceVM%s (ascending; Limit keeps the newest)", describe(c.p)), want, got)
	}
	_, err := e.st.TraceVM(e.ctx, &store.TraceVMParams{Vcenter: "vc-a"})
	wantInvalid(e.t, err, "TraceVM", "without VMID, VMUUID or Name")
}

func testSnapshotTimes(e *env) {
	e.traceData()
	h := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Hour) }
	for _, c := range []struct {
		p    store.SnapshotTimesParams
		want []time.Time
	}{
		{store.SnapshotTimesParams{Vcenter: "vc-a"}, []time.Time{h(0), h(1), h(2), h(3), h(4), h(5)}},
		{store.SnapshotTimesParams{Vcenter: "vc-a", From: h(2)}, []time.Time{h(2), h(3), h(4), h(5)}},
		{store.SnapshotTimesParams{Vcenter: "vc-a", To: h(2)}, []time.Time{h(0), h(1)}},
		{store.SnapshotTimesParams{Vcenter: "vc-a", From: h(1), To: h(3)}, []time.Time{h(1), h(2)}},
		{store.SnapshotTimesParams{Vcenter: "vc-b"}, []time.Time{t0.Add(30 * time.Minute), t0.Add(90 * time.Minute)}},
		{store.SnapshotTimesParams{Vcenter: "vc-b", From: h(1)}, []time.Time{t0.Add(90 * time.Minute)}},
		{store.SnapshotTimesParams{Vcenter: "vc-z"}, nil},
	} {
		got, err := e.st.SnapshotTimes(e.ctx, &c.p)
		e.ok(err, "SnapshotTimes%s", describe(c.p))
		checkList(e.t, fmt.Sprintf("SnapshotTimes%s (distinct, ascending)", describe(c.p)), c.want, got)
		checkTimes(e.t, "SnapshotTimes", got, e.n.prec)
	}
}

func testDeleteSamples(e *env) {
	all := e.traceData()
	p := e.snapshot("vc-c", t0, 4, 1)
	e.write(p)
	all = append(all, e.n.samples(p.Samples)...)
	sortSamples(all)
	others := e.dump()

	_, err := e.st.DeleteSamples(e.ctx, &store.DeleteSamplesParams{Vcenter: "vc-a"})
	wantInvalid(e.t, err, "DeleteSamples", "without Before")

	cut := t0.Add(2 * time.Hour)
	want := filter(all, func(s inventory.Sample) bool { return !s.SnapshotTime.Before(cut) })
	n, err := e.st.DeleteSamples(e.ctx, &store.DeleteSamplesParams{Before: cut})
	e.ok(err, "DeleteSamples")
	if n != int64(len(all)-len(want)) {
		e.t.Errorf("DeleteSamples{Before: %v} = %d, want %d", cut, n, len(all)-len(want))
	}
	checkList(e.t, "ScanSamples after DeleteSamples", want, e.scanAll(&store.ScanSamplesParams{}))

	cut = t0.Add(4 * time.Hour)
	want2 := filter(want, func(s inventory.Sample) bool { return s.Vcenter != "vc-a" || !s.SnapshotTime.Before(cut) })
	n, err = e.st.DeleteSamples(e.ctx, &store.DeleteSamplesParams{Vcenter: "vc-a", Before: cut})
	e.ok(err, "DeleteSamples")
	if n != int64(len(want)-len(want2)) {
		e.t.Errorf("DeleteSamples{vc-a, Before: %v} = %d, want %d", cut, n, len(want)-len(want2))
	}
	checkList(e.t, "ScanSamples after DeleteSamples{Vcenter}", want2, e.scanAll(&store.ScanSamplesParams{}))
	n, err = e.st.DeleteSamples(e.ctx, &store.DeleteSamplesParams{Before: t0.Add(-time.Hour)})
	e.ok(err, "DeleteSamples")
	if n != 0 {
		e.t.Errorf("DeleteSamples of nothing = %d, want 0", n)
	}

	// Only vm_hourly_stats is touched: state, totals, registry, compat stay.
	after := e.dump()
	after.Samples, others.Samples = nil, nil
	if d := Diff(others, after); d != "" {
		e.t.Errorf("DeleteSamples changed more than vm_hourly_stats (-before +after):\n%s", d)
	}
}
