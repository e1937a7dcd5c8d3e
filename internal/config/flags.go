package config

import (
	"flag"
	"path/filepath"
)

// Flags are the common command-line overrides. Register them with
// RegisterFlags, parse the FlagSet, then call Load (or ApplyFlags on a
// loaded Config). Only flags given on the command line override.
type Flags struct {
	fs *flag.FlagSet

	// Config is the -config file path. Defaults to "" (no file:
	// defaults and environment only).
	Config string
	// Store, DSN, Listen, DataDir and LogLevel hold -store, -dsn,
	// -listen, -data-dir and -log-level; each applies only when given.
	// -dsn alone also selects the postgres driver.
	Store    string
	DSN      string
	Listen   string
	DataDir  string
	LogLevel string
}

// RegisterFlags defines -config, -store, -dsn, -listen, -data-dir and
// -log-level on fs.
func RegisterFlags(fs *flag.FlagSet) *Flags {
	f := &Flags{fs: fs}
	fs.StringVar(&f.Config, "config", "", "configuration file (YAML)")
	fs.StringVar(&f.Store, "store", "", "store driver: sqlite or postgres (overrides store.driver)")
	fs.StringVar(&f.DSN, "dsn", "", "PostgreSQL DSN (overrides store.dsn; prefer VINVENTORY_STORE_DSN, flags are visible in ps)")
	fs.StringVar(&f.Listen, "listen", "", "address of /healthz and /metrics (overrides http.listen)")
	fs.StringVar(&f.DataDir, "data-dir", "", "directory for the SQLite file and reports: sets store.path to DIR/vinventory.db and settings.report_dir to DIR/reports")
	fs.StringVar(&f.LogLevel, "log-level", "", "debug, info, warn or error (overrides log.level)")
	return f
}

// ApplyFlags sets the keys of the flags that were given on the command
// line. -data-dir applies before -store/-dsn so a given path is not lost.
func (f *Flags) ApplyFlags(c *Config) {
	set := map[string]bool{}
	f.fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	if set["data-dir"] {
		c.Store.Path = filepath.Join(f.DataDir, "vinventory.db")
		c.Settings.ReportDir = filepath.Join(f.DataDir, "reports")
		c.setOrigin("store.path", "", "data-dir")
		c.setOrigin("settings.report_dir", "", "data-dir")
	}
	if set["store"] {
		c.Store.Driver = f.Store
		c.setOrigin("store.driver", "", "store")
	}
	if set["dsn"] {
		c.Store.DSN = f.DSN
		c.setOrigin("store.dsn", "", "dsn")
		if !set["store"] {
			c.Store.Driver = "postgres"
			c.setOrigin("store.driver", "", "dsn")
		}
	}
	if set["listen"] {
		c.HTTP.Listen = f.Listen
		c.setOrigin("http.listen", "", "listen")
	}
	if set["log-level"] {
		c.Log.Level = f.LogLevel
		c.setOrigin("log.level", "", "log-level")
	}
}

// Load reads the -config file (if any), applies the environment, then the
// flags given, and validates: defaults < file < environment < flags.
func (f *Flags) Load(getenv Getenv) (*Config, error) {
	c, err := load(f.Config, getenv)
	if err != nil {
		return nil, err
	}
	f.ApplyFlags(c)
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}
