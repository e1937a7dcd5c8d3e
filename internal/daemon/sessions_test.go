package daemon

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/accessvault/vinventory/capture"
	"github.com/accessvault/vinventory/capture/capturetest"
	"github.com/accessvault/vinventory/capture/vcsim"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

// TestSessionsReuse: repeated power-event reads of an endpoint log in
// once; a changed credential, a failed read and a removed endpoint each
// open (or drop) the session; after close nothing is opened.
func TestSessionsReuse(t *testing.T) {
	ctx := context.Background()
	sim := capturetest.NewSim(t, vcsim.Options{VMs: 2, Templates: -1, Password: "sessions-" + t.Name()})
	st, kr := sqliteAndKeyring(t, t.TempDir())
	liveEndpoint(t, st, kr, sim, "vc1")
	op, err := Opener(kr, zap.NewNop(), nil)
	if err != nil {
		t.Fatal(err)
	}
	opens := 0
	var last capture.Source
	sess := newSessions(st, func(ctx context.Context, ep inventory.Endpoint) (capture.Source, error) {
		opens++
		src, err := op(ctx, ep)
		last = src
		return src, err
	})
	t.Cleanup(func() { sess.close(context.Background()) })
	pe := powerEvents{sess: sess}
	read := func() {
		t.Helper()
		if _, err := pe.PowerEvents(ctx, "vc1", time.Now().Add(-time.Hour), time.Now()); err != nil {
			t.Fatalf("PowerEvents: %v", err)
		}
	}
	for range 3 {
		read()
	}
	if opens != 1 {
		t.Fatalf("3 reads opened the endpoint %d times, want 1", opens)
	}
	// A failed read closes the session: the next read opens a new one.
	first := last
	boom := errors.New("boom")
	if err := sess.use(ctx, "vc1", func(capture.Source) error { return boom }, nil); !errors.Is(err, boom) {
		t.Fatalf("use: %v", err)
	}
	if _, err := first.Retrieve(ctx); err == nil {
		t.Error("the source of a failed read is still open")
	}
	read()
	if opens != 2 {
		t.Fatalf("after a failed read: %d opens, want 2", opens)
	}
	// An error the caller keeps leaves the session open.
	if err := sess.use(ctx, "vc1", func(capture.Source) error { return boom }, func(error) bool { return true }); !errors.Is(err, boom) {
		t.Fatalf("use: %v", err)
	}
	read()
	if opens != 2 {
		t.Fatalf("after a kept error: %d opens, want 2", opens)
	}
	// A changed login (the credential sealed anew) opens anew.
	ep, err := st.GetEndpoint(ctx, &store.GetEndpointParams{Name: "vc1"})
	if err != nil {
		t.Fatal(err)
	}
	if ep.Credential, err = kr.Encrypt([]byte(sim.Password), "vc1"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.UpsertEndpoint(ctx, &store.UpsertEndpointParams{Endpoint: *ep}); err != nil {
		t.Fatal(err)
	}
	read()
	if opens != 3 {
		t.Fatalf("after a changed endpoint: %d opens, want 3", opens)
	}
	// Closed: the source is logged out and nothing opens again.
	open := last
	sess.close(ctx)
	if _, err := open.Retrieve(ctx); err == nil {
		t.Error("a source is still open after close")
	}
	if err := sess.use(ctx, "vc1", func(capture.Source) error { return nil }, nil); !errors.Is(err, errSessionsClosed) {
		t.Errorf("use after close: %v", err)
	}
	if opens != 3 {
		t.Errorf("%d opens after close, want 3", opens)
	}
}
