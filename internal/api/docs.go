package api

import (
	_ "embed"
	"html/template"
	"net/http"
)

// rapidocJS is RapiDoc 9.3.8 (docs/README.md), vendored: the docs page
// loads nothing from a CDN.
//
//go:embed docs/rapidoc-min.js
var rapidocJS []byte

var docsPage = template.Must(template.New("docs").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>vinventory API</title>
<script type="module" src="/api/docs/rapidoc-min.js"></script>
</head>
<body style="margin:0">
<rapi-doc spec-url="/api/openapi.json" render-style="read" show-header="false" allow-authentication="true"
  allow-server-selection="false" regular-font="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"
  mono-font="ui-monospace, 'SFMono-Regular', Menlo, Consolas, monospace" theme="light"></rapi-doc>
<noscript>The interactive documentation needs JavaScript; the document itself is at <a href="/api/openapi.json">/api/openapi.json</a>.</noscript>
</body>
</html>
`))

// docsCSP keeps the page to this origin: the vendored script, the
// document, and calls tried from the page.
const docsCSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
	"font-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

// serveDocs serves /api/docs (public, like the document it shows).
func serveDocs(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Security-Policy", docsCSP)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	switch r.URL.Path {
	case "/api/docs", "/api/docs/":
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = docsPage.Execute(w, nil)
	case "/api/docs/rapidoc-min.js":
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		w.Header().Set("Cache-Control", "public, max-age=86400")
		_, _ = w.Write(rapidocJS)
	default:
		http.NotFound(w, r)
	}
}
