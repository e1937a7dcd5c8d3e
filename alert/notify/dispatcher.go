package notify

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

// Dispatcher defaults.
const (
	DefaultLease       = time.Minute
	DefaultInterval    = 5 * time.Second
	DefaultMaxAttempts = 8
	DefaultBatch       = 100
	// FirstRetry and MaxRetry bound DefaultBackoff.
	FirstRetry = 30 * time.Second
	MaxRetry   = 30 * time.Minute
)

// rateWindow is the span RatePerMinute counts over.
const rateWindow = time.Minute

// DefaultBackoff is the wait before retrying a notification whose
// attempt-th attempt failed (attempt ≥ 1): 30 s, doubling each attempt,
// capped at 30 min, without jitter.
func DefaultBackoff(attempt int) time.Duration {
	d := FirstRetry
	for i := 1; i < attempt && d < MaxRetry; i++ {
		d *= 2
	}
	return min(d, MaxRetry)
}

// DispatcherOptions configure a Dispatcher.
type DispatcherOptions struct {
	// Owner names this dispatcher in the queue's leases (a replica's
	// name). Required.
	Owner string
	// OpenSecret decrypts a channel's Secret (the daemon opens it with its
	// keyring). Required. Its errors must not hold the secret.
	OpenSecret func(ctx context.Context, ch inventory.AlertChannel) (*Secret, error)
	// Clock is the time of claims, attempts and the rate limit. Defaults
	// to time.Now.
	Clock func() time.Time
	// Logger receives one line per failed or deferred delivery (never a
	// secret). Defaults to slog.Default().
	Logger *slog.Logger
	// HTTPClient posts webhook, Slack and Teams messages. Defaults to a
	// client with Timeout.
	HTTPClient *http.Client
	// TLSConfig is the SMTP client's TLS configuration (RootCAs for a
	// private CA). Defaults to the system roots.
	TLSConfig *tls.Config
	// Timeout bounds one message. Defaults to 15 s.
	Timeout time.Duration
	// Lease is how long a claim holds notifications: a dispatcher that
	// dies leaves them to another after it. It should exceed the time a
	// channel's messages of one RunOnce may take (at most DigestAfter
	// messages of up to Timeout each; a timeout stops the channel's
	// round). Defaults to 1 minute.
	Lease time.Duration
	// Interval is how often Run polls the queue (Wake polls at once).
	// Defaults to 5 s.
	Interval time.Duration
	// Backoff is the wait before retrying after the attempt-th failed
	// attempt. Defaults to DefaultBackoff (30 s doubling to 30 min).
	Backoff func(attempt int) time.Duration
	// MaxAttempts is the number of attempts before a notification fails
	// for good. Defaults to 8.
	MaxAttempts int
	// Batch caps the notifications one RunOnce claims. Defaults to 100.
	Batch int
}

// Dispatcher delivers the notifications of a store.NotificationQueue to
// their channels: it claims due notifications under a lease, sends them
// (one message each, or a digest when many are due for a channel at
// once), keeps each channel's rate limit, retries temporary failures with
// backoff and records every outcome in the queue. Delivery is at least
// once: a dispatcher that dies after sending but before recording leaves
// the notification to be sent again after its lease. Several dispatchers
// (replicas) may share a queue; each keeps its own rate windows.
type Dispatcher struct {
	q    store.NotificationQueue
	ch   store.AlertChannels
	o    DispatcherOptions
	send SendOptions
	wake chan struct{}

	mu   sync.Mutex
	sent map[string][]time.Time // channel → send times within the rate window, oldest first
}

// NewDispatcher returns a Dispatcher over a queue and the channels it
// delivers to.
func NewDispatcher(q store.NotificationQueue, ch store.AlertChannels, o DispatcherOptions) (*Dispatcher, error) {
	var errs []error
	bad := func(field, reason string) { errs = append(errs, &inventory.FieldError{Field: field, Reason: reason}) }
	if q == nil {
		bad("queue", "is required")
	}
	if ch == nil {
		bad("channels", "is required")
	}
	if o.Owner == "" {
		bad("Owner", "is required")
	}
	if o.OpenSecret == nil {
		bad("OpenSecret", "is required")
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"Lease", o.Lease}, {"Interval", o.Interval}, {"Timeout", o.Timeout}} {
		if d.v < 0 {
			bad(d.name, "must not be negative")
		}
	}
	if o.MaxAttempts < 0 {
		bad("MaxAttempts", "must not be negative")
	}
	if o.Batch < 0 || o.Batch > 1000 {
		bad("Batch", "must be between 1 and 1000 (0 means 100)")
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("notify: dispatcher options: %w", err)
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	o.Lease = cmp.Or(o.Lease, DefaultLease)
	o.Interval = cmp.Or(o.Interval, DefaultInterval)
	o.MaxAttempts = cmp.Or(o.MaxAttempts, DefaultMaxAttempts)
	o.Batch = cmp.Or(o.Batch, DefaultBatch)
	if o.Backoff == nil {
		o.Backoff = DefaultBackoff
	}
	return &Dispatcher{
		q: q, ch: ch, o: o,
		send: SendOptions{HTTPClient: o.HTTPClient, TLSConfig: o.TLSConfig, Timeout: o.Timeout, Clock: o.Clock}.withDefaults(),
		wake: make(chan struct{}, 1),
		sent: map[string][]time.Time{},
	}, nil
}

// Report counts what one RunOnce did.
type Report struct {
	// Claimed notifications, of which Delivered were sent, Retried failed
	// and wait for a retry, Failed were given up (retries exhausted, a
	// permanent error, a deleted, disabled or invalid channel, a severity
	// below the channel's minimum), Deferred wait for the channel's rate
	// limit (not an attempt), and Abandoned were left leased because the
	// context ended (another claim sends them after the lease).
	Claimed, Delivered, Retried, Failed, Deferred, Abandoned int
	// Messages sent (a digest counts once), of which Digests.
	Messages, Digests int
}

func (r *Report) add(o *Report) {
	r.Delivered += o.Delivered
	r.Retried += o.Retried
	r.Failed += o.Failed
	r.Deferred += o.Deferred
	r.Abandoned += o.Abandoned
	r.Messages += o.Messages
	r.Digests += o.Digests
}

// Wake makes Run poll the queue now (after an evaluation queued
// notifications). It never blocks.
func (d *Dispatcher) Wake() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Run delivers notifications until ctx ends: RunOnce every Interval, at
// once after Wake, and again at once while a claim fills a whole batch.
// Errors are logged; it returns nil when ctx ends.
func (d *Dispatcher) Run(ctx context.Context) error {
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-d.wake:
		}
		rep, err := d.RunOnce(ctx)
		if err != nil && ctx.Err() == nil {
			d.o.Logger.Warn("notification dispatch failed", slog.Any("error", err))
		}
		next := d.o.Interval
		if err == nil && rep.Claimed == d.o.Batch {
			next = 0
		}
		if !t.Stop() {
			select {
			case <-t.C:
			default:
			}
		}
		t.Reset(next)
	}
}

// RunOnce claims the due notifications (up to Batch), delivers them per
// channel (channels in parallel) and records the outcomes. The error
// reports a failure of the queue or the channel registry (the
// notifications concerned stay leased and are retried after the lease);
// delivery failures are outcomes, not errors.
func (d *Dispatcher) RunOnce(ctx context.Context) (*Report, error) {
	now := d.o.Clock()
	ns, err := d.q.ClaimNotifications(ctx, &store.ClaimNotificationsParams{Owner: d.o.Owner, Now: now, Lease: d.o.Lease, Limit: d.o.Batch})
	if err != nil {
		return &Report{}, fmt.Errorf("notify: claiming notifications: %w", err)
	}
	rep := &Report{Claimed: len(ns)}
	groups := map[string][]inventory.Notification{}
	var names []string
	for _, n := range ns {
		if _, ok := groups[n.Channel]; !ok {
			names = append(names, n.Channel)
		}
		groups[n.Channel] = append(groups[n.Channel], n)
	}
	slices.Sort(names)
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
		sem  = make(chan struct{}, 4)
	)
	for _, name := range names {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			r, err := d.channel(ctx, name, groups[name])
			mu.Lock()
			defer mu.Unlock()
			rep.add(r)
			if err != nil {
				errs = append(errs, err)
			}
		})
	}
	wg.Wait()
	return rep, errors.Join(errs...)
}

// outcome accumulates a channel's results.
type outcome struct {
	d       *Dispatcher
	channel string
	rep     Report
	results []store.NotificationResult
}

func (o *outcome) delivered(ns []inventory.Notification) {
	at := o.d.o.Clock()
	for _, n := range ns {
		o.results = append(o.results, store.NotificationResult{ID: n.ID, Delivered: true, At: at})
		o.rep.Delivered++
	}
}

// failed records a failed attempt of ns: retried at the backoff (or the
// receiver's Retry-After) when the error is temporary and attempts
// remain, given up otherwise.
func (o *outcome) failed(ns []inventory.Notification, err error, temporary bool, retryAfter time.Duration) {
	at := o.d.o.Clock()
	for _, n := range ns {
		r := store.NotificationResult{ID: n.ID, At: at, Error: err.Error()}
		attempt := n.Attempts + 1
		if temporary && attempt < o.d.o.MaxAttempts {
			wait := retryAfter
			if wait <= 0 {
				wait = o.d.o.Backoff(attempt)
			}
			r.RetryAt = at.Add(wait)
			o.rep.Retried++
		} else {
			o.rep.Failed++
		}
		o.results = append(o.results, r)
		o.d.o.Logger.Warn("notification delivery failed",
			slog.String("channel", o.channel), slog.Int64("notification", n.ID), slog.Int("attempt", attempt),
			slog.Any("error", err), slog.Bool("given_up", r.RetryAt.IsZero()), slog.Time("retry_at", r.RetryAt))
	}
}

func (o *outcome) deferred(ns []inventory.Notification, until time.Time) {
	at := o.d.o.Clock()
	for _, n := range ns {
		o.results = append(o.results, store.NotificationResult{ID: n.ID, At: at, RetryAt: until, Deferred: true})
		o.rep.Deferred++
	}
	if len(ns) > 0 {
		o.d.o.Logger.Info("notifications wait for the channel's rate limit",
			slog.String("channel", o.channel), slog.Int("notifications", len(ns)), slog.Time("until", until))
	}
}

// ChannelError is the LastError of notifications a channel cannot take
// (deleted, disabled, invalid, secret not readable).
type ChannelError struct {
	// Channel is the channel's name.
	Channel string
	// Reason completes "channel <name> ...", e.g. "is disabled".
	Reason string
	// Err is the cause (secret-free), nil when there is none.
	Err error
}

// Error reads "channel <name> <reason>[: <cause>]".
func (e *ChannelError) Error() string {
	s := fmt.Sprintf("channel %s %s", e.Channel, e.Reason)
	if e.Err != nil {
		s = fmt.Sprintf("%s: %v", s, e.Err)
	}
	return s
}

// Unwrap returns the cause.
func (e *ChannelError) Unwrap() error { return e.Err }

// channel delivers one channel's claimed notifications (sorted by ID)
// and records their outcomes.
func (d *Dispatcher) channel(ctx context.Context, name string, ns []inventory.Notification) (*Report, error) {
	o := &outcome{d: d, channel: name}
	err := d.deliver(ctx, name, ns, o)
	o.rep.Abandoned = len(ns) - len(o.results)
	if len(o.results) > 0 {
		// Record what was done even when ctx ended meanwhile (a shutdown):
		// the sends happened.
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if ferr := d.q.FinishNotifications(fctx, &store.FinishNotificationsParams{Owner: d.o.Owner, Results: o.results}); ferr != nil {
			err = errors.Join(err, fmt.Errorf("notify: recording the outcomes of channel %s: %w", name, ferr))
		}
	}
	return &o.rep, err
}

func (d *Dispatcher) deliver(ctx context.Context, name string, ns []inventory.Notification, o *outcome) error {
	stored, err := d.ch.GetAlertChannel(ctx, &store.GetAlertChannelParams{Name: name})
	switch {
	case errors.Is(err, store.ErrNotFound):
		o.failed(ns, &ChannelError{Channel: name, Reason: "does not exist (deleted?)"}, false, 0)
		return nil
	case err != nil:
		return fmt.Errorf("notify: reading channel %s: %w", name, err)
	case !stored.Enabled:
		o.failed(ns, &ChannelError{Channel: name, Reason: "is disabled"}, false, 0)
		return nil
	}
	ch := *stored
	s, err := d.o.OpenSecret(ctx, ch)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		// Perhaps a keyring being rotated: retried with backoff.
		o.failed(ns, &ChannelError{Channel: name, Reason: "has a secret that could not be opened", Err: scrub(err, nil, "")}, true, 0)
		return nil
	}
	if s == nil {
		s = &Secret{}
	}
	if err := ValidateChannel(&ch, s); err != nil {
		o.failed(ns, &ChannelError{Channel: name, Reason: "is invalid", Err: scrub(err, s.values(), "")}, false, 0)
		return nil
	}
	ch = Defaults(ch)

	rank := func(s inventory.AlertSeverity) int { return slices.Index(inventory.AlertSeverities(), s) }
	var due []inventory.Notification
	for _, n := range ns {
		if n.Event != inventory.NotifyTest && rank(n.Alert.Severity) < rank(ch.MinSeverity) {
			o.failed([]inventory.Notification{n}, &ChannelError{Channel: name,
				Reason: fmt.Sprintf("takes %s and above: not sent (severity %s)", ch.MinSeverity, n.Alert.Severity)}, false, 0)
			continue
		}
		due = append(due, n)
	}
	if len(due) == 0 {
		return nil
	}

	// Plan the messages within the rate limit: more than DigestAfter due
	// go as one digest; otherwise one each, the last allowed message
	// being a digest of the rest when the limit would be passed; none
	// when the window is full (they wait for it).
	room, freeAt := d.room(name, d.o.Clock(), ch.RatePerMinute)
	var msgs [][]inventory.Notification
	switch {
	case room <= 0:
		o.deferred(due, freeAt)
		return nil
	case len(due) > ch.DigestAfter:
		msgs = append(msgs, due)
	case len(due) <= room:
		for i := range due {
			msgs = append(msgs, due[i:i+1])
		}
	default:
		for i := range room - 1 {
			msgs = append(msgs, due[i:i+1])
		}
		msgs = append(msgs, due[room-1:])
	}
	for i, items := range msgs {
		m := &message{channel: name, items: items, digest: len(items) > 1, sentAt: d.o.Clock()}
		d.record(name, m.sentAt)
		err := d.send.send(ctx, ch, s, m)
		if err != nil && ctx.Err() != nil {
			return nil // abandoned: the lease expires and another claim sends them
		}
		o.rep.Messages++
		if m.digest {
			o.rep.Digests++
		}
		if err == nil {
			o.delivered(items)
			d.o.Logger.Debug("notification sent", slog.String("channel", name), slog.Int("notifications", len(items)), slog.Bool("digest", m.digest))
			continue
		}
		var de *DeliveryError
		temporary, wait := false, time.Duration(0)
		if errors.As(err, &de) {
			temporary, wait = de.Temporary, de.RetryAfter
		}
		o.failed(items, err, temporary, wait)
		if temporary {
			// The channel is down: the rest share the failure rather than
			// wait a timeout each.
			var rest []inventory.Notification
			for _, r := range msgs[i+1:] {
				rest = append(rest, r...)
			}
			if len(rest) > 0 {
				o.failed(rest, &ChannelError{Channel: name, Reason: "not tried: an earlier message to it failed", Err: err}, true, wait)
			}
			return nil
		}
	}
	return nil
}

// room returns how many messages channel may send at now, and when the
// oldest send leaves the window.
func (d *Dispatcher) room(channel string, now time.Time, limit int) (int, time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	ts := d.sent[channel]
	i := 0
	for i < len(ts) && !ts[i].After(now.Add(-rateWindow)) {
		i++
	}
	ts = ts[i:]
	d.sent[channel] = ts
	if len(ts) == 0 {
		delete(d.sent, channel)
		return limit, now
	}
	return limit - len(ts), ts[0].Add(rateWindow)
}

func (d *Dispatcher) record(channel string, at time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.sent[channel] = append(d.sent[channel], at)
}
