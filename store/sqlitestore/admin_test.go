package sqlitestore_test

import (
	"testing"
	"time"

	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/sqlitestore"
	"github.com/accessvault/vinventory/store/storetest"
)

// TestAuditLogFrozenClock runs the AuditLog section on a store whose clock
// stands still: every entry has the same time, and pages must still
// neither repeat nor skip one.
func TestAuditLogFrozenClock(t *testing.T) {
	at := time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC)
	storetest.RunSection(t, "AuditLog", func(t *testing.T) store.Store {
		return openTemp(t, sqlitestore.Options{Clock: func() time.Time { return at }})
	})
}
