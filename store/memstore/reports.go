package memstore

import (
	"bytes"
	"context"
	"io"
	"slices"
	"strings"

	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/driver"
)

// storedReport is one report: its info, bytes and the generation of the
// put that stored them (a reader checks it on every Read).
type storedReport struct {
	info store.ReportInfo
	data []byte
	gen  int64
}

// PutReport stores a report's bytes under its key (store.ReportCatalog).
func (s *Store) PutReport(ctx context.Context, p *store.PutReportParams) (*store.ReportInfo, error) {
	const op = "PutReport"
	if err := driver.ValidatePutReport(p); err != nil {
		return nil, err
	}
	if err := s.usable(op); err != nil {
		return nil, err
	}
	we := &store.WriteError{Op: op, Stage: store.StageReports}
	var buf bytes.Buffer
	h := driver.ReportHash()
	if _, err := io.Copy(io.MultiWriter(&buf, h), p.Body); err != nil {
		we.Err = err
		return nil, we
	}
	info := p.Info
	info.Period = driver.NormTime(info.Period)
	info.Size, info.SHA256 = int64(buf.Len()), driver.ReportSum(h)
	info.CreatedAt = driver.NormTime(s.now())
	err := s.commit(ctx, we, func() {
		s.reportGen++
		s.reports[info.Key] = &storedReport{info: info, data: buf.Bytes(), gen: s.reportGen}
	})
	if err != nil {
		return nil, err
	}
	return &info, nil
}

// OpenReport returns a report and a reader of its bytes
// (store.ReportCatalog).
func (s *Store) OpenReport(ctx context.Context, p *store.OpenReportParams) (*store.ReportInfo, io.ReadCloser, error) {
	const op = "OpenReport"
	if p == nil || p.Key == "" {
		return nil, nil, driver.Invalid(op, "Key", "must not be empty")
	}
	unlock, err := s.read(op)
	if err != nil {
		return nil, nil, err
	}
	defer unlock()
	r := s.reports[p.Key]
	if r == nil {
		return nil, nil, notFound(op, "report %q", p.Key)
	}
	info := r.info
	return &info, &reportReader{s: s, key: p.Key, gen: r.gen, data: r.data}, nil
}

// reportReader reads a stored report's bytes chunk by chunk, failing when
// the report was replaced or deleted since it was opened.
type reportReader struct {
	s    *Store
	key  string
	gen  int64
	data []byte
	off  int
}

func (r *reportReader) Read(b []byte) (int, error) {
	unlock, err := r.s.read("OpenReport")
	if err != nil {
		return 0, err
	}
	cur := r.s.reports[r.key]
	unlock()
	if cur == nil || cur.gen != r.gen {
		return 0, driver.ErrReportChanged("OpenReport", r.key)
	}
	if r.off >= len(r.data) {
		return 0, io.EOF
	}
	n := copy(b[:min(len(b), store.ReportChunkSize)], r.data[r.off:])
	r.off += n
	return n, nil
}

func (r *reportReader) Close() error { return nil }

// ListReports returns reports ordered by key (store.ReportCatalog).
func (s *Store) ListReports(ctx context.Context, p *store.ListReportsParams) (*store.ReportPage, error) {
	const op = "ListReports"
	if p == nil {
		p = &store.ListReportsParams{}
	}
	cur, err := driver.DecodeCursor(op, p.Cursor, 1)
	if err != nil {
		return nil, err
	}
	limit := driver.ReportsPageSize(p)
	unlock, err := s.read(op)
	if err != nil {
		return nil, err
	}
	defer unlock()
	var all []store.ReportInfo
	for k, r := range s.reports {
		if (cur != nil && k <= cur[0]) || (p.Vcenter != "" && r.info.Vcenter != p.Vcenter) ||
			(p.Kind != "" && r.info.Kind != p.Kind) || !inRange(r.info.Period, p.From, p.To) {
			continue
		}
		all = append(all, r.info)
	}
	slices.SortFunc(all, func(a, b store.ReportInfo) int { return strings.Compare(a.Key, b.Key) })
	return driver.ReportPage(all, limit), nil
}

// DeleteReports deletes reports by key or period (store.ReportCatalog).
func (s *Store) DeleteReports(ctx context.Context, p *store.DeleteReportsParams) ([]string, error) {
	const op = "DeleteReports"
	if err := driver.ValidateDeleteReports(p); err != nil {
		return nil, err
	}
	var deleted []string
	before := driver.NormTime(p.Before)
	err := s.commit(ctx, &store.WriteError{Op: op, Stage: store.StageReports}, func() {
		for _, k := range p.Keys {
			if _, ok := s.reports[k]; ok {
				delete(s.reports, k)
				deleted = append(deleted, k)
			}
		}
		if !p.Before.IsZero() {
			for k, r := range s.reports {
				if r.info.Period.Before(before) {
					delete(s.reports, k)
					deleted = append(deleted, k)
				}
			}
		}
	})
	if err != nil {
		return nil, err
	}
	slices.Sort(deleted)
	return deleted, nil
}
