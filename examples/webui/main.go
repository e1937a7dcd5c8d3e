// Command webui serves vinventory's web pages (at /) and JSON API (under
// /api/) over an existing store, apart from the collectors: a read-mostly
// front end for a deployment whose vinventoryd replicas run elsewhere.
//
//	go run ./examples/webui -config vinventory.yaml
//
// It reads the daemon's configuration file (store, http.listen, api.tokens,
// ui.require_login, log) and needs no keyring. The code lives in internal/daemon; this main
// only wires the process (signals, exit code) to it.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/accessvault/vinventory/internal/daemon"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(daemon.WebUIMain(ctx, os.Args[1:], os.Stdout, os.Stderr, daemon.OSEnv))
}
