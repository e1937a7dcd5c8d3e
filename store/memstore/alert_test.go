package memstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/memstore"
)

// TestAlertsQuick walks one alert through ApplyAlerts, its uniqueness and
// optimistic checks, and one notification through the queue (the storetest
// section "Alerts" covers the full contract).
func TestAlertsQuick(t *testing.T) {
	ctx := context.Background()
	now := t0
	st := memstore.New(memstore.Options{Clock: func() time.Time { return now }})
	a := inventory.Alert{RuleID: "ds-full", Kind: inventory.RuleDatastoreUsedPct, Severity: inventory.SeverityWarning,
		Vcenter: "vc-a", EntityType: inventory.EntityDatastore, EntityID: "datastore-1", State: inventory.AlertOpen,
		SeenAt: t0, OpenedAt: t0, UpdatedAt: t0}
	res, err := st.ApplyAlerts(ctx, &store.ApplyAlertsParams{
		Alerts:        []store.AlertUpdate{{Alert: a}},
		Transitions:   []store.AlertTransitionRef{{Transition: inventory.AlertTransition{To: inventory.AlertOpen, At: t0}}},
		Notifications: []store.NotificationRef{{Notification: inventory.Notification{Channel: "ops", Event: inventory.NotifyOpened}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	id := res.Alerts[0].ID
	if id == 0 || len(res.NotificationIDs) != 1 {
		t.Fatalf("result = %+v", res)
	}
	// A second open alert for the key conflicts.
	_, err = st.ApplyAlerts(ctx, &store.ApplyAlertsParams{Alerts: []store.AlertUpdate{{Alert: a}}})
	if !errors.Is(err, store.ErrConflict) {
		t.Fatalf("second alert: err = %v, want a conflict", err)
	}
	// An acknowledgement expecting the wrong state conflicts.
	acked := res.Alerts[0]
	acked.State = inventory.AlertAcknowledged
	_, err = st.ApplyAlerts(ctx, &store.ApplyAlertsParams{Alerts: []store.AlertUpdate{{Alert: acked, ExpectState: inventory.AlertPending}}})
	var ce *store.ConflictError
	if !errors.As(err, &ce) {
		t.Fatalf("stale ack: err = %v, want a *ConflictError", err)
	}
	// Resolved, then a new alert for the key is fine.
	resolved := res.Alerts[0]
	resolved.State, resolved.ResolvedAt = inventory.AlertResolved, t0.Add(time.Minute)
	if _, err := st.ApplyAlerts(ctx, &store.ApplyAlertsParams{Alerts: []store.AlertUpdate{{Alert: resolved, ExpectState: inventory.AlertOpen}, {Alert: a}}}); err != nil {
		t.Fatal(err)
	}
	got, err := st.GetAlert(ctx, &store.GetAlertParams{ID: id})
	if err != nil || got.State != inventory.AlertResolved {
		t.Fatalf("GetAlert = %+v, %v", got, err)
	}
	// The queued notification carries the stored alert; one owner claims it.
	claimed, err := st.ClaimNotifications(ctx, &store.ClaimNotificationsParams{Owner: "r1", Now: now, Lease: time.Minute})
	if err != nil || len(claimed) != 1 || claimed[0].Alert.ID != id {
		t.Fatalf("claim = %+v, %v", claimed, err)
	}
	again, err := st.ClaimNotifications(ctx, &store.ClaimNotificationsParams{Owner: "r2", Now: now, Lease: time.Minute})
	if err != nil || len(again) != 0 {
		t.Fatalf("second owner claimed %+v, %v", again, err)
	}
	if err := st.FinishNotifications(ctx, &store.FinishNotificationsParams{Owner: "r1",
		Results: []store.NotificationResult{{ID: claimed[0].ID, Delivered: true, At: now}}}); err != nil {
		t.Fatal(err)
	}
	page, err := st.ListNotifications(ctx, &store.ListNotificationsParams{States: []inventory.NotificationState{inventory.NotificationDelivered}})
	if err != nil || len(page.Notifications) != 1 || page.Notifications[0].Attempts != 1 {
		t.Fatalf("delivered = %+v, %v", page, err)
	}
}
