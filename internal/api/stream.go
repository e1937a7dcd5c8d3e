package api

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"

	"github.com/accessvault/vinventory/internal/jobs"
	"github.com/accessvault/vinventory/internal/live"
)

// streamJobRuns is how many of the newest job runs the job card source
// watches.
const streamJobRuns = 50

type streamInput struct {
	LastEventID string `header:"Last-Event-ID" maxLength:"64" doc:"Resume after this message id (\"<change seq>-<event id>\"): the retained changes and events after it come first. The browser's EventSource sends it when it reconnects."`
	QueryLastID string `query:"last_event_id" maxLength:"64" doc:"The same as the Last-Event-ID header, for clients that cannot set it."`
	Vcenter     string `query:"vcenter" maxLength:"256" doc:"Only messages about this vCenter."`
	Types       string `query:"types" maxLength:"128" doc:"Comma-separated message types to receive: change, event, job, collector, alert (default: every one). resync is always sent."`
}

// registerStream declares GET /api/stream.
func (a *API) registerStream() {
	o := op(http.MethodGet, "/api/stream", "stream", "Live changes, events, job and collector state (Server-Sent Events)", RoleViewer, "live")
	o.Description += " A text/event-stream: each message has an `id` (a cursor, `<change seq>-<event id>`), an `event` " +
		"(`change`: an inventory change, `event`: a lifecycle or change event, `job`: a job run whose state or progress changed, " +
		"`collector`: an endpoint's collector card that changed, `alert`: an alert that opened or changed state, `resync`: messages were lost, re-read the state) and a JSON `data` line. " +
		"A comment line is sent every 15 seconds while idle. The token's vCenter scope applies."
	o.Errors = append(o.Errors, http.StatusServiceUnavailable)
	o.Responses = map[string]*huma.Response{"200": {Description: "The event stream", Content: map[string]*huma.MediaType{
		"text/event-stream": {Schema: &huma.Schema{Type: "string", Description: "Server-Sent Events: `id:`, `event:` and `data:` lines per message."}},
	}}}
	huma.Register(a.h, o, a.stream)
}

func (a *API) stream(ctx context.Context, in *streamInput) (*huma.StreamResponse, error) {
	if a.o.Hub == nil {
		return nil, huma.Error503ServiceUnavailable("this server streams no live updates")
	}
	p := live.SubscribeParams{Vcenter: strings.TrimSpace(in.Vcenter)}
	if id := cmpOr(in.LastEventID, in.QueryLastID); id != "" {
		c, err := live.ParseCursor(id)
		if err != nil {
			return nil, huma.Error422UnprocessableEntity("", &huma.ErrorDetail{Location: "header.Last-Event-ID", Message: "not a message id of this stream (<change seq>-<event id>)", Value: id})
		}
		p.After = &c
	}
	for t := range strings.SplitSeq(in.Types, ",") {
		if t = strings.TrimSpace(t); t == "" {
			continue
		}
		if !slices.Contains(live.Kinds(), live.Kind(t)) {
			return nil, invalid("types", "unknown type "+strconv.Quote(t)+"; want change, event, job, collector or alert")
		}
		p.Kinds = append(p.Kinds, live.Kind(t))
	}
	sc := scopeOf(ctx)
	if !sc.all {
		p.Visible = func(vcs []string) bool {
			return len(vcs) > 0 && !slices.ContainsFunc(vcs, func(vc string) bool { return !sc.sees(vc) })
		}
	}
	hub := a.o.Hub
	return &huma.StreamResponse{Body: func(hc huma.Context) {
		r, w := humago.Unwrap(hc)
		if err := hub.Serve(w, r, p); err != nil {
			if !errors.Is(err, context.Canceled) {
				a.log.Warn("api: stream unavailable", slog.Any("error", err))
			}
			_ = huma.WriteErr(a.h, hc, http.StatusServiceUnavailable, "the live stream is unavailable; try again later")
		}
	}}, nil
}

func cmpOr(a, b string) string {
	if a = strings.TrimSpace(a); a != "" {
		return a
	}
	return strings.TrimSpace(b)
}

// Streams reports whether the API serves /api/stream (Options.Hub is
// set).
func (a *API) Streams() bool { return a.o.Hub != nil }

// ServeStream serves GET /api/stream (with r's query) on behalf of p: the
// web pages' stream, authenticated by their session, with the same scope,
// filters and errors as the API's.
func (a *API) ServeStream(w http.ResponseWriter, r *http.Request, p Principal) {
	r2 := r.Clone(context.WithValue(r.Context(), inProcessKey{}, p))
	r2.URL.Path = "/api/stream"
	r2.URL.RawPath = ""
	r2.RequestURI = r2.URL.RequestURI()
	a.ServeHTTP(w, r2)
}

// collectorCards are the collector cards of every endpoint: the hub
// publishes the ones that change.
func (a *API) collectorCards(ctx context.Context) ([]live.Card, error) {
	cols, err := a.collectors(ctx, scope{all: true})
	if err != nil {
		return nil, err
	}
	cards := make([]live.Card, len(cols))
	for i, c := range cols {
		cards[i] = live.Card{Key: c.Endpoint, Vcenters: []string{c.Endpoint}, Value: c}
	}
	return cards, nil
}

// jobCards are the newest job runs: the hub publishes the ones whose
// state or progress changes.
func (a *API) jobCards(ctx context.Context) ([]live.Card, error) {
	runs, err := a.o.Jobs.History(ctx, "", streamJobRuns)
	if err != nil {
		return nil, err
	}
	cards := make([]live.Card, len(runs))
	for i, r := range runs {
		cards[i] = live.Card{Key: strconv.FormatInt(r.ID, 10), Vcenters: runVcenters(r), Value: r}
	}
	return cards, nil
}

// runVcenters are the vCenters a run is about (runVisible's rule).
func runVcenters(r jobs.Run) []string {
	if vc, ok := strings.CutPrefix(r.Job, "capture:"); ok {
		return []string{vc}
	}
	req, _ := jobs.RequestOf(r)
	return req.Vcenters()
}
