package api

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/accessvault/vinventory/capture"
	"github.com/accessvault/vinventory/internal/jobs"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

// Collector is one endpoint's health.
type Collector struct {
	Endpoint            string                 `json:"endpoint"`
	URL                 string                 `json:"url"`
	Kind                string                 `json:"kind"`
	Enabled             bool                   `json:"enabled"`
	PollIntervalSeconds float64                `json:"poll_interval_seconds"`
	LastAttempt         time.Time              `json:"last_attempt,omitzero"`
	LastSuccess         time.Time              `json:"last_success,omitzero"`
	LastError           string                 `json:"last_error,omitempty"`
	LastDurationSeconds float64                `json:"last_duration_seconds"`
	ConsecutiveFailures int                    `json:"consecutive_failures"`
	Counts              inventory.ObjectCounts `json:"counts"`
	// Live is the endpoint's live watcher in the serving process, when
	// live updates are on (state standby: another replica watches it).
	Live *capture.WatchStats `json:"live,omitempty"`
}

func (a *API) listCollectors(ctx context.Context, _ *struct{}) (*listOutput[Collector], error) {
	items, err := a.collectors(ctx, scopeOf(ctx))
	if err != nil {
		return nil, a.internal(ctx, "list collectors", err)
	}
	return newList(items, ""), nil
}

// collectors are the collector cards of the endpoints sc sees.
func (a *API) collectors(ctx context.Context, sc scope) ([]Collector, error) {
	eps, err := a.o.Store.ListEndpoints(ctx, &store.ListEndpointsParams{})
	if err != nil {
		return nil, fmt.Errorf("list endpoints: %w", err)
	}
	sts, err := a.o.Store.ListCaptureStatus(ctx, &store.ListCaptureStatusParams{})
	if err != nil {
		return nil, fmt.Errorf("list capture status: %w", err)
	}
	eps = visible(sc, eps, func(e inventory.Endpoint) string { return e.Name })
	byName := map[string]inventory.CaptureStatus{}
	for _, s := range sts {
		byName[s.Endpoint] = s
	}
	live := map[string]capture.WatchStats{}
	if a.o.Live != nil {
		for _, l := range a.o.Live() {
			live[l.Endpoint] = l
		}
	}
	var items []Collector
	for _, ep := range eps {
		s := byName[ep.Name]
		var lw *capture.WatchStats
		if l, ok := live[ep.Name]; ok {
			lw = &l
		}
		items = append(items, Collector{Live: lw,
			Endpoint: ep.Name, URL: ep.URL, Kind: string(ep.Kind), Enabled: ep.Enabled,
			PollIntervalSeconds: ep.EffectivePollInterval().Seconds(),
			LastAttempt:         s.LastAttempt, LastSuccess: s.LastSuccess, LastError: s.LastError,
			LastDurationSeconds: s.LastDuration.Seconds(), ConsecutiveFailures: s.ConsecutiveFailures, Counts: s.Counts,
		})
	}
	return items, nil
}

// Page is the common list parameters.
type Page struct {
	Limit  int    `query:"limit" minimum:"1" maximum:"1000" default:"100" doc:"Items per page."`
	Cursor string `query:"cursor" maxLength:"512" doc:"The next_cursor of the previous page."`
}

// Snapshot is one registry record.
type Snapshot struct {
	Vcenter         string    `json:"vcenter"`
	Kind            string    `json:"kind"`
	SnapshotTime    time.Time `json:"snapshot_time"`
	TableName       string    `json:"table_name,omitempty"`
	RowCount        int       `json:"row_count"`
	DurationSeconds float64   `json:"duration_seconds"`
	RegisteredAt    time.Time `json:"registered_at"`
	Partial         bool      `json:"partial,omitempty"`
}

type snapshotsInput struct {
	Vcenter string    `query:"vcenter" maxLength:"256" doc:"Only this vCenter."`
	Kind    string    `query:"kind" enum:"hourly,daily,monthly" default:"hourly"`
	From    time.Time `query:"from" doc:"Snapshot time at or after (RFC 3339)."`
	To      time.Time `query:"to" doc:"Snapshot time before (RFC 3339)."`
	Sort    string    `query:"sort" enum:"snapshot_time,-snapshot_time" default:"-snapshot_time"`
	Page
}

// timeCursor is the cursor of lists the store pages by time bounds only
// (the snapshot registry, ordered by time, then vCenter): the last item's
// time and vCenter, how many items at that time were already returned,
// and the sort it was taken under.
type timeCursor struct {
	T       time.Time `json:"t"`
	Vcenter string    `json:"v"`
	Ties    int       `json:"n"`
	Sort    string    `json:"s"`
}

func encodeCursor(c timeCursor) string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s, sort string) (timeCursor, error) {
	var c timeCursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		err = json.Unmarshal(b, &c)
	}
	if err != nil || c.T.IsZero() {
		return c, invalid("cursor", "not a cursor this list returned")
	}
	if c.Sort != sort {
		return c, invalid("cursor", fmt.Sprintf("the cursor was made for sort=%s, not %s", c.Sort, sort))
	}
	return c, nil
}

func (a *API) listSnapshots(ctx context.Context, in *snapshotsInput) (*listOutput[Snapshot], error) {
	sc := scopeOf(ctx)
	vc, _, ok := sc.filter(in.Vcenter)
	if !ok {
		return newList[Snapshot](nil, ""), nil
	}
	p := &store.ListSnapshotsParams{Vcenter: vc, Kind: inventory.Granularity(in.Kind), From: in.From, To: in.To,
		Descending: in.Sort == "-snapshot_time", Limit: in.Limit + 1}
	if !in.From.IsZero() && !in.To.IsZero() && !in.To.After(in.From) {
		return nil, invalid("to", "must be after from")
	}
	var c timeCursor
	if in.Cursor != "" {
		var err error
		if c, err = decodeCursor(in.Cursor, in.Sort); err != nil {
			return nil, err
		}
		// The page starts at the cursor's time (several vCenters share a
		// snapshot time): fetch the ties already returned again and drop
		// them.
		if p.Descending {
			p.To = c.T.Add(time.Nanosecond)
		} else {
			p.From = c.T
		}
		p.Limit += c.Ties
	}
	recs, err := a.o.Store.ListSnapshots(ctx, p)
	if err != nil {
		return nil, a.storeError(ctx, "list snapshots", err)
	}
	more := len(recs) == p.Limit // the store may hold more
	recs = slices.DeleteFunc(recs, func(r inventory.SnapshotRecord) bool {
		return in.Cursor != "" && r.SnapshotTime.Equal(c.T) &&
			(p.Descending && r.Vcenter >= c.Vcenter || !p.Descending && r.Vcenter <= c.Vcenter)
	})
	if len(recs) > in.Limit {
		recs, more = recs[:in.Limit], true
	}
	var items []Snapshot
	for _, r := range recs {
		if !sc.sees(r.Vcenter) {
			continue // the page may be short; next_cursor goes on
		}
		items = append(items, Snapshot{Vcenter: r.Vcenter, Kind: string(r.Kind), SnapshotTime: r.SnapshotTime.UTC(),
			TableName: r.TableName, RowCount: r.RowCount, DurationSeconds: r.Duration.Seconds(), RegisteredAt: r.RegisteredAt.UTC(), Partial: r.Partial})
	}
	next := ""
	if more && len(recs) > 0 {
		last := recs[len(recs)-1]
		nc := timeCursor{T: last.SnapshotTime, Vcenter: last.Vcenter, Sort: in.Sort}
		for _, r := range recs {
			if r.SnapshotTime.Equal(last.SnapshotTime) {
				nc.Ties++
			}
		}
		if in.Cursor != "" && last.SnapshotTime.Equal(c.T) {
			nc.Ties += c.Ties
		}
		next = encodeCursor(nc)
	}
	return newList(items, next), nil
}

type eventsInput struct {
	Vcenter string    `query:"vcenter" maxLength:"256"`
	VMID    string    `query:"vm_id" maxLength:"256"`
	Kind    []string  `query:"kind,explode" doc:"Only these kinds (repeatable): created, deleted, reappeared, power, resize, host_move, pool_move, rename, mass_absence, identity_change, disk_added, disk_removed, disk_resized, nic_added, nic_removed, nic_reconnected, snapshot_created, snapshot_removed, tools_status, hardware_upgraded, annotation, out_of_scope, in_scope."`
	From    time.Time `query:"from" doc:"Snapshot time at or after (RFC 3339)."`
	To      time.Time `query:"to" doc:"Snapshot time before (RFC 3339)."`
	Sort    string    `query:"sort" enum:"snapshot_time,-snapshot_time" default:"-snapshot_time"`
	Page
}

func (a *API) listEvents(ctx context.Context, in *eventsInput) (*listOutput[inventory.Event], error) {
	sc := scopeOf(ctx)
	vc, _, ok := sc.filter(in.Vcenter)
	if !ok {
		return newList[inventory.Event](nil, ""), nil
	}
	p := &store.ListEventsParams{Vcenter: vc, VMID: in.VMID, From: in.From, To: in.To,
		Descending: in.Sort == "-snapshot_time", Limit: in.Limit, Cursor: in.Cursor}
	for _, k := range in.Kind {
		if !slices.Contains(inventory.EventKinds(), inventory.EventKind(k)) {
			return nil, invalid("kind", fmt.Sprintf("%q is not an event kind", k))
		}
		p.Kinds = append(p.Kinds, inventory.EventKind(k))
	}
	pg, err := a.o.Store.ListEvents(ctx, p)
	if err != nil {
		return nil, a.storeError(ctx, "list events", err)
	}
	return newList(visible(sc, pg.Events, func(e inventory.Event) string { return e.Vcenter }), pg.NextCursor), nil
}

type reportsInput struct {
	Vcenter string    `query:"vcenter" maxLength:"256"`
	Kind    string    `query:"kind" maxLength:"64" doc:"A report kind: hourly, daily, monthly, ..."`
	From    time.Time `query:"from" doc:"Period at or after (RFC 3339)."`
	To      time.Time `query:"to" doc:"Period before (RFC 3339)."`
	Page
}

// catalog returns the store's report catalog, or a 503 naming the lack.
func (a *API) catalog() (store.ReportCatalog, error) {
	rc, ok := a.o.Store.(store.ReportCatalog)
	if !ok {
		return nil, huma.Error503ServiceUnavailable("this store keeps no report catalog")
	}
	return rc, nil
}

func (a *API) listReports(ctx context.Context, in *reportsInput) (*listOutput[store.ReportInfo], error) {
	rc, err := a.catalog()
	if err != nil {
		return nil, err
	}
	sc := scopeOf(ctx)
	vc, _, ok := sc.filter(in.Vcenter)
	if !ok {
		return newList[store.ReportInfo](nil, ""), nil
	}
	pg, err := rc.ListReports(ctx, &store.ListReportsParams{Vcenter: vc, Kind: in.Kind, From: in.From, To: in.To,
		Limit: in.Limit, Cursor: in.Cursor})
	if err != nil {
		return nil, a.storeError(ctx, "list reports", err)
	}
	return newList(visible(sc, pg.Reports, func(r store.ReportInfo) string { return r.Vcenter }), pg.NextCursor), nil
}

type reportInput struct {
	Name string `path:"name" maxLength:"512" doc:"The report's key (its file name)."`
}

func (a *API) getReport(ctx context.Context, in *reportInput) (*huma.StreamResponse, error) {
	rc, err := a.catalog()
	if err != nil {
		return nil, err
	}
	info, body, err := rc.OpenReport(ctx, &store.OpenReportParams{Key: in.Name})
	if err == nil && !scopeOf(ctx).sees(info.Vcenter) {
		body.Close()
		err = store.ErrNotFound
	}
	if errors.Is(err, store.ErrNotFound) {
		return nil, huma.Error404NotFound(fmt.Sprintf("no report named %q", in.Name))
	}
	if err != nil {
		return nil, a.storeError(ctx, "open report", err)
	}
	a.audit(ctx, "report.download", info.Key, nil, info, http.StatusOK)
	return &huma.StreamResponse{Body: func(hc huma.Context) {
		defer body.Close()
		hc.SetHeader("Content-Type", xlsxType)
		hc.SetHeader("Content-Length", fmt.Sprint(info.Size))
		hc.SetHeader("Content-Disposition", contentDisposition(info.Key))
		hc.SetHeader("ETag", `"`+info.SHA256+`"`)
		hc.SetStatus(http.StatusOK)
		if _, err := io.Copy(hc.BodyWriter(), body); err != nil && ctx.Err() == nil {
			a.log.Warn("api: streaming a report", "report", info.Key, "error", err)
		}
	}}, nil
}

// contentDisposition names a download: an ASCII fallback and the UTF-8
// name (RFC 6266), quotes and controls removed.
func contentDisposition(name string) string {
	ascii := strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' {
			return '_'
		}
		return r
	}, name)
	var enc strings.Builder
	for _, b := range []byte(name) {
		if b >= 0x80 || b <= 0x20 || strings.IndexByte(`"%'()*,/:;<=>?@[\]{}`, b) >= 0 {
			fmt.Fprintf(&enc, "%%%02X", b)
		} else {
			enc.WriteByte(b)
		}
	}
	return fmt.Sprintf(`attachment; filename="%s"; filename*=UTF-8''%s`, ascii, enc.String())
}

// storeError maps a store error: invalid params are the client's (422,
// naming the field), anything else a logged 500.
func (a *API) storeError(ctx context.Context, what string, err error) error {
	var ip *store.InvalidParamsError
	if errors.As(err, &ip) {
		return invalid(apiParam(ip.Field), ip.Reason)
	}
	return a.internal(ctx, what, err)
}

// apiParam names a store params field as the API's query parameter.
func apiParam(field string) string {
	switch field {
	case "Cursor":
		return "cursor"
	case "Limit":
		return "limit"
	case "From":
		return "from"
	case "To":
		return "to"
	case "Vcenter":
		return "vcenter"
	}
	return strings.ToLower(field)
}

type jobsInput struct {
	Job   string `query:"job" maxLength:"256" doc:"Only this job, e.g. daily, capture:vc1, repair."`
	Limit int    `query:"limit" minimum:"1" maximum:"1000" default:"100"`
}

func (a *API) jobsOrUnavailable() (Jobs, error) {
	if a.o.Jobs == nil {
		return nil, huma.Error503ServiceUnavailable("this server runs no job queue")
	}
	return a.o.Jobs, nil
}

func (a *API) listJobs(ctx context.Context, in *jobsInput) (*listOutput[jobs.Run], error) {
	q, err := a.jobsOrUnavailable()
	if err != nil {
		return nil, err
	}
	runs, err := q.History(ctx, in.Job, in.Limit)
	if err != nil {
		return nil, a.internal(ctx, "job history", err)
	}
	sc := scopeOf(ctx)
	return newList(keep(runs, func(r jobs.Run) bool { return runVisible(sc, r) }), ""), nil
}

type jobInput struct {
	ID int64 `path:"id" minimum:"1"`
}

type jobOutput struct {
	Body jobs.Run
}

func (a *API) getJob(ctx context.Context, in *jobInput) (*jobOutput, error) {
	q, err := a.jobsOrUnavailable()
	if err != nil {
		return nil, err
	}
	r, err := q.RunByID(ctx, in.ID)
	if err != nil {
		return nil, a.internal(ctx, "job run", err)
	}
	if r == nil || !runVisible(scopeOf(ctx), *r) {
		return nil, huma.Error404NotFound(fmt.Sprintf("no job run %d", in.ID))
	}
	return &jobOutput{Body: *r}, nil
}

// keyCursor is the cursor of lists the store streams in key order (a
// snapshot's samples, a period's rollups): the last key returned and the
// list it belongs to (a snapshot or period), so a cursor is never applied
// to another list.
type keyCursor struct {
	Key  string `json:"k"`
	List string `json:"l"`
}

func encodeKeyCursor(key, list string) string {
	b, _ := json.Marshal(keyCursor{Key: key, List: list})
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeKeyCursor(s, list string) (string, error) {
	var c keyCursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		err = json.Unmarshal(b, &c)
	}
	if err != nil || c.Key == "" {
		return "", invalid("cursor", "not a cursor this list returned")
	}
	if c.List != list {
		return "", invalid("cursor", "the cursor belongs to another list (a different snapshot or period)")
	}
	return c.Key, nil
}

// runVisible reports whether a scoped caller may see a job run: one that
// names only vCenters it sees (a capture, or a request with -vcenter
// flags). Runs over every vCenter (the daily and monthly aggregations, a
// repair of all) are for unscoped tokens.
func runVisible(sc scope, r jobs.Run) bool {
	if sc.all {
		return true
	}
	if vc, ok := strings.CutPrefix(r.Job, "capture:"); ok {
		return sc.sees(vc)
	}
	req, _ := jobs.RequestOf(r)
	vcs := req.Vcenters()
	return len(vcs) > 0 && !slices.ContainsFunc(vcs, func(vc string) bool { return !sc.sees(vc) })
}
