package config_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
	"gopkg.in/yaml.v3"

	"github.com/accessvault/vinventory/internal/config"
	"github.com/accessvault/vinventory/internal/secrets"
	"github.com/accessvault/vinventory/internal/testbackends"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

const (
	inlinePW = "inline-Pa55w0rd!"
	envPW    = "env-Pa55w0rd!"
	filePW   = "file-Pa55w0rd!"
	dsnPW    = "dsn-Pa55w0rd"
)

func keyLine(t *testing.T, id string) string {
	t.Helper()
	l, err := secrets.GenerateKey(id)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func assertNoSecrets(t *testing.T, what, s string, secretValues ...string) {
	t.Helper()
	for _, v := range secretValues {
		if v != "" && strings.Contains(s, v) {
			t.Errorf("%s leaks %q:\n%s", what, v, s)
		}
	}
}

// secretConfig is a configuration holding every kind of secret.
func secretConfig(t *testing.T, dsn string) (path, pwFile string) {
	t.Helper()
	dir := t.TempDir()
	pwFile = filepath.Join(dir, "esx.pw")
	if err := os.WriteFile(pwFile, []byte(filePW+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	src := fmt.Sprintf(`store:
  driver: postgres
  dsn: %q
endpoints:
  - name: vc-env
    url: https://vc1.example.com/sdk
    username: svc
    password_env: VC1_PASSWORD
  - name: esx-file
    url: https://esx.example.com/sdk
    kind: esxi
    username: root
    password_file: %s
  - name: vc-inline
    url: https://vc3.example.com/sdk
    username: admin
    password: %q
`, dsn, pwFile, inlinePW)
	path = filepath.Join(dir, "c.yaml")
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, pwFile
}

func TestRedactDSN(t *testing.T) {
	cases := map[string]string{
		"postgres://inv:" + dsnPW + "@db:5432/inv?sslmode=require":       "postgres://inv:xxxxx@db:5432/inv?sslmode=require",
		"postgresql://inv@db/inv?password=" + dsnPW + "&sslmode=disable": "postgresql://inv@db/inv?password=xxxxx&sslmode=disable",
		"host=db user=inv password=" + dsnPW + " dbname=inv":             "host=db user=inv password=xxxxx dbname=inv",
		"host=db password='" + dsnPW + " with space' dbname=inv":         "host=db password=xxxxx dbname=inv",
		"host=db PASSWORD = " + dsnPW:                                    "host=db PASSWORD = xxxxx",
		"postgres://inv@db/inv":                                          "postgres://inv@db/inv",
		"postgres://inv:" + dsnPW + "@[::1:5432/inv":                     "[redacted: unparseable dsn]",
	}
	for in, want := range cases {
		if got := config.RedactDSN(in); got != want {
			t.Errorf("RedactDSN(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSecretsNeverInOutputErrorsOrLogs(t *testing.T) {
	kl := keyLine(t, "k1")
	keyB64 := strings.SplitN(kl, ":", 2)[1]
	secretValues := []string{inlinePW, envPW, filePW, dsnPW, keyB64}

	for _, dsn := range []string{
		"postgres://inv:" + dsnPW + "@db.example.com/inv",
		"host=db user=inv password=" + dsnPW + " dbname=inv",
	} {
		path, _ := secretConfig(t, dsn)
		env := config.MapEnv(map[string]string{"VC1_PASSWORD": envPW, "VINVENTORY_KEYS": kl})
		c, err := config.Load(path, env)
		if err != nil {
			t.Fatal(err)
		}
		var outs []string
		outs = append(outs, c.String(), c.Redacted(), fmt.Sprint(c), fmt.Sprint(*c),
			fmt.Sprintf("%v|%+v|%#v|%s|%q|%x", c, c, c, c, c, c),
			fmt.Sprintf("%v|%+v|%#v", *c, *c, *c),
			fmt.Sprintf("%v|%+v|%#v", c.Store, c.Store, c.Store),
			fmt.Sprintf("%v|%+v|%#v", c.Endpoints, c.Endpoints[2], c.Endpoints[2]),
			strings.Join(c.Warnings(), "\n"))
		for _, v := range []any{c, *c, c.Store, c.Endpoints} {
			j, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			y, err := yaml.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			outs = append(outs, string(j), string(y))
		}
		if !strings.Contains(c.Redacted(), "xxxxx") || !strings.Contains(c.Redacted(), "password: '[redacted]'") || !strings.Contains(c.Redacted(), "password_env: VC1_PASSWORD") {
			t.Errorf("Redacted lacks the masks or the references:\n%s", c.Redacted())
		}
		if !strings.Contains(strings.Join(c.Warnings(), "\n"), "endpoints[2].password: inline passwords are discouraged") ||
			!strings.Contains(strings.Join(c.Warnings(), "\n"), "store.dsn: contains a password") {
			t.Errorf("warnings = %q", c.Warnings())
		}

		// Logs: slog JSON and text handlers, and zap through an observer
		// encoded to JSON and console.
		kr, err := c.Keyring(env)
		if err != nil {
			t.Fatal(err)
		}
		eps, err := c.ResolveEndpoints(kr, env)
		if err != nil {
			t.Fatal(err)
		}
		var sb bytes.Buffer
		for _, h := range []slog.Handler{slog.NewJSONHandler(&sb, nil), slog.NewTextHandler(&sb, nil)} {
			l := slog.New(h)
			l.Info("config loaded", "config", c, "store", c.Store, "endpoint", c.Endpoints[2], "endpoints", c.Endpoints, "keyring", kr)
			l.Info("endpoint", "ep", eps[2], slog.Any("cfg", *c))
		}
		outs = append(outs, sb.String())
		if !strings.Contains(sb.String(), "vc-inline") || !strings.Contains(sb.String(), "xxxxx") {
			t.Errorf("slog output lacks the endpoint or DSN mask:\n%s", sb.String())
		}
		core, logs := observer.New(zapcore.DebugLevel)
		zl := zap.New(core)
		zl.Info("config loaded", zap.Object("config", c), zap.Object("store", c.Store), zap.Object("endpoint", c.Endpoints[2]),
			zap.Any("cfg", c), zap.Any("ep", c.Endpoints[2]), zap.Reflect("reflected", c), zap.Reflect("eps", c.Endpoints),
			zap.Stringer("str", c), zap.Any("inv", eps[2]), zap.Any("pw", c.Endpoints[2].Password), zap.Stringer("kr", kr))
		var zb bytes.Buffer
		for _, enc := range []zapcore.Encoder{zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), zapcore.NewConsoleEncoder(zap.NewDevelopmentEncoderConfig())} {
			for _, e := range logs.All() {
				buf, err := enc.Clone().EncodeEntry(e.Entry, e.Context)
				if err != nil {
					t.Fatal(err)
				}
				zb.Write(buf.Bytes())
			}
		}
		for _, e := range logs.All() {
			fmt.Fprintf(&zb, "%v\n", e.ContextMap())
		}
		outs = append(outs, zb.String())
		if !strings.Contains(zb.String(), "vc-inline") || !strings.Contains(zb.String(), "xxxxx") {
			t.Errorf("zap output lacks the endpoint or DSN mask:\n%s", zb.String())
		}
		for i, o := range outs {
			assertNoSecrets(t, fmt.Sprintf("output %d", i), o, secretValues...)
		}
	}

	// Errors: a bad DSN, a URL with a password, a bad key, a bad password
	// file — none echo a secret.
	var errs []error
	bad := config.Default()
	bad.Store = config.StoreConfig{Driver: "postgres", DSN: "mysql://inv:" + dsnPW + "@db/inv"}
	errs = append(errs, bad.Validate())
	bad.Store.DSN = "postgres://inv:" + dsnPW + "@[::1/inv"
	errs = append(errs, bad.Validate())
	bad.Store.DSN = "just-a-" + dsnPW
	errs = append(errs, bad.Validate())
	bad.Store.DSN = "postgres://inv:" + dsnPW + "@db/inv"
	bad.Endpoints = []config.EndpointConfig{{Name: "x", URL: "https://u:" + inlinePW + "@vc/sdk", Username: "u", Password: inlinePW, PasswordEnv: "A"}}
	errs = append(errs, bad.Validate())
	bad.Keys = config.KeysConfig{Env: "K"}
	_, err := bad.Keyring(config.MapEnv(map[string]string{"K": "k1:" + keyB64[:20]}))
	errs = append(errs, err)
	_, err = bad.Keyring(config.MapEnv(map[string]string{"K": keyB64}))
	errs = append(errs, err)
	// A password typed into a key that expects a number.
	_, err = config.Load(writeFile(t, "c.yaml", "settings:\n  hourly_snapshot_concurrency: "+inlinePW+"\n", 0o600), nil)
	errs = append(errs, err)
	for i, err := range errs {
		if err == nil {
			t.Fatalf("case %d: no error", i)
		}
		assertNoSecrets(t, fmt.Sprintf("error %d", i), err.Error(), append(secretValues, keyB64[:20])...)
	}
	if !strings.Contains(errs[0].Error(), "store.dsn: URL scheme must be postgres:// or postgresql://") {
		t.Errorf("bad DSN error = %v", errs[0])
	}
}

func TestResolveEndpointsPasswords(t *testing.T) {
	kr, err := secrets.ParseKeyring(keyLine(t, "k1"))
	if err != nil {
		t.Fatal(err)
	}
	path, pwFile := secretConfig(t, "postgres://inv@db/inv")
	env := config.MapEnv(map[string]string{"VC1_PASSWORD": envPW})
	c, err := config.Load(path, env)
	if err != nil {
		t.Fatal(err)
	}
	eps, err := c.ResolveEndpoints(kr, env)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"vc-env": envPW, "esx-file": filePW, "vc-inline": inlinePW}
	if len(eps) != 3 {
		t.Fatalf("got %d endpoints", len(eps))
	}
	for _, ep := range eps {
		if bytes.Contains(ep.Credential, []byte(want[ep.Name])) {
			t.Fatalf("%s: credential holds the plaintext", ep.Name)
		}
		pt, err := kr.Decrypt(ep.Credential, ep.Name)
		if err != nil || string(pt) != want[ep.Name] {
			t.Fatalf("%s: decrypted %q, %v; want %q", ep.Name, pt, err, want[ep.Name])
		}
		for other := range want {
			if other != ep.Name {
				if _, err := kr.Decrypt(ep.Credential, other); !errors.Is(err, secrets.ErrDecrypt) {
					t.Fatalf("%s credential opens as %s: %v", ep.Name, other, err)
				}
			}
		}
		p, err := kr.DecryptCredential(context.Background(), ep)
		if err != nil || p != want[ep.Name] {
			t.Fatalf("DecryptCredential(%s): %v", ep.Name, err)
		}
	}
	if eps[1].Kind != inventory.KindESXi || eps[0].PollInterval != inventory.DefaultPollInterval || !eps[0].Enabled {
		t.Fatalf("fields: %+v", eps)
	}

	// Missing env var, empty file, unreadable file: all reported, each
	// naming its endpoint and source, none a value.
	os.WriteFile(pwFile, []byte("\n"), 0o600)
	c.Endpoints = append(c.Endpoints, config.EndpointConfig{Name: "gone", URL: "https://g/sdk", Username: "u", PasswordFile: filepath.Join(t.TempDir(), "nope")})
	_, err = c.ResolveEndpoints(kr, config.MapEnv(nil))
	es := errorsOf(t, err)
	if got := strings.Join(paths(es), ","); got != "endpoints[0].password_env,endpoints[1].password_file,endpoints[3].password_file" {
		t.Fatalf("paths = %s (%v)", got, err)
	}
	if !strings.Contains(err.Error(), "environment variable VC1_PASSWORD is not set") || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("err = %v", err)
	}
	if _, err := c.ResolveEndpoints(nil, env); err == nil {
		t.Fatal("nil keyring accepted")
	}
}

func TestKeyringSources(t *testing.T) {
	l1, l2 := keyLine(t, "a"), keyLine(t, "b")
	c := config.Default()
	kr, err := c.Keyring(config.MapEnv(map[string]string{"VINVENTORY_KEYS": l1 + "," + l2}))
	if err != nil || kr.NewestID() != "b" {
		t.Fatalf("env keyring: %v", err)
	}
	_, err = c.Keyring(nil)
	if err == nil || !strings.Contains(err.Error(), "keys.env") || !strings.Contains(err.Error(), "VINVENTORY_KEYS") {
		t.Fatalf("missing env: %v", err)
	}
	c.Keys.File = writeFile(t, "keys", "# keys\n"+l2+"\n", 0o600)
	kr, err = c.Keyring(config.MapEnv(map[string]string{"VINVENTORY_KEYS": l1}))
	if err != nil || strings.Join(kr.IDs(), ",") != "b" {
		t.Fatalf("file keyring wins over env: %v %v", kr, err)
	}
	os.Chmod(c.Keys.File, 0o644)
	_, err = c.Keyring(nil)
	var ie *secrets.InsecureFileError
	if !errors.As(err, &ie) || !strings.HasPrefix(err.Error(), "keys.file: ") {
		t.Fatalf("world-readable key file: %v", err)
	}
}

func TestSyncEndpoints(t *testing.T) {
	hostile := []string{`vc "quoted" \ back`, "ünïcødé-☃", "=HYPERLINK(\"http://x\")", "<script>alert(1)</script>", strings.Repeat("é", 127)}
	testbackends.ForEach(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		l1 := keyLine(t, "k1")
		kr, _ := secrets.ParseKeyring(l1)
		// An endpoint added through the registry (e.g. the web UI) only.
		legacyBlob, _ := kr.Encrypt([]byte("legacy-pw"), "legacy")
		if _, err := st.UpsertEndpoint(ctx, &store.UpsertEndpointParams{Endpoint: inventory.Endpoint{Name: "legacy", URL: "https://legacy/sdk", Username: "l", Credential: legacyBlob}}); err != nil {
			t.Fatal(err)
		}
		// A registry endpoint the config names too: config wins.
		if _, err := st.UpsertEndpoint(ctx, &store.UpsertEndpointParams{Endpoint: inventory.Endpoint{Name: "vc1", URL: "https://old/sdk", Username: "old"}}); err != nil {
			t.Fatal(err)
		}
		var src strings.Builder
		src.WriteString("endpoints:\n  - name: vc1\n    url: https://vc1/sdk\n    username: svc\n    password_env: VC1_PASSWORD\n    tags: {site: dc1}\n")
		for i, n := range hostile {
			q, _ := json.Marshal(n)
			fmt.Fprintf(&src, "  - name: %s\n    url: https://h%d.example.com/sdk\n    username: %s\n    password_env: VC1_PASSWORD\n", q, i, q)
		}
		envMap := map[string]string{"VC1_PASSWORD": envPW}
		env := config.MapEnv(envMap)
		c, err := config.Load(writeFile(t, "c.yaml", src.String(), 0o600), env)
		if err != nil {
			t.Fatal(err)
		}
		res, err := c.SyncEndpoints(ctx, st, kr, env)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Created) != len(hostile) || len(res.Updated) != 1 || res.Updated[0] != "vc1" || len(res.Unchanged) != 0 || len(res.Kept) != 1 || res.Kept[0] != "legacy" {
			t.Fatalf("first sync = %+v", res)
		}
		all, err := st.ListEndpoints(ctx, &store.ListEndpointsParams{})
		if err != nil || len(all) != len(hostile)+2 {
			t.Fatalf("registry has %d endpoints, %v", len(all), err)
		}
		for _, n := range append(hostile, "vc1") {
			ep, err := st.GetEndpoint(ctx, &store.GetEndpointParams{Name: n})
			if err != nil {
				t.Fatalf("%q: %v", n, err)
			}
			if p, err := kr.DecryptCredential(ctx, *ep); err != nil || p != envPW {
				t.Fatalf("%q: stored credential opens to %v", n, err)
			}
		}
		vc1, _ := st.GetEndpoint(ctx, &store.GetEndpointParams{Name: "vc1"})
		if vc1.URL != "https://vc1/sdk" || vc1.Username != "svc" || vc1.Tags["site"] != "dc1" {
			t.Fatalf("config did not win: %+v", vc1)
		}
		legacy, _ := st.GetEndpoint(ctx, &store.GetEndpointParams{Name: "legacy"})
		if !bytes.Equal(legacy.Credential, legacyBlob) {
			t.Fatal("registry-only endpoint was modified")
		}

		// Same config again: nothing rewritten, blobs stable.
		res, err = c.SyncEndpoints(ctx, st, kr, env)
		if err != nil || len(res.Unchanged) != len(hostile)+1 || len(res.Created)+len(res.Updated) != 0 {
			t.Fatalf("second sync = %+v, %v", res, err)
		}
		again, _ := st.GetEndpoint(ctx, &store.GetEndpointParams{Name: "vc1"})
		if !bytes.Equal(again.Credential, vc1.Credential) || !again.UpdatedAt.Equal(vc1.UpdatedAt) {
			t.Fatal("unchanged endpoint was rewritten")
		}

		// New password: every endpoint using it is updated.
		envMap["VC1_PASSWORD"] = "rotated-pw"
		res, err = c.SyncEndpoints(ctx, st, kr, env)
		if err != nil || len(res.Updated) != len(hostile)+1 {
			t.Fatalf("password change sync = %+v, %v", res, err)
		}
		again, _ = st.GetEndpoint(ctx, &store.GetEndpointParams{Name: "vc1"})
		if p, _ := kr.DecryptCredential(ctx, *again); p != "rotated-pw" {
			t.Fatalf("password not updated: %q", p)
		}
		// New key in the keyring: credentials move to it.
		kr2, _ := secrets.ParseKeyring(l1 + "," + keyLine(t, "k2"))
		res, err = c.SyncEndpoints(ctx, st, kr2, env)
		if err != nil || len(res.Updated) != len(hostile)+1 {
			t.Fatalf("new key sync = %+v, %v", res, err)
		}
		again, _ = st.GetEndpoint(ctx, &store.GetEndpointParams{Name: "vc1"})
		if id, _ := secrets.KeyID(again.Credential); id != "k2" {
			t.Fatalf("credential on key %s, want k2", id)
		}
		// Fields changed in the file: updated.
		c.Endpoints[0].Enabled = false
		res, err = c.SyncEndpoints(ctx, st, kr2, env)
		if err != nil || len(res.Updated) != 1 || res.Updated[0] != "vc1" {
			t.Fatalf("field change sync = %+v, %v", res, err)
		}
		// Unresolvable password: nothing is written.
		delete(envMap, "VC1_PASSWORD")
		c.Endpoints[0].Enabled = true
		if _, err := c.SyncEndpoints(ctx, st, kr2, env); err == nil {
			t.Fatal("sync with a missing password succeeded")
		}
		if again, _ = st.GetEndpoint(ctx, &store.GetEndpointParams{Name: "vc1"}); again.Enabled {
			t.Fatal("failed sync wrote an endpoint")
		}
	})
}

func TestHostileNamesInErrors(t *testing.T) {
	long := strings.Repeat("☃", 400) // 1200 bytes
	c := config.Default()
	c.Endpoints = []config.EndpointConfig{
		{Name: long, URL: "https://a/sdk", Username: "u", PasswordEnv: "P"},
		{Name: "=1+1", URL: "https://b/sdk", Username: "<b>", PasswordEnv: "P"},
		{Name: "=1+1", URL: "https://c/sdk", Username: "u", PasswordEnv: "P"},
	}
	err := c.Validate()
	es := errorsOf(t, err)
	if got := strings.Join(paths(es), ","); got != "endpoints[0].name,endpoints[2].name" {
		t.Fatalf("paths = %s: %v", got, err)
	}
	if !strings.Contains(err.Error(), `duplicate endpoint name "=1+1" (also endpoints[1])`) {
		t.Fatalf("err = %v", err)
	}
}

func TestFlagsDoNotLeakDSN(t *testing.T) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fl := config.RegisterFlags(fs)
	fs.Parse([]string{"-dsn", "postgres://inv:" + dsnPW + "@/inv"})
	_, err := fl.Load(nil)
	if err == nil || !strings.Contains(err.Error(), "flag -dsn: store.dsn: must name a host") {
		t.Fatalf("err = %v", err)
	}
	assertNoSecrets(t, "error", err.Error(), dsnPW)
}
