// Command apibench is the API and web UI load benchmark
// (internal/apibench): it captures a simulated vCenter into a SQLite file
// or a PostgreSQL schema (kept, so a second run reuses it), serves the API
// and the pages over it and drives them with concurrent clients, then
// times the same store calls in-process; last, it weighs the main pages.
//
//	go run ./examples/apibench -store sqlite -dsn /tmp/apibench.db -vms 40000
//	go run ./examples/apibench -store postgres -dsn postgres://... -vms 40000
//	go run ./examples/apibench -dsn /tmp/apibench.db -clients 50 -workloads "page's|HTML"
//
// It prints Markdown tables (docs/benchmarks.md keeps the figures).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"regexp"
	"syscall"
	"time"

	"github.com/accessvault/vinventory/internal/apibench"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/pgstore"
	"github.com/accessvault/vinventory/store/sqlitestore"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "apibench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("apibench", flag.ContinueOnError)
	fs.SetOutput(stdout)
	kind := fs.String("store", "sqlite", "backend: sqlite or postgres")
	dsn := fs.String("dsn", "apibench.db", "SQLite file or PostgreSQL DSN")
	schema := fs.String("schema", "vinventory_apibench", "PostgreSQL schema")
	var cfg apibench.Config
	fs.IntVar(&cfg.VMs, "vms", 40000, "VMs in the simulated vCenter")
	fs.IntVar(&cfg.Clients, "clients", 100, "concurrent clients")
	fs.DurationVar(&cfg.Duration, "duration", 30*time.Second, "how long each workload runs")
	only := fs.String("workloads", "", "run only the workloads whose name matches this regular expression (e.g. \"page's|HTML\": the VM list page and its API query)")
	fs.BoolVar(&cfg.Weights, "weights", true, "print the main pages' first-load weight (gzip) after the workloads")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *only != "" {
		re, err := regexp.Compile(*only)
		if err != nil {
			return fmt.Errorf("-workloads: %w", err)
		}
		cfg.Workloads = re
	}
	var st store.Store
	switch *kind {
	case "postgres":
		p, err := pgstore.Open(ctx, *dsn, pgstore.Options{Schema: *schema})
		if err != nil {
			return err
		}
		defer p.Close()
		if err := p.Migrate(ctx); err != nil {
			return err
		}
		st = p
	case "sqlite":
		s, err := sqlitestore.Open(ctx, *dsn, sqlitestore.Options{AutoMigrate: true})
		if err != nil {
			return err
		}
		defer s.Close()
		st = s
	default:
		return fmt.Errorf("-store %q: want sqlite or postgres", *kind)
	}
	cfg.Store, cfg.Name, cfg.Out, cfg.Log = st, *kind, stdout, os.Stderr
	fmt.Fprint(stdout, apibench.Header)
	_, err := apibench.Run(ctx, cfg)
	return err
}
