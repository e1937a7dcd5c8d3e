// Package api is vinventory's JSON API (../shared/API.md): an http.Handler
// over a store.Store, mounted under /api/ by the daemon and by
// examples/webui.
//
// Operations are declared once with huma (github.com/danielgtaylor/huma/v2):
// the same declarations register the handlers, validate parameters and
// produce the OpenAPI 3.1 document served at /api/openapi.json, so the
// document cannot drift from the routes. Errors are RFC 9457
// application/problem+json (Problem) naming the bad parameter; a store
// failure is logged and answered with a generic 500 that carries no SQL,
// stack or secret.
//
// Every operation but the document needs a bearer token whose role is at
// least the operation's (viewer < operator < admin): no or an unknown token
// is 401, a role too low 403. Tokens are checked by a TokenSource; Tokens
// holds SHA-256 hashes of random secrets and compares them in constant
// time. With Options.NoAuth (the demo only) every call acts as admin.
//
// This first slice serves the latest-state lists and details (VMs, hosts,
// clusters, datastores, networks, resource pools, with their related
// entities), collector health, the snapshot registry, events, the report
// catalog (list and download) and job runs; sorting and free-text filters
// on the lists, search, history, chargeback, admin actions and the audit
// log follow.
package api
