package web

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/a-h/templ"

	"github.com/accessvault/vinventory/internal/api"
)

// passThrough writes an API answer that is a file (a report) as it came.
func (p *page) passThrough(res *api.Response) {
	for _, h := range []string{"Content-Type", "Content-Disposition", "Content-Length", "ETag"} {
		if v := res.Header.Get(h); v != "" {
			p.w.Header().Set(h, v)
		}
	}
	p.w.Header().Set("Cache-Control", "no-store")
	p.w.WriteHeader(res.Status)
	_, _ = p.w.Write(res.Body)
}

func (s *Server) downloadReport(p *page) error {
	res, err := s.api.Call(p.r.Context(), p.v.Principal, p.remote(), http.MethodGet, "/api/reports/"+url.PathEscape(p.r.PathValue("name")), nil, "")
	if err != nil {
		return err
	}
	if pr := res.Problem(); pr != nil {
		return pr
	}
	p.passThrough(res)
	return nil
}

// generateForm is the report generation form.
func generateForm(p *page) templ.Component {
	return reportForm(p, p.vcenterOptions(), p.today())
}

func (s *Server) generateReport(p *page) error {
	f, ok := s.formOrBack(p, "/reports")
	if !ok {
		return nil
	}
	in := api.GenerateRequest{Kind: f.Get("kind"), Vcenter: f.Get("vcenter"), Granularity: f.Get("granularity"),
		VMName: strings.TrimSpace(f.Get("vm_name"))}
	at, err := time.ParseInLocation(time.DateOnly, f.Get("day"), p.s.o.Location)
	if err != nil {
		return p.redirectErr("/reports", "Day: want a date (YYYY-MM-DD).")
	}
	switch in.Kind {
	case "daily", "monthly":
		in.Period = at
	case "hourly", "asof":
		in.SnapshotTime = at.Add(24*time.Hour - time.Second)
	case "rvtools":
		// Today (or later) is the latest state; an earlier day is as of
		// its end.
		if f.Get("day") < p.today() {
			in.SnapshotTime = at.Add(24*time.Hour - time.Second)
		}
	case "rightsizing":
		// The 30 days up to and including the day.
		in.From, in.To = at.Add(-29*24*time.Hour), at.Add(24*time.Hour)
	case "totals", "changes":
		in.From, in.To = at, at.Add(24*time.Hour)
		if in.Granularity == "" {
			in.Granularity = "hourly"
		}
	}
	if in.Kind != "totals" {
		in.Granularity = ""
	}
	res, err := s.api.Call(p.r.Context(), p.v.Principal, p.remote(), http.MethodPost, "/api/reports/generate", in, "")
	if err != nil {
		return err
	}
	if pr := res.Problem(); pr != nil {
		return p.actionFailed("/reports", pr)
	}
	p.passThrough(res)
	return nil
}
