package daemon

import (
	"context"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/accessvault/vinventory/internal/secrets"
	"github.com/accessvault/vinventory/report"
)

// rotateKeys re-encrypts every stored endpoint password under the newest
// key of the keyring.
func rotateKeys(ctx context.Context, a *App, stdout io.Writer) error {
	res, err := secrets.RotateEndpoints(ctx, a.Store, a.Keyring)
	fmt.Fprintf(stdout, "rotate-keys: newest key %s: %d endpoints, %d rotated, %d already current, %d without credential, %d changed concurrently (left), %d failed\n",
		res.NewestID, res.Total, res.Rotated, res.Current, res.Empty, res.Changed, len(res.Failed))
	for _, f := range res.Failed {
		fmt.Fprintf(stdout, "  %s: %v\n", f.Endpoint, f.Err)
	}
	return err
}

// parseDayRange reads -from/-to (YYYY-MM-DD, inclusive) or -month
// (YYYY-MM) in loc and returns [from, to) as day starts.
type rangeFlags struct {
	from, to, month string
	vcenters        multiFlag
}

func (r *rangeFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&r.from, "from", "", "first day, YYYY-MM-DD")
	fs.StringVar(&r.to, "to", "", "last day, YYYY-MM-DD (inclusive; defaults to -from)")
	fs.StringVar(&r.month, "month", "", "a month, YYYY-MM (instead of -from/-to)")
	fs.Var(&r.vcenters, "vcenter", "limit to this vCenter (repeatable; default all)")
}

// days returns [from, to) in loc: the first day's start and the start of
// the day after the last.
func (r *rangeFlags) days(loc *time.Location) (time.Time, time.Time, error) {
	switch {
	case r.month != "" && (r.from != "" || r.to != ""):
		return time.Time{}, time.Time{}, usageError{fmt.Errorf("give -month or -from/-to, not both")}
	case r.month != "":
		m, err := time.ParseInLocation("2006-01", r.month, loc)
		if err != nil {
			return time.Time{}, time.Time{}, usageError{fmt.Errorf("-month %q: want YYYY-MM", r.month)}
		}
		return m, m.AddDate(0, 1, 0), nil
	case r.from == "":
		return time.Time{}, time.Time{}, usageError{fmt.Errorf("-from (or -month) is required")}
	}
	from, err := time.ParseInLocation(time.DateOnly, r.from, loc)
	if err != nil {
		return time.Time{}, time.Time{}, usageError{fmt.Errorf("-from %q: want YYYY-MM-DD", r.from)}
	}
	to := from
	if r.to != "" {
		if to, err = time.ParseInLocation(time.DateOnly, r.to, loc); err != nil {
			return time.Time{}, time.Time{}, usageError{fmt.Errorf("-to %q: want YYYY-MM-DD", r.to)}
		}
	}
	if to.Before(from) {
		return time.Time{}, time.Time{}, usageError{fmt.Errorf("-to %s is before -from %s", r.to, r.from)}
	}
	return from, to.AddDate(0, 0, 1), nil
}

type multiFlag []string

func (m *multiFlag) String() string     { return fmt.Sprint([]string(*m)) }
func (m *multiFlag) Set(s string) error { *m = append(*m, s); return nil }

// regenerateReports rewrites every report of the registered snapshots and
// periods in a range of days.
func regenerateReports(ctx context.Context, a *App, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("regenerate-reports", flag.ContinueOnError)
	fs.SetOutput(stdout)
	var r rangeFlags
	r.register(fs)
	kinds := fs.String("kinds", "", "comma-separated report kinds to keep (hourly,daily,monthly); default all. "+
		"rvtools (only when named) writes the RVTools-compatible workbook of the latest state, of each -vcenter or of every vCenter, and needs no -from")
	if err := fs.Parse(args); err != nil {
		return err
	}
	// rvtools is not a per-snapshot report: it is written only when named,
	// from the latest state, so alone it needs no day range.
	kindList := splitComma(*kinds)
	rv := slices.Contains(kindList, string(report.KindRVTools))
	var reqs []report.Request
	if !rv || len(kindList) > 1 || r.from != "" || r.month != "" {
		from, to, err := r.days(a.Pipeline.Location())
		if err != nil {
			return err
		}
		reqs, err = a.Pipeline.ReportRequests(ctx, from, to)
		if err != nil {
			return err
		}
		reqs = filterRequests(reqs, r.vcenters, *kinds)
		if len(reqs) == 0 && !rv {
			fmt.Fprintf(stdout, "regenerate-reports: nothing registered in [%s, %s)\n", from.Format(time.DateOnly), to.Format(time.DateOnly))
			return nil
		}
	}
	if rv {
		if len(r.vcenters) == 0 {
			reqs = append(reqs, report.Request{Kind: report.KindRVTools})
		}
		for _, vc := range r.vcenters {
			reqs = append(reqs, report.Request{Kind: report.KindRVTools, Vcenter: vc})
		}
	}
	res, err := a.Pipeline.RegenerateReports(ctx, reqs...)
	if res != nil {
		for _, f := range res.Written {
			fmt.Fprintf(stdout, "  wrote %s\n", f.Path)
		}
		fmt.Fprintf(stdout, "regenerate-reports: %d written, %d failed\n", len(res.Written), len(res.Failed))
	}
	return err
}

func filterRequests(reqs []report.Request, vcenters []string, kinds string) []report.Request {
	keepVC := map[string]bool{}
	for _, v := range vcenters {
		keepVC[v] = true
	}
	keepKind := map[report.Kind]bool{}
	for _, k := range splitComma(kinds) {
		keepKind[report.Kind(k)] = true
	}
	var out []report.Request
	for _, r := range reqs {
		if len(keepVC) > 0 && r.Vcenter != "" && !keepVC[r.Vcenter] {
			continue
		}
		if len(keepKind) > 0 && !keepKind[r.Kind] {
			continue
		}
		out = append(out, r)
	}
	return out
}

func splitComma(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}
