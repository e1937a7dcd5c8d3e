// Command vinventoryd is the example daemon built on the vinventory SDK:
// scheduled capture of vCenters and ESXi hosts, daily and monthly
// aggregation, deferred XLSX reports, retention cleanup, /healthz and
// Prometheus /metrics; several replicas share the work on PostgreSQL.
//
//	go run ./examples/daemon --demo        # simulator + SQLite + reports in ./demo-data
//	go run ./examples/daemon -config vinventory.yaml run
//	go run ./examples/daemon -h            # every command and flag
//
// The code lives in internal/daemon; this main only wires the process
// (signals, exit code) to it.
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
	os.Exit(daemon.Main(ctx, os.Args[1:], os.Stdout, os.Stderr, daemon.OSEnv))
}
