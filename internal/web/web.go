package web

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/a-h/templ"

	"github.com/accessvault/vinventory/internal/api"
)

// Options configure the pages.
type Options struct {
	// API answers every page's questions (in-process). Required.
	API *api.API
	// RequireLogin makes every page ask for a token first. Defaults to
	// false: pages are public (read as a viewer), actions need sign-in.
	RequireLogin bool
	// SessionTTL is how long a sign-in lasts. Defaults to 12 hours.
	SessionTTL time.Duration
	// Logger receives server errors (never secrets). Defaults to
	// discarding them.
	Logger *slog.Logger
	// Version is shown in the footer. Defaults to "dev".
	Version string
	// Location shows times (and cuts days for chargeback). Defaults to
	// UTC.
	Location *time.Location
	// Clock is the current time. Defaults to time.Now.
	Clock func() time.Time
}

// Server serves the pages at / and the static assets at /static/.
type Server struct {
	o      Options
	api    *api.API
	assets *assets
	mux    *http.ServeMux
	h      http.Handler
	log    *slog.Logger
}

// sessionCookie holds the signed-in visitor's API token.
const sessionCookie = "vinventory_session"

// SessionCookie is the session cookie's name: its value is an API token
// (a client that signed in; the load benchmark sets it).
const SessionCookie = sessionCookie

// New validates o and returns the pages' handler.
func New(o Options) (*Server, error) {
	if o.API == nil {
		return nil, errors.New("web: Options.API is required")
	}
	if o.SessionTTL < 0 {
		return nil, fmt.Errorf("web: Options.SessionTTL is negative (%s)", o.SessionTTL)
	}
	if o.SessionTTL == 0 {
		o.SessionTTL = 12 * time.Hour
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Version == "" {
		o.Version = "dev"
	}
	if o.Location == nil {
		o.Location = time.UTC
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	as, err := loadAssets()
	if err != nil {
		return nil, err
	}
	s := &Server{o: o, api: o.API, assets: as, mux: http.NewServeMux(), log: o.Logger}
	s.routes()
	// Forms posted from another origin (the browser says so in
	// Sec-Fetch-Site or Origin) are refused before any handler runs.
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.log.Warn("web: refused a cross-origin request", slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.String("origin", r.Header.Get("Origin")))
		s.errorPage(w, r, http.StatusForbidden, "This form was posted from another site, so it was refused (cross-site request forgery protection). Open the page here and submit it again.")
	}))
	s.h = cop.Handler(s.mux)
	return s, nil
}

// ServeHTTP serves the pages.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
		"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	s.h.ServeHTTP(w, r)
}

// visitor is who is looking at a page.
type visitor struct {
	api.Principal
	// SignedIn is true for a session (or with auth disabled).
	SignedIn bool
}

// Can reports whether the visitor may do what role allows.
func (v visitor) Can(role api.Role) bool { return v.SignedIn && v.Role >= role }

// visitorOf resolves the session cookie: a signed-in principal, or an
// anonymous viewer (ok false when pages need a sign-in and there is none).
func (s *Server) visitorOf(r *http.Request) (visitor, bool, error) {
	if s.api.AuthDisabled() {
		return visitor{Principal: api.NoAuthPrincipal, SignedIn: true}, true, nil
	}
	if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
		p, ok, err := s.api.Authenticate(r.Context(), c.Value)
		if err != nil {
			return visitor{}, false, err
		}
		if ok {
			return visitor{Principal: p, SignedIn: true}, true, nil
		}
	}
	if s.o.RequireLogin {
		return visitor{}, false, nil
	}
	return visitor{Principal: api.Principal{Name: "anonymous visitor", Role: api.RoleViewer}}, true, nil
}

// page is what every handler gets: the request, its visitor and helpers.
type page struct {
	s *Server
	w http.ResponseWriter
	r *http.Request
	v visitor
	// Flash is a message carried over a redirect (?msg=); Alert an
	// error (?error=).
	Flash, Alert string
	// vcOpts caches vcenterOptions for the request.
	vcOpts []Option
	// LiveObject, on an object's page, is the object live changes update
	// in place: JSON {"entity", "vcenter", "id"}.
	LiveObject string
}

// handle wraps a page handler: it resolves the visitor (sending them to
// /login when pages need one) and turns a returned error into an error
// page.
func (s *Server) handle(pattern string, f func(*page) error) {
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		v, ok, err := s.visitorOf(r)
		if err != nil {
			s.log.Error("web: resolving the session", slog.Any("error", err))
			s.errorPage(w, r, http.StatusInternalServerError, "Internal error; see the server log.")
			return
		}
		if !ok {
			http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		p := &page{s: s, w: w, r: r, v: v, Flash: r.URL.Query().Get("msg"), Alert: r.URL.Query().Get("error")}
		if err := f(p); err != nil {
			s.failed(w, r, err)
		}
	})
}

// failed shows err: a problem the API answered keeps its status and
// detail; anything else is logged and shown as a 500.
func (s *Server) failed(w http.ResponseWriter, r *http.Request, err error) {
	var pr *api.Problem
	switch {
	case errors.As(err, &pr):
		s.errorPage(w, r, pr.Status, problemText(pr))
	case errors.Is(err, context.Canceled) && r.Context().Err() != nil:
	default:
		s.log.Error("web: "+r.URL.Path, slog.Any("error", err))
		s.errorPage(w, r, http.StatusInternalServerError, "Internal error; see the server log.")
	}
}

// problemText is a problem's detail with its invalid parameters.
func problemText(pr *api.Problem) string {
	msg := pr.Detail
	for _, ip := range pr.InvalidParams {
		msg += fmt.Sprintf("; %s: %s", ip.Name, ip.Reason)
	}
	return msg
}

func (s *Server) errorPage(w http.ResponseWriter, r *http.Request, status int, msg string) {
	v, _, _ := s.visitorOf(r)
	p := &page{s: s, w: w, r: r, v: v}
	p.render(status, errorView(p, status, msg))
}

// render writes a component as the answer, gzip-compressed when the
// browser accepts it. The page is rendered to memory first, so a failure
// half-way becomes an error page, not half a page.
func (p *page) render(status int, c templ.Component) {
	var buf bytes.Buffer
	if err := c.Render(p.r.Context(), &buf); err != nil {
		if status != http.StatusInternalServerError {
			p.s.failed(p.w, p.r, err)
		}
		return
	}
	h := p.w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Add("Vary", "Accept-Encoding, Cookie")
	body := buf.Bytes()
	if acceptsGzip(p.r) && len(body) > 1024 {
		var gz bytes.Buffer
		zw := gzip.NewWriter(&gz)
		_, _ = zw.Write(body)
		_ = zw.Close()
		h.Set("Content-Encoding", "gzip")
		body = gz.Bytes()
	}
	h.Set("Content-Length", fmt.Sprint(len(body)))
	p.w.WriteHeader(status)
	_, _ = p.w.Write(body)
}

// ok renders a 200 page.
func (p *page) ok(c templ.Component) error {
	p.render(http.StatusOK, c)
	return nil
}

// remote is the visitor's address for the audit log.
func (p *page) remote() string { return p.r.RemoteAddr }

// call asks the API as the visitor and decodes a JSON answer into out.
func (p *page) call(method, target string, body, out any) error {
	res, err := p.s.api.Call(p.r.Context(), p.v.Principal, p.remote(), method, target, body, "")
	if err != nil {
		return err
	}
	return res.Decode(out)
}

// get is call for a GET of path with query q.
func (p *page) get(path string, q url.Values, out any) error {
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	return p.call(http.MethodGet, path, nil, out)
}

// redirect sends the visitor to target with a flash message.
func (p *page) redirect(target, msg string) error { return p.redirectWith(target, "msg", msg) }

// redirectErr sends the visitor to target with an error message.
func (p *page) redirectErr(target, msg string) error { return p.redirectWith(target, "error", msg) }

func (p *page) redirectWith(target, key, msg string) error {
	if msg != "" {
		path, frag, hasFrag := strings.Cut(target, "#")
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		target = path + sep + key + "=" + url.QueryEscape(msg)
		if hasFrag {
			target += "#" + frag
		}
	}
	http.Redirect(p.w, p.r, target, http.StatusSeeOther)
	return nil
}

// actionFailed shows why an action failed on the page it came from: the
// API's problem (a bad field, a missing role) or, for anything else, the
// error page.
func (p *page) actionFailed(back string, err error) error {
	var pr *api.Problem
	if errors.As(err, &pr) && pr.Status < 500 {
		return p.redirectErr(back, problemText(pr))
	}
	return err
}

// clientIP is the visitor's IP without the port (for logs).
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
