package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vmware/govmomi/vim25/types"
	"go.uber.org/zap"

	"github.com/accessvault/vinventory/alert/notify"
	"github.com/accessvault/vinventory/capture"
	"github.com/accessvault/vinventory/capture/capturetest"
	"github.com/accessvault/vinventory/capture/vcsim"
	"github.com/accessvault/vinventory/capture/vsphere"
	"github.com/accessvault/vinventory/internal/api"
	"github.com/accessvault/vinventory/internal/config"
	"github.com/accessvault/vinventory/internal/testbackends"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

// hookSink is a webhook receiver that checks each delivery's signature.
type hookSink struct {
	t   *testing.T
	key []byte
	srv *httptest.Server

	mu       sync.Mutex
	payloads []notify.WebhookPayload
	badSigs  int
}

func newHookSink(t *testing.T, key string) *hookSink {
	s := &hookSink{t: t, key: []byte(key)}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		defer s.mu.Unlock()
		if !notify.Verify(s.key, r.Header.Get("X-Vinventory-Timestamp"), r.Header.Get("X-Vinventory-Signature"), body) {
			s.badSigs++
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		var p notify.WebhookPayload
		if err := json.Unmarshal(body, &p); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		s.payloads = append(s.payloads, p)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

// events returns "<event> <entity>" of every delivered alert.
func (s *hookSink) events() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, p := range s.payloads {
		if p.Alert != nil {
			out = append(out, p.Event+" "+p.Alert.EntityID)
		}
		for _, it := range p.Alerts {
			out = append(out, it.Event+" "+it.Alert.EntityID)
		}
	}
	return out
}

func hasEvent(evs []string, want string) bool {
	for _, e := range evs {
		if e == want {
			return true
		}
	}
	return false
}

// TestAlertManager runs the daemon's alerting over a SQLite store: the
// configured rule and webhook channel are written to the store (the
// channel's key sealed with the keyring), a host disconnected in the
// simulator opens an alert after the capture that sees it, a signed
// webhook tells the sink, the alert shows in /metrics and resolves (and
// tells the sink again) once the host is back.
func TestAlertManager(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir := t.TempDir()
	sim := capturetest.NewSim(t, vcsim.Options{VMs: 4, Templates: -1, Password: "alert-test-" + t.Name()})
	st, kr := sqliteAndKeyring(t, dir)
	liveEndpoint(t, st, kr, sim, "vc1")
	const key = "hmac-key-never-logged"
	sink := newHookSink(t, key)

	cfg := config.Default().Alerts
	cfg.Rules = []config.AlertRuleConfig{{ID: "host-down", Kind: inventory.RuleHostDisconnected, Severity: inventory.SeverityCritical, Channels: []string{"hook"}}}
	cfg.Channels = []config.AlertChannelConfig{{Name: "hook", Kind: inventory.ChannelWebhook, URL: sink.srv.URL, SecretEnv: "HOOK_KEY"}}
	cfg.NotifyInterval = 50 * time.Millisecond
	getenv := config.MapEnv(map[string]string{"HOOK_KEY": key})
	op, err := Opener(kr, zap.NewNop(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var published sync.Map
	m, err := newAlertManager(ctx, alertDeps{Store: st, Config: cfg, Keyring: kr, Getenv: getenv, Open: op, Owner: "test",
		Logger: zap.NewNop(), Publish: func(a inventory.Alert) { published.Store(a.EntityID+" "+string(a.State), true) }})
	if err != nil || m == nil {
		t.Fatalf("newAlertManager: %v", err)
	}
	m.Settle = 10 * time.Millisecond
	ch, err := st.GetAlertChannel(ctx, &store.GetAlertChannelParams{Name: "hook"})
	if err != nil {
		t.Fatal(err)
	}
	if !ch.HasSecret || strings.Contains(string(ch.Secret), key) {
		t.Fatalf("the channel's secret is not sealed: has %v", ch.HasSecret)
	}
	metrics := NewMetrics()
	metrics.WatchAlerts(st, m.Status)
	go m.Run(ctx)

	src, err := vsphere.New(ctx, inventory.Endpoint{Name: "vc1", URL: "https://" + sim.URL.Host + "/sdk", Username: sim.Username,
		TLS: inventory.TLSOptions{Thumbprint: sim.Thumbprint()}}, vsphere.Options{Credentials: vsphere.Password(sim.Password)})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close(context.Background())
	at := time.Now().UTC().Truncate(time.Second)
	capturetest.Snapshot(t, st, src, at, time.Second)
	m.Trigger()
	waitUntil(t, 10*time.Second, "an evaluation", func() bool { return m.Status().Runs >= 2 })
	hosts, err := st.ListHosts(ctx, &store.ListHostsParams{Vcenter: "vc1"})
	if err != nil || len(hosts) == 0 {
		t.Fatalf("hosts: %v", err)
	}
	host := hosts[0].ID
	if err := sim.SetHostConnectionState(host, types.HostSystemConnectionStateNotResponding); err != nil {
		t.Fatal(err)
	}
	capturetest.Snapshot(t, st, src, at.Add(time.Hour), time.Second)
	m.Trigger()
	waitUntil(t, 10*time.Second, "the opened alert at the sink", func() bool { return hasEvent(sink.events(), "opened "+host) })
	if _, ok := published.Load(host + " open"); !ok {
		t.Error("the opened alert was not published to the stream")
	}
	rec := httptest.NewRecorder()
	metrics.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if want := `vinventory_alerts{severity="critical",state="open"} 1`; !strings.Contains(rec.Body.String(), want) {
		t.Errorf("/metrics lacks %s", want)
	}

	if err := sim.SetHostConnectionState(host, types.HostSystemConnectionStateConnected); err != nil {
		t.Fatal(err)
	}
	capturetest.Snapshot(t, st, src, at.Add(2*time.Hour), time.Second)
	m.Trigger()
	waitUntil(t, 10*time.Second, "the resolved alert at the sink", func() bool { return hasEvent(sink.events(), "resolved "+host) })
	if n := len(sink.events()); n != 2 {
		t.Errorf("the sink got %v, want opened and resolved once each", sink.events())
	}
	if sink.badSigs != 0 {
		t.Errorf("%d deliveries with a bad signature", sink.badSigs)
	}
}

// TestAlertConfigSync: configured rules are written with origin config
// and deleted once the file no longer lists them; rules made through the
// API stay; a channel's sealed secret opens only for its own channel.
func TestAlertConfigSync(t *testing.T) {
	ctx := context.Background()
	st, kr := sqliteAndKeyring(t, t.TempDir())
	cfg := config.Default().Alerts
	cfg.Rules = []config.AlertRuleConfig{
		{ID: "a", Kind: inventory.RuleDataStale, Severity: inventory.SeverityWarning, Duration: time.Hour},
		{ID: "b", Kind: inventory.RuleCaptureFailing, Severity: inventory.SeverityCritical, Threshold: 3},
	}
	cfg.Channels = []config.AlertChannelConfig{{Name: "slack", Kind: inventory.ChannelSlack, SecretEnv: "SLACK_URL"}}
	env := config.MapEnv(map[string]string{"SLACK_URL": "https://hooks.slack.com/services/T0/B0/secret-token"})
	if err := syncAlertConfig(ctx, st, cfg, kr, env); err != nil {
		t.Fatal(err)
	}
	if _, err := st.PutAlertRule(ctx, &store.PutAlertRuleParams{Rule: inventory.AlertRule{ID: "mine", Kind: inventory.RuleHostDisconnected,
		Severity: inventory.SeverityInfo, Enabled: true, Origin: inventory.RuleFromAPI}}); err != nil {
		t.Fatal(err)
	}
	cfg.Rules = cfg.Rules[1:]
	if err := syncAlertConfig(ctx, st, cfg, kr, env); err != nil {
		t.Fatal(err)
	}
	rules, err := st.ListAlertRules(ctx, &store.ListAlertRulesParams{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rules {
		got = append(got, r.ID+":"+r.Origin)
	}
	if fmt.Sprint(got) != "[b:config mine:api]" {
		t.Fatalf("rules %v, want b from the file and mine from the API", got)
	}
	ch, err := st.GetAlertChannel(ctx, &store.GetAlertChannelParams{Name: "slack"})
	if err != nil {
		t.Fatal(err)
	}
	s, err := api.OpenChannelSecret(kr, *ch)
	if err != nil || s.URL != "https://hooks.slack.com/services/T0/B0/secret-token" {
		t.Fatalf("open the secret: %v", err)
	}
	other := *ch
	other.Name = "other"
	if _, err := api.OpenChannelSecret(kr, other); err == nil {
		t.Fatal("a channel's secret opened for another channel")
	} else if strings.Contains(err.Error(), "secret-token") {
		t.Fatal("the error shows the secret")
	}
	// A missing secret source names the key, not a value.
	err = syncAlertConfig(ctx, st, cfg, kr, config.MapEnv(nil))
	if err == nil || !strings.Contains(err.Error(), "alerts.channels[0]") || !strings.Contains(err.Error(), "SLACK_URL") {
		t.Fatalf("missing secret: %v", err)
	}
}

// TestAlertEvaluationLock (PostgreSQL): while another session holds the
// evaluation lock a replica stands by and does not evaluate; it evaluates
// once the lock is free.
func TestAlertEvaluationLock(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st := testbackends.Postgres(t)
	cfg := config.Default().Alerts
	m, err := newAlertManager(ctx, alertDeps{Store: st, Config: cfg, Owner: fmt.Sprintf("lock-%d", os.Getpid()), Logger: zap.NewNop(), Pool: st.Pool()})
	if err != nil || m == nil {
		t.Fatalf("newAlertManager: %v", err)
	}
	m.LockRetry = 50 * time.Millisecond
	holder, err := st.Pool().Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Release()
	if _, err := holder.Exec(ctx, "SELECT pg_advisory_lock($1, $2)", int32(liveLockClass), alertLockKey()); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { m.evaluate(ctx); close(done) }()
	waitUntil(t, 5*time.Second, "a standby", func() bool { return m.Status().Standby >= 1 })
	if s := m.Status(); s.Runs != 0 {
		t.Fatalf("evaluated while another replica held the lock: %+v", s)
	}
	if _, err := holder.Exec(ctx, "SELECT pg_advisory_unlock($1, $2)", int32(liveLockClass), alertLockKey()); err != nil {
		t.Fatal(err)
	}
	<-done
	if s := m.Status(); s.Runs != 1 || s.LastError != "" {
		t.Fatalf("after the lock was freed: %+v", s)
	}
}

// TestAlertsFromLive: with live updates on, a guest shutdown seen by the
// watcher opens a vm_powered_off alert within seconds (the watcher's
// commit triggers the evaluation; the classification reads the
// simulator's events through the endpoint), and a user's power-off opens
// none.
func TestAlertsFromLive(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sim := capturetest.NewSim(t, vcsim.Options{VMs: 6, Templates: -1, Password: "alert-live-" + t.Name()})
	st, kr := sqliteAndKeyring(t, t.TempDir())
	liveEndpoint(t, st, kr, sim, "vc1")
	op, err := Opener(kr, zap.NewNop(), nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Default().Alerts
	cfg.Rules = []config.AlertRuleConfig{{ID: "vm-down", Kind: inventory.RuleVMPoweredOff, Severity: inventory.SeverityWarning}}
	am, err := newAlertManager(ctx, alertDeps{Store: st, Config: cfg, Keyring: kr, Open: op, Owner: "test", Logger: zap.NewNop()})
	if err != nil || am == nil {
		t.Fatalf("newAlertManager: %v", err)
	}
	am.Settle = 10 * time.Millisecond
	lcfg := config.Default().Live
	lcfg.FlushInterval = 50 * time.Millisecond
	lm := &LiveManager{Store: st, Open: op, Config: lcfg, OnApply: func(*capture.WatchBatch) { am.Trigger() }}
	go lm.Run(ctx, st, 0)
	go am.Run(ctx)
	waitUntil(t, 20*time.Second, "the watcher's first resync", func() bool { return stateOf(lm, "vc1").State == capture.WatchWatching })
	page, err := st.ListVMs(ctx, &store.ListVMsParams{Vcenter: "vc1"})
	if err != nil {
		t.Fatal(err)
	}
	var on []string
	for _, v := range page.VMs {
		if v.PowerState == inventory.PoweredOn {
			on = append(on, v.ID)
		}
	}
	if len(on) < 2 {
		t.Fatalf("%d VMs powered on, want 2", len(on))
	}
	byUser, byGuest := on[0], on[1]
	if err := capturetest.UserPowerOff(ctx, sim, byUser); err != nil {
		t.Fatal(err)
	}
	if err := capturetest.GuestShutdown(ctx, sim, byGuest); err != nil {
		t.Fatal(err)
	}
	var got []inventory.Alert
	waitUntil(t, liveDeadline+5*time.Second, "the guest shutdown's alert", func() bool {
		p, err := st.ListAlerts(ctx, &store.ListAlertsParams{RuleID: "vm-down"})
		got = nil
		if err == nil {
			got = p.Alerts
		}
		return len(got) > 0
	})
	// The user's power-off was evaluated too (both were in the same or an
	// earlier batch): let one more evaluation pass, then check.
	runs := am.Status().Runs
	am.Trigger()
	waitUntil(t, 5*time.Second, "another evaluation", func() bool { return am.Status().Runs > runs })
	p, err := st.ListAlerts(ctx, &store.ListAlertsParams{RuleID: "vm-down"})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Alerts) != 1 || p.Alerts[0].EntityID != byGuest || p.Alerts[0].State != inventory.AlertOpen ||
		!strings.Contains(strings.ToLower(p.Alerts[0].Summary), "guest") {
		t.Fatalf("alerts %+v, want one open alert for %s saying the guest shut it down (none for %s, powered off by a user)", p.Alerts, byGuest, byUser)
	}
}
