package ctxtime_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/accessvault/vinventory/internal/ctxtime"
)

func TestSleep(t *testing.T) {
	if err := ctxtime.Sleep(context.Background(), time.Millisecond); err != nil {
		t.Fatalf("Sleep: %v, want nil", err)
	}
	if err := ctxtime.Sleep(context.Background(), 0); err != nil {
		t.Fatalf("Sleep(0): %v, want nil", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	// An hour-long sleep under a cancelled context returns at once with
	// the context's error; if it waited, the test would time out.
	if err := ctxtime.Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Fatalf("Sleep(cancelled, 1h): %v, want context.Canceled", err)
	}
	if err := ctxtime.Sleep(ctx, 0); !errors.Is(err, context.Canceled) {
		t.Fatalf("Sleep(cancelled, 0): %v, want context.Canceled", err)
	}
	ctx, cancel = context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if err := ctxtime.Sleep(ctx, time.Hour); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Sleep(deadline, 1h): %v, want context.DeadlineExceeded", err)
	}
}
