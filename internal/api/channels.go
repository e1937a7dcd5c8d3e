package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/accessvault/vinventory/alert"
	"github.com/accessvault/vinventory/alert/notify"
	"github.com/accessvault/vinventory/internal/secrets"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

// channelView is a channel as the API shows it: never its secret (Slack
// and Teams URLs are secrets; a webhook's URL is not).
func channelView(c inventory.AlertChannel) inventory.AlertChannel {
	c.HasSecret = c.HasSecret || len(c.Secret) > 0
	c.Secret = nil
	if c.Kind != inventory.ChannelWebhook {
		c.URL = ""
	}
	c.To = slices.Clone(c.To)
	c.UpdatedAt = c.UpdatedAt.UTC()
	return c
}

// ChannelInput is the body of a channel create or update. The secret
// fields (url for slack and teams, hmac_key for webhook, password for
// email) are write-only: encrypted before they are stored, never shown,
// logged or audited.
type ChannelInput struct {
	Kind        string   `json:"kind" enum:"webhook,slack,teams,email"`
	Enabled     *bool    `json:"enabled,omitempty" doc:"Defaults to true on create; unchanged when absent on update."`
	MinSeverity string   `json:"min_severity,omitempty" enum:"info,warning,critical," doc:"Alerts below it are not sent. Defaults to info."`
	URL         string   `json:"url,omitempty" maxLength:"2048" doc:"webhook: the endpoint (shown). slack, teams: the incoming webhook URL, a secret (write-only; on update, empty keeps the stored one)."`
	HMACKey     string   `json:"hmac_key,omitempty" maxLength:"1024" writeOnly:"true" doc:"webhook: the HMAC-SHA256 key (write-only; on update, empty keeps the stored one)."`
	SMTPHost    string   `json:"smtp_host,omitempty" maxLength:"255"`
	SMTPPort    int      `json:"smtp_port,omitempty" minimum:"0" maximum:"65535"`
	From        string   `json:"from,omitempty" maxLength:"320"`
	To          []string `json:"to,omitempty" maxItems:"100"`
	Username    string   `json:"username,omitempty" maxLength:"320"`
	Password    string   `json:"password,omitempty" maxLength:"1024" writeOnly:"true" doc:"email: the SMTP password (write-only; on update, empty keeps the stored one)."`
	TLS         string   `json:"tls,omitempty" enum:"starttls,opportunistic,tls,none," doc:"email. Defaults to starttls."`
	// RatePerMinute and DigestAfter: 0 means the default.
	RatePerMinute int `json:"rate_per_minute,omitempty" minimum:"0" maximum:"10000" doc:"Defaults to 20."`
	DigestAfter   int `json:"digest_after,omitempty" minimum:"0" maximum:"10000" doc:"Defaults to 5."`
}

// secret returns the write-only secret the input carries for its kind
// (empty: none given).
func (in *ChannelInput) secret() string {
	switch in.Kind {
	case inventory.ChannelSlack, inventory.ChannelTeams:
		return in.URL
	case inventory.ChannelWebhook:
		return in.HMACKey
	case inventory.ChannelEmail:
		return in.Password
	}
	return ""
}

// apply copies the input's settings (not its secret) onto c.
func (in *ChannelInput) apply(c *inventory.AlertChannel) {
	c.Kind, c.MinSeverity = in.Kind, inventory.AlertSeverity(in.MinSeverity)
	c.URL = ""
	if in.Kind == inventory.ChannelWebhook {
		c.URL = in.URL
	}
	c.SMTPHost, c.SMTPPort, c.From, c.To, c.Username, c.TLS = in.SMTPHost, in.SMTPPort, in.From, in.To, in.Username, in.TLS
	c.RatePerMinute, c.DigestAfter = in.RatePerMinute, in.DigestAfter
	if in.Enabled != nil {
		c.Enabled = *in.Enabled
	}
}

// validateChannel checks a channel's settings with notify.ValidateChannel
// and its secret when one is given (secret non-empty), or says one is
// needed (secret empty and none kept); field errors name the body's
// fields (the secret's under its input name: url, hmac_key, password).
func validateChannel(c *inventory.AlertChannel, secret string, keep bool) error {
	var sec *notify.Secret
	if secret != "" || !keep {
		s := notify.KindSecret(c.Kind, secret)
		sec = &s
	}
	var details []error
	for _, fe := range inventory.FieldErrors(notify.ValidateChannel(c, sec)) {
		details = append(details, &huma.ErrorDetail{Location: "body." + strings.TrimPrefix(fe.Field, "secret."), Message: fe.Reason})
	}
	if len(details) > 0 {
		return huma.Error422UnprocessableEntity("invalid channel", details...)
	}
	return nil
}

type channelNameInput struct {
	Name string `path:"name" maxLength:"100"`
}

// channel reads one channel (with its secret), 404 when unknown.
func (a *API) channel(ctx context.Context, cs store.AlertChannels, name string) (*inventory.AlertChannel, error) {
	c, err := cs.GetAlertChannel(ctx, &store.GetAlertChannelParams{Name: name})
	if errors.Is(err, store.ErrNotFound) {
		return nil, huma.Error404NotFound(fmt.Sprintf("no channel %q", name))
	}
	if err != nil {
		return nil, a.storeError(ctx, "get channel", err)
	}
	return c, nil
}

func (a *API) listChannels(ctx context.Context, _ *struct{}) (*listOutput[inventory.AlertChannel], error) {
	cs, err := a.alertChannels()
	if err != nil {
		return nil, err
	}
	chs, err := cs.ListAlertChannels(ctx, &store.ListAlertChannelsParams{})
	if err != nil {
		return nil, a.storeError(ctx, "list channels", err)
	}
	out := make([]inventory.AlertChannel, 0, len(chs))
	for _, c := range chs {
		out = append(out, channelView(c))
	}
	return newList(out, ""), nil
}

func (a *API) getChannel(ctx context.Context, in *channelNameInput) (*struct{ Body inventory.AlertChannel }, error) {
	cs, err := a.alertChannels()
	if err != nil {
		return nil, err
	}
	c, err := a.channel(ctx, cs, in.Name)
	if err != nil {
		return nil, err
	}
	return &struct{ Body inventory.AlertChannel }{channelView(*c)}, nil
}

type channelInput struct {
	Name string `path:"name" maxLength:"100"`
	Body ChannelInput
}

// saveChannel validates c, seals the secret (when given) and stores c.
func (a *API) saveChannel(ctx context.Context, cs store.AlertChannels, c *inventory.AlertChannel, secret string, keep bool) (*inventory.AlertChannel, error) {
	if err := validateChannel(c, secret, keep); err != nil {
		return nil, err
	}
	if secret != "" {
		if a.o.Alerts.SealSecret == nil {
			return nil, huma.NewError(http.StatusNotImplemented, "this server has no keyring to encrypt channel secrets (run vinventoryd with a keyring)")
		}
		blob, err := a.o.Alerts.SealSecret(ctx, c.Name, []byte(secret))
		if err != nil {
			return nil, a.internal(ctx, "seal channel secret", err)
		}
		c.Secret = blob
	}
	saved, err := cs.PutAlertChannel(ctx, &store.PutAlertChannelParams{Channel: *c, KeepSecret: secret == "" && keep})
	if err != nil {
		return nil, a.storeError(ctx, "put channel", err)
	}
	return saved, nil
}

// channelAudit is what the audit log records of a channel change: the
// view and whether the secret changed, never the secret.
type channelAudit struct {
	inventory.AlertChannel
	SecretChanged bool `json:"secret_changed"`
}

func (a *API) createChannel(ctx context.Context, in *channelInput) (*struct{ Body inventory.AlertChannel }, error) {
	cs, err := a.alertChannels()
	if err != nil {
		return nil, err
	}
	if !alert.ValidName(in.Name) {
		return nil, huma.Error422UnprocessableEntity("", &huma.ErrorDetail{Location: "path.name", Message: "must be 1–100 characters of a-z, 0-9, '_', '.', '-'"})
	}
	switch _, err := cs.GetAlertChannel(ctx, &store.GetAlertChannelParams{Name: in.Name}); {
	case err == nil:
		return nil, huma.Error409Conflict(fmt.Sprintf("channel %q exists; PUT /api/channels/{name} changes it", in.Name))
	case !errors.Is(err, store.ErrNotFound):
		return nil, a.storeError(ctx, "get channel", err)
	}
	c := inventory.AlertChannel{Name: in.Name, Enabled: true}
	in.Body.apply(&c)
	saved, err := a.saveChannel(ctx, cs, &c, in.Body.secret(), false)
	if err != nil {
		return nil, err
	}
	v := channelView(*saved)
	a.audit(ctx, "channel.create", in.Name, nil, channelAudit{v, in.Body.secret() != ""}, http.StatusCreated)
	return &struct{ Body inventory.AlertChannel }{v}, nil
}

func (a *API) updateChannel(ctx context.Context, in *channelInput) (*struct{ Body inventory.AlertChannel }, error) {
	cs, err := a.alertChannels()
	if err != nil {
		return nil, err
	}
	old, err := a.channel(ctx, cs, in.Name)
	if err != nil {
		return nil, err
	}
	c := *old
	c.Secret = nil
	in.Body.apply(&c)
	// A secret is kept only for the same kind: a Slack URL is no HMAC key.
	keep := old.Kind == c.Kind && (old.HasSecret || len(old.Secret) > 0)
	saved, err := a.saveChannel(ctx, cs, &c, in.Body.secret(), keep)
	if err != nil {
		return nil, err
	}
	v := channelView(*saved)
	a.audit(ctx, "channel.update", in.Name, channelView(*old), channelAudit{v, in.Body.secret() != ""}, http.StatusOK)
	return &struct{ Body inventory.AlertChannel }{v}, nil
}

func (a *API) deleteChannel(ctx context.Context, in *channelNameInput) (*struct{}, error) {
	cs, err := a.alertChannels()
	if err != nil {
		return nil, err
	}
	old, err := a.channel(ctx, cs, in.Name)
	if err != nil {
		return nil, err
	}
	if err := cs.DeleteAlertChannel(ctx, &store.DeleteAlertChannelParams{Name: in.Name}); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, huma.Error404NotFound(fmt.Sprintf("no channel %q", in.Name))
		}
		return nil, a.storeError(ctx, "delete channel", err)
	}
	a.audit(ctx, "channel.delete", in.Name, channelView(*old), nil, http.StatusNoContent)
	return &struct{}{}, nil
}

// ChannelTest is the answer of a successful test notification.
type ChannelTest struct {
	OK bool `json:"ok"`
}

// errorText is err's text without the URLs of the *url.Errors it wraps
// (a Slack or Teams URL is a secret).
func errorText(err error) string {
	msg := err.Error()
	for e := err; e != nil; {
		var ue *url.Error
		if !errors.As(e, &ue) {
			break
		}
		if ue.URL != "" {
			msg = strings.ReplaceAll(msg, ue.URL, "<the channel URL>")
			if q, qerr := url.QueryUnescape(ue.URL); qerr == nil && q != ue.URL {
				msg = strings.ReplaceAll(msg, q, "<the channel URL>")
			}
		}
		e = ue.Err
	}
	return msg
}

func (a *API) testChannel(ctx context.Context, in *channelNameInput) (*struct{ Body ChannelTest }, error) {
	cs, err := a.alertChannels()
	if err != nil {
		return nil, err
	}
	c, err := a.channel(ctx, cs, in.Name)
	if err != nil {
		return nil, err
	}
	if a.o.Alerts.TestChannel == nil {
		return nil, huma.NewError(http.StatusNotImplemented, "this server sends no notifications (no notifier is configured)")
	}
	if err := a.o.Alerts.TestChannel(ctx, *c); err != nil {
		if ctx.Err() != nil {
			return nil, a.internal(ctx, "test channel", ctx.Err())
		}
		msg := errorText(err)
		a.audit(ctx, "channel.test", in.Name, nil, map[string]any{"ok": false, "error": msg}, http.StatusBadGateway)
		return nil, huma.NewError(http.StatusBadGateway, "the test notification failed: "+msg)
	}
	a.audit(ctx, "channel.test", in.Name, nil, ChannelTest{OK: true}, http.StatusOK)
	return &struct{ Body ChannelTest }{ChannelTest{OK: true}}, nil
}

// ---- notifications ----

type notificationsInput struct {
	Channel string   `query:"channel" maxLength:"100"`
	State   []string `query:"state,explode" doc:"Only these states (repeatable or comma-separated): pending, delivered, failed."`
	AlertID int64    `query:"alert_id" minimum:"0"`
	Page
}

func (a *API) listNotifications(ctx context.Context, in *notificationsInput) (*listOutput[inventory.Notification], error) {
	q, ok := a.o.Store.(store.NotificationQueue)
	if !ok {
		return nil, notImplemented("notifications")
	}
	states, err := splitList("state", in.State, []string{string(inventory.NotificationPending), string(inventory.NotificationDelivered), string(inventory.NotificationFailed)})
	if err != nil {
		return nil, err
	}
	p := &store.ListNotificationsParams{Channel: in.Channel, AlertID: in.AlertID, Cursor: in.Cursor, Limit: in.Limit}
	for _, s := range states {
		p.States = append(p.States, inventory.NotificationState(s))
	}
	pg, err := q.ListNotifications(ctx, p)
	if err != nil {
		return nil, a.storeError(ctx, "list notifications", err)
	}
	sc := scopeOf(ctx)
	items := make([]inventory.Notification, 0, len(pg.Notifications))
	for _, n := range pg.Notifications {
		if n.Alert.ID != 0 && !sc.sees(n.Alert.Vcenter) {
			continue
		}
		n.Alert = utcAlert(n.Alert)
		n.CreatedAt, n.NextAttempt = n.CreatedAt.UTC(), n.NextAttempt.UTC()
		if !n.DeliveredAt.IsZero() {
			n.DeliveredAt = n.DeliveredAt.UTC()
		}
		items = append(items, n)
	}
	return newList(items, pg.NextCursor), nil
}

// channelSecretContext is the keyring's associated data of a channel's
// secret: a blob sealed for one channel never opens for another (or for
// an endpoint of the same name). The blob holds the channel's one secret
// value; its kind says what it is (notify.KindSecret).
func channelSecretContext(name string) string { return "alert-channel:" + name }

// KeyringSealer is the daemon's AlertOptions.SealSecret: a channel's
// secret value encrypted with its keyring (see OpenChannelSecret).
func KeyringSealer(kr *secrets.Keyring) func(ctx context.Context, channel string, plaintext []byte) ([]byte, error) {
	return func(_ context.Context, channel string, plaintext []byte) ([]byte, error) {
		return kr.Encrypt(plaintext, channelSecretContext(channel))
	}
}

// OpenChannelSecret decrypts what KeyringSealer sealed for ch (an empty
// Secret when ch has none). Errors name the channel, never the secret.
func OpenChannelSecret(kr *secrets.Keyring, ch inventory.AlertChannel) (*notify.Secret, error) {
	if len(ch.Secret) == 0 {
		return &notify.Secret{}, nil
	}
	if kr == nil {
		return nil, fmt.Errorf("channel %s: no keyring to decrypt its secret", ch.Name)
	}
	b, err := kr.Decrypt(ch.Secret, channelSecretContext(ch.Name))
	if err != nil {
		return nil, fmt.Errorf("channel %s: decrypt its secret: %w", ch.Name, err)
	}
	defer clear(b)
	s := notify.KindSecret(ch.Kind, string(b))
	return &s, nil
}
