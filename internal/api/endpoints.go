package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/accessvault/vinventory/capture/vsphere"
	"github.com/accessvault/vinventory/internal/secrets"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

// Connector seals endpoint passwords and tests connections (the daemon's
// uses its keyring and capture/vsphere). Without one, the calls that need
// it (a password to store, a connection test) answer 503.
type Connector interface {
	// SealPassword encrypts an endpoint's password into its stored
	// credential.
	SealPassword(ctx context.Context, endpoint, password string) ([]byte, error)
	// Test logs in to ep with its stored credential, reads the About info
	// and counts the VMs, writing nothing.
	Test(ctx context.Context, ep inventory.Endpoint) (*vsphere.Probe, error)
}

// KeyringConnector is the Connector of the daemon: passwords sealed with
// its keyring (the endpoint's name as the additional data), connections
// tested with capture/vsphere.
type KeyringConnector struct {
	Keyring *secrets.Keyring
	// Logger receives vsphere's diagnostics. Defaults to discarding them.
	Logger *slog.Logger
}

// SealPassword implements Connector.
func (c KeyringConnector) SealPassword(_ context.Context, endpoint, password string) ([]byte, error) {
	return c.Keyring.Encrypt([]byte(password), endpoint)
}

// Test implements Connector.
func (c KeyringConnector) Test(ctx context.Context, ep inventory.Endpoint) (*vsphere.Probe, error) {
	password, err := c.Keyring.DecryptCredential(ctx, ep)
	if err != nil {
		return nil, err
	}
	return vsphere.TestConnection(ctx, ep, vsphere.Options{Credentials: vsphere.Password(password), Logger: c.Logger, UserAgent: "vinventoryd"})
}

// registerEndpoints declares the endpoint registry calls.
func (a *API) registerEndpoints() {
	huma.Register(a.h, op(http.MethodGet, "/api/endpoints", "list-endpoints", "The endpoint registry", RoleOperator, "endpoints"), a.listEndpoints)
	get := op(http.MethodGet, "/api/endpoints/{name}", "get-endpoint", "One endpoint", RoleOperator, "endpoints")
	get.Errors = append(get.Errors, http.StatusNotFound)
	huma.Register(a.h, get, a.getEndpoint)
	create := op(http.MethodPost, "/api/endpoints", "create-endpoint", "Register an endpoint (its password is encrypted, never returned)", RoleAdmin, "endpoints")
	create.DefaultStatus = http.StatusCreated
	create.Errors = append(create.Errors, http.StatusConflict, http.StatusServiceUnavailable)
	huma.Register(a.h, create, a.createEndpoint)
	put := op(http.MethodPut, "/api/endpoints/{name}", "update-endpoint", "Change an endpoint (an empty password keeps the stored one)", RoleAdmin, "endpoints")
	put.Errors = append(put.Errors, http.StatusNotFound, http.StatusServiceUnavailable)
	huma.Register(a.h, put, a.updateEndpoint)
	del := op(http.MethodDelete, "/api/endpoints/{name}", "delete-endpoint", "Remove an endpoint from the registry (its history stays)", RoleAdmin, "endpoints")
	del.DefaultStatus = http.StatusNoContent
	del.Errors = append(del.Errors, http.StatusNotFound)
	huma.Register(a.h, del, a.deleteEndpoint)
	test := op(http.MethodPost, "/api/endpoints/{name}/test", "test-endpoint",
		"Test connection: log in with the stored credential, read the About info, count the VMs; writes nothing", RoleAdmin, "endpoints")
	test.Errors = append(test.Errors, http.StatusNotFound, http.StatusServiceUnavailable)
	huma.Register(a.h, test, a.testEndpoint)
}

// EndpointView is an endpoint as the API shows it: never its credential.
type EndpointView struct {
	Name                string               `json:"name"`
	URL                 string               `json:"url"`
	Kind                string               `json:"kind"`
	Username            string               `json:"username"`
	HasCredential       bool                 `json:"has_credential" doc:"Whether a password is stored (it is never shown)."`
	TLS                 inventory.TLSOptions `json:"tls"`
	Tags                map[string]string    `json:"tags,omitempty"`
	PollIntervalSeconds float64              `json:"poll_interval_seconds"`
	Enabled             bool                 `json:"enabled"`
	Scope               inventory.Scope      `json:"scope"`
	CreatedAt           time.Time            `json:"created_at"`
	UpdatedAt           time.Time            `json:"updated_at"`
}

func endpointView(e inventory.Endpoint) EndpointView {
	return EndpointView{Name: e.Name, URL: e.URL, Kind: string(e.EffectiveKind()), Username: e.Username, HasCredential: len(e.Credential) > 0,
		TLS: e.TLS, Tags: e.Tags, PollIntervalSeconds: e.EffectivePollInterval().Seconds(), Enabled: e.Enabled,
		Scope: e.Scope, CreatedAt: e.CreatedAt.UTC(), UpdatedAt: e.UpdatedAt.UTC()}
}

// EndpointInput is the body of a create or update.
type EndpointInput struct {
	Name     string `json:"name,omitempty" maxLength:"255" doc:"Required on create; on update the path names the endpoint."`
	URL      string `json:"url" maxLength:"2048" doc:"The SDK URL, e.g. https://vc1.example.com/sdk (no password in it)."`
	Kind     string `json:"kind,omitempty" enum:"vcenter,esxi" doc:"Defaults to vcenter."`
	Username string `json:"username" maxLength:"512"`
	// Password is write-only: encrypted before it is stored, never shown,
	// logged or audited.
	Password            string               `json:"password,omitempty" maxLength:"1024" writeOnly:"true" doc:"Write-only. On update, empty keeps the stored password."`
	TLS                 inventory.TLSOptions `json:"tls,omitempty"`
	Tags                map[string]string    `json:"tags,omitempty"`
	PollIntervalSeconds int                  `json:"poll_interval_seconds,omitempty" minimum:"0" maximum:"2678400" doc:"Defaults to 3600."`
	Enabled             *bool                `json:"enabled,omitempty" doc:"Defaults to true on create; unchanged when absent on update."`
	Scope               *inventory.Scope     `json:"scope,omitempty" doc:"The VMs captured: include and exclude rules, each by folder (full path, the folder and below), attribute or tag (key or key=value; tags as tag:<category>=<tag>) and name (a regular expression); a VM is in scope when no include rule is given or one matches, and no exclude rule matches. VMs that leave the scope are kept, not deleted (an out_of_scope event says so). Defaults to every VM on create; unchanged when absent on update."`
}

type endpointNameInput struct {
	Name string `path:"name" maxLength:"255"`
}

type endpointOutput struct {
	Body EndpointView
}

func (a *API) listEndpoints(ctx context.Context, _ *struct{}) (*listOutput[EndpointView], error) {
	eps, err := a.o.Store.ListEndpoints(ctx, &store.ListEndpointsParams{})
	if err != nil {
		return nil, a.storeError(ctx, "list endpoints", err)
	}
	var out []EndpointView
	for _, e := range visible(scopeOf(ctx), eps, func(e inventory.Endpoint) string { return e.Name }) {
		out = append(out, endpointView(e))
	}
	return newList(out, ""), nil
}

// endpoint reads one endpoint, 404 when unknown or outside the scope.
func (a *API) endpoint(ctx context.Context, name string) (*inventory.Endpoint, error) {
	e, err := a.o.Store.GetEndpoint(ctx, &store.GetEndpointParams{Name: name})
	if errors.Is(err, store.ErrNotFound) || err == nil && !scopeOf(ctx).sees(name) {
		return nil, huma.Error404NotFound(fmt.Sprintf("no endpoint %q", name))
	}
	if err != nil {
		return nil, a.storeError(ctx, "get endpoint", err)
	}
	return e, nil
}

func (a *API) getEndpoint(ctx context.Context, in *endpointNameInput) (*endpointOutput, error) {
	e, err := a.endpoint(ctx, in.Name)
	if err != nil {
		return nil, err
	}
	return &endpointOutput{endpointView(*e)}, nil
}

// apply copies an input onto e (keeping what an update leaves out).
func (in *EndpointInput) apply(e *inventory.Endpoint) {
	e.URL, e.Username, e.TLS, e.Tags = in.URL, in.Username, in.TLS, in.Tags
	e.Kind = inventory.EndpointKind(in.Kind)
	e.PollInterval = time.Duration(in.PollIntervalSeconds) * time.Second
	if in.Enabled != nil {
		e.Enabled = *in.Enabled
	}
	if in.Scope != nil {
		e.Scope = *in.Scope
	}
}

// saveEndpoint validates e, seals password (when given) and stores e.
func (a *API) saveEndpoint(ctx context.Context, e *inventory.Endpoint, password string) (*inventory.Endpoint, error) {
	if err := e.Validate(); err != nil {
		var details []error
		for _, fe := range inventory.FieldErrors(err) {
			details = append(details, &huma.ErrorDetail{Location: "body." + fe.Field, Message: fe.Reason})
		}
		return nil, huma.Error422UnprocessableEntity("invalid endpoint", details...)
	}
	if password != "" {
		if a.o.Connector == nil {
			return nil, huma.Error503ServiceUnavailable("this server has no keyring to encrypt endpoint passwords (run vinventoryd with a keyring)")
		}
		blob, err := a.o.Connector.SealPassword(ctx, e.Name, password)
		if err != nil {
			return nil, a.internal(ctx, "seal endpoint password", err)
		}
		e.Credential = blob
	}
	saved, err := a.o.Store.UpsertEndpoint(ctx, &store.UpsertEndpointParams{Endpoint: *e})
	if err != nil {
		return nil, a.storeError(ctx, "upsert endpoint", err)
	}
	return saved, nil
}

func (a *API) createEndpoint(ctx context.Context, in *struct{ Body EndpointInput }) (*endpointOutput, error) {
	name := in.Body.Name
	if name == "" {
		return nil, invalidBody("name", "is required")
	}
	if !scopeOf(ctx).sees(name) {
		return nil, huma.Error403Forbidden(fmt.Sprintf("this token may not manage endpoint %q", name))
	}
	switch _, err := a.o.Store.GetEndpoint(ctx, &store.GetEndpointParams{Name: name}); {
	case err == nil:
		return nil, huma.Error409Conflict(fmt.Sprintf("endpoint %q exists; PUT /api/endpoints/{name} changes it", name))
	case !errors.Is(err, store.ErrNotFound):
		return nil, a.storeError(ctx, "get endpoint", err)
	}
	e := inventory.Endpoint{Name: name, Enabled: true}
	in.Body.apply(&e)
	saved, err := a.saveEndpoint(ctx, &e, in.Body.Password)
	if err != nil {
		return nil, err
	}
	v := endpointView(*saved)
	a.audit(ctx, "endpoint.create", name, nil, v, http.StatusCreated)
	return &endpointOutput{v}, nil
}

func (a *API) updateEndpoint(ctx context.Context, in *struct {
	Name string `path:"name" maxLength:"255"`
	Body EndpointInput
}) (*endpointOutput, error) {
	if in.Body.Name != "" && in.Body.Name != in.Name {
		return nil, invalidBody("name", "an endpoint is not renamed (its name is the vcenter of its history); create a new one")
	}
	old, err := a.endpoint(ctx, in.Name)
	if err != nil {
		return nil, err
	}
	e := *old
	in.Body.apply(&e)
	saved, err := a.saveEndpoint(ctx, &e, in.Body.Password)
	if err != nil {
		return nil, err
	}
	v := endpointView(*saved)
	after := struct {
		EndpointView
		PasswordChanged bool `json:"password_changed"`
	}{v, in.Body.Password != ""}
	a.audit(ctx, "endpoint.update", in.Name, endpointView(*old), after, http.StatusOK)
	return &endpointOutput{v}, nil
}

func (a *API) deleteEndpoint(ctx context.Context, in *endpointNameInput) (*struct{}, error) {
	old, err := a.endpoint(ctx, in.Name)
	if err != nil {
		return nil, err
	}
	if err := a.o.Store.DeleteEndpoint(ctx, &store.DeleteEndpointParams{Name: in.Name}); err != nil {
		return nil, a.storeError(ctx, "delete endpoint", err)
	}
	a.audit(ctx, "endpoint.delete", in.Name, endpointView(*old), nil, http.StatusNoContent)
	return &struct{}{}, nil
}

// ConnectionTest is the result of a test connection: the About info and
// VM count, or the error (never with the password).
type ConnectionTest struct {
	OK              bool    `json:"ok"`
	Error           string  `json:"error,omitempty"`
	Product         string  `json:"product,omitempty"`
	Version         string  `json:"version,omitempty"`
	Build           string  `json:"build,omitempty"`
	APIType         string  `json:"api_type,omitempty"`
	InstanceUUID    string  `json:"instance_uuid,omitempty"`
	VMs             int     `json:"vms"`
	DurationSeconds float64 `json:"duration_seconds"`
}

func (a *API) testEndpoint(ctx context.Context, in *endpointNameInput) (*struct{ Body ConnectionTest }, error) {
	e, err := a.endpoint(ctx, in.Name)
	if err != nil {
		return nil, err
	}
	if a.o.Connector == nil {
		return nil, huma.Error503ServiceUnavailable("this server has no keyring to decrypt endpoint passwords (run vinventoryd with a keyring)")
	}
	start := time.Now()
	p, err := a.o.Connector.Test(ctx, *e)
	out := ConnectionTest{DurationSeconds: time.Since(start).Seconds()}
	if err != nil {
		if ctx.Err() != nil {
			return nil, a.internal(ctx, "test connection", ctx.Err())
		}
		out.Error = err.Error() // vsphere's errors never carry the password
	} else {
		out = ConnectionTest{OK: true, Product: p.Product, Version: p.Version, Build: p.Build, APIType: p.APIType,
			InstanceUUID: p.InstanceUUID, VMs: p.VMs, DurationSeconds: p.Duration.Seconds()}
	}
	a.audit(ctx, "endpoint.test", in.Name, nil, out, http.StatusOK)
	return &struct{ Body ConnectionTest }{out}, nil
}
