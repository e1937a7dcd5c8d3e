package daemon

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync/atomic"

	"github.com/accessvault/vinventory/internal/api"
	"github.com/accessvault/vinventory/internal/config"
	"github.com/accessvault/vinventory/internal/jobs"
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

// currentJobs serves the API's job views from whichever scheduler `run`
// has now (it is rebuilt when the endpoints change).
type currentJobs struct {
	p *atomic.Pointer[jobs.Scheduler]
}

func (c currentJobs) History(ctx context.Context, job string, limit int) ([]jobs.Run, error) {
	return c.p.Load().History(ctx, job, limit)
}

func (c currentJobs) RunByID(ctx context.Context, id int64) (*jobs.Run, error) {
	return c.p.Load().RunByID(ctx, id)
}

// withAPI mounts the JSON API under /api/ on mux.
func (a *App) withAPI(mux *http.ServeMux, q api.Jobs, noAuth bool) error {
	tokens, err := apiTokens(a.Config.API, a.Getenv)
	if err != nil {
		return err
	}
	h, err := api.New(api.Options{Store: a.Store, Jobs: q, Tokens: tokens, NoAuth: noAuth || a.Config.API.NoAuth,
		Logger: sdkLogger(a.Logger, "api")})
	if err != nil {
		return err
	}
	mux.Handle("/api/", h)
	return nil
}
