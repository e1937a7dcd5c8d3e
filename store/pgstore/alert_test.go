package pgstore_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/pgstore"
)

// TestClaimSkipsLockedRows holds one queued notification locked in
// another transaction (as a replica in the middle of its claim would) and
// claims: the claim must return the other due rows at once, not wait for
// the lock (FOR UPDATE SKIP LOCKED), and must not return the locked one.
func TestClaimSkipsLockedRows(t *testing.T) {
	st, schema := newStoreIn(t, pgstore.Options{})
	ctx := context.Background()
	ids, err := st.EnqueueNotifications(ctx, &store.EnqueueNotificationsParams{Notifications: []inventory.Notification{
		{Channel: "ops", Event: inventory.NotifyTest}, {Channel: "ops", Event: inventory.NotifyTest}, {Channel: "ops", Event: inventory.NotifyTest},
	}})
	if err != nil {
		t.Fatal(err)
	}
	tx, err := sharedPool(t).Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	if _, err := tx.Exec(ctx, `SELECT id FROM "`+schema+`".notifications WHERE id = $1 FOR UPDATE`, ids[1]); err != nil {
		t.Fatal(err)
	}
	wait, cancel := context.WithTimeout(ctx, 5*time.Second) // a claim that waited on the lock would hit this
	defer cancel()
	now := time.Now().Add(time.Hour)
	got, err := st.ClaimNotifications(wait, &store.ClaimNotificationsParams{Owner: "r1", Now: now, Lease: time.Minute})
	if err != nil {
		t.Fatalf("ClaimNotifications while a row is locked: %v", err)
	}
	var claimed []int64
	for _, n := range got {
		claimed = append(claimed, n.ID)
	}
	if want := []int64{ids[0], ids[2]}; !slices.Equal(claimed, want) {
		t.Fatalf("ClaimNotifications = %v, want %v (the unlocked rows)", claimed, want)
	}
	// Once the other transaction ends, the row is claimable.
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	got, err = st.ClaimNotifications(ctx, &store.ClaimNotificationsParams{Owner: "r2", Now: now, Lease: time.Minute})
	if err != nil || len(got) != 1 || got[0].ID != ids[1] {
		t.Fatalf("ClaimNotifications after the lock = %+v, %v; want notification %d", got, err, ids[1])
	}
}

// TestApplyAlertsWaitsForRowLock holds an alert's row locked in another
// transaction that then changes its state: ApplyAlerts with the old state
// as ExpectState must wait for that transaction and then refuse with a
// conflict, not overwrite the newer state.
func TestApplyAlertsWaitsForRowLock(t *testing.T) {
	st, schema := newStoreIn(t, pgstore.Options{})
	ctx := context.Background()
	at := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	a := inventory.Alert{RuleID: "r1", Kind: inventory.RuleHostDisconnected, Severity: inventory.SeverityCritical, Vcenter: "vc-a",
		EntityType: inventory.EntityHost, EntityID: "host-1", State: inventory.AlertOpen, SeenAt: at, OpenedAt: at, UpdatedAt: at}
	res, err := st.ApplyAlerts(ctx, &store.ApplyAlertsParams{Alerts: []store.AlertUpdate{{Alert: a}}})
	if err != nil {
		t.Fatal(err)
	}
	a = res.Alerts[0]
	tx, err := sharedPool(t).Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	if _, err := tx.Exec(ctx, `SELECT state FROM "`+schema+`".alerts WHERE id = $1 FOR UPDATE`, a.ID); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		ack := a
		ack.State, ack.AckedBy, ack.AckedAt = inventory.AlertAcknowledged, "alice", at.Add(time.Minute)
		_, err := st.ApplyAlerts(ctx, &store.ApplyAlertsParams{Alerts: []store.AlertUpdate{{Alert: ack, ExpectState: inventory.AlertOpen}}})
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("ApplyAlerts returned (%v) while the row was locked", err)
	case <-time.After(200 * time.Millisecond):
	}
	if _, err := tx.Exec(ctx, `UPDATE "`+schema+`".alerts SET state = 'resolved' WHERE id = $1`, a.ID); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		var ce *store.ConflictError
		if !errors.As(err, &ce) || !errors.Is(err, store.ErrConflict) {
			t.Fatalf("ApplyAlerts after the concurrent resolve: err = %v, want a *store.ConflictError", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("ApplyAlerts still waiting 5 s after the lock was released")
	}
	got, err := st.GetAlert(ctx, &store.GetAlertParams{ID: a.ID})
	if err != nil || got.State != inventory.AlertResolved || got.AckedBy != "" {
		t.Fatalf("GetAlert = %+v, %v; want the concurrent resolve kept", got, err)
	}
}
