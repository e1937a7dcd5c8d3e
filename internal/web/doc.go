// Package web serves vinventory's pages: server-rendered HTML (templ
// components, one stylesheet of --theme_* tokens, a little vanilla
// JavaScript and the vendored uPlot for charts) over the JSON API, which
// it calls in-process (api.API.Call) with the visitor's principal, so a
// page shows exactly what the API would answer that visitor: the same
// filters, sorts, cursors, scope and errors, one code path.
//
// Pages are public by default (a visitor who has not signed in reads as
// a viewer); Options.RequireLogin makes every page ask for a token
// first. Actions (forms) need a signed-in session: /login takes an API
// token, checks it, and keeps it in an HttpOnly, SameSite=Lax cookie
// (Secure over TLS); revoking the token ends every session that used it.
// Every unsafe request passes Go's http.CrossOriginProtection, which
// rejects forms posted from another origin.
//
// Live updates: when the API has a hub (api.Options.Hub), pages that
// show live objects open one EventSource on /stream (the API's
// /api/stream as the visitor: an EventSource cannot send a bearer
// token) and update in place: a VM page's power state, name, vCPU, RAM,
// host and pool, list rows (changed cells, a 2 s flash), the dashboard's
// VM counters and collector cards; a header badge says live, reconnecting
// or polling. When the stream fails repeatedly the page polls the same
// reads under /live/json/<api path> every 10 s. Updates are written with
// textContent only.
//
// Static assets are embedded, named by a hash of their content (cached
// for a year), and served gzip-compressed when the browser accepts it.
// Regenerate the components after editing a .templ file with
//
//	go tool templ generate ./internal/web
//
// (TestTemplGenerated fails when the committed _templ.go files are stale).
package web
