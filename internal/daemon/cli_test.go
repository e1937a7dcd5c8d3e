package daemon

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/accessvault/vinventory/internal/config"
	"github.com/accessvault/vinventory/internal/secrets"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/sqlitestore"
)

func runMain(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(context.Background(), args, &out, &errb, config.MapEnv(env))
	return code, out.String(), errb.String()
}

func TestCheckConfig(t *testing.T) {
	dir := t.TempDir()
	const secret = "hunter2-do-not-log"
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte(`store: {driver: mysql}
settings: {hourly_snapshot_concurrency: 0}
endpoints:
  - name: vc1
    url: "ftp://vc1.example.com/sdk"
    username: u
    password: `+secret+`
    tls: {insecure: true}
  - name: vc1
    url: https://vc2.example.com/sdk
    username: u
    password_env: VC2_PASSWORD
`), 0o600)
	code, stdout, stderr := runMain(t, nil, "-config", bad, "check-config")
	if code != 1 {
		t.Fatalf("check-config on a bad file: exit %d, want 1\n%s%s", code, stdout, stderr)
	}
	for _, want := range []string{"store.driver", "settings.hourly_snapshot_concurrency", "endpoints[0].url", "endpoints[1].name"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("check-config does not name %s:\n%s", want, stderr)
		}
	}
	if strings.Contains(stdout+stderr, secret) {
		t.Errorf("check-config printed the password:\n%s%s", stdout, stderr)
	}

	typo := filepath.Join(dir, "typo.yaml")
	os.WriteFile(typo, []byte("store: {driver: sqlite}\nsetings: {}\n"), 0o600)
	if code, _, stderr := runMain(t, nil, "-config", typo, "check-config"); code != 1 || !strings.Contains(stderr, "typo.yaml:2: setings: unknown key") {
		t.Errorf("unknown key: exit %d\n%s", code, stderr)
	}

	good := filepath.Join(dir, "good.yaml")
	os.WriteFile(good, []byte(`store: {driver: postgres, dsn: "postgres://inv:`+secret+`@db.example.com/inv"}
endpoints:
  - name: vc1
    url: https://vc1.example.com/sdk
    username: u
    password: `+secret+`
`), 0o600)
	code, stdout, stderr = runMain(t, keyEnv(t), "-config", good, "check-config")
	if code != 0 {
		t.Fatalf("check-config on a good file: exit %d\n%s%s", code, stdout, stderr)
	}
	if strings.Contains(stdout+stderr, secret) || !strings.Contains(stdout, secrets.Redacted) {
		t.Errorf("check-config output leaks or does not redact:\n%s%s", stdout, stderr)
	}
	if !strings.Contains(stdout, "vc1.example.com") {
		t.Errorf("check-config does not print the configuration:\n%s", stdout)
	}

	// Environment overrides are validated too, naming the variable.
	code, _, stderr = runMain(t, map[string]string{"VINVENTORY_SETTINGS_HOURLY_SNAPSHOT_CONCURRENCY": "-3"}, "check-config")
	if code != 1 || !strings.Contains(stderr, "VINVENTORY_SETTINGS_HOURLY_SNAPSHOT_CONCURRENCY") {
		t.Errorf("bad env override: exit %d\n%s", code, stderr)
	}
	// Unknown commands and bad flags are usage errors.
	if code, _, _ := runMain(t, nil, "-config", good, "frobnicate"); code != 2 {
		t.Errorf("unknown command: exit %d, want 2", code)
	}
	if code, _, _ := runMain(t, nil, "-no-such-flag"); code != 2 {
		t.Errorf("unknown flag: exit %d, want 2", code)
	}
}

func TestKeygen(t *testing.T) {
	code, out, _ := runMain(t, nil, "keygen", "-id", "k2026")
	if code != 0 || !regexp.MustCompile(`^k2026:[A-Za-z0-9+/=_-]{43,44}\n$`).MatchString(out) {
		t.Fatalf("keygen: exit %d, %q", code, out)
	}
	kr, err := secrets.ParseKeyring(strings.TrimSpace(out))
	if err != nil || kr.NewestID() != "k2026" {
		t.Fatalf("keygen line does not parse: %v", err)
	}
	// Without -id, each call names its key uniquely (two keys made the same
	// day can live in one keyring for a rotation).
	_, a, _ := runMain(t, nil, "keygen")
	_, b, _ := runMain(t, nil, "keygen")
	idA, _, _ := strings.Cut(a, ":")
	idB, _, _ := strings.Cut(b, ":")
	if idA == "" || idA == idB {
		t.Fatalf("keygen ids %q and %q, want two different ids", idA, idB)
	}
	if _, err := secrets.ParseKeyring(strings.TrimSpace(a) + "\n" + strings.TrimSpace(b)); err != nil {
		t.Fatalf("two generated keys do not form a keyring: %v", err)
	}
}

// TestCommandsOnDemoData runs the maintenance commands against the store a
// short demo history wrote: rebuild (same rollups again), backfill
// (nothing to do), regenerate-reports (a deleted report comes back),
// rotate-keys (the credential moves to the new key) and bad ranges.
func TestCommandsOnDemoData(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	if err := RunDemo(ctx, DemoOptions{DataDir: dir, Listen: "-", VMs: 20, Days: 2, HistoryOnly: true,
		Clock: func() time.Time { return now }}); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "vinventory.yaml")
	writeCfg := func(keyFile string) {
		t.Helper()
		y := "store: {driver: sqlite, path: " + filepath.Join(dir, "vinventory.db") + "}\n" +
			"http: {listen: \"\"}\nlog: {level: error}\nkeys: {file: " + keyFile + "}\n" +
			"settings: {report_dir: " + filepath.Join(dir, "reports") + "}\n"
		if err := os.WriteFile(cfg, []byte(y), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	writeCfg(filepath.Join(dir, "keyring"))

	dailyRows := func() map[string]inventory.DailyRollup {
		t.Helper()
		st, err := sqlitestore.Open(ctx, filepath.Join(dir, "vinventory.db"), sqlitestore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		out := map[string]inventory.DailyRollup{}
		err = st.ScanDailyRollups(ctx, &store.ScanRollupsParams{}, func(r *inventory.DailyRollup) error {
			out[r.Day.Format(time.DateOnly)+"/"+r.VMID] = *r
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	before := dailyRows()
	if len(before) == 0 {
		t.Fatal("demo wrote no daily rollups")
	}

	code, out, errOut := runMain(t, nil, "-config", cfg, "rebuild", "-from", "2026-02-28", "-to", "2026-03-01")
	if code != 0 || !strings.Contains(out, "2 daily") {
		t.Fatalf("rebuild: exit %d\n%s%s", code, out, errOut)
	}
	after := dailyRows()
	if len(after) != len(before) {
		t.Fatalf("rebuild changed the rollups: %d rows, had %d", len(after), len(before))
	}
	for k, r := range before {
		if a, ok := after[k]; !ok || a.AvgVCPUCount != r.AvgVCPUCount || a.SamplesPresent != r.SamplesPresent || a.TotalSamples != r.TotalSamples {
			t.Errorf("rebuild changed %s: %+v -> %+v", k, r.Rollup, a.Rollup)
		}
	}
	code, out, errOut = runMain(t, nil, "-config", cfg, "backfill", "-month", "2026-02")
	if code != 0 || !strings.Contains(out, "0 daily") {
		t.Errorf("backfill of an aggregated month: exit %d\n%s%s", code, out, errOut)
	}
	if code, _, errOut := runMain(t, nil, "-config", cfg, "backfill"); code != 2 || !strings.Contains(errOut, "-from") {
		t.Errorf("backfill without a range: exit %d: %s", code, errOut)
	}
	if code, _, errOut := runMain(t, nil, "-config", cfg, "rebuild", "-from", "2026-03-02", "-to", "2026-03-01"); code != 2 {
		t.Errorf("reversed range: exit %d: %s", code, errOut)
	}

	report := filepath.Join(dir, "reports", "inventory_daily_summary_20260228_"+DemoEndpoint+".xlsx")
	if err := os.Remove(report); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = runMain(t, nil, "-config", cfg, "regenerate-reports", "-from", "2026-02-28", "-kinds", "daily")
	if code != 0 || !strings.Contains(out, "1 written") {
		t.Fatalf("regenerate-reports: exit %d\n%s%s", code, out, errOut)
	}
	if _, err := os.Stat(report); err != nil {
		t.Errorf("regenerate-reports did not rewrite %s: %v", filepath.Base(report), err)
	}
	// -kinds rvtools writes the RVTools workbook of the latest state, of
	// the -vcenter given, without a day range.
	rv := filepath.Join(dir, "reports", "rvtools_latest_"+DemoEndpoint+".xlsx")
	if err := os.Remove(rv); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = runMain(t, nil, "-config", cfg, "regenerate-reports", "-kinds", "rvtools", "-vcenter", DemoEndpoint)
	if code != 0 || !strings.Contains(out, "1 written") || !strings.Contains(out, rv) {
		t.Fatalf("regenerate-reports -kinds rvtools: exit %d\n%s%s", code, out, errOut)
	}
	if _, err := os.Stat(rv); err != nil {
		t.Errorf("regenerate-reports -kinds rvtools did not write %s: %v", rv, err)
	}

	// rotate-keys: add a newer key; the stored credential moves to it and
	// opens with the new key alone.
	oldLines, err := os.ReadFile(filepath.Join(dir, "keyring"))
	if err != nil {
		t.Fatal(err)
	}
	newLine, _ := secrets.GenerateKey("demo2")
	both := filepath.Join(dir, "keyring2")
	os.WriteFile(both, append(oldLines, []byte(newLine+"\n")...), 0o600)
	writeCfg(both)
	code, out, errOut = runMain(t, nil, "-config", cfg, "rotate-keys")
	if code != 0 || !strings.Contains(out, "1 rotated") {
		t.Fatalf("rotate-keys: exit %d\n%s%s", code, out, errOut)
	}
	st, err := sqlitestore.Open(ctx, filepath.Join(dir, "vinventory.db"), sqlitestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ep, err := st.GetEndpoint(ctx, &store.GetEndpointParams{Name: DemoEndpoint})
	if err != nil {
		t.Fatal(err)
	}
	if id, err := secrets.KeyID(ep.Credential); err != nil || id != "demo2" {
		t.Errorf("credential key after rotation = %q, %v", id, err)
	}
	onlyNew, _ := secrets.ParseKeyring(newLine)
	if _, err := onlyNew.Decrypt(ep.Credential, DemoEndpoint); err != nil {
		t.Errorf("rotated credential does not open with the new key alone: %v", err)
	}
}

// TestCheckConfigPlaintext: an http:// endpoint is refused unless it sets
// tls.allow_plaintext, and then check-config warns loudly.
func TestCheckConfigPlaintext(t *testing.T) {
	dir := t.TempDir()
	write := func(name, tls string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(`store: {driver: sqlite, path: `+filepath.Join(dir, "x.db")+`}
endpoints:
  - name: lab
    url: http://vc-lab.example.com/sdk
    username: u
    password_env: LAB_PASSWORD
`+tls), 0o600)
		return p
	}
	env := keyEnv(t)
	env["LAB_PASSWORD"] = "pw"
	code, stdout, stderr := runMain(t, env, "-config", write("plain.yaml", ""), "check-config")
	if code != 1 || !strings.Contains(stderr, "endpoints[0].url") || !strings.Contains(stderr, "tls.allow_plaintext") {
		t.Errorf("http:// without allow_plaintext: exit %d, want 1 naming endpoints[0].url and tls.allow_plaintext\n%s%s", code, stdout, stderr)
	}
	code, stdout, stderr = runMain(t, env, "-config", write("allowed.yaml", "    tls: {allow_plaintext: true}\n"), "check-config")
	if code != 0 || !strings.Contains(stderr, "PLAINTEXT") || !strings.Contains(stderr, "lab") {
		t.Errorf("http:// with allow_plaintext: exit %d, want 0 with a PLAINTEXT warning naming lab\n%s%s", code, stdout, stderr)
	}
}

// TestCheckConfigFlagsAfterCommand: vinventoryd check-config -config FILE
// (flags after the command) reads FILE: a bad file is reported, not
// silently replaced by the defaults; a stray argument is an error.
func TestCheckConfigFlagsAfterCommand(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("store: {driver: mysql}\n"), 0o600)
	code, stdout, stderr := runMain(t, nil, "check-config", "-config", bad)
	if code != 1 || !strings.Contains(stderr, "store.driver") {
		t.Errorf("check-config -config bad.yaml: exit %d, want 1 naming store.driver\n%s%s", code, stdout, stderr)
	}
	good := filepath.Join(dir, "good.yaml")
	os.WriteFile(good, []byte("store: {driver: sqlite, path: "+filepath.Join(dir, "x.db")+"}\nlocation: Europe/Paris\n"), 0o600)
	code, stdout, stderr = runMain(t, keyEnv(t), "check-config", "-config", good)
	if code != 0 || !strings.Contains(stdout, "Europe/Paris") {
		t.Errorf("check-config -config good.yaml: exit %d, want 0 printing its location\n%s%s", code, stdout, stderr)
	}
	if code, _, stderr := runMain(t, keyEnv(t), "check-config", "-config", good, "extra"); code != 2 || !strings.Contains(stderr, `"extra"`) {
		t.Errorf("stray argument: exit %d\n%s", code, stderr)
	}
}

// TestFailedStartLeavesNoDatabase: check-config checks what run checks (a
// password variable that is not set), and a run that cannot start stops
// before it creates the SQLite file.
func TestFailedStartLeavesNoDatabase(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "inv.db")
	cfg := filepath.Join(dir, "c.yaml")
	os.WriteFile(cfg, []byte(`store: {driver: sqlite, path: `+db+`}
http: {listen: ""}
keys: {env: TEST_KEYS}
endpoints:
  - name: vc1
    url: https://vc1.example.com/sdk
    username: u
    password_env: VC1_PASSWORD_UNSET
`), 0o600)
	key, err := secrets.GenerateKey("k1")
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"TEST_KEYS": key}
	code, stdout, stderr := runMain(t, env, "-config", cfg, "check-config")
	if code != 1 || !strings.Contains(stderr, "VC1_PASSWORD_UNSET") {
		t.Errorf("check-config with an unset password variable: exit %d, want 1 naming it\n%s%s", code, stdout, stderr)
	}
	code, _, stderr = runMain(t, env, "-config", cfg, "run", "-once")
	if code == 0 || !strings.Contains(stderr, "VC1_PASSWORD_UNSET") {
		t.Errorf("run with an unset password variable: exit %d\n%s", code, stderr)
	}
	if _, err := os.Stat(db); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a failed start left %s behind (stat: %v)", db, err)
	}
}

// keyEnv returns an environment holding a keyring in VINVENTORY_KEYS (the
// default keys.env), as check-config and run need one.
func keyEnv(t *testing.T) map[string]string {
	t.Helper()
	key, err := secrets.GenerateKey("k1")
	if err != nil {
		t.Fatal(err)
	}
	return map[string]string{"VINVENTORY_KEYS": key}
}
