// Package alert evaluates alert rules over a store's latest-state
// inventory and capture health, and keeps the alerts' lifecycle: pending
// while a condition holds for less than its rule's debounce, open, acknowledged by
// an operator, resolved when the condition clears or by an operator. It
// runs without the daemon: rules in, store in, transitions out.
//
// Subpackage notify delivers the notifications alerts queue to webhook,
// Slack, Teams and email channels.
package alert
