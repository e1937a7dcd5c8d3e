// Package live fans the store's live changes out to the API's stream
// (/api/stream): one Hub per process tails the change log
// (store.LiveState.ListChanges) and the event log (store.Events.ListEvents
// with AfterID), polled every PollInterval and woken at once by Wake, and
// passes every new row, plus ephemeral messages (Publish, card sources),
// to its subscribers.
//
// A message's ID is a Cursor, "<changeSeq>-<eventID>": the position in
// both logs after the message. A subscriber resuming after a cursor gets
// every retained change and event after it, in order, then live ones.
// Each subscriber has a bounded buffer: when it is full the subscriber
// gets a resync message (re-read the state) and continues with newer
// messages; the hub never waits for a subscriber.
//
// Wiring (the daemon): one hub per process over the store,
//
//	hub, _ := live.New(live.Options{Store: st, Logger: log})
//	a, _ := api.New(api.Options{..., Hub: hub}) // adds collector and job card sources
//	srv.RegisterOnShutdown(hub.Close)           // Shutdown does not end streams by itself
//	defer hub.Close()
//
// and the in-process watcher calls hub.Wake() after each ApplyChanges
// commit (other processes' commits arrive by the PollInterval poll).
// Ephemeral messages without a store cursor go through Publish.
package live

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

// Kind is a message's kind: its SSE event name.
type Kind string

// Message kinds.
const (
	// KindChange carries an inventory.Change of the change log.
	KindChange Kind = "change"
	// KindEvent carries an inventory.Event of the event log.
	KindEvent Kind = "event"
	// KindJob carries a job run whose state or progress changed.
	KindJob Kind = "job"
	// KindCollector carries an endpoint's collector card that changed.
	KindCollector Kind = "collector"
	// KindAlert carries an inventory.Alert that opened or changed state,
	// published (Hub.Publish) by whoever changed it: the API on an
	// acknowledgement or resolution, the daemon's evaluator.
	KindAlert Kind = "alert"
	// KindResync says messages were lost (the subscriber was too slow, or
	// its cursor is older than the retained log): re-read the state.
	KindResync Kind = "resync"
)

// Kinds are the kinds a subscriber may ask for (every one but resync,
// which is always sent).
func Kinds() []Kind { return []Kind{KindChange, KindEvent, KindJob, KindCollector, KindAlert} }

// Cursor is a position in the change log and the event log.
type Cursor struct {
	// Seq is the last change-log sequence number seen.
	Seq int64
	// EventID is the last event ID seen.
	EventID int64
}

// String is the cursor as a message ID: "<Seq>-<EventID>".
func (c Cursor) String() string {
	return strconv.FormatInt(c.Seq, 10) + "-" + strconv.FormatInt(c.EventID, 10)
}

// ErrBadCursor is returned by ParseCursor for a string that is not a
// cursor.
var ErrBadCursor = errors.New("live: not a stream cursor (want <seq>-<event id>)")

// ParseCursor reads a cursor String wrote.
func ParseCursor(s string) (Cursor, error) {
	a, b, ok := strings.Cut(strings.TrimSpace(s), "-")
	if !ok {
		return Cursor{}, ErrBadCursor
	}
	seq, err1 := strconv.ParseInt(a, 10, 64)
	ev, err2 := strconv.ParseInt(b, 10, 64)
	if err1 != nil || err2 != nil || seq < 0 || ev < 0 {
		return Cursor{}, ErrBadCursor
	}
	return Cursor{Seq: seq, EventID: ev}, nil
}

// Message is one stream message.
type Message struct {
	// ID is the cursor after the message (for an ephemeral message, the
	// hub's position when it was published).
	ID   Cursor
	Kind Kind
	// Vcenters are the vCenters the message is about: one for a change,
	// an event or a collector card; none for a message about no vCenter
	// (a scoped reader does not see those).
	Vcenters []string
	// Data is the message's JSON.
	Data json.RawMessage

	seq, eventID int64 // the change's Seq, the event's ID
}

// Card is one item of a polled card source: a collector card, a job run.
type Card struct {
	// Key identifies the card within its source (the endpoint name, the
	// run ID).
	Key string
	// Vcenters are the vCenters it is about (Message.Vcenters).
	Vcenters []string
	// Value is marshalled to JSON: a card whose JSON differs from the
	// previous poll's is published.
	Value any
}

// CardSource lists the current cards of a kind.
type CardSource func(ctx context.Context) ([]Card, error)

// Options configure a Hub.
type Options struct {
	// Store is tailed: its change log when it implements store.LiveState,
	// and its event log. Required.
	Store store.Store
	// PollInterval is how often the logs are read when nothing calls
	// Wake (the path by which changes committed by other processes
	// arrive). Defaults to 1 s.
	PollInterval time.Duration
	// CardInterval is how often card sources (AddCards) are polled.
	// Defaults to 3 s.
	CardInterval time.Duration
	// Buffer is each subscriber's queue, in messages. Defaults to 256.
	Buffer int
	// PageSize is rows per log read. Defaults to 1000.
	PageSize int
	// MaxReplay bounds the messages replayed to a subscriber resuming
	// after a cursor; an older cursor gets resync. Defaults to 10000.
	MaxReplay int
	// Heartbeat is the interval of the SSE comment sent to idle streams
	// (Serve). Defaults to 15 s.
	Heartbeat time.Duration
	// WriteTimeout cuts a stream whose client takes longer to accept one
	// write (Serve). Defaults to 10 s.
	WriteTimeout time.Duration
	// Logger receives read errors. Defaults to discarding them.
	Logger *slog.Logger
	// Clock is the current time. Defaults to time.Now.
	Clock func() time.Time
}

// Hub tails the store and fans messages out to subscribers. Its methods
// are safe for concurrent use.
type Hub struct {
	o      Options
	live   store.LiveState // nil when the store has no change log
	log    *slog.Logger
	wake   chan struct{}
	newSrc chan struct{} // a card source was added: record its cards now
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
	ready  chan struct{} // closed once head is known

	mu     sync.Mutex
	head   Cursor
	subs   map[*Subscription]struct{}
	cards  map[Kind]CardSource
	last   map[Kind]map[string]string // card JSON of the previous poll
	closed bool
}

// New validates o and starts the hub's poller; Close stops it.
func New(o Options) (*Hub, error) {
	if o.Store == nil {
		return nil, errors.New("live: Options.Store is required")
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.PollInterval, time.Second)
	def(&o.CardInterval, 3*time.Second)
	def(&o.Heartbeat, 15*time.Second)
	def(&o.WriteTimeout, 10*time.Second)
	if o.Buffer <= 0 {
		o.Buffer = 256
	}
	if o.PageSize <= 0 {
		o.PageSize = 1000
	}
	if o.MaxReplay <= 0 {
		o.MaxReplay = 10000
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	h := &Hub{o: o, log: o.Logger, wake: make(chan struct{}, 1), newSrc: make(chan struct{}, 1), done: make(chan struct{}), ready: make(chan struct{}),
		subs: map[*Subscription]struct{}{}, cards: map[Kind]CardSource{}, last: map[Kind]map[string]string{}}
	h.live, _ = o.Store.(store.LiveState)
	h.ctx, h.cancel = context.WithCancel(context.Background())
	go h.run()
	return h, nil
}

// Options returns the hub's options with defaults applied.
func (h *Hub) Options() Options { return h.o }

// Wake makes the hub read the logs now (the in-process watcher calls it
// after each commit). It never blocks.
func (h *Hub) Wake() {
	select {
	case h.wake <- struct{}{}:
	default:
	}
}

// Close stops the poller and ends every subscription (their Next returns
// ErrClosed). It is idempotent.
func (h *Hub) Close() {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return
	}
	h.closed = true
	for s := range h.subs {
		s.close()
	}
	h.subs = nil
	h.mu.Unlock()
	h.cancel()
	<-h.done
}

// Done is closed when the hub has stopped.
func (h *Hub) Done() <-chan struct{} { return h.done }

// ErrClosed is returned by Subscribe and Next once the hub is closed.
var ErrClosed = errors.New("live: the hub is closed")

// AddCards polls src at once and then every CardInterval, and publishes,
// as kind, every card whose JSON changed since the previous poll (the
// first poll only records them). A second source of the same kind replaces the first.
func (h *Hub) AddCards(kind Kind, src CardSource) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.cards[kind] = src
	delete(h.last, kind)
	select {
	case h.newSrc <- struct{}{}:
	default:
	}
}

// Publish sends an ephemeral message (no store cursor: job progress,
// collector state) to every subscriber that wants kind and may see
// vcenters (none: only unscoped readers see it).
func (h *Hub) Publish(kind Kind, payload any, vcenters ...string) error {
	b, err := json.Marshal(payload)
	if err != nil {
		return fmt.Errorf("live: encoding a %s message: %w", kind, err)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.fanout(&Message{ID: h.head, Kind: kind, Vcenters: vcenters, Data: b})
	return nil
}

// fanout queues m for every subscriber that wants it. h.mu is held.
func (h *Hub) fanout(m *Message) {
	for s := range h.subs {
		if s.wants(m) {
			s.push(m, h.o.Buffer)
		}
	}
}

func (h *Hub) run() {
	defer close(h.done)
	for {
		head, err := h.start(h.ctx)
		if err == nil {
			h.mu.Lock()
			h.head = head
			h.mu.Unlock()
			close(h.ready)
			break
		}
		h.log.Error("live: reading the logs' heads", slog.Any("error", err))
		if !h.sleep(h.o.PollInterval) {
			return
		}
	}
	poll := time.NewTicker(h.o.PollInterval)
	defer poll.Stop()
	cards := time.NewTicker(h.o.CardInterval)
	defer cards.Stop()
	for {
		select {
		case <-h.ctx.Done():
			return
		case <-h.wake:
		case <-poll.C:
		case <-cards.C:
			h.pollCards()
			continue
		case <-h.newSrc:
			h.pollCards()
			continue
		}
		if err := h.poll(h.ctx); err != nil && h.ctx.Err() == nil {
			h.log.Error("live: reading the logs", slog.Any("error", err))
		}
	}
}

func (h *Hub) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-h.ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// start finds the logs' heads.
func (h *Hub) start(ctx context.Context) (Cursor, error) {
	var c Cursor
	if h.live != nil {
		pg, err := h.live.ListChanges(ctx, &store.ListChangesParams{Limit: 1})
		if err != nil {
			return c, fmt.Errorf("live: reading the change log: %w", err)
		}
		c.Seq = pg.LastSeq
	}
	// The newest event by time is near the end of the log; tail from it to
	// the greatest ID.
	pg, err := h.o.Store.ListEvents(ctx, &store.ListEventsParams{Descending: true, Limit: 1})
	if err != nil {
		return c, fmt.Errorf("live: reading the event log: %w", err)
	}
	if len(pg.Events) == 0 {
		return c, nil
	}
	c.EventID = pg.Events[0].ID
	for {
		evs, err := h.eventsAfter(ctx, c.EventID, 0)
		if err != nil {
			return c, err
		}
		if len(evs) == 0 {
			return c, nil
		}
		c.EventID = evs[len(evs)-1].ID
	}
}

// eventsAfter returns up to a page of events with an ID greater than
// after (and at most upTo when upTo > 0), in ID order.
func (h *Hub) eventsAfter(ctx context.Context, after, upTo int64) ([]inventory.Event, error) {
	var evs []inventory.Event
	if after > 0 {
		pg, err := h.o.Store.ListEvents(ctx, &store.ListEventsParams{AfterID: after, Limit: h.o.PageSize})
		if err != nil {
			return nil, fmt.Errorf("live: reading the event log: %w", err)
		}
		evs = pg.Events
	} else {
		// AfterID 0 is no tail: page the whole (so far empty or short) log
		// by time and order it by ID.
		p := &store.ListEventsParams{Limit: h.o.PageSize}
		for {
			pg, err := h.o.Store.ListEvents(ctx, p)
			if err != nil {
				return nil, fmt.Errorf("live: reading the event log: %w", err)
			}
			evs = append(evs, pg.Events...)
			if pg.NextCursor == "" {
				break
			}
			p.Cursor = pg.NextCursor
		}
		slices.SortFunc(evs, func(a, b inventory.Event) int { return cmpInt(a.ID, b.ID) })
		if len(evs) > h.o.PageSize {
			evs = evs[:h.o.PageSize]
		}
	}
	if upTo > 0 {
		evs = slices.DeleteFunc(evs, func(e inventory.Event) bool { return e.ID > upTo })
	}
	return evs, nil
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// poll reads everything after the head and fans it out.
func (h *Hub) poll(ctx context.Context) error {
	h.mu.Lock()
	head := h.head
	h.mu.Unlock()
	for h.live != nil {
		pg, err := h.live.ListChanges(ctx, &store.ListChangesParams{AfterSeq: head.Seq, Limit: h.o.PageSize})
		if err != nil {
			return fmt.Errorf("live: reading the change log: %w", err)
		}
		msgs := make([]*Message, 0, len(pg.Changes))
		for i := range pg.Changes {
			head.Seq = pg.Changes[i].Seq
			msgs = append(msgs, changeMessage(&pg.Changes[i], head))
		}
		h.deliver(msgs, head)
		if len(pg.Changes) < h.o.PageSize {
			break
		}
	}
	for {
		evs, err := h.eventsAfter(ctx, head.EventID, 0)
		if err != nil {
			return err
		}
		msgs := make([]*Message, 0, len(evs))
		for i := range evs {
			head.EventID = evs[i].ID
			msgs = append(msgs, eventMessage(&evs[i], head))
		}
		h.deliver(msgs, head)
		if len(evs) < h.o.PageSize {
			return nil
		}
	}
}

func (h *Hub) deliver(msgs []*Message, head Cursor) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, m := range msgs {
		h.fanout(m)
	}
	h.head = head
}

func changeMessage(c *inventory.Change, id Cursor) *Message {
	b, _ := json.Marshal(c) // a stored change always encodes
	return &Message{ID: id, Kind: KindChange, Vcenters: []string{c.Vcenter}, Data: b, seq: c.Seq}
}

func eventMessage(e *inventory.Event, id Cursor) *Message {
	b, _ := json.Marshal(e)
	return &Message{ID: id, Kind: KindEvent, Vcenters: []string{e.Vcenter}, Data: b, eventID: e.ID}
}

func (h *Hub) pollCards() {
	h.mu.Lock()
	srcs := make(map[Kind]CardSource, len(h.cards))
	for k, v := range h.cards {
		srcs[k] = v
	}
	h.mu.Unlock()
	for kind, src := range srcs {
		ctx, cancel := context.WithTimeout(h.ctx, h.o.CardInterval*5)
		cs, err := src(ctx)
		cancel()
		if err != nil {
			if h.ctx.Err() == nil {
				h.log.Error("live: polling cards", slog.String("kind", string(kind)), slog.Any("error", err))
			}
			continue
		}
		now := make(map[string]string, len(cs))
		var changed []Card
		var data [][]byte
		h.mu.Lock()
		prev, seen := h.last[kind]
		for _, c := range cs {
			b, err := json.Marshal(c.Value)
			if err != nil {
				h.log.Error("live: encoding a card", slog.String("kind", string(kind)), slog.Any("error", err))
				continue
			}
			now[c.Key] = string(b)
			if seen && prev[c.Key] != string(b) {
				changed = append(changed, c)
				data = append(data, b)
			}
		}
		if h.cards[kind] != nil {
			h.last[kind] = now
		}
		for i, c := range changed {
			h.fanout(&Message{ID: h.head, Kind: kind, Vcenters: c.Vcenters, Data: data[i]})
		}
		h.mu.Unlock()
	}
}
