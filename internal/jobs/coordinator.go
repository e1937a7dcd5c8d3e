package jobs

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
	"unicode/utf8"
)

// Coordinator runs a keyed piece of work at most once to completion across
// every process sharing it. NewPostgres coordinates replicas through
// PostgreSQL; NewLocal serves a single process.
type Coordinator interface {
	// Run runs fn for key unless key is already done or another runner holds
	// it. It returns ran = false and a nil error when it skipped fn for either
	// reason (State tells which); ran = true when fn was called, with fn's
	// error (as a *RunError) or an error recording the outcome. A key whose
	// fn failed or was interrupted is not done and runs again on a later Run.
	Run(ctx context.Context, key string, fn func(context.Context) error) (ran bool, err error)
	// State returns what the coordinator knows of key; a key never run has
	// Status StatusNone.
	State(ctx context.Context, key string) (KeyState, error)
}

// KeyStatus is the status of a key in a Coordinator.
type KeyStatus string

// Key statuses, as stored in the status column.
const (
	StatusNone    KeyStatus = ""        // never run
	StatusRunning KeyStatus = "running" // a runner started it and has not recorded an outcome (it may have died)
	StatusDone    KeyStatus = "done"    // completed; never run again
	StatusFailed  KeyStatus = "failed"  // the last run failed or was interrupted; runs again
)

// KeyState is one row of the job table.
type KeyState struct {
	Key        string
	Status     KeyStatus
	Owner      string // the runner of the latest attempt
	Attempts   int    // times fn was started for the key
	StartedAt  time.Time
	FinishedAt time.Time // zero while running
	LastError  string    // error of the latest failed attempt, cleared on success
}

// RunError is the error of a job's function for one key.
type RunError struct {
	Key string
	Err error
}

func (e *RunError) Error() string { return fmt.Sprintf("jobs: run %q: %v", e.Key, e.Err) }

// Unwrap returns the function's error.
func (e *RunError) Unwrap() error { return e.Err }

// ErrLockLost reports that a PostgreSQL coordinator lost its lock session
// while fn ran (the connection broke), so another replica may have taken the
// key over; the outcome was not recorded.
var ErrLockLost = errors.New("jobs: advisory lock session lost")

// maxErrorLen bounds the stored last_error.
const maxErrorLen = 2000

// storedError turns err into text fit for a text column: valid UTF-8, no NUL,
// at most maxErrorLen bytes.
func storedError(err error) string {
	s := strings.ToValidUTF8(err.Error(), "\uFFFD")
	s = strings.ReplaceAll(s, "\x00", "\uFFFD")
	if len(s) > maxErrorLen {
		cut := maxErrorLen
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

// validKey rejects keys a text column cannot hold.
func validKey(key string) error {
	switch {
	case key == "":
		return errors.New("jobs: empty key")
	case strings.IndexByte(key, 0) >= 0:
		return fmt.Errorf("jobs: key %q holds a NUL byte", key)
	case !utf8.ValidString(key):
		return fmt.Errorf("jobs: key %q is not valid UTF-8", key)
	}
	return nil
}

// defaultOwner names this process: host name and pid.
func defaultOwner() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown"
	}
	return fmt.Sprintf("%s:%d", host, os.Getpid())
}
