package inventory

import (
	"fmt"
	"time"
)

// Window is a half-open time interval [Start, End).
type Window struct {
	Start time.Time
	End   time.Time
}

// Contains reports whether t lies in [Start, End).
func (w Window) Contains(t time.Time) bool { return !t.Before(w.Start) && t.Before(w.End) }

// String formats the window in RFC 3339.
func (w Window) String() string {
	return fmt.Sprintf("[%s, %s)", w.Start.Format(time.RFC3339), w.End.Format(time.RFC3339))
}

// UTC returns the window with both ends in UTC.
func (w Window) UTC() Window { return Window{Start: w.Start.UTC(), End: w.End.UTC()} }

func loc(l *time.Location) *time.Location {
	if l == nil {
		return time.UTC
	}
	return l
}

// HourOf returns the hour containing t, cut in location l (nil means UTC).
// In zones with a fractional offset the hour starts at local :00.
func HourOf(t time.Time, l *time.Location) Window {
	lt := t.In(loc(l))
	start := lt.Truncate(time.Minute).Add(-time.Duration(lt.Minute()) * time.Minute)
	return Window{Start: start, End: start.Add(time.Hour)}
}

// DayOf returns the calendar day containing t in location l (nil means UTC).
// Days across a DST change last 23 or 25 hours.
func DayOf(t time.Time, l *time.Location) Window {
	lt := t.In(loc(l))
	start := time.Date(lt.Year(), lt.Month(), lt.Day(), 0, 0, 0, 0, lt.Location())
	return Window{Start: start, End: time.Date(lt.Year(), lt.Month(), lt.Day()+1, 0, 0, 0, 0, lt.Location())}
}

// MonthOf returns the calendar month containing t in location l (nil means
// UTC).
func MonthOf(t time.Time, l *time.Location) Window {
	lt := t.In(loc(l))
	start := time.Date(lt.Year(), lt.Month(), 1, 0, 0, 0, 0, lt.Location())
	return Window{Start: start, End: time.Date(lt.Year(), lt.Month()+1, 1, 0, 0, 0, 0, lt.Location())}
}

// Days returns the days of the month window w, in order, in w's location.
func (w Window) Days() []Window {
	var out []Window
	for d := DayOf(w.Start, w.Start.Location()); d.Start.Before(w.End); d = DayOf(d.End, w.Start.Location()) {
		out = append(out, d)
	}
	return out
}

// Compatibility table names (ARCHITECTURE "Storage").
//
// The hourly table name uses the snapshot time in UTC; daily and monthly
// summary names use the period start in the period's own location.

// HourlyTableName returns inventory_hourly_<YYYYMMDDHHMM> for snapshot time s.
func HourlyTableName(s time.Time) string {
	return "inventory_hourly_" + s.UTC().Format("200601021504")
}

// DailyTableName returns inventory_daily_summary_<YYYYMMDD> for a day start.
func DailyTableName(day time.Time) string {
	return "inventory_daily_summary_" + day.Format("20060102")
}

// MonthlyTableName returns inventory_monthly_summary_<YYYYMM> for a month
// start.
func MonthlyTableName(month time.Time) string {
	return "inventory_monthly_summary_" + month.Format("200601")
}
