// Package config loads, validates and renders the configuration of the
// example daemon vinventoryd.
//
// A configuration is YAML (snake_case keys; unknown keys are errors naming
// the key path and line) layered as defaults < file < environment < flags:
//
//	cfg, err := config.Load("vinventory.yaml", os.LookupEnv)   // file + env, validated
//
//	fl := config.RegisterFlags(flag.CommandLine)               // -config -store -dsn -listen -data-dir -log-level
//	flag.Parse()
//	cfg, err := fl.Load(os.LookupEnv)                           // file + env + flags, validated
//
// Environment overrides are VINVENTORY_ plus the key path in upper case with
// dots as underscores (VINVENTORY_STORE_DSN, VINVENTORY_HTTP_LISTEN,
// VINVENTORY_SETTINGS_HOURLY_SNAPSHOT_CONCURRENCY); EnvVars lists them all.
//
// Validate reports every problem at once (errors.Join), each an *Error
// naming its key path, e.g. "endpoints[1].url: must not be empty". No error,
// String/Redacted output or log rendering (slog LogValue, zap
// MarshalLogObject, JSON) contains an endpoint password, a DSN password or
// key material.
//
// Endpoint passwords come from password_env, password_file or (with a
// warning) an inline password. Config.ResolveEndpoints encrypts them with a
// secrets.Keyring (context: the endpoint name) into
// inventory.Endpoint.Credential, and SyncEndpoints upserts them into a
// store's endpoint registry.
//
// The settings section carries the Settings table of docs/architecture.md under
// the same names (SettingsConfig).
package config
