package notify_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/accessvault/vinventory/alert/notify"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

const hmacKey = "k3y-for-the-webhook-0123456789"

func webhookChannel(name, u string) inventory.AlertChannel {
	return inventory.AlertChannel{Name: name, Kind: inventory.ChannelWebhook, Enabled: true, URL: u}
}

// TestWebhookDelivered: one notification reaches the sink, signed, with
// the alert as queued (the hostile name intact in the JSON), and is
// recorded delivered.
func TestWebhookDelivered(t *testing.T) { forBackends(t, testWebhookDelivered) }

func testWebhookDelivered(t *testing.T, e *env) {
	sk := newSink(t, false)
	e.putChannel(webhookChannel("hook", sk.srv.URL+"/in"), notify.Secret{HMACKey: hmacKey})
	a := alertN(0, inventory.SeverityCritical)
	a.EntityName = hostile
	ids := e.enqueue("hook", inventory.NotifyOpened, a)
	d := e.dispatcher("a", nil)
	rep := e.runOnce(d)
	if rep.Claimed != 1 || rep.Delivered != 1 || rep.Messages != 1 || rep.Digests != 0 {
		t.Fatalf("report %+v", rep)
	}
	reqs := sk.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests", len(reqs))
	}
	r := reqs[0]
	ts := r.Header.Get(notify.HeaderTimestamp)
	if ts != strconv.FormatInt(t0.Unix(), 10) {
		t.Errorf("timestamp %q, want %d", ts, t0.Unix())
	}
	if got, want := r.Header.Get(notify.HeaderSignature), hmacHex(hmacKey, ts, r.Body); got != want {
		t.Errorf("signature %q, want %q", got, want)
	}
	if !notify.Verify([]byte(hmacKey), ts, r.Header.Get(notify.HeaderSignature), r.Body) ||
		notify.Verify([]byte("another-key-0123456789"), ts, r.Header.Get(notify.HeaderSignature), r.Body) {
		t.Error("Verify does not tell the right key from a wrong one")
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("content type %q", ct)
	}
	if strings.Contains(string(r.Body), "<script>") {
		t.Errorf("raw <script> in the JSON body (want \\u003c): %s", r.Body)
	}
	var p notify.WebhookPayload
	decode(t, r.Body, &p)
	if p.Event != inventory.NotifyOpened || p.Channel != "hook" || p.NotificationID != ids[0] || !p.SentAt.Equal(t0) || p.Alert == nil {
		t.Fatalf("payload %+v", p)
	}
	if p.Alert.EntityName != hostile || p.Alert.ID != a.ID || p.Alert.Severity != inventory.SeverityCritical || p.Alert.Summary != a.Summary {
		t.Errorf("alert %+v", p.Alert)
	}
	n := e.notification(ids[0])
	if n.State != inventory.NotificationDelivered || n.Attempts != 1 || !n.DeliveredAt.Equal(t0) {
		t.Errorf("stored %+v", n)
	}
	if rep := e.runOnce(d); rep.Claimed != 0 || len(sk.requests()) != 1 {
		t.Errorf("delivered twice: %+v", rep)
	}
}

// TestRetryOn500: a sink answering 500 gets the notification again after
// the backoff (30 s, then 60 s), then it is delivered.
func TestRetryOn500(t *testing.T) { forBackends(t, testRetryOn500) }

func testRetryOn500(t *testing.T, e *env) {
	sk := newSink(t, false)
	sk.answer(500, 503)
	e.putChannel(webhookChannel("hook", sk.srv.URL), notify.Secret{HMACKey: hmacKey})
	ids := e.enqueue("hook", inventory.NotifyOpened, alertN(0, inventory.SeverityWarning))
	d := e.dispatcher("a", nil)

	if rep := e.runOnce(d); rep.Retried != 1 || rep.Delivered != 0 {
		t.Fatalf("first run %+v", rep)
	}
	n := e.notification(ids[0])
	if n.State != inventory.NotificationPending || n.Attempts != 1 || !n.NextAttempt.Equal(t0.Add(30*time.Second)) ||
		!strings.Contains(n.LastError, "500") {
		t.Fatalf("after a 500: %+v", n)
	}
	e.clk.Add(29 * time.Second)
	if rep := e.runOnce(d); rep.Claimed != 0 {
		t.Fatalf("claimed before the backoff: %+v", rep)
	}
	e.clk.Add(time.Second)
	if rep := e.runOnce(d); rep.Retried != 1 {
		t.Fatalf("second run %+v", rep)
	}
	n = e.notification(ids[0])
	if n.Attempts != 2 || !n.NextAttempt.Equal(t0.Add(90*time.Second)) || !strings.Contains(n.LastError, "503") {
		t.Fatalf("after a 503: %+v", n)
	}
	e.clk.Add(60 * time.Second)
	if rep := e.runOnce(d); rep.Delivered != 1 {
		t.Fatalf("third run %+v", rep)
	}
	if n := e.notification(ids[0]); n.State != inventory.NotificationDelivered || n.Attempts != 3 || len(sk.requests()) != 3 {
		t.Fatalf("after delivery: %+v, %d requests", n, len(sk.requests()))
	}
}

// TestRetryWhenDown: nothing listens on the channel's port; the
// notification is retried and delivered once a server listens there.
func TestRetryWhenDown(t *testing.T) { forBackends(t, testRetryWhenDown) }

func testRetryWhenDown(t *testing.T, e *env) {
	addr := closedAddr(t)
	e.putChannel(webhookChannel("hook", "http://"+addr+"/in"), notify.Secret{HMACKey: hmacKey})
	ids := e.enqueue("hook", inventory.NotifyOpened, alertN(0, inventory.SeverityWarning))
	d := e.dispatcher("a", nil)
	if rep := e.runOnce(d); rep.Retried != 1 {
		t.Fatalf("run while down %+v", rep)
	}
	n := e.notification(ids[0])
	if n.State != inventory.NotificationPending || n.Attempts != 1 || !strings.Contains(n.LastError, "no answer") {
		t.Fatalf("after a refused connection: %+v", n)
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("the port was taken meanwhile: %v", err)
	}
	got := make(chan string, 1)
	srv := &httptest.Server{Listener: l, Config: &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.Header.Get(notify.HeaderSignature)
	})}}
	srv.Start()
	defer srv.Close()
	e.clk.Add(30 * time.Second)
	if rep := e.runOnce(d); rep.Delivered != 1 {
		t.Fatalf("run once up %+v", rep)
	}
	if sig := <-got; !strings.HasPrefix(sig, "sha256=") {
		t.Errorf("signature %q", sig)
	}
	if n := e.notification(ids[0]); n.State != inventory.NotificationDelivered || n.Attempts != 2 {
		t.Fatalf("%+v", n)
	}
}

// TestGiveUp: a 4xx fails at once; 5xx fail for good after MaxAttempts;
// a 429 waits its Retry-After.
func TestGiveUp(t *testing.T) { forBackends(t, testGiveUp) }

func testGiveUp(t *testing.T, e *env) {
	sk := newSink(t, false)
	e.putChannel(webhookChannel("hook", sk.srv.URL), notify.Secret{HMACKey: hmacKey})
	d := e.dispatcher("a", nil, func(o *notify.DispatcherOptions) { o.MaxAttempts = 2 })

	sk.answer(http.StatusBadRequest)
	id := e.enqueue("hook", inventory.NotifyOpened, alertN(0, inventory.SeverityWarning))[0]
	if rep := e.runOnce(d); rep.Failed != 1 {
		t.Fatalf("400: %+v", rep)
	}
	if n := e.notification(id); n.State != inventory.NotificationFailed || !strings.Contains(n.LastError, "400") {
		t.Fatalf("400: %+v", n)
	}

	sk.answer(http.StatusTooManyRequests)
	sk.setHeader(http.Header{"Retry-After": {"120"}})
	id = e.enqueue("hook", inventory.NotifyOpened, alertN(1, inventory.SeverityWarning))[0]
	if rep := e.runOnce(d); rep.Retried != 1 {
		t.Fatalf("429: %+v", rep)
	}
	if n := e.notification(id); n.State != inventory.NotificationPending || !n.NextAttempt.Equal(t0.Add(120*time.Second)) {
		t.Fatalf("429: %+v", n)
	}
	sk.setHeader(nil)
	sk.answer(500)
	e.clk.Add(120 * time.Second)
	if rep := e.runOnce(d); rep.Failed != 1 {
		t.Fatalf("500 at the last attempt: %+v", rep)
	}
	if n := e.notification(id); n.State != inventory.NotificationFailed || n.Attempts != 2 || !strings.Contains(n.LastError, "500") {
		t.Fatalf("500 at the last attempt: %+v", n)
	}
}

// TestRateLimit: a channel allowing 3 messages a minute sends 3; the
// fourth waits for the minute (not an attempt) and goes when it ends;
// more due than the room left go as a digest in the last allowed message.
func TestRateLimit(t *testing.T) { forBackends(t, testRateLimit) }

func testRateLimit(t *testing.T, e *env) {
	sk := newSink(t, false)
	ch := webhookChannel("hook", sk.srv.URL)
	ch.RatePerMinute, ch.DigestAfter = 3, 10
	e.putChannel(ch, notify.Secret{HMACKey: hmacKey})
	d := e.dispatcher("a", nil)
	for i := range 3 {
		e.enqueue("hook", inventory.NotifyOpened, alertN(i, inventory.SeverityWarning))
		if rep := e.runOnce(d); rep.Delivered != 1 {
			t.Fatalf("message %d: %+v", i+1, rep)
		}
		e.clk.Add(10 * time.Second)
	}
	// At t0+30s: the window holds sends at t0, t0+10s, t0+20s.
	id := e.enqueue("hook", inventory.NotifyOpened, alertN(3, inventory.SeverityWarning))[0]
	if rep := e.runOnce(d); rep.Deferred != 1 || rep.Messages != 0 {
		t.Fatalf("fourth: %+v", rep)
	}
	n := e.notification(id)
	if n.State != inventory.NotificationPending || n.LastError != "" || !n.NextAttempt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("the fourth should wait for t0+1m: %+v", n)
	}
	if n.Attempts != 0 {
		t.Fatalf("the store counted a deferral as an attempt (Attempts %d)", n.Attempts)
	}
	if len(sk.requests()) != 3 {
		t.Fatalf("%d requests", len(sk.requests()))
	}
	e.clk.Add(30 * time.Second) // t0+1m: the send at t0 left the window
	if rep := e.runOnce(d); rep.Delivered != 1 {
		t.Fatalf("fourth after the minute: %+v", rep)
	}
	// t0+1m: the window holds t0+10s, t0+20s, t0+1m; at t0+1m15s one
	// place is free (t0+10s left): 4 due go as one digest.
	e.clk.Add(15 * time.Second)
	e.enqueue("hook", inventory.NotifyOpened, alertN(4, inventory.SeverityWarning), alertN(5, inventory.SeverityWarning),
		alertN(6, inventory.SeverityWarning), alertN(7, inventory.SeverityWarning))
	if rep := e.runOnce(d); rep.Delivered != 4 || rep.Messages != 1 || rep.Digests != 1 {
		t.Fatalf("overflow: %+v", rep)
	}
	reqs := sk.requests()
	var p notify.WebhookPayload
	decode(t, reqs[len(reqs)-1].Body, &p)
	if p.Event != notify.EventDigest || len(p.Alerts) != 4 || p.Alerts[0].Alert.EntityName != "dse" {
		t.Fatalf("digest %+v", p)
	}
}

// TestDigest: more than DigestAfter due at once go as one message per
// channel kind; fewer go one by one.
func TestDigest(t *testing.T) { forBackends(t, testDigest) }

func testDigest(t *testing.T, e *env) {
	hook := newSink(t, false)
	slack := newSink(t, true)
	teams := newSink(t, true)
	ch := webhookChannel("hook", hook.srv.URL)
	ch.DigestAfter = 2
	e.putChannel(ch, notify.Secret{HMACKey: hmacKey})
	e.putChannel(inventory.AlertChannel{Name: "slack", Kind: inventory.ChannelSlack, Enabled: true, DigestAfter: 2},
		notify.Secret{URL: slack.srv.URL + "/services/T000/B000/XXXXSECRET"})
	e.putChannel(inventory.AlertChannel{Name: "teams", Kind: inventory.ChannelTeams, Enabled: true, DigestAfter: 2},
		notify.Secret{URL: teams.srv.URL + "/workflows/abc/triggers/manual/paths/invoke?sig=SECRETSIG"})
	var alerts []inventory.Alert
	for i := range 5 {
		alerts = append(alerts, alertN(i, inventory.SeverityCritical))
	}
	alerts[2].EntityName = hostile
	for _, c := range []string{"hook", "slack", "teams"} {
		e.enqueue(c, inventory.NotifyOpened, alerts...)
	}
	d := e.dispatcher("a", slack.srv.Client())
	rep := e.runOnce(d)
	if rep.Claimed != 15 || rep.Delivered != 15 || rep.Messages != 3 || rep.Digests != 3 {
		t.Fatalf("report %+v", rep)
	}
	var p notify.WebhookPayload
	decode(t, hook.requests()[0].Body, &p)
	if p.Event != notify.EventDigest || len(p.Alerts) != 5 || p.Alert != nil || p.Alerts[2].Alert.EntityName != hostile {
		t.Fatalf("webhook digest %+v", p)
	}
	var sp struct {
		Text   string `json:"text"`
		Blocks []struct {
			Type string `json:"type"`
			Text struct {
				Type, Text string
			} `json:"text"`
		} `json:"blocks"`
	}
	decode(t, slack.requests()[0].Body, &sp)
	if !strings.Contains(sp.Text, "5 alert notifications") || len(sp.Blocks) != 7 {
		t.Fatalf("slack digest %+v", sp)
	}
	if got := sp.Blocks[3].Text.Text; !strings.Contains(got, "&lt;script&gt;") || strings.Contains(got, "<script>") ||
		strings.Contains(got, "<!channel>") || !strings.Contains(got, "&amp;") {
		t.Errorf("slack block not escaped: %s", got)
	}
	var tp struct {
		Type        string `json:"type"`
		Attachments []struct {
			ContentType string `json:"contentType"`
			Content     struct {
				Type string `json:"type"`
				Body []struct {
					Type, Text string
				} `json:"body"`
			} `json:"content"`
		} `json:"attachments"`
	}
	decode(t, teams.requests()[0].Body, &tp)
	if tp.Type != "message" || len(tp.Attachments) != 1 || tp.Attachments[0].ContentType != "application/vnd.microsoft.card.adaptive" ||
		tp.Attachments[0].Content.Type != "AdaptiveCard" || len(tp.Attachments[0].Content.Body) != 7 {
		t.Fatalf("teams digest %+v", tp)
	}
	if got := tp.Attachments[0].Content.Body[3].Text; !strings.Contains(got, `\[click\](https://evil`) || !strings.Contains(got, `\<script\>`) {
		t.Errorf("teams markdown not escaped: %s", got)
	}

	// Two due (not more than DigestAfter) go one by one.
	e.enqueue("hook", inventory.NotifyResolved, alerts[0], alerts[1])
	if rep := e.runOnce(d); rep.Messages != 2 || rep.Digests != 0 {
		t.Fatalf("two: %+v", rep)
	}
}

// TestSlackTeamsSingle checks one notification's Slack and Teams
// messages.
func TestSlackTeamsSingle(t *testing.T) { forBackends(t, testSlackTeamsSingle) }

func testSlackTeamsSingle(t *testing.T, e *env) {
	slack := newSink(t, true)
	teams := newSink(t, true)
	e.putChannel(inventory.AlertChannel{Name: "slack", Kind: inventory.ChannelSlack, Enabled: true},
		notify.Secret{URL: slack.srv.URL + "/services/T000/B000/XXXXSECRET"})
	e.putChannel(inventory.AlertChannel{Name: "teams", Kind: inventory.ChannelTeams, Enabled: true},
		notify.Secret{URL: teams.srv.URL + "/workflows/abc?sig=SECRETSIG"})
	a := alertN(0, inventory.SeverityCritical)
	a.Summary = hostile
	a.State, a.AckedBy, a.AckComment = inventory.AlertAcknowledged, "ann", "on it <b>now</b>"
	e.enqueue("slack", inventory.NotifyAcknowledged, a)
	e.enqueue("teams", inventory.NotifyAcknowledged, a)
	if rep := e.runOnce(e.dispatcher("a", slack.srv.Client())); rep.Delivered != 2 {
		t.Fatalf("%+v", rep)
	}
	sb := string(slack.requests()[0].Body)
	for _, want := range []string{`"text":"CRITICAL acknowledged by ann: datastore dsa on vc1"`, `"type":"header"`, `"type":"mrkdwn"`,
		`*Summary:* \u0026lt;script\u0026gt;`, `on it \u0026lt;b\u0026gt;now`} {
		if !strings.Contains(sb, want) {
			t.Errorf("slack body lacks %s: %s", want, sb)
		}
	}
	tb := string(teams.requests()[0].Body)
	for _, want := range []string{`"type":"FactSet"`, `"title":"Summary"`, `\\[click\\]`, `"version":"1.4"`} {
		if !strings.Contains(tb, want) {
			t.Errorf("teams body lacks %s: %s", want, tb)
		}
	}
}

// TestChannelGone: a deleted or disabled channel, or a severity below the
// channel's minimum, fails the notification with a clear reason.
func TestChannelGone(t *testing.T) { forBackends(t, testChannelGone) }

func testChannelGone(t *testing.T, e *env) {
	sk := newSink(t, false)
	e.putChannel(webhookChannel("gone", sk.srv.URL), notify.Secret{HMACKey: hmacKey})
	off := webhookChannel("off", sk.srv.URL)
	off.Enabled = false
	e.putChannel(off, notify.Secret{HMACKey: hmacKey})
	crit := webhookChannel("crit", sk.srv.URL)
	crit.MinSeverity = inventory.SeverityCritical
	e.putChannel(crit, notify.Secret{HMACKey: hmacKey})
	gone := e.enqueue("gone", inventory.NotifyOpened, alertN(0, inventory.SeverityWarning))[0]
	if err := e.st.DeleteAlertChannel(context.Background(), &store.DeleteAlertChannelParams{Name: "gone"}); err != nil {
		t.Fatal(err)
	}
	never := e.enqueue("never-existed", inventory.NotifyOpened, alertN(0, inventory.SeverityWarning))[0]
	disabled := e.enqueue("off", inventory.NotifyOpened, alertN(0, inventory.SeverityWarning))[0]
	low := e.enqueue("crit", inventory.NotifyOpened, alertN(0, inventory.SeverityWarning))[0]
	if rep := e.runOnce(e.dispatcher("a", nil)); rep.Failed != rep.Claimed {
		t.Fatalf("%+v", rep)
	}
	for id, want := range map[int64]string{never: "channel never-existed does not exist", disabled: "channel off is disabled",
		low: "channel crit takes critical and above"} {
		if n := e.notification(id); n.State != inventory.NotificationFailed || !strings.Contains(n.LastError, want) {
			t.Errorf("notification %d: want failed with %q, got %+v", id, want, n)
		}
	}
	if n := e.notification(gone); n.State != inventory.NotificationFailed {
		t.Errorf("notification of a deleted channel: %+v", n)
	}
	if len(sk.requests()) != 0 {
		t.Errorf("%d requests", len(sk.requests()))
	}
}

// TestNeverLost: a dispatcher that dies mid-send (its context cancelled)
// leaves the notification leased; a new dispatcher delivers it once the
// lease expires.
func TestNeverLost(t *testing.T) { forBackends(t, testNeverLost) }

func testNeverLost(t *testing.T, e *env) {
	sk := newSink(t, false)
	sk.setBlock(make(chan struct{}))
	e.putChannel(webhookChannel("hook", sk.srv.URL), notify.Secret{HMACKey: hmacKey})
	id := e.enqueue("hook", inventory.NotifyOpened, alertN(0, inventory.SeverityCritical))[0]

	dying := e.dispatcher("replica-1", nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan *notify.Report, 1)
	go func() {
		rep, _ := dying.RunOnce(ctx)
		done <- rep
	}()
	waitFor(t, func() bool { return len(sk.requests()) == 1 })
	cancel()
	rep := <-done
	if rep.Abandoned != 1 || rep.Delivered != 0 {
		t.Fatalf("dying report %+v", rep)
	}
	sk.setBlock(nil)
	if n := e.notification(id); n.State != inventory.NotificationPending || n.Attempts != 0 {
		t.Fatalf("after the death: %+v", n)
	}
	next := e.dispatcher("replica-2", nil)
	if rep := e.runOnce(next); rep.Claimed != 0 {
		t.Fatalf("claimed under another's lease: %+v", rep)
	}
	e.clk.Add(notify.DefaultLease)
	if rep := e.runOnce(next); rep.Delivered != 1 {
		t.Fatalf("after the lease: %+v", rep)
	}
	if n := e.notification(id); n.State != inventory.NotificationDelivered {
		t.Fatalf("%+v", n)
	}
}

// TestRunWake: Run delivers at once when woken, without waiting for its
// interval.
func TestRunWake(t *testing.T) { forBackends(t, testRunWake) }

func testRunWake(t *testing.T, e *env) {
	sk := newSink(t, false)
	e.putChannel(webhookChannel("hook", sk.srv.URL), notify.Secret{HMACKey: hmacKey})
	d := e.dispatcher("a", nil, func(o *notify.DispatcherOptions) { o.Interval = time.Hour })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	id := e.enqueue("hook", inventory.NotifyOpened, alertN(0, inventory.SeverityCritical))[0]
	d.Wake()
	waitFor(t, func() bool { return e.notification(id).State == inventory.NotificationDelivered })
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestNewDispatcherOptions: the required options are checked.
func TestNewDispatcherOptions(t *testing.T) { forBackends(t, testNewDispatcherOptions) }

func testNewDispatcherOptions(t *testing.T, e *env) {
	_, err := notify.NewDispatcher(e.st, e.st, notify.DispatcherOptions{})
	var fields []string
	for _, f := range inventory.FieldErrors(errors.Unwrap(err)) {
		fields = append(fields, f.Field)
	}
	if strings.Join(fields, ",") != "Owner,OpenSecret" {
		t.Fatalf("fields %v (%v)", fields, err)
	}
}

// TestBackoff: 30 s doubling to 30 min.
func TestBackoff(t *testing.T) {
	want := []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 16 * time.Minute, 30 * time.Minute, 30 * time.Minute}
	for i, w := range want {
		if got := notify.DefaultBackoff(i + 1); got != w {
			t.Errorf("attempt %d: %v, want %v", i+1, got, w)
		}
	}
}

// waitFor polls cond until it holds, failing after 5 s.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestRetryOnTimeout: a receiver that does not answer within Timeout is
// retried like one that is down.
func TestRetryOnTimeout(t *testing.T) { forBackends(t, testRetryOnTimeout) }

func testRetryOnTimeout(t *testing.T, e *env) {
	sk := newSink(t, false)
	sk.setBlock(make(chan struct{}))
	e.putChannel(webhookChannel("hook", sk.srv.URL), notify.Secret{HMACKey: hmacKey})
	id := e.enqueue("hook", inventory.NotifyOpened, alertN(0, inventory.SeverityCritical))[0]
	d := e.dispatcher("a", nil, func(o *notify.DispatcherOptions) { o.Timeout = 100 * time.Millisecond })
	if rep := e.runOnce(d); rep.Retried != 1 || rep.Abandoned != 0 {
		t.Fatalf("report %+v", rep)
	}
	if n := e.notification(id); n.State != inventory.NotificationPending || n.Attempts != 1 ||
		!strings.Contains(n.LastError, "no answer") || !n.NextAttempt.Equal(t0.Add(30*time.Second)) {
		t.Fatalf("%+v", n)
	}
}

// TestChannelBroken: a secret that does not open is retried (a keyring
// being fixed); a channel stored invalid fails at once.
func TestChannelBroken(t *testing.T) { forBackends(t, testChannelBroken) }

func testChannelBroken(t *testing.T, e *env) {
	ctx := context.Background()
	if _, err := e.st.PutAlertChannel(ctx, &store.PutAlertChannelParams{Channel: inventory.AlertChannel{
		Name: "sealed-elsewhere", Kind: inventory.ChannelSlack, Enabled: true, Secret: []byte("not a sealed blob")}}); err != nil {
		t.Fatal(err)
	}
	e.putChannel(inventory.AlertChannel{Name: "slack", Kind: inventory.ChannelSlack, Enabled: true}, notify.Secret{URL: "https://hooks.example/x"})
	// A later edit stores an invalid channel (a URL out of the secret).
	if _, err := e.st.PutAlertChannel(ctx, &store.PutAlertChannelParams{KeepSecret: true, Channel: inventory.AlertChannel{
		Name: "slack", Kind: inventory.ChannelSlack, Enabled: true, URL: "https://hooks.example/x"}}); err != nil {
		t.Fatal(err)
	}
	sealed := e.enqueue("sealed-elsewhere", inventory.NotifyOpened, alertN(0, inventory.SeverityCritical))[0]
	invalid := e.enqueue("slack", inventory.NotifyOpened, alertN(0, inventory.SeverityCritical))[0]
	if rep := e.runOnce(e.dispatcher("a", nil)); rep.Retried != 1 || rep.Failed != 1 {
		t.Fatalf("report %+v", rep)
	}
	if n := e.notification(sealed); n.State != inventory.NotificationPending || !strings.Contains(n.LastError, "channel sealed-elsewhere has a secret that could not be opened") {
		t.Errorf("%+v", n)
	}
	if n := e.notification(invalid); n.State != inventory.NotificationFailed || !strings.Contains(n.LastError, "channel slack is invalid: url: must be empty") {
		t.Errorf("%+v", n)
	}
}

// TestRateLimitOverflow: 5 due at once for a channel allowing 3 a minute
// (digest above 10) go as 2 messages and a digest of the other 3; the
// next waits for the minute.
func TestRateLimitOverflow(t *testing.T) { forBackends(t, testRateLimitOverflow) }

func testRateLimitOverflow(t *testing.T, e *env) {
	sk := newSink(t, false)
	ch := webhookChannel("hook", sk.srv.URL)
	ch.RatePerMinute, ch.DigestAfter = 3, 10
	e.putChannel(ch, notify.Secret{HMACKey: hmacKey})
	d := e.dispatcher("a", nil)
	var alerts []inventory.Alert
	for i := range 5 {
		alerts = append(alerts, alertN(i, inventory.SeverityWarning))
	}
	e.enqueue("hook", inventory.NotifyOpened, alerts...)
	if rep := e.runOnce(d); rep.Delivered != 5 || rep.Messages != 3 || rep.Digests != 1 {
		t.Fatalf("report %+v", rep)
	}
	var events []string
	for _, r := range sk.requests() {
		var p notify.WebhookPayload
		decode(t, r.Body, &p)
		events = append(events, p.Event+":"+strconv.Itoa(len(p.Alerts)))
	}
	if strings.Join(events, ",") != "opened:0,opened:0,digest:3" {
		t.Fatalf("messages %v", events)
	}
	e.clk.Add(59 * time.Second)
	id := e.enqueue("hook", inventory.NotifyOpened, alertN(5, inventory.SeverityWarning))[0]
	if rep := e.runOnce(d); rep.Deferred != 1 {
		t.Fatalf("sixth %+v", rep)
	}
	if n := e.notification(id); !n.NextAttempt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("sixth %+v", n)
	}
}
