// Command aggbench is the aggregation benchmark (internal/aggbench): it
// generates a synthetic dataset in a SQLite file or a PostgreSQL schema,
// times aggregate.Daily and aggregate.Monthly in each mode against the read
// bound, and prints a table and one JSON object per line to stdout.
//
//	go run ./examples/aggbench -store sqlite -dsn /tmp/agg.db -vms 15000 -days 30
//	go run ./examples/aggbench -store postgres -dsn postgres://... -vms 15000 -days 30
//
// It is a command of its own so that the daemon binary carries no
// benchmark code.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/accessvault/vinventory/internal/aggbench"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "aggbench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("aggbench", flag.ContinueOnError)
	fs.SetOutput(stdout)
	var cfg aggbench.Config
	var modes string
	var quiet bool
	fs.StringVar(&cfg.Store, "store", "sqlite", "backend: sqlite or postgres")
	fs.StringVar(&cfg.DSN, "dsn", "", "SQLite file (created if missing; default a temporary file) or PostgreSQL DSN")
	fs.StringVar(&cfg.Schema, "schema", "vinventory_aggbench", "PostgreSQL schema for the dataset (dropped and re-created)")
	fs.IntVar(&cfg.VMs, "vms", 15000, "number of VMs")
	fs.IntVar(&cfg.Days, "days", 30, "days of daily rollups in the month (monthly benchmark)")
	fs.IntVar(&cfg.Repeat, "repeat", 3, "runs per measurement (best reported)")
	fs.StringVar(&modes, "modes", "go,sql,legacy,read_bound", "comma-separated modes: "+strings.Join(aggbench.Modes(), ","))
	fs.BoolVar(&cfg.FullMonthHourly, "full-month-hourly", false, "also write hourly samples for the whole month (needed by the hourly mode)")
	fs.BoolVar(&cfg.Rerun, "rerun", false, "time re-runs over the period's existing outputs (repair) instead of the scheduled first run")
	fs.BoolVar(&quiet, "quiet", false, "no progress lines on stderr")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	for _, m := range strings.Split(modes, ",") {
		if m = strings.TrimSpace(m); m != "" {
			cfg.Modes = append(cfg.Modes, m)
		}
	}
	cfg.Out = stdout
	if !quiet {
		cfg.Log = os.Stderr
	}
	_, err := aggbench.Run(ctx, cfg)
	return err
}
