package web

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"

	"golang.org/x/net/html"
)

// Weight is a page's first-load bytes: its HTML and every stylesheet and
// script it references (with uPlot when the page has charts), each as
// served to a browser that accepts gzip (compressed bytes on the wire,
// headers excluded).
type Weight struct {
	Target string
	// HTML is the page's compressed size.
	HTML int
	// Assets are the referenced files' URLs and compressed sizes, in the
	// order the page references them.
	Assets []AssetWeight
	// Total is HTML plus every asset.
	Total int
}

// AssetWeight is one referenced file.
type AssetWeight struct {
	URL   string
	Bytes int
}

// Weigh GETs target from h in process (Accept-Encoding: gzip, plus
// header) and then every asset the page loads on first view: link
// rel=stylesheet, script src, and the uPlot script named in
// <meta name="uplot"> when the page has [data-chart] elements (app.js
// loads it then). Each answer must be 200; an asset counted twice is
// counted once.
func Weigh(h http.Handler, target string, header http.Header) (Weight, error) {
	w := Weight{Target: target}
	body, n, err := fetchGzip(h, target, header)
	if err != nil {
		return w, err
	}
	w.HTML = n
	refs, err := pageRefs(body)
	if err != nil {
		return w, fmt.Errorf("%s: %w", target, err)
	}
	w.Total = w.HTML
	for _, u := range refs {
		_, n, err := fetchGzip(h, u, header)
		if err != nil {
			return w, fmt.Errorf("%s: %w", target, err)
		}
		w.Assets = append(w.Assets, AssetWeight{URL: u, Bytes: n})
		w.Total += n
	}
	return w, nil
}

// fetchGzip returns target's decoded body and its size on the wire.
func fetchGzip(h http.Handler, target string, header http.Header) (string, int, error) {
	req := httptest.NewRequest(http.MethodGet, target, nil)
	for k, vs := range header {
		req.Header[k] = vs
	}
	req.Header.Set("Accept-Encoding", "gzip")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	res := rec.Result()
	if res.StatusCode != http.StatusOK {
		return "", 0, fmt.Errorf("GET %s: %s", target, res.Status)
	}
	wire := rec.Body.Len()
	var r io.Reader = rec.Body
	if res.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(bytes.NewReader(rec.Body.Bytes()))
		if err != nil {
			return "", 0, fmt.Errorf("GET %s: %w", target, err)
		}
		r = zr
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return "", 0, fmt.Errorf("GET %s: %w", target, err)
	}
	return string(b), wire, nil
}

// pageRefs lists the stylesheets and scripts a page loads, uPlot's
// script last when the page has a chart.
func pageRefs(page string) ([]string, error) {
	var refs []string
	seen := map[string]bool{}
	add := func(u string) {
		if u != "" && !seen[u] {
			seen[u] = true
			refs = append(refs, u)
		}
	}
	uplot, chart := "", false
	z := html.NewTokenizer(strings.NewReader(page))
	for {
		switch z.Next() {
		case html.ErrorToken:
			if err := z.Err(); err != io.EOF {
				return nil, err
			}
			if chart {
				if uplot == "" {
					return nil, fmt.Errorf("the page has a chart but no <meta name=uplot>")
				}
				add(uplot)
			}
			return refs, nil
		case html.StartTagToken, html.SelfClosingTagToken:
			t := z.Token()
			a := map[string]string{}
			for _, at := range t.Attr {
				a[at.Key] = at.Val
			}
			if _, ok := a["data-chart"]; ok {
				chart = true
			}
			switch t.Data {
			case "link":
				if strings.EqualFold(a["rel"], "stylesheet") {
					add(a["href"])
				}
			case "script":
				add(a["src"])
			case "meta":
				if a["name"] == "uplot" {
					uplot = a["content"]
				}
			}
		}
	}
}

// MainPages are the pages whose weight is watched (docs/benchmarks.md):
// the dashboard, the VM list, the VM detail of (vcenter, id), chargeback,
// the trace of the VM named name, hosts, datastores, totals and admin.
func MainPages(vcenter, id, name string) []string {
	return []string{"/", "/vms", vmHref(vcenter, id), "/chargeback", "/trace?name=" + url.QueryEscape(name),
		"/hosts", "/datastores", "/totals", "/admin"}
}

// MaxPageWeight is the first-load budget of a main page: 150 KB
// compressed (TestPageWeight fails above it).
const MaxPageWeight = 150_000
