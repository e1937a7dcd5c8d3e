package notify_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/accessvault/vinventory/alert/notify"
	"github.com/accessvault/vinventory/internal/secrets"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/memstore"
)

// t0 is the tests' start time.
var t0 = time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)

// clock is an injected clock tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: t0} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// queueStore is what the dispatcher needs of a store.
type queueStore interface {
	store.NotificationQueue
	store.AlertChannels
}

// env is a store, a keyring sealing channel secrets as the daemon does,
// and a log buffer.
type env struct {
	t   *testing.T
	clk *clock
	st  queueStore
	kr  *secrets.Keyring
	log *syncBuffer
}

// syncBuffer is a bytes.Buffer safe for the dispatcher's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func newEnv(t *testing.T) *env {
	t.Helper()
	clk := newClock()
	kr, err := secrets.ParseKeyring("k1:" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32)))
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, clk: clk, st: memstore.New(memstore.Options{Clock: clk.Now}), kr: kr, log: &syncBuffer{}}
}

// forBackends runs a test on memstore and on a SQLite file.
func forBackends(t *testing.T, test func(t *testing.T, e *env)) {
	t.Run("memstore", func(t *testing.T) { test(t, newEnv(t)) })
	t.Run("sqlite", func(t *testing.T) {
		e := newEnv(t)
		st, closeStore := openSQLite(t, e, filepath.Join(t.TempDir(), "vinventory.db"))
		t.Cleanup(closeStore)
		e.st = st
		test(t, e)
	})
}

// putChannel stores a channel with its secret sealed by the keyring.
func (e *env) putChannel(ch inventory.AlertChannel, s notify.Secret) {
	e.t.Helper()
	if err := notify.ValidateChannel(&ch, &s); err != nil {
		e.t.Fatalf("channel %s: %v", ch.Name, err)
	}
	plain, err := json.Marshal(s)
	if err != nil {
		e.t.Fatal(err)
	}
	if ch.Secret, err = e.kr.Encrypt(plain, ch.Name); err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.st.PutAlertChannel(context.Background(), &store.PutAlertChannelParams{Channel: ch}); err != nil {
		e.t.Fatal(err)
	}
}

// openSecret opens a channel's secret with the keyring, as the daemon
// does.
func (e *env) openSecret(_ context.Context, ch inventory.AlertChannel) (*notify.Secret, error) {
	plain, err := e.kr.Decrypt(ch.Secret, ch.Name)
	if err != nil {
		return nil, err
	}
	var s notify.Secret
	return &s, json.Unmarshal(plain, &s)
}

// dispatcher returns a Dispatcher over the env's store; edit changes its
// options.
func (e *env) dispatcher(owner string, client *http.Client, edit ...func(*notify.DispatcherOptions)) *notify.Dispatcher {
	e.t.Helper()
	o := notify.DispatcherOptions{
		Owner: owner, OpenSecret: e.openSecret, Clock: e.clk.Now, HTTPClient: client, Timeout: 5 * time.Second,
		Logger: slog.New(slog.NewTextHandler(e.log, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	for _, f := range edit {
		f(&o)
	}
	d, err := notify.NewDispatcher(e.st, e.st, o)
	if err != nil {
		e.t.Fatal(err)
	}
	return d
}

// hostile is a name that must stay inert in every output.
const hostile = `<script>alert("x")</script> & <!channel> [click](https://evil.example) =cmd|'/c calc'!A1 "ünï"`

// alertN returns an alert about datastore n.
func alertN(n int, sev inventory.AlertSeverity) inventory.Alert {
	return inventory.Alert{
		ID: int64(100 + n), RuleID: "ds-full", Kind: inventory.RuleDatastoreUsedPct, Severity: sev,
		Vcenter: "vc1", EntityType: inventory.EntityDatastore, EntityID: "datastore-" + string(rune('a'+n)),
		EntityName: "ds" + string(rune('a'+n)), State: inventory.AlertOpen,
		Summary: "datastore is 91.2% used (raise at 85%)", Value: 91.2, SeenAt: t0, OpenedAt: t0, UpdatedAt: t0,
	}
}

// enqueue queues notifications of alerts to a channel and returns their
// IDs.
func (e *env) enqueue(channel, event string, alerts ...inventory.Alert) []int64 {
	e.t.Helper()
	var ns []inventory.Notification
	for _, a := range alerts {
		ns = append(ns, inventory.Notification{Channel: channel, Event: event, Alert: a})
	}
	ids, err := e.st.EnqueueNotifications(context.Background(), &store.EnqueueNotificationsParams{Notifications: ns})
	if err != nil {
		e.t.Fatal(err)
	}
	return ids
}

// notification returns a stored notification by ID.
func (e *env) notification(id int64) inventory.Notification {
	e.t.Helper()
	page, err := e.st.ListNotifications(context.Background(), &store.ListNotificationsParams{Limit: 1000})
	if err != nil {
		e.t.Fatal(err)
	}
	for _, n := range page.Notifications {
		if n.ID == id {
			return n
		}
	}
	e.t.Fatalf("notification %d not found", id)
	return inventory.Notification{}
}

func (e *env) runOnce(d *notify.Dispatcher) *notify.Report {
	e.t.Helper()
	rep, err := d.RunOnce(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return rep
}

// request is one request a sink received.
type request struct {
	Header http.Header
	Body   []byte
}

// sink is a local HTTP server standing in for a webhook, Slack or Teams:
// it records requests and answers with the next status of a script
// (200 once the script is done).
type sink struct {
	srv *httptest.Server
	mu  sync.Mutex
	got []request
	// statuses are the answers to the next requests, in order.
	statuses []int
	header   http.Header // added to non-200 answers
	block    chan struct{}
}

func newSink(t *testing.T, tlsServer bool) *sink {
	s := &sink{}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.got = append(s.got, request{Header: r.Header.Clone(), Body: body})
		status := http.StatusOK
		if len(s.statuses) > 0 {
			status, s.statuses = s.statuses[0], s.statuses[1:]
		}
		block := s.block
		for k, v := range s.header {
			if status != http.StatusOK {
				w.Header()[k] = v
			}
		}
		s.mu.Unlock()
		if block != nil {
			select {
			case <-block:
			case <-r.Context().Done():
				return
			}
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, http.StatusText(status))
	})
	if tlsServer {
		s.srv = httptest.NewTLSServer(h)
	} else {
		s.srv = httptest.NewServer(h)
	}
	t.Cleanup(s.srv.Close)
	return s
}

func (s *sink) answer(statuses ...int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.statuses = append(s.statuses, statuses...)
}

func (s *sink) setHeader(h http.Header) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.header = h
}

// setBlock makes the sink hold answers until block is closed or the
// client gives up (nil: answer at once).
func (s *sink) setBlock(block chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.block = block
}

func (s *sink) requests() []request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]request(nil), s.got...)
}

// hmacHex is the expected signature, computed independently of
// notify.Sign.
func hmacHex(key, ts string, body []byte) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(ts + "." + string(body)))
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// closedURL returns an http URL on a local port nothing listens on, and
// its address.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr
}

// decode unmarshals a request body.
func decode(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("body %s: %v", b, err)
	}
}

// noSecret fails when any text holds a secret.
func noSecret(t *testing.T, what, text string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if strings.Contains(text, s) {
			t.Errorf("%s holds the secret %q: %s", what, s, text)
		}
	}
}
