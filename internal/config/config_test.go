package config_test

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/accessvault/vinventory"
	"github.com/accessvault/vinventory/internal/config"
	"github.com/accessvault/vinventory/inventory"
)

func writeFile(t *testing.T, name, content string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	return p
}

// errorsOf flattens a joined error into its *config.Error parts.
func errorsOf(t *testing.T, err error) []*config.Error {
	t.Helper()
	var out []*config.Error
	var walk func(error)
	walk = func(err error) {
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				walk(e)
			}
			return
		}
		var ce *config.Error
		if !errors.As(err, &ce) {
			t.Errorf("error %v is not a *config.Error", err)
			return
		}
		out = append(out, ce)
	}
	walk(err)
	return out
}

func paths(es []*config.Error) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Path)
	}
	return out
}

var cmpConfig = cmp.Options{cmpopts.IgnoreUnexported(config.Config{}), cmpopts.EquateEmpty()}

const fullYAML = `# a config with every section set away from its default
store:
  driver: postgres
  dsn: postgres://inv@db.example.com:5432/inv?sslmode=verify-full
location: Europe/Paris
http:
  listen: "127.0.0.1:9090"
log:
  level: debug
  format: console
keys:
  env: MY_KEYS
  file: /etc/vinventory/keys
schedule:
  hourly_minute: 7
  stagger: 90s
  daily_at: "00:45"
  monthly_at: "02:30"
  reports_every: 10m
  cleanup_at: "04:05"
  login_failure_backoff: 45m
settings:
  capture_write_batch_size: 250
  snapshot_table_compat_mode: false
  async_report_generation: false
  hourly_snapshot_concurrency: 9
  monthly_aggregation_granularity: hourly
  capture_retry: {attempts: 5, backoff: 3s, max_backoff: 2m}
  report_retry: {attempts: 2, backoff: 500ms, max_backoff: 5s}
  deletion_guard_fraction: 0.25
  deletion_guard_min_vms: 3
  first_event_lookback: 36h
  pool_tiers: {Prod: gold, test: TIN}
  report_dir: /var/lib/vinventory/reports
  retention: {hourly_rows: 90d, compat_tables: 26w, reports: 720h}
endpoints:
  - name: vc1
    url: https://vc1.example.com/sdk
    username: svc
    password_env: VC1_PASSWORD
    tls: {thumbprint: "AA:BB"}
    tags: {site: dc1, env: prod}
    poll_interval: 30m
  - name: esx1
    url: https://esx1.example.com/sdk
    kind: esxi
    username: root
    password_file: /run/secrets/esx1
    tls: {insecure: true}
    enabled: false
`

func TestLoadFullFile(t *testing.T) {
	path := writeFile(t, "full.yaml", fullYAML, 0o600)
	c, err := config.Load(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := config.Default()
	want.Store = config.StoreConfig{Driver: "postgres", Path: "./vinventory.db", DSN: "postgres://inv@db.example.com:5432/inv?sslmode=verify-full"}
	want.Location = "Europe/Paris"
	want.HTTP.Listen = "127.0.0.1:9090"
	want.Log = config.LogConfig{Level: "debug", Format: "console"}
	want.Keys = config.KeysConfig{Env: "MY_KEYS", File: "/etc/vinventory/keys"}
	want.Schedule = config.ScheduleConfig{HourlyMinute: 7, Stagger: 90 * time.Second, DailyAt: config.TimeOfDay{Hour: 0, Minute: 45},
		MonthlyAt: config.TimeOfDay{Hour: 2, Minute: 30}, ReportsEvery: 10 * time.Minute, CleanupAt: config.TimeOfDay{Hour: 4, Minute: 5},
		LoginFailureBackoff: 45 * time.Minute}
	want.Settings = vinventory.Settings{
		CaptureWriteBatchSize: 250, HourlySnapshotConcurrency: 9, MonthlyAggregationGranularity: inventory.Hourly,
		CaptureRetry:          vinventory.RetrySettings{Attempts: 5, Backoff: 3 * time.Second, MaxBackoff: 2 * time.Minute},
		ReportRetry:           vinventory.RetrySettings{Attempts: 2, Backoff: 500 * time.Millisecond, MaxBackoff: 5 * time.Second},
		DeletionGuardFraction: 0.25, DeletionGuardMinVMs: 3, FirstEventLookback: 36 * time.Hour,
		// replaced, not merged with the default; tier names canonical
		PoolTiers: map[string]inventory.Tier{"Prod": inventory.TierGold, "test": inventory.TierTin},
		Location:  "Europe/Paris",
		Retention: vinventory.RetentionSettings{HourlyRows: 90 * 24 * time.Hour, CompatTables: 26 * 7 * 24 * time.Hour, Reports: 720 * time.Hour},
		ReportDir: "/var/lib/vinventory/reports", ReportCatalog: true, // the daemon default
	}
	want.Endpoints = []config.EndpointConfig{
		{Name: "vc1", URL: "https://vc1.example.com/sdk", Kind: inventory.KindVCenter, Username: "svc", PasswordEnv: "VC1_PASSWORD",
			TLS: config.TLSConfig{Thumbprint: "AA:BB"}, Tags: map[string]string{"site": "dc1", "env": "prod"}, PollInterval: 30 * time.Minute, Enabled: true},
		{Name: "esx1", URL: "https://esx1.example.com/sdk", Kind: inventory.KindESXi, Username: "root", PasswordFile: "/run/secrets/esx1",
			TLS: config.TLSConfig{Insecure: true}, PollInterval: time.Hour, Enabled: false},
	}
	if d := cmp.Diff(want, c, cmpConfig); d != "" {
		t.Fatalf("loaded config (-want +got):\n%s", d)
	}
	loc, err := c.LoadLocation()
	if err != nil || loc.String() != "Europe/Paris" {
		t.Fatalf("LoadLocation = %v, %v", loc, err)
	}
	ps := c.PipelineSettings()
	if err := ps.Validate(); err != nil {
		t.Fatalf("PipelineSettings do not validate: %v", err)
	}
	tm, err := ps.TierMap()
	if err != nil || tm.Of("cluster/PROD") != inventory.TierGold {
		t.Fatalf("tier map: %v, Of(PROD) = %q", err, tm.Of("cluster/PROD"))
	}
	if w := strings.Join(c.Warnings(), "\n"); !strings.Contains(w, "endpoints[1].tls.insecure") {
		t.Fatalf("warnings = %q", w)
	}

	// Round trip: the redacted rendering (no secrets here) loads back to
	// the same configuration.
	again, err := config.Load(writeFile(t, "again.yaml", c.Redacted(), 0o600), nil)
	if err != nil {
		t.Fatalf("reloading Redacted output: %v\n%s", err, c.Redacted())
	}
	if d := cmp.Diff(c, again, cmpConfig); d != "" {
		t.Fatalf("round trip (-first +second):\n%s", d)
	}
}

func TestDefaultsAndEmptyFile(t *testing.T) {
	def, err := config.Load("", nil)
	if err != nil {
		t.Fatalf("defaults do not validate: %v", err)
	}
	empty, err := config.Load(writeFile(t, "empty.yaml", "# nothing\n", 0o600), nil)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(config.Default(), empty, cmpConfig); d != "" {
		t.Fatalf("empty file differs from defaults:\n%s", d)
	}
	if d := cmp.Diff(config.Default(), def, cmpConfig); d != "" {
		t.Fatalf("Load(\"\") differs from defaults:\n%s", d)
	}
	// The Settings table defaults, by name.
	s := def.Settings
	if s.CaptureWriteBatchSize != 1000 || !s.SnapshotTableCompatMode || !s.AsyncReportGeneration || s.HourlySnapshotConcurrency != 4 ||
		s.MonthlyAggregationGranularity != "daily" || s.CaptureRetry.Attempts != 3 || s.DeletionGuardFraction != 0.5 ||
		s.DeletionGuardMinVMs != 10 || len(s.PoolTiers) != 4 || def.Location != "UTC" || s.Retention != (vinventory.RetentionSettings{}) {
		t.Fatalf("defaults = %+v", s)
	}
	if def.Store.Driver != "sqlite" || def.Store.Path != "./vinventory.db" || def.HTTP.Listen != "127.0.0.1:8080" || def.Keys.Env != "VINVENTORY_KEYS" {
		t.Fatalf("defaults = %+v", def)
	}
	if _, err := config.Load(filepath.Join(t.TempDir(), "missing.yaml"), nil); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing file: err = %v", err)
	}
}

func TestExampleConfigLoads(t *testing.T) {
	path := filepath.Join("..", "..", "examples", "daemon", "vinventory.example.yaml")
	c, err := config.Load(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Endpoints) != 2 || c.Endpoints[0].PasswordEnv != "VC1_PASSWORD" || c.Endpoints[1].Kind != inventory.KindESXi || c.Endpoints[1].Enabled {
		t.Fatalf("endpoints = %+v", c.Endpoints)
	}
	// The README's steps write the keyring to ./keys, which the example
	// reads.
	if c.Keys.File != "./keys" {
		t.Errorf("keys.file = %q, want ./keys (README: vinventoryd keygen > keys)", c.Keys.File)
	}
	if len(c.API.Tokens) != 1 || c.API.Tokens[0].Role != "admin" || c.API.Tokens[0].SecretEnv == "" {
		t.Errorf("api.tokens = %+v, want the bootstrap admin token from the environment", c.API.Tokens)
	}
	// Its alert rules and channels are valid examples.
	if len(c.Alerts.Rules) < 5 || len(c.Alerts.Channels) != 1 || c.Alerts.Channels[0].SecretEnv == "" {
		t.Errorf("alerts = %+v, want example rules and a webhook channel with its key from the environment", c.Alerts)
	}
	// The example documents the defaults: apart from endpoints, the key
	// file, the bootstrap token and the alert examples it is the default
	// configuration.
	c.Endpoints, c.Keys.File, c.API.Tokens, c.Alerts.Rules, c.Alerts.Channels = nil, "", nil, nil, nil
	if d := cmp.Diff(config.Default(), c, cmpConfig); d != "" {
		t.Fatalf("example differs from the defaults it documents:\n%s", d)
	}
}

func TestUnknownKeysNameKeyAndLine(t *testing.T) {
	src := "store:\n  driver: sqlite\n  pth: x.db\nsettings:\n  hourly_snapshot_concurency: 3\n  capture_retry:\n    attempt: 2\nendpoints:\n  - name: a\n    passwd: nope\nbogus: 1\n"
	_, err := config.Load(writeFile(t, "c.yaml", src, 0o600), nil)
	es := errorsOf(t, err)
	want := map[string]int{"store.pth": 3, "settings.hourly_snapshot_concurency": 5, "settings.capture_retry.attempt": 7, "endpoints[0].passwd": 10, "bogus": 11}
	if len(es) != len(want) {
		t.Fatalf("got %d errors, want %d: %v", len(es), len(want), err)
	}
	for _, e := range es {
		line, ok := want[e.Path]
		if !ok || e.Line != line || !errors.Is(e, config.ErrUnknownKey) {
			t.Errorf("error %q: path %q line %d, want one of %v", e, e.Path, e.Line, want)
		}
		if !strings.Contains(e.Error(), "c.yaml:") {
			t.Errorf("error %q does not name the file", e)
		}
	}
	if !strings.Contains(err.Error(), "c.yaml:3: store.pth: unknown key (known keys: driver, path, dsn)") {
		t.Errorf("error text: %v", err)
	}
	if strings.Contains(err.Error(), "nope") {
		t.Errorf("error echoes a value: %v", err)
	}
}

func TestTypeAndSyntaxErrors(t *testing.T) {
	cases := []struct{ src, path, want string }{
		{"settings:\n  hourly_snapshot_concurrency: four\n", "settings.hourly_snapshot_concurrency", "must be an integer"},
		{"settings:\n  snapshot_table_compat_mode: maybe\n", "settings.snapshot_table_compat_mode", "must be true or false"},
		{"schedule:\n  stagger: 2 minutes\n", "schedule.stagger", "invalid duration"},
		{"schedule:\n  stagger: 120\n", "schedule.stagger", "invalid duration"}, // bare int is not nanoseconds
		{"schedule:\n  daily_at: \"25:00\"\n", "schedule.daily_at", "invalid time of day"},
		{"store: sqlite\n", "store", "must be a mapping"},
		{"endpoints:\n  name: a\n", "endpoints", "must be a list"},
		{"store:\n  driver: [a, b]\n", "store.driver", "must be a string"},
		{"store:\n  driver: sqlite\n  driver: postgres\n", "store.driver", "duplicate key"},
		{"settings:\n  retention:\n    reports: ~\n", "settings.retention.reports", "must not be null"},
	}
	for _, c := range cases {
		_, err := config.Load(writeFile(t, "c.yaml", c.src, 0o600), nil)
		es := errorsOf(t, err)
		if len(es) != 1 || es[0].Path != c.path || !strings.Contains(es[0].Error(), c.want) || es[0].Line == 0 {
			t.Errorf("%q: err = %v, want one error at %s containing %q with a line", c.src, err, c.path, c.want)
		}
	}
	_, err := config.Load(writeFile(t, "c.yaml", "store:\n  driver: \"unterminated\n", 0o600), nil)
	if err == nil || !strings.Contains(err.Error(), "c.yaml") {
		t.Fatalf("syntax error: %v", err)
	}
	_, err = config.Load(writeFile(t, "c.yaml", "log: {level: info}\n---\nlog: {level: debug}\n", 0o600), nil)
	if err == nil || !strings.Contains(err.Error(), "more than one YAML document") {
		t.Fatalf("two documents: %v", err)
	}
}

func TestValidationNamesEveryKey(t *testing.T) {
	long := strings.Repeat("x", 1000)
	cases := []struct {
		name  string
		src   string
		paths []string
	}{
		{"store and top level", `store: {driver: mysql}
location: Mars/Olympus
http: {listen: "localhost"}
log: {level: loud, format: xml}
keys: {env: "BAD NAME"}
`, []string{"store.driver", "location", "http.listen", "log.level", "log.format", "keys.env"}},
		{"store needs", "store: {driver: postgres}\n", []string{"store.dsn"}},
		{"sqlite path", "store: {driver: sqlite, path: \"\"}\n", []string{"store.path"}},
		{"schedule", `schedule: {hourly_minute: 60, stagger: 2h, reports_every: 0, login_failure_backoff: 10s}
`, []string{"schedule.hourly_minute", "schedule.stagger", "schedule.reports_every", "schedule.login_failure_backoff"}},
		{"live", `live: {flush_interval: 1ms, flush_changes: 0, max_wait_seconds: 301, max_object_updates: 0, retry_backoff: 10m, change_retention: 30m}
`, []string{"live.flush_interval", "live.flush_changes", "live.max_wait_seconds", "live.max_object_updates", "live.retry_backoff", "live.change_retention"}},
		{"alerts", `alerts:
  evaluate_interval: 1s
  notify_interval: 10m
  flap_window: 10s
  flap_limit: 0
  notification_retention: 10m
  max_attempts: 0
  channels:
    - {name: Ops, kind: pager}
    - {name: slack1, kind: slack, url: "https://hooks.slack.com/x"}
    - {name: hook, kind: webhook, secret_env: "BAD NAME", secret_file: /x}
  rules:
    - {id: ds, kind: datastore_used_pct, severity: critical, threshold: 85, clear: 90, for: 5m}
    - {id: ds, kind: host_maintenance, severity: loud}
    - {id: stale, kind: data_stale, severity: info, duration: 2h, scope: {clusters: [c1], name: "("}}
`, []string{"alerts.evaluate_interval", "alerts.notify_interval", "alerts.flap_window", "alerts.flap_limit",
			"alerts.notification_retention", "alerts.max_attempts", "alerts.channels[0].name", "alerts.channels[0].kind",
			"alerts.channels[1]", "alerts.channels[1].url", "alerts.channels[2]", "alerts.channels[2].secret_env",
			"alerts.rules[0].clear", "alerts.rules[1].severity", "alerts.rules[1].duration", "alerts.rules[1].id",
			"alerts.rules[2].scope.clusters", "alerts.rules[2].scope.name"}},
		{"settings", `settings:
  capture_write_batch_size: 0
  hourly_snapshot_concurrency: 0
  monthly_aggregation_granularity: weekly
  capture_retry: {attempts: 0, backoff: 5s, max_backoff: 1s}
  deletion_guard_fraction: 1.5
  deletion_guard_min_vms: 0
  pool_tiers: {Prod: Platinum}
  retention: {hourly_rows: 1h, reports: -1d}
  report_dir: ""
`, []string{"settings.capture_write_batch_size", "settings.hourly_snapshot_concurrency", "settings.monthly_aggregation_granularity",
			"settings.capture_retry.attempts", "settings.capture_retry.max_backoff", "settings.deletion_guard_fraction",
			"settings.deletion_guard_min_vms", "settings.pool_tiers", "settings.retention.hourly_rows", "settings.retention.reports", "settings.report_dir"}},
		{"endpoints", `endpoints:
  - name: ok
    url: https://ok/sdk
    username: u
    password_env: OK_PW
  - name: ""
    url: ftp://nohost
    kind: hyperv
    username: ""
  - name: ok
    url: https://user:hunter2@vc/sdk
    username: u
    password_env: A
    password_file: /b
    poll_interval: -1h
    tls: {insecure: true, thumbprint: "AA"}
  - name: ` + long + `
    url: "https://vc/sdk"
    username: u
    password_env: "not an env"
`, []string{"endpoints[1].name", "endpoints[1].url", "endpoints[1].kind", "endpoints[1].username", "endpoints[1]",
			"endpoints[2].name", "endpoints[2].url", "endpoints[2]", "endpoints[2].poll_interval", "endpoints[2].tls",
			"endpoints[3].name", "endpoints[3].password_env"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := config.Load(writeFile(t, "c.yaml", c.src, 0o600), nil)
			if err == nil {
				t.Fatal("no error")
			}
			got := map[string]bool{}
			for _, e := range errorsOf(t, err) {
				got[e.Path] = true
				if !strings.Contains(e.Error(), "c.yaml:") || e.Line == 0 {
					t.Errorf("error %q lacks its line", e)
				}
				if strings.Contains(e.Error(), "hunter2") || strings.Contains(e.Error(), long) {
					t.Errorf("error echoes a secret or the 1000-char value: %.200s", e)
				}
			}
			for _, p := range c.paths {
				if !got[p] {
					t.Errorf("no error for %s; got:\n%v", p, err)
				}
			}
			if len(got) != len(c.paths) {
				t.Errorf("error paths %v, want exactly %v", keys(got), c.paths)
			}
		})
	}
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestValidateMessages(t *testing.T) {
	c := config.Default()
	c.Settings.HourlySnapshotConcurrency = 0
	c.Store.Driver = "oracle"
	c.Endpoints = []config.EndpointConfig{{Name: "a", Username: "u", PasswordEnv: "P"}, {Name: "b", URL: "", Username: "u", PasswordEnv: "P"}}
	err := c.Validate()
	for _, want := range []string{
		"settings.hourly_snapshot_concurrency: must be at least 1, got 0",
		`store.driver: must be sqlite or postgres, got "oracle"`,
		"endpoints[0].url: must not be empty",
		"endpoints[1].url: must not be empty",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v, want it to contain %q", err, want)
		}
	}
}

func TestSettingsLocationAlias(t *testing.T) {
	c, err := config.Load(writeFile(t, "c.yaml", "settings: {location: Asia/Tokyo}\n", 0o600), nil)
	if err != nil || c.Location != "Asia/Tokyo" || c.PipelineSettings().Location != "Asia/Tokyo" {
		t.Fatalf("settings.location alias: %v %q", err, c.Location)
	}
	_, err = config.Load(writeFile(t, "c.yaml", "location: UTC\nsettings: {location: Asia/Tokyo}\n", 0o600), nil)
	if es := errorsOf(t, err); len(es) != 1 || es[0].Path != "settings.location" || es[0].Line != 2 {
		t.Fatalf("conflicting locations: %v", err)
	}
	_, err = config.Load(writeFile(t, "c.yaml", "location: Local\n", 0o600), nil)
	if err == nil || !strings.Contains(err.Error(), `location: "Local" is not allowed`) {
		t.Fatalf("Local: %v", err)
	}
}

func TestEnvOverrides(t *testing.T) {
	path := writeFile(t, "c.yaml", "http: {listen: \":1111\"}\nsettings: {hourly_snapshot_concurrency: 2}\n", 0o600)
	env := config.MapEnv(map[string]string{
		"VINVENTORY_HTTP_LISTEN":                          ":2222",
		"VINVENTORY_SETTINGS_HOURLY_SNAPSHOT_CONCURRENCY": "8",
		"VINVENTORY_SETTINGS_CAPTURE_RETRY_BACKOFF":       "5s",
		"VINVENTORY_SETTINGS_SNAPSHOT_TABLE_COMPAT_MODE":  "false",
		"VINVENTORY_SETTINGS_DELETION_GUARD_FRACTION":     "0.75",
		"VINVENTORY_SETTINGS_POOL_TIERS":                  "Prod=gold, Dev = tin",
		"VINVENTORY_SETTINGS_RETENTION_HOURLY_ROWS":       "30d",
		"VINVENTORY_SCHEDULE_DAILY_AT":                    "01:30",
		"VINVENTORY_LOCATION":                             "America/New_York",
		"VINVENTORY_STORE_DRIVER":                         "postgres",
		"VINVENTORY_STORE_DSN":                            "host=db user=inv password=s3cret dbname=inv",
		"UNRELATED":                                       "x",
	})
	c, err := config.Load(path, env)
	if err != nil {
		t.Fatal(err)
	}
	s := c.Settings
	if c.HTTP.Listen != ":2222" || s.HourlySnapshotConcurrency != 8 || s.CaptureRetry.Backoff != 5*time.Second || s.SnapshotTableCompatMode ||
		s.DeletionGuardFraction != 0.75 || s.Retention.HourlyRows != 30*24*time.Hour || c.Schedule.DailyAt != (config.TimeOfDay{Hour: 1, Minute: 30}) ||
		c.Location != "America/New_York" || s.Location != "America/New_York" || c.Store.Driver != "postgres" || c.Store.DSN != "host=db user=inv password=s3cret dbname=inv" {
		t.Fatalf("env not applied: %+v", c)
	}
	if d := cmp.Diff(map[string]inventory.Tier{"Prod": "Gold", "Dev": "Tin"}, s.PoolTiers); d != "" {
		t.Fatalf("pool tiers: %s", d)
	}

	// Every variable EnvVars lists maps to a key; a few by name.
	vars := map[string]string{}
	for _, kv := range config.EnvVars() {
		vars[kv[0]] = kv[1]
	}
	for name, path := range map[string]string{
		"VINVENTORY_STORE_DSN": "store.dsn", "VINVENTORY_HTTP_LISTEN": "http.listen",
		"VINVENTORY_SETTINGS_HOURLY_SNAPSHOT_CONCURRENCY": "settings.hourly_snapshot_concurrency",
		"VINVENTORY_SETTINGS_CAPTURE_RETRY_MAX_BACKOFF":   "settings.capture_retry.max_backoff",
		"VINVENTORY_KEYS_FILE":                            "keys.file",
	} {
		if vars[name] != path || config.EnvName(path) != name {
			t.Errorf("EnvVars[%s] = %q, want %q", name, vars[name], path)
		}
	}
	if _, ok := vars["VINVENTORY_SETTINGS_LOCATION"]; ok {
		t.Error("settings.location has its own variable; VINVENTORY_LOCATION is the one")
	}

	// Bad values name the variable; all are reported.
	_, err = config.Load(path, config.MapEnv(map[string]string{
		"VINVENTORY_SETTINGS_HOURLY_SNAPSHOT_CONCURRENCY": "lots",
		"VINVENTORY_SETTINGS_ASYNC_REPORT_GENERATION":     "sometimes",
		"VINVENTORY_SCHEDULE_STAGGER":                     "soon",
		"VINVENTORY_SETTINGS_POOL_TIERS":                  "Prod",
	}))
	es := errorsOf(t, err)
	if len(es) != 4 {
		t.Fatalf("want 4 errors, got %v", err)
	}
	for _, e := range es {
		if !strings.HasPrefix(e.Error(), e.Env+": "+e.Path+": ") || e.Env != config.EnvName(e.Path) {
			t.Errorf("error %q does not start with its variable and key", e)
		}
	}
	// A value that passes parsing but fails validation is still named.
	_, err = config.Load(path, config.MapEnv(map[string]string{"VINVENTORY_SETTINGS_HOURLY_SNAPSHOT_CONCURRENCY": "0"}))
	if err == nil || !strings.Contains(err.Error(), "VINVENTORY_SETTINGS_HOURLY_SNAPSHOT_CONCURRENCY: settings.hourly_snapshot_concurrency: must be at least 1") {
		t.Fatalf("err = %v", err)
	}
}

func TestFlagPrecedence(t *testing.T) {
	path := writeFile(t, "c.yaml", "http: {listen: \":1111\"}\nlog: {level: warn}\n", 0o600)
	env := config.MapEnv(map[string]string{"VINVENTORY_HTTP_LISTEN": ":2222", "VINVENTORY_LOG_LEVEL": "error"})
	load := func(args ...string) *config.Config {
		t.Helper()
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		fl := config.RegisterFlags(fs)
		if err := fs.Parse(append([]string{"-config", path}, args...)); err != nil {
			t.Fatal(err)
		}
		c, err := fl.Load(env)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	// flags > env > file
	if c := load("-listen", ":3333"); c.HTTP.Listen != ":3333" || c.Log.Level != "error" {
		t.Fatalf("flag: listen %q level %q", c.HTTP.Listen, c.Log.Level)
	}
	if c := load(); c.HTTP.Listen != ":2222" {
		t.Fatalf("env: listen %q", c.HTTP.Listen)
	}
	if c, _ := config.Load(path, nil); c.HTTP.Listen != ":1111" || c.Log.Level != "warn" {
		t.Fatalf("file: listen %q", c.HTTP.Listen)
	}
	// A flag given as its zero value still overrides (disables HTTP).
	if c := load("-listen", ""); c.HTTP.Listen != "" {
		t.Fatalf("empty -listen: %q", c.HTTP.Listen)
	}
	c := load("-data-dir", "/srv/inv", "-log-level", "debug")
	if c.Store.Path != "/srv/inv/vinventory.db" || c.Settings.ReportDir != "/srv/inv/reports" || c.Log.Level != "debug" {
		t.Fatalf("data-dir: %+v", c)
	}
	c = load("-dsn", "postgres://inv@db/inv")
	if c.Store.Driver != "postgres" || c.Store.DSN != "postgres://inv@db/inv" {
		t.Fatalf("-dsn: %+v", c.Store)
	}
	// Flags are validated too.
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fl := config.RegisterFlags(fs)
	fs.Parse([]string{"-store", "mongo"})
	if _, err := fl.Load(nil); err == nil || !strings.Contains(err.Error(), `flag -store: store.driver: must be sqlite or postgres, got "mongo"`) {
		t.Fatalf("bad -store: %v", err)
	}
}

func TestDurationsAndTimes(t *testing.T) {
	for in, want := range map[string]time.Duration{"0": 0, "90s": 90 * time.Second, "1h30m": 90 * time.Minute, "30d": 720 * time.Hour, "2w": 336 * time.Hour, " 5m ": 5 * time.Minute} {
		if got, err := config.ParseDuration(in); err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v, want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "5", "1.5d", "d", "tomorrow"} {
		if _, err := config.ParseDuration(in); err == nil {
			t.Errorf("ParseDuration(%q) accepted", in)
		}
	}
	for in, want := range map[string]config.TimeOfDay{"00:00": {}, "0:15": {0, 15}, "23:59": {23, 59}} {
		if got, err := config.ParseTimeOfDay(in); err != nil || got != want {
			t.Errorf("ParseTimeOfDay(%q) = %v, %v", in, got, err)
		}
	}
	for _, in := range []string{"24:00", "12:60", "12", "12:5", "ab:cd", "-1:00"} {
		if _, err := config.ParseTimeOfDay(in); err == nil {
			t.Errorf("ParseTimeOfDay(%q) accepted", in)
		}
	}
	if got := (config.TimeOfDay{Hour: 1, Minute: 5}).Offset(); got != 65*time.Minute {
		t.Errorf("Offset = %v", got)
	}
}
