package notify_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/accessvault/vinventory/alert/notify"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/memstore"
)

// A Dispatcher delivers a queued notification to a webhook, which checks
// the signature.
func ExampleDispatcher() {
	ctx := context.Background()
	key := []byte("a-long-random-webhook-key")

	// The receiver: verify the signature over the raw body, then decode.
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if !notify.Verify(key, r.Header.Get(notify.HeaderTimestamp), r.Header.Get(notify.HeaderSignature), body) {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		var p notify.WebhookPayload
		_ = json.Unmarshal(body, &p)
		fmt.Printf("received %s: %s %s (%s)\n", p.Event, p.Alert.EntityType, p.Alert.EntityName, p.Alert.Severity)
	}))
	defer receiver.Close()

	st := memstore.New()
	// The daemon seals the secret with its keyring; this example stores
	// the JSON as is.
	secret, _ := json.Marshal(notify.Secret{HMACKey: string(key)})
	ch := inventory.AlertChannel{Name: "ops-hook", Kind: inventory.ChannelWebhook, Enabled: true, URL: receiver.URL, Secret: secret}
	if _, err := st.PutAlertChannel(ctx, &store.PutAlertChannelParams{Channel: ch}); err != nil {
		fmt.Println(err)
		return
	}
	_, _ = st.EnqueueNotifications(ctx, &store.EnqueueNotificationsParams{Notifications: []inventory.Notification{{
		Channel: "ops-hook", Event: inventory.NotifyOpened,
		Alert: inventory.Alert{ID: 1, RuleID: "ds-full", Kind: inventory.RuleDatastoreUsedPct, Severity: inventory.SeverityCritical,
			Vcenter: "vc1", EntityType: inventory.EntityDatastore, EntityID: "datastore-12", EntityName: "ds1",
			State: inventory.AlertOpen, Summary: "datastore ds1 is 91.2% used (raise at 85%)"},
	}}})

	d, err := notify.NewDispatcher(st, st, notify.DispatcherOptions{
		Owner: "replica-1",
		OpenSecret: func(_ context.Context, ch inventory.AlertChannel) (*notify.Secret, error) {
			var s notify.Secret
			return &s, json.Unmarshal(ch.Secret, &s)
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	rep, err := d.RunOnce(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("delivered %d of %d\n", rep.Delivered, rep.Claimed)
	// Output:
	// received opened: datastore ds1 (critical)
	// delivered 1 of 1
}
