package web

import (
	"net/http"
	"slices"
	"strings"
)

// livePollPaths are the API lists and objects the pages poll (GET
// /live/json/<path>) when the stream is unavailable.
var livePollPaths = []string{"vms", "hosts", "clusters", "datastores", "networks", "resource-pools", "collectors", "alerts", "metrics"}

// stream serves the pages' EventSource: the API's /api/stream as the
// visitor (their session authenticates it; a browser's EventSource cannot
// send a bearer token).
func (s *Server) stream(p *page) error {
	s.api.ServeStream(p.w, p.r, p.v.Principal)
	return nil
}

// liveJSON answers GET /live/json/<path>: the API's GET /api/<path> (with
// the query) as the visitor, for the pages' polling fallback. Only the
// inventory reads the live pages show are served.
func (s *Server) liveJSON(p *page) error {
	path := strings.TrimPrefix(p.r.URL.EscapedPath(), "/live/json/") // keeps %2F inside a name
	first, _, _ := strings.Cut(path, "/")
	if !slices.Contains(livePollPaths, first) {
		http.NotFound(p.w, p.r)
		return nil
	}
	target := "/api/" + path
	if q := p.r.URL.RawQuery; q != "" {
		target += "?" + q
	}
	res, err := s.api.Call(p.r.Context(), p.v.Principal, p.remote(), http.MethodGet, target, nil, "")
	if err != nil {
		return err
	}
	h := p.w.Header()
	h.Set("Content-Type", res.Header.Get("Content-Type"))
	h.Set("Cache-Control", "no-store")
	p.w.WriteHeader(res.Status)
	_, _ = p.w.Write(res.Body)
	return nil
}
