// Package alert evaluates alert rules over a store's latest-state
// inventory and capture health, and keeps the alerts' lifecycle: pending
// while a condition holds for less than its rule's debounce, open, acknowledged by
// an operator, resolved when the condition clears or by an operator. It
// runs without the daemon: rules in, store in, transitions out.
//
// An Evaluator (NewEvaluator) reads the rules, the latest state, the
// alerts and silences from a Store and writes one evaluation's changes
// with one store.AlertStore.ApplyAlerts call, queueing the notifications
// in the same transaction; Evaluate is the same evaluation as a pure
// function over an Input. ClassifyPowerOff tells a user's power-off from
// a failure from an endpoint's power events (PowerEventSource;
// vsphere.Source.PowerEvents reads them). Acknowledge and Resolve are the
// operator's actions. docs/alerts.md gives each rule kind's exact
// semantics.
//
// Subpackage notify delivers the notifications alerts queue to webhook,
// Slack, Teams and email channels.
package alert
