package daemon

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"go.uber.org/zap"

	"github.com/accessvault/vinventory/internal/config"
	"github.com/accessvault/vinventory/internal/jobs"
)

// WebUIMain runs examples/webui: the API (and, when built, the pages)
// over an existing store, apart from the collectors. It reads the daemon's
// configuration (store, http.listen, api tokens, log, and the keyring when
// one is configured) and runs no job: its job views and operator calls use
// the queue the daemons share.
func WebUIMain(ctx context.Context, args []string, stdout, stderr io.Writer, getenv Env) int {
	fs := flag.NewFlagSet("webui", flag.ContinueOnError)
	fs.SetOutput(stderr)
	flags := config.RegisterFlags(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "webui: unexpected arguments %q\n", fs.Args())
		return 2
	}
	cfg, err := flags.Load(getenv)
	if err != nil {
		fmt.Fprintf(stderr, "webui: invalid configuration:\n%v\n", err)
		return 2
	}
	if cfg.HTTP.Listen == "" {
		fmt.Fprintln(stderr, "webui: http.listen is empty: nothing to serve")
		return 2
	}
	logger, err := newLogger(cfg.Log, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "webui:", err)
		return 2
	}
	defer logger.Sync() //nolint:errcheck
	for _, w := range cfg.Warnings() {
		logger.Warn("configuration: " + w)
	}
	if err := serveWebUI(ctx, cfg, getenv, logger, stdout); err != nil && !errors.Is(err, context.Canceled) {
		logger.Error("webui failed", zap.Error(err))
		return 1
	}
	return 0
}

func serveWebUI(ctx context.Context, cfg *config.Config, getenv Env, logger *zap.Logger, stdout io.Writer) error {
	a := &App{Config: cfg, Logger: logger, Getenv: getenv}
	// The keyring is optional here: with it, the API can store endpoint
	// passwords and test connections.
	if kr, err := cfg.Keyring(getenv); err == nil {
		a.Keyring = kr
	} else {
		logger.Info("webui: no keyring, so endpoint passwords cannot be stored or tested here", zap.Error(err))
	}
	if err := a.openStore(ctx); err != nil {
		return err
	}
	defer a.Close()
	q, err := a.queue(ctx)
	if err != nil {
		return err
	}
	mux := NewMux(&HealthSource{Store: a.Store}, NewMetrics())
	if err := a.withAPI(mux, queueJobs{func() *jobs.Scheduler { return q }}, false); err != nil {
		return err
	}
	srv, addr, err := serveHTTP(ctx, cfg.HTTP.Listen, mux, logger, a.closeHub)
	if err != nil {
		return err
	}
	defer srv.Close()
	fmt.Fprintf(stdout, "webui: serving the pages at http://%s/ and the API at /api/ (document: /api/openapi.json)\n", addr)
	<-ctx.Done()
	return ctx.Err()
}
