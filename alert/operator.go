package alert

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

// ErrNotActive is returned when an operator acts on an alert that is not
// in a state the action applies to (acknowledging a resolved alert, for
// instance).
var ErrNotActive = errors.New("alert: the alert is not in a state this action applies to")

// ActionParams describe an operator's action on one alert.
type ActionParams struct {
	// ID is the alert. Required.
	ID int64
	// By names the operator. Required.
	By string
	// Comment is optional (at most 2000 characters).
	Comment string
	// Now is the action's time. Defaults to time.Now().
	Now time.Time
	// Channels are the channels told of the action (the alert's rule's
	// channels, read by the caller); none when empty.
	Channels []inventory.AlertChannel
}

// Acknowledge moves an open alert to acknowledged, records who and why in
// its history and queues an "acknowledged" notification to p.Channels.
// An alert that is not open gives ErrNotActive; one that changed
// meanwhile a *store.ConflictError (nothing written either way).
func Acknowledge(ctx context.Context, st store.AlertStore, p *ActionParams) (*inventory.Alert, error) {
	return act(ctx, st, p, inventory.AlertAcknowledged, inventory.NotifyAcknowledged, inventory.AlertOpen)
}

// Resolve moves an open or acknowledged alert to resolved by an operator
// (ResolvedBy set) and queues a "resolved" notification to p.Channels.
// If the condition still holds the evaluator opens a new alert.
func Resolve(ctx context.Context, st store.AlertStore, p *ActionParams) (*inventory.Alert, error) {
	return act(ctx, st, p, inventory.AlertResolved, inventory.NotifyResolved, inventory.AlertOpen, inventory.AlertAcknowledged)
}

func act(ctx context.Context, st store.AlertStore, p *ActionParams, to inventory.AlertState, event string, from ...inventory.AlertState) (*inventory.Alert, error) {
	if p == nil || p.ID <= 0 {
		return nil, &inventory.FieldError{Field: "id", Reason: "is required"}
	}
	if p.By == "" {
		return nil, &inventory.FieldError{Field: "by", Reason: "is required"}
	}
	if len([]rune(p.Comment)) > 2000 {
		return nil, &inventory.FieldError{Field: "comment", Reason: "must be at most 2000 characters"}
	}
	now := p.Now
	if now.IsZero() {
		now = time.Now()
	}
	now = now.UTC()
	a, err := st.GetAlert(ctx, &store.GetAlertParams{ID: p.ID})
	if err != nil {
		return nil, fmt.Errorf("alert %d: %w", p.ID, err)
	}
	ok := false
	for _, s := range from {
		ok = ok || a.State == s
	}
	if !ok {
		return nil, fmt.Errorf("alert %d is %s: %w", p.ID, a.State, ErrNotActive)
	}
	prev := a.State
	next := *a
	next.State, next.UpdatedAt = to, now
	switch to {
	case inventory.AlertAcknowledged:
		next.AckedAt, next.AckedBy, next.AckComment = now, p.By, p.Comment
	case inventory.AlertResolved:
		next.ResolvedAt, next.ResolvedBy = now, p.By
	}
	ap := &store.ApplyAlertsParams{
		Alerts: []store.AlertUpdate{{Alert: next, ExpectState: prev}},
		Transitions: []store.AlertTransitionRef{{Transition: inventory.AlertTransition{
			AlertID: a.ID, From: prev, To: to, At: now, By: p.By, Comment: p.Comment, Summary: a.Summary}}},
	}
	if !next.Silenced {
		for _, ch := range p.Channels {
			if ch.Enabled && severityRank(next.Severity) >= severityRank(ch.MinSeverity) {
				ap.Notifications = append(ap.Notifications, store.NotificationRef{AlertIndex: 0,
					Notification: inventory.Notification{Channel: ch.Name, Event: event, NextAttempt: now}})
			}
		}
	}
	res, err := st.ApplyAlerts(ctx, ap)
	if err != nil {
		return nil, err
	}
	return &res.Alerts[0], nil
}

// severityRank orders severities; an empty severity ranks as info.
func severityRank(s inventory.AlertSeverity) int {
	switch s {
	case inventory.SeverityWarning:
		return 1
	case inventory.SeverityCritical:
		return 2
	}
	return 0
}
