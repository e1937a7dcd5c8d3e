package daemon

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"

	"github.com/accessvault/vinventory/capture"
	"github.com/accessvault/vinventory/internal/api"
	"github.com/accessvault/vinventory/internal/config"
	"github.com/accessvault/vinventory/internal/jobs"
	"github.com/accessvault/vinventory/internal/live"
	"github.com/accessvault/vinventory/internal/web"
	"github.com/accessvault/vinventory/store"
)

// apiTokens reads the configured bootstrap tokens' secrets.
func apiTokens(cfg config.APIConfig, getenv Env) (api.Tokens, error) {
	var out api.Tokens
	for _, tc := range cfg.Tokens {
		var secret string
		switch {
		case tc.SecretEnv != "":
			v, ok := getenv(tc.SecretEnv)
			if !ok || v == "" {
				return nil, fmt.Errorf("api token %q: environment variable %s is not set", tc.Name, tc.SecretEnv)
			}
			secret = v
		default:
			b, err := os.ReadFile(tc.SecretFile)
			if err != nil {
				return nil, fmt.Errorf("api token %q: %w", tc.Name, err)
			}
			secret = strings.TrimRight(string(b), "\r\n")
		}
		role, err := api.ParseRole(tc.Role)
		if err != nil {
			return nil, err
		}
		t, err := api.TokenFromSecret(tc.Name, role, secret)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// queueJobs serves the API's job views and operator requests from a
// scheduler: the one `run` has now (rebuilt when the endpoints change), or
// webui's queue-only scheduler.
type queueJobs struct {
	get func() *jobs.Scheduler
}

func (q queueJobs) History(ctx context.Context, job string, limit int) ([]jobs.Run, error) {
	return q.get().History(ctx, job, limit)
}

func (q queueJobs) RunByID(ctx context.Context, id int64) (*jobs.Run, error) {
	return q.get().RunByID(ctx, id)
}

func (q queueJobs) EnqueueRequest(ctx context.Context, r jobs.Request) (int64, bool, error) {
	return enqueueRequest(ctx, q.get(), r)
}

// withAPI mounts the JSON API under /api/ on mux (bootstrap tokens from
// the configuration, then the tokens kept in the store) and the web
// pages at /.
func (a *App) withAPI(mux *http.ServeMux, q api.Jobs, noAuth bool) error {
	h, err := a.newAPI(q, noAuth)
	if err != nil {
		return err
	}
	loc, err := a.Config.LoadLocation()
	if err != nil {
		return err
	}
	return mountUI(mux, h, web.Options{RequireLogin: a.Config.UI.RequireLogin, Logger: sdkLogger(a.Logger, "web"), Location: loc})
}

// mountUI serves api under /api/ and the pages over it at /.
func mountUI(mux *http.ServeMux, h *api.API, o web.Options) error {
	o.API = h
	w, err := web.New(o)
	if err != nil {
		return err
	}
	mux.Handle("/api/", h)
	mux.Handle("/", w)
	return nil
}

// newAPI builds the API over the app's store, keyring and configuration.
func (a *App) newAPI(q api.Jobs, noAuth bool) (*api.API, error) {
	boot, err := apiTokens(a.Config.API, a.Getenv)
	if err != nil {
		return nil, err
	}
	tokens := api.TokenSources{boot}
	if ts, ok := a.Store.(store.TokenStore); ok {
		tokens = append(tokens, api.StoreTokens{Store: ts})
	}
	loc, err := a.Config.LoadLocation()
	if err != nil {
		return nil, err
	}
	ps := a.Config.PipelineSettings()
	tiers, err := ps.TierMap()
	if err != nil {
		return nil, err
	}
	o := api.Options{Store: a.Store, Jobs: q, Tokens: tokens, NoAuth: noAuth || a.Config.API.NoAuth,
		Logger: sdkLogger(a.Logger, "api"), Location: loc, Tiers: &tiers}
	if a.live != nil {
		o.Live = a.live.watchStats
	}
	hub := a.hub.Load()
	if hub == nil {
		if hub, err = live.New(live.Options{Store: a.Store, Logger: sdkLogger(a.Logger, "live")}); err != nil {
			return nil, err
		}
		a.hub.Store(hub)
	}
	o.Hub = hub
	if a.Keyring != nil {
		o.Connector = api.KeyringConnector{Keyring: a.Keyring, Logger: sdkLogger(a.Logger, "vsphere")}
	}
	o.Alerts = alertHooks(a.Keyring)
	return api.New(o)
}

// closeHub ends the stream hub's subscriptions (on HTTP shutdown).
func (a *App) closeHub() {
	if h := a.hub.Load(); h != nil {
		h.Close()
	}
}

// wakeHub tells the stream hub that a watcher committed a batch, and the
// alert evaluator that the latest state changed.
func (a *App) wakeHub(*capture.WatchBatch) {
	if h := a.hub.Load(); h != nil {
		h.Wake()
	}
	a.triggerAlerts()
}
