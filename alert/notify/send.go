package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/wneessen/go-mail"

	"github.com/accessvault/vinventory/inventory"
)

// Webhook request headers.
const (
	// HeaderTimestamp carries the request's Unix time in seconds.
	HeaderTimestamp = "X-Vinventory-Timestamp"
	// HeaderSignature carries "sha256=" and the hex HMAC-SHA256 of the
	// timestamp, ".", and the body, keyed with the channel's HMAC key.
	HeaderSignature = "X-Vinventory-Signature"
)

// DefaultTimeout bounds one message when SendOptions.Timeout is zero.
const DefaultTimeout = 15 * time.Second

// maxRetryAfter caps a receiver's Retry-After.
const maxRetryAfter = time.Hour

// SendOptions configure how messages are sent. The zero value uses the
// defaults.
type SendOptions struct {
	// HTTPClient posts webhook, Slack and Teams messages. Defaults to a
	// client with Timeout.
	HTTPClient *http.Client
	// TLSConfig is the SMTP client's TLS configuration, e.g. RootCAs for
	// a private CA. Its ServerName defaults to the channel's SMTPHost.
	// Defaults to the system roots.
	TLSConfig *tls.Config
	// Timeout bounds one message (connection, TLS, request or SMTP
	// dialogue). Defaults to 15 s.
	Timeout time.Duration
	// Clock stamps messages (sent_at, the webhook timestamp). Defaults to
	// time.Now.
	Clock func() time.Time
}

func (o SendOptions) withDefaults() SendOptions {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: o.Timeout}
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	return o
}

// DeliveryError is a failed send. Its text and its causes never hold the
// channel's secret (a Slack or Teams URL shows as scheme://host/…, a
// password or key as [redacted]).
type DeliveryError struct {
	// Channel and Kind name the channel.
	Channel string
	Kind    string
	// Status is the HTTP status or SMTP reply code; 0 when there was no
	// answer (connection refused, timeout).
	Status int
	// Temporary reports whether a later attempt may succeed: no answer,
	// HTTP 5xx or 429, an SMTP 4xx reply.
	Temporary bool
	// RetryAfter is the wait the receiver asked for (HTTP Retry-After),
	// zero when none.
	RetryAfter time.Duration
	// Reason says what failed, without secrets.
	Reason string
	// Err is the cause with secrets removed; nil when there is none.
	Err error
}

// Error says which channel failed and why, without secrets.
func (e *DeliveryError) Error() string {
	s := fmt.Sprintf("%s channel %s: %s", e.Kind, e.Channel, e.Reason)
	if e.Err != nil {
		s = fmt.Sprintf("%s: %v", s, e.Err)
	}
	return s
}

// Unwrap returns the secret-free cause.
func (e *DeliveryError) Unwrap() error { return e.Err }

// redactedError is an error text with secrets removed; it unwraps to the
// context error of the original, if any.
type redactedError struct {
	text  string
	cause error
}

func (e *redactedError) Error() string { return e.text }
func (e *redactedError) Unwrap() error { return e.cause }

// redactURL shows a URL without its path, query and user: Slack and
// Teams URLs carry their token there.
func redactURL(u string) string {
	p, err := url.Parse(u)
	if err != nil || p.Host == "" {
		return "[redacted URL]"
	}
	return p.Scheme + "://" + p.Host + "/…"
}

// scrub returns err with the secrets and the target URL removed. A
// *url.Error (which prints its URL) is rebuilt with shownURL.
func scrub(err error, secrets []string, shownURL string) error {
	if err == nil {
		return nil
	}
	if ue, ok := err.(*url.Error); ok {
		return &url.Error{Op: ue.Op, URL: shownURL, Err: scrub(ue.Err, secrets, shownURL)}
	}
	text := err.Error()
	clean := text
	for _, s := range secrets {
		if len(s) >= 4 {
			clean = strings.ReplaceAll(clean, s, "[redacted]")
			clean = strings.ReplaceAll(clean, url.QueryEscape(s), "[redacted]")
		}
	}
	if clean == text && !strings.Contains(text, "://") {
		return err
	}
	var cause error
	switch {
	case errors.Is(err, context.Canceled):
		cause = context.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		cause = context.DeadlineExceeded
	}
	if clean == text {
		// An error (not a *url.Error) quoting some URL: drop the URLs.
		clean = redactAnyURL(clean)
	}
	return &redactedError{text: clean, cause: cause}
}

// redactAnyURL replaces every http(s) URL in s with its redacted form.
func redactAnyURL(s string) string {
	fields := strings.Fields(s)
	for _, f := range fields {
		t := strings.Trim(f, `"'()<>,;`)
		if strings.HasPrefix(t, "http://") || strings.HasPrefix(t, "https://") {
			s = strings.ReplaceAll(s, t, redactURL(t))
		}
	}
	return s
}

// Sign returns the X-Vinventory-Signature value of a webhook request:
// "sha256=" and the hex HMAC-SHA256, keyed with key, of timestamp, ".",
// and body.
func Sign(key []byte, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(timestamp))
	m.Write([]byte{'.'})
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Verify reports whether signature (the X-Vinventory-Signature header) is
// the signature of timestamp (the X-Vinventory-Timestamp header) and body
// under key, comparing in constant time. Receivers should also reject
// timestamps far from their clock (replays).
func Verify(key []byte, timestamp, signature string, body []byte) bool {
	return hmac.Equal([]byte(Sign(key, timestamp, body)), []byte(signature))
}

// SendTest sends a test message to a channel (with its opened secret),
// whatever its Enabled and MinSeverity: the "send test notification"
// action. The channel is validated first (with Defaults applied); an
// invalid one gives the joined *inventory.FieldError, a failed send a
// *DeliveryError.
func SendTest(ctx context.Context, ch inventory.AlertChannel, s Secret, o SendOptions) error {
	if err := ValidateChannel(&ch, &s); err != nil {
		return err
	}
	o = o.withDefaults()
	n := inventory.Notification{Channel: ch.Name, Event: inventory.NotifyTest, State: inventory.NotificationPending}
	return o.send(ctx, Defaults(ch), &s, &message{channel: ch.Name, items: []inventory.Notification{n}, sentAt: o.Clock()})
}

// send delivers one message; o has its defaults.
func (o *SendOptions) send(ctx context.Context, ch inventory.AlertChannel, s *Secret, m *message) error {
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	switch ch.Kind {
	case inventory.ChannelWebhook:
		body, err := json.Marshal(m.webhookPayload())
		if err != nil {
			return &DeliveryError{Channel: ch.Name, Kind: ch.Kind, Reason: "encoding the payload", Err: err}
		}
		ts := strconv.FormatInt(m.sentAt.Unix(), 10)
		h := http.Header{}
		h.Set(HeaderTimestamp, ts)
		h.Set(HeaderSignature, Sign([]byte(s.HMACKey), ts, body))
		return o.post(ctx, ch, s, ch.URL, "", body, h)
	case inventory.ChannelSlack, inventory.ChannelTeams:
		payload := m.slackPayload()
		if ch.Kind == inventory.ChannelTeams {
			payload = m.teamsPayload()
		}
		body, err := json.Marshal(payload)
		if err != nil {
			return &DeliveryError{Channel: ch.Name, Kind: ch.Kind, Reason: "encoding the payload", Err: err}
		}
		return o.post(ctx, ch, s, s.URL, redactURL(s.URL), body, nil)
	case inventory.ChannelEmail:
		return o.sendMail(ctx, ch, s, m)
	}
	return &DeliveryError{Channel: ch.Name, Kind: ch.Kind, Reason: fmt.Sprintf("unknown channel kind %q", ch.Kind)}
}

// post sends body as JSON to target; shown is the URL errors may show
// (empty: target itself, not secret).
func (o *SendOptions) post(ctx context.Context, ch inventory.AlertChannel, s *Secret, target, shown string, body []byte, h http.Header) error {
	hidden := s.values()
	if shown == "" {
		shown = target
		if p, err := url.Parse(target); err == nil {
			shown = p.Redacted()
		}
	} else if p, err := url.Parse(target); err == nil {
		// A receiver's answer may quote the request's path or query
		// (the token of a Slack or Teams URL).
		for _, v := range []string{p.Path, p.EscapedPath(), p.RawQuery} {
			if len(v) >= 8 {
				hidden = append(hidden, v)
			}
		}
	}
	fail := func(d *DeliveryError) error {
		d.Channel, d.Kind = ch.Name, ch.Kind
		d.Err = scrub(d.Err, hidden, shown)
		return d
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return fail(&DeliveryError{Reason: "building the request", Err: err})
	}
	for k, v := range h {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "vinventory-notify/1")
	resp, err := o.HTTPClient.Do(req)
	if err != nil {
		return fail(&DeliveryError{Temporary: true, Reason: "no answer", Err: err})
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	d := &DeliveryError{Status: resp.StatusCode, Reason: "HTTP " + resp.Status}
	if t := strings.TrimSpace(strings.ToValidUTF8(string(snippet), "?")); t != "" && len(t) < 200 {
		d.Err = errors.New(t) // the receiver's explanation, e.g. Slack's "invalid_payload"
	}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		d.Temporary = true
		d.RetryAfter = retryAfter(resp.Header.Get("Retry-After"), o.Clock())
	case resp.StatusCode == http.StatusRequestTimeout:
		d.Temporary = true
	}
	return fail(d)
}

// retryAfter parses a Retry-After header (seconds or an HTTP date),
// capped at an hour; 0 when absent or invalid.
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	var d time.Duration
	if secs, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
		d = time.Duration(secs) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), maxRetryAfter)
}

// sendMail sends m by SMTP.
func (o *SendOptions) sendMail(ctx context.Context, ch inventory.AlertChannel, s *Secret, m *message) error {
	fail := func(d *DeliveryError) error {
		d.Channel, d.Kind = ch.Name, ch.Kind
		d.Err = scrub(d.Err, s.values(), "")
		return d
	}
	msg := mail.NewMsg()
	if err := msg.From(ch.From); err != nil {
		return fail(&DeliveryError{Reason: "the from address", Err: err})
	}
	if err := msg.To(ch.To...); err != nil {
		return fail(&DeliveryError{Reason: "the to addresses", Err: err})
	}
	msg.Subject(headerSafe("[vinventory] " + m.subject()))
	msg.SetDate()
	msg.SetMessageID()
	msg.SetBodyString(mail.TypeTextPlain, m.plainText())

	tlsConf := &tls.Config{MinVersion: tls.VersionTLS12}
	if o.TLSConfig != nil {
		tlsConf = o.TLSConfig.Clone()
	}
	if tlsConf.ServerName == "" {
		tlsConf.ServerName = ch.SMTPHost
	}
	opts := []mail.Option{mail.WithPort(ch.SMTPPort), mail.WithTimeout(o.Timeout), mail.WithTLSConfig(tlsConf)}
	switch ch.TLS {
	case TLSStartTLS:
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	case TLSOpportunistic:
		opts = append(opts, mail.WithTLSPolicy(mail.TLSOpportunistic))
	case TLSImplicit:
		opts = append(opts, mail.WithSSL())
	case TLSNone:
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	}
	if ch.Username != "" {
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthAutoDiscover), mail.WithUsername(ch.Username), mail.WithPassword(s.Password))
	}
	c, err := mail.NewClient(ch.SMTPHost, opts...)
	if err != nil {
		return fail(&DeliveryError{Reason: "SMTP client settings", Err: err})
	}
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		d := &DeliveryError{Reason: "SMTP delivery to " + net.JoinHostPort(ch.SMTPHost, strconv.Itoa(ch.SMTPPort)) + " failed", Err: err}
		var te *textproto.Error
		var se *mail.SendError
		var ne net.Error
		switch {
		case errors.As(err, &te):
			d.Status = te.Code
			d.Temporary = te.Code >= 400 && te.Code < 500
		case errors.As(err, &se):
			d.Status = se.ErrorCode()
			d.Temporary = se.IsTemp() || se.ErrorCode() == 0
		case errors.As(err, &ne), errors.Is(err, io.EOF), errors.Is(err, context.DeadlineExceeded):
			d.Temporary = true
		}
		return fail(d)
	}
	return nil
}
