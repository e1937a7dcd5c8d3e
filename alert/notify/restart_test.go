package notify_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/accessvault/vinventory/alert/notify"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store/sqlitestore"
)

// openSQLite opens (creating on first use) the SQLite file store at path,
// as the daemon does at start.
func openSQLite(t *testing.T, e *env, path string) (queueStore, func()) {
	t.Helper()
	s, err := sqlitestore.Open(context.Background(), path, sqlitestore.Options{AutoMigrate: true, Clock: e.clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	qs, ok := any(s).(queueStore)
	if !ok {
		_ = s.Close()
		t.Fatal("sqlitestore does not implement store.NotificationQueue and store.AlertChannels")
	}
	return qs, func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	}
}

// TestNeverLostOnRestart: a daemon claims a notification and dies while
// sending it (its context cancelled, its store closed); the restarted
// daemon, on the same SQLite file and with the same owner name, delivers
// it once the dead claim's lease expires.
func TestNeverLostOnRestart(t *testing.T) {
	e := newEnv(t)
	path := filepath.Join(t.TempDir(), "vinventory.db")
	st, closeStore := openSQLite(t, e, path)
	e.st = st
	sk := newSink(t, false)
	sk.setBlock(make(chan struct{}))
	e.putChannel(webhookChannel("hook", sk.srv.URL), notify.Secret{HMACKey: hmacKey})
	id := e.enqueue("hook", inventory.NotifyOpened, alertN(0, inventory.SeverityCritical))[0]

	first := e.dispatcher("replica-1", nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan *notify.Report, 1)
	go func() {
		rep, _ := first.RunOnce(ctx)
		done <- rep
	}()
	waitFor(t, func() bool { return len(sk.requests()) == 1 })
	cancel()
	if rep := <-done; rep.Abandoned != 1 {
		t.Fatalf("dying report %+v", rep)
	}
	closeStore()
	sk.setBlock(nil)

	st, closeStore = openSQLite(t, e, path)
	defer closeStore()
	e.st = st
	if n := e.notification(id); n.State != inventory.NotificationPending || n.Attempts != 0 {
		t.Fatalf("after the restart: %+v", n)
	}
	restarted := e.dispatcher("replica-1", nil)
	if rep := e.runOnce(restarted); rep.Claimed != 0 {
		t.Fatalf("claimed under the dead claim's lease: %+v", rep)
	}
	e.clk.Add(notify.DefaultLease)
	if rep := e.runOnce(restarted); rep.Delivered != 1 {
		t.Fatalf("after the lease: %+v", rep)
	}
	if n := e.notification(id); n.State != inventory.NotificationDelivered || n.Attempts != 1 || len(sk.requests()) != 2 {
		t.Fatalf("%+v, %d requests", n, len(sk.requests()))
	}
}
