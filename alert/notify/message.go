package notify

import (
	"fmt"
	"strings"
	"time"

	"github.com/accessvault/vinventory/inventory"
)

// EventDigest is the event of a webhook digest (WebhookPayload.Event).
const EventDigest = "digest"

// maxListed caps the alerts a Slack, Teams or email digest lists one by
// one (the webhook digest carries them all).
const maxListed = 40

// message is what one send delivers: one notification, or a digest of
// several.
type message struct {
	channel string
	items   []inventory.Notification
	digest  bool
	sentAt  time.Time
}

// WebhookPayload is the JSON body a webhook channel receives.
type WebhookPayload struct {
	// Event is the notification's event (opened, acknowledged, resolved,
	// test), or "digest" for a digest.
	Event string `json:"event"`
	// Channel is the channel's name.
	Channel string `json:"channel"`
	// NotificationID identifies a single notification (receivers may
	// deduplicate on it: delivery is at least once).
	NotificationID int64 `json:"notification_id,omitempty"`
	// Alert is the alert of a single notification (absent for a test).
	Alert *inventory.Alert `json:"alert,omitempty"`
	// Alerts are a digest's notifications, oldest first.
	Alerts []WebhookItem `json:"alerts,omitempty"`
	// SentAt is when the message was sent (UTC).
	SentAt time.Time `json:"sent_at"`
}

// WebhookItem is one notification of a webhook digest.
type WebhookItem struct {
	// NotificationID identifies the notification (for deduplication).
	NotificationID int64 `json:"notification_id"`
	// Event is opened, acknowledged, resolved or test.
	Event string `json:"event"`
	// Alert is the alert as it was when the notification was queued.
	Alert inventory.Alert `json:"alert"`
}

func (m *message) webhookPayload() *WebhookPayload {
	p := &WebhookPayload{Channel: m.channel, SentAt: m.sentAt.UTC()}
	if m.digest {
		p.Event = EventDigest
		for _, n := range m.items {
			p.Alerts = append(p.Alerts, WebhookItem{NotificationID: n.ID, Event: n.Event, Alert: n.Alert})
		}
		return p
	}
	n := m.items[0]
	p.Event, p.NotificationID = n.Event, n.ID
	if n.Event != inventory.NotifyTest {
		a := n.Alert
		p.Alert = &a
	}
	return p
}

// entity names an alert's entity: "datastore ds1 on vc1".
func entity(a *inventory.Alert) string {
	name := a.EntityName
	if name == "" {
		name = a.EntityID
	}
	s := string(a.EntityType) + " " + name
	if a.Vcenter != "" && (a.EntityType != inventory.EntityEndpoint || a.Vcenter != name) {
		s += " on " + a.Vcenter
	}
	return s
}

// headline is one line about a notification: "CRITICAL opened: datastore
// ds1 on vc1".
func headline(n *inventory.Notification) string {
	if n.Event == inventory.NotifyTest {
		return "Test notification from vinventory"
	}
	a := &n.Alert
	verb := n.Event
	switch {
	case n.Event == inventory.NotifyAcknowledged && a.AckedBy != "":
		verb += " by " + a.AckedBy
	case n.Event == inventory.NotifyResolved && a.ResolvedBy != "":
		verb += " by " + a.ResolvedBy
	case n.Event == inventory.NotifyResolved:
		verb += " (condition cleared)"
	}
	return fmt.Sprintf("%s %s: %s", strings.ToUpper(string(a.Severity)), verb, entity(a))
}

// facts are the labelled details of a notification.
func facts(n *inventory.Notification, channel string) [][2]string {
	if n.Event == inventory.NotifyTest {
		return [][2]string{{"Channel", channel}, {"Message", "This channel works: vinventory can deliver alert notifications to it."}}
	}
	a := &n.Alert
	out := [][2]string{{"Summary", a.Summary}, {"Rule", a.RuleID}, {"Severity", string(a.Severity)}, {"State", string(a.State)}}
	if a.Vcenter != "" {
		out = append(out, [2]string{"vCenter", a.Vcenter})
	}
	out = append(out, [2]string{"Entity", string(a.EntityType) + " " + a.EntityID})
	if !a.OpenedAt.IsZero() {
		out = append(out, [2]string{"Opened", a.OpenedAt.UTC().Format(time.RFC3339)})
	}
	if a.AckComment != "" && n.Event == inventory.NotifyAcknowledged {
		out = append(out, [2]string{"Comment", a.AckComment})
	}
	if a.ID != 0 {
		out = append(out, [2]string{"Alert", fmt.Sprintf("#%d", a.ID)})
	}
	return out
}

// digestTitle is a digest's title: "7 alert notifications (2 critical)".
func (m *message) digestTitle() string {
	crit := 0
	for _, n := range m.items {
		if n.Alert.Severity == inventory.SeverityCritical && n.Event == inventory.NotifyOpened {
			crit++
		}
	}
	s := fmt.Sprintf("%d alert notifications", len(m.items))
	if crit > 0 {
		s += fmt.Sprintf(" (%d critical opened)", crit)
	}
	return s
}

// subject is the message's title line.
func (m *message) subject() string {
	if m.digest {
		return m.digestTitle()
	}
	return headline(&m.items[0])
}

// plainText is the message as plain text (email body).
func (m *message) plainText() string {
	var b strings.Builder
	if m.digest {
		fmt.Fprintf(&b, "%s on channel %s:\n\n", m.digestTitle(), m.channel)
		for i, n := range m.items {
			if i == maxListed {
				fmt.Fprintf(&b, "... and %d more\n", len(m.items)-maxListed)
				break
			}
			fmt.Fprintf(&b, "- %s\n", headline(&n))
			if n.Alert.Summary != "" {
				fmt.Fprintf(&b, "  %s\n", n.Alert.Summary)
			}
		}
	} else {
		n := &m.items[0]
		fmt.Fprintf(&b, "%s\n\n", headline(n))
		for _, f := range facts(n, m.channel) {
			fmt.Fprintf(&b, "%s: %s\n", f[0], f[1])
		}
	}
	fmt.Fprintf(&b, "\nSent by vinventory at %s.\n", m.sentAt.UTC().Format(time.RFC3339))
	return b.String()
}

// slackEscape makes s inert in Slack mrkdwn: &, < and > are the only
// characters Slack asks to escape (no links, mentions or commands).
func slackEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// clip caps s at n characters.
func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// slackPayload is an incoming-webhook message: text (the notification
// fallback) and blocks.
func (m *message) slackPayload() map[string]any {
	section := func(text string) map[string]any {
		return map[string]any{"type": "section", "text": map[string]any{"type": "mrkdwn", "text": clip(text, 2900)}}
	}
	title := m.subject()
	blocks := []any{map[string]any{"type": "header", "text": map[string]any{"type": "plain_text", "text": clip(title, 150)}}}
	if m.digest {
		for i, n := range m.items {
			if i == maxListed {
				blocks = append(blocks, section(fmt.Sprintf("… and %d more", len(m.items)-maxListed)))
				break
			}
			line := "*" + slackEscape(headline(&n)) + "*"
			if n.Alert.Summary != "" {
				line += "\n" + slackEscape(n.Alert.Summary)
			}
			blocks = append(blocks, section(line))
		}
	} else {
		var b strings.Builder
		for _, f := range facts(&m.items[0], m.channel) {
			fmt.Fprintf(&b, "*%s:* %s\n", f[0], slackEscape(f[1]))
		}
		blocks = append(blocks, section(b.String()))
	}
	blocks = append(blocks, map[string]any{"type": "context", "elements": []any{
		map[string]any{"type": "mrkdwn", "text": slackEscape(fmt.Sprintf("vinventory · channel %s · %s", m.channel, m.sentAt.UTC().Format(time.RFC3339)))},
	}})
	return map[string]any{"text": slackEscape(title), "blocks": blocks}
}

// teamsEscape makes s inert in an Adaptive Card TextBlock, which renders
// a subset of Markdown: its markup characters are backslash-escaped (no
// links, emphasis or lists from alert data). Cards render no HTML.
func teamsEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune("\\`*_[]<>~", r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// teamsPayload is a workflow-webhook message: one Adaptive Card
// attachment.
func (m *message) teamsPayload() map[string]any {
	text := func(s string, extra map[string]any) map[string]any {
		t := map[string]any{"type": "TextBlock", "text": s, "wrap": true}
		for k, v := range extra {
			t[k] = v
		}
		return t
	}
	body := []any{text(teamsEscape(clip(m.subject(), 300)), map[string]any{"weight": "Bolder", "size": "Medium"})}
	if m.digest {
		for i, n := range m.items {
			if i == maxListed {
				body = append(body, text(fmt.Sprintf("… and %d more", len(m.items)-maxListed), nil))
				break
			}
			line := teamsEscape(headline(&n))
			if n.Alert.Summary != "" {
				line += "\n\n" + teamsEscape(n.Alert.Summary)
			}
			body = append(body, text(line, map[string]any{"separator": i > 0}))
		}
	} else {
		var fs []any
		for _, f := range facts(&m.items[0], m.channel) {
			fs = append(fs, map[string]any{"title": f[0], "value": teamsEscape(f[1])})
		}
		body = append(body, map[string]any{"type": "FactSet", "facts": fs})
	}
	body = append(body, text(teamsEscape(fmt.Sprintf("vinventory · channel %s · %s", m.channel, m.sentAt.UTC().Format(time.RFC3339))),
		map[string]any{"isSubtle": true, "size": "Small"}))
	return map[string]any{
		"type": "message",
		"attachments": []any{map[string]any{
			"contentType": "application/vnd.microsoft.card.adaptive",
			"contentUrl":  nil,
			"content": map[string]any{
				"$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
				"type":    "AdaptiveCard",
				"version": "1.4",
				"body":    body,
			},
		}},
	}
}

// headerSafe removes line breaks and other control characters from a
// mail header value.
func headerSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}
