package jobs

import (
	"fmt"
	"slices"
	"time"
)

// Period is one unit of work of a job: a run is identified by the job's name
// and the period's Key (see Key), so each period runs once.
type Period struct {
	// Key identifies the period within its job, for example
	// "2026-11-22T13:00:00Z" (an hour), "2026-11-21" (a day) or "2026-10"
	// (a month). It must be non-empty and hold no NUL byte.
	Key string
	// Start and End bound the period, [Start, End). Daily and monthly periods
	// are in their schedule's location; the others are in UTC.
	Start, End time.Time
}

// Schedule yields the slots at which a job fires and the period each slot
// stands for. The schedules of this package are Hourly, Daily, Monthly and
// Every; a caller may bring its own.
type Schedule interface {
	// Prev returns the latest slot at or before t.
	Prev(t time.Time) time.Time
	// Next returns the earliest slot strictly after t.
	Next(t time.Time) time.Time
	// Period returns the period the slot fired at slot stands for.
	Period(slot time.Time) Period
	// Validate reports a schedule that cannot be used.
	Validate() error
}

// ScheduleError reports an invalid schedule field.
type ScheduleError struct {
	Schedule string // "Hourly", "Daily", "Monthly" or "Every"
	Field    string
	Reason   string
}

func (e *ScheduleError) Error() string {
	return fmt.Sprintf("jobs: invalid %s schedule: %s %s", e.Schedule, e.Field, e.Reason)
}

// HourPeriod returns the UTC hour holding t; its key is the hour's start in
// RFC 3339, e.g. "2026-11-22T13:00:00Z".
func HourPeriod(t time.Time) Period {
	start := t.UTC().Truncate(time.Hour)
	return Period{Key: start.Format(time.RFC3339), Start: start, End: start.Add(time.Hour)}
}

// DayPeriod returns the calendar day holding t in loc (nil means UTC); its
// key is "YYYY-MM-DD". A day is 23 or 25 hours long across a DST change.
func DayPeriod(t time.Time, loc *time.Location) Period {
	if loc == nil {
		loc = time.UTC
	}
	lt := t.In(loc)
	y, m, d := lt.Date()
	return Period{
		Key:   fmt.Sprintf("%04d-%02d-%02d", y, int(m), d),
		Start: time.Date(y, m, d, 0, 0, 0, 0, loc),
		End:   time.Date(y, m, d+1, 0, 0, 0, 0, loc),
	}
}

// MonthPeriod returns the calendar month holding t in loc (nil means UTC);
// its key is "YYYY-MM".
func MonthPeriod(t time.Time, loc *time.Location) Period {
	if loc == nil {
		loc = time.UTC
	}
	lt := t.In(loc)
	y, m, _ := lt.Date()
	return Period{
		Key:   fmt.Sprintf("%04d-%02d", y, int(m)),
		Start: time.Date(y, m, 1, 0, 0, 0, 0, loc),
		End:   time.Date(y, m+1, 1, 0, 0, 0, 0, loc),
	}
}

// SlotPeriod returns the period [slot, slot+interval) keyed by the slot's
// UTC time in RFC 3339, e.g. "2026-11-22T13:15:00Z".
func SlotPeriod(slot time.Time, interval time.Duration) Period {
	s := slot.UTC()
	return Period{Key: s.Format(time.RFC3339), Start: s, End: s.Add(interval)}
}

// Hourly fires once an hour, at Minute minutes plus Offset past each UTC hour.
// Its period is that hour (HourPeriod). Use Stagger to spread the Offsets of
// per-endpoint jobs across a window.
type Hourly struct {
	// Minute past the hour, 0-59. Defaults to 0.
	Minute int
	// Offset added to Minute, e.g. from Stagger; Minute+Offset must stay
	// below one hour. Defaults to 0.
	Offset time.Duration
}

func (h Hourly) shift() time.Duration { return time.Duration(h.Minute)*time.Minute + h.Offset }

// Validate implements Schedule.
func (h Hourly) Validate() error {
	switch {
	case h.Minute < 0 || h.Minute > 59:
		return &ScheduleError{"Hourly", "Minute", fmt.Sprintf("%d is outside 0-59", h.Minute)}
	case h.Offset < 0:
		return &ScheduleError{"Hourly", "Offset", fmt.Sprintf("%s is negative", h.Offset)}
	case h.shift() >= time.Hour:
		return &ScheduleError{"Hourly", "Offset", fmt.Sprintf("Minute %d + Offset %s reaches the next hour", h.Minute, h.Offset)}
	}
	return nil
}

// Prev implements Schedule.
func (h Hourly) Prev(t time.Time) time.Time {
	c := t.UTC().Truncate(time.Hour).Add(h.shift())
	if c.After(t) {
		c = c.Add(-time.Hour)
	}
	return c
}

// Next implements Schedule.
func (h Hourly) Next(t time.Time) time.Time { return h.Prev(t).Add(time.Hour) }

// Period implements Schedule: the UTC hour the slot falls in.
func (h Hourly) Period(slot time.Time) Period { return HourPeriod(slot.Add(-h.shift())) }

// Daily fires once a day at At in Location and stands for the completed prior
// day: the slot of 2026-11-22 yields the period "2026-11-21". It fires once
// per local day even across DST: when At does not exist on a day (a gap) the
// slot is At read with the offset in force before the gap (02:30 becomes
// 01:30 EST on a New York spring-forward day, as time.Date normalises it);
// when At exists twice (fall-back) the first occurrence is the slot.
type Daily struct {
	// At is the local time of day, "HH:MM" (24-hour). Defaults to "00:00".
	At string
	// Location cuts days. Defaults to UTC.
	Location *time.Location
}

func (d Daily) loc() *time.Location {
	if d.Location == nil {
		return time.UTC
	}
	return d.Location
}

// Validate implements Schedule.
func (d Daily) Validate() error {
	if _, _, err := parseAt(d.At); err != nil {
		return &ScheduleError{"Daily", "At", err.Error()}
	}
	return nil
}

func (d Daily) slot(y int, m time.Month, day int) time.Time {
	hh, mm, _ := parseAt(d.At)
	return time.Date(y, m, day, hh, mm, 0, 0, d.loc())
}

// Prev implements Schedule.
func (d Daily) Prev(t time.Time) time.Time {
	y, m, day := t.In(d.loc()).Date()
	if c := d.slot(y, m, day); !c.After(t) {
		return c
	}
	return d.slot(y, m, day-1)
}

// Next implements Schedule.
func (d Daily) Next(t time.Time) time.Time {
	y, m, day := t.In(d.loc()).Date()
	if c := d.slot(y, m, day); c.After(t) {
		return c
	}
	return d.slot(y, m, day+1)
}

// Period implements Schedule: the day before the slot's day, in Location.
func (d Daily) Period(slot time.Time) Period {
	y, m, day := slot.In(d.loc()).Date()
	return DayPeriod(time.Date(y, m, day-1, 12, 0, 0, 0, d.loc()), d.loc())
}

// Monthly fires once a month on Day at At in Location and stands for the
// completed prior month: the slot of 2026-11-01 yields the period "2026-10".
// A Day past the end of a month fires on that month's last day.
type Monthly struct {
	// Day of the month, 1-31. Defaults to 1.
	Day int
	// At is the local time of day, "HH:MM". Defaults to "00:00".
	At string
	// Location cuts months. Defaults to UTC.
	Location *time.Location
}

func (mo Monthly) loc() *time.Location {
	if mo.Location == nil {
		return time.UTC
	}
	return mo.Location
}

// Validate implements Schedule.
func (mo Monthly) Validate() error {
	if mo.Day < 0 || mo.Day > 31 {
		return &ScheduleError{"Monthly", "Day", fmt.Sprintf("%d is outside 1-31", mo.Day)}
	}
	if _, _, err := parseAt(mo.At); err != nil {
		return &ScheduleError{"Monthly", "At", err.Error()}
	}
	return nil
}

func (mo Monthly) slot(y int, m time.Month) time.Time {
	hh, mm, _ := parseAt(mo.At)
	day := mo.Day
	if day == 0 {
		day = 1
	}
	// Normalise the month (m may be 0 or 13), then clamp the day to its end.
	first := time.Date(y, m, 1, 0, 0, 0, 0, time.UTC)
	y, m = first.Year(), first.Month()
	if last := first.AddDate(0, 1, -1).Day(); day > last {
		day = last
	}
	return time.Date(y, m, day, hh, mm, 0, 0, mo.loc())
}

// Prev implements Schedule.
func (mo Monthly) Prev(t time.Time) time.Time {
	y, m, _ := t.In(mo.loc()).Date()
	if c := mo.slot(y, m); !c.After(t) {
		return c
	}
	return mo.slot(y, m-1)
}

// Next implements Schedule.
func (mo Monthly) Next(t time.Time) time.Time {
	y, m, _ := t.In(mo.loc()).Date()
	if c := mo.slot(y, m); c.After(t) {
		return c
	}
	return mo.slot(y, m+1)
}

// Period implements Schedule: the month before the slot's month.
func (mo Monthly) Period(slot time.Time) Period {
	y, m, _ := slot.In(mo.loc()).Date()
	return MonthPeriod(time.Date(y, m-1, 15, 12, 0, 0, 0, mo.loc()), mo.loc())
}

// Every fires at every multiple of Interval since the zero time (for
// intervals dividing a day: aligned to UTC midnight). Its period is
// [slot, slot+Interval), keyed by the slot (SlotPeriod).
type Every struct {
	// Interval between slots: a whole number of seconds, at least one
	// second. Required.
	Interval time.Duration
}

// Validate implements Schedule.
func (e Every) Validate() error {
	if e.Interval < time.Second || e.Interval%time.Second != 0 {
		return &ScheduleError{"Every", "Interval", fmt.Sprintf("%s is not a whole number of seconds >= 1s", e.Interval)}
	}
	return nil
}

// Prev implements Schedule.
func (e Every) Prev(t time.Time) time.Time { return t.UTC().Truncate(e.Interval) }

// Next implements Schedule.
func (e Every) Next(t time.Time) time.Time { return e.Prev(t).Add(e.Interval) }

// Period implements Schedule.
func (e Every) Period(slot time.Time) Period { return SlotPeriod(slot, e.Interval) }

// parseAt parses "HH:MM"; "" means midnight.
func parseAt(at string) (hh, mm int, err error) {
	if at == "" {
		return 0, 0, nil
	}
	if len(at) != 5 || at[2] != ':' || !digits(at[:2]) || !digits(at[3:]) {
		return 0, 0, fmt.Errorf("%q is not HH:MM", at)
	}
	hh = int(at[0]-'0')*10 + int(at[1]-'0')
	mm = int(at[3]-'0')*10 + int(at[4]-'0')
	if hh > 23 || mm > 59 {
		return 0, 0, fmt.Errorf("%q is not a time of day (00:00-23:59)", at)
	}
	return hh, mm, nil
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Stagger spreads names evenly across [0, window): the sorted, de-duplicated
// names get offsets 0, window/n, 2·window/n, ... (truncated to whole seconds
// when window/n is at least a second). The result depends only on the set of
// names and the window. A window <= 0 gives every name offset 0.
func Stagger(names []string, window time.Duration) map[string]time.Duration {
	uniq := make(map[string]struct{}, len(names))
	for _, n := range names {
		uniq[n] = struct{}{}
	}
	sorted := make([]string, 0, len(uniq))
	for n := range uniq {
		sorted = append(sorted, n)
	}
	slices.Sort(sorted)
	out := make(map[string]time.Duration, len(sorted))
	for i, n := range sorted {
		var off time.Duration
		if window > 0 {
			off = time.Duration(int64(window) / int64(len(sorted)) * int64(i))
			if window/time.Duration(len(sorted)) >= time.Second {
				off = off.Truncate(time.Second)
			}
		}
		out[n] = off
	}
	return out
}
