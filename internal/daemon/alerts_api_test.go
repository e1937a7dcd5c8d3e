package daemon

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.uber.org/zap"

	"github.com/accessvault/vinventory/internal/api"
	"github.com/accessvault/vinventory/internal/config"
	"github.com/accessvault/vinventory/internal/secrets"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/memstore"
)

// TestAPIMountSealsChannelSecrets: `run`'s API seals a channel's secret
// with the daemon's keyring (the channel name as additional data), never
// storing or answering it in the clear.
func TestAPIMountSealsChannelSecrets(t *testing.T) {
	adminSecret := strings.Repeat("a", 40)
	cfg := config.Default()
	cfg.API.Tokens = []config.APITokenConfig{{Name: "ops", Role: "admin", SecretEnv: "ADMIN_TOKEN"}}
	kr, err := secrets.New(secrets.Key{ID: "k1", Bytes: bytes.Repeat([]byte{3}, 32)})
	if err != nil {
		t.Fatal(err)
	}
	st := memstore.New(memstore.Options{})
	a := &App{Config: cfg, Store: st, Logger: zap.NewNop(), Getenv: config.MapEnv(map[string]string{"ADMIN_TOKEN": adminSecret}), Keyring: kr}
	mux := NewMux(&HealthSource{Store: a.Store}, NewMetrics())
	if err := a.withAPI(mux, nil, false); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(mux)
	defer srv.Close()
	const hook = "https://hooks.slack.example/services/T1/B1/daemon-S3CRET"
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/channels/ops", strings.NewReader(`{"kind": "slack", "url": "`+hook+`"}`))
	req.Header.Set("Authorization", "Bearer "+adminSecret)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var body bytes.Buffer
	_, _ = body.ReadFrom(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 201 || strings.Contains(body.String(), "S3CRET") {
		t.Fatalf("create: %d %s", resp.StatusCode, body.String())
	}
	ch, err := st.GetAlertChannel(context.Background(), &store.GetAlertChannelParams{Name: "ops"})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(ch.Secret, []byte("S3CRET")) {
		t.Fatal("the secret is stored in the clear")
	}
	if sec, err := api.OpenChannelSecret(kr, *ch); err != nil || sec.URL != hook {
		t.Fatalf("the keyring does not open the stored secret: %v", err)
	}
}
