package jobs

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

func mustLoc(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	return loc
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestHourlySlots(t *testing.T) {
	h := Hourly{Minute: 5, Offset: 90 * time.Second} // slots at hh:06:30
	cases := []struct{ at, prev, next, key string }{
		{"2026-11-22T13:06:29Z", "2026-11-22T12:06:30Z", "2026-11-22T13:06:30Z", "2026-11-22T12:00:00Z"},
		{"2026-11-22T13:06:30Z", "2026-11-22T13:06:30Z", "2026-11-22T14:06:30Z", "2026-11-22T13:00:00Z"},
		{"2026-12-31T23:59:59Z", "2026-12-31T23:06:30Z", "2027-01-01T00:06:30Z", "2026-12-31T23:00:00Z"},
	}
	for _, c := range cases {
		at := utc(c.at)
		if got := h.Prev(at); !got.Equal(utc(c.prev)) {
			t.Errorf("Prev(%s) = %s, want %s", c.at, got, c.prev)
		}
		if got := h.Next(at); !got.Equal(utc(c.next)) {
			t.Errorf("Next(%s) = %s, want %s", c.at, got, c.next)
		}
		if got := h.Period(h.Prev(at)).Key; got != c.key {
			t.Errorf("Period(Prev(%s)).Key = %s, want %s", c.at, got, c.key)
		}
	}
	// A non-UTC instant names the same UTC hour.
	ist := time.FixedZone("IST", 5*3600+1800)
	if got := h.Period(h.Prev(utc("2026-11-22T13:30:00Z").In(ist))).Key; got != "2026-11-22T13:00:00Z" {
		t.Errorf("key from IST instant = %s", got)
	}
}

func TestDailyDST(t *testing.T) {
	ny := mustLoc(t, "America/New_York")
	// 2026-03-08: clocks jump 02:00 EST -> 03:00 EDT; 2026-11-01: 02:00 EDT -> 01:00 EST.
	t.Run("spring forward, At in the gap", func(t *testing.T) {
		d := Daily{At: "02:30", Location: ny}
		var slots []time.Time
		for s := d.Next(utc("2026-03-06T12:00:00Z")); s.Before(utc("2026-03-11T00:00:00Z")); s = d.Next(s) {
			slots = append(slots, s)
		}
		want := []string{
			"2026-03-07T07:30:00Z", // 02:30 EST
			"2026-03-08T06:30:00Z", // 02:30 does not exist: 01:30 EST, once
			"2026-03-09T06:30:00Z", // 02:30 EDT
			"2026-03-10T06:30:00Z",
		}
		if !sameTimes(slots, times(want)) {
			t.Fatalf("slots = %v, want %v", slots, want)
		}
		for _, s := range slots {
			if !d.Prev(s).Equal(s) || !d.Prev(s.Add(-time.Nanosecond)).Before(s) {
				t.Errorf("Prev is not consistent with Next at %s", s)
			}
		}
		// The slot of 03-09 stands for the 23-hour day 03-08.
		p := d.Period(slots[2])
		if p.Key != "2026-03-08" || p.End.Sub(p.Start) != 23*time.Hour || !p.Start.Equal(utc("2026-03-08T05:00:00Z")) {
			t.Errorf("period = %+v (%s long)", p, p.End.Sub(p.Start))
		}
	})
	t.Run("fall back, At repeated", func(t *testing.T) {
		d := Daily{At: "01:30", Location: ny}
		var slots []time.Time
		for s := d.Next(utc("2026-10-31T12:00:00Z")); s.Before(utc("2026-11-03T12:00:00Z")); s = d.Next(s) {
			slots = append(slots, s)
		}
		want := []string{
			"2026-11-01T05:30:00Z", // first 01:30 (EDT); the second (06:30Z) is not a slot
			"2026-11-02T06:30:00Z", // 01:30 EST
			"2026-11-03T06:30:00Z",
		}
		if !sameTimes(slots, times(want)) {
			t.Fatalf("slots = %v, want %v", slots, want)
		}
		if got := d.Prev(utc("2026-11-01T06:30:00Z")); !got.Equal(utc("2026-11-01T05:30:00Z")) {
			t.Errorf("Prev(second 01:30) = %s", got)
		}
		p := d.Period(slots[1])
		if p.Key != "2026-11-01" || p.End.Sub(p.Start) != 25*time.Hour {
			t.Errorf("period = %+v (%s long)", p, p.End.Sub(p.Start))
		}
	})
	t.Run("period of the UTC-previous evening", func(t *testing.T) {
		berlin := mustLoc(t, "Europe/Berlin")
		d := Daily{At: "00:30", Location: berlin}
		// 2026-11-21T23:30Z is 00:30 CET on the 22nd: the slot for day 21.
		s := d.Prev(utc("2026-11-21T23:45:00Z"))
		if !s.Equal(utc("2026-11-21T23:30:00Z")) || d.Period(s).Key != "2026-11-21" {
			t.Errorf("slot %s period %s", s, d.Period(s).Key)
		}
	})
}

func sameTimes(a, b []time.Time) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !a[i].Equal(b[i]) {
			return false
		}
	}
	return true
}

func times(ss []string) []time.Time {
	out := make([]time.Time, len(ss))
	for i, s := range ss {
		out[i] = utc(s)
	}
	return out
}

func TestMonthlyMonthEnds(t *testing.T) {
	m := Monthly{Day: 31, At: "01:00"}
	var slots []time.Time
	for s := m.Next(utc("2025-12-31T02:00:00Z")); s.Before(utc("2026-06-01T00:00:00Z")); s = m.Next(s) {
		slots = append(slots, s)
	}
	want := []string{"2026-01-31T01:00:00Z", "2026-02-28T01:00:00Z", "2026-03-31T01:00:00Z", "2026-04-30T01:00:00Z", "2026-05-31T01:00:00Z"}
	if !sameTimes(slots, times(want)) {
		t.Fatalf("slots = %v, want %v", slots, want)
	}
	if got := m.Next(utc("2028-02-01T00:00:00Z")); !got.Equal(utc("2028-02-29T01:00:00Z")) {
		t.Errorf("leap February slot = %s", got)
	}
	if got := m.Period(slots[0]).Key; got != "2025-12" {
		t.Errorf("January slot period = %s, want 2025-12 (year boundary)", got)
	}
	if got := m.Prev(utc("2026-03-30T00:00:00Z")); !got.Equal(utc("2026-02-28T01:00:00Z")) {
		t.Errorf("Prev before March slot = %s", got)
	}

	ny := mustLoc(t, "America/New_York")
	first := Monthly{Location: ny} // Day 1 at 00:00
	s := first.Prev(utc("2026-11-22T13:00:00Z"))
	if !s.Equal(utc("2026-11-01T04:00:00Z")) {
		t.Fatalf("slot = %s, want 2026-11-01 00:00 EDT", s)
	}
	p := first.Period(s)
	if p.Key != "2026-10" || !p.Start.Equal(utc("2026-10-01T04:00:00Z")) || !p.End.Equal(s) {
		t.Errorf("period = %+v", p)
	}
	// Just before midnight local on the 1st it is still October's slot time.
	if got := first.Period(first.Prev(utc("2026-11-01T03:59:59Z"))).Key; got != "2026-09" {
		t.Errorf("period before the November slot = %s, want 2026-09", got)
	}
}

func TestEverySlots(t *testing.T) {
	e := Every{Interval: 15 * time.Minute}
	s := e.Prev(utc("2026-11-22T13:29:59Z"))
	if !s.Equal(utc("2026-11-22T13:15:00Z")) || !e.Next(s).Equal(utc("2026-11-22T13:30:00Z")) {
		t.Fatalf("prev %s next %s", s, e.Next(s))
	}
	if p := e.Period(s); p.Key != "2026-11-22T13:15:00Z" || p.End.Sub(p.Start) != 15*time.Minute {
		t.Errorf("period %+v", p)
	}
}

func TestScheduleValidate(t *testing.T) {
	bad := []Schedule{
		Hourly{Minute: 60}, Hourly{Minute: -1}, Hourly{Offset: -time.Second}, Hourly{Minute: 59, Offset: time.Minute},
		Daily{At: "24:00"}, Daily{At: "7:00"}, Daily{At: "07:60"}, Daily{At: "=1+1"},
		Monthly{Day: 32}, Monthly{Day: -1}, Monthly{At: "ab:cd"},
		Every{}, Every{Interval: 1500 * time.Millisecond},
	}
	for _, s := range bad {
		err := s.Validate()
		var se *ScheduleError
		if !errors.As(err, &se) || se.Field == "" {
			t.Errorf("%#v: Validate = %v, want a *ScheduleError", s, err)
		}
	}
	good := []Schedule{Hourly{}, Hourly{Minute: 59, Offset: 59 * time.Second}, Daily{}, Daily{At: "23:59"}, Monthly{}, Monthly{Day: 31, At: "00:00"}, Every{Interval: time.Hour}}
	for _, s := range good {
		if err := s.Validate(); err != nil {
			t.Errorf("%#v: %v", s, err)
		}
	}
}

func TestStagger(t *testing.T) {
	names := []string{"vc3", "vc1", "vc2", "vc1", `"quoted" ünïcode =1+1`}
	window := 20 * time.Minute
	a := Stagger(names, window)
	b := Stagger([]string{"vc2", `"quoted" ünïcode =1+1`, "vc3", "vc1"}, window)
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Fatalf("not deterministic: %v vs %v", a, b)
	}
	if len(a) != 4 {
		t.Fatalf("got %d offsets, want 4 (duplicates collapse)", len(a))
	}
	seen := map[time.Duration]bool{}
	for n, off := range a {
		if off < 0 || off >= window {
			t.Errorf("%s: offset %s outside [0, %s)", n, off, window)
		}
		if seen[off] {
			t.Errorf("offset %s given twice", off)
		}
		seen[off] = true
	}
	// Four names over 20 minutes are 5 minutes apart.
	for _, want := range []time.Duration{0, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute} {
		if !seen[want] {
			t.Errorf("offsets %v lack %s", a, want)
		}
	}
	// Each Hourly built from a stagger fires within its hour's window.
	for _, off := range Stagger([]string{"a", "b", "c"}, 7*time.Minute) {
		h := Hourly{Minute: 5, Offset: off}
		if err := h.Validate(); err != nil {
			t.Fatal(err)
		}
		s := h.Next(utc("2026-11-22T13:00:00Z"))
		if s.Before(utc("2026-11-22T13:05:00Z")) || !s.Before(utc("2026-11-22T13:12:00Z")) {
			t.Errorf("slot %s outside 13:05-13:12", s)
		}
	}
	if got := Stagger([]string{"x"}, 0); got["x"] != 0 {
		t.Errorf("zero window offset = %s", got["x"])
	}
}
