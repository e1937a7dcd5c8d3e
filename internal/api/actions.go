package api

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/accessvault/vinventory/internal/jobs"
)

// registerActions declares the operator calls of API.md's compatibility
// list: each queues a maintenance command as an on-demand job (durable in
// the shared queue, so two replicas never run it twice) and answers 202
// with the run's id.
func (a *API) registerActions() {
	for _, c := range []struct {
		path, id, summary, doc string
	}{
		{"/api/snapshots/aggregate", "aggregate-snapshots", "Aggregate days or months again",
			"Queues `rebuild` over the range: every day (granularity daily) or every month holding the range (monthly) is aggregated again from the hourly samples, for one vCenter or, without vcenter, every one."},
		{"/api/snapshots/repair", "repair-snapshots", "Repair one vCenter's history",
			"Queues `repair` for the vCenter over the range: missing hourly snapshots re-imported from compatibility tables, lifecycle rows re-derived, every period re-aggregated. vcenter is required."},
		{"/api/snapshots/repair/all", "repair-all-snapshots", "Repair every vCenter's history",
			"Queues `repair` over the range for every vCenter (vcenter is ignored). Needs a token without a vCenter scope."},
		{"/api/snapshots/regenerate-hourly-reports", "regenerate-hourly-reports", "Write the hourly reports of a range again",
			"Queues `regenerate-reports -kinds hourly` over the range, for one vCenter or every one."},
		{"/api/vcenters/cache/rebuild", "rebuild-vcenter-cache", "Rebuild the VM lifecycle cache",
			"Queues `repair` for the vCenter (or every one) over the range: the lifecycle cache (vm_lifecycle_cache) is re-derived from the samples and the periods re-aggregated."},
	} {
		o := op(http.MethodPost, c.path, c.id, c.summary, RoleOperator, "operations")
		o.Description = c.doc + " " + o.Description
		o.DefaultStatus = http.StatusAccepted
		o.Errors = append(o.Errors, http.StatusServiceUnavailable)
		path := c.path
		huma.Register(a.h, o, func(ctx context.Context, in *actionInput) (*actionOutput, error) {
			return a.enqueueAction(ctx, path, &in.Body)
		})
	}
}

// ActionRequest is the body of the compatibility calls. Fields that do not
// apply are ignored.
type ActionRequest struct {
	Vcenter     string `json:"vcenter,omitempty" maxLength:"256" doc:"The vCenter (endpoint name); empty means every vCenter where the call allows it."`
	Granularity string `json:"granularity,omitempty" enum:"daily,monthly" default:"daily" doc:"For aggregate: days or months."`
	From        string `json:"from" format:"date" doc:"First day, YYYY-MM-DD, in the server's aggregation location."`
	To          string `json:"to,omitempty" format:"date" doc:"Last day (inclusive), YYYY-MM-DD. Defaults to from."`
}

type actionInput struct {
	Body ActionRequest
}

// Queued is the answer of a call that queued a job.
type Queued struct {
	JobID int64 `json:"job_id"`
	// Queued is false when the same request was already waiting or
	// running: JobID is that run's.
	Queued    bool   `json:"queued"`
	StatusURL string `json:"status_url" doc:"Poll it for the run's state and progress."`
	Command   string `json:"command" doc:"The maintenance command queued, as vinventoryd enqueue would take it."`
}

type actionOutput struct {
	Location string `header:"Location"`
	Body     Queued
}

// enqueueAction checks an operator call and queues its command.
func (a *API) enqueueAction(ctx context.Context, path string, in *ActionRequest) (*actionOutput, error) {
	if a.o.Jobs == nil {
		return nil, huma.Error503ServiceUnavailable("this server runs no job queue")
	}
	from, err := time.ParseInLocation(time.DateOnly, in.From, a.o.Location)
	if err != nil {
		return nil, invalidBody("from", "want a day, YYYY-MM-DD")
	}
	to := from
	if in.To != "" {
		if to, err = time.ParseInLocation(time.DateOnly, in.To, a.o.Location); err != nil {
			return nil, invalidBody("to", "want a day, YYYY-MM-DD")
		}
		if to.Before(from) {
			return nil, invalidBody("to", "must not be before from")
		}
	}
	sc := scopeOf(ctx)
	vc := in.Vcenter
	switch {
	case path == "/api/snapshots/repair/all":
		if !sc.all {
			return nil, huma.Error403Forbidden("repairing every vCenter needs a token without a vCenter scope")
		}
		vc = ""
	case path == "/api/snapshots/repair" && vc == "":
		return nil, invalidBody("vcenter", "is required (use /api/snapshots/repair/all for every vCenter)")
	case vc == "" && !sc.all:
		if len(sc.list) != 1 {
			return nil, invalidBody("vcenter", "is required: this token is scoped to several vCenters")
		}
		vc = sc.list[0]
	case vc != "" && !sc.sees(vc):
		return nil, huma.Error403Forbidden(fmt.Sprintf("this token may not act on vCenter %q", vc))
	}
	args := []string{"-from", from.Format(time.DateOnly), "-to", to.Format(time.DateOnly)}
	if vc != "" {
		args = append(args, "-vcenter", vc)
	}
	var req jobs.Request
	switch path {
	case "/api/snapshots/aggregate":
		req = jobs.Request{Command: "rebuild", Args: args}
		if in.Granularity == "monthly" {
			req.Args = append(req.Args, "-months")
		}
	case "/api/snapshots/regenerate-hourly-reports":
		req = jobs.Request{Command: "regenerate-reports", Args: append(args, "-kinds", "hourly")}
	default: // repair, repair/all, vcenters/cache/rebuild
		req = jobs.Request{Command: "repair", Args: args}
	}
	id, queued, err := a.o.Jobs.EnqueueRequest(ctx, req)
	if err != nil {
		return nil, a.internal(ctx, "enqueue "+req.Command, err)
	}
	status := fmt.Sprintf("/api/jobs/%d", id)
	out := &actionOutput{Location: status, Body: Queued{JobID: id, Queued: queued, StatusURL: status, Command: req.Key()}}
	a.audit(ctx, "job.enqueue", req.Key(), nil, out.Body, http.StatusAccepted)
	return out, nil
}

// invalidBody is a 422 naming one body field.
func invalidBody(name, reason string) error {
	return huma.Error422UnprocessableEntity("", &huma.ErrorDetail{Location: "body." + name, Message: reason})
}
