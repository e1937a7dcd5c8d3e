package notify_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/accessvault/vinventory/alert/notify"
	"github.com/accessvault/vinventory/inventory"
)

func fieldsOf(err error) []string {
	var out []string
	for _, f := range inventory.FieldErrors(err) {
		out = append(out, f.Field)
	}
	return out
}

func TestValidateChannel(t *testing.T) {
	const slackURL = "https://hooks.slack.com/services/T000/B000/SECRETTOKEN"
	good := []struct {
		ch inventory.AlertChannel
		s  *notify.Secret
	}{
		{inventory.AlertChannel{Name: "hook", Kind: "webhook", URL: "http://10.0.0.1:8080/in"}, &notify.Secret{HMACKey: hmacKey}},
		{inventory.AlertChannel{Name: "hook", Kind: "webhook", URL: "https://x.example/in"}, nil},
		{inventory.AlertChannel{Name: "s", Kind: "slack", MinSeverity: "critical", RatePerMinute: 5}, &notify.Secret{URL: slackURL}},
		{inventory.AlertChannel{Name: "t", Kind: "teams"}, &notify.Secret{URL: "https://prod.logic.azure.com/workflows/x?sig=y"}},
		{inventory.AlertChannel{Name: "m", Kind: "email", SMTPHost: "smtp.example.com", From: "a@example.com", To: []string{"b@example.com"},
			Username: "u", TLS: "tls"}, &notify.Secret{Password: "p"}},
		{inventory.AlertChannel{Name: "m", Kind: "email", SMTPHost: "10.1.1.1", SMTPPort: 25, From: "a@example.com", To: []string{"b@example.com"},
			TLS: "none"}, &notify.Secret{}},
	}
	for i, c := range good {
		if err := notify.ValidateChannel(&c.ch, c.s); err != nil {
			t.Errorf("good %d: %v", i, err)
		}
	}
	bad := []struct {
		ch   inventory.AlertChannel
		s    *notify.Secret
		want []string
	}{
		{inventory.AlertChannel{Name: "Bad Name", Kind: "pager", MinSeverity: "fatal", RatePerMinute: -1, DigestAfter: -2}, nil,
			[]string{"name", "kind", "min_severity", "rate_per_minute", "digest_after"}},
		{inventory.AlertChannel{Name: "hook", Kind: "webhook", URL: "ftp://x/y", SMTPHost: "h"}, &notify.Secret{HMACKey: "short", Password: "p"},
			[]string{"smtp_host", "url", "secret.password", "secret.hmac_key"}},
		{inventory.AlertChannel{Name: "hook", Kind: "webhook", URL: "https://user:pw@x.example/"}, nil, []string{"url"}},
		{inventory.AlertChannel{Name: "s", Kind: "slack", URL: slackURL}, &notify.Secret{URL: "http://hooks.slack.com/services/T/B/SECRETTOKEN"},
			[]string{"url", "secret.url"}},
		{inventory.AlertChannel{Name: "t", Kind: "teams"}, &notify.Secret{}, []string{"secret.url"}},
		{inventory.AlertChannel{Name: "m", Kind: "email", URL: "https://x/", SMTPHost: "a b", SMTPPort: 70000, From: "nobody",
			To: []string{"ok@example.com", "x\r\nBcc: y@example.com"}, TLS: "ssl"}, &notify.Secret{Password: "p"},
			[]string{"url", "smtp_host", "smtp_port", "from", "to[1]", "tls", "secret.password"}},
		{inventory.AlertChannel{Name: "m", Kind: "email", SMTPHost: "h", From: "a@example.com", Username: "u", TLS: "none"}, &notify.Secret{},
			[]string{"to", "tls", "secret.password"}},
	}
	for i, c := range bad {
		err := notify.ValidateChannel(&c.ch, c.s)
		if got := fieldsOf(err); !slices.Equal(got, c.want) {
			t.Errorf("bad %d: fields %v, want %v (%v)", i, got, c.want, err)
		}
		noSecret(t, "validation error", fmt.Sprint(err), "SECRETTOKEN")
	}
}

func TestDefaults(t *testing.T) {
	ch := notify.Defaults(inventory.AlertChannel{Kind: inventory.ChannelEmail})
	if ch.MinSeverity != inventory.SeverityInfo || ch.RatePerMinute != 20 || ch.DigestAfter != 5 || ch.TLS != "starttls" || ch.SMTPPort != 587 {
		t.Errorf("%+v", ch)
	}
	if ch := notify.Defaults(inventory.AlertChannel{Kind: inventory.ChannelEmail, TLS: "tls"}); ch.SMTPPort != 465 {
		t.Errorf("implicit TLS port %d", ch.SMTPPort)
	}
	if ch := notify.Defaults(inventory.AlertChannel{Kind: inventory.ChannelSlack, RatePerMinute: 3}); ch.RatePerMinute != 3 || ch.TLS != "" || ch.SMTPPort != 0 {
		t.Errorf("%+v", ch)
	}
}

// TestSecretsNeverShown: Slack and Teams tokens stay out of LastError,
// the log and SendTest's error, whether the receiver is down or answers
// quoting the request; a Secret never prints its values.
func TestSecretsNeverShown(t *testing.T) { forBackends(t, testSecretsNeverShown) }

func testSecretsNeverShown(t *testing.T, e *env) {
	const slackToken, teamsSig = "T0AAA/B0BBB/SLACKtoken123456", "TEAMSsig987654321"
	down := "https://" + closedAddr(t) + "/services/" + slackToken
	echo := newSink(t, true)
	echo.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprintf(w, "no workflow at %s", r.URL.RequestURI())
	})
	teamsURL := echo.srv.URL + "/workflows/abc/triggers/manual/paths/invoke?api-version=1&sig=" + teamsSig
	e.putChannel(inventory.AlertChannel{Name: "slack", Kind: inventory.ChannelSlack, Enabled: true}, notify.Secret{URL: down})
	e.putChannel(inventory.AlertChannel{Name: "teams", Kind: inventory.ChannelTeams, Enabled: true}, notify.Secret{URL: teamsURL})
	s1 := e.enqueue("slack", inventory.NotifyOpened, alertN(0, inventory.SeverityCritical))[0]
	s2 := e.enqueue("teams", inventory.NotifyOpened, alertN(0, inventory.SeverityCritical))[0]
	if rep := e.runOnce(e.dispatcher("a", echo.srv.Client())); rep.Retried != 1 || rep.Failed != 1 {
		t.Fatalf("report %+v; log:\n%s", rep, e.log)
	}
	n1, n2 := e.notification(s1), e.notification(s2)
	if !strings.Contains(n1.LastError, "https://"+strings.TrimPrefix(down, "https://")[:strings.Index(strings.TrimPrefix(down, "https://"), "/")]+"/…") {
		t.Errorf("slack LastError should show scheme://host/…: %s", n1.LastError)
	}
	if !strings.Contains(n2.LastError, "404") || !strings.Contains(n2.LastError, "[redacted]") {
		t.Errorf("teams LastError: %s", n2.LastError)
	}
	for what, text := range map[string]string{"slack LastError": n1.LastError, "teams LastError": n2.LastError, "log": e.log.String()} {
		noSecret(t, what, text, slackToken, "SLACKtoken", teamsSig, "/workflows/abc")
	}

	err := notify.SendTest(context.Background(), inventory.AlertChannel{Name: "slack", Kind: inventory.ChannelSlack, Enabled: true},
		notify.Secret{URL: down}, notify.SendOptions{})
	var de *notify.DeliveryError
	var ue *url.Error
	if !errors.As(err, &de) || !de.Temporary || de.Status != 0 || !errors.As(err, &ue) {
		t.Fatalf("SendTest: %#v", err)
	}
	noSecret(t, "SendTest error", err.Error(), "SLACKtoken")
	noSecret(t, "url.Error", ue.Error(), "SLACKtoken")

	s := notify.Secret{URL: down, HMACKey: "hmac-secret-value", Password: "pw-secret-value"}
	var buf syncBuffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("x", slog.Any("secret", s))
	for _, text := range []string{fmt.Sprintf("%v %+v %#v %s", s, s, s, s), fmt.Sprint(&s), buf.String()} {
		noSecret(t, "printed Secret", text, "SLACKtoken", "hmac-secret-value", "pw-secret-value")
	}
}

// TestSendTest sends a test message to each HTTP kind.
func TestSendTest(t *testing.T) {
	sk := newSink(t, true)
	o := notify.SendOptions{HTTPClient: sk.srv.Client()}
	ctx := context.Background()
	if err := notify.SendTest(ctx, inventory.AlertChannel{Name: "hook", Kind: inventory.ChannelWebhook, URL: sk.srv.URL},
		notify.Secret{HMACKey: hmacKey}, o); err != nil {
		t.Fatal(err)
	}
	if err := notify.SendTest(ctx, inventory.AlertChannel{Name: "slack", Kind: inventory.ChannelSlack},
		notify.Secret{URL: sk.srv.URL + "/services/x"}, o); err != nil {
		t.Fatal(err)
	}
	if err := notify.SendTest(ctx, inventory.AlertChannel{Name: "teams", Kind: inventory.ChannelTeams},
		notify.Secret{URL: sk.srv.URL + "/workflows/x"}, o); err != nil {
		t.Fatal(err)
	}
	reqs := sk.requests()
	var p notify.WebhookPayload
	decode(t, reqs[0].Body, &p)
	if p.Event != inventory.NotifyTest || p.Alert != nil || p.Channel != "hook" ||
		reqs[0].Header.Get(notify.HeaderSignature) != hmacHex(hmacKey, reqs[0].Header.Get(notify.HeaderTimestamp), reqs[0].Body) {
		t.Errorf("webhook test %s", reqs[0].Body)
	}
	if !strings.Contains(string(reqs[1].Body), "Test notification from vinventory") || !strings.Contains(string(reqs[2].Body), "AdaptiveCard") {
		t.Errorf("slack %s\nteams %s", reqs[1].Body, reqs[2].Body)
	}
	err := notify.SendTest(ctx, inventory.AlertChannel{Name: "slack", Kind: inventory.ChannelSlack}, notify.Secret{}, o)
	if got := fieldsOf(err); !slices.Equal(got, []string{"secret.url"}) {
		t.Errorf("invalid channel: %v", err)
	}
}
