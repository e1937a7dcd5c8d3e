package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// inProcessKey carries the principal of an in-process call: a value only
// Go code in this process can set, never a request from the network.
type inProcessKey struct{}

// Response is the answer to an in-process call.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Problem decodes the answer's problem document when the status is an
// error, or returns nil.
func (r *Response) Problem() *Problem {
	if r.Status < 400 {
		return nil
	}
	p := &Problem{Status: r.Status, Title: http.StatusText(r.Status)}
	if err := json.Unmarshal(r.Body, p); err != nil || p.Detail == "" {
		p.Detail = fmt.Sprintf("the API answered %d", r.Status)
	}
	return p
}

// Decode decodes a JSON answer into out, or returns the problem.
func (r *Response) Decode(out any) error {
	if p := r.Problem(); p != nil {
		return p
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(r.Body, out); err != nil {
		return fmt.Errorf("api: decoding the answer: %w", err)
	}
	return nil
}

// Call serves one API request in-process on behalf of p: the web pages'
// way to the API, with the same validation, roles, scope, paging, audit
// and errors as a request from the network, without a bearer token.
// remote is the address the audit log records; target is the path with
// its query; body (when not nil) is sent as JSON; accept picks the
// answer's format ("" is JSON).
func (a *API) Call(ctx context.Context, p Principal, remote, method, target string, body any, accept string) (*Response, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("api: encoding the request body: %w", err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(context.WithValue(ctx, inProcessKey{}, p), method, target, rd)
	if err != nil {
		return nil, fmt.Errorf("api: in-process request %s %s: %w", method, target, err)
	}
	if !strings.HasPrefix(req.URL.Path, "/api/") {
		return nil, fmt.Errorf("api: in-process request %s %s: the path is not under /api/", method, target)
	}
	req.RemoteAddr = remote
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	rec := &recorder{header: http.Header{}}
	a.ServeHTTP(rec, req)
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	return &Response{Status: rec.status, Header: rec.header, Body: rec.body.Bytes()}, nil
}

// Authenticate returns the principal of a token secret: false when no
// source knows it. With NoAuth every secret (and none) is an admin.
func (a *API) Authenticate(ctx context.Context, secret string) (Principal, bool, error) {
	if a.o.NoAuth {
		return NoAuthPrincipal, true, nil
	}
	if secret == "" {
		return Principal{}, false, nil
	}
	return a.o.Tokens.Authenticate(ctx, secret)
}

// NoAuthPrincipal is every caller when authentication is disabled.
var NoAuthPrincipal = Principal{Name: "anonymous (auth disabled)", Role: RoleAdmin}

// AuthDisabled reports whether the API runs with NoAuth.
func (a *API) AuthDisabled() bool { return a.o.NoAuth }

// recorder is the in-process call's response writer.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(b)
}
