package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/report"
	"github.com/accessvault/vinventory/store"
)

// GenerateRequest asks for a report (report.Request): the fields a kind
// needs, the rest ignored.
type GenerateRequest struct {
	Kind         string    `json:"kind" enum:"hourly,daily,monthly,totals,trace,asof,changes,rvtools,rightsizing"`
	Vcenter      string    `json:"vcenter,omitempty" maxLength:"256" doc:"One vCenter; hourly, asof and trace need one (rvtools: empty is every vCenter)."`
	SnapshotTime time.Time `json:"snapshot_time,omitzero" doc:"hourly: the snapshot; asof: the time looked back to; rvtools: the time looked back to, or empty for the latest state."`
	Period       time.Time `json:"period,omitzero" doc:"daily, monthly: any time in the day or month."`
	Granularity  string    `json:"granularity,omitempty" enum:"hourly,daily,monthly" doc:"totals: the granularity."`
	From         time.Time `json:"from,omitzero" doc:"totals, rightsizing: range start; changes: the earlier time."`
	To           time.Time `json:"to,omitzero" doc:"totals, rightsizing: range end; changes: the later time."`
	VMID         string    `json:"vm_id,omitempty" maxLength:"256"`
	VMUUID       string    `json:"vm_uuid,omitempty" maxLength:"256"`
	VMName       string    `json:"vm_name,omitempty" maxLength:"1024"`
}

func (a *API) registerGenerate() {
	o := op(http.MethodPost, "/api/reports/generate", "generate-report",
		"Write a report now and stream the XLSX workbook (nothing is stored)", RoleOperator, "reports")
	o.Errors = append(o.Errors, http.StatusNotFound)
	o.Responses = map[string]*huma.Response{"200": {Description: "The XLSX workbook", Content: map[string]*huma.MediaType{
		xlsxType: {Schema: &huma.Schema{Type: "string", Format: "binary"}},
	}}}
	huma.Register(a.h, o, a.generateReport)
}

const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// snakeField turns a report.Request field name into the body's JSON name.
var upper = regexp.MustCompile(`([a-z0-9])([A-Z])`)

func snakeField(f string) string {
	switch f {
	case "VMID":
		return "vm_id"
	case "VMUUID":
		return "vm_uuid"
	case "VMName":
		return "vm_name"
	}
	return strings.ToLower(upper.ReplaceAllString(f, "${1}_${2}"))
}

func (a *API) generateReport(ctx context.Context, in *struct{ Body GenerateRequest }) (*huma.StreamResponse, error) {
	b := in.Body
	sc := scopeOf(ctx)
	vc := b.Vcenter
	switch {
	case vc == "" && !sc.all:
		if len(sc.list) != 1 {
			return nil, invalidBody("vcenter", "is required: this token is scoped to several vCenters")
		}
		vc = sc.list[0]
	case vc != "" && !sc.sees(vc):
		return nil, huma.Error403Forbidden(fmt.Sprintf("this token may not read vCenter %q", vc))
	}
	req := report.Request{Kind: report.Kind(b.Kind), Vcenter: vc, SnapshotTime: b.SnapshotTime, Period: b.Period,
		Granularity: inventory.Granularity(b.Granularity), From: b.From, To: b.To, VMID: b.VMID, VMUUID: b.VMUUID, VMName: b.VMName}
	if err := req.Validate(); err != nil {
		return nil, a.reportError(ctx, err)
	}
	opts := report.Options{Location: a.o.Location, Tiers: a.o.Tiers}
	return &huma.StreamResponse{Body: func(hc huma.Context) {
		w := &lazyWriter{hc: hc, name: req.FileName()}
		err := report.Write(ctx, a.o.Store, req, w, opts)
		if err == nil {
			a.audit(ctx, "report.generate", req.FileName(), nil, b, http.StatusOK)
			return
		}
		if w.started {
			a.log.Warn("api: streaming a generated report", "report", req.FileName(), "error", err)
			return
		}
		herr := a.reportError(ctx, err)
		var se huma.StatusError
		if errors.As(herr, &se) {
			hc.SetHeader("Content-Type", "application/problem+json")
			hc.SetStatus(se.GetStatus())
			_ = json.NewEncoder(hc.BodyWriter()).Encode(se)
		}
	}}, nil
}

// reportError maps a report error: an invalid request names its field
// (422), no data is 404, anything else a logged 500.
func (a *API) reportError(ctx context.Context, err error) error {
	var re *report.Error
	switch {
	case errors.Is(err, store.ErrUnsupported):
		return huma.Error501NotImplemented("this store cannot make this report (rightsizing needs a store that keeps utilisation metrics)")
	case errors.Is(err, report.ErrNoData):
		return huma.Error404NotFound("no data for this report: " + strings.TrimPrefix(errors.Unwrap(err).Error(), "report: "))
	case errors.As(err, &re) && errors.Is(err, report.ErrInvalidRequest):
		return invalidBody(snakeField(re.Field), strings.TrimPrefix(re.Err.Error(), report.ErrInvalidRequest.Error()+": "))
	}
	return a.internal(ctx, "generate report", err)
}

// lazyWriter sets the download's headers and status on the first write, so
// a report that fails before its bytes can still answer an error.
type lazyWriter struct {
	hc      huma.Context
	name    string
	started bool
}

func (w *lazyWriter) Write(p []byte) (int, error) {
	if !w.started {
		w.started = true
		w.hc.SetHeader("Content-Type", xlsxType)
		w.hc.SetHeader("Content-Disposition", contentDisposition(w.name))
		w.hc.SetStatus(http.StatusOK)
	}
	return w.hc.BodyWriter().Write(p)
}
