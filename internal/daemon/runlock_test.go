//go:build unix

package daemon

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/zap"
)

// Two `run` processes on one SQLite file: the second fails at once, naming
// the holder; the lock is free again once released.
func TestRunLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "inv.db")
	release, err := lockRun(path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = lockRun(path)
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("another vinventoryd run (pid %d) is using %s", os.Getpid(), path)) {
		t.Fatalf("second lock: %v, want it refused naming pid %d", err, os.Getpid())
	}
	// runDaemon refuses too, before it schedules anything.
	a := &App{SQLitePath: path, Logger: zap.NewNop()}
	if err := runDaemon(context.Background(), a, []string{"-once"}); err == nil || !strings.Contains(err.Error(), "another vinventoryd run") {
		t.Fatalf("run -once on a locked file: %v", err)
	}
	release()
	again, err := lockRun(path)
	if err != nil {
		t.Fatalf("lock after release: %v", err)
	}
	again()
}
