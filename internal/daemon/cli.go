package daemon

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/accessvault/vinventory"
	"github.com/accessvault/vinventory/internal/config"
	"github.com/accessvault/vinventory/internal/jobs"
	"github.com/accessvault/vinventory/internal/live"
	"github.com/accessvault/vinventory/internal/secrets"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/pgstore"
	"github.com/accessvault/vinventory/store/sqlitestore"
)

// Env looks up environment variables (os.LookupEnv in the binary, a map in
// tests).
type Env = config.Getenv

const usage = `vinventoryd — scheduled vSphere inventory capture, aggregation and reports

Usage:
  vinventoryd --demo [-data-dir DIR] [-listen ADDR]   simulator + SQLite + reports, in one command
  vinventoryd [flags] [command] [command flags]

Commands:
  run                  run the schedules, /healthz and /metrics (the default)
  check-config         validate the configuration and print it, secrets redacted
  backfill             aggregate days or months that have no rollups yet
  repair               rebuild canonical data from compatibility tables where it is missing, then aggregate
  rebuild              recompute rollups (and compatibility summaries) for days or months, replacing them
  regenerate-reports   rewrite the XLSX reports of a range of days
  rotate-keys          re-encrypt every stored endpoint password under the newest key
  enqueue CMD [flags]  queue backfill, repair, rebuild, regenerate-reports or rotate-keys
                       as a job for the running daemon (the same request queued twice runs once)
  jobs                 list the latest job runs (state, attempts, progress, errors)
  token create -name N -role viewer|operator|admin [-vcenter VC]...
                       make an API token (its secret is printed once); token list [-all], token revoke ID
  keygen               print a new key line (ID:base64) for the keyring

Flags:
`

// Main runs vinventoryd with args (without the program name) and returns
// the process exit code.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer, getenv Env) int {
	fs := flag.NewFlagSet("vinventoryd", flag.ContinueOnError)
	fs.SetOutput(stderr)
	flags := config.RegisterFlags(fs)
	demo := fs.Bool("demo", false, "run the demo: vCenter simulator + SQLite under -data-dir (default ./demo-data) + reports, then live captures")
	demoVMs := fs.Int("demo-vms", 500, "VMs in the demo's simulated vCenter")
	demoDays := fs.Int("demo-days", 3, "days of hourly history the demo simulates before going live")
	demoNoLive := fs.Bool("demo-no-live", false, "in the demo, do not follow the simulator with a live watcher between captures")
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *demo {
		dir := flags.DataDir
		if dir == "" {
			dir = "./demo-data"
		}
		listen := flags.Listen
		if listen == "" {
			listen = "127.0.0.1:8080"
		}
		logger, err := newLogger(config.LogConfig{Level: orDefault(flags.LogLevel, "warn"), Format: "console"}, stderr)
		if err != nil {
			fmt.Fprintln(stderr, "vinventoryd:", err)
			return 2
		}
		defer logger.Sync() //nolint:errcheck
		err = RunDemo(ctx, DemoOptions{DataDir: dir, Listen: listen, VMs: *demoVMs, Days: *demoDays, NoLive: *demoNoLive,
			Logger: logger, Out: stdout})
		if err != nil && !errors.Is(err, context.Canceled) {
			fmt.Fprintln(stderr, "vinventoryd demo:", err)
			return 1
		}
		return 0
	}

	cmd, rest := "run", fs.Args()
	if len(rest) > 0 {
		cmd, rest = rest[0], rest[1:]
	}
	if cmd == "keygen" {
		return keygen(rest, stdout, stderr)
	}
	if cmd == "check-config" {
		// The global flags may follow the command, as the example config's
		// header writes it: vinventoryd check-config -config FILE.
		if err := fs.Parse(rest); err != nil {
			return 2
		}
		if extra := fs.Args(); len(extra) > 0 {
			fmt.Fprintf(stderr, "vinventoryd check-config: unexpected argument %q\n", extra[0])
			return 2
		}
	}
	cfg, err := flags.Load(getenv)
	if cmd == "check-config" {
		if err == nil {
			// What run checks before it opens anything: keyring, passwords.
			_, err = preflight(cfg, getenv)
		}
		return checkConfig(cfg, err, stdout, stderr)
	}
	if err != nil {
		fmt.Fprintf(stderr, "vinventoryd: invalid configuration:\n%v\n", err)
		return 2
	}
	logger, err := newLogger(cfg.Log, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "vinventoryd:", err)
		return 2
	}
	defer logger.Sync() //nolint:errcheck

	var run func(context.Context, *App, []string) error
	switch cmd {
	case "run":
		run = runDaemon
	case "backfill", "repair", "rebuild":
		run = func(ctx context.Context, a *App, args []string) error { return runBackfill(ctx, a, cmd, args, stdout) }
	case "regenerate-reports":
		run = func(ctx context.Context, a *App, args []string) error { return regenerateReports(ctx, a, args, stdout) }
	case "rotate-keys":
		run = func(ctx context.Context, a *App, args []string) error { return rotateKeys(ctx, a, stdout) }
	case "enqueue":
		run = func(ctx context.Context, a *App, args []string) error { return enqueueCommand(ctx, a, args, stdout) }
	case "jobs":
		run = func(ctx context.Context, a *App, args []string) error { return jobsCommand(ctx, a, args, stdout) }
	case "token":
		run = func(ctx context.Context, a *App, args []string) error { return tokenCommand(ctx, a, args, stdout) }
	default:
		fmt.Fprintf(stderr, "vinventoryd: unknown command %q\n\n", cmd)
		fs.Usage()
		return 2
	}
	app, err := OpenApp(ctx, cfg, getenv, logger)
	if err != nil {
		fmt.Fprintln(stderr, "vinventoryd:", err)
		return 1
	}
	defer app.Close()
	if err := run(ctx, app, rest); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprintf(stderr, "vinventoryd %s: %v\n", cmd, err)
			return 2
		}
		logger.Error("command failed", zap.String("command", cmd), zap.Error(err))
		fmt.Fprintf(stderr, "vinventoryd %s: %v\n", cmd, err)
		return 1
	}
	return 0
}

// usageError is a bad command line.
type usageError struct{ error }

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func checkConfig(cfg *config.Config, err error, stdout, stderr io.Writer) int {
	if err != nil {
		fmt.Fprintf(stderr, "configuration is invalid:\n%v\n", err)
		return 1
	}
	for _, w := range cfg.Warnings() {
		fmt.Fprintln(stderr, "warning:", w)
	}
	fmt.Fprintln(stdout, "# configuration is valid (secrets redacted)")
	fmt.Fprint(stdout, cfg.Redacted())
	return 0
}

func keygen(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("keygen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	id := fs.String("id", "", "key id (default k<YYYYMMDD>-<6 random hex digits>, unique per call)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *id == "" {
		var b [3]byte
		if _, err := rand.Read(b[:]); err != nil {
			fmt.Fprintln(stderr, "vinventoryd keygen:", err)
			return 2
		}
		*id = "k" + time.Now().UTC().Format("20060102") + "-" + hex.EncodeToString(b[:])
	}
	line, err := secrets.GenerateKey(*id)
	if err != nil {
		fmt.Fprintln(stderr, "vinventoryd keygen:", err)
		return 2
	}
	fmt.Fprintln(stdout, line)
	return 0
}

// newLogger builds the zap logger of a LogConfig, writing to w.
func newLogger(c config.LogConfig, w io.Writer) (*zap.Logger, error) {
	level, err := zapcore.ParseLevel(orDefault(c.Level, "info"))
	if err != nil {
		return nil, fmt.Errorf("log.level: %w", err)
	}
	encCfg := zap.NewProductionEncoderConfig()
	encCfg.EncodeTime = zapcore.ISO8601TimeEncoder
	var enc zapcore.Encoder
	switch strings.ToLower(orDefault(c.Format, "json")) {
	case "json":
		enc = zapcore.NewJSONEncoder(encCfg)
	case "console":
		encCfg.EncodeLevel = zapcore.CapitalLevelEncoder
		enc = zapcore.NewConsoleEncoder(encCfg)
	default:
		return nil, fmt.Errorf("log.format: %q is not json or console", c.Format)
	}
	return zap.New(zapcore.NewCore(enc, zapcore.AddSync(w), level)), nil
}

// App is an opened daemon: configuration, store, keyring and pipeline.
type App struct {
	Config *config.Config
	Store  store.Store
	PG     *pgstore.Store // set when the store is PostgreSQL
	// SQLitePath is the SQLite file when the store is one OpenApp opened:
	// `run` then holds a lock beside it, so that two daemons never
	// schedule jobs on one file.
	SQLitePath string
	Keyring    *secrets.Keyring
	Pipeline   *vinventory.Pipeline
	Logger     *zap.Logger
	Getenv     Env
	// Clock defaults to time.Now (tests inject one).
	Clock func() time.Time
	// JobClock drives the scheduler; nil means the system clock. Tests set
	// it together with Clock.
	JobClock jobs.Clock

	parkOnce sync.Once
	park     *Parking

	// sess are the endpoint sessions of metrics collections and alert
	// power events (sessions()), closed by Close.
	sessMu sync.Mutex
	sess   *sessions
	// collector runs the metrics collections (metricsJobs).
	collectorOnce sync.Once
	collector     *metricsCollector

	// live runs the live watchers (live.enabled), once startLive ran.
	live *LiveManager
	// alerts runs the evaluator and the notifier (alerts.enabled), once
	// startAlerts ran.
	alerts atomic.Pointer[AlertManager]
	// hub feeds /api/stream, once the API was built (withAPI); the
	// watchers wake it after each commit.
	hub atomic.Pointer[live.Hub]

	jobsOnce    sync.Once
	jobsBackend jobs.Backend
	jobsErr     error
	jobsDB      *sql.DB // the job queue's own SQLite connection, if any
}

// sessions returns the App's endpoint sessions (opened through the
// keyring and the App's Parking), created on first use.
func (a *App) sessions() (*sessions, error) {
	a.sessMu.Lock()
	defer a.sessMu.Unlock()
	if a.sess == nil {
		op, err := Opener(a.Keyring, a.Logger, a.parking())
		if err != nil {
			return nil, err
		}
		a.sess = newSessions(a.Store, op)
	}
	return a.sess, nil
}

// parking returns the App's Parking of endpoints whose credentials were
// refused (schedule.login_failure_backoff, on the App's clock).
func (a *App) parking() *Parking {
	a.parkOnce.Do(func() {
		a.park = NewParking(a.Config.Schedule.LoginFailureBackoff, a.Clock)
	})
	return a.park
}

// OpenApp opens the store (migrating it), loads the keyring, syncs the
// configured endpoints into the store's registry and builds the pipeline.
func OpenApp(ctx context.Context, cfg *config.Config, getenv Env, logger *zap.Logger) (*App, error) {
	a := &App{Config: cfg, Logger: logger, Getenv: getenv, Clock: time.Now}
	// Everything a start needs that is not in the store is checked first, so
	// a start that cannot work leaves no new (empty) database behind.
	kr, err := preflight(cfg, getenv)
	if err != nil {
		return nil, err
	}
	a.Keyring = kr
	if err := a.openStore(ctx); err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			a.Store.Close()
		}
	}()
	if len(cfg.Endpoints) > 0 {
		res, err := cfg.SyncEndpoints(ctx, a.Store, kr, getenv)
		if err != nil {
			return nil, fmt.Errorf("sync configured endpoints: %w", err)
		}
		logger.Info("endpoints synced", zap.Strings("created", res.Created), zap.Strings("updated", res.Updated),
			zap.Strings("unchanged", res.Unchanged), zap.Strings("registry_only", res.Kept))
	}
	p, err := vinventory.NewPipeline(a.Store, cfg.PipelineSettings(), sdkLogger(logger, ""), vinventory.WithClock(func() time.Time { return a.Clock() }))
	if err != nil {
		return nil, err
	}
	a.Pipeline = p
	ok = true
	return a, nil
}

// openStore opens (and migrates) the configured store.
func (a *App) openStore(ctx context.Context) error {
	cfg := a.Config
	switch cfg.Store.Driver {
	case "postgres":
		st, err := pgstore.Open(ctx, cfg.Store.DSN, pgstore.Options{AutoMigrate: true})
		if err != nil {
			return fmt.Errorf("open PostgreSQL store: %w", err)
		}
		a.Store, a.PG = st, st
	default:
		st, err := sqlitestore.Open(ctx, cfg.Store.Path, sqlitestore.Options{AutoMigrate: true})
		if err != nil {
			return fmt.Errorf("open SQLite store %s: %w", cfg.Store.Path, err)
		}
		a.Store, a.SQLitePath = st, cfg.Store.Path
	}
	return nil
}

// Close closes the job queue's connection and the store.
func (a *App) Close() error {
	a.sessMu.Lock()
	if a.sess != nil {
		a.sess.close(context.Background())
	}
	a.sessMu.Unlock()
	var err error
	if a.jobsDB != nil {
		err = a.jobsDB.Close()
	}
	return errors.Join(err, a.Store.Close())
}

// preflight loads the keyring and resolves every configured endpoint's
// password (environment variable set, file readable), as run needs them;
// check-config runs it too.
func preflight(cfg *config.Config, getenv Env) (*secrets.Keyring, error) {
	kr, err := cfg.Keyring(getenv)
	if err != nil {
		return nil, err
	}
	if _, err := cfg.ResolveEndpoints(kr, getenv); err != nil {
		return nil, fmt.Errorf("configured endpoints: %w", err)
	}
	if _, err := apiTokens(cfg.API, getenv); err != nil {
		return nil, err
	}
	return kr, nil
}

// osEnv is os.LookupEnv as an Env.
func osEnv(name string) (string, bool) { return os.LookupEnv(name) }

// OSEnv is the process environment.
var OSEnv Env = osEnv
