// Package notify delivers alert notifications to webhook, Slack, Microsoft
// Teams and email channels.
//
// Package alert (the evaluator and the operator actions) queues
// notifications in a store.NotificationQueue; a Dispatcher claims the due
// ones under a lease, sends them and records the outcome, so a restart
// loses none (delivery is at least once: receivers may deduplicate on the
// notification ID). The daemon runs one Dispatcher per replica and wakes
// it after each evaluation.
//
// # Channels and secrets
//
// An inventory.AlertChannel holds the settings that may be shown; its
// secret is a Secret (a Slack or Teams URL, the webhook's HMAC key, the
// SMTP password) that the caller marshals to JSON and encrypts into
// AlertChannel.Secret. The Dispatcher asks DispatcherOptions.OpenSecret
// to decrypt it. ValidateChannel checks both; Defaults fills in the
// defaults (minimum severity info, 20 messages a minute, a digest above
// 5 notifications due at once, STARTTLS on port 587). No error or log
// line of this package holds a secret: a *url.Error (which prints its
// URL) is rebuilt with the URL cut to scheme://host/…, and any text that
// quotes a secret has it replaced with [redacted].
//
// # Delivery
//
// Per channel and RunOnce: more than DigestAfter notifications due at
// once go as one digest message; otherwise one message each. A channel
// sends at most RatePerMinute messages in any sliding minute (counted by
// the Dispatcher's Clock, per Dispatcher): when the limit would be
// passed the last allowed message is a digest of the rest, and when the
// minute is full the notifications wait for it (their NextAttempt moves;
// it is not an attempt). A notification for a deleted or disabled
// channel, or one below the channel's MinSeverity, fails at once with
// that reason. No answer (connection refused, timeout), an HTTP 5xx, 408
// or 429, or an SMTP 4xx reply is retried after a backoff (30 s doubling
// to 30 min; a Retry-After header wins) up to MaxAttempts (8) attempts;
// any other answer (HTTP 4xx, SMTP 5xx) fails at once. SendTest sends a
// test message directly, for a "send test notification" action.
//
// # Webhook
//
// A webhook channel receives a POST of application/json, a
// WebhookPayload. A single notification:
//
//	{"event":"opened","channel":"ops","notification_id":42,
//	 "alert":{"id":7,"rule_id":"ds-full","kind":"datastore_used_pct","severity":"critical",
//	          "vcenter":"vc1","entity_type":"datastore","entity_id":"datastore-12",
//	          "entity_name":"ds1","state":"open","summary":"datastore ds1 is 91.2% used (raise at 85%)",...},
//	 "sent_at":"2026-12-06T09:00:00Z"}
//
// event is opened, acknowledged, resolved or test (a test has no alert).
// A digest has event "digest" and the notifications in alerts:
//
//	{"event":"digest","channel":"ops",
//	 "alerts":[{"notification_id":42,"event":"opened","alert":{...}},...],
//	 "sent_at":"2026-12-06T09:00:00Z"}
//
// Each request carries two headers:
//
//	X-Vinventory-Timestamp: 1796547600
//	X-Vinventory-Signature: sha256=<hex HMAC-SHA256(key, timestamp + "." + body)>
//
// where key is the channel's HMAC key (Secret.HMACKey) and body the raw
// request body. To verify a request, read the raw body, compute the HMAC
// over the timestamp header, a ".", and the body, and compare it with the
// signature in constant time (Verify does this in Go); reject timestamps
// more than a few minutes from your clock, so a captured request cannot
// be replayed later. For example, in a shell:
//
//	printf '%s.%s' "$ts" "$body" | openssl dgst -sha256 -hmac "$key"
//
// # Slack and Teams
//
// A Slack channel posts to an incoming webhook: text (the notification
// preview) and blocks (a header, the details as mrkdwn, a context line).
// Alert data is escaped for mrkdwn (&, < and > become entities), so a
// name like "<!channel>" or "<https://x|click>" shows as typed.
//
// A Teams channel posts to a workflow webhook ("When a Teams webhook
// request is received") a message with one Adaptive Card (version 1.4)
// attachment: a title, the details as a FactSet (a digest: one TextBlock
// per notification). Markdown characters of alert data are
// backslash-escaped; cards render no HTML.
//
// # Email
//
// An email channel sends a plain-text message through SMTP
// (github.com/wneessen/go-mail): subject "[vinventory] CRITICAL opened:
// datastore ds1 on vc1" (a digest: "[vinventory] 7 alert notifications
// (2 critical opened)"), the details in the body. TLS is "starttls" by
// default (STARTTLS required: a server without it fails the send),
// "opportunistic", "tls" (implicit, port 465) or "none" (refused with a
// username). With a Username the client authenticates with the strongest
// mechanism the server offers over the encrypted connection (SCRAM,
// CRAM-MD5, PLAIN, LOGIN). DispatcherOptions.TLSConfig (SendOptions for
// SendTest) sets trusted roots for a private CA. Header values have
// their control characters removed; the body is plain text, so no HTML
// is ever interpreted.
package notify
