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

// TestAPIMountTestNotification: the daemon's "send test notification"
// reaches a real webhook receiver, signed with the channel's key (sealed
// by the keyring when the channel was created through the API); a
// receiver answering 500 gives a 502 whose text carries no secret.
func TestAPIMountTestNotification(t *testing.T) {
	adminSecret := strings.Repeat("b", 40)
	cfg := config.Default()
	cfg.API.Tokens = []config.APITokenConfig{{Name: "ops", Role: "admin", SecretEnv: "ADMIN_TOKEN"}}
	kr, err := secrets.New(secrets.Key{ID: "k1", Bytes: bytes.Repeat([]byte{5}, 32)})
	if err != nil {
		t.Fatal(err)
	}
	const key = "test-send-hmac-key-0123456789"
	sink := newHookSink(t, key)
	a := &App{Config: cfg, Store: memstore.New(memstore.Options{}), Logger: zap.NewNop(), Getenv: config.MapEnv(map[string]string{"ADMIN_TOKEN": adminSecret}), Keyring: kr}
	mux := NewMux(&HealthSource{Store: a.Store}, NewMetrics())
	if err := a.withAPI(mux, nil, false); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(mux)
	defer srv.Close()
	post := func(path, body string) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+adminSecret)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		_, _ = b.ReadFrom(resp.Body)
		return resp.StatusCode, b.String()
	}
	if code, body := post("/api/channels/hook", `{"kind": "webhook", "url": "`+sink.srv.URL+`", "hmac_key": "`+key+`"}`); code != 201 {
		t.Fatalf("create: %d %s", code, body)
	}
	if code, body := post("/api/channels/hook/test", ``); code != 200 {
		t.Fatalf("test: %d %s", code, body)
	}
	sink.mu.Lock()
	n, bad := len(sink.payloads), sink.badSigs
	event := ""
	if n > 0 {
		event = sink.payloads[0].Event
	}
	sink.mu.Unlock()
	if n != 1 || bad != 0 || event != "test" {
		t.Fatalf("the sink got %d payloads (%d badly signed), event %q; want one signed test", n, bad, event)
	}
	// A receiver that fails: 502 with its status, no key.
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusInternalServerError) }))
	defer failing.Close()
	if code, body := post("/api/channels/down", `{"kind": "webhook", "url": "`+failing.URL+`", "hmac_key": "`+key+`"}`); code != 201 {
		t.Fatalf("create: %d %s", code, body)
	}
	code, body := post("/api/channels/down/test", ``)
	if code != http.StatusBadGateway || !strings.Contains(body, "500") || strings.Contains(body, key) {
		t.Fatalf("test through a failing receiver: %d %s", code, body)
	}
}
