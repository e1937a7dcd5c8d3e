package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"

	"github.com/accessvault/vinventory/capture"
	"github.com/accessvault/vinventory/internal/jobs"
	"github.com/accessvault/vinventory/internal/live"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

// Jobs is the job queue as the API uses it: the runs in river's table,
// and on-demand maintenance requests queued by operator calls.
type Jobs interface {
	History(ctx context.Context, job string, limit int) ([]jobs.Run, error)
	RunByID(ctx context.Context, id int64) (*jobs.Run, error)
	// EnqueueRequest queues a maintenance request as an on-demand run and
	// returns its ID, or the ID of the same request already waiting or
	// running with queued false.
	EnqueueRequest(ctx context.Context, r jobs.Request) (id int64, queued bool, err error)
}

// Options configure the API.
type Options struct {
	// Store is read (and, for admin calls, written). Required.
	Store store.Store
	// Jobs serves /api/jobs. Optional: without it those paths answer 503.
	Jobs Jobs
	// Tokens authenticates bearer tokens. Required unless NoAuth.
	Tokens TokenSource
	// Connector seals endpoint passwords and tests connections. Optional.
	Connector Connector
	// NoAuth lets every call act as admin without a token: for the demo
	// only (the daemon warns loudly when a configuration asks for it).
	NoAuth bool
	// Logger receives server errors (never secrets). Defaults to
	// discarding them.
	Logger *slog.Logger
	// Version is the API document's version. Defaults to "dev".
	Version string
	// Location cuts days and months (rollups, chargeback, reports): the
	// aggregation location. Defaults to UTC.
	Location *time.Location
	// Tiers maps resource pools to tiers in generated reports. Defaults
	// to inventory.DefaultTierMap().
	Tiers *inventory.TierMap
	// Clock is the current time (month-to-date figures). Defaults to
	// time.Now.
	Clock func() time.Time
	// Live returns the live watchers of this process (live.enabled), shown
	// with /api/collectors. Optional.
	Live func() []capture.WatchStats
	// Hub serves /api/stream. Optional: without it that path answers 503.
	// New adds the collector cards (and, with Jobs, the newest job runs)
	// to it as card sources, so the stream carries their changes.
	Hub *live.Hub
	// Alerts are the hooks of the alert calls (channel secrets, test
	// notifications). Optional: see AlertOptions.
	Alerts AlertOptions
}

// API is the JSON API; it is an http.Handler serving /api/.
type API struct {
	o   Options
	h   huma.API
	mux *http.ServeMux
	log *slog.Logger
}

// ServeHTTP serves the API's paths.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) { a.mux.ServeHTTP(w, csvByQuery(r)) }

// OpenAPI returns the API's OpenAPI 3.1 document.
func (a *API) OpenAPI() *huma.OpenAPI { return a.h.OpenAPI() }

var problemOnce sync.Once

// New validates o and returns the API.
// inventoryPkg is the inventory package's import path.
var inventoryPkg = reflect.TypeFor[inventory.VM]().PkgPath()

func New(o Options) (*API, error) {
	switch {
	case o.Store == nil:
		return nil, errors.New("api: Options.Store is required")
	case o.Tokens == nil && !o.NoAuth:
		return nil, errors.New("api: Options.Tokens is required unless NoAuth is set")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Version == "" {
		o.Version = "dev"
	}
	if o.Location == nil {
		o.Location = time.UTC
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	problemOnce.Do(func() { huma.NewError = newProblem })
	cfg := huma.DefaultConfig("vinventory API", o.Version)
	cfg.OpenAPIPath = "/api/openapi"
	cfg.DocsPath = ""    // huma's page loads from a CDN
	cfg.SchemasPath = "" // schemas stay inside the document
	cfg.CreateHooks = nil
	cfg.RejectUnknownQueryParameters = true
	cfg.Formats[csvType] = csvFormat
	cfg.Transformers = append(cfg.Transformers, csvNextLink)
	cfg.Info.Description = "vinventory's JSON API: the inventory history vinventory captured from vSphere. " +
		"Every operation needs `Authorization: Bearer <token>` with the role it names. Errors are " +
		"RFC 9457 problem documents. Lists take `limit` (default 100, at most 1000) and the opaque " +
		"`cursor` of the previous page's `next_cursor`; durations are in seconds. Every answer is also " +
		"available as CSV (`Accept: text/csv` or `?format=csv`): the same fields, nested ones with dotted names, " +
		"text a spreadsheet would evaluate prefixed with an apostrophe, the next page in a `Link: rel=\"next\"` header."
	// The inventory package's detail types share names with this
	// package's answers (VMDetail, HostDetail, ...): their schemas are
	// named Inventory<Name>.
	cfg.Components.Schemas = huma.NewMapRegistry("#/components/schemas/", func(t reflect.Type, hint string) string {
		name := huma.DefaultSchemaNamer(t, hint)
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
			t = t.Elem()
		}
		if t.PkgPath() == inventoryPkg && strings.HasSuffix(t.Name(), "Detail") {
			return "Inventory" + name
		}
		return name
	})
	cfg.Components.SecuritySchemes = map[string]*huma.SecurityScheme{
		"bearer": {Type: "http", Scheme: "bearer", Description: "an API token"},
	}
	mux := http.NewServeMux()
	a := &API{o: o, mux: mux, log: o.Logger}
	a.h = humago.New(mux, cfg)
	a.h.UseMiddleware(a.authenticate)
	a.register()
	if o.Hub != nil {
		o.Hub.AddCards(live.KindCollector, a.collectorCards)
		if o.Jobs != nil {
			o.Hub.AddCards(live.KindJob, a.jobCards)
		}
	}
	declareCSV(a.h.OpenAPI())
	declareSorts(a.h.OpenAPI(), "/api/vms", store.VMSortFields())
	declareSorts(a.h.OpenAPI(), "/api/hosts", sortFields[inventory.Host]())
	declareSorts(a.h.OpenAPI(), "/api/clusters", sortFields[inventory.Cluster]())
	declareSorts(a.h.OpenAPI(), "/api/datastores", sortFields[inventory.Datastore]())
	declareSorts(a.h.OpenAPI(), "/api/networks", sortFields[inventory.Network]())
	declareSorts(a.h.OpenAPI(), "/api/resource-pools", sortFields[inventory.ResourcePool]())
	mux.HandleFunc("GET /api/docs", serveDocs)
	mux.HandleFunc("GET /api/docs/", serveDocs)
	return a, nil
}

// op declares an operation needing role: its security and metadata.
func op(method, path, id, summary string, role Role, tags ...string) huma.Operation {
	errs := []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden, http.StatusUnprocessableEntity}
	if method == http.MethodPost || method == http.MethodPut {
		errs = append(errs, http.StatusRequestEntityTooLarge) // bodies over 1 MiB
	}
	return huma.Operation{
		OperationID: id, Method: method, Path: path, Summary: summary, Tags: tags,
		Description: fmt.Sprintf("Role: %s.", role),
		Security:    []map[string][]string{{"bearer": {}}},
		Metadata:    map[string]any{"role": role},
		Errors:      errs, MaxBodyBytes: 1 << 20,
	}
}

// register declares every operation.
func (a *API) register() {
	huma.Register(a.h, op(http.MethodGet, "/api/collectors", "list-collectors", "Collector health per endpoint", RoleViewer, "health"), a.listCollectors)
	huma.Register(a.h, op(http.MethodGet, "/api/snapshots", "list-snapshots", "The snapshot registry", RoleViewer, "history"), a.listSnapshots)
	huma.Register(a.h, op(http.MethodGet, "/api/events", "list-events", "Lifecycle and change events", RoleViewer, "history"), a.listEvents)
	huma.Register(a.h, op(http.MethodGet, "/api/reports", "list-reports", "Reports in the store's catalog", RoleViewer, "reports"), a.listReports)
	dl := op(http.MethodGet, "/api/reports/{name}", "get-report", "Download a stored report", RoleViewer, "reports")
	dl.Errors = append(dl.Errors, http.StatusNotFound)
	dl.Responses = map[string]*huma.Response{"200": {Description: "The XLSX workbook", Content: map[string]*huma.MediaType{
		"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {Schema: &huma.Schema{Type: "string", Format: "binary"}},
	}}}
	huma.Register(a.h, dl, a.getReport)
	huma.Register(a.h, op(http.MethodGet, "/api/jobs", "list-jobs", "Job runs, newest first", RoleViewer, "jobs"), a.listJobs)
	get := op(http.MethodGet, "/api/jobs/{id}", "get-job", "One job run with its progress", RoleViewer, "jobs")
	get.Errors = append(get.Errors, http.StatusNotFound)
	huma.Register(a.h, get, a.getJob)
	a.registerEntities()
	a.registerHistory()
	a.registerRollups()
	a.registerActions()
	a.registerEndpoints()
	a.registerGenerate()
	a.registerAdmin()
	a.registerChargeback()
	a.registerQuery()
	a.registerHealth()
	a.registerStream()
	a.registerAlerts()
	a.registerMetrics()
}

// Role is what a token may do.
type Role int

// Roles, each including the ones before it.
const (
	RoleViewer   Role = iota + 1 // reads
	RoleOperator                 // also triggers jobs and report generation
	RoleAdmin                    // also manages endpoints, tokens, settings; reads the audit log
)

func (r Role) String() string {
	switch r {
	case RoleViewer:
		return "viewer"
	case RoleOperator:
		return "operator"
	case RoleAdmin:
		return "admin"
	}
	return fmt.Sprintf("Role(%d)", int(r))
}

// ParseRole reads "viewer", "operator" or "admin".
func ParseRole(s string) (Role, error) {
	for _, r := range []Role{RoleViewer, RoleOperator, RoleAdmin} {
		if s == r.String() {
			return r, nil
		}
	}
	return 0, fmt.Errorf("api: role %q is not viewer, operator or admin", s)
}

// Principal is who made a call.
type Principal struct {
	// Name names the token (for the audit log); never the secret.
	Name string
	Role Role
	// Vcenters is the token's scope: the vCenters it may see. Empty means
	// every vCenter.
	Vcenters []string
}

type principalKey struct{}

// PrincipalFrom returns the caller of a request's context.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// authenticate checks the bearer token against the operation's role.
func (a *API) authenticate(ctx huma.Context, next func(huma.Context)) {
	role, _ := ctx.Operation().Metadata["role"].(Role)
	ctx = huma.WithValue(ctx, remoteKey{}, ctx.RemoteAddr())
	if a.o.NoAuth {
		next(huma.WithValue(ctx, principalKey{}, NoAuthPrincipal))
		return
	}
	if p, ok := ctx.Context().Value(inProcessKey{}).(Principal); ok {
		if p.Role < role {
			_ = huma.WriteErr(a.h, ctx, http.StatusForbidden, fmt.Sprintf("this action needs the %s role; %q is %s", role, p.Name, p.Role))
			return
		}
		next(huma.WithValue(ctx, principalKey{}, p))
		return
	}
	scheme, secret, _ := strings.Cut(ctx.Header("Authorization"), " ")
	if !strings.EqualFold(scheme, "Bearer") || secret == "" {
		ctx.SetHeader("WWW-Authenticate", `Bearer realm="vinventory"`)
		_ = huma.WriteErr(a.h, ctx, http.StatusUnauthorized, "an Authorization: Bearer <token> header is required")
		return
	}
	p, ok, err := a.o.Tokens.Authenticate(ctx.Context(), strings.TrimSpace(secret))
	switch {
	case err != nil:
		a.log.Error("api: authenticating a token", slog.Any("error", err))
		_ = huma.WriteErr(a.h, ctx, http.StatusInternalServerError, "internal error; see the server log")
		return
	case !ok:
		ctx.SetHeader("WWW-Authenticate", `Bearer realm="vinventory", error="invalid_token"`)
		_ = huma.WriteErr(a.h, ctx, http.StatusUnauthorized, "the bearer token is not valid (unknown or revoked)")
		return
	case p.Role < role:
		_ = huma.WriteErr(a.h, ctx, http.StatusForbidden, fmt.Sprintf("this call needs the %s role; the token %q is %s", role, p.Name, p.Role))
		return
	}
	next(huma.WithValue(ctx, principalKey{}, p))
}

// internal logs err (a store or queue failure) and returns the generic 500
// the client sees: no SQL, stack or secret leaves the server.
func (a *API) internal(ctx context.Context, what string, err error) error {
	if errors.Is(err, context.Canceled) && ctx.Err() != nil {
		return huma.NewError(499, "request cancelled")
	}
	a.log.Error("api: "+what, slog.Any("error", err))
	return huma.Error500InternalServerError("internal error; see the server log")
}

// declareCSV adds text/csv to every JSON answer of a GET operation in the
// document: the same data as CSV (see csvFormat).
func declareCSV(doc *huma.OpenAPI) {
	for _, item := range doc.Paths {
		if item.Get == nil {
			continue
		}
		for code, r := range item.Get.Responses {
			if r.Content == nil || r.Content["application/json"] == nil || code[0] != '2' {
				continue
			}
			r.Content[csvType] = &huma.MediaType{Schema: &huma.Schema{Type: "string",
				Description: "The same fields as CSV: a header row, one row per item, nested fields dotted."}}
		}
	}
}
