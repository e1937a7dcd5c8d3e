package daemon

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/zap"

	"github.com/accessvault/vinventory/internal/config"
	"github.com/accessvault/vinventory/store/memstore"
)

// TestAPIMount: `run` serves the API under /api/ with the configured
// bootstrap tokens (secrets from the environment or a file): none is 401,
// a viewer reads; a short or missing secret stops the start; the
// configuration checks token entries and warns about no_auth.
func TestAPIMount(t *testing.T) {
	dir := t.TempDir()
	viewerSecret := strings.Repeat("v", 40)
	adminFile := filepath.Join(dir, "admin.token")
	if err := os.WriteFile(adminFile, []byte(strings.Repeat("a", 40)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.API.Tokens = []config.APITokenConfig{
		{Name: "grafana", Role: "viewer", SecretEnv: "VIEWER_TOKEN"},
		{Name: "ops", Role: "admin", SecretFile: adminFile},
	}
	env := config.MapEnv(map[string]string{"VIEWER_TOKEN": viewerSecret})
	a := &App{Config: cfg, Store: memstore.New(memstore.Options{}), Logger: zap.NewNop(), Getenv: env}
	mux := NewMux(&HealthSource{Store: a.Store}, NewMetrics())
	if err := a.withAPI(mux, nil, false); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(mux)
	defer srv.Close()
	call := func(secret string) int {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/api/collectors", nil)
		if secret != "" {
			req.Header.Set("Authorization", "Bearer "+secret)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := call(""); got != 401 {
		t.Errorf("no token: %d", got)
	}
	if got := call(viewerSecret); got != 200 {
		t.Errorf("viewer token from the environment: %d", got)
	}
	if got := call(strings.Repeat("a", 40)); got != 200 {
		t.Errorf("admin token from a file: %d", got)
	}
	if got := call(strings.Repeat("x", 40)); got != 401 {
		t.Errorf("unknown token: %d", got)
	}

	// A secret that is missing or too short stops the start.
	for env, want := range map[string]string{"": "VIEWER_TOKEN is not set", "short": "at least 32"} {
		b := &App{Config: cfg, Store: a.Store, Logger: zap.NewNop(), Getenv: config.MapEnv(map[string]string{"VIEWER_TOKEN": env})}
		if err := b.withAPI(http.NewServeMux(), nil, false); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("secret %q: err %v, want %q", env, err, want)
		} else if strings.Contains(err.Error(), "short") && env == "short" {
			t.Errorf("the error shows the secret: %v", err)
		}
	}

	// Validation and warnings.
	bad := config.Default()
	bad.API.Tokens = []config.APITokenConfig{{Name: "x", Role: "root", SecretEnv: "A"}, {Name: "x", Role: "viewer"}}
	err := bad.Validate()
	for _, want := range []string{`"root" is not viewer, operator or admin`, `"x" is listed twice`, "give secret_env or secret_file"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate: %v, want %q", err, want)
		}
	}
	open := config.Default()
	open.API.NoAuth = true
	if w := strings.Join(open.Warnings(), "\n"); !strings.Contains(w, "no_auth") {
		t.Errorf("warnings %q: want one about no_auth", w)
	}
}
