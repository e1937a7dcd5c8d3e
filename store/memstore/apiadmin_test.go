package memstore_test

import (
	"testing"
	"time"

	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/memstore"
	"github.com/accessvault/vinventory/store/storetest"
)

// TestAuditLogFrozenClock runs the AuditLog section on a store whose clock
// stands still: every entry has the same time, and pages must still
// neither repeat nor skip one.
func TestAuditLogFrozenClock(t *testing.T) {
	storetest.RunSection(t, "AuditLog", func(t *testing.T) store.Store {
		st := memstore.New(memstore.Options{Clock: func() time.Time { return t0 }})
		t.Cleanup(func() { _ = st.Close() })
		return st
	})
}
