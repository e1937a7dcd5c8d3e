package report

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

// Reader is the part of a store the reports read. Every store.Store
// satisfies it.
type Reader interface {
	ScanSamples(ctx context.Context, p *store.ScanSamplesParams, fn func(*inventory.Sample) error) error
	TraceVM(ctx context.Context, p *store.TraceVMParams) ([]inventory.Sample, error)
	ListHosts(ctx context.Context, p *store.ListHostsParams) ([]inventory.Host, error)
	ListClusters(ctx context.Context, p *store.ListClustersParams) ([]inventory.Cluster, error)
	ListDatastores(ctx context.Context, p *store.ListDatastoresParams) ([]inventory.Datastore, error)
	StateTime(ctx context.Context, vcenter string) (time.Time, error)
	GetLifecycle(ctx context.Context, p *store.GetLifecycleParams) (*inventory.Lifecycle, error)
	ListEvents(ctx context.Context, p *store.ListEventsParams) (*store.EventPage, error)
	ScanDailyRollups(ctx context.Context, p *store.ScanRollupsParams, fn func(*inventory.DailyRollup) error) error
	ScanMonthlyRollups(ctx context.Context, p *store.ScanRollupsParams, fn func(*inventory.MonthlyRollup) error) error
	ListTotals(ctx context.Context, p *store.ListTotalsParams) ([]inventory.Totals, error)
	ListAggregateTotals(ctx context.Context, p *store.ListAggregateTotalsParams) ([]inventory.AggregateTotals, error)
	ListSnapshots(ctx context.Context, p *store.ListSnapshotsParams) ([]inventory.SnapshotRecord, error)
}

var _ Reader = store.Store(nil)

// Write writes the report req asks for to w as an XLSX workbook. Rows are
// streamed from the store into excelize's StreamWriter (which spills large
// sheets to a temporary file), so memory does not grow with the row count;
// the finished, compressed workbook is then written to w in one go. Nothing
// reaches w unless the whole workbook was built, so only a failing w can
// leave a partial workbook there (WriteFile never leaves one). Errors are
// *Error; a request with no data returns an error wrapping ErrNoData (and
// store.ErrNotFound).
func Write(ctx context.Context, st Reader, req Request, w io.Writer, opts Options) error {
	if err := req.Validate(); err != nil {
		return err
	}
	if st == nil {
		return &Error{Kind: req.Kind, Stage: StageValidate, Field: "store", Err: fmt.Errorf("%w: store is nil", ErrInvalidRequest)}
	}
	if w == nil {
		return &Error{Kind: req.Kind, Stage: StageValidate, Field: "w", Err: fmt.Errorf("%w: writer is nil", ErrInvalidRequest)}
	}
	opts = opts.withDefaults()
	req = req.normalize(opts.Location)
	g := &gen{ctx: ctx, st: st, req: req, opts: opts}
	err := g.run(w)
	if err == nil {
		return nil
	}
	var re *Error
	if errors.As(err, &re) {
		return err
	}
	return &Error{Kind: req.Kind, Stage: StageWrite, Err: err}
}

// normalize puts Period in loc (and its day or month start), so FileName
// and the windows agree.
func (r Request) normalize(loc *time.Location) Request {
	switch r.Kind {
	case KindDaily:
		r.Period = inventory.DayOf(r.Period, loc).Start
	case KindMonthly:
		r.Period = inventory.MonthOf(r.Period, loc).Start
	}
	return r
}

// WriteFile writes the report into directory dir (created when missing)
// under req.FileName()
// (with Period cut in opts.Location) and returns its path. The file
// appears atomically: the workbook is written to a temporary file in dir,
// synced and renamed; on any failure the temporary file is removed and no
// file with the final name is created (an existing one is left as it
// was).
func WriteFile(ctx context.Context, st Reader, req Request, dir string, opts Options) (path string, err error) {
	if err := req.Validate(); err != nil {
		return "", err
	}
	if dir == "" {
		return "", &Error{Kind: req.Kind, Stage: StageValidate, Field: "dir", Err: fmt.Errorf("%w: directory is empty", ErrInvalidRequest)}
	}
	o := opts.withDefaults()
	name := req.normalize(o.Location).FileName()
	final := filepath.Join(dir, name)
	fileErr := func(err error) error { return &Error{Kind: req.Kind, Stage: StageFile, Err: err} }

	// The directory is created when missing (with its parents); when it
	// cannot be, the error names it.
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fileErr(fmt.Errorf("report directory %q: %w", dir, err))
	}
	tmp, err := os.CreateTemp(dir, "."+name+".*.tmp")
	if err != nil {
		return "", fileErr(err)
	}
	tmpName := tmp.Name()
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(tmpName)
		}
	}()
	if err := Write(ctx, st, req, tmp, opts); err != nil {
		return "", err
	}
	if err := tmp.Sync(); err != nil {
		return "", fileErr(err)
	}
	if err := tmp.Close(); err != nil {
		return "", fileErr(err)
	}
	if err := os.Chmod(tmpName, 0o644); err != nil {
		return "", fileErr(err)
	}
	if err := ctx.Err(); err != nil {
		return "", &Error{Kind: req.Kind, Stage: StageWrite, Err: err}
	}
	if err := os.Rename(tmpName, final); err != nil {
		return "", fileErr(err)
	}
	ok = true
	syncDir(dir)
	return final, nil
}

// syncDir makes the rename durable where the platform allows it.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	d.Sync()
	d.Close()
}

// WriteHourly writes the hourly report of one vCenter snapshot with
// default Options.
func WriteHourly(ctx context.Context, st Reader, vcenter string, snapshotTime time.Time, w io.Writer) error {
	return Write(ctx, st, Request{Kind: KindHourly, Vcenter: vcenter, SnapshotTime: snapshotTime}, w, Options{})
}

// WriteDaily writes the daily summary of every vCenter for the UTC day
// holding day, with default Options.
func WriteDaily(ctx context.Context, st Reader, day time.Time, w io.Writer) error {
	return Write(ctx, st, Request{Kind: KindDaily, Period: day}, w, Options{})
}

// WriteMonthly writes the monthly summary of every vCenter for the UTC
// month holding month, with default Options.
func WriteMonthly(ctx context.Context, st Reader, month time.Time, w io.Writer) error {
	return Write(ctx, st, Request{Kind: KindMonthly, Period: month}, w, Options{})
}

// WriteTotals writes the totals of granularity g over [from, to), of one
// vCenter or (vcenter "") of every vCenter, with default Options.
func WriteTotals(ctx context.Context, st Reader, vcenter string, g inventory.Granularity, from, to time.Time, w io.Writer) error {
	return Write(ctx, st, Request{Kind: KindTotals, Vcenter: vcenter, Granularity: g, From: from, To: to}, w, Options{})
}
