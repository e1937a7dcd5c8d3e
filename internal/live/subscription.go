package live

import (
	"context"
	"encoding/json"
	"slices"
	"sync"

	"github.com/accessvault/vinventory/store"
)

// SubscribeParams say what a subscriber receives.
type SubscribeParams struct {
	// After resumes after this cursor: the retained changes and events
	// after it are replayed first. Nil starts with the next live message.
	After *Cursor
	// Kinds keeps only these kinds (resync is always sent). Empty means
	// every kind.
	Kinds []Kind
	// Vcenter keeps only messages about this vCenter. Empty means every
	// one.
	Vcenter string
	// Visible, when set, reports whether the subscriber may see a message
	// about these vCenters (the caller's scope).
	Visible func(vcenters []string) bool
}

// Subscription is one subscriber's queue. Next is called from one
// goroutine.
type Subscription struct {
	h    *Hub
	p    SubscribeParams
	pos  Cursor // the last position delivered (changes and events)
	upTo Cursor // the hub's head when subscribing: the replay's end

	replaying bool
	checked   bool       // a cursor ahead of the hub was found in the log
	replay    []*Message // the replay page being delivered
	replayed  int

	mu     sync.Mutex
	queue  []*Message
	resync *Cursor // set when the queue overflowed
	closed bool
	notify chan struct{}
}

// Subscribe registers a subscriber; Close it when done. It waits until
// the hub knows the logs' heads (ctx bounds the wait).
func (h *Hub) Subscribe(ctx context.Context, p SubscribeParams) (*Subscription, error) {
	select {
	case <-h.ready:
	case <-h.done:
		return nil, ErrClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	s := &Subscription{h: h, p: p, notify: make(chan struct{}, 1)}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, ErrClosed
	}
	s.upTo = h.head
	s.pos = h.head
	if p.After != nil {
		s.pos = *p.After
		s.replaying = s.pos.Seq != s.upTo.Seq || s.pos.EventID < s.upTo.EventID
	}
	h.subs[s] = struct{}{}
	return s, nil
}

// Close unregisters the subscriber.
func (s *Subscription) Close() {
	s.h.mu.Lock()
	delete(s.h.subs, s)
	s.h.mu.Unlock()
	s.close()
}

func (s *Subscription) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.closed = true
		close(s.notify)
	}
}

// wants reports whether the subscriber takes m.
func (s *Subscription) wants(m *Message) bool {
	if m.Kind != KindResync && len(s.p.Kinds) > 0 && !slices.Contains(s.p.Kinds, m.Kind) {
		return false
	}
	if s.p.Vcenter != "" && !slices.Contains(m.Vcenters, s.p.Vcenter) {
		return false
	}
	return s.p.Visible == nil || s.p.Visible(m.Vcenters)
}

// takes reports whether the subscriber asked for kind.
func (s *Subscription) takes(k Kind) bool {
	return len(s.p.Kinds) == 0 || slices.Contains(s.p.Kinds, k)
}

// push queues m; a full queue is dropped for a resync message.
func (s *Subscription) push(m *Message, limit int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	if s.resync != nil {
		at := m.ID
		s.resync = &at
	} else if len(s.queue) >= limit {
		at := m.ID
		s.resync = &at
		s.queue = nil
	} else {
		s.queue = append(s.queue, m)
	}
	select {
	case s.notify <- struct{}{}:
	default:
	}
}

// resyncMessage says what was lost.
func resyncMessage(at Cursor, reason string) *Message {
	b, _ := json.Marshal(map[string]string{"reason": reason})
	return &Message{ID: at, Kind: KindResync, Data: b}
}

// Next returns the next message: the replay first, then live messages,
// in order. It returns ctx's error when ctx ends and ErrClosed once the
// hub is closed.
func (s *Subscription) Next(ctx context.Context) (*Message, error) {
	for {
		m, err := s.tryNext(ctx)
		if m != nil || err != nil {
			return m, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-s.notify:
		}
	}
}

// tryNext returns the next message, or nil when none is queued (wait on
// s.notify).
func (s *Subscription) tryNext(ctx context.Context) (*Message, error) {
	for {
		if s.replaying {
			m, err := s.nextReplay(ctx)
			if err != nil {
				return nil, err
			}
			if m != nil {
				return m, nil
			}
			continue
		}
		s.mu.Lock()
		if s.resync != nil {
			at := *s.resync
			s.resync = nil
			s.mu.Unlock()
			s.pos = maxCursor(s.pos, at)
			return resyncMessage(at, "slow"), nil
		}
		if len(s.queue) > 0 {
			m := s.queue[0]
			s.queue[0] = nil
			s.queue = s.queue[1:]
			s.mu.Unlock()
			if s.skip(m) {
				continue
			}
			return m, nil
		}
		closed := s.closed
		s.mu.Unlock()
		if closed {
			return nil, ErrClosed
		}
		return nil, nil
	}
}

// skip drops a live message the replay already delivered, and moves the
// position past a delivered one.
func (s *Subscription) skip(m *Message) bool {
	switch m.Kind {
	case KindChange:
		if m.seq <= s.pos.Seq {
			return true
		}
		s.pos.Seq = m.seq
	case KindEvent:
		if m.eventID <= s.pos.EventID {
			return true
		}
		s.pos.EventID = m.eventID
	}
	return false
}

func maxCursor(a, b Cursor) Cursor {
	return Cursor{Seq: max(a.Seq, b.Seq), EventID: max(a.EventID, b.EventID)}
}

// nextReplay returns the next replayed message, or nil when the replay
// has ended (or a page held only filtered rows).
func (s *Subscription) nextReplay(ctx context.Context) (*Message, error) {
	for len(s.replay) > 0 {
		m := s.replay[0]
		s.replay = s.replay[1:]
		if s.wants(m) {
			s.replayed++
			return m, nil
		}
	}
	h := s.h
	if s.replayed >= h.o.MaxReplay {
		return s.endReplay("behind"), nil
	}
	if s.pos.Seq > s.upTo.Seq && h.live != nil && !s.checked {
		s.checked = true
		// A cursor ahead of the hub: changes committed since its last
		// poll, or a cursor of another store (restored, replaced).
		pg, err := h.live.ListChanges(ctx, &store.ListChangesParams{AfterSeq: s.upTo.Seq, Limit: 1})
		if err != nil {
			return nil, err
		}
		if s.pos.Seq > pg.LastSeq {
			s.pos = s.upTo
			return s.endReplay("unknown cursor"), nil
		}
	}
	if !s.takes(KindChange) || h.live == nil {
		s.pos.Seq = max(s.pos.Seq, s.upTo.Seq)
	}
	if !s.takes(KindEvent) {
		s.pos.EventID = max(s.pos.EventID, s.upTo.EventID)
	}
	if s.pos.Seq < s.upTo.Seq {
		pg, err := h.live.ListChanges(ctx, &store.ListChangesParams{Vcenter: s.p.Vcenter, AfterSeq: s.pos.Seq, Limit: h.o.PageSize})
		if err != nil {
			return nil, err
		}
		if pg.FirstSeq > s.pos.Seq+1 {
			return s.endReplay("expired"), nil
		}
		for i := range pg.Changes {
			c := &pg.Changes[i]
			if c.Seq > s.upTo.Seq {
				break
			}
			s.pos.Seq = c.Seq
			s.replay = append(s.replay, changeMessage(c, s.pos))
		}
		if len(pg.Changes) < h.o.PageSize || len(s.replay) == 0 {
			s.pos.Seq = s.upTo.Seq
		}
		return nil, nil
	}
	if s.pos.EventID < s.upTo.EventID {
		evs, err := h.eventsAfter(ctx, s.pos.EventID, s.upTo.EventID)
		if err != nil {
			return nil, err
		}
		for i := range evs {
			s.pos.EventID = evs[i].ID
			s.replay = append(s.replay, eventMessage(&evs[i], s.pos))
		}
		if len(evs) == 0 {
			s.pos.EventID = s.upTo.EventID
		}
		return nil, nil
	}
	s.replaying = false
	return nil, nil
}

// endReplay gives up the replay: the subscriber continues from the hub's
// position when it subscribed, after a resync message.
func (s *Subscription) endReplay(reason string) *Message {
	s.replaying = false
	s.replay = nil
	s.pos = maxCursor(s.pos, s.upTo)
	return resyncMessage(s.pos, reason)
}
