package daemon

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/accessvault/vinventory/capture"
	"github.com/accessvault/vinventory/store"
)

// errSessionsClosed is returned by sessions.use after close.
var errSessionsClosed = errors.New("endpoint sessions closed")

// sessions keeps one open source per endpoint for the daemon's frequent
// readers (metrics collections, alert power events), so they log in once
// instead of on every read. A source is opened again when what the
// endpoint logs in with changes (its fingerprint), and dropped after a
// failed read so the next one starts afresh (the source re-logs in by
// itself after an expired session). Reads of one endpoint take turns.
type sessions struct {
	st   store.Endpoints
	open capture.OpenerFunc

	mu     sync.Mutex
	m      map[string]*session
	closed bool
}

type session struct {
	mu  sync.Mutex
	fp  string
	src capture.Source
}

func newSessions(st store.Endpoints, open capture.OpenerFunc) *sessions {
	return &sessions{st: st, open: open, m: map[string]*session{}}
}

// use runs fn with the open source of the endpoint named name, opening it
// when needed. An error of fn closes the source (the next use opens a new
// one) and is returned; keep reports an error that leaves the session
// sound (a partial result) and so keeps it open.
func (s *sessions) use(ctx context.Context, name string, fn func(capture.Source) error, keep func(error) bool) error {
	ep, err := s.st.GetEndpoint(ctx, &store.GetEndpointParams{Name: name})
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			s.drop(ctx, name)
		}
		return fmt.Errorf("endpoint %s: %w", name, err)
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return errSessionsClosed
	}
	e := s.m[name]
	if e == nil {
		e = &session{}
		s.m[name] = e
	}
	s.mu.Unlock()

	e.mu.Lock()
	defer e.mu.Unlock()
	fp := fingerprint(*ep)
	if e.src != nil && e.fp != fp {
		_ = e.src.Close(context.WithoutCancel(ctx))
		e.src = nil
	}
	if e.src == nil {
		src, err := s.open(ctx, *ep)
		if err != nil {
			return err
		}
		s.mu.Lock()
		closed := s.closed
		s.mu.Unlock()
		if closed {
			_ = src.Close(context.WithoutCancel(ctx))
			return errSessionsClosed
		}
		e.src, e.fp = src, fp
	}
	err = fn(e.src)
	if err != nil && (keep == nil || !keep(err)) {
		_ = e.src.Close(context.WithoutCancel(ctx))
		e.src = nil
	}
	return err
}

// drop closes the session of an endpoint that is gone.
func (s *sessions) drop(ctx context.Context, name string) {
	s.mu.Lock()
	e := s.m[name]
	delete(s.m, name)
	s.mu.Unlock()
	if e != nil {
		e.mu.Lock()
		if e.src != nil {
			_ = e.src.Close(context.WithoutCancel(ctx))
			e.src = nil
		}
		e.mu.Unlock()
	}
}

// close logs out of every open source; later uses fail.
func (s *sessions) close(ctx context.Context) {
	s.mu.Lock()
	s.closed = true
	all := s.m
	s.m = map[string]*session{}
	s.mu.Unlock()
	for _, e := range all {
		e.mu.Lock()
		if e.src != nil {
			_ = e.src.Close(ctx)
			e.src = nil
		}
		e.mu.Unlock()
	}
}
